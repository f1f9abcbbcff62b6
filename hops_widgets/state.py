"""The state of a deployment, normalised from SDK objects or REST JSON.

Everything the widget shows is computed here, once, from one immutable
:class:`DeploymentState`. Parsing is forgiving: a missing or malformed field
becomes ``None`` plus a note in ``problems``, never an exception, unless the
input is not a deployment at all (then :class:`~hops_widgets.errors.InvalidResponse`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ._sdk import REQUESTED_FIELDS
from ._text import sendable, strip_hidden, visible
from .errors import InvalidResponse

__all__ = [
    "STATUSES",
    "TRANSITIONAL",
    "Condition",
    "DeploymentState",
    "Instances",
    "condition_message",
    "strip_hidden",
    "visible",
]
# Counts and amounts above this are not numbers a deployment has (and lose precision in a browser).
MAX_SAFE = 2**53 - 1

# status -> (tone for the badge, sentence). Tones are CSS words, not colours.
STATUSES: dict[str, tuple[str, str]] = {
    "CREATING": ("neutral", "Being prepared; it cannot be started yet."),
    "CREATED": ("neutral", "Created but never started."),
    "STARTING": ("info", "Starting up."),
    "RUNNING": ("ok", "Up and serving requests with no extra latency."),
    "IDLE": ("idle", "Ready but scaled to zero: the first requests wait for a cold start."),
    "FAILED": ("error", "Failed; the condition below says why."),
    "UPDATING": ("info", "Rolling out changes to the running instances."),
    "STOPPING": ("warn", "Shutting down."),
    "STOPPED": ("off", "Stopped; nothing is allocated."),
}
TRANSITIONAL = frozenset({"CREATING", "STARTING", "UPDATING", "STOPPING"})
# What a real cluster accepts (the backend's KubeServingController start/stop): Start only on a
# deployment that is not deployed; a failed one must be stopped first (or restarted: stop, then start).
_STARTABLE = frozenset({"CREATED", "STOPPED"})
# Stop is accepted on Running, Idle and Failed. Starting and Updating are refused ("try later") but the
# button stays: the refusal offers "stop once it has started", which the widget then carries out.
_STOPPABLE = frozenset({"STARTING", "RUNNING", "IDLE", "UPDATING", "FAILED"})
# Restart (stop unless stopped, then start): where Stop is accepted, and on a stopped deployment.
RESTARTABLE = frozenset({"RUNNING", "IDLE", "FAILED", "STOPPED"})
# statuses with no pod, where the backend has no logs to give (404 / 240027)
NO_PODS = frozenset({"CREATING", "CREATED", "STOPPED", "STOPPING", "IDLE"})
CONDITION_TYPES = ("STOPPED", "SCHEDULED", "INITIALIZED", "STARTED", "READY")
START_STEPS = ("SCHEDULED", "INITIALIZED", "STARTED", "READY")
STOP_STEPS = ("SCHEDULED", "STOPPED")
STEP_LABELS = {type_: type_.capitalize() for type_ in CONDITION_TYPES}
# On the stop path the same condition types mean something else to a user.
STOP_STEP_LABELS = {"SCHEDULED": "Releasing resources", "STOPPED": "Stopped"}


def step_label(type_: str | None, stopping: bool = False) -> str:
    """What a condition step is called in the stepper and the history."""
    if type_ is None:
        return ""
    labels = STOP_STEP_LABELS if stopping else STEP_LABELS
    return labels.get(type_) or STEP_LABELS.get(type_) or type_.replace("_", " ").capitalize()


# condition type -> condition status -> plain-language message. None = in progress.
_MESSAGES: dict[str, dict[bool | None, str]] = {
    "STOPPED": {
        None: "Shutting down: the instances are being removed.",
        True: "Stopped: no instance runs and no cluster resources are held.",
    },
    # SCHEDULED, INITIALIZED and STARTED are never True on a real cluster (a done step is replaced by
    # the next step's condition); their True rows are for other sources, which may still send them.
    "SCHEDULED": {
        None: "Waiting for the cluster to find room for the instances.",
        False: "Could not be placed on the cluster, usually because it lacks the CPU, "
        "memory or GPUs the deployment asks for.",
        True: "Placed on the cluster: its resources are reserved.",
    },
    "INITIALIZED": {
        None: "Preparing the instances: pulling container images and mounting volumes.",
        False: "Preparing the instances failed (images or volumes).",
        True: "Instances prepared: images pulled and volumes mounted.",
    },
    "STARTED": {
        None: "Launching the model server and running the predictor script.",
        False: "The model server did not come up: check the predictor script, "
        "its dependencies and the model server version.",
        True: "The model server is up and the predictor script ran.",
    },
    "READY": {
        None: "Opening network access to the deployment.",
        False: "Network access could not be opened.",
        True: "Reachable and ready for inference requests.",
    },
}
# The STARTED messages for a deployment that also has a transformer.
_STARTED_WITH_TRANSFORMER: dict[bool | None, str] = {
    None: "Launching the model server and running the predictor and transformer scripts.",
    False: "The model server did not come up: check the predictor and transformer scripts, "
    "their dependencies and the model server version.",
    True: "The model server is up and the predictor and transformer scripts ran.",
}
# On the stop path the SCHEDULED step means giving the cluster's resources back.
_STOP_SCHEDULING = {
    None: "Giving the cluster's resources back.",
    True: "The cluster's resources are released.",
    False: "The cluster's resources could not be released.",
}
# A starting (or updating) deployment with STOPPED/null: the storage initializer could not copy the
# model files and the pod is restarting it (after more than two restarts the start fails at INITIALIZED).
STORAGE_RETRY_MESSAGE = (
    "Preparing the instances: loading the model files failed and is being retried "
    "(the start fails if it keeps failing)."
)
MAX_REASON_CHARS = 2000


def condition_message(type_: str | None, status: bool | None, transformer: bool = False) -> str:
    """The sentence for a condition row; a neutral one for rows nobody documented.

    ``transformer`` says whether the deployment has one: messages name only the
    components it really has.
    """
    if type_ is None:
        return "No condition reported yet."
    messages = _STARTED_WITH_TRANSFORMER if transformer and type_ == "STARTED" else _MESSAGES.get(type_, {})
    message = messages.get(status)
    if message:
        return message
    progress = {None: "in progress", True: "done", False: "failed"}[status]
    return f"Condition {type_}: {progress}."


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    """First present attribute or key among ``names`` (SDK objects and dicts alike)."""
    for name in names:
        if isinstance(obj, Mapping):
            if name in obj:
                return obj[name]
        elif obj is not None:
            try:
                value = getattr(obj, name)
            except Exception:  # noqa: BLE001 - SDK properties may raise anything
                continue
            return value
    return default


def _count(value: Any, what: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        problems.append(f"{what} is not a number ({_preview(value)}).")
        return None
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_SAFE:
        problems.append(f"{what} is out of range ({_preview(value)}).")
        return None
    if value < 0:
        problems.append(f"{what} is negative ({value}).")
        return None
    return int(value)


def _whole(value: Any) -> int | None:
    """A version or id: a whole number a browser holds exactly, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_SAFE:
        return value
    return None


def _preview(value: Any, limit: int = 40) -> str:
    try:
        text = sendable(visible(repr(value)))
    except Exception:  # noqa: BLE001 - a value whose repr raises (SDK objects) is still described
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _condition_status(value: Any) -> tuple[bool | None, bool]:
    """(parsed, ok). Accepts true/false/null and their string spellings."""
    if value is None or isinstance(value, bool):
        return value, True
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true", True
        if lowered in ("", "unknown", "null", "none"):
            return None, True
    return None, False


@dataclass(frozen=True)
class Condition:
    type: str | None
    status: bool | None
    reason: str = ""
    transformer: bool = False  # the deployment has a transformer (set by DeploymentState)

    @property
    def message(self) -> str:
        return condition_message(self.type, self.status, self.transformer)

    @property
    def progress(self) -> str:
        """``"true"``, ``"false"`` or ``"unknown"`` (in progress)."""
        return {None: "unknown", True: "true", False: "false"}[self.status]


@dataclass(frozen=True)
class Instances:
    available: int | None = None
    requested: int | None = None
    min_instances: int | None = None

    @property
    def scale_to_zero(self) -> bool:
        return self.min_instances == 0 or (self.min_instances is None and self.requested == 0)

    def __str__(self) -> str:
        def show(n: int | None) -> str:
            return "?" if n is None else str(n)

        return f"{show(self.available)}/{show(self.requested)}"

    def pods_text(self) -> str:
        """``"1 of 2 requested pods exist"``: what the count is (pods in any phase), never "ready"."""
        have = "?" if self.available is None else str(self.available)
        want = "?" if self.requested is None else str(self.requested)
        verb = "exists" if self.available == 1 else "exist"
        return f"{have} of {want} requested {'pod' if self.requested == 1 else 'pods'} {verb}"


@dataclass(frozen=True)
class DeploymentState:
    name: str = ""
    status: str = "UNKNOWN"
    condition: Condition | None = None
    predictor: Instances = field(default_factory=Instances)
    transformer: Instances | None = None
    model_name: str | None = None
    model_version: int | None = None
    deployment_id: int | None = None
    problems: tuple[str, ...] = ()
    # {"predictor": {...}, "transformer": {...}}: scaling and per-instance requests/limits, only what was sent.
    # Both page dicts stay out of ==: what a state *is* did not change with the page (scripts/compat.py
    # compares them, per SDK version, in its "page fields" step).
    resources: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False, compare=False)
    # model server, serving tool, API protocol, environment, inference paths: only what was sent
    endpoint: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        # The condition's messages name the components this deployment has.
        cond = self.condition
        if cond is not None and cond.transformer != (self.transformer is not None):
            object.__setattr__(self, "condition", replace(cond, transformer=self.transformer is not None))

    # ----------------------------------------------------------- derived
    @property
    def known(self) -> bool:
        return self.status in STATUSES

    @property
    def tone(self) -> str:
        return STATUSES.get(self.status, ("unknown", ""))[0]

    @property
    def status_label(self) -> str:
        return self.status.capitalize() if self.known else self.status

    @property
    def status_description(self) -> str:
        if self.known:
            return STATUSES[self.status][1]
        return f"Status {self.status!r} is not one hops-widgets knows; shown as reported."

    @property
    def transitional(self) -> bool:
        return self.status in TRANSITIONAL or (self.condition is not None and self.condition.status is None)

    @property
    def scale_to_zero(self) -> bool:
        return self.predictor.scale_to_zero

    @property
    def can_start(self) -> bool:
        """A real cluster accepts Start: never started, or stopped (not failed: stop or restart that)."""
        return self.status in _STARTABLE

    @property
    def can_stop(self) -> bool:
        """Stopping makes sense: something is (or is becoming) allocated."""
        return self.status in _STOPPABLE

    @property
    def can_restart(self) -> bool:
        """Restart (stop unless stopped, then start) is how a failed deployment comes back."""
        return self.status in RESTARTABLE

    @property
    def pods_run(self) -> bool:
        """Some pod may exist (so the backend has logs to give): not Created/Stopped/Stopping/Idle/Creating."""
        return self.known and self.status not in NO_PODS

    @property
    def storage_retry(self) -> bool:
        """Starting or updating with STOPPED/null: the storage initializer is being retried."""
        cond = self.condition
        return self.status in ("STARTING", "UPDATING") and cond is not None and cond.type == "STOPPED"

    @property
    def readiness(self) -> str:
        """Whether the pods serve: ``"ready"`` only when the condition says READY/True.

        ``"not serving"`` for a failed deployment (its pods may exist and crash: 1 of 1 is
        not healthy), ``"not ready yet"`` while one starts or updates, ``""`` when nothing runs.
        """
        cond = self.condition
        if cond is not None and cond.type == "READY" and cond.status is True and self.status in ("RUNNING", "IDLE"):
            return "ready"
        if self.status == "FAILED" or (cond is not None and cond.status is False):
            return "not serving"
        if self.status in ("STARTING", "UPDATING") or (self.status == "RUNNING" and self.transitional):
            return "not ready yet"
        return ""

    @property
    def advice(self) -> str:
        """What to do now, where the cluster leaves one way (a failed deployment), else ""."""
        if self.status != "FAILED":
            return ""
        cond = self.condition
        text = (
            "To bring it back, restart it (stop, then start), or stop it: the cluster refuses a plain start "
            "of a failed deployment."
        )
        if cond is not None and cond.type == "SCHEDULED":
            text += " It may also recover by itself once the cluster has room for it."
        return text

    def pods_summary(self) -> str:
        """The instance counts in words: pods that exist of the requested, and whether they are ready."""
        text = f"predictor {self.predictor.pods_text()}"
        if self.transformer is not None:
            text += f", transformer {self.transformer.pods_text()}"
        if self.readiness:
            text += f" ({self.readiness})"
        return text

    @property
    def message(self) -> str:
        """The one-line message: the condition's if there is one, else the status's."""
        if self.status == "IDLE":
            return "Scaled to zero: no instance runs until a request arrives (expect a cold start)."
        if self.condition is None or self.status in ("CREATED", "CREATING"):
            return self.status_description
        cond = self.condition
        if self.storage_retry:
            return STORAGE_RETRY_MESSAGE
        if cond.type == "SCHEDULED" and self.status in ("STOPPING", "STOPPED"):
            return _STOP_SCHEDULING[cond.status]
        return cond.message

    @property
    def on_stop_path(self) -> bool:
        """The condition describes stopping (its SCHEDULED step then means releasing resources)."""
        cond = self.condition
        if self.status in ("STOPPING", "STOPPED"):
            return True
        return cond is not None and cond.type == "STOPPED" and not self.storage_retry

    def steps(self) -> list[dict[str, str]]:
        """The stepper: the start or stop path, each step pending/active/done/failed."""
        cond = self.condition
        if cond is None or cond.type not in CONDITION_TYPES or self.status in ("CREATING", "CREATED"):
            return []
        if self.storage_retry:  # preparing the instances again: the start is at its INITIALIZED step
            cond = Condition("INITIALIZED", None, cond.reason)
        stopping = self.on_stop_path
        path = STOP_STEPS if stopping else START_STEPS
        if cond.type not in path:
            return []
        current = path.index(cond.type)
        here = {None: "active", True: "done", False: "failed"}[cond.status]
        return [
            {
                "type": step,
                "label": step_label(step, stopping),
                "state": "done" if i < current else here if i == current else "pending",
            }
            for i, step in enumerate(path)
        ]

    def summary(self) -> str:
        """One line: what ``repr`` of the widget shows as plain text."""
        parts = [f"{self.name or 'deployment'}: {self.status_label}"]
        if self.condition is not None:
            reason = f" ({_preview(self.condition.reason, 80)[1:-1]})" if self.condition.reason else ""
            parts.append(f"{self.message}{reason}")
        else:
            parts.append(self.message)
        counts = self.pods_summary()
        if self.scale_to_zero:
            counts += ", scale-to-zero"
        parts.append(counts)
        # one line, whatever the server sent; hidden characters (an RTL override in a name) written out
        return visible(" ".join(" — ".join(parts).split()))

    def describe(self) -> None:
        """Print a readable summary, one fact per line."""
        print(self.report())

    def report(self) -> str:
        lines = [
            f"deployment   {self.name}",
            f"status       {self.status_label} — {self.status_description}",
        ]
        if self.model_name:
            version = f" v{self.model_version}" if self.model_version is not None else ""
            lines.insert(1, f"model        {self.model_name}{version}")
        if self.condition is None:
            lines.append("condition    none reported")
        else:
            c = self.condition
            lines.append(f"condition    {c.type} = {c.progress}: {c.message}")
            if c.reason:
                lines.append(f"reason       {_preview(c.reason, 300)[1:-1]}")
        if self.advice:
            lines.append(f"what to do   {self.advice}")
        lines.append(f"predictor    {self.predictor.pods_text()} (pods in any phase: pending and crashing ones count)")
        if self.transformer is not None:
            lines.append(f"transformer  {self.transformer.pods_text()}")
        if self.readiness:
            says = "the condition says READY/True" if self.readiness == "ready" else "only READY/True means ready"
            lines.append(f"serving      {self.readiness} ({says})")
        if self.scale_to_zero:
            lines.append("scaling      scale-to-zero on (0 instances while idle is healthy)")
        for component, fields in self.resources.items():
            text = resources_text(fields)
            if text:
                lines.append(f"resources    {component}: {text}")
        for key, label in ENDPOINT_LABELS.items():
            if self.endpoint.get(key):
                lines.append(f"{label:<13}{self.endpoint[key]}")
        for problem in self.problems:
            lines.append(f"note         {problem}")
        return visible("\n".join(lines))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ----------------------------------------------------------- parsing
    @classmethod
    def from_json(cls, data: Any) -> DeploymentState:
        """From the REST JSON of one serving (camelCase or snake_case keys)."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise InvalidResponse(f"The deployment JSON could not be parsed: {exc.msg}.") from None
        if not isinstance(data, Mapping):
            raise InvalidResponse(f"Expected a deployment object, got {type(data).__name__}.")
        problems: list[str] = []
        has_transformer = bool(_get(data, "transformer", "scriptFile", "script_file"))
        predictor = _instances(
            "",
            _get(data, "availableInstances", "available_instances"),
            _json_requested(data, _PREDICTOR_COUNTS),
            _get(
                data,
                "predictorScalingConfig",
                "predictor_scaling_config",
                "scalingConfiguration",
                "scaling_configuration",
            ),
            problems,
        )
        transformer = None
        if has_transformer:
            transformer = _instances(
                "transformer ",
                _get(data, "availableTransformerInstances", "available_transformer_instances"),
                _json_requested(data, _TRANSFORMER_COUNTS),
                _get(data, "transformerScalingConfig", "transformer_scaling_config"),
                problems,
            )
        return cls._checked(
            problems,
            predictor,
            transformer,
            name=_get(data, "name"),
            model_name=_get(data, "modelName", "model_name"),
            version=_get(data, "modelVersion", "model_version"),
            ident=_get(data, "id"),
            status=_get(data, "status"),
            condition=_get(data, "condition"),
            missing_tags=_get(data, "missingMandatoryTags", "missing_mandatory_tags"),
            resources=_json_resources(data, has_transformer),
            endpoint=_json_endpoint(data),
        )

    @classmethod
    def from_sdk(cls, deployment: Any, state: Any = None) -> DeploymentState:
        """From an SDK-shaped deployment (duck typed) and its ``get_state()`` result.

        ``state`` defaults to ``deployment.get_state()``; pass it when you
        already have it. Requested instances come from ``deployment.resources``
        and ``deployment.transformer.resources``; no transformer is normal.
        """
        if state is None:
            state = deployment.get_state()
        if state is None:
            raise InvalidResponse("The deployment returned no state.")
        if isinstance(state, DeploymentState):
            return state
        problems: list[str] = []
        predictor = _instances(
            "",
            _get(state, "available_predictor_instances", "available_instances"),
            _get(_get(deployment, "resources"), *REQUESTED_FIELDS),
            _sdk_scaling(deployment),
            problems,
        )
        transformer = None
        sdk_transformer = _get(deployment, "transformer")
        if sdk_transformer is not None:
            transformer = _instances(
                "transformer ",
                _get(state, "available_transformer_instances"),
                _get(_get(sdk_transformer, "resources"), *REQUESTED_FIELDS),
                _sdk_scaling(sdk_transformer),
                problems,
            )
        return cls._checked(
            problems,
            predictor,
            transformer,
            name=_get(deployment, "name"),
            model_name=_get(deployment, "model_name"),
            version=_get(deployment, "model_version"),
            ident=_get(deployment, "id"),
            status=_get(state, "status"),
            condition=_get(state, "condition"),
            missing_tags=_get(deployment, "missing_mandatory_tags"),
            resources=_sdk_resources(deployment, sdk_transformer),
            endpoint=_sdk_endpoint(deployment, state),
        )

    @classmethod
    def _checked(
        cls,
        problems: list[str],
        predictor: Instances,
        transformer: Instances | None,
        *,
        name: Any,
        model_name: Any,
        version: Any,
        ident: Any,
        status: Any,
        condition: Any,
        missing_tags: Any,
        resources: dict[str, dict[str, Any]],
        endpoint: dict[str, str],
    ) -> DeploymentState:
        """The state from the fields as either source sends them, each checked (what is wrong goes to ``problems``)."""
        return cls(
            name=_text(name, "", problems, "Name"),
            status=_status(status, problems),
            condition=_condition(condition, problems),
            predictor=predictor,
            transformer=transformer,
            model_name=_text(model_name, None, problems, "Model name"),
            model_version=_whole(version),
            deployment_id=_whole(ident),
            problems=tuple(problems + _missing_tags(missing_tags)),
            resources=resources,
            endpoint=endpoint,
        )


def _instances(component: str, available: Any, requested: Any, scaling: Any, problems: list[str]) -> Instances:
    """One component's counts, checked; ``component`` ("" or "transformer ") names it in the problems."""
    return Instances(
        available=_count(available, f"Available {component}instances", problems),
        requested=_count(requested, f"Requested {component}instances", problems),
        min_instances=_min_instances(scaling, problems),
    )


def _missing_tags(value: Any) -> list[str]:
    """The problem line of a deployment missing mandatory tags (5.x ``missingMandatoryTags``), or none.

    Each tag is ``{"name": ...}`` (or a bare name); absent or empty (older versions, all set) says nothing.
    """
    if not isinstance(value, (list, tuple)) or not value:
        return []
    names = []
    for tag in value[:50]:
        name = _get(tag, "name") if not isinstance(tag, str) else tag
        word = _word_of(name)
        if word is not None:
            names.append(word)
    if not names:
        return []
    more = f" and {len(value) - 50} more" if len(value) > 50 else ""
    return [
        f"Missing mandatory tags: {', '.join(names)}{more}. The project requires them on deployments; "
        "add them in Hopsworks (the SDK warns about them on every get_deployment)."
    ]


def _text(value: Any, default: str | None, problems: list[str], what: str) -> str | None:
    if value is None:
        return default
    if isinstance(value, str):
        return sendable(value)
    problems.append(f"{what} is not text ({_preview(value)}).")
    try:
        return sendable(str(value))
    except Exception:  # noqa: BLE001 - an object whose str raises is shown by its type
        return f"<{type(value).__name__}>"


def _status(value: Any, problems: list[str]) -> str:
    if value is None:
        problems.append("The server sent no status.")
        return "UNKNOWN"
    if not isinstance(value, str) or not value.strip():
        problems.append(f"The status is not a word ({_preview(value)}).")
        return "UNKNOWN"
    return _word(value)


def _word(value: str) -> str:
    """A status or condition type: upper case, inner whitespace collapsed, bounded."""
    return sendable(visible("_".join(value.split()).upper()[:64]))


def _condition(value: Any, problems: list[str]) -> Condition | None:
    if value is None:
        return None
    type_ = _get(value, "type", "condition_type")
    status, ok = _condition_status(_get(value, "status", "condition_status"))
    if not ok:
        problems.append(f"The condition status is not true, false or null ({_preview(_get(value, 'status'))}).")
    reason = _get(value, "reason", "condition_reason")
    if type_ is None or not isinstance(type_, str):
        problems.append("The condition has no type.")
        type_ = None
    else:
        type_ = _word(type_) or None
    if reason is not None and not isinstance(reason, str):
        reason = _text(reason, "", [], "Reason")
    return Condition(type=type_, status=status, reason=sendable(reason or ""))


# Where a serving's REST JSON keeps the requested counts, newest shape first (camelCase and
# snake_case): top level, then nested in the component's resources, then the older names.
_PREDICTOR_COUNTS = (
    (("requestedInstances",), ("requested_instances",)),
    (("predictorResources", "requestedInstances"), ("predictor_resources", "requested_instances")),
    (("predictorResources", "numInstances"), ("predictor_resources", "num_instances")),
    (("resources", "requestedInstances"), ("resources", "requested_instances")),
    (("resources", "numInstances"), ("resources", "num_instances")),
    (("numInstances",), ("num_instances",)),
)
_TRANSFORMER_COUNTS = (
    (("requestedTransformerInstances",), ("requested_transformer_instances",)),
    (
        ("transformerResources", "requestedTransformerInstances"),
        ("transformer_resources", "requested_transformer_instances"),
    ),
    (("transformerResources", "requestedInstances"), ("transformer_resources", "requested_instances")),
    (("transformerResources", "numInstances"), ("transformer_resources", "num_instances")),
)


def _json_requested(data: Mapping[str, Any], shapes: tuple) -> Any:
    """The first requested count present in any of ``shapes`` (paths of keys into the JSON)."""
    for spellings in shapes:
        for path in spellings:
            value: Any = data
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if value is not None:
                return value
    return None


def _sdk_scaling(component: Any) -> Any:
    """An SDK component's scaling configuration, wherever its version keeps one.

    SDKs from 4.6 have ``scaling_configuration`` on the deployment, predictor and
    transformer; older ones have none, and scale-to-zero is then a request of 0
    instances (which :class:`Instances` reads as such).
    """
    found = _get(component, "scaling_configuration", "predictor_scaling_config", "_scaling_configuration")
    if found is None:
        found = _get(_get(component, "predictor", "_predictor"), "scaling_configuration", "_scaling_configuration")
    return found


def _min_instances(config: Any, problems: list[str]) -> int | None:
    if config is None:
        return None
    return _count(_get(config, "min_instances", "minInstances"), "Minimum instances", problems)


# ------------------------------------------------------------------ resources and endpoint
_AMOUNTS = ("cores", "memory", "gpus")
# key -> spellings in REST JSON / SDK objects, for one component's scaling configuration
_SCALING_FIELDS = (
    ("min_instances", ("min_instances", "minInstances")),
    ("max_instances", ("max_instances", "maxInstances")),
    ("scale_metric", ("scale_metric", "scaleMetric")),
    ("target", ("target",)),
    ("retention_s", ("scale_to_zero_retention_seconds", "scaleToZeroRetentionSeconds")),
    # 5.2: KServe Standard mode (HPA or KEDA), idle scale-to-zero and KEDA's stabilization windows
    ("autoscaler", ("autoscaler",)),
    ("additional_metrics", ("additional_scale_metrics", "additionalScaleMetrics")),
    ("idle_scale_to_zero", ("idle_scale_to_zero", "idleScaleToZero")),
    ("idle_cooldown_s", ("idle_cooldown_seconds", "idleCooldownSeconds")),
    ("cold_start_timeout_s", ("cold_start_timeout_seconds", "coldStartTimeoutSeconds")),
    ("scale_up_window_s", ("scale_up_stabilization_window_seconds", "scaleUpStabilizationWindowSeconds")),
    ("scale_down_window_s", ("scale_down_stabilization_window_seconds", "scaleDownStabilizationWindowSeconds")),
)
_SCALING_WORDS = ("scale_metric", "autoscaler")
ENDPOINT_LABELS = {
    "model_server": "model server",
    "serving_tool": "serving tool",
    "api_protocol": "API protocol",
    "environment": "environment",
    "inference_path": "inference",
    "model_server_path": "server path",
}


def _number(value: Any) -> Any:
    """A resource amount, or None where it is not one (not a number, negative, NaN, ±Infinity, huge)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        return None
    if (isinstance(value, float) and not math.isfinite(value)) or value > MAX_SAFE:
        return None
    return int(value) if float(value).is_integer() else value


def _word_of(value: Any) -> str | None:
    value = getattr(value, "value", value)  # SDK enums (ScaleMetric) carry their wire word
    if isinstance(value, str) and value.strip():
        return sendable(strip_hidden(value.strip()[:80]))
    return None


def _metrics_of(value: Any) -> list[list[Any]] | None:
    """Additional scale metrics as ``[[metric, target or None], ...]`` (dicts or SDK-coerced dicts), or None."""
    if not isinstance(value, (list, tuple)):
        return None
    out = []
    for item in value[:20]:
        metric = _word_of(_get(item, "scale_metric", "scaleMetric"))
        if metric is not None:
            out.append([metric, _number(_get(item, "target"))])
    return out or None


def _amounts_of(value: Any) -> dict[str, Any]:
    out = {}
    for key in _AMOUNTS:
        number = _number(_get(value, key))
        if number is not None:
            out[key] = number
    return out


def _component_resources(scaling: Any, requests: Any, limits: Any) -> dict[str, Any]:
    """One component's scaling and per-instance resources; keys that were not sent are left out."""
    out: dict[str, Any] = {}
    if scaling is not None:
        for key, names in _SCALING_FIELDS:
            raw = _get(scaling, *names)
            if key in _SCALING_WORDS:
                value = _word_of(raw)
            elif key == "additional_metrics":
                value = _metrics_of(raw)
            elif key == "idle_scale_to_zero":
                value = raw if isinstance(raw, bool) else None
            else:
                value = _number(raw)
            if value is not None:
                out[key] = value
    for key, value in (("requests", requests), ("limits", limits)):
        amounts = _amounts_of(value) if value is not None else {}
        if amounts:
            out[key] = amounts
    return out


def _json_resources(data: Mapping[str, Any], has_transformer: bool) -> dict[str, dict[str, Any]]:
    out = {}
    parts = [
        (
            "predictor",
            ("predictorScalingConfig", "predictor_scaling_config", "scalingConfiguration", "scaling_configuration"),
            ("predictorResources", "predictor_resources", "resources"),
        )
    ]
    if has_transformer:
        parts.append(
            (
                "transformer",
                ("transformerScalingConfig", "transformer_scaling_config"),
                ("transformerResources", "transformer_resources"),
            )
        )
    for component, scaling_keys, resource_keys in parts:
        res = _get(data, *resource_keys)
        res = res if isinstance(res, Mapping) else {}
        scaling = _get(data, *scaling_keys)
        fields = _component_resources(
            scaling if isinstance(scaling, Mapping) else None, _get(res, "requests"), _get(res, "limits")
        )
        if fields:
            out[component] = fields
    return out


def _sdk_resources(deployment: Any, transformer: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for component, obj in (("predictor", deployment), ("transformer", transformer)):
        if obj is None:
            continue
        res = _get(obj, "resources")
        fields = _component_resources(_sdk_scaling(obj), _get(res, "requests"), _get(res, "limits"))
        if fields:
            out[component] = fields
    return out


def _json_endpoint(data: Mapping[str, Any]) -> dict[str, str]:
    # environmentDto is what a backend from before per-component environments sends (SDK 5.2.1 reads it too)
    env = _get(data, "predictorEnvironment", "predictor_environment", "environmentDto", "environment_dto")
    return _endpoint_fields(
        {
            "model_server": _get(data, "modelServer", "model_server"),
            "serving_tool": _get(data, "servingTool", "serving_tool"),
            "api_protocol": _get(data, "apiProtocol", "api_protocol"),
            "environment": _get(env, "name") if isinstance(env, Mapping) else env,
            "inference_path": _get(data, "hopsworksInferencePath", "hopsworks_inference_path"),
            "model_server_path": _get(data, "modelServerInferencePath", "model_server_inference_path"),
        }
    )


def _sdk_endpoint(deployment: Any, state: Any) -> dict[str, str]:
    # the predictor's own attributes: the deployment's aliases of some of them warn (deprecated in 5.x)
    predictor = _get(deployment, "_predictor", "predictor")
    source = predictor if predictor is not None else deployment
    env = _get(source, "environment", "_environment")
    return _endpoint_fields(
        {
            "model_server": _get(source, "model_server", "_model_server"),
            "serving_tool": _get(source, "serving_tool", "_serving_tool"),
            "api_protocol": _get(source, "api_protocol", "_api_protocol"),
            "environment": _get(env, "name") if env is not None and not isinstance(env, str) else env,
            "inference_path": _get(state, "hopsworks_inference_path"),
            "model_server_path": _get(state, "model_server_inference_path"),
        }
    )


def _endpoint_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in raw.items():
        word = getattr(value, "value", value)
        if isinstance(word, str) and word.strip():
            out[key] = sendable(strip_hidden(word.strip()))[:300]
    return out


def resources_text(fields: Mapping[str, Any]) -> str:
    """One component's resources on one line: ``min 0 · max 2 · CONCURRENCY 100 · ...``."""
    parts = []
    if "min_instances" in fields or "max_instances" in fields:
        lo, hi = fields.get("min_instances", "?"), fields.get("max_instances", "?")
        parts.append(f"instances {lo}–{hi}")
    if "autoscaler" in fields:
        parts.append(f"autoscaler {fields['autoscaler']}")
    if "scale_metric" in fields:
        target = f" target {fields['target']}" if "target" in fields else ""
        parts.append(f"scale on {fields['scale_metric']}{target}")
    if fields.get("additional_metrics"):
        parts.append("and on " + ", ".join(metric_text(m, t) for m, t in fields["additional_metrics"]))
    if "retention_s" in fields:
        parts.append(f"scale-to-zero after {fields['retention_s']} s")
    if fields.get("idle_scale_to_zero"):
        after = f" after {fields['idle_cooldown_s']} s idle" if "idle_cooldown_s" in fields else ""
        parts.append(f"idle scale-to-zero{after}")
    elif "idle_cooldown_s" in fields:
        parts.append(f"idle cooldown {fields['idle_cooldown_s']} s")
    if "cold_start_timeout_s" in fields:
        parts.append(f"cold-start timeout {fields['cold_start_timeout_s']} s")
    if "scale_up_window_s" in fields or "scale_down_window_s" in fields:
        up, down = fields.get("scale_up_window_s", "?"), fields.get("scale_down_window_s", "?")
        parts.append(f"stabilization up {up} s / down {down} s")
    for key in ("requests", "limits"):
        amounts = fields.get(key)
        if amounts:
            parts.append(f"{key} " + ", ".join(_amount(k, v) for k, v in amounts.items()))
    return " · ".join(parts)


def metric_text(metric: str, target: Any) -> str:
    """One scale metric and its target (``KV_CACHE_USAGE target 80``; no target: the backend's default)."""
    return f"{metric} target {target}" if target is not None else f"{metric} (default target)"


def _amount(key: str, value: Any) -> str:
    if key == "memory":
        return f"{value} MB memory"
    if key == "gpus":
        return f"{value} GPU" + ("" if value == 1 else "s")
    return f"{value} core" + ("" if value == 1 else "s")
