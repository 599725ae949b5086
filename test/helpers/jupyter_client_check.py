"""Drives the Babelscope kernel with jupyter_client (a real Jupyter client): interrupt of a synchronous
infinite loop (interrupt_mode "message"), state kept, complete/inspect/is_complete, restart, and a kernel that dies.
Prints one JSON object. Usage: JUPYTER_PATH=… python3 jupyter_client_check.py"""
import json, time
from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name='babelscope', startup_timeout=60)
out = {}
def run(code, timeout=30):
    outputs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: outputs.append({'type': m['msg_type'], 'content': m['content']}))
    return reply['content'], outputs

try:
    out['kernel_info'] = kc.kernel_info(reply=True, timeout=10)['content']['language_info']['name']
    out['interrupt_mode'] = km.kernel_spec.interrupt_mode
    run('const kept: string = "kept"')
    msg_id = kc.execute('let spins = 0\nwhile (true) { spins++ }')
    time.sleep(1.0)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    out['interrupted'] = {'status': reply['content']['status'], 'ename': reply['content'].get('ename')}
    content, outputs = run('kept + " after interrupt"')
    out['after_interrupt'] = [o['content']['data']['text/plain'] for o in outputs if o['type'] == 'execute_result']
    kc.complete('kep'); out['complete'] = kc.get_shell_msg(timeout=10)['content']['matches']
    kc.inspect('kept', 4); out['inspect_found'] = kc.get_shell_msg(timeout=10)['content']['found']
    kc.is_complete('if (true) {'); out['is_complete'] = kc.get_shell_msg(timeout=10)['content']['status']
    km.restart_kernel(now=False)  # shutdown_request(restart=True), then a fresh process on the same ports
    kc.wait_for_ready(timeout=60)
    content, outputs = run('typeof kept')
    out['after_restart'] = [o['content']['data']['text/plain'] for o in outputs if o['type'] == 'execute_result']
    kc.execute('process.exit(1)')
    deadline = time.time() + 20
    while km.is_alive() and time.time() < deadline:
        time.sleep(0.1)
    out['alive_after_exit'] = km.is_alive()
    out['exit_code'] = km.provisioner.process.returncode if km.provisioner and km.provisioner.process else None
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(out))
