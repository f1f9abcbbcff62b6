"""The sandbox's record of the API requests it answered, and what they cost the backend."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["RequestLog"]

# what :meth:`RequestLog.select` filters by: name -> whether an entry passes it
_FILTERS: dict[str, Callable[[dict[str, Any], Any], bool]] = {
    "path_contains": lambda e, text: text in e["path"],
    "method": lambda e, method: e["method"] == method.upper(),
    "status": lambda e, status: e["status"] == status,
    "endpoint": lambda e, endpoint: e["endpoint"] == endpoint,
    "deployment": lambda e, deployment: e["deployment"] == deployment,
}


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

    def select(self, **filters: Any) -> list[dict[str, Any]]:
        """The entries that pass every filter given (see :data:`_FILTERS`; a filter left at None passes all)."""
        unknown = sorted(set(filters) - set(_FILTERS))
        if unknown:
            raise TypeError(f"select() takes no {unknown}")
        tests = [(_FILTERS[name], value) for name, value in filters.items() if value is not None]
        with self._lock:
            entries = list(self._entries)
        return [dict(e) for e in entries if all(passes(e, value) for passes, value in tests)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cost.clear()
