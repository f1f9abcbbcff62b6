"""A kernel that gets its frontend messages the way VS Code delivers them: an IPython extension.

VS Code's Jupyter extension holds the widgets' frontend -> kernel messages back while a cell runs
(microsoft/vscode-jupyter#17360). Loaded with ``--IPKernelApp.extensions=tests.hosts.vscode_shim``
(see tests/hosts/kernels.py), this queues every ``comm_msg`` that arrives while a cell executes,
on whatever thread it arrives (a subshell thread with comms over subshells on), and handles them in
order on the main thread when the cell ends. Kernel -> frontend messages are not touched.

``STATS`` counts the messages queued and handled late, and names the threads they arrived on, for
the tests to read from a cell. JupyterLab sends a comm's messages on a subshell once it has made one
for that comm; until then (or if it made none) they go on the main shell channel, where the kernel's
own queue holds them until the cell ends (the same delay, reached without the shim; the test waits
for the subshell first).
"""

from __future__ import annotations

import threading

STATS: dict = {"queued": 0, "released": 0, "direct": 0, "threads": []}
_lock = threading.Lock()
_queue: list[tuple] = []
_running = False
_installed = False


def install(ip) -> None:
    global _installed
    if _installed:
        return
    kernel = ip.kernel
    original = kernel.shell_handlers["comm_msg"]

    def comm_msg(stream, ident, msg):
        with _lock:
            name = threading.current_thread().name
            if name not in STATS["threads"]:
                STATS["threads"].append(name)
            if _running:
                STATS["queued"] += 1
                _queue.append((stream, ident, msg))
                return None
        STATS["direct"] += 1
        return original(stream, ident, msg)

    def pre_run_cell(*_args):
        global _running
        with _lock:
            _running = True

    def post_run_cell(*_args):
        global _running
        with _lock:
            _running = False
            held = _queue[:]
            _queue.clear()
        for stream, ident, msg in held:  # the cell has ended: what the view sent meanwhile arrives now
            STATS["released"] += 1
            try:
                original(stream, ident, msg)
            except Exception:  # one bad message must not lose the others
                kernel.log.exception("vscode shim: a held comm message failed")

    kernel.shell_handlers["comm_msg"] = comm_msg
    ip.events.register("pre_run_cell", pre_run_cell)
    ip.events.register("post_run_cell", post_run_cell)
    _installed = True


def load_ipython_extension(ip) -> None:
    install(ip)
