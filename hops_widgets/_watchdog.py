"""One daemon thread for every poller, noticing polls that hang: it reads ``_in_flight_since``
and calls ``check_stall()`` of the pollers it is given, and imports none of them.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

from ._threads import running

log = logging.getLogger(__name__)


class Watchdog:
    """One daemon thread for every poller: notices polls that hang (the SDK sets no timeouts).

    It runs only while some poller has a poll in flight and ends by itself.
    """

    period_s = 1.0

    def __init__(self) -> None:
        self._pollers: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, poller: Any) -> None:
        with self._lock:
            self._pollers.add(poller)
            self._thread = running(self._thread, self._run, "hops-widgets-watchdog")

    def _run(self) -> None:
        while True:
            time.sleep(self.period_s)
            with self._lock:
                pollers = [p for p in self._pollers if not p.stopped]
                busy = [p for p in pollers if p.in_flight_since is not None]
                if not pollers:
                    self._thread = None
                    return
            for poller in busy:
                try:
                    poller.check_stall()
                except Exception:
                    log.exception("hops-widgets watchdog")


watchdog = Watchdog()
