"""The notebook widgets: traits in, a pure view out (``js/widget.js``)."""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from . import poller as _poller
from .errors import DeploymentFailed
from .errors import Timeout as WaitTimeout
from .poller import DeploymentSource, Policy, Poller, Snapshot
from .state import MAX_REASON_CHARS, DeploymentState, step_label, strip_hidden, visible

__all__ = ["DeploymentWidget", "show"]


def _static_dir() -> Path:
    here = Path(__file__).parent
    packaged = here / "static"  # the wheel puts js/ here
    return packaged if (packaged / "widget.js").exists() else here.parent / "js"


STATIC = _static_dir()


def _asset(name: str) -> str | Path:
    """The file's text; its Path only for anywidget's hot reload (ANYWIDGET_HMR=1).

    A Path makes anywidget watch the file and keep every widget alive for
    reloading, which a notebook that opens many widgets cannot afford.
    """
    path = STATIC / name
    return path if os.environ.get("ANYWIDGET_HMR") == "1" else path.read_text(encoding="utf-8")


_PROGRESS = {None: "in progress", True: "done", False: "failed"}

# What to do about errors that will not go away by themselves; {slow} is the slowest interval.
_ADVICE = {
    "auth": "The API key was rejected: it may have expired or been revoked. Create a new one in Hopsworks "
    "(account settings, API keys) and log in again. Until the key works the widget checks only every "
    "{slow} s; Refresh checks now.",
    "forbidden": "The API key works but may not do this: it needs the serving scope and a role in the project. "
    "The widget checks only every {slow} s; Refresh checks now.",
}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000)


def _with_advice(error: str, kind: str, slow_s: float) -> str:
    advice = _ADVICE.get(kind)
    return f"{advice.format(slow=f'{slow_s:g}')} ({error})" if advice and error else error


class DeploymentWidget(anywidget.AnyWidget):
    """Live state of one deployment: badge, condition message, steps, instance counts.

    Create it with :func:`show` (or ``deployment.show()``); several widgets of
    one deployment share one poller, which stops when the last one closes.
    """

    _esm = _asset("widget.js")
    _css = _asset("widget.css")
    _view = t.Unicode("deployment").tag(sync=True)

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
    # condition
    condition_type = t.Unicode("").tag(sync=True)
    condition_status = t.Unicode("").tag(sync=True)  # "true" | "false" | "unknown" | ""
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
    error_kind = t.Unicode("").tag(sync=True)
    stale = t.Bool(False).tag(sync=True)  # polls fail: what is shown is the last known state
    # actions
    can_start = t.Bool(False).tag(sync=True)
    can_stop = t.Bool(False).tag(sync=True)
    pending_action = t.Unicode("").tag(sync=True)
    action_error = t.Unicode("").tag(sync=True)
    actions_enabled = t.Bool(True).tag(sync=True)
    # history: bounded, so sync cost does not grow with the widget's age
    history = t.List(t.Dict()).tag(sync=True)
    instance_series = t.List(t.List()).tag(sync=True)

    HISTORY_LIMIT = 50  # statuses kept in the timeline
    STEPS_LIMIT = 12  # condition steps kept inside one status
    SERIES_LIMIT = 120

    def __init__(
        self,
        deployment: Any = None,
        *,
        source: Any = None,
        policy: Policy | None = None,
        actions: bool = True,
        poller: Poller | None = None,
        **polling_options: Any,
    ) -> None:
        if source is None:
            if deployment is None:
                raise TypeError("DeploymentWidget needs a deployment (or a source)")
            source = DeploymentSource(deployment)
        # Validate options before a comm is opened, so a typo leaves nothing behind.
        wanted = Policy.from_options(policy, **polling_options)
        super().__init__(actions_enabled=actions)
        self.source = source
        self._visible_views: set[str] = set()
        self._pending_from: str | None = None
        self._shown_in: int | None = None
        self._closed = False
        self._changed = threading.Condition()
        if poller is None:
            poller = _poller.acquire(source, lambda: Poller(source, policy=wanted))
            if poller.policy is not wanted and (polling_options or policy is not None):
                # explicit options win on a shared poller too; the others stay as they were
                poller.set_policy(Policy.from_options(policy or poller.policy, **polling_options))
        self._poller = poller
        self.on_msg(self._on_frontend_msg)
        self._token = poller.subscribe(self._apply)

    # ------------------------------------------------------------ state in
    @property
    def state(self) -> DeploymentState | None:
        """The last good state (full reason included), or None before the first poll."""
        return self._poller.snapshot.state

    @property
    def poller(self) -> Poller:
        return self._poller

    def _apply(self, snap: Snapshot) -> None:
        """Map a snapshot onto traits: one comm message per change, none without."""
        if self._closed:
            return
        values: dict[str, Any] = {
            "polling": snap.mode,
            "interval_s": None if snap.interval_s is None else round(snap.interval_s, 1),
            "error": _with_advice(snap.error, snap.error_kind, self._poller.policy.backoff_max_s),
            "error_kind": snap.error_kind,
            "changed_at_ms": _ms(snap.changed_at),
            "last_ok_ms": _ms(snap.last_ok_at) if snap.error else self.last_ok_ms,
            "stale": bool(snap.error) and snap.state is not None,
        }
        s = snap.state
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
                condition_type=(cond.type or "") if cond else "",
                condition_status=cond.progress if cond else "",
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
            )
            if not snap.error:
                self._record(values, s, snap)
            if self._pending_from is not None and s.status != self._pending_from:
                self._pending_from = None
                values["pending_action"] = ""
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
                stale=False,
                pending_action="",
            )
            self._pending_from = None
        with self.hold_sync():
            for key, value in values.items():
                if getattr(self, key) != value:
                    setattr(self, key, value)
        with self._changed:
            self._changed.notify_all()

    def _record(self, values: dict[str, Any], s: DeploymentState, snap: Snapshot) -> None:
        """Extend the timeline and the instance series when something moved.

        The timeline is one entry per status (Starting, Running, …) with the
        condition steps seen during it inside, so a start reads as one phase.
        """
        now_ms = _ms(snap.last_ok_at) or _ms(time.time())
        cond = s.condition
        step = (
            {"label": f"{step_label(cond.type, s.on_stop_path)}: {_PROGRESS[cond.status]}", "at_ms": now_ms}
            if cond and cond.type
            else None
        )
        history = list(self.history)
        last = history[-1] if history else None
        if last is None or last["status"] != s.status:
            if last is not None:
                history[-1] = {**last, "duration_s": round((now_ms - last["at_ms"]) / 1000, 1)}
            entry = {"status": s.status, "label": s.status_label, "message": s.message, "at_ms": now_ms}
            history.append({**entry, "duration_s": None, "steps": [step] if step else []})
            values["history"] = history[-self.HISTORY_LIMIT :]
        elif step and (not last["steps"] or last["steps"][-1]["label"] != step["label"]):
            steps = [*last["steps"], step][-self.STEPS_LIMIT :]
            history[-1] = {**last, "steps": steps, "message": s.message}
            values["history"] = history
        available = s.predictor.available
        series = self.instance_series
        if not series or series[-1][1] != available:
            values["instance_series"] = [*series, [now_ms, available]][-self.SERIES_LIMIT :]

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

    def _act(self, name: str):
        allowed = {"start": self.can_start, "stop": self.can_stop}.get(name, True)
        if self.pending_action and name != "refresh":
            return None  # one action at a time: a double click sends one
        if not allowed:
            self.action_error = f"Cannot {name} while the deployment is {self.status_label.lower()}."
            return None
        if name != "refresh":
            self._pending_from = self.status
            self.pending_action = name
        self.action_error = ""
        future = self._poller.run_action(name)
        future.add_done_callback(lambda f, n=name: self._action_done(n, f))
        return future

    def _action_done(self, name: str, future) -> None:
        if future.cancelled() or self._closed:
            return
        exc = future.exception()
        if exc is not None:
            self._pending_from = None
            with self.hold_sync():
                self.pending_action = ""
                self.action_error = f"{name.capitalize()} failed: {exc}"

    def wait_for(self, status: str, timeout: float = 600.0) -> DeploymentState:
        """Block until the status is ``status``; raise on FAILED or timeout.

        The widget keeps updating meanwhile (the poller runs on its own thread).
        """
        target = status.strip().upper()
        deadline = time.monotonic() + timeout
        with self._poller.watch() as poller, self._changed:
            seen = poller.polls  # judge only states polled after this call began
            while True:
                s = self.state if poller.polls > seen else None
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
            self._changed.wait_for(lambda: self._poller.polls > 0, timeout)

    def _on_frontend_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "visibility":
            track_visibility(self._visible_views, content, self._poller, self._token)
        elif kind in ("refresh", "start", "stop"):
            future = self._act(kind)
            reply = {"type": "ack", "id": content.get("id"), "action": kind}
            if future is None:
                self.send({**reply, "ok": False, "error": self.action_error or "An action is already pending."})
            else:
                answer_when_done(self, reply, future)

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            _poller.release(self._poller, self._token)
            self.layout.close()
        super().close()

    # ------------------------------------------------------------ display
    def __repr__(self) -> str:
        s = self.state
        if s is None:
            return f"{self.name or 'deployment'}: {self.error or 'waiting for the first update'}"
        line = s.summary()
        return f"{line} — {self.error}" if self.error else line

    def _repr_mimebundle_(self, **kwargs: Any):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata) in some ipywidgets versions
            data, meta = bundle
        else:
            data, meta = bundle, {}
        data = dict(data or {})
        data["text/plain"] = repr(self)
        data["text/html"] = snapshot_html(self)
        return data, meta

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import publish_display_data

        ip = get_ipython()
        count = getattr(ip, "execution_count", None)
        if self._shown_in is not None and self._shown_in == count:
            # show() already displayed it in this cell: don't show it twice
            # when the same object is also the cell's result.
            self._shown_in = None
            return
        data, meta = self._repr_mimebundle_()
        publish_display_data(data, metadata=meta)


def track_visibility(views: set[str], content: dict, poller: Poller, token: int) -> None:
    """Record one view's ``{"type": "visibility", "view", "visible"}`` report and tell the poller."""
    view = str(content.get("view", ""))
    if content.get("visible"):
        views.add(view)
    else:
        views.discard(view)
    poller.set_visible(token, bool(views))


def answer_when_done(widget: Any, reply: dict, future, sender: Any = None) -> None:
    """Answer a frontend command once its future resolves: ``{**reply, ok, error}``."""

    def done(f) -> None:
        if getattr(widget, "_closed", True):
            return
        ok = not f.cancelled() and f.exception() is None
        error = "" if ok else ("cancelled" if f.cancelled() else str(f.exception()))
        (sender or widget).send({**reply, "ok": ok, "error": error})

    future.add_done_callback(done)


_SNAPSHOT_CSS = """
.hops-snapshot{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;
color:var(--jp-ui-font-color1,#1f2937);border:1px solid var(--jp-border-color2,#d1d5db);
border-radius:6px;padding:8px 12px;max-width:46em}
.hops-snapshot .hops-badge{display:inline-block;padding:1px 8px;border-radius:999px;font-weight:600;
border:1px solid currentColor}
.hops-snapshot [data-tone=ok]{color:var(--jp-success-color1,#2e7d32)}
.hops-snapshot [data-tone=error]{color:var(--jp-error-color1,#c62828)}
.hops-snapshot [data-tone=warn]{color:var(--jp-warn-color1,#b26a00)}
.hops-snapshot [data-tone=info]{color:var(--jp-info-color1,#1565c0)}
.hops-snapshot [data-tone=idle]{color:var(--jp-success-color2,#00796b)}
.hops-snapshot p{margin:4px 0}
.hops-snapshot .hops-reason{color:var(--jp-ui-font-color2,#4b5563)}
"""


def snapshot_html(w: DeploymentWidget) -> str:
    """A static HTML picture of the widget's last state, all server text escaped.

    Server strings sit in ``<bdi>`` so a right-to-left override inside one
    cannot reorder the text around it.
    """

    def e(text: str) -> str:
        return html.escape(text, quote=True)

    def server(text: str) -> str:
        # hidden controls (bidi overrides, NUL…) are dropped: the file is opened by others, elsewhere
        return f"<bdi>{html.escape(strip_hidden(text), quote=True)}</bdi>"

    def count(available: int | None, requested: int | None) -> str:
        return f"{'?' if available is None else available}/{'?' if requested is None else requested}"

    counts = f"predictor {count(w.predictor_available, w.predictor_requested)}"
    if w.has_transformer:
        counts += f" · transformer {count(w.transformer_available, w.transformer_requested)}"
    if w.scale_to_zero:
        counts += " · scale-to-zero"
    # the server's own spelling (hidden characters are dropped by server()), not the view's escaped one
    state = w.state
    name = state.name if state is not None else w.name
    model_name = (state.model_name or "") if state is not None else w.model_name
    model = f" <span class='hops-model'>{server(model_name)}</span>" if model_name else ""
    if model_name and w.model_version is not None:
        model += f" <span class='hops-version'>v{w.model_version}</span>"
    reason = f"<p class='hops-reason'>{server(w.condition_reason[:500])}</p>" if w.condition_reason else ""
    error = f"<p class='hops-error'>{server(w.error)}</p>" if w.error else ""
    return (
        f"<style>{_SNAPSHOT_CSS}</style>"
        f"<div class='hops-snapshot' data-status='{e(w.status)}'>"
        f"<p><span class='hops-badge' data-tone='{e(w.tone)}'>{server(w.status_label)}</span> "
        f"{'<em class=hops-stale>(last known)</em> ' if w.stale else ''}"
        f"<strong class='hops-name'>{server(name)}</strong>{model}</p>"
        f"<p class='hops-message'>{e(w.message or w.status_description)}</p>{reason}"
        f"<p class='hops-instances'>{e(counts)}</p>{error}</div>"
    )


def show(obj: Any, *, display: bool = True, first_update_s: float = 2.0, **options: Any):
    """Show a live widget for an SDK-shaped deployment (or a model serving handle).

    ``options`` are the polling intervals (``fast_s``, ``stable_s``,
    ``hidden_s``, ``after_action_s``, ``backoff_min_s``, ``backoff_max_s``)
    and ``actions=False`` to hide the buttons. ``show`` waits up to
    ``first_update_s`` for the first poll before displaying. Returns the widget.
    """
    if hasattr(obj, "get_state"):
        widget: anywidget.AnyWidget = DeploymentWidget(obj, **options)
    elif hasattr(obj, "get_deployments"):
        from .overview import DeploymentsWidget

        widget = DeploymentsWidget(obj, **options)
    else:
        raise TypeError(
            f"hops_widgets.show() needs a deployment (with get_state()) or a model serving handle "
            f"(with get_deployments()), not {type(obj).__name__}"
        )
    # A moment for the first poll, so the first paint and the static snapshot
    # saved with the notebook show the deployment rather than "Loading…".
    widget._await_first_update(first_update_s)
    if display:
        from IPython.display import display as ipy_display

        ipy_display(widget)
        from IPython import get_ipython

        ip = get_ipython()
        widget._shown_in = getattr(ip, "execution_count", None) if ip is not None else None
    return widget
