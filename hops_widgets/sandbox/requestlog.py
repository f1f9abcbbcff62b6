"""The sandbox's record of the API requests it answered, and what they cost the backend."""

from __future__ import annotations

import collections
import threading
from typing import Any

__all__ = ["RequestLog"]


class RequestLog:
    """Every API request the sandbox answered (admin calls excluded), and what they cost the backend.

    The cost is in *states*: the real backend computes a deployment's state from Kubernetes
    on every read (an InferenceService lookup and a pod listing), so each entry's ``states``
    says how many it computed (see the app's endpoints). The totals are kept apart from the
    entries, so they stay exact when old entries fall off the end of the log.
    """

    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=maxlen)
        self._cost: collections.Counter[str] = collections.Counter()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)
            states = entry.get("states") or 0
            if states:
                self._cost[str(entry.get("endpoint"))] += states

    def cost(self) -> dict[str, Any]:
        """``{"total": states, "by_endpoint": {endpoint: states}}`` since the last reset."""
        with self._lock:
            by_endpoint = dict(sorted(self._cost.items()))
        return {"total": sum(by_endpoint.values()), "by_endpoint": by_endpoint}

    def reset_cost(self) -> None:
        with self._lock:
            self._cost.clear()

    def select(
        self,
        *,
        path_contains: str | None = None,
        method: str | None = None,
        status: int | None = None,
        endpoint: str | None = None,
        deployment: str | None = None,
    ) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        return [
            dict(e)
            for e in entries
            if (path_contains is None or path_contains in e["path"])
            and (method is None or e["method"] == method.upper())
            and (status is None or e["status"] == status)
            and (endpoint is None or e["endpoint"] == endpoint)
            and (deployment is None or e["deployment"] == deployment)
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cost.clear()
