"""Dev-time: a float16 copy of the Qwen2 architecture fixture, to test models that compute in float16.

Run: /usr/bin/python3 scripts/make_fp16_fixture.py
Writes test/fixtures/arch/qwen2-fp16/ (model.onnx + config and tokenizer copies). Conversion is by hand
(onnxconverter-common is not available offline): float initializers, float graph inputs/outputs,
float Constant/ConstantOfShape values and Casts to float all become float16. Enough for Optimum-style
decoders whose ops onnxruntime's CPU provider implements in float16.
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "test", "fixtures", "arch", "qwen2")
DST = os.path.join(ROOT, "test", "fixtures", "arch", "qwen2-fp16")


def to_half(t):
    arr = np.clip(numpy_helper.to_array(t), -65504, 65504).astype(np.float16)
    return numpy_helper.from_array(arr, t.name)


def main():
    m = onnx.load(os.path.join(SRC, "model.onnx"))
    g = m.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            init.CopyFrom(to_half(init))
    for vi in list(g.input) + list(g.output):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    for n in g.node:
        for a in n.attribute:
            if n.op_type in ("Constant", "ConstantOfShape") and a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(to_half(a.t))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    del g.value_info[:]
    onnx.checker.check_model(m)
    os.makedirs(DST, exist_ok=True)
    onnx.save(m, os.path.join(DST, "model.onnx"))
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(SRC, f), os.path.join(DST, f))
    print("wrote", DST)


if __name__ == "__main__":
    main()
