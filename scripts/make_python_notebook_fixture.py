"""Writes test/fixtures/notebooks/python-written.ipynb with Jupyter's own writer (nbformat.write):
a Python notebook as Jupyter saves it (one-space indent, sorted keys, non-ASCII kept), with stream,
rich, image and error outputs. Dev-time only: /usr/bin/python3 scripts/make_python_notebook_fixture.py"""
import sys
from pathlib import Path

import nbformat
from nbformat import v4

PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\n"

nb = v4.new_notebook()
nb.metadata = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", "mimetype": "text/x-python",
                      "name": "python", "nbconvert_exporter": "python", "pygments_lexer": "ipython3", "version": "3.11.2"},
}
nb.cells = [
    v4.new_markdown_cell("# Café — Zürich ☕\n\nA Python notebook, saved by Jupyter.", id="intro"),
    v4.new_code_cell("import math\nx = 1.0\nprint(f'{x / 3:.3f}', 'naïve')", id="stream", execution_count=1,
                     outputs=[v4.new_output("stream", name="stdout", text="0.333 naïve\n")]),
    v4.new_code_cell("{'pi': math.pi, 'e': 2.0}", id="result", execution_count=2, metadata={"tags": ["keep"], "scrolled": True},
                     outputs=[v4.new_output("execute_result", execution_count=2,
                                            data={"text/plain": "{'pi': 3.141592653589793, 'e': 2.0}",
                                                  "text/html": "<table>\n<tr><td>pi</td><td>3.14</td></tr>\n</table>"})]),
    v4.new_code_cell("from IPython.display import Image\nImage(data=png)", id="image", execution_count=3,
                     outputs=[v4.new_output("display_data", data={"image/png": PNG_1x1, "text/plain": "<IPython.core.display.Image object>"},
                                            metadata={"image/png": {"width": 1, "height": 1}})]),
    v4.new_code_cell("1 / 0", id="error", execution_count=4,
                     outputs=[v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                            traceback=["\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"])]),
    v4.new_raw_cell("raw text", id="raw", metadata={"raw_mimetype": "text/plain"}),
]
nbformat.validate(nb)
out = Path(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/notebooks/python-written.ipynb")
nbformat.write(nb, str(out))
print(f"wrote {out}")
