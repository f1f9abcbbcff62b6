"""Actions taken in code, announced to whoever shows the deployment.

``deployment.start(await_running=0)`` in a cell is an action like the widget's
Start button: the widgets showing that deployment should poll fast at once,
not find out at their next stable poll. The built-in client and the SDK
methods patched by :func:`hops_widgets.enable` call :func:`announce`; the
poller module listens. This module imports nothing of the package, so the
client does not depend on the poller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["announce", "listen"]

log = logging.getLogger(__name__)
_listeners: list[Callable[[Any, str], None]] = []
_lock = threading.Lock()


def listen(callback: Callable[[Any, str], None]) -> None:
    """Call ``callback(deployment, action)`` whenever an action is announced."""
    with _lock:
        if callback not in _listeners:
            _listeners.append(callback)


def announce(deployment: Any, action: str) -> None:
    """Say that ``action`` (start, stop, restart, update…) was just asked of ``deployment``.

    Never raises: a listener's failure must not turn a successful action into an error.
    """
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        try:
            callback(deployment, action)
        except Exception:
            log.exception("hops-widgets: action listener failed")
