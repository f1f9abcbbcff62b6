"""Scripting the sandbox: faults, transitions and the request log.

Three parts:

* :class:`FaultBook` holds the faults the HTTP app applies to matching
  requests (an error status, added latency, a broken body, odd state values).
* :class:`RequestLog` records every API request so tests can count them.
* :class:`Admin` is the one table of scenario operations. The in-process
  handle calls it directly; the HTTP admin endpoint (``POST /_sandbox/<op>``)
  calls the same table, so both ways of scripting behave the same.
  :class:`Scenario` gives either handle the same named methods. It also
  holds the player of scenario files (:mod:`.script`), whose due steps run
  before every operation.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from . import script as _script
from .machine import Blueprint, ManualClock, ScenarioError, World, seed

__all__ = ["FAULT_KINDS", "Admin", "Fault", "FaultBook", "Plan", "RequestLog", "Scenario"]

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
        _check_params(kind, params)
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


def _check_params(kind: str, params: Mapping[str, Any]) -> None:
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


class Admin:
    """The scenario operations, by name: what both handles and ``/_sandbox/<op>`` call."""

    def __init__(self, world: World, faults: FaultBook, log: RequestLog, *, seeded: bool = True) -> None:
        self.world = world
        self.faults = faults
        self.log = log
        self.seeded = seeded
        self._initial_timing = world.timing
        self._initial_speed = world.speed
        self._ops: dict[str, Callable[..., Any]] = {
            name[4:]: getattr(self, name) for name in dir(self) if name.startswith("_op_")
        }
        self.player = _script.ScriptPlayer(world, self._apply)
        self.api_keys: dict[str, str] = {}  # role -> key, set by the handle that serves this sandbox

    @property
    def operations(self) -> list[str]:
        return sorted(self._ops)

    def dispatch(self, op: str, kwargs: Mapping[str, Any] | None = None) -> Any:
        """Run one operation, after the steps of a playing script that are due (so every caller sees them)."""
        if op not in self._ops:
            raise ScenarioError(f"Unknown sandbox operation {op!r}.", status_code=404)
        self.catch_up()
        return self._apply(op, dict(kwargs or {}))

    def catch_up(self) -> int:
        """Apply the due steps of the playing script, each as of its own time (cheap when none is due)."""
        return self.player.catch_up()

    def _apply(self, op: str, kwargs: dict[str, Any]) -> Any:
        fn = self._ops.get(op)
        if fn is None:
            raise ScenarioError(f"Unknown sandbox operation {op!r}.", status_code=404)
        try:
            return fn(**kwargs)
        except TypeError as exc:
            raise ScenarioError(f"Bad arguments for {op}: {exc}") from None

    # --------------------------------------------------------- information
    def _op_info(self) -> dict[str, Any]:
        w = self.world
        return {
            "project": w.project,
            "project_id": w.project_id,
            "speed": w.speed,
            "now": w.now(),
            "manual_clock": isinstance(w.clock, ManualClock),
            "timing": asdict(w.timing),
            "deployments": w.names(),
            # the keys of both roles (this answer itself needs the Data Owner key)
            "api_keys": dict(self.api_keys),
        }

    def _op_deployments(self) -> list[dict[str, Any]]:
        return self.world.servings()

    def _op_deployment(self, name: str) -> dict[str, Any]:
        return self.world.serving(name)

    # ---------------------------------------------------------- population
    def _op_add_deployment(self, name: str, status: str = "Stopped", **spec: Any) -> dict[str, Any]:
        try:
            blueprint = Blueprint(name=name, **spec)
        except TypeError as exc:
            raise ScenarioError(f"Bad deployment fields: {exc}") from None
        ident = self.world.add(blueprint, status=status)
        return self.world.serving(ident)

    def _op_add_deployments(
        self, count: int, prefix: str = "deployment", status: str = "Running", **spec: Any
    ) -> list[str]:
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10_000:
            raise ScenarioError("count must be between 0 and 10000.")
        taken = set(self.world.names())
        names, n = [], 0
        while len(names) < count:
            n += 1
            candidate = f"{prefix}{n:03d}"
            if candidate not in taken:
                names.append(candidate)
        for name in names:
            try:
                blueprint = Blueprint(name=name, **spec)
            except TypeError as exc:
                raise ScenarioError(f"Bad deployment fields: {exc}") from None
            self.world.add(blueprint, status=status)
        return names

    def _op_delete_deployment(self, name: str) -> None:
        self.world.delete(name)

    # --------------------------------------------------------- transitions
    def _op_start_deployment(self, name: str) -> str:
        return self.world.start(name)

    def _op_stop_deployment(self, name: str) -> str:
        return self.world.stop(name)

    def _op_update_deployment(self, name: str, **changes: Any) -> str:
        return self.world.update(name, **changes)

    def _op_predict(self, name: str) -> str:
        return self.world.infer(name)

    def _op_fail(
        self,
        name: str,
        step: str = "STARTED",
        reason: str | None = None,
        now: bool = False,
        sticky: bool = False,
        heals_after: float | None = None,
    ) -> str:
        return self.world.fail(name, step, reason, now=now, sticky=sticky, heals_after=heals_after)

    def _op_resolve(self, name: str) -> str:
        return self.world.resolve(name)

    def _op_storage_retry(self, name: str, restarts: int = 3, retry_s: float | None = None) -> str:
        return self.world.storage_retry(name, restarts, retry_s=retry_s)

    def _op_append_log(
        self, name: str, text: str, component: str = "predictor", instance: int | str | None = None
    ) -> list[str]:
        return self.world.append_log(name, text, component=component, instance=instance)

    def _op_log_lines(self, name: str, component: str | None = None) -> list[dict[str, Any]]:
        return self.world.log_lines(name, component)

    def _op_instances(self, name: str, component: str | None = None) -> list[str]:
        return self.world.instances(name, component)

    def _op_heal(self, name: str) -> None:
        self.world.heal(name)

    def _op_set_state(self, name: str, status: Any, **values: Any) -> dict[str, Any]:
        allowed = {"condition", "available_instances", "available_transformer_instances"}
        unknown = set(values) - allowed
        if unknown:
            raise ScenarioError(f"set_state takes no {sorted(unknown)}.")
        self.world.set_state(name, status, **values)
        return self.world.serving(name)

    # --------------------------------------------------------------- clock
    def _op_advance(self, seconds: float) -> float:
        clock = self.world.clock
        if not isinstance(clock, ManualClock):
            raise ScenarioError("advance() needs a sandbox started with a ManualClock.")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ScenarioError("seconds must be a number >= 0.")
        clock.advance(float(seconds))
        return self.world.now()

    def _op_set_speed(self, speed: float) -> float:
        self.world.set_speed(speed)
        return self.world.speed

    def _op_set_timing(self, **durations: float) -> dict[str, float]:
        return asdict(self.world.set_timing(**durations))

    # -------------------------------------------------------------- faults
    def _op_add_fault(self, kind: str, **options: Any) -> int:
        return self.faults.add(kind, **options)

    def _op_faults(self) -> list[dict[str, Any]]:
        return self.faults.list()

    def _op_clear_fault(self, fault_id: int) -> bool:
        return self.faults.remove(fault_id)

    def _op_clear_faults(self) -> None:
        self.faults.clear()

    # ----------------------------------------------------------------- log
    def _op_requests(self, **filters: Any) -> list[dict[str, Any]]:
        allowed = {"path_contains", "method", "status", "endpoint", "deployment"}
        unknown = set(filters) - allowed
        if unknown:
            raise ScenarioError(f"requests() takes no {sorted(unknown)}.")
        return self.log.select(**filters)

    def _op_clear_log(self) -> None:
        self.log.clear()

    def _op_backend_cost(self) -> dict[str, Any]:
        return self.log.cost()

    def _op_reset_cost(self) -> None:
        self.log.reset_cost()

    # ------------------------------------------------------------- scripts
    def _op_play(self, script: Any, chapter: str | None = None, source: str | None = None) -> dict[str, Any]:
        """Play a scenario sent as a JSON object (``source`` names it in messages) or a built-in name.

        A path is refused: over HTTP the sandbox would be opening files for its callers. The
        handles read files themselves and send what they hold.
        """
        if isinstance(script, str):
            if not _script.is_builtin_name(script):
                raise ScenarioError(
                    f"The sandbox does not open files ({script!r}): send the scenario itself as a JSON object, "
                    "or name a built-in one. The handles' play() reads a file for you."
                )
            parsed = _script.load(script)
        elif isinstance(script, Mapping):
            parsed = _script.parse(script, source if isinstance(source, str) and source else "scenario")
        else:
            raise ScenarioError("script must be a scenario object or the name of a built-in scenario.")
        if chapter is not None and not isinstance(chapter, str):
            raise ScenarioError("chapter must be a chapter id (text).")
        return self.player.play(parsed, chapter)

    def _op_script_progress(self) -> dict[str, Any]:
        return self.player.progress()

    def _op_stop_script(self) -> dict[str, Any]:
        return self.player.stop()

    def _op_scenarios(self) -> list[str]:
        """The built-in scenario names."""
        return _script.builtin_names()

    def _op_reset(self) -> None:
        """Back to the starting point: no script, seed deployments, no faults, empty log, first timing and speed."""
        self.player.stop()
        self.faults.clear()
        self.log.clear()
        self.world.clear()
        self.world.timing = self._initial_timing
        self.world.set_speed(self._initial_speed)
        if self.seeded:
            seed(self.world)


def _where(deployment: str | None, endpoint: Any, path: str | None, method: str | None, times: int | None) -> dict:
    return {"deployment": deployment, "endpoint": endpoint, "path": path, "method": method, "times": times}


class Scenario:
    """Named scenario methods; subclasses supply ``_call(op, **kwargs)``.

    Faults take the same filters: ``deployment`` (only requests about it; for
    data faults, only its JSON), ``endpoint`` (a name such as
    ``"serving_get"`` or a list of them), ``path`` (a substring), ``method``
    and ``times`` (a one-shot count; None keeps the fault until cleared).
    Each returns the fault id for :meth:`clear_fault`.
    """

    def _call(self, op: str, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # information
    def info(self) -> dict[str, Any]:
        """Project, speed, sandbox time, timing and deployment names."""
        return self._call("info")

    def deployments(self) -> list[dict[str, Any]]:
        """The serving JSON of every deployment, with no fault applied."""
        return self._call("deployments")

    def deployment(self, name: str) -> dict[str, Any]:
        return self._call("deployment", name=name)

    def status(self, name: str) -> str:
        """The status word the API would report for ``name`` now (e.g. ``"Running"``)."""
        return self.deployment(name)["status"]

    # population
    def add_deployment(self, name: str, *, status: str = "Stopped", **spec: Any) -> dict[str, Any]:
        """Add one deployment. ``spec``: model_name, model_version, requested_instances,
        min_instances, max_instances, transformer, requested_transformer_instances,
        transformer_min_instances, model_server, description, gpus.

        Unlike a create through the REST API (a PUT, which answers 422 unless the name is
        letters and digits, as the backend does), this accepts any name on purpose: tests use
        it to play a hostile or broken server that sends names with markup or spaces."""
        return self._call("add_deployment", name=name, status=status, **spec)

    def add_deployments(self, count: int, *, prefix: str = "deployment", status: str = "Running", **spec: Any):
        """Add ``count`` deployments named ``{prefix}001``, ``{prefix}002``...; returns their names.

        With a prefix of letters and digits the names are ones a real cluster accepts."""
        return self._call("add_deployments", count=count, prefix=prefix, status=status, **spec)

    def delete_deployment(self, name: str) -> None:
        self._call("delete_deployment", name=name)

    # transitions
    def start_deployment(self, name: str) -> str:
        """START ``name`` as a Data Owner would: only from Created or Stopped.

        Refused otherwise with :class:`LifecycleError` (the REST API's 400 / 240003), as
        the backend refuses it: a Failed deployment must be stopped first."""
        return self._call("start_deployment", name=name)

    def stop_deployment(self, name: str) -> str:
        """STOP ``name``: only from Running, Idle or Failed; refused otherwise (:class:`LifecycleError`)."""
        return self._call("stop_deployment", name=name)

    def update_deployment(self, name: str, **changes: Any) -> str:
        """Change configuration fields; a running deployment passes through Updating."""
        return self._call("update_deployment", name=name, **changes)

    def predict(self, name: str) -> str:
        """Send an inference request to ``name`` (wakes an idle deployment)."""
        return self._call("predict", name=name)

    def fail(
        self,
        name: str,
        step: str = "STARTED",
        reason: str | None = None,
        *,
        now: bool = False,
        sticky: bool = False,
        heals_after: float | None = None,
    ) -> str:
        """Make ``name`` fail at ``step`` (SCHEDULED, INITIALIZED, STARTED, READY) with ``reason``.

        The start in progress fails when it reaches ``step``, else the next one; ``now=True``
        fails it at once; ``sticky=True`` fails every later start too. ``heals_after``
        (sandbox seconds): the cause goes away that long after the failure, and the
        deployment recovers *by itself*, reading Starting then Running with no action by
        anyone (see :meth:`resolve`)."""
        kwargs: dict[str, Any] = {"name": name, "step": step, "reason": reason, "now": now, "sticky": sticky}
        if heals_after is not None:
            kwargs["heals_after"] = heals_after
        return self._call("fail", **kwargs)

    def resolve(self, name: str) -> str:
        """The cause of ``name``'s failure goes away now: a Failed deployment recovers by itself.

        As on a real cluster (an unschedulable pod finally placed), the next reads report
        Starting, from the step after the one that failed, then Running; nobody starts it.
        Failures planned for later starts are forgotten too. Returns ``"starting"``, or
        ``"cleared"`` if it was not Failed."""
        return self._call("resolve", name=name)

    def storage_retry(self, name: str, restarts: int = 3, *, retry_s: float | None = None) -> str:
        """Make the storage initializer of ``name``'s start fail ``restarts`` times.

        While it retries, ``name`` reads Starting with condition STOPPED / null (being
        prepared), as the backend reports while the pod restarted at most twice. With
        ``restarts`` <= 2 the start then goes on to Running; with 3 or more it ends Failed,
        INITIALIZED / false. Each retry lasts ``retry_s`` sandbox seconds (one start step by
        default). Applies to the start in progress if it is still at SCHEDULED, else to the
        next start. Returns ``"armed"`` or ``"armed_for_next_start"``."""
        kwargs: dict[str, Any] = {"name": name, "restarts": restarts}
        if retry_s is not None:
            kwargs["retry_s"] = retry_s
        return self._call("storage_retry", **kwargs)

    def heal(self, name: str) -> None:
        """Forget failures planned for ``name``."""
        self._call("heal", name=name)

    # logs
    def append_log(
        self, name: str, text: str, *, component: str = "predictor", instance: int | str | None = None
    ) -> list[str]:
        """Print ``text`` (one line or several, sent as given: ANSI codes, ``\\r``, markup) from a live
        instance of ``component`` now. ``instance``: a name, an index among the live ones, or ``"all"``;
        the first live one by default. Returns the names written to."""
        return self._call("append_log", name=name, text=text, component=component, instance=instance)

    def log_lines(self, name: str, component: str | None = None) -> list[dict[str, Any]]:
        """Every line ``name`` printed so far, oldest first: instance, component, time, at, text."""
        kwargs: dict[str, Any] = {"name": name}
        if component is not None:
            kwargs["component"] = component
        return self._call("log_lines", **kwargs)

    def instances(self, name: str, component: str | None = None) -> list[str]:
        """Names of the live instances (the ones the kubernetes log source reads)."""
        kwargs: dict[str, Any] = {"name": name}
        if component is not None:
            kwargs["component"] = component
        return self._call("instances", **kwargs)

    def fail_logs(self, status: int = 500, **where: Any) -> int:
        """Make the logs endpoint answer ``status`` (other filters as for :meth:`http_error`)."""
        return self.http_error(status, endpoint="serving_logs", **where)

    def slow_logs(self, seconds: float, **where: Any) -> int:
        """Make the logs endpoint wait ``seconds`` (real time) before answering."""
        return self.latency(seconds, endpoint="serving_logs", **where)

    def set_state(self, name: str, status: Any, **values: Any) -> dict[str, Any]:
        """Pin the reported state: ``status`` plus optional ``condition`` (a dict or None),
        ``available_instances``, ``available_transformer_instances``. Odd values are sent as given."""
        return self._call("set_state", name=name, status=status, **values)

    # clock
    def advance(self, seconds: float) -> float:
        """Move a manual clock on (sandbox seconds at speed 1)."""
        return self._call("advance", seconds=seconds)

    def set_speed(self, speed: float) -> float:
        return self._call("set_speed", speed=speed)

    def set_timing(self, **durations: float) -> dict[str, float]:
        """Change durations: step_s, stop_step_s, update_s, cold_start_s, creating_s, retention_s."""
        return self._call("set_timing", **durations)

    # faults
    def add_fault(
        self,
        kind: str,
        *,
        deployment: str | None = None,
        endpoint: Any = None,
        path: str | None = None,
        method: str | None = None,
        times: int | None = None,
        **params: Any,
    ) -> int:
        if endpoint is not None and not isinstance(endpoint, str):
            endpoint = list(endpoint)
        return self._call("add_fault", kind=kind, **_where(deployment, endpoint, path, method, times), **params)

    def http_error(
        self,
        status: int,
        *,
        retry_after: float | None = None,
        error_code: int | None = None,
        message: str | None = None,
        **where: Any,
    ) -> int:
        """Answer matching requests with ``status`` (401, 403, 404, 500, 502, 503, ...)."""
        params: dict[str, Any] = {"status": status}
        if retry_after is not None:
            params["retry_after"] = retry_after
        if error_code is not None:
            params["error_code"] = error_code
        if message is not None:
            params["message"] = message
        return self.add_fault("http_error", **where, **params)

    def latency(self, seconds: float, **where: Any) -> int:
        """Wait ``seconds`` (real time) before answering."""
        return self.add_fault("latency", seconds=seconds, **where)

    def malformed_json(self, **where: Any) -> int:
        return self.add_fault("malformed_json", **where)

    def html_page(self, status: int = 502, **where: Any) -> int:
        return self.add_fault("html", status=status, **where)

    def empty_body(self, **where: Any) -> int:
        return self.add_fault("empty_body", **where)

    def disconnect(self, **where: Any) -> int:
        return self.add_fault("disconnect", **where)

    def unknown_status(self, value: str = "Hibernating", **where: Any) -> int:
        return self.add_fault("unknown_status", value=value, **where)

    def mutate(self, *, drop: Iterable[str] = (), set: Mapping[str, Any] | None = None, **where: Any) -> int:
        """Drop or overwrite serving JSON fields; dotted names reach inside (``"condition.reason"``)."""
        return self.add_fault("mutate", drop=list(drop), set=dict(set or {}), **where)

    def missing_fields(self, *names: str, **where: Any) -> int:
        return self.mutate(drop=names, **where)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("faults")

    def clear_fault(self, fault_id: int) -> bool:
        return self._call("clear_fault", fault_id=fault_id)

    def clear_faults(self) -> None:
        self._call("clear_faults")

    # log
    def requests(
        self,
        path_contains: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        endpoint: str | None = None,
        deployment: str | None = None,
    ) -> list[dict[str, Any]]:
        """Logged API requests, oldest first: dicts with method, path, query, status, endpoint,
        deployment, role (``"data_owner"``, ``"data_scientist"`` or None when no valid key was
        sent), states (what the request cost the backend, see :meth:`backend_cost`), time
        (epoch seconds) and duration_ms."""
        filters = {
            k: v
            for k, v in {
                "path_contains": path_contains,
                "method": method,
                "status": status,
                "endpoint": endpoint,
                "deployment": deployment,
            }.items()
            if v is not None
        }
        return self._call("requests", **filters)

    def clear_log(self) -> None:
        """Empty the request log; this also sets the backend cost back to zero."""
        self._call("clear_log")

    def backend_cost(self) -> dict[str, Any]:
        """What the requests so far cost the real backend, in deployment *states* computed.

        The backend computes each deployment's state from Kubernetes on every read, so it
        is priced in states, not requests: a list costs one per deployment it returns after
        the ``model``/``modelVersion`` filters (the ``status`` filter is applied after
        computing), a get (by id or by name) one, logs one plus one per pod read, a start,
        stop, update or delete of a deployed one one each. Answers refused before the
        backend looks (401, 403, 404 project, injected faults) cost nothing. Returns
        ``{"total": int, "by_endpoint": {endpoint: int}}``; :meth:`reset_cost` (or
        :meth:`clear_log`) starts again from zero."""
        return self._call("backend_cost")

    def reset_cost(self) -> None:
        """Set the backend cost counter back to zero (the request log is kept)."""
        self._call("reset_cost")

    def reset(self) -> None:
        """Stop any script, seed deployments again, remove every fault, empty the log."""
        self._call("reset")

    # scripts
    def play(self, script: Any, chapter: str | None = None) -> dict[str, Any]:
        """Play a scenario from now on: a dict, a file path, or a built-in name such as ``"lesson"``.

        ``chapter`` plays only the chapter with that id. The file is read and checked here
        (errors name the file and the place in it), then sent to the sandbox, which replaces
        any script it was playing. Returns the plan: title, chapters with their sandbox start
        and end times, the deployments the script makes, and warnings.
        """
        parsed = _script.load(script)
        if chapter is not None:
            parsed.chapter(chapter)
        return self._call("play", script=dict(parsed.data), chapter=chapter, source=parsed.origin)

    def script_progress(self) -> dict[str, Any]:
        """The playing script's steps, each with chapter, at (sandbox time), do, name, say,
        state (pending, done, failed, skipped), and result or error."""
        return self._call("script_progress")

    def stop_script(self) -> dict[str, Any]:
        """Stop the script; steps not yet run are skipped. Returns the final progress."""
        return self._call("stop_script")

    def scenarios(self) -> list[str]:
        """The names of the built-in scenarios (for :meth:`play`)."""
        return self._call("scenarios")
