"""The sandbox's operations: one table, from which everything that names them is made.

Each operation is one function below, registered with :func:`operation`: its name,
its arguments (the function's signature, less the first, the :class:`Parts` it acts
on), what it does (the body: one call on the world, the fault book, the request log
or the script player), its docstring, whether a scenario step may ``do`` it and
whether its ``name`` argument is an existing deployment. From :data:`OPERATIONS`:

* :class:`~hops_widgets.sandbox.admin.Admin` dispatches ``op(**kwargs)``, for the
  in-process handle and for ``POST /_sandbox/<op>`` alike;
* :class:`~hops_widgets.sandbox.facade.Operations` gives both handles one method
  per operation, with the same signature and docstring;
* :mod:`~hops_widgets.sandbox.script` takes the operations a step may do and checks
  each step's arguments against the signature.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

from . import rest, schemas
from .faults import FaultBook
from .machine import Blueprint, ManualClock, ScenarioError, Timing, World
from .requestlog import RequestLog
from .seeds import seed

__all__ = ["OPERATIONS", "SCRIPT_OPS", "SPEC_FIELDS", "Operation", "Parts", "operation"]


class Parts(Protocol):
    """What an operation acts on (the :class:`~hops_widgets.sandbox.admin.Admin` has them)."""

    world: World
    faults: FaultBook
    log: RequestLog
    player: Any  # the ScriptPlayer of :mod:`.script`
    seeded: bool
    initial_timing: Timing
    initial_speed: float
    api_keys: dict[str, str]


@dataclass(frozen=True)
class Operation:
    """One row of the table."""

    name: str
    run: Callable[..., Any]  # run(parts, **arguments)
    signature: inspect.Signature  # the arguments, without ``parts``
    doc: str
    script: bool  # a scenario step may ``do`` it
    names_deployment: bool  # its ``name`` argument is an existing deployment
    extra: tuple[str, ...] | None  # what its ``**kwargs`` may hold in a step (None: checked another way)
    method: bool  # the handles get a method made from this row (False: they have their own)
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None  # what the handles' method does to its arguments

    def __call__(self, parts: Parts, kwargs: Mapping[str, Any]) -> Any:
        params = self.signature.parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            unknown = sorted(set(kwargs) - set(params))
            if unknown:
                raise ScenarioError(f"{self.name}() takes no {unknown}.")
        try:
            return self.run(parts, **kwargs)
        except TypeError as exc:
            raise ScenarioError(f"Bad arguments for {self.name}: {exc}") from None


OPERATIONS: dict[str, Operation] = {}


def operation(
    *,
    script: bool = False,
    names_deployment: bool = False,
    extra: tuple[str, ...] | None = (),
    method: bool = True,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the operation of its name (see the module's docstring)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)
        params = list(signature.parameters.values())[1:]  # less ``parts``
        OPERATIONS[fn.__name__] = Operation(
            name=fn.__name__,
            run=fn,
            signature=signature.replace(parameters=params),
            doc=inspect.getdoc(fn) or "",
            script=script,
            names_deployment=names_deployment,
            extra=extra,
            method=method,
            prepare=prepare,
        )
        return fn

    return register


SPEC_FIELDS = tuple(f.name for f in fields(Blueprint) if f.name != "name")


def _blueprint(name: str, spec: Mapping[str, Any]) -> Blueprint:
    try:
        return Blueprint(name=name, **spec)
    except TypeError as exc:
        raise ScenarioError(f"Bad deployment fields: {exc}") from None


def _arguments_of(method: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give an operation ``(parts, name, *args, **kwargs)`` the arguments the world's ``method``
    (``self``, the deployment's key, then these) takes after the key: one signature serves both."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        own = inspect.signature(fn)
        after_key = list(inspect.signature(method).parameters.values())[2:]
        fn.__signature__ = own.replace(parameters=[*list(own.parameters.values())[:2], *after_key])  # type: ignore[attr-defined]
        return fn

    return decorate


# ------------------------------------------------------------------ information
@operation()
def info(parts: Parts) -> dict[str, Any]:
    """Project, speed, sandbox time, timing and deployment names."""
    w = parts.world
    return {
        "project": w.project,
        "project_id": w.project_id,
        "speed": w.speed,
        "now": w.now(),
        "manual_clock": isinstance(w.clock, ManualClock),
        "timing": asdict(w.timing),
        "deployments": w.names(),
        # the keys of both roles (this answer itself needs the Data Owner key)
        "api_keys": dict(parts.api_keys),
    }


@operation()
def deployments(parts: Parts) -> list[dict[str, Any]]:
    """The serving JSON of every deployment, with no fault applied."""
    return rest.servings(parts.world)


@operation()
def deployment(parts: Parts, name: str) -> dict[str, Any]:
    """The serving JSON of ``name``, with no fault applied."""
    return rest.serving(parts.world, name)


# ------------------------------------------------------------------- population
@operation(script=True, extra=SPEC_FIELDS)
def add_deployment(parts: Parts, name: str, *, status: str = "Stopped", **spec: Any) -> dict[str, Any]:
    """Add one deployment. ``spec``: model_name, model_version, requested_instances,
    min_instances, max_instances, transformer, requested_transformer_instances,
    transformer_min_instances, model_server, description, gpus.

    Unlike a create through the REST API (a PUT, which answers 422 unless the name is
    letters and digits, as the backend does), this accepts any name on purpose: tests use
    it to play a hostile or broken server that sends names with markup or spaces."""
    ident = parts.world.add(_blueprint(name, spec), status=status)
    return rest.serving(parts.world, ident)


@operation(script=True, extra=SPEC_FIELDS)
def add_deployments(
    parts: Parts, count: int, *, prefix: str = "deployment", status: str = "Running", **spec: Any
) -> list[str]:
    """Add ``count`` deployments named ``{prefix}001``, ``{prefix}002``...; returns their names.

    With a prefix of letters and digits the names are ones a real cluster accepts."""
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10_000:
        raise ScenarioError("count must be between 0 and 10000.")
    taken = set(parts.world.names())
    names, n = [], 0
    while len(names) < count:
        n += 1
        candidate = f"{prefix}{n:03d}"
        if candidate not in taken:
            names.append(candidate)
    for name in names:
        parts.world.add(_blueprint(name, spec), status=status)
    return names


@operation(script=True, names_deployment=True)
def delete_deployment(parts: Parts, name: str) -> None:
    """Delete ``name`` at once (no Stopping first)."""
    parts.world.delete(name)


# ------------------------------------------------------------------ transitions
@operation(script=True, names_deployment=True)
def start_deployment(parts: Parts, name: str) -> str:
    """START ``name`` as a Data Owner would: only from Created or Stopped.

    Refused otherwise with :class:`LifecycleError` (the REST API's 400 / 240003), as
    the backend refuses it: a Failed deployment must be stopped first."""
    return parts.world.start(name)


@operation(script=True, names_deployment=True)
def stop_deployment(parts: Parts, name: str) -> str:
    """STOP ``name``: only from Running, Idle or Failed; refused otherwise (:class:`LifecycleError`)."""
    return parts.world.stop(name)


@operation(script=True, names_deployment=True, extra=(*SPEC_FIELDS, "new_version"))
def update_deployment(parts: Parts, name: str, **changes: Any) -> str:
    """Change configuration fields; a running deployment passes through Updating.

    The active version is edited in place; ``new_version=True`` stores the change as a new
    version (one above the highest) and makes it the active one, as ``PUT ?newVersion=true``."""
    new_version = changes.pop("new_version", False)
    return parts.world.update(name, new_version=bool(new_version), **changes)


# ------------------------------------------------------- 5.x: versions and more
@operation()
def versions(parts: Parts, name: str) -> list[dict[str, Any]]:
    """The versions of ``name``, newest first, each as ``GET .../serving/{id}/versions`` lists it."""
    w = parts.world
    report = w.report(name)
    return [rest.version_json(w, report, entry) for entry in w.versions(name)]


@operation(script=True, names_deployment=True)
def rollback(parts: Parts, name: str, version: int) -> str:
    """Make version ``version`` of ``name`` the active one again (``POST .../rollback``).

    A running deployment passes through Updating; refused while Starting or Stopping.
    Returns ``"updating"``, ``"saved"`` or ``"active"`` (it already was)."""
    return parts.world.rollback(name, version)


@operation(script=True, names_deployment=True)
def crash_loop(
    parts: Parts, name: str, instance: int | str = 0, *, every_s: float = 10.0, component: str = "predictor"
) -> str:
    """Make a live instance of ``name`` crash-loop: its container restarts every ``every_s`` sandbox
    seconds (the logs' ``restartCount`` climbs, each run ends in a traceback and leaves an archive)
    while the status stays Running. A stop, update or rollback ends it. Returns the instance's name."""
    return parts.world.crash_loop(name, instance, every_s=every_s, component=component)


@operation(script=True, names_deployment=True)
def set_missing_tags(parts: Parts, name: str, tags: list[Any]) -> list[dict[str, Any]]:
    """Set the mandatory tags ``name`` lacks (its ``missingMandatoryTags``): names or
    ``{"name": ...}`` objects; ``[]`` clears them."""
    return parts.world.set_missing_tags(name, tags)


@operation(script=True, names_deployment=True)
def set_schema(parts: Parts, name: str, schema: Any = "fraud") -> str | None:
    """Give ``name`` a deployment schema: a document (servingKeys, passedFeatures, ...; ``example``: a
    request body), a built-in one by name (``"fraud"``, ``"churn"``), or None for none. Returns its id.

    A change of configuration like any other (a running deployment passes through Updating). The
    SDK then checks every prediction against it before sending (5.2): set it where requests fit it."""
    if isinstance(schema, str):
        if schema not in schemas.BUILTIN:
            raise ScenarioError(f"No built-in schema {schema!r}; use one of {sorted(schemas.BUILTIN)}.")
        schema = copy.deepcopy(schemas.BUILTIN[schema])
    if schema is not None and not isinstance(schema, dict):
        raise ScenarioError("schema must be an object, a built-in name or None.")
    try:
        if schema is not None:
            schemas.schema_id(schema)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ScenarioError(f"Bad schema document: {exc!r}") from None
    parts.world.update(name, schema=schema)
    return None if schema is None else schemas.schema_id(schema)


@operation()
def log_archives(parts: Parts, name: str) -> list[dict[str, Any]]:
    """The log archives ``name``'s instances left (what ``download_logs`` fetches): name, content, wall."""
    return parts.world.archives(name)


LLM_SCALING = {
    "autoscaler": "KEDA",
    "scaleMetric": "QUEUE_DEPTH",
    "target": 5,
    "additionalScaleMetrics": [
        {"scaleMetric": "KV_CACHE_USAGE", "target": 80},
        {"scaleMetric": "TIME_TO_FIRST_TOKEN", "target": 500},
    ],
    "scaleUpStabilizationWindowSeconds": 0,
    "scaleDownStabilizationWindowSeconds": 600,
    "coldStartTimeoutSeconds": 900,
}


@operation(script=True)
def add_llm_deployment(
    parts: Parts, name: str = "chatassistant", *, status: str = "Running", model_name: str = "qwen_chat"
) -> dict[str, Any]:
    """Add a vLLM deployment (model server VLLM, KEDA scaling on the vLLM metrics) that runs:
    ``get_openai_url()`` names it and ``.../v1/chat/completions`` answers, whole or streamed."""
    spec = {
        "model_name": model_name,
        "model_version": 1,
        "model_server": "VLLM",
        "gpus": 1,
        "max_instances": 2,
        "description": "A chat model served by vLLM behind an OpenAI-compatible API",
        "scaling": dict(LLM_SCALING),
    }
    ident = parts.world.add(_blueprint(name, spec), status=status)
    return rest.serving(parts.world, ident)


@operation(script=True, names_deployment=True)
def predict(parts: Parts, name: str) -> str:
    """Send an inference request to ``name`` (wakes an idle deployment)."""
    return parts.world.infer(name)


@operation(script=True, names_deployment=True)
@_arguments_of(World.fail)
def fail(parts: Parts, name: str, *args: Any, **kwargs: Any) -> str:
    """Make ``name`` fail at ``step`` (SCHEDULED, INITIALIZED, STARTED, READY) with ``reason``.

    The start in progress fails when it reaches ``step``, else the next one; ``now=True``
    fails it at once; ``sticky=True`` fails every later start too. ``heals_after``
    (sandbox seconds): the cause goes away that long after the failure, and the
    deployment recovers *by itself*, reading Starting then Running with no action by
    anyone (see :meth:`resolve`)."""
    return parts.world.fail(name, *args, **kwargs)


@operation(script=True, names_deployment=True)
def heal(parts: Parts, name: str) -> None:
    """Forget failures planned for ``name``."""
    parts.world.heal(name)


@operation(script=True, names_deployment=True)
def resolve(parts: Parts, name: str) -> str:
    """The cause of ``name``'s failure goes away now: a Failed deployment recovers by itself.

    As on a real cluster (an unschedulable pod finally placed), the next reads report
    Starting, from the step after the one that failed, then Running; nobody starts it.
    Failures planned for later starts are forgotten too. Returns ``"starting"``, or
    ``"cleared"`` if it was not Failed."""
    return parts.world.resolve(name)


@operation(script=True, names_deployment=True)
def storage_retry(parts: Parts, name: str, restarts: int = 3, *, retry_s: float | None = None) -> str:
    """Make the storage initializer of ``name``'s start fail ``restarts`` times.

    While it retries, ``name`` reads Starting with condition STOPPED / null (being
    prepared), as the backend reports while the pod restarted at most twice. With
    ``restarts`` <= 2 the start then goes on to Running; with 3 or more it ends Failed,
    INITIALIZED / false. Each retry lasts ``retry_s`` sandbox seconds (one start step by
    default). Applies to the start in progress if it is still at SCHEDULED, else to the
    next start. Returns ``"armed"`` or ``"armed_for_next_start"``."""
    return parts.world.storage_retry(name, restarts, retry_s=retry_s)


_STATE_VALUES = ("condition", "available_instances", "available_transformer_instances")


@operation(script=True, names_deployment=True, extra=_STATE_VALUES)
def set_state(parts: Parts, name: str, status: Any, **values: Any) -> dict[str, Any]:
    """Pin the reported state: ``status`` plus optional ``condition`` (a dict or None),
    ``available_instances``, ``available_transformer_instances``. Odd values are sent as given."""
    unknown = set(values) - set(_STATE_VALUES)
    if unknown:
        raise ScenarioError(f"set_state takes no {sorted(unknown)}.")
    parts.world.set_state(name, status, **values)
    return rest.serving(parts.world, name)


# ------------------------------------------------------------------------- logs
@operation(script=True, names_deployment=True)
def append_log(
    parts: Parts, name: str, text: str, *, component: str = "predictor", instance: int | str | None = None
) -> list[str]:
    """Print ``text`` (one line or several, sent as given: ANSI codes, ``\\r``, markup) from a live
    instance of ``component`` now. ``instance``: a name, an index among the live ones, or ``"all"``;
    the first live one by default. Returns the names written to."""
    return parts.world.append_log(name, text, component=component, instance=instance)


@operation()
def log_lines(parts: Parts, name: str, component: str | None = None) -> list[dict[str, Any]]:
    """Every line ``name`` printed so far, oldest first: instance, component, time, at, text."""
    return parts.world.log_lines(name, component)


@operation()
def instances(parts: Parts, name: str, component: str | None = None) -> list[str]:
    """Names of the live instances (the ones the kubernetes log source reads)."""
    return parts.world.instances(name, component)


# ------------------------------------------------------------------------ clock
@operation()
def advance(parts: Parts, seconds: float) -> float:
    """Move a manual clock on (sandbox seconds at speed 1)."""
    clock = parts.world.clock
    if not isinstance(clock, ManualClock):
        raise ScenarioError("advance() needs a sandbox started with a ManualClock.")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ScenarioError("seconds must be a number >= 0.")
    clock.advance(float(seconds))
    return parts.world.now()


@operation()
def set_speed(parts: Parts, speed: float) -> float:
    """Divide every duration by ``speed`` from now on; returns the new speed."""
    parts.world.set_speed(speed)
    return parts.world.speed


@operation(script=True, extra=tuple(f.name for f in fields(Timing)))
def set_timing(parts: Parts, **durations: float) -> dict[str, float]:
    """Change durations: step_s, stop_step_s, update_s, cold_start_s, creating_s, retention_s."""
    return asdict(parts.world.set_timing(**durations))


# ----------------------------------------------------------------------- faults
def _endpoints_as_list(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Send ``endpoint`` as a list when it is several (any iterable), so it travels as JSON."""
    endpoint = kwargs.get("endpoint")
    if endpoint is not None and not isinstance(endpoint, str):
        kwargs["endpoint"] = list(endpoint)
    return kwargs


@operation(script=True, extra=None, prepare=_endpoints_as_list)
def add_fault(
    parts: Parts,
    kind: str,
    *,
    deployment: str | None = None,
    endpoint: Any = None,
    path: str | None = None,
    method: str | None = None,
    times: int | None = None,
    **params: Any,
) -> int:
    """Add a fault of ``kind`` (see ``FAULT_KINDS``) for the requests the filters match; returns its id."""
    where = {"deployment": deployment, "endpoint": endpoint, "path": path, "method": method, "times": times}
    return parts.faults.add(kind, **where, **params)


@operation()
def faults(parts: Parts) -> list[dict[str, Any]]:
    """The active faults, oldest first, each with its id, kind, filters, params and hits."""
    return parts.faults.list()


@operation()
def clear_fault(parts: Parts, fault_id: int) -> bool:
    """Remove the fault ``fault_id``; False if there was none."""
    return parts.faults.remove(fault_id)


@operation(script=True)
def clear_faults(parts: Parts) -> None:
    """Remove every fault."""
    parts.faults.clear()


# ------------------------------------------------------------------ request log
@operation()
def requests(
    parts: Parts,
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
    return parts.log.select(
        path_contains=path_contains, method=method, status=status, endpoint=endpoint, deployment=deployment
    )


@operation()
def clear_log(parts: Parts) -> None:
    """Empty the request log; this also sets the backend cost back to zero."""
    parts.log.clear()


@operation()
def backend_cost(parts: Parts) -> dict[str, Any]:
    """What the requests so far cost the real backend, in deployment *states* computed.

    The backend computes each deployment's state from Kubernetes on every read, so it
    is priced in states, not requests: a list costs one per deployment it returns after
    the ``model``/``modelVersion`` filters (the ``status`` filter is applied after
    computing), a get (by id or by name) one, logs one plus one per pod read, a start,
    stop, update or delete of a deployed one one each. Answers refused before the
    backend looks (401, 403, 404 project, injected faults) cost nothing. Returns
    ``{"total": int, "by_endpoint": {endpoint: int}}``; :meth:`reset_cost` (or
    :meth:`clear_log`) starts again from zero."""
    return parts.log.cost()


@operation()
def reset_cost(parts: Parts) -> None:
    """Set the backend cost counter back to zero (the request log is kept)."""
    parts.log.reset_cost()


# ---------------------------------------------------------------------- scripts
@operation(method=False)
def play(parts: Parts, script: Any, chapter: str | None = None, source: str | None = None) -> dict[str, Any]:
    """Play a scenario sent as a JSON object (``source`` names it in messages) or a built-in name.

    A path is refused: over HTTP the sandbox would be opening files for its callers. The
    handles read files themselves and send what they hold."""
    return parts.player.play_sent(script, chapter, source)


@operation()
def script_progress(parts: Parts) -> dict[str, Any]:
    """The playing script's steps, each with chapter, at (sandbox time), do, name, say,
    state (pending, done, failed, skipped), and result or error."""
    return parts.player.progress()


@operation()
def stop_script(parts: Parts) -> dict[str, Any]:
    """Stop the script; steps not yet run are skipped. Returns the final progress."""
    return parts.player.stop()


@operation()
def scenarios(parts: Parts) -> list[str]:
    """The names of the built-in scenarios (for :meth:`play`)."""
    return parts.player.builtin_names()


@operation()
def reset(parts: Parts) -> None:
    """Stop any script, seed deployments again, remove every fault, empty the log."""
    parts.player.stop()
    parts.faults.clear()
    parts.log.clear()
    parts.world.clear()
    parts.world.timing = parts.initial_timing
    parts.world.set_speed(parts.initial_speed)
    if parts.seeded:
        seed(parts.world)


# The operations a step may ``do``: the ones that change deployments or faults. Left out on
# purpose: reads (info, deployments, requests, ...), the clock (advance, set_speed: a script
# runs on the clock, it does not drive it), reset and clear_log (they would erase the scene
# the script is building), and the script operations themselves (play, stop_script, ...).
SCRIPT_OPS = tuple(name for name, op in OPERATIONS.items() if op.script)
