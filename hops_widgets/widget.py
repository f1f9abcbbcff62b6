"""The deployment widget: traits fed by the deployment's poller, a pure view out (``js/widget.js``).

:class:`DeploymentDetail` is the detail view's state without a comm (the overview
embeds one for its open row); :class:`DeploymentWidget` is the same state as an
anywidget. Neither knows the overview; :func:`hops_widgets.display.show` sits above both.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

import anywidget
import traitlets as t

from . import _actions, _hosts, _registry, _schema
from . import diagrams as _diagram
from . import errors as _errors
from ._base import Pullable, ShownOnce, asset, ms
from ._channel import Channel, Refused, Visibility
from ._logformat import LOG_COMPONENTS, format_log_entries
from ._pending import PendingActions
from ._polling import SafeError
from ._restarts import RestartWatch, pods_reader
from ._text import sendable
from ._versions import VersionBook
from .errors import DeploymentFailed, explain, redact
from .errors import Timeout as WaitTimeout
from .logs import LogBook
from .poller import DeploymentSource, Policy, Poller, Snapshot
from .snapshot import detail_html
from .snapshot import detail_html as snapshot_html
from .state import (
    MAX_REASON_CHARS,
    RESTARTABLE,
    DeploymentState,
    visible,
)

__all__ = ["DeploymentDetail", "DeploymentWidget", "snapshot_html"]

# What to do about errors that will not go away by themselves; {slow} is the slowest interval.
_ADVICE = {
    "auth": "The API key was rejected: it may have expired or been revoked. Create a new one in Hopsworks "
    "(account settings, API keys) and log in again. Until the key works the widget checks only every "
    "{slow} s; Refresh checks now.",
    "forbidden": "The API key works but may not do this: it needs the serving scope and a role in the project. "
    "The widget checks only every {slow} s; Refresh checks now.",
}


def _with_advice(error: str, kind: str, slow_s: float) -> str:
    advice = _ADVICE.get(kind)
    return f"{advice.format(slow=f'{slow_s:g}')} ({error})" if advice and error else error


# ------------------------------------------------------------------ refusals
FORBIDDEN_MESSAGE = (
    "Your role in this project cannot start or stop deployments: the cluster answered 403 (only a Data Owner "
    "may; a Data Scientist may read deployments, their logs and send requests). Ask a Data Owner of the "
    "project to do it, or to give you that role. Start, Stop, Restart and Rollback stay off in every widget of this "
    "project until an action on it succeeds (here or in code), or until you press Try again."
)
# action -> status -> what a lifecycle refusal (400 / 240003) means and what to do; "*" = any other status
_REFUSALS = {
    "start": {
        "FAILED": "The cluster does not start a failed deployment. Restart it (stop, then start), or stop it.",
        "RUNNING": "It is already started: there is nothing to start.",
        "IDLE": "It is already started (scaled to zero: a request wakes it): there is nothing to start.",
        "STARTING": "It is already starting: wait for it to finish.",
        "UPDATING": "It is already started and is rolling out an update: there is nothing to start.",
        "STOPPING": "It is still stopping: start it once it is stopped.",
        "CREATING": "It is still being prepared: start it once it is created.",
        "*": "The cluster is busy with a start or stop of it: try again in a moment.",
    },
    "stop": {
        "STARTING": "The cluster does not stop a deployment while it starts. Stop it once it has started: "
        "the widget can do that for you.",
        "UPDATING": "The cluster does not stop a deployment while it rolls out an update. Stop it once the "
        "update is done: the widget can do that for you.",
        "STOPPING": "It is already stopping: there is nothing to stop.",
        "*": "It is not running (nothing to stop), or the cluster is busy with it: try again in a moment.",
    },
    "restart": {
        "*": "The cluster refused the restart in this status: try again once the status has settled.",
    },
    # a rollback refused with 500 / 240002: the deployment starts or stops
    "rollback": {
        "STARTING": "The cluster does not roll back a deployment while it starts: roll back once it is "
        "running (or stop it first).",
        "STOPPING": "The cluster does not roll back a deployment while it stops: roll back once it is stopped.",
        "*": "The cluster does not roll back a deployment while it starts or stops: roll back once it is "
        "running or stopped.",
    },
}
# statuses in which the cluster refuses a rollback (500 / 240002)
NO_ROLLBACK = frozenset({"STARTING", "STOPPING", "NOT_FOUND"})
VERSIONS_ABSENT = "Rollback is not available here: deployment versions came with Hopsworks 5.2 (SDK and cluster)."
# statuses where a refused Stop can be carried out later, once the status is left
DEFERRABLE = {"STARTING": "Stop once it has started", "UPDATING": "Stop once the update is done"}


def refusal_text(action: str, status: str) -> str:
    """Plain words for a lifecycle refusal of ``action`` in ``status``, with what to do."""
    if action == "stop" and status in ("CREATING", "CREATED", "STOPPED"):
        return "It is already stopped: there is nothing to stop."
    refusals = _REFUSALS.get(action, {})
    return refusals.get(status) or refusals.get("*") or _REFUSALS["restart"]["*"]


def project_key(source: Any) -> Hashable:
    """The project a source belongs to, for rights shared by its widgets (its own key if none is found)."""
    try:
        found = _registry.project_of(source)
    except Exception:  # noqa: BLE001 - an odd object is its own project
        found = ""
    if isinstance(found, tuple):
        return found[0]
    try:
        return ("alone", source.key)
    except Exception:  # noqa: BLE001
        return ("alone", id(source))


class ProjectRights:
    """Projects whose start/stop was refused for the user's role (403), shared by every widget in the kernel.

    The rule is simple on purpose: after a 403 on a start, stop or restart, the actions of every widget
    of that project are off (reading, logs and Try it go on) until an action on that project succeeds,
    in a widget or in code (the client and the SDK methods patched by ``enable()`` announce theirs), or
    the user presses Try again (after a Data Owner gave them that role).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocked: dict[Hashable, str] = {}
        self._watchers: dict[Hashable, dict[int, Callable[[str], None]]] = {}
        self._ids = itertools.count(1)

    def message(self, key: Hashable) -> str:
        with self._lock:
            return self._blocked.get(key, "")

    def watch(self, key: Hashable, callback: Callable[[str], None]) -> int:
        with self._lock:
            token = next(self._ids)
            self._watchers.setdefault(key, {})[token] = callback
        return token

    def unwatch(self, key: Hashable, token: int) -> None:
        with self._lock:
            watchers = self._watchers.get(key, {})
            watchers.pop(token, None)
            if not watchers:
                self._watchers.pop(key, None)

    def block(self, key: Hashable, message: str = FORBIDDEN_MESSAGE) -> None:
        self._set(key, message)

    def allow(self, key: Hashable) -> None:
        self._set(key, "")

    def _set(self, key: Hashable, message: str) -> None:
        with self._lock:
            if self._blocked.get(key, "") == message:
                return
            if message:
                self._blocked[key] = message
            else:
                self._blocked.pop(key, None)
            callbacks = list(self._watchers.get(key, {}).values())
        for callback in callbacks:
            try:
                callback(message)
            except Exception:  # noqa: BLE001 - one closed widget must not keep the others blocked
                continue


rights = ProjectRights()


def _announced(deployment: Any, action: str) -> None:
    """An action asked in code went through: its project's actions are allowed again."""
    if action in ("start", "stop", "restart", "rollback"):
        rights.allow(project_key(DeploymentSource(deployment)))


_actions.listen(_announced)


class DeploymentDetail(t.HasTraits):
    """Live state of one deployment as traits: badge, condition, steps, instances, actions.

    Several of these (and widgets) of one deployment share one poller, which
    stops when the last one closes. ``on_values`` is told of every change as a
    dict of the traits that changed (the overview mirrors its open row that way).
    """

    # identity
    name = t.Unicode("").tag(sync=True)
    model_name = t.Unicode("").tag(sync=True)
    model_version = t.Int(None, allow_none=True).tag(sync=True)
    # status
    status = t.Unicode("UNKNOWN").tag(sync=True)
    status_label = t.Unicode("Loading…").tag(sync=True)
    status_description = t.Unicode("").tag(sync=True)
    tone = t.Unicode("neutral").tag(sync=True)
    busy = t.Bool(True).tag(sync=True)
    stale = t.Bool(False).tag(sync=True)  # polls fail: what is shown is the last known state
    # condition
    condition_reason = t.Unicode("").tag(sync=True)
    reason_cut_chars = t.Int(0).tag(sync=True)
    message = t.Unicode("").tag(sync=True)
    steps = t.List(t.Dict()).tag(sync=True)
    problems = t.List(t.Unicode()).tag(sync=True)
    # instances
    predictor_available = t.Int(None, allow_none=True).tag(sync=True)
    predictor_requested = t.Int(None, allow_none=True).tag(sync=True)
    has_transformer = t.Bool(False).tag(sync=True)
    transformer_available = t.Int(None, allow_none=True).tag(sync=True)
    transformer_requested = t.Int(None, allow_none=True).tag(sync=True)
    scale_to_zero = t.Bool(False).tag(sync=True)
    # polling
    changed_at_ms = t.Float(None, allow_none=True).tag(sync=True)
    last_ok_ms = t.Float(None, allow_none=True).tag(sync=True)
    polling = t.Unicode("starting").tag(sync=True)
    interval_s = t.Float(None, allow_none=True).tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    # actions
    can_start = t.Bool(False).tag(sync=True)
    can_stop = t.Bool(False).tag(sync=True)
    pending_action = t.Unicode("").tag(sync=True)
    action_error = t.Unicode("").tag(sync=True)
    actions_enabled = t.Bool(True).tag(sync=True)
    # what changed in the poller's timeline since this object's last update (see timeline.py)
    timeline = t.Dict().tag(sync=True)
    # the Logs section: new lines since the last update (logs.py), and the component a failure points at
    logs_delta = t.Dict().tag(sync=True)
    logs_focus = t.Unicode("").tag(sync=True)
    # restart counts per instance and the ones that keep restarting (_restarts.py); {} when unknown
    restarts = t.Dict().tag(sync=True)
    can_download_logs = t.Bool(False).tag(sync=True)  # the SDK (5.2+) or the client saves the log archives
    logs_download = t.Dict().tag(sync=True)  # the last Download logs: {seq, ok, paths, folder, error}
    # the deployment page: resources per component, endpoint and identity, links out, restart, try it
    resources = t.Dict().tag(sync=True)
    endpoint = t.Dict().tag(sync=True)
    links = t.Dict().tag(sync=True)  # {"ui", "model", "inference"}: URLs, where known
    can_restart = t.Bool(False).tag(sync=True)
    # a refusal: "lifecycle" (400 / 240003, action_error says what to do) or "" (another error, or none)
    action_refusal = t.Unicode("").tag(sync=True)
    offer = t.Unicode("").tag(sync=True)  # what a refusal offers: the label of "stop once it has started", or ""
    deferred_action = t.Unicode("").tag(sync=True)  # "stop": to be carried out once the status is left
    actions_blocked = t.Unicode("").tag(sync=True)  # why start/stop/restart are off for this project (403), or ""
    advice = t.Unicode("").tag(sync=True)  # what to do now (a failed deployment: restart or stop)
    readiness = t.Unicode("").tag(sync=True)  # "ready" only on READY/True; "not serving", "not ready yet", ""
    try_it = t.Bool(True).tag(sync=True)  # the request panel (off with try_it=False or actions=False)
    tryit_body = t.Unicode("").tag(sync=True)  # the last body sent (the panel's prefill)
    tryit_pending = t.Bool(False).tag(sync=True)
    tryit_result = t.Dict().tag(sync=True)  # {seq, ok, text, error, latency_ms, cold, at_ms}
    # {mode: "predict" | "chat", schema: bool, origin: "example" | "generated" | "", note, model}
    tryit_info = t.Dict().tag(sync=True)
    tryit_stream = t.Unicode("").tag(sync=True)  # a chat reply so far, while it streams in
    # what the state diagrams highlight (hops_widgets.diagrams.marks); their layout is asked for once
    diagram = t.Dict().tag(sync=True)
    # the Versions section (Hopsworks 5.2+, see _versions.py): {available, items, count, active, loading,
    # error, at_ms, target}; read only while the section is open and on screen
    versions = t.Dict().tag(sync=True)
    can_rollback = t.Bool(False).tag(sync=True)  # the cluster accepts a rollback now (not while starting/stopping)

    def __init__(
        self,
        deployment: Any = None,
        *,
        source: Any = None,
        policy: Policy | None = None,
        actions: bool = True,
        try_it: bool = True,
        poller: Poller | None = None,
        on_values: Callable[[dict[str, Any]], None] | None = None,
        **polling_options: Any,
    ) -> None:
        if source is None:
            if deployment is None:
                raise TypeError("DeploymentWidget needs a deployment (or a source)")
            source = DeploymentSource(deployment)
        # Validate options before a comm is opened, so a typo leaves nothing behind.
        wanted = Policy.from_options(policy, **polling_options)
        versions = VersionBook(
            self._read_versions,
            self._versions_published,
            available=_versions_known(source),
            label=source.label,
            secrets=lambda: source.secrets,
        )
        super().__init__(
            versions=versions.initial(),
            actions_enabled=actions,
            try_it=bool(try_it and actions),
            tryit_body=_LAST_BODIES.get(_body_key(source), DEFAULT_BODY),
            **self._initial_traits(),
        )
        self.source = source
        self._links_done = False
        self._tryit_seq = 0
        self._downloads = 0  # Download logs presses answered (logs_download's seq)
        self._schema: dict[str, Any] | None = None  # the request's JSON Schema, once read (see _tryit_setup)
        self._schema_for: Any = _NOT_READ  # the model version it was read for
        self._tryit_opened = False  # the panel was opened once: from then on its schema is kept current
        self._on_values = on_values
        # Held while traits are written: the poller thread, the log fetcher and frontend handlers
        # (on subshell threads with JupyterLab >= 4.4 and ipykernel >= 7) and cells all write them,
        # and ipywidgets' hold_sync is not thread-safe. Taken before the overview's lock, never after.
        self._lock = threading.RLock()
        self._pending = PendingActions()  # one entry (key None), mirrored by the pending_action trait
        self._deferred_from: str | None = None  # the status a deferred stop waits to see left
        self._timeline_rev = 0
        self._logs_rev = 0
        self._focused: str | None = None  # the failure the Logs section last opened itself for
        self._diagram_wanted = self._initial_traits().get("_view") == "diagram"  # drawn from the start
        self._restarts = RestartWatch(pods_reader(source), self._restart_counts, label=source.label)
        self._logs = LogBook(
            self._read_logs,
            self._logs_delta,
            label=source.label,
            secrets=lambda: source.secrets,
        )
        self._versions = versions
        self._closed = False
        self._changed = threading.Condition()
        self._round = 0  # the poll round whose result this widget shows
        if poller is None:
            poller = _registry.acquire(source, lambda: _registry.joined(source, policy=wanted))
            if poller.policy is not wanted and (polling_options or policy is not None):
                # explicit options win on a shared poller too; the others stay as they were
                poller.set_policy(Policy.from_options(policy or poller.policy, **polling_options))
        self._poller = poller
        self.visibility = Visibility(self.set_visible)
        self._project = project_key(source)
        self._rights_token = rights.watch(self._project, self._rights_changed)
        self.actions_blocked = rights.message(self._project)
        self._token = poller.subscribe(self._apply)

    def _initial_traits(self) -> dict[str, Any]:
        """Traits a subclass sets before the first state is sent (the widget's view)."""
        return {}

    def _set_values(self, values: dict[str, Any]) -> None:
        """Write traits as one message (and tell the overview that mirrors this detail)."""
        with self._lock:
            if self._closed:
                return
            with self._batch():
                for key, value in values.items():
                    setattr(self, key, value)
            self._tell(values)

    def _rights_changed(self, message: str) -> None:
        values: dict[str, Any] = {"actions_blocked": message}
        if message:  # the refusal's own line would repeat it
            values.update(action_error="", action_refusal="", offer="")
        self._set_values(values)

    # ------------------------------------------------------------ state in
    @property
    def state(self) -> DeploymentState | None:
        """The last good state (full reason included), or None before the first poll."""
        return self._poller.snapshot.state

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def error_kind(self) -> str:
        """What kind of error the last poll had ("auth", "not_found", "server"…), or ""."""
        return self._poller.snapshot.error_kind

    @property
    def condition_type(self) -> str:
        cond = self.state.condition if self.state else None
        return (cond.type or "") if cond else ""

    @property
    def condition_status(self) -> str:
        """ "true", "false", "unknown" (in progress), or "" without a condition."""
        cond = self.state.condition if self.state else None
        return cond.progress if cond else ""

    @property
    def history(self) -> list[dict[str, Any]]:
        """One entry per status, oldest first, with its condition steps inside (shared by the deployment's widgets)."""
        return self._poller.timeline.history

    @property
    def instance_series(self) -> list[list[Any]]:
        """``[at_ms, available predictor instances]`` at each change, oldest first."""
        return self._poller.timeline.series

    def set_visible(self, on: bool) -> None:
        """Whether a view of this detail is on screen: the poller's pace and log fetching follow."""
        self._poller.set_visible(self._token, on)
        self._logs.set(visible=on)
        self._versions.set(visible=on)
        self._restarts.set(visible=on)

    def _read_logs(self, component: str, tail: int) -> list[dict]:
        lines = self.source.logs(component, tail)
        self._restarts.observe_lines(component, lines)  # the Logs section's reads bring restart counts too
        return lines

    def _restart_counts(self, found: dict[str, Any]) -> None:
        # (not _restarts_changed: traitlets calls a method of that name on every change of `restarts`)
        self._set_values({"restarts": found})

    def logs(self, component: str = "predictor", tail: int = 100) -> str:
        """The logs as one text, as ``deployment.read_logs()`` gives them (one block per instance)."""
        return format_log_entries(self.source.logs(component, tail))

    def _logs_delta(self, delta: dict[str, Any]) -> None:
        with self._lock:
            self._logs_rev += 1
            values = {"logs_delta": {**delta, "rev": self._logs_rev}}
            with self._batch():
                self.logs_delta = values["logs_delta"]
            self._tell(values)

    def sync_state(self) -> dict[str, Any]:
        """Every synced trait's value (what a view needs to draw the whole detail)."""
        return {name: getattr(self, name) for name in self.trait_names(sync=True) if not name.startswith("_")}

    def _batch(self):
        return contextlib.nullcontext()

    def _apply(self, snap: Snapshot) -> None:
        """Map a snapshot onto traits: one comm message per change, none without."""
        with self._lock:
            if self._closed:
                return
            self._round = max(self._round, snap.poll)
            values = self._values(snap)
            changed = {k: v for k, v in values.items() if getattr(self, k) != v}
            with self._batch():
                for key, value in changed.items():
                    setattr(self, key, value)
            if changed and self._on_values is not None:
                self._on_values(changed)
            self._carry_out_deferred(snap.state)
        with self._changed:
            self._changed.notify_all()

    def _carry_out_deferred(self, s: DeploymentState | None) -> None:
        """A stop the cluster refused mid-start is sent once the status it waited on is left."""
        if not self.deferred_action or s is None or self._deferred_from is None or s.status == self._deferred_from:
            return
        self._deferred_from = None
        self._set_values({"deferred_action": "", "offer": ""})
        if s.can_stop and s.status not in DEFERRABLE:
            self._act("stop")  # Running, Idle or Failed: the cluster accepts it now
        elif s.status in DEFERRABLE:  # Starting turned into Updating (or back): keep waiting
            self._deferred_from = s.status
            self._set_values({"deferred_action": "stop"})
        # stopped or stopping meanwhile (someone else stopped it): nothing left to do

    def stop_later(self) -> bool:
        """Remember a stop for when the status leaves Starting (or Updating), where the cluster refuses one now.

        Returns whether it was armed. Shown as pending in the view; :meth:`cancel_stop_later` forgets it.
        """
        with self._lock:
            if self.status not in DEFERRABLE or self.actions_blocked:
                return False
            self._deferred_from = self.status
            self._set_values({"deferred_action": "stop", "offer": "", "action_error": "", "action_refusal": ""})
        return True

    def cancel_stop_later(self) -> None:
        """Forget a deferred stop."""
        with self._lock:
            self._deferred_from = None
            self._set_values({"deferred_action": ""})

    def allow_actions(self) -> None:
        """Turn this project's actions back on after a 403 (say, once a Data Owner gave you the role)."""
        rights.allow(self._project)

    def _values(self, snap: Snapshot) -> dict[str, Any]:
        values: dict[str, Any] = {
            "polling": snap.mode,
            "interval_s": None if snap.interval_s is None else round(snap.interval_s, 1),
            "error": _with_advice(snap.error, snap.error_kind, self._poller.policy.backoff_max_s),
            "changed_at_ms": ms(snap.changed_at),
            "last_ok_ms": ms(snap.last_ok_at) if snap.error else self.last_ok_ms,
            "stale": bool(snap.error) and snap.state is not None,
        }
        delta = self._poller.timeline.since(self._timeline_rev)
        if delta is not None:
            self._timeline_rev = delta["rev"]
            values["timeline"] = delta
        s = snap.state
        if self._diagram_wanted:  # only once a view shows the diagrams: they cost nothing until then
            values["diagram"] = self._diagram_marks(snap)
        if s is not None:
            cond = s.condition
            reason = cond.reason if cond else ""
            values.update(
                name=visible(s.name),
                model_name=visible(s.model_name or ""),
                model_version=s.model_version,
                status=s.status,
                status_label=s.status_label,
                status_description=s.status_description,
                tone=s.tone,
                busy=s.transitional,
                condition_reason=reason[:MAX_REASON_CHARS],
                reason_cut_chars=max(0, len(reason) - MAX_REASON_CHARS),
                message=s.message,
                steps=s.steps(),
                problems=list(s.problems),
                predictor_available=s.predictor.available,
                predictor_requested=s.predictor.requested,
                has_transformer=s.transformer is not None,
                transformer_available=s.transformer.available if s.transformer else None,
                transformer_requested=s.transformer.requested if s.transformer else None,
                scale_to_zero=s.scale_to_zero,
                can_start=s.can_start,
                can_stop=s.can_stop,
                can_restart=s.can_restart,
                can_rollback=s.status not in NO_ROLLBACK,
                advice=s.advice,
                readiness=s.readiness,
                resources=dict(s.resources),
                endpoint=dict(s.endpoint),
            )
            if not self._links_done:
                self._links_done = True
                values["links"] = self._find_links()
                values["can_download_logs"] = self._can_download()
            self._tryit_setup(s, values)
            if self._pending.settle({None: s.status}):
                values["pending_action"] = ""
            if self.offer and s.status not in DEFERRABLE:
                values["offer"] = ""  # the status the refusal was about is left: its offer is moot
            self._logs.set(
                status=s.status, runs=s.pods_run
            )  # no pod, no logs: the section says so and asks again once one runs
            # an update or a rollback moves the status: an open Versions section reads again
            self._versions.set(status=s.status, model_version=s.model_version)
            self._restarts.set(
                status=s.status, components=("predictor", "transformer") if s.transformer else ("predictor",)
            )
            focus = failing_component(s)
            if focus and focus != self._focused:
                # a start failed where the logs say why: open the section there, once per failure
                self._focused = focus
                values["logs_focus"] = focus
                self._logs.set(open=True, component=focus)
            elif not focus and self._focused:
                self._focused = None
                values["logs_focus"] = ""
        elif snap.error:
            values.update(status_label="Unavailable", tone="unknown", busy=False, message="")
        if snap.error_kind == "not_found":
            # Deleted (or renamed) on the server: say so, offer nothing to click, keep looking now and then.
            values.update(
                status="NOT_FOUND",
                status_label="Not found",
                status_description="The server does not know this deployment any more.",
                tone="unknown",
                busy=False,
                message="This deployment no longer exists on the server: it was deleted or renamed. "
                "The widget keeps checking now and then and comes back if it reappears.",
                steps=[],
                can_start=False,
                can_stop=False,
                can_restart=False,
                can_rollback=False,
                stale=False,
                pending_action="",
                advice="",
                readiness="",
            )
            self._pending.clear(None)
        return values

    def _diagram_marks(self, snap: Snapshot) -> dict[str, Any]:
        statuses = [entry["status"] for entry in self._poller.timeline.history]
        return _diagram.marks(statuses, snap.state if snap.error_kind != "not_found" else None)

    def _show_diagram(self, _content: dict | None = None) -> dict[str, Any]:
        """A view draws the diagrams: from now on keep what they light up to date. Returns their layout."""
        with self._lock:
            self._diagram_wanted = True
            marks = self._diagram_marks(self._poller.snapshot)
            if marks != self.diagram:
                with self._batch():
                    self.diagram = marks
                self._tell({"diagram": marks})
        return _diagram.LAYOUT

    # ------------------------------------------------------------ commands
    def refresh(self) -> None:
        """Poll now."""
        self._poller.refresh()

    def start(self):
        """Start the deployment in the background; returns a future."""
        return self._act("start")

    def stop(self):
        """Stop the deployment in the background; returns a future."""
        return self._act("stop")

    def restart(self):
        """Stop, wait for Stopped, then start, in the background; returns a future.

        The SDK's own ``restart`` where it has one (5.2+, the built-in client),
        stop-then-start otherwise (see ``_sdk.restart``); the widget shows the
        stop steps, then the start steps.
        """
        return self._act("restart")

    # ------------------------------------------------------------ versions and rollback
    def rollback(self, version: int):
        """Make an earlier version of the deployment the active one again, in the background.

        Returns a future (resolved once the cluster took the rollback; a deployed one then
        walks Updating → Running, as the widget shows), or None when it was not sent:
        ``action_error`` says why (another action pending, the role may not, the status,
        or no versions with this SDK or cluster). What :meth:`start` and :meth:`stop` return.
        """
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"version must be a whole number, not {version!r}")
        with self._lock:
            if self.pending_action or self.actions_blocked:
                return None  # one action at a time; the role may not (actions_blocked says so)
            problem = ""
            if self._versions.absent:
                problem = VERSIONS_ABSENT
            elif not self.can_rollback and self.status in NO_ROLLBACK:
                problem = f"Cannot roll back while the deployment is {self.status_label.lower()}. " + refusal_text(
                    "rollback", self.status
                )
            elif version == self._versions.active:
                problem = f"Version {version} is already the active one: there is nothing to roll back."
            if problem:
                self._set_values({"action_error": problem, "action_refusal": "", "offer": ""})
                return None
            self._pending.mark(None, "rollback", None)  # held until the cluster took it
            self._set_values(
                {
                    "pending_action": "rollback",
                    "action_error": "",
                    "action_refusal": "",
                    "offer": "",
                    "versions": {**self.versions, "target": version},
                }
            )
            future = self._run_rollback(version)
            future.add_done_callback(lambda f: self._action_done("rollback", f))
        return future

    def versions_list(self) -> list[dict[str, Any]] | None:
        """The versions as the section shows them (newest first, with what changed), read now; None without."""
        self._versions.read_once()
        value = self._versions.value
        return None if value["available"] is False else list(value["items"])

    def _read_versions(self) -> list[dict] | None:
        from . import _sdk

        own = getattr(self.source, "versions", None)
        return own() if callable(own) else _sdk.versions(getattr(self.source, "deployment", None))

    def _versions_published(self, value: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                return
            target = self.versions.get("target")
            if target is not None and self.pending_action == "rollback":
                value = {**value, "target": target}
            self._set_values({"versions": value})

    def _run_rollback(self, version: int) -> Future:
        """The rollback's POST on a thread of its own; the poller polls fast meanwhile and after."""
        from . import _sdk

        source = self.source

        def rollback() -> None:
            try:
                own = getattr(source, "rollback", None)
                done = own(version) if callable(own) else _sdk.rollback(source.deployment, version)
            except Exception as exc:  # noqa: BLE001 - shown as the action's error
                refusal = _errors.action_refusal(exc)
                if not refusal and _errors.error_code(exc) == _errors.BUSY_ERROR:
                    refusal = "lifecycle"  # 500 / 240002: it starts or stops
                raise SafeError(explain(exc, source.secrets), refusal=refusal) from None
            if done is None:
                raise SafeError(VERSIONS_ABSENT, refusal="absent")

        return self._poller.run_watched(rollback, f"rollback-{source.label}")

    def _rollback_done(self, exc: BaseException | None) -> None:
        """The rollback was taken (pending until the status moves, versions read again) or refused."""
        with self._lock:
            if exc is not None and getattr(exc, "refusal", "") == "absent":
                self._versions.mark_absent()
            values: dict[str, Any] = {"versions": dict(self._versions.value)}  # the book's own: no target
            if exc is None:
                # a deployed one now updates: pending until the status leaves the one it has; a stopped one is done
                if self.status in ("RUNNING", "IDLE", "FAILED", "UPDATING"):
                    self._pending.mark(None, "rollback", self.status)
                else:
                    self._pending.clear(None)
                    values["pending_action"] = ""
            elif getattr(exc, "refusal", "") == "absent":
                self._pending.clear(None)
                values.update(pending_action="", action_error=str(exc), action_refusal="", offer="")
            self._set_values(values)
        if exc is None:
            self._versions.reload()

    def _find_links(self) -> dict[str, str]:
        from . import _sdk

        finder = getattr(self.source, "links", None)
        try:
            found = finder() if callable(finder) else _sdk.links(getattr(self.source, "deployment", None))
        except Exception:  # noqa: BLE001 - links are a convenience: none is shown rather than an error
            return {}
        return {k: v for k, v in (found or {}).items() if isinstance(v, str) and v.startswith(("http://", "https://"))}

    def _can_download(self) -> bool:
        from . import _sdk

        own = getattr(self.source, "download_logs", None)
        return callable(own) or _sdk.can_download_logs(getattr(self.source, "deployment", None))

    def download_logs(self, latest: bool = False, path: str | None = None) -> Future:
        """Save the log archives (SDK 5.2+ ``download_logs``, or the client's) in the background.

        Into a new ``logs-deployment-<name>_<id>`` directory under ``path`` (the kernel's working
        directory, the notebook's own in JupyterLab, Notebook 7 and VS Code). The future's result is
        ``{"ok", "paths", "folder", "error"}``, paths relative to the working directory where they can be.
        """
        import os

        from . import _sdk

        source = self.source
        future: Future = Future()
        where = os.getcwd() if path is None else str(path)

        def work() -> None:
            try:
                own = getattr(source, "download_logs", None)
                if callable(own):
                    paths = own(path=where, latest=latest)
                else:
                    paths = _sdk.download_logs(source.deployment, where, latest=latest)
                shown = [_relative(p) for p in paths]
                folder = os.path.dirname(shown[0]) if shown else ""
                result = {"ok": True, "paths": shown, "folder": folder, "error": ""}
            except Exception as exc:  # noqa: BLE001 - shown in the Logs section, never raised there
                result = {"ok": False, "paths": [], "folder": "", "error": explain(exc, source.secrets)}
            with self._lock:
                self._downloads += 1
                result["seq"] = self._downloads
            self._set_values({"logs_download": result})  # what the view shows (a reply carries no body)
            future.set_result(result)

        threading.Thread(target=work, name=f"hops-widgets-download-logs-{source.label}", daemon=True).start()
        return future

    def _run_restart(self) -> Future:
        """Run the (blocking) restart on a thread of its own, so the poller keeps showing each step."""
        from . import _sdk

        source = self.source
        own = getattr(source, "restart", None)
        restart = own if callable(own) else lambda: _sdk.restart(source.deployment)
        return self._poller.run_watched(restart, f"restart-{source.label}")

    def _next_tryit(self) -> int:
        """The number of a new Try it request (under ``_lock``); refused while Try it is off or one waits."""
        if not self.try_it:
            raise _Refused("Try it is off for this widget (try_it=False or actions=False).")
        if self.tryit_pending:
            raise _Refused("A request is already waiting for its answer.")
        self._tryit_seq += 1
        return self._tryit_seq

    def predict(self, body: Any, *, check_schema: bool = True) -> Future:
        """Send one inference request with ``body`` (a dict, or its JSON text) in the background.

        What the Try it panel does. The result lands in ``tryit_result`` (``ok``, the
        response as JSON text or the error, ``latency_ms``, ``cold``: the deployment
        was idle when it was sent). While it waits the poller polls fast, so a cold
        start is seen as it happens. When the deployment has a schema (Hopsworks 5.2),
        a body that does not match it is refused before anything is sent, naming the
        field and why; ``check_schema=False`` sends it anyway (the server then judges).
        """
        if isinstance(body, str):
            text = sendable(body)
            try:
                payload = json.loads(body, parse_constant=_no_constant)
            except _BadBody as exc:
                raise _Refused(str(exc)) from None
            except ValueError as exc:
                raise _Refused(f"The request body is not valid JSON: {visible(sendable(str(exc)))}.") from None
        else:
            payload = body
            try:
                text = json.dumps(body, indent=2, allow_nan=False)
            except ValueError:
                raise _Refused(_body_problem(body) or "The request body cannot be sent as JSON.") from None
        problem = _body_problem(payload)
        if problem:
            raise _Refused(problem)
        if len(text) > MAX_BODY_CHARS:
            raise _Refused(f"The request body is longer than {MAX_BODY_CHARS} characters.")
        if check_schema:
            self._schema_now()  # asked in code before the panel was opened: the schema is read first
        if check_schema and self._schema is not None:
            found, _note = _schema.check(payload, self._schema)
            if found:
                more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
                raise _Refused(f"Not sent: the body does not match the deployment's schema. {found[0]}{more}.")
        with self._lock:
            seq = self._next_tryit()
            _LAST_BODIES[_body_key(self.source)] = text
            values = {"tryit_pending": True, "tryit_body": text}
            with self._batch():
                for key, value in values.items():
                    setattr(self, key, value)
            self._tell(values)
        cold = self.status == "IDLE"
        future: Future = Future()
        source, poller = self.source, self._poller

        def work() -> None:
            from . import _sdk

            started = time.perf_counter()
            with poller.watch():
                try:
                    own = getattr(source, "predict", None)
                    answer = own(payload) if callable(own) else _sdk.predict(source.deployment, payload)
                    result = {"ok": True, "text": _response_text(answer, source.secrets), "error": ""}
                except Exception as exc:  # noqa: BLE001 - the server's answer is shown, never raised here
                    result = {"ok": False, "text": "", "error": explain(exc, source.secrets)}
            result.update(
                seq=seq, latency_ms=round((time.perf_counter() - started) * 1000, 1), cold=cold, at_ms=ms(time.time())
            )
            poller.expect_change()
            with self._lock:
                if not self._closed:
                    values = {"tryit_pending": False, "tryit_result": result}
                    with self._batch():
                        for key, value in values.items():
                            setattr(self, key, value)
                    self._tell(values)
            future.set_result(result)

        threading.Thread(target=work, name=f"hops-widgets-predict-{source.label}", daemon=True).start()
        return future

    # ------------------------------------------------------------ try it: schema, chat, snippets
    def _tryit_setup(self, s: DeploymentState, values: dict[str, Any]) -> None:
        """Chat for a vLLM deployment; else read its request schema, once per model version, off this thread."""
        if not self.try_it:
            return
        if (s.endpoint.get("model_server") or "").upper() == "VLLM":
            openai = bool((values.get("links", self.links) or {}).get("openai"))
            info = {"mode": "chat", "model": s.name, "openai": openai, "schema": False, "origin": "", "note": ""}
            if not openai:
                info["note"] = NO_OPENAI_URL
            if info != self.tryit_info:
                values["tryit_info"] = info
            return
        if not self._tryit_opened or self._schema_for is _READING or self._schema_for == s.model_version:
            return  # read only once the panel has been opened (or predict() asked): a closed panel costs nothing
        key = (_body_key(self.source), s.model_version)
        if key in _SCHEMAS:
            self._schema_for = s.model_version
            values.update(self._schema_values(_SCHEMAS[key]))
            return
        self._schema_for = _READING
        threading.Thread(
            target=self._read_schema,
            args=(key, s.model_version),
            name=f"hops-widgets-schema-{self.source.label}",
            daemon=True,
        ).start()

    def _open_tryit(self, _content: dict | None = None) -> None:
        """The panel was opened: from now on its schema is read (once per model version)."""
        with self._lock:
            if self._tryit_opened:
                return
            self._tryit_opened = True
            state = self.state
            values: dict[str, Any] = {}
            if state is not None:
                self._tryit_setup(state, values)
        if values:
            self._set_values(values)

    def _schema_now(self) -> None:
        """Read the schema of the current model version on this thread, unless it is known or being read."""
        with self._lock:
            self._tryit_opened = True
            state = self.state
            if state is None or self._schema_for is _READING or self._schema_for == state.model_version:
                return
            if (state.endpoint.get("model_server") or "").upper() == "VLLM":
                return
            key = (_body_key(self.source), state.model_version)
            if key in _SCHEMAS:  # read by another widget of this deployment
                self._schema_for = state.model_version
                values = self._schema_values(_SCHEMAS[key])
            else:
                self._schema_for, values = _READING, None
        if values is None:
            self._read_schema(key, state.model_version)
        else:
            self._set_values(values)

    def _read_schema(self, key: Any, version: Any) -> None:
        from . import _sdk

        deployment = getattr(self.source, "deployment", None)
        try:
            schema = _schema.request_schema(_sdk.request_schema(deployment)) if deployment is not None else None
        except Exception as exc:  # noqa: BLE001 - Try it works on without a schema, and says why
            values: dict[str, Any] = {
                "tryit_info": {
                    "mode": "predict",
                    "schema": False,
                    "origin": "",
                    "note": f"The deployment's schema could not be read, so bodies are not checked: "
                    f"{explain(exc, self.source.secrets)}",
                }
            }
        else:
            _SCHEMAS[key] = schema
            values = self._schema_values(schema)
        with self._lock:
            self._schema_for = version
        self._set_values(values)

    def _schema_values(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        """The panel's traits for a schema read (None: there is none): the prefill and where it came from."""
        self._schema = schema
        info: dict[str, Any] = {"mode": "predict", "schema": schema is not None, "origin": "", "note": ""}
        values: dict[str, Any] = {}
        if schema is not None:
            body, origin, note = _schema.prefill(schema)
            unchecked = _schema.check(body, schema)[1] if body is not None else ""
            info["note"] = " ".join(part[:1].upper() + part[1:] + "." for part in (note, unchecked) if part)
            if body is not None and _body_key(self.source) not in _LAST_BODIES:
                text = json.dumps(body, indent=2, ensure_ascii=False)
                if len(text) <= MAX_BODY_CHARS:
                    values["tryit_body"] = text
                    info["origin"] = origin
        values["tryit_info"] = info
        return values

    @property
    def request_schema(self) -> dict[str, Any] | None:
        """The JSON Schema bodies are checked against (Hopsworks 5.2 deployments that have one), or None."""
        return self._schema

    def chat(self, message: str, *, system: str = "", model: str | None = None) -> Future:
        """Send one chat message to a vLLM deployment in the background (OpenAI chat completions, streamed).

        What Try it does for a vLLM deployment: the reply grows in ``tryit_stream`` as it comes,
        then lands whole in ``tryit_result`` (``ok``, ``text`` or ``error``, ``latency_ms``).
        ``system``: an optional system prompt; ``model``: the served model's name (the deployment's).
        """
        message, system = sendable(str(message or "")), sendable(str(system or ""))
        if self.tryit_info.get("mode") != "chat":
            raise _Refused("This deployment is not served by vLLM: send it a JSON body with predict().")
        if not message.strip():
            raise _Refused("Write a message first: nothing was sent.")
        if len(message) + len(system) > MAX_BODY_CHARS:
            raise _Refused(f"The message is longer than {MAX_BODY_CHARS} characters.")
        body = _schema.chat_body(str(model or self.tryit_info.get("model") or self.name), message, system)
        with self._lock:
            seq = self._next_tryit()
        self._set_values({"tryit_pending": True, "tryit_stream": ""})
        cold = self.status == "IDLE"
        future: Future = Future()
        source, poller = self.source, self._poller

        def shown(text: str) -> str:
            return sendable(visible(redact(text, source.secrets)))[:MAX_RESPONSE_CHARS]

        def work() -> None:
            from . import _sdk

            last = [0.0]

            def on_text(text: str) -> None:
                now = time.monotonic()
                if now - last[0] >= STREAM_EVERY_S:  # one message per tenth of a second, not one per token
                    last[0] = now
                    self._set_values({"tryit_stream": shown(text)})

            started = time.perf_counter()
            with poller.watch():
                try:
                    reply = _sdk.chat(source.deployment, body, on_text)
                    result = {"ok": True, "text": shown(reply), "error": ""}
                except Exception as exc:  # noqa: BLE001 - the error is shown, never raised here
                    plain = isinstance(exc, _schema.ChatError)  # the model's refusal, already in plain words
                    result = {"ok": False, "text": "", "error": explain(exc, source.secrets, plain=plain)}
            result.update(
                seq=seq, latency_ms=round((time.perf_counter() - started) * 1000, 1), cold=cold, at_ms=ms(time.time())
            )
            poller.expect_change()
            self._set_values({"tryit_pending": False, "tryit_stream": result["text"], "tryit_result": result})
            future.set_result(result)

        threading.Thread(target=work, name=f"hops-widgets-chat-{source.label}", daemon=True).start()
        return future

    def snippet(
        self, kind: str, body: Any = None, *, message: str = "", system: str = "", model: str | None = None
    ) -> str:
        """Try it's request as code to copy: ``kind`` ``"python"`` (``deployment.predict(data=...)``, or the
        ``openai`` client for a vLLM deployment) or ``"curl"``. The API key is never in it: the
        placeholder ``<YOUR_API_KEY>`` stands where it goes."""
        if kind not in ("python", "curl"):
            raise _Refused("A snippet is 'python' or 'curl'.")
        links = self.links or {}
        if self.tryit_info.get("mode") == "chat":
            base = links.get("openai")
            if not base:
                raise _Refused(NO_OPENAI_URL)
            request = _schema.chat_body(
                str(model or self.tryit_info.get("model") or self.name),
                sendable(str(message or "")) or "Hello!",
                sendable(str(system or "")),
            )
            text = _schema.chat_python(base, request) if kind == "python" else _schema.chat_curl(base, request)
        else:
            payload = body
            if body is None or isinstance(body, str):
                try:
                    payload = json.loads(body if body is not None else self.tryit_body, parse_constant=_no_constant)
                except ValueError as exc:
                    raise _Refused(f"The request body is not valid JSON, so there is nothing to copy: {exc}") from None
            problem = _body_problem(payload)
            if problem:
                raise _Refused(problem)
            if kind == "python":
                text = _schema.python_predict(self.name, payload)
            else:
                url = links.get("inference")
                if not url:
                    host = links["ui"].split("/p/", 1)[0] if links.get("ui") else "https://<HOPSWORKS_HOST>"
                    # the backend's hopsworksInferencePath (/project/<id>/inference/models/<name>) and the verb
                    path = (self.endpoint or {}).get("inference_path") or "/project/<PROJECT_ID>/inference/models/"
                    path = path if path.rstrip("/").endswith(self.name) else path.rstrip("/") + "/" + self.name
                    path = path if path.startswith("/") else "/" + path
                    url = f"{host}/hopsworks-api/api{path}{'' if path.endswith(':predict') else ':predict'}"
                text = _schema.curl(url, payload)
        for secret in self.source.secrets:  # the key is never known here; should a body carry it, it goes
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    def _act(self, name: str):
        with self._lock:  # check and mark pending at once: two threads clicking make one action
            return self._act_locked(name)

    def _act_locked(self, name: str):
        allowed = {"start": self.can_start, "stop": self.can_stop, "restart": self.can_restart}.get(name, True)
        if self.pending_action and name != "refresh":
            return None  # one action at a time: a double click sends one
        if self.actions_blocked and name != "refresh":
            return None  # the user's role may not (403): actions_blocked says so
        if not allowed:
            self.action_error = f"Cannot {name} while the deployment is {self.status_label.lower()}."
            if name == "start" and self.status == "FAILED":
                self.action_error = refusal_text("start", "FAILED")
            return None
        if name != "refresh":
            self._pending.mark(None, name, self.status)
            self._set_values({"pending_action": name, "action_error": "", "action_refusal": "", "offer": ""})
        self.action_error = ""
        if name == "restart":
            self._pending.mark(None, name, None)  # stays pending through the stop, until the start is asked
            future = self._run_restart()
        else:
            future = self._poller.run_action(name)
        future.add_done_callback(lambda f, n=name: self._action_done(n, f))
        return future

    def _tell(self, values: dict[str, Any]) -> None:
        if self._on_values is not None:
            self._on_values(values)

    def _action_done(self, name: str, future) -> None:
        if future.cancelled() or self._closed:
            return
        exc = future.exception()
        if exc is None and name != "refresh":
            rights.allow(self._project)  # it went through: whatever refused before allows now
        if name == "rollback":
            self._rollback_done(exc)
            if exc is None or getattr(exc, "refusal", "") == "absent":
                return
        if exc is None and name == "restart":
            with self._lock:
                # the start is asked: pending until the status leaves the one it has now
                if self.status in ("STOPPED", "STOPPING", "CREATED"):
                    self._pending.mark(None, name, self.status)
                else:
                    self._pending.clear(None)
                    values = {"pending_action": ""}
                    with self._batch():
                        self.pending_action = ""
                    self._tell(values)
            return
        if exc is not None:
            refusal = getattr(exc, "refusal", "") or _errors.action_refusal(exc)
            if refusal == "forbidden":
                with self._lock:
                    self._pending.clear(None)
                    self._set_values({"pending_action": ""})
                rights.block(self._project)  # every widget of the project turns its actions off (no lock held)
                return
            with self._lock:
                self._pending.clear(None)
                values: dict[str, Any] = {"pending_action": "", "action_refusal": refusal, "offer": ""}
                if refusal == "lifecycle":
                    values["action_error"] = f"{name.capitalize()} refused. {refusal_text(name, self.status)}"
                    if name == "stop" and self.status in DEFERRABLE:
                        values["offer"] = DEFERRABLE[self.status]
                else:
                    values["action_error"] = f"{name.capitalize()} failed: {exc}"
                self._set_values(values)

    # what a view may ask (the keys of commands()); the overview routes these to its open detail
    COMMAND_NAMES = (
        "refresh",
        "start",
        "stop",
        "restart",
        "predict",
        "tryit_open",
        "chat",
        "snippet",
        "timeline",
        "diagram_layout",
        "logs",
        "logs_buffer",
        "download_logs",
        "visibility",
        "stop_later",
        "cancel_stop_later",
        "allow_actions",
        "versions",
        "rollback",
    )

    def commands(self) -> dict[str, Callable[[dict], Any]]:
        """What a view may ask: the channel's dispatch table for this deployment."""

        def action(name: str):
            def run(_content: dict):
                future = self._act(name)
                if future is None:
                    raise _Refused(self.action_error or "An action is already pending.")
                return future

            return run

        def stop_later(_content: dict) -> None:
            if not self.stop_later():
                raise _Refused("Nothing to stop later: the deployment is not starting or updating any more.")

        def rollback(content: dict):
            version = content.get("version")
            if isinstance(version, bool) or not isinstance(version, int):
                raise _Refused("Say which version to roll back to: a whole number.")
            future = self.rollback(version)
            if future is None:
                raise _Refused(self.action_error or "An action is already pending.")
            return future

        def versions(content: dict) -> None:
            opened = content.get("open")
            self._versions.set(open=opened if isinstance(opened, bool) else None)

        def logs(content: dict) -> None:
            component = content.get("component")
            follow = content.get("follow")
            self._logs.set(
                open=content.get("open") if isinstance(content.get("open"), bool) else None,
                component=component if component in LOG_COMPONENTS else None,
                follow=follow if isinstance(follow, bool) else None,
            )

        def download_logs(content: dict):
            if not self.can_download_logs:
                raise _Refused("This SDK version has no log archives (download_logs is SDK 5.2 and later).")
            return self.download_logs(latest=content.get("latest") is True)

        return {
            "refresh": action("refresh"),
            "start": action("start"),
            "stop": action("stop"),
            "restart": action("restart"),
            "predict": lambda content: self.predict(content.get("body", "")),
            "tryit_open": self._open_tryit,
            "chat": lambda content: self.chat(
                str(content.get("message") or ""), system=str(content.get("system") or ""), model=content.get("model")
            ),
            "snippet": lambda content: {
                "text": self.snippet(
                    str(content.get("kind")),
                    content.get("body"),
                    message=str(content.get("message") or ""),
                    system=str(content.get("system") or ""),
                    model=content.get("model"),
                )
            },
            "timeline": lambda _content: self._poller.timeline.whole(),
            "diagram_layout": self._show_diagram,
            "logs": logs,
            "logs_buffer": lambda _content: self._logs.buffer(),
            "download_logs": download_logs,
            "visibility": self.visibility,
            "stop_later": stop_later,
            "cancel_stop_later": lambda _content: self.cancel_stop_later(),
            "allow_actions": lambda _content: self.allow_actions(),
            "versions": versions,
            "rollback": rollback,
        }

    def wait_for(self, status: str, timeout: float = 600.0) -> DeploymentState:
        """Block until the status is ``status``; raise on FAILED or timeout.

        The widget keeps updating meanwhile (the poller runs on its own thread).
        """
        target = status.strip().upper()
        deadline = time.monotonic() + timeout
        with self._poller.watch() as poller, self._changed:
            # judge only states read after this call began: a read already under way may carry the old one
            seen = poller.polls + (1 if poller.in_flight_since is not None else 0)
            while True:
                s = self.state if self._round > seen else None
                if s is not None and s.status == target:
                    return s
                if s is not None and s.status == "FAILED" and target != "FAILED":
                    reason = s.condition.reason if s.condition and s.condition.reason else s.message
                    raise DeploymentFailed(f"{s.name} failed: {reason}", state=s)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    now = self.state.status_label if self.state else "unknown"
                    raise WaitTimeout(
                        f"{self.name or 'deployment'} did not reach {target} in {timeout:g} s (now {now})"
                    )
                self._changed.wait(min(remaining, 1.0))

    def _await_first_update(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._round > 0, timeout)

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._logs.close()
            self._versions.close()
            self._restarts.close()
            rights.unwatch(self._project, self._rights_token)
            _registry.release(self._poller, self._token)
        closer = getattr(super(), "close", None)
        if closer is not None:
            closer()

    def __repr__(self) -> str:
        s = self.state
        if s is None:
            return f"{self.name or 'deployment'}: {self.error or 'waiting for the first update'}"
        line = s.summary()
        return f"{line} — {self.error}" if self.error else line


def _versions_known(source: Any) -> bool | None:
    """False where the source cannot have versions (an SDK before 5.2, an object without them); None: ask."""
    from . import _sdk

    if callable(getattr(source, "versions", None)):
        return None
    return None if _sdk.versions_plan(getattr(source, "deployment", None)) != "none" else False


class _Refused(Refused):
    """An action the widget would not send (not allowed now, or one already pending); answered in its own words."""


# Restart makes sense where Stop does and nothing moves (the SDK's restart starts a stopped one in place too).
_RESTARTABLE = RESTARTABLE
DEFAULT_BODY = '{"instances": [[1.0, 2.0, 3.0, 4.0]]}'
MAX_BODY_CHARS = 1_000_000
MAX_RESPONSE_CHARS = 20_000
# the last body sent per deployment, so a widget opened later starts from it
_LAST_BODIES: dict[Any, str] = {}
# each deployment's request schema (None: it has none) per model version, read once in the kernel
_SCHEMAS: dict[Any, dict[str, Any] | None] = {}
_NOT_READ, _READING = object(), object()
STREAM_EVERY_S = 0.1  # a streamed chat reply reaches the view at most this often
NO_OPENAI_URL = (
    "This vLLM deployment has no OpenAI-compatible URL here: the cluster lists no ingress gateway "
    "(get_openai_url() gives None), so the chat cannot be sent from the widget."
)


def _body_key(source: Any) -> Any:
    try:
        return source.key
    except Exception:  # noqa: BLE001 - a source without a key shares no prefill
        return id(source)


class _BadBody(ValueError):
    """A request body the server would not read as JSON, though Python's parser takes it."""


def _no_constant(name: str) -> Any:
    raise _BadBody(f"The request body is not valid JSON: {name} is not a JSON number; nothing was sent.")


def _body_problem(payload: Any, depth: int = 0) -> str:
    """What is wrong with a parsed body that JSON cannot carry to the server, or "" if nothing is."""
    if isinstance(payload, float) and not math.isfinite(payload):
        return (
            "The request body has a number too large for JSON (it reads as infinity, such as 1e999): "
            "write it smaller or as a string. Nothing was sent."
        )
    if isinstance(payload, str) and sendable(payload) != payload:
        return (
            "The request body has an unpaired surrogate escape (such as \\ud800), which is not text "
            "and cannot be sent: remove it or pair it. Nothing was sent."
        )
    if depth > 200:
        return ""
    if isinstance(payload, dict):
        items = [*payload.keys(), *payload.values()]
    elif isinstance(payload, (list, tuple)):
        items = list(payload)
    else:
        return ""
    for item in items:
        problem = _body_problem(item, depth + 1)
        if problem:
            return problem
    return ""


def _response_text(answer: Any, secrets: tuple[str, ...]) -> str:
    """The model's answer as indented JSON (or its text), secrets redacted, cut at MAX_RESPONSE_CHARS."""
    try:
        text = json.dumps(answer, indent=2, default=str)
    except (TypeError, ValueError):
        try:
            text = str(answer)
        except Exception:  # noqa: BLE001 - an answer that cannot be printed is named by its type
            text = f"<{type(answer).__name__}>"
    # hidden characters (an RTL override, BEL, a lone ESC) written out; surrogates cannot be sent
    text = sendable(visible(redact(text, secrets)))
    if len(text) > MAX_RESPONSE_CHARS:
        text = text[:MAX_RESPONSE_CHARS] + f"\n…({len(text) - MAX_RESPONSE_CHARS} more characters)"
    return text


def _relative(path: Any) -> str:
    """A saved file's path relative to the working directory (the notebook's), else as it is."""
    import os

    text = str(path)
    try:
        rel = os.path.relpath(text)
    except ValueError:  # another drive (Windows)
        return text
    return text if rel.startswith("..") else rel


def failing_component(s: DeploymentState) -> str | None:
    """The component whose logs tell why a start failed, or None.

    A failure while preparing the instances (INITIALIZED) or starting the
    model server (STARTED) leaves pod logs; one while placing them (SCHEDULED)
    does not. The transformer is meant when the server's reason names it.
    """
    cond = s.condition
    if cond is None or cond.type not in ("INITIALIZED", "STARTED"):
        return None
    if s.status != "FAILED" and cond.status is not False:
        return None
    if s.transformer is not None and "transformer" in (cond.reason or "").lower():
        return "transformer"
    return "predictor"


class DeploymentWidget(ShownOnce, Pullable, DeploymentDetail, anywidget.AnyWidget):
    """Live state of one deployment in a notebook: badge, condition message, steps, instance counts.

    Create it with :func:`hops_widgets.show` (or ``deployment.show()``); several
    widgets of one deployment share one poller, which stops when the last one closes.
    """

    _esm = asset("widget.js")
    _css = asset("widget.css")
    _view = t.Unicode("deployment").tag(sync=True)

    PULLED = tuple(DeploymentDetail.class_trait_names(sync=True))

    VIEWS = ("deployment", "diagram")

    def __init__(self, deployment: Any = None, *, view: str = "deployment", **kwargs: Any) -> None:
        """``view``: ``"deployment"`` (the page) or ``"diagram"`` (the state diagrams, large, with the badge)."""
        if view not in self.VIEWS:
            raise ValueError(f"view must be one of {', '.join(self.VIEWS)}, not {view!r}")
        self._wanted_view = view
        self._init_pull()
        super().__init__(deployment, **kwargs)
        commands = {**self.commands(), "pull": self.pull}
        self.on_msg(Channel(self.send, commands, secrets=lambda: self.source.secrets, alive=self._open))
        _hosts.adopt(self)  # marimo: closed with the cell that made it (it closes only the comm)

    def _initial_traits(self) -> dict[str, Any]:
        return {"_view": self._wanted_view}

    def _pulled(self, name: str, content: dict | None = None) -> Any:
        # a view that missed pushes missed deltas too: give it the whole (bounded) timeline or buffer
        if name == "timeline":
            return self._poller.timeline.whole()
        if name == "logs_delta":
            return {**self._logs.buffer(), "rev": self._logs_rev}
        return getattr(self, name)

    def _open(self) -> bool:
        return not self._closed

    def _batch(self):
        return self.hold_sync()

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self.layout.close()
        super().close()

    def _snapshot_html(self) -> str:
        return detail_html(self)
