"""Background threads that are started when needed and kept while they run."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["running"]


def running(thread: threading.Thread | None, target: Callable[[], None], name: str) -> threading.Thread:
    """``thread`` while it is alive, else a new daemon thread running ``target``, started.

    The caller holds the lock that guards where it keeps the thread.
    """
    if thread is not None and thread.is_alive():
        return thread
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
