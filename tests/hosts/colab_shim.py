"""A kernel that behaves like Google Colab's for comm messages: an IPython extension for test kernels.

Colab routes every message by the request that produced it; a comm message sent from a background
thread belongs to no request and never reaches the page (googlecolab/colabtools#3373: trait
changes made from a thread do not arrive, a ``send_state()`` from a later cell does). Loaded with
``--IPKernelApp.extensions=tests.hosts.colab_shim`` (see tests/hosts/kernels.py), this drops every
comm message published from a thread other than the main one, where cells and, with comms over
subshells off, frontend message handlers run: that is, every message sent outside a request.

``STATS`` counts what was sent and dropped, for the tests to read from a cell.
"""

from __future__ import annotations

import threading

STATS = {"sent": 0, "dropped": 0}
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from ipykernel.comm import comm as kernel_comm

    original = kernel_comm.BaseComm.publish_msg

    def publish_msg(self, msg_type, *args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            STATS["dropped"] += 1  # outside any request: Colab has nowhere to route it
            return None
        STATS["sent"] += 1
        return original(self, msg_type, *args, **kwargs)

    kernel_comm.BaseComm.publish_msg = publish_msg
    _installed = True


def load_ipython_extension(ip) -> None:
    install()
