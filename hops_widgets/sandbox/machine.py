"""The sandbox's deployments and the state machine that moves them, on a clock.

Nothing here runs on its own: there is no ticker thread. Every deployment
remembers which phase it is in and when that phase began; the state reported
at any moment is computed from the clock when somebody asks, and phases that
have run their course are settled first. That makes the machine deterministic
under a :class:`ManualClock` (tests step it) and cheap under the real one.

All durations are in *sandbox seconds*; the speed factor maps real seconds to
sandbox seconds (speed 10 means a 1.5 s step takes 0.15 s of real time).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

from . import logs as _logs

__all__ = [
    "CONDITION_TYPES",
    "STATUSES",
    "Blueprint",
    "LifecycleError",
    "ManualClock",
    "Report",
    "ScenarioError",
    "Timing",
    "World",
]

STATUSES = ("Creating", "Created", "Starting", "Running", "Idle", "Failed", "Updating", "Stopping", "Stopped")
CONDITION_TYPES = ("STOPPED", "SCHEDULED", "INITIALIZED", "STARTED", "READY")
START_STEPS = ("SCHEDULED", "INITIALIZED", "STARTED", "READY")

# The start walk, as the backend reports it: each step is only ever *in progress* (None);
# a step that is done is not reported as done, the next step's in-progress condition
# replaces it (KubeServingUtils.getDeploymentCondition). READY done is the Running state
# itself. Each entry lasts half a step, seven halves in all.
_START_WALK: tuple[tuple[str, bool | None, str], ...] = (
    ("SCHEDULED", None, "Asking the cluster for room to place the instances"),
    ("INITIALIZED", None, "The instances have a node; pulling the container images"),
    ("INITIALIZED", None, "Copying the model files and mounting volumes"),
    ("STARTED", None, "Booting the model server and loading the scripts"),
    ("STARTED", None, "Loading the model into the server"),
    ("READY", None, "Wiring the network route to the instances"),
    ("READY", None, "Waiting for the instances to pass their readiness checks"),
)
_STOP_WALK: tuple[tuple[str, bool | None, str], ...] = (
    ("SCHEDULED", None, "Releasing the instances' place on the cluster"),
    ("STOPPED", None, "Shutting the instances down"),
)
_UPDATE_WALK: tuple[tuple[str, bool | None, str], ...] = (
    ("STARTED", None, "Rolling the new configuration out to the instances"),
    ("READY", None, "Moving traffic over to the updated instances"),
)
STORAGE_RETRY_REASON = "The storage initializer could not copy the model files and is being retried (restart {n})"
STORAGE_FAILED_REASON = "The storage initializer kept failing: it gave up after three restarts"
STORAGE_MAX_RESTARTS = 2  # the backend reports Starting while a pod restarted at most this often
REASON_RUNNING = "Serving requests"
REASON_IDLE = "Scaled to zero after a quiet spell; the next request wakes it up"
REASON_STOPPED = "Not running; nothing is allocated"
REASON_CREATED = "Created and never started"
REASON_CREATING = "Getting the deployment ready to be started"
DEFAULT_FAILURES = {
    "SCHEDULED": "Failed to be scheduled: no node has enough free CPU or memory for the instances",
    "INITIALIZED": "Failed to initialize: the container image could not be pulled",
    "STARTED": "Failed to run: the predictor script exited with code 1",
    "READY": "Failed to setup connectivity: the network route was not accepted",
}

# Why START / STOP is refused in each reported status (KubeServingController start/stop), in our words.
_START_REFUSALS = {
    "creating": (
        "The deployment {name} is still being prepared and cannot be started yet; try again once it reads Created."
    ),
    "starting": "The deployment {name} is already starting; wait until it is Running.",
    "running": "The deployment {name} is already started. To start it afresh, stop it first (or restart it).",
    "idle": "The deployment {name} is already started: it is Idle (scaled to zero) and the next request wakes it up.",
    "updating": "The deployment {name} is already started and is rolling out an update; wait until it is Running.",
    "stopping": "The deployment {name} is stopping; wait until it reads Stopped, then start it.",
    "failed": (
        "The deployment {name} has failed, and a failed deployment cannot be started: "
        "stop it first, then start it again (or restart it)."
    ),
}
_STOP_REFUSALS = {
    "creating": "The deployment {name} is already stopped: it is still being prepared and has never run.",
    "created": "The deployment {name} is already stopped: it has never been started.",
    "stopped": "The deployment {name} is already stopped.",
    "stopping": "The deployment {name} is already stopping; it reads Stopped in a moment.",
    "starting": "The deployment {name} is starting and cannot be stopped yet; wait until it is Running, then stop it.",
    "updating": (
        "The deployment {name} is rolling out an update and cannot be stopped yet; "
        "wait until it is Running, then stop it."
    ),
}

# internal phases
CREATING, CREATED, STARTING, RUNNING, IDLE, COLD_START = "creating", "created", "starting", "running", "idle", "cold"
UPDATING, STOPPING, STOPPED, FAILED, PINNED = "updating", "stopping", "stopped", "failed", "pinned"
_STATUS_TO_PHASE = {
    "creating": CREATING,
    "created": CREATED,
    "starting": STARTING,
    "running": RUNNING,
    "idle": IDLE,
    "failed": FAILED,
    "updating": UPDATING,
    "stopping": STOPPING,
    "stopped": STOPPED,
}


class ScenarioError(ValueError):
    """A scenario or admin request that cannot be honoured (unknown deployment, bad argument)."""

    status_code = 400
    error_code = 240001

    def __init__(self, message: str, *, status_code: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        if error_code is not None:
            self.error_code = error_code


class NotFound(ScenarioError):
    status_code = 404
    error_code = 240000


class LifecycleError(ScenarioError):
    """An action the backend refuses in the current state (its LIFECYCLE_ERROR, 240003).

    ``str(error)`` says why and what to do (the REST answer's ``usrMsg``); ``summary`` is
    the general ``errorMsg``.
    """

    status_code = 400
    error_code = 240003
    summary = "The deployment cannot be started or stopped in its current state."

    def __init__(self, message: str, *, summary: str | None = None, **codes: Any) -> None:
        super().__init__(message, **codes)
        if summary is not None:
            self.summary = summary


class ManualClock:
    """A clock that only moves when told to: ``clock.advance(2.5)``."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock(now={self():.3f})"


@dataclass(frozen=True)
class Timing:
    """Durations in sandbox seconds (divide by the speed factor for real time)."""

    step_s: float = 1.5  # one start step; the walk is 7 half-steps: SCHEDULED 1, INITIALIZED, STARTED, READY 2 each
    stop_step_s: float = 1.0  # each of the two stop steps
    update_s: float = 3.0
    cold_start_s: float = 3.0
    creating_s: float = 2.0
    retention_s: float = 30.0  # quiet time before a scale-to-zero deployment goes idle

    @property
    def start_s(self) -> float:
        """How long a start takes from the request to Running."""
        return len(_START_WALK) * self.step_s / 2

    @property
    def stop_s(self) -> float:
        return len(_STOP_WALK) * self.stop_step_s

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timing:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ScenarioError(f"Unknown timing fields: {sorted(unknown)}")
        values = {k: float(v) for k, v in data.items()}
        if any(v < 0 for v in values.values()):
            raise ScenarioError("Durations cannot be negative.")
        return cls(**values)


@dataclass
class Blueprint:
    """What a deployment is (its configuration), as opposed to where it is in its life."""

    name: str
    model_name: str | None = None
    model_version: int | None = 1
    requested_instances: int = 1
    min_instances: int = 1
    max_instances: int | None = None
    transformer: bool = False
    requested_transformer_instances: int = 1
    transformer_min_instances: int = 1
    model_server: str = "PYTHON"
    description: str = ""
    gpus: int = 0
    # scaling fields beyond min/max, in the wire's camelCase (autoscaler, scaleMetric, target,
    # additionalScaleMetrics, idleScaleToZero, coldStartTimeoutSeconds, ...): see rest.scaling_json
    scaling: dict[str, Any] | None = None
    # the deployment schema document (servingKeys, passedFeatures, ...; "example": one request body)
    schema: dict[str, Any] | None = None

    def check(self) -> None:
        if not isinstance(self.name, str) or not self.name or len(self.name) > 200 or "/" in self.name:
            raise ScenarioError(f"Bad deployment name {self.name!r}.")
        for key in (
            "requested_instances",
            "min_instances",
            "requested_transformer_instances",
            "transformer_min_instances",
            "gpus",
        ):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ScenarioError(f"{key} must be a whole number >= 0, not {value!r}.")
        if self.max_instances is not None and (
            not isinstance(self.max_instances, int) or self.max_instances < self.min_instances
        ):
            raise ScenarioError("max_instances must be a whole number >= min_instances.")
        for key in ("scaling", "schema"):
            if getattr(self, key) is not None and not isinstance(getattr(self, key), dict):
                raise ScenarioError(f"{key} must be an object (or None), not {getattr(self, key)!r}.")


@dataclass
class Version:
    """One configuration version of a deployment (5.2's deployment versions)."""

    number: int
    created: str
    spec: Blueprint
    updated: str | None = None  # set when the version was edited in place


@dataclass
class _Record:
    id: int
    spec: Blueprint
    created: str
    phase: str = STOPPED
    since: float = 0.0  # sandbox time the phase began
    last_request: float = 0.0  # last inference request, for scale-to-zero
    ramp_from: tuple[int, int] = (0, 0)  # instances when a stop / update began
    failure: tuple[str, str] | None = None  # (type, reason) while FAILED
    armed: tuple[str, str] | None = None  # failure for the start in progress
    next_failure: tuple[str, str, bool] | None = None  # (type, reason, sticky) for the next start
    pinned: dict[str, Any] | None = None  # state set directly by a scenario
    revision: int = 1  # a counter, for the pods' names
    revision_id: str | None = None  # the opaque revision the API reports (None until the first start)
    deployed: str | None = None  # set by START, cleared by STOP (so it stays set while Failed)
    storage: tuple[int, float] | None = None  # (restarts, seconds each) of the start in progress
    next_storage: tuple[int, float] | None = None  # the same, for the next start
    heal_after: float | None = None  # the coming failure's cause goes away this long after it happens
    heal_at: float | None = None  # while FAILED: when the cause goes away by itself
    pod_logs: _logs.PodLogs | None = None  # its instances and their log lines
    versions: list[Version] = field(default_factory=list)  # every configuration it had, oldest first
    active: int = 1  # the number of the version it runs
    missing_tags: list[dict[str, Any]] = field(default_factory=list)  # mandatory tags not set

    def clear_failure(self) -> None:
        """A start, a stop or a recovery begins: no pinned state, no failure, none armed, none healing."""
        self.pinned = self.failure = self.armed = self.heal_at = None

    def forget_plans(self) -> None:
        """No failure armed or planned for a start, no storage retries planned, no heal planned."""
        self.armed = self.next_failure = self.next_storage = self.heal_after = None


@dataclass(frozen=True)
class View:
    """The state of one deployment at one moment."""

    status: str
    condition: tuple[str, bool | None, str] | None
    available: int | None
    available_transformer: int | None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """One deployment as the backend reports it at one moment: its configuration and its :class:`View`."""

    id: int
    spec: Blueprint
    created: str
    revision: str | None  # the opaque revision id (None until the first start)
    deployed: str | None
    view: View
    version: int = 1  # the active configuration version
    missing_tags: tuple[dict[str, Any], ...] = ()


def _iso(ts: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


class World:
    """Every deployment of the one sandbox project, behind one lock.

    ``clock`` returns real seconds (``time.monotonic`` or a :class:`ManualClock`);
    ``speed`` multiplies them into sandbox seconds and can change while running.
    """

    def __init__(
        self,
        *,
        project: str = "demo",
        project_id: int = 119,
        username: str = "sandbox_user",
        clock: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        timing: Timing | None = None,
    ) -> None:
        if speed <= 0:
            raise ScenarioError("speed must be > 0")
        self.project = project
        self.project_id = project_id
        self.username = username
        self.clock = clock
        self.timing = timing or Timing()
        self._lock = threading.RLock()
        self._speed = float(speed)
        self._real0 = clock()
        self._virtual0 = 0.0
        self._records: dict[int, _Record] = {}
        self._by_name: dict[str, int] = {}
        self._next_id = 1
        self._wall0 = time.time()
        self._clock0 = self._real0
        self._salt = f"{id(self):x}{self._wall0:.6f}"  # pod names and document ids differ between worlds
        self._as_of: float | None = None  # set by as_of(): the time now() reports to the lock's holder

    # ------------------------------------------------------------------ time
    @property
    def lock(self) -> threading.RLock:
        """The world's one lock (re-entrant): hold it to make several changes at one moment."""
        return self._lock

    def now(self) -> float:
        """Sandbox seconds since the world was made (or the moment :meth:`as_of` fixed)."""
        with self._lock:
            if self._as_of is not None:
                return self._as_of
            return self._live_now()

    def _live_now(self) -> float:
        return self._virtual0 + (self.clock() - self._real0) * self._speed

    @contextlib.contextmanager
    def as_of(self, at: float) -> Iterator[None]:
        """Run the block as if sandbox time were ``at``, holding the lock.

        The world is lazy: a change made late (when somebody happens to look)
        would otherwise date from that look. A scripted step due at ``at`` is
        applied inside ``as_of(at)`` so that its phases begin exactly then, and
        the states read afterwards do not depend on when the reads came.
        Every read of the time goes through :meth:`now` under the lock, so
        other threads wait for the block and never see the fixed moment.
        """
        with self._lock:
            previous = self._as_of
            self._as_of = float(at)
            try:
                yield
            finally:
                self._as_of = previous

    def wall_of(self, at: float) -> float:
        """The epoch time (for log timestamps) at which sandbox second ``at`` happens, at today's speed."""
        with self._lock:
            real = self._real0 + (at - self._virtual0) / self._speed
            return self._wall0 + (real - self._clock0)

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not speed > 0:
            raise ScenarioError("speed must be a number > 0")
        with self._lock:
            self._virtual0 = self._live_now()  # not a moment fixed by as_of: the clock's own
            self._real0 = self.clock()
            self._speed = float(speed)

    def set_timing(self, **changes: float) -> Timing:
        with self._lock:
            merged = {f.name: getattr(self.timing, f.name) for f in fields(Timing)}
            merged.update(changes)
            self.timing = Timing.from_dict(merged)
            return self.timing

    # ------------------------------------------------------------ registry
    @property
    def namespace(self) -> str:
        return self.project.lower().replace("_", "-")

    def names(self) -> list[str]:
        with self._lock:
            return [r.spec.name for r in self._records.values()]

    def find(self, name: str) -> int | None:
        with self._lock:
            return self._by_name.get(name)

    def name_of(self, ident: int) -> str | None:
        with self._lock:
            record = self._records.get(ident)
            return record.spec.name if record is not None else None

    def _get(self, key: int | str) -> _Record:
        ident = self._by_name.get(key) if isinstance(key, str) else key
        record = self._records.get(ident) if ident is not None else None
        if record is None:
            raise NotFound(f"No deployment {key!r} in project {self.project}.")
        return record

    def add(
        self,
        spec: Blueprint,
        *,
        status: str = "Stopped",
        failure: tuple[str, str] | None = None,
        ident: int | None = None,
    ) -> int:
        """Add a deployment; ``ident`` gives it a free id of one's choosing (a scenario making a
        deployment anew keeps its old id, so that views opened on it follow it)."""
        spec.check()
        phase = _STATUS_TO_PHASE.get(str(status).lower())
        if phase is None:
            raise ScenarioError(f"Cannot create a deployment in status {status!r}; use set_state for odd ones.")
        with self._lock:
            if spec.name in self._by_name:
                raise ScenarioError(f"A deployment named {spec.name!r} already exists.", error_code=240011)
            if ident is not None and (isinstance(ident, bool) or not isinstance(ident, int) or ident < 1):
                raise ScenarioError(f"A deployment id is a whole number >= 1, not {ident!r}.")
            if ident is not None and ident in self._records:
                raise ScenarioError(f"The deployment id {ident} is taken.")
            now = self.now()
            new_id = self._next_id if ident is None else ident
            record = _Record(id=new_id, spec=spec, created=_iso(), phase=phase, since=now, last_request=now)
            record.versions.append(Version(1, record.created, copy.deepcopy(spec)))
            if phase == FAILED:
                record.failure = failure or ("SCHEDULED", DEFAULT_FAILURES["SCHEDULED"])
            if phase in (RUNNING, IDLE, UPDATING, STARTING, FAILED):
                record.deployed = _iso()
            if phase not in (CREATING, CREATED):  # it was started once: it has a revision
                record.revision_id = self._new_revision(record)
            if phase == UPDATING:
                record.ramp_from = (spec.requested_instances, spec.requested_transformer_instances)
            self._next_id = max(self._next_id, new_id + 1)
            self._records[record.id] = record
            self._by_name[spec.name] = record.id
            record.pod_logs = _logs.PodLogs(record.id, self.wall_of, self._salt)
            self._log_history(record, now)
            return record.id

    def _log_history(self, record: _Record, now: float) -> None:
        """The logs a deployment added in the middle of its life already has."""
        pod_logs, t = record.pod_logs, self.timing
        if record.phase in (RUNNING, IDLE, UPDATING):
            self._boot(record, now - t.start_s - 1.0)
            if record.phase == IDLE:
                pod_logs.shutdown(
                    self._context(record), self._idle_pods(record, now - 0.5), now - 0.5, now - 0.1, why="idle"
                )
        elif record.phase == STARTING:
            self._boot_walk(record, now)
        elif record.phase == FAILED and record.failure is not None:
            step, reason = record.failure
            pod_logs.fail(self._context(record, reason), step, now, alive_only=False)

    def _context(self, record: _Record, reason: str = "") -> _logs.Context:
        spec = record.spec
        return _logs.Context(
            deployment=spec.name,
            project=self.project,
            namespace=self.namespace,
            model=spec.model_name or spec.name.replace("-", "_"),
            version=spec.model_version,
            model_server=spec.model_server,
            transformer_script=f"/Projects/{self.project}/Resources/{spec.name}_transformer.py",
            reason=reason,
        )

    def _boot(
        self,
        record: _Record,
        t0: float,
        length: float | None = None,
        *,
        windows: tuple[float, ...] | None = None,
        transformers: bool = True,
    ) -> list:
        """Write a start beginning at ``t0``: the start walk's pace, or squeezed into ``length`` seconds."""
        spec = record.spec
        half = self.timing.step_s / 2
        if length is not None:
            windows = tuple(t0 + length * k / 7 for k in range(1, 8))
        return record.pod_logs.boot(
            self._context(record),
            t0,
            half,
            predictors=spec.requested_instances,
            transformers=spec.requested_transformer_instances if spec.transformer and transformers else 0,
            revision=record.revision,
            windows=windows,
        )

    def _idle_pods(self, record: _Record, at: float) -> list:
        scale_transformer = record.spec.transformer_min_instances == 0
        alive = record.pod_logs.alive(at)
        return [p for p in alive if p.component == "predictor" or (scale_transformer and p.born <= at)]

    def delete(self, key: int | str) -> None:
        with self._lock:
            record = self._get(key)
            del self._records[record.id]
            del self._by_name[record.spec.name]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._by_name.clear()
            self._next_id = 1

    # ------------------------------------------------------------- actions
    def _new_revision(self, record: _Record) -> str:
        """An opaque 8-digit revision id, as the backend makes one on every (re)deploy."""
        digest = hashlib.sha256(f"{self._salt}|{record.id}|{record.revision}".encode()).hexdigest()
        return f"{int(digest[:12], 16) % 10**8:08d}"

    def _reported(self, record: _Record) -> str:
        """The status word the API would report now (the pinned one for a pinned deployment)."""
        view = self._view(record, self.now())
        return str(view.status)

    def _allowed(self, key: int | str, refusals: Mapping[str, str]) -> _Record:
        """The settled record of ``key``; a :class:`LifecycleError` if ``refusals`` has its reported status."""
        record = self._settled(key)
        refusal = refusals.get(self._reported(record).lower())
        if refusal is not None:
            raise LifecycleError(refusal.format(name=record.spec.name))
        return record

    def start(self, key: int | str) -> str:
        """The START action, refused as the backend refuses it (:class:`LifecycleError`, 400 / 240003).

        Accepted only from Created and Stopped; returns ``"starting"``.
        """
        with self._lock:
            record = self._allowed(key, _START_REFUSALS)
            self._enter(record, STARTING)
            record.clear_failure()
            record.deployed = _iso()
            record.revision += 1
            record.revision_id = self._new_revision(record)
            if record.next_failure is not None:
                step, reason, sticky = record.next_failure
                record.armed = (step, reason)
                if not sticky:
                    record.next_failure = None
            record.storage, record.next_storage = record.next_storage, None
            start_at = record.since
            record.pod_logs.cut(start_at)
            record.pod_logs.shutdown(self._context(record), record.pod_logs.alive(start_at), start_at, start_at)
            self._boot_walk(record, start_at)
            return "starting"

    def stop(self, key: int | str) -> str:
        """The STOP action, refused as the backend refuses it; accepted from Running, Idle and Failed."""
        with self._lock:
            record = self._allowed(key, _STOP_REFUSALS)
            view = self._view(record, self.now())
            available = view.available if isinstance(view.available, int) else 0
            available_t = view.available_transformer if isinstance(view.available_transformer, int) else 0
            record.ramp_from = (available, available_t)
            self._enter(record, STOPPING)
            record.clear_failure()
            record.storage = None
            record.deployed = None
            at = record.since
            record.pod_logs.cut(at)
            record.pod_logs.shutdown(self._context(record), record.pod_logs.alive(at), at, at + self.timing.stop_s)
            return "stopping"

    def update(self, key: int | str, *, new_version: bool = False, **changes: Any) -> str:
        """Change the configuration; a deployed one (Running, Idle, Failed) is redeployed through Updating.

        The active version is edited in place, or with ``new_version`` the configuration becomes
        a new version, one above the highest, and the active one (a change of nothing makes none).
        This is the scenario form and accepts any state; the REST PUT refuses an update
        while Starting or Updating (500 / 240002), as the backend does.
        """
        with self._lock:
            record = self._settled(key)
            allowed = {f.name for f in fields(Blueprint)} - {"name"}
            unknown = set(changes) - allowed
            if unknown:
                raise ScenarioError(f"Cannot update {sorted(unknown)}.")
            spec = replace(record.spec, **changes)
            spec.check()
            active = self._version(record, record.active)
            if new_version and spec != active.spec:
                number = max(v.number for v in record.versions) + 1
                record.versions.append(Version(number, _iso(), copy.deepcopy(spec)))
                record.active = number
            elif spec != active.spec:
                active.spec = copy.deepcopy(spec)
                active.updated = _iso()
            return self._redeploy(record, spec)

    def _redeploy(self, record: _Record, spec: Blueprint) -> str:
        view = self._view(record, self.now())
        record.spec = spec
        if record.phase in (RUNNING, IDLE, UPDATING, COLD_START, FAILED):
            record.revision += 1
            record.revision_id = self._new_revision(record)
            record.ramp_from = (view.available or 0, view.available_transformer or 0)
            record.failure = None
            record.heal_at = None
            self._enter(record, UPDATING)
            at, length = record.since, self.timing.update_s
            record.pod_logs.cut(at)
            old = record.pod_logs.alive(at)
            self._boot(record, at, length / 2)
            record.pod_logs.shutdown(self._context(record), old, at + length / 2, at + length)
            return "updating"
        return "saved"

    @staticmethod
    def _version(record: _Record, number: int) -> Version:
        for version in record.versions:
            if version.number == number:
                return version
        raise ScenarioError(
            f"The deployment {record.spec.name!r} has no version {number!r}.", status_code=404, error_code=240038
        )

    def versions(self, key: int | str) -> list[dict[str, Any]]:
        """Every configuration version, newest first: number, created, updated, active, spec (a Blueprint)."""
        with self._lock:
            record = self._settled(key)
            return [
                {
                    "number": v.number,
                    "created": v.created,
                    "updated": v.updated,
                    "active": v.number == record.active,
                    "spec": copy.deepcopy(v.spec),
                }
                for v in sorted(record.versions, key=lambda v: v.number, reverse=True)
            ]

    def rollback(self, key: int | str, version: int) -> str:
        """Make an earlier version the active one again; a deployed one is redeployed through Updating.

        Nothing is copied: the version keeps its number. Refused while Starting or Stopping
        (500 / 240002); accepted while Updating, the rollout replaced by the version's.
        Returns ``"updating"``, ``"saved"``, or ``"active"`` when it already was the active one.
        """
        if isinstance(version, bool) or not isinstance(version, int):
            raise ScenarioError(f"version must be a whole number, not {version!r}.")
        with self._lock:
            record = self._settled(key)
            target = self._version(record, version)
            if record.active == version:
                return "active"
            status = self._reported(record).lower()
            if status in ("starting", "stopping"):
                raise LifecycleError(
                    f"The deployment {record.spec.name} is {status} and cannot be rolled back yet; "
                    "wait until it is Running or Stopped.",
                    summary="The deployment could not be rolled back.",
                    status_code=500,
                    error_code=240002,
                )
            record.active = version
            return self._redeploy(record, copy.deepcopy(target.spec))

    def set_missing_tags(self, key: int | str, tags: Iterable[Any]) -> list[dict[str, Any]]:
        """Set the mandatory tags ``key`` lacks (names or ``{"name": ...}`` objects); returns them."""
        out: list[dict[str, Any]] = []
        for tag in tags:
            if isinstance(tag, str) and tag:
                out.append({"name": tag})
            elif isinstance(tag, Mapping) and isinstance(tag.get("name"), str):
                out.append(dict(tag))
            else:
                raise ScenarioError(f"A missing tag is a name or an object with a name, not {tag!r}.")
        with self._lock:
            self._get(key).missing_tags = out
            return copy.deepcopy(out)

    def crash_loop(
        self, key: int | str, instance: int | str = 0, *, every_s: float = 10.0, component: str = "predictor"
    ) -> str:
        """Make one live instance's container crash and restart every ``every_s`` sandbox seconds.

        The status does not change (KServe reports Running while a container crash-loops);
        the instance's restart count climbs and each run of it prints a traceback. A stop,
        an update or a rollback replaces the instance and ends the loop. Returns its name."""
        if isinstance(every_s, bool) or not isinstance(every_s, (int, float)) or not every_s > 0:
            raise ScenarioError("every_s must be a number of sandbox seconds > 0.")
        with self._lock:
            record, now, pods = self._live_pods(key, component, "")
            if isinstance(instance, int) and not isinstance(instance, bool):
                if not 0 <= instance < len(pods):
                    raise ScenarioError(f"instance index {instance} is out of range (0..{len(pods) - 1}).")
                pod = pods[instance]
            else:
                named = [p for p in pods if p.name == instance]
                if not named:
                    raise ScenarioError(f"No live {component} instance named {instance!r}.")
                pod = named[0]
            record.pod_logs.crash_loop(self._context(record), pod, now, float(every_s))
            return pod.name

    def archives(self, key: int | str) -> list[dict[str, Any]]:
        """The log archives the instances left (one per container run that ended): name, content, wall."""
        with self._lock:
            record = self._settled(key)
            return record.pod_logs.archives(self.now())

    def waking(self, key: int | str) -> bool:
        """Whether ``key`` is in a cold start (Running, its first instance not serving yet)."""
        with self._lock:
            return self._settled(key).phase == COLD_START

    def infer(self, key: int | str) -> str:
        """An inference request: keeps a deployment awake, or wakes an idle one (Idle -> Running)."""
        with self._lock:
            record = self._settled(key)
            now = self.now()
            pod_logs, ctx = record.pod_logs, self._context(record)
            if record.phase == IDLE:
                self._enter(record, COLD_START)
                record.last_request = now
                length = self.timing.cold_start_s
                self._boot(record, now, length, transformers=not pod_logs.alive(now, "transformer"))
                pod_logs.serve(ctx, now + length, pod_logs.alive(now + length))
                return "cold_start"
            if record.phase in (RUNNING, UPDATING, COLD_START):
                record.last_request = now
                if record.phase == COLD_START:
                    served_at = record.since + self.timing.cold_start_s
                    pod_logs.serve(ctx, served_at, pod_logs.alive(served_at))
                    return "cold_start"
                pod_logs.serve(ctx, now, pod_logs.alive(now))
                return "served"
            if record.phase == PINNED and str(record.pinned.get("status", "")).lower() in ("running", "idle"):
                pod_logs.serve(ctx, now, pod_logs.alive(now))
                return "served"
            raise LifecycleError(
                f"The deployment {record.spec.name!r} is not running.", status_code=400, error_code=250001
            )

    def fail(
        self,
        key: int | str,
        step: str = "STARTED",
        reason: str | None = None,
        *,
        now: bool = False,
        sticky: bool = False,
        heals_after: float | None = None,
    ) -> str:
        """Make a start fail at ``step`` (SCHEDULED, INITIALIZED, STARTED or READY) with ``reason``.

        ``now=True`` fails the deployment at once, whatever it is doing (it counts as
        deployed afterwards, as a failed deployment on a cluster is).
        Otherwise the start in progress fails when it reaches ``step`` (or the
        next start does, if this one is past it); ``sticky`` makes every later
        start fail the same way until :meth:`heal` or :meth:`resolve`.
        ``heals_after`` (sandbox seconds): the cause goes away that long after the
        failure happens, and the deployment recovers by itself (Starting, then
        Running) with no action by anyone, as a real one does when, say, its
        unschedulable pod is finally placed.
        """
        step = str(step).upper()
        if step not in START_STEPS:
            raise ScenarioError(f"Unknown step {step!r}; use one of {', '.join(START_STEPS)}.")
        if reason is not None and not isinstance(reason, str):
            raise ScenarioError("reason must be text")
        if heals_after is not None and (
            isinstance(heals_after, bool) or not isinstance(heals_after, (int, float)) or not heals_after >= 0
        ):
            raise ScenarioError("heals_after must be a number of seconds >= 0.")
        reason = reason if reason is not None else DEFAULT_FAILURES[step]
        with self._lock:
            record = self._settled(key)
            record.heal_after = None if heals_after is None else float(heals_after)
            if now:
                self._enter(record, FAILED)
                record.failure = (step, reason)
                at = record.since
                if record.deployed is None:
                    record.deployed = _iso()
                    record.revision_id = record.revision_id or self._new_revision(record)
                record.pod_logs.cut(at)
                if step == "SCHEDULED":
                    record.pod_logs.shutdown(self._context(record), record.pod_logs.alive(at), at, at)
                elif step != "READY":
                    record.pod_logs.fail(self._context(record, reason), step, at)
                record.pinned = None
                record.armed = None
                record.storage = None
                self._arm_heal(record, at)
                if sticky:
                    record.next_failure = (step, reason, True)
                return "failed"
            if sticky:
                record.next_failure = (step, reason, True)
            if record.phase == STARTING and self._before_step_ends(record, step):
                record.armed = (step, reason)
                return "armed"
            if not sticky:
                record.next_failure = (step, reason, False)
            return "armed_for_next_start"

    def _before_step_ends(self, record: _Record, step: str) -> bool:
        half = max(self.timing.step_s / 2, 1e-9)
        shift = 0.0
        if record.storage is not None and step != "SCHEDULED":
            shift = record.storage[0] * record.storage[1]
        return self.now() - record.since < (self._fail_index(step) + 1) * half + shift

    def _arm_heal(self, record: _Record, failed_at: float) -> None:
        if record.heal_after is not None:
            record.heal_at = failed_at + record.heal_after
            record.heal_after = None

    def heal(self, key: int | str) -> None:
        """Forget planned failures (the deployment's current state is kept)."""
        with self._lock:
            record = self._get(key)
            record.forget_plans()

    def resolve(self, key: int | str) -> str:
        """The cause of a failure goes away: a Failed deployment recovers *by itself*.

        The backend computes the state from the cluster on every read, so a failed
        deployment whose cause disappears (its pending pod is finally placed, the
        missing image appears) reads Starting, then Running, on later GETs with no
        action by anyone. The start walk resumes at the step after the one that
        failed. Planned failures are forgotten too. Returns ``"starting"``, or
        ``"cleared"`` when the deployment is not Failed (only the plans are dropped).
        """
        with self._lock:
            record = self._settled(key)
            record.forget_plans()
            if record.phase != FAILED:
                record.storage = None
                return "cleared"
            self._recover(record, self.now())
            return "starting"

    def storage_retry(self, key: int | str, restarts: int = 3, *, retry_s: float | None = None) -> str:
        """Make the storage initializer of the start in progress (or the next one) fail ``restarts`` times.

        While it retries the deployment reads Starting with condition STOPPED / null
        (being prepared), as the backend reports a pod whose storage initializer failed
        and restarted at most twice. With ``restarts`` <= 2 it then recovers and the start
        goes on; with more, it becomes Failed, INITIALIZED / false. Each retry lasts
        ``retry_s`` sandbox seconds (one start step by default). The start in progress
        takes it only while it is still at SCHEDULED; otherwise the next start does.
        Returns ``"armed"`` or ``"armed_for_next_start"``.
        """
        if isinstance(restarts, bool) or not isinstance(restarts, int) or not 1 <= restarts <= 100:
            raise ScenarioError("restarts must be a whole number between 1 and 100.")
        if retry_s is not None and (
            isinstance(retry_s, bool) or not isinstance(retry_s, (int, float)) or not retry_s > 0
        ):
            raise ScenarioError("retry_s must be a number of seconds > 0.")
        with self._lock:
            record = self._settled(key)
            plan = (restarts, float(retry_s) if retry_s is not None else self.timing.step_s)
            if record.phase == STARTING and self._walk_index(record) == 0 and record.storage is None:
                record.storage = plan
                at = self.now()
                record.pod_logs.cut(at)
                self._boot_walk(record, record.since)
                return "armed"
            record.next_storage = plan
            return "armed_for_next_start"

    def set_state(
        self,
        key: int | str,
        status: Any,
        *,
        condition: Any = ...,
        available_instances: Any = ...,
        available_transformer_instances: Any = ...,
    ) -> None:
        """Pin the reported state to exactly these values until the next action.

        Values are sent as given, odd ones included (an unknown status, a
        negative count, ``condition=None``). Omitted ones take their usual
        value for ``status``.
        """
        with self._lock:
            record = self._settled(key)
            pinned: dict[str, Any] = {"status": status}
            if condition is not ...:
                pinned["condition"] = condition
            else:
                pinned["condition"] = _default_condition(status)
            running = str(status).lower() in ("running", "updating")
            pinned["availableInstances"] = (
                available_instances
                if available_instances is not ...
                else (record.spec.requested_instances if running else 0)
            )
            pinned["availableTransformerInstances"] = (
                available_transformer_instances
                if available_transformer_instances is not ...
                else (record.spec.requested_transformer_instances if running and record.spec.transformer else 0)
            )
            self._enter(record, PINNED)
            record.pinned = pinned
            record.armed = None

    # --------------------------------------------------------------- reads
    def report(self, key: int | str) -> Report:
        """What the backend reports for one deployment now (the REST layer renders it as JSON)."""
        with self._lock:
            record = self._settled(key)
            return self._report(record, self._view(record, self.now()))

    def reports(self, names: Iterable[str] | None = None) -> list[Report]:
        """:meth:`report` of every deployment (or of those in ``names``), all at one moment."""
        with self._lock:
            now = self.now()
            wanted = None if names is None else set(names)
            out = []
            for record in list(self._records.values()):
                if wanted is not None and record.spec.name not in wanted:
                    continue
                self._settle(record, now)
                out.append(self._report(record, self._view(record, now)))
            return out

    @staticmethod
    def _report(record: _Record, view: View) -> Report:
        return Report(
            record.id,
            copy.copy(record.spec),
            record.created,
            record.revision_id,
            record.deployed,
            view,
            record.active,
            tuple(copy.deepcopy(record.missing_tags)),
        )

    def status_of(self, key: int | str) -> str:
        with self._lock:
            record = self._settled(key)
            return self._view(record, self.now()).status

    def spec_of(self, key: int | str) -> Blueprint:
        with self._lock:
            return copy.copy(self._get(key).spec)

    # ---------------------------------------------------------------- logs
    def logs(
        self,
        key: int | str,
        component: str = "predictor",
        *,
        source: str = "kubernetes",
        tail: int = 5,
        pod: str | None = None,
        timestamps: bool = False,
        since: float | None = None,
        until: float | None = None,
    ) -> list[dict[str, Any]]:
        """What the logs endpoint answers: ``since``/``until`` are epoch seconds (OpenSearch only)."""
        if component not in _logs.COMPONENTS:
            raise ScenarioError(f"Unknown component {component!r}; use predictor or transformer.", error_code=240001)
        if source not in _logs.SOURCES:
            raise ScenarioError(f"Unknown log source {source!r}; use kubernetes or opensearch.", error_code=240001)
        with self._lock:
            record = self._settled(key)
            if component == "transformer" and not record.spec.transformer:
                raise ScenarioError(f"The deployment {record.spec.name!r} has no transformer.", error_code=240001)
            now = self.now()
            if source == "kubernetes":
                return record.pod_logs.kubernetes(now, component, tail, pod, timestamps)
            return record.pod_logs.opensearch(now, component, tail, pod, since, until)

    def append_log(
        self, key: int | str, text: str, *, component: str = "predictor", instance: int | str | None = None
    ) -> list[str]:
        """Print ``text`` (one line or several) from a live instance now; returns the instance names.

        ``instance`` is a name, an index among the live instances of ``component``, or
        ``"all"``; by default the first live one.
        """
        if not isinstance(text, str):
            raise ScenarioError("text must be a string")
        if len(text) > _logs.MAX_APPEND_CHARS:
            raise ScenarioError(f"text is longer than {_logs.MAX_APPEND_CHARS} characters")
        with self._lock:
            record, now, pods = self._live_pods(key, component, " to print from")
            if instance is None:
                chosen = pods[:1]
            elif instance == "all":
                chosen = pods
            elif isinstance(instance, int) and not isinstance(instance, bool):
                if not 0 <= instance < len(pods):
                    raise ScenarioError(f"instance index {instance} is out of range (0..{len(pods) - 1}).")
                chosen = [pods[instance]]
            else:
                chosen = [p for p in pods if p.name == instance]
                if not chosen:
                    raise ScenarioError(f"No live {component} instance named {instance!r}.")
            for pod in chosen:
                record.pod_logs.append(pod, now, text.removesuffix("\n"))
            return [pod.name for pod in chosen]

    def log_lines(self, key: int | str, component: str | None = None) -> list[dict[str, Any]]:
        """Every line printed so far: instance, component, time, text (for tests)."""
        with self._lock:
            record = self._settled(key)
            lines = record.pod_logs.dump(self.now())
            return [line for line in lines if component is None or line["component"] == component]

    def instances(self, key: int | str, component: str | None = None) -> list[str]:
        """The names of the live instances (what the kubernetes source reads)."""
        with self._lock:
            record = self._settled(key)
            return [p.name for p in record.pod_logs.alive(self.now(), component)]

    # ------------------------------------------------------------ internals
    def _live_pods(self, key: int | str, component: str, purpose: str) -> tuple[_Record, float, list]:
        """The deployment, the time and its live instances of ``component`` (at least one)."""
        if component not in _logs.COMPONENTS:
            raise ScenarioError(f"Unknown component {component!r}; use predictor or transformer.")
        record = self._settled(key)
        now = self.now()
        pods = record.pod_logs.alive(now, component)
        if not pods:
            raise ScenarioError(f"The deployment {record.spec.name!r} has no live {component} instance{purpose}.")
        return record, now, pods

    def _settled(self, key: int | str) -> _Record:
        record = self._get(key)
        self._settle(record, self.now())
        return record

    def _enter(self, record: _Record, phase: str, at: float | None = None) -> None:
        record.phase = phase
        record.since = self.now() if at is None else at

    @staticmethod
    def _fail_index(step: str) -> int:
        """The last half-step of ``step`` in the start walk: a failure there ends the walk after it."""
        return max(i for i, (t, _, _) in enumerate(_START_WALK) if t == step)

    def _walk_index(self, record: _Record) -> int:
        half = max(self.timing.step_s / 2, 1e-9)
        return min(int((self.now() - record.since) // half), len(_START_WALK) - 1)

    def _walk(self, record: _Record) -> tuple[list[tuple[float, tuple[str, bool | None, str]]], float, Any]:
        """The start in progress: its conditions (offset from the start, condition), when it
        ends Running, and the failure it meets first as (offset, step, reason), or None."""
        half = max(self.timing.step_s / 2, 1e-9)
        entries: list[tuple[float, tuple[str, bool | None, str]]] = [(0.0, _START_WALK[0])]
        shift = 0.0
        if record.storage is not None:
            restarts, retry = record.storage
            for k in range(min(restarts, STORAGE_MAX_RESTARTS + 1)):
                entries.append((half + k * retry, ("STOPPED", None, STORAGE_RETRY_REASON.format(n=k + 1))))
            if restarts > STORAGE_MAX_RESTARTS:
                at = half + (STORAGE_MAX_RESTARTS + 1) * retry
                if record.armed is not None and record.armed[0] == "SCHEDULED":
                    return entries, math.inf, (half, *record.armed)
                return entries, math.inf, (at, "INITIALIZED", STORAGE_FAILED_REASON)
            shift = restarts * retry
        for i in range(1, len(_START_WALK)):
            entries.append((i * half + shift, _START_WALK[i]))
        end = len(_START_WALK) * half + shift
        failure = None
        if record.armed is not None:
            step, reason = record.armed
            at = (self._fail_index(step) + 1) * half + (shift if step != "SCHEDULED" else 0.0)
            failure = (at, step, reason)
        return entries, end, failure

    def _boot_walk(self, record: _Record, t0: float) -> None:
        """Write the logs of a start beginning at ``t0``, at the pace of its walk (storage retries included)."""
        half = self.timing.step_s / 2
        shift = 0.0
        if record.storage is not None:
            restarts, retry = record.storage
            shift = min(restarts, STORAGE_MAX_RESTARTS + 1) * retry
        windows = (t0 + half, *(t0 + (k + 1) * half + shift for k in range(1, 7)))
        pods = self._boot(record, t0, windows=windows)
        if record.storage is not None:
            restarts, retry = record.storage
            for pod in pods:
                for k in range(min(restarts, STORAGE_MAX_RESTARTS + 1)):
                    record.pod_logs.add(pod, t0 + half + (k + 0.5) * retry, _logs.storage_retry_line(k + 1))

    def _recover(self, record: _Record, at: float) -> None:
        """A failure whose cause went away at ``at``: the start walk resumes after the failed step."""
        step = record.failure[0] if record.failure else "STARTED"
        half = max(self.timing.step_s / 2, 1e-9)
        offset = min((self._fail_index(step) + 1) * half, (len(_START_WALK) - 1) * half)
        self._enter(record, STARTING, at - offset)
        record.clear_failure()
        record.storage = None
        record.pod_logs.cut(at)
        record.pod_logs.shutdown(self._context(record), record.pod_logs.alive(at), at, at)
        self._boot(record, at, len(_START_WALK) * half - offset)

    def _settle(self, record: _Record, now: float) -> None:
        """Move ``record`` past every phase that has finished by ``now``."""
        t = self.timing
        for _ in range(8):
            phase, since = record.phase, record.since
            if phase == CREATING and now >= since + t.creating_s:
                self._enter(record, CREATED, since + t.creating_s)
            elif phase == STARTING:
                _entries, end, failure = self._walk(record)
                if failure is not None and now >= since + failure[0]:
                    at, step, reason = since + failure[0], failure[1], failure[2]
                    self._enter(record, FAILED, at)
                    record.failure = (step, reason)
                    record.armed = None
                    record.storage = None
                    record.pod_logs.cut(at)
                    record.pod_logs.fail(self._context(record, reason), step, at)
                    self._arm_heal(record, at)
                    continue
                if now < since + end:
                    return
                self._enter(record, RUNNING, since + end)
                record.storage = None
                record.last_request = since + end
            elif phase == FAILED and record.heal_at is not None and now >= record.heal_at:
                self._recover(record, record.heal_at)
            elif phase in (UPDATING, COLD_START):
                length = t.update_s if phase == UPDATING else t.cold_start_s
                if now < since + length:
                    return
                self._enter(record, RUNNING, since + length)
                record.last_request = max(record.last_request, since + length)
            elif phase == STOPPING and now >= since + t.stop_s:
                self._enter(record, STOPPED, since + t.stop_s)
            elif phase == RUNNING and record.spec.min_instances == 0:
                quiet_from = max(since, record.last_request)
                if now < quiet_from + t.retention_s:
                    return
                idle_at = quiet_from + t.retention_s
                self._enter(record, IDLE, idle_at)
                record.pod_logs.shutdown(
                    self._context(record), self._idle_pods(record, idle_at), idle_at, idle_at + 0.5, why="idle"
                )
            else:
                return

    def _view(self, record: _Record, now: float) -> View:
        """The reported state. Instance counts are pods of the current revision in any phase
        (KubeKServeController.getInternalStatus): pending, crash-looping and terminating ones count."""
        t = self.timing
        spec = record.spec
        want = spec.requested_instances
        want_t = spec.requested_transformer_instances if spec.transformer else 0
        elapsed = max(0.0, now - record.since)
        phase = record.phase
        if phase == STARTING:
            entries, _end, _failure = self._walk(record)
            condition = entries[0][1]
            for offset, entry in entries:
                if elapsed < offset:
                    break
                condition = entry
            return View("Starting", condition, want, want_t)
        if phase == COLD_START:
            # the service stays Ready while it scales from zero: the first pod makes it Running at once
            return View("Running", ("READY", True, REASON_RUNNING), want, want_t)
        if phase == UPDATING:
            length = max(t.update_s, 1e-9)
            index = min(int(elapsed // (length / 2)), 1)
            return View("Updating", _UPDATE_WALK[index], want, want_t)
        if phase == STOPPING:
            step = max(t.stop_step_s, 1e-9)
            index = min(int(elapsed // step), 1)
            left = 1 - _clamp(elapsed / (2 * step))
            was, was_t = record.ramp_from
            return View("Stopping", _STOP_WALK[index], math.ceil(was * left), math.ceil(was_t * left))
        if phase == RUNNING:
            return View("Running", ("READY", True, REASON_RUNNING), want, want_t)
        if phase == IDLE:
            idle_t = 0 if spec.transformer_min_instances == 0 else want_t
            return View("Idle", ("READY", True, REASON_IDLE), 0, idle_t)
        if phase == FAILED:
            # its pods are there: pending (SCHEDULED), crash-looping (INITIALIZED, STARTED) or unreachable
            step, reason = record.failure or ("STARTED", DEFAULT_FAILURES["STARTED"])
            return View("Failed", (step, False, reason), want, want_t)
        if phase == CREATING:
            return View("Creating", ("STOPPED", None, REASON_CREATING), 0, 0)
        if phase == CREATED:
            return View("Created", ("STOPPED", True, REASON_CREATED), 0, 0)
        if phase == PINNED and record.pinned is not None:
            p = record.pinned
            return View(p["status"], None, p["availableInstances"], p["availableTransformerInstances"], p)
        return View("Stopped", ("STOPPED", True, REASON_STOPPED), 0, 0)


def _default_condition(status: Any) -> dict[str, Any] | None:
    word = str(status).lower()
    table = {
        "running": ("READY", True, REASON_RUNNING),
        "idle": ("READY", True, REASON_IDLE),
        "stopped": ("STOPPED", True, REASON_STOPPED),
        "created": ("STOPPED", True, REASON_CREATED),
        "creating": ("STOPPED", None, REASON_CREATING),
        "starting": _START_WALK[0],
        "stopping": _STOP_WALK[0],
        "updating": _UPDATE_WALK[0],
        "failed": ("STARTED", False, DEFAULT_FAILURES["STARTED"]),
    }
    row = table.get(word)
    if row is None:
        return None
    return {"type": row[0], "status": row[1], "reason": row[2]}
