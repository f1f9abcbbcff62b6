"""Process supervision for the command line: signals, process trees, ports, readiness.

Nothing here knows about the sandbox or notebooks:

* :func:`wait_for_interrupt` and :class:`StopOnSignals` turn SIGINT, SIGTERM and SIGHUP
  into a clean stop;
* :func:`descendants`, :func:`alive` and :func:`end_process_tree` stop a server and
  every process it started (Linux ``/proc``);
* :func:`free_port`, :func:`wait_until_serving` and :func:`wait_until_listening` pick a
  port and wait for a server to answer on it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from typing import TextIO

__all__ = [
    "STOP_SIGNALS",
    "Stop",
    "StopOnSignals",
    "alive",
    "descendants",
    "end_process_tree",
    "free_port",
    "wait_for_interrupt",
    "wait_until_listening",
    "wait_until_serving",
]

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def wait_for_interrupt(stop: threading.Event, ready=None) -> None:
    """Call ``ready()``, then wait for ``stop``, Ctrl-C, SIGTERM or SIGHUP (a closed terminal).

    The handlers are in place before ``ready()`` says "Press Ctrl-C", and SIGINT gets one too:
    a process started in the background by a shell inherits SIGINT ignored, where Python's own
    Ctrl-C handling would never run.
    """

    def on_signal(signum, frame):
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, on_signal)
    try:
        if ready is not None:
            ready()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Stop(BaseException):
    """Raised in the main thread by SIGINT, SIGTERM or SIGHUP: stop everything, like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopOnSignals:
    """While active, the first SIGINT/SIGTERM/SIGHUP raises :class:`Stop`; later ones are ignored
    so that they cannot cut the cleanup short. A no-op outside the main thread."""

    def __enter__(self):
        self.received: int | None = None
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum, frame):
        if self.received is None:
            self.received = signum
            raise Stop(signum)

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return isinstance(exc[1], (Stop, KeyboardInterrupt))  # stopped as asked: not an error


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; elsewhere none are found and JupyterLab's own
    shutdown is relied on). Kernels run in sessions of their own, so a process group misses them."""
    if pid <= 1:
        return []
    children: dict[int, list[int]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            ppid = int(stat.rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def end_process_tree(process: subprocess.Popen, out: TextIO, name: str = "JupyterLab") -> None:
    """Stop ``process`` (JupyterLab, or Voilà: it shuts its kernels down), then end whatever of its tree is left.

    ``name`` is what the message printed to ``out`` calls it."""
    tree = descendants(process.pid)
    if process.poll() is None:
        print(f"Stopping {name} and its kernels...", file=out, flush=True)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()
            process.wait()
    deadline = time.monotonic() + 5
    left = [pid for pid in tree if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pid in left if alive(pid)]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def free_port(preferred: int) -> int:
    """``preferred`` if nothing listens there on the loopback, else a free port."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def wait_until_serving(process: subprocess.Popen, base_url: str, token: str, timeout: float = 120) -> bool:
    """Wait until a Jupyter server at ``base_url`` answers ``/api/status`` with ``token``;
    False if ``process`` exited or it never answered."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    request = urllib.request.Request(f"{base_url}/api/status", headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with opener.open(request, timeout=2) as response:
                if response.status == 200:
                    return True
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    return False


def wait_until_listening(process: subprocess.Popen, port: int, timeout: float = 120) -> bool:
    """Wait until something accepts connections on ``port`` (a page request would run the notebook)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False
