"""Faults the sandbox applies to matching requests: an error status, added latency,
a broken body, odd state values.

:class:`FaultBook` holds them, in the order they were added; the HTTP app asks it for
the :class:`Plan` of each request (:meth:`FaultBook.plan`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .machine import ScenarioError

__all__ = ["FAULT_KINDS", "Fault", "FaultBook", "Plan", "check_params", "http_error_body"]

# kind -> what it does
FAULT_KINDS = {
    "http_error": "answer with an HTTP error status (and Retry-After for 503 if asked)",
    "latency": "wait before answering (a delay longer than the client timeout makes it time out)",
    "malformed_json": "answer 200 with a JSON body cut off in the middle",
    "html": "answer with an HTML error page (status 502 unless given)",
    "empty_body": "answer 200 with an empty body",
    "disconnect": "close the connection without answering",
    "unknown_status": "report a status string the API never sends",
    "mutate": "drop or overwrite fields of the serving JSON",
}
_RESPONSE_KINDS = frozenset({"http_error", "malformed_json", "html", "empty_body", "disconnect"})
_DATA_KINDS = frozenset({"unknown_status", "mutate"})
_HTTP_ERRORS: dict[int, tuple[int | None, str]] = {
    400: (120004, "The request was not understood."),
    401: (320012, "Invalid or incorrect API key."),
    403: (320004, "The API key lacks the scope needed for this call."),
    404: (240000, "Serving instance not found."),
    409: (240003, "The deployment is busy with another change."),
    429: (120005, "Too many requests; slow down."),
    500: (120000, "Something went wrong on the server."),
    502: (None, "Bad gateway: the upstream service did not answer properly."),
    503: (None, "The service is temporarily unavailable."),
    504: (None, "Gateway timeout: the upstream service took too long."),
}


@dataclass
class Fault:
    id: int
    kind: str
    deployment: str | None = None  # only requests about this deployment (None: every request)
    endpoint: tuple[str, ...] | None = None  # only these endpoint names
    path: str | None = None  # only paths containing this text
    method: str | None = None
    times: int | None = None  # remaining uses; None until cleared
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    def matches(self, endpoint: str, path: str, method: str, deployment: str | None) -> bool:
        if self.endpoint is not None and endpoint not in self.endpoint:
            return False
        if self.path is not None and self.path not in path:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.deployment is not None and self.kind not in _DATA_KINDS and self.deployment != deployment:
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["endpoint"] = list(self.endpoint) if self.endpoint else None
        return data


@dataclass
class Plan:
    """What the faults say to do with one request."""

    delay_s: float = 0.0
    respond: Fault | None = None
    data: list[Fault] = field(default_factory=list)

    def transform(self, serving: dict[str, Any]) -> dict[str, Any]:
        """Apply the data faults to one serving object (returns the object, changed in place)."""
        for fault in self.data:
            if fault.deployment is not None and serving.get("name") != fault.deployment:
                continue
            if fault.kind == "unknown_status":
                serving["status"] = fault.params.get("value", "Hibernating")
            else:
                for key in fault.params.get("drop", ()):
                    _drop(serving, key)
                for key, value in (fault.params.get("set") or {}).items():
                    _put(serving, key, value)
        return serving


def _drop(data: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.get(part)
        if not isinstance(data, dict):
            return
    data.pop(last, None)


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        child = data.get(part)
        if not isinstance(child, dict):
            child = {}
            data[part] = child
        data = child
    data[last] = value


class FaultBook:
    """The active faults, in the order they were added; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next = 1

    def add(
        self,
        kind: str,
        *,
        deployment: str | None = None,
        endpoint: str | Iterable[str] | None = None,
        path: str | None = None,
        method: str | None = None,
        times: int | None = None,
        **params: Any,
    ) -> int:
        if kind not in FAULT_KINDS:
            raise ScenarioError(f"Unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}.")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ScenarioError("times must be a whole number >= 1, or None for 'until cleared'.")
        check_params(kind, params)
        endpoints = (endpoint,) if isinstance(endpoint, str) else tuple(endpoint) if endpoint is not None else None
        with self._lock:
            fault = Fault(
                id=self._next,
                kind=kind,
                deployment=deployment,
                endpoint=endpoints,
                path=path,
                method=method.upper() if method else None,
                times=times,
                params=params,
            )
            self._next += 1
            self._faults.append(fault)
            return fault.id

    def plan(self, endpoint: str, path: str, method: str, deployment: str | None, *, has_servings: bool) -> Plan:
        """Pick the faults for one request and use them up (one-shot ones count down)."""
        plan = Plan()
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(endpoint, path, method, deployment):
                    continue
                if fault.kind in _DATA_KINDS:
                    if not has_servings:
                        continue
                    if fault.deployment is not None and deployment is not None and fault.deployment != deployment:
                        continue
                    plan.data.append(fault)
                elif fault.kind == "latency":
                    plan.delay_s += float(fault.params.get("seconds", 0.0))
                elif plan.respond is None:
                    plan.respond = fault
                else:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
        return plan

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def check_params(kind: str, params: Mapping[str, Any]) -> None:
    allowed = {
        "http_error": {"status", "error_code", "message", "retry_after", "user_message"},
        "latency": {"seconds"},
        "malformed_json": set(),
        "html": {"status"},
        "empty_body": set(),
        "disconnect": set(),
        "unknown_status": {"value"},
        "mutate": {"drop", "set"},
    }[kind]
    unknown = set(params) - allowed
    if unknown:
        raise ScenarioError(f"Fault {kind!r} takes no {sorted(unknown)}.")
    if kind == "http_error":
        status = params.get("status")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ScenarioError("http_error needs status between 400 and 599.")
    if kind == "html":
        status = params.get("status", 502)
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ScenarioError("html needs a status between 200 and 599.")
    if kind == "latency":
        seconds = params.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 3600:
            raise ScenarioError("latency needs seconds between 0 and 3600.")
    if kind == "mutate":
        drop = params.get("drop", ())
        if isinstance(drop, str) or not all(isinstance(k, str) for k in drop):
            raise ScenarioError("mutate drop must be a list of field names.")
        if not isinstance(params.get("set") or {}, Mapping):
            raise ScenarioError("mutate set must map field names to values.")


def http_error_body(status: int, fault_params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The backend-shaped error JSON for an injected status."""
    params = fault_params or {}
    code, message = _HTTP_ERRORS.get(status, (None, f"HTTP {status}"))
    code = params.get("error_code", code)
    body: dict[str, Any] = {"errorMsg": params.get("message", message)}
    if code is not None:
        body = {"errorCode": code, **body}
    body["usrMsg"] = params.get("user_message", "Injected by the hops-widgets sandbox.")
    return body
