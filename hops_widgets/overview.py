"""The deployments overview: every deployment of a project in one live table.

One list request per polling round however many deployments: the built-in
client's ``list_states()``, or the SDK's ``get_deployments()`` whose objects
already carry the state that came inside the list response.
"""

from __future__ import annotations

import html
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import anywidget
import ipywidgets
import traitlets as t

from . import poller as _poller
from .errors import InvalidResponse, redact
from .poller import Policy, Poller, Snapshot
from .state import DeploymentState, strip_hidden, visible
from .widget import DeploymentWidget, _asset, answer_when_done, snapshot_html, track_visibility

__all__ = ["DeploymentsTable", "DeploymentsWidget", "ServingSource"]


@dataclass(frozen=True)
class DeploymentList:
    """All deployments of one round, as the poller sees them."""

    states: tuple[DeploymentState, ...] = ()

    @property
    def transitional(self) -> bool:
        return any(s.transitional for s in self.states)


def _embedded_state(deployment: Any) -> Any:
    """The state an SDK deployment got from the list response, without a new request."""
    predictor = getattr(deployment, "predictor", None) or getattr(deployment, "_predictor", None)
    return getattr(predictor, "_state", None)


class ServingSource:
    """Adapts a model serving handle (built-in client or SDK) for the poller."""

    def __init__(self, serving: Any) -> None:
        self.serving = serving
        self._deployments: dict[str, Any] = {}

    @property
    def key(self) -> Hashable:
        key = getattr(self.serving, "_hops_widgets_key", None)
        return ("serving", key if key is not None else id(self.serving))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(getattr(self.serving, "_hops_widgets_secrets", ()) or ())

    @property
    def label(self) -> str:
        return "deployments"

    def fetch(self) -> DeploymentList:
        list_states = getattr(self.serving, "list_states", None)
        if callable(list_states):
            return DeploymentList(tuple(list_states()))
        deployments = self.serving.get_deployments()
        if deployments is None:
            deployments = []
        if not isinstance(deployments, (list, tuple)):
            raise InvalidResponse(f"Expected a list of deployments, got {type(deployments).__name__}.")
        # state=None makes from_sdk ask get_state(): only for objects that came without one
        states = [DeploymentState.from_sdk(d, state=_embedded_state(d)) for d in deployments]
        self._deployments = {getattr(d, "name", ""): d for d in deployments}
        return DeploymentList(tuple(states))

    def deployment(self, name: str) -> Any:
        """An SDK-shaped deployment object for ``name`` (for actions and the detail view)."""
        found = self._deployments.get(name)
        if found is None:
            found = self.serving.get_deployment(name)
            if found is None:
                raise LookupError(f"No deployment named {name!r}.")
            self._deployments[name] = found
        return found

    def start(self, name: str) -> None:
        from . import _sdk

        _sdk.start(self.deployment(name))

    def stop(self, name: str) -> None:
        from . import _sdk

        _sdk.stop(self.deployment(name))


REASON_CHARS = 300  # of the server's reason, per row (the detail view has the rest)


def _row(s: DeploymentState, pending: str) -> dict[str, Any]:
    model = s.model_name or ""
    if model and s.model_version is not None:
        model += f" v{s.model_version}"
    counts = f"{s.predictor}"
    if s.transformer is not None:
        counts += f" + {s.transformer}"
    reason = (s.condition.reason if s.condition else "") or ""
    # A failed or moving deployment leads with the server's reason: it says what is wrong or
    # what is happening now. A settled one leads with the plain sentence.
    shows = "reason" if reason and (s.status == "FAILED" or s.transitional) else "message"
    return {
        "name": s.name,  # the key for selection and actions: exactly as the server spells it
        "label": visible(s.name),  # what is shown: hidden control characters written out
        "model": model,
        "model_label": visible(model),
        "status": s.status,
        "status_label": s.status_label,
        "tone": s.tone,
        "busy": s.transitional,
        "message": s.message,
        "reason": reason[:REASON_CHARS],
        "condition_shows": shows,
        "instances": counts,
        "scale_to_zero": s.scale_to_zero,
        "can_start": s.can_start and not pending,
        "can_stop": s.can_stop and not pending,
        "pending": pending,
    }


class DeploymentsTable(anywidget.AnyWidget):
    """The table itself; :class:`DeploymentsWidget` puts it above the detail view."""

    _esm = _asset("widget.js")  # one module renders both widgets, switched by _view
    _css = _asset("widget.css")
    _view = t.Unicode("overview").tag(sync=True)

    rows = t.List(t.Dict()).tag(sync=True)
    selected = t.Unicode("").tag(sync=True)
    polling = t.Unicode("starting").tag(sync=True)
    interval_s = t.Float(None, allow_none=True).tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    last_ok_ms = t.Float(None, allow_none=True).tag(sync=True)
    action_error = t.Unicode("").tag(sync=True)
    actions_enabled = t.Bool(True).tag(sync=True)


class DeploymentsWidget(ipywidgets.VBox):
    """A live table of all deployments; clicking a row opens its detail widget below."""

    def __init__(
        self,
        serving: Any = None,
        *,
        source: Any = None,
        policy: Policy | None = None,
        actions: bool = True,
        poller: Poller | None = None,
        **polling_options: Any,
    ) -> None:
        self._closed = False
        self._states: dict[str, DeploymentState] = {}
        self._pending: dict[str, str] = {}  # name -> action, until the status moves
        self._pending_from: dict[str, str] = {}
        self._detail: DeploymentWidget | None = None
        self._visible_views: set[str] = set()
        self._actions = actions
        wanted = Policy.from_options(policy, **polling_options)  # a typo fails before any comm opens
        self.source = source or ServingSource(serving)
        self._shown_in: int | None = None
        self.table = DeploymentsTable(actions_enabled=actions)
        super().__init__(children=(self.table,))
        self.add_class("hops-overview-box")  # the CSS sizes the detail under the table like the table
        if poller is None:
            poller = _poller.acquire(self.source, lambda: Poller(self.source, policy=wanted))
            if poller.policy is not wanted and (polling_options or policy is not None):
                # explicit options win on a shared poller too; the others stay as they were
                poller.set_policy(Policy.from_options(policy or poller.policy, **polling_options))
        self._poller = poller
        self.table.on_msg(self._on_frontend_msg)
        self._token = poller.subscribe(self._apply)

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def states(self) -> list[DeploymentState]:
        return list(self._states.values())

    @property
    def detail(self) -> DeploymentWidget | None:
        return self._detail

    def refresh(self) -> None:
        self._poller.refresh()

    def _await_first_update(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._poller.polls == 0 and time.monotonic() < deadline:
            time.sleep(0.005)

    def _apply(self, snap: Snapshot) -> None:
        if self._closed:
            return
        table = self.table
        values: dict[str, Any] = {
            "polling": snap.mode,
            "interval_s": None if snap.interval_s is None else round(snap.interval_s, 1),
            "error": snap.error,
            "last_ok_ms": None if snap.last_ok_at is None else round(snap.last_ok_at * 1000),
        }
        listing = snap.state
        if isinstance(listing, DeploymentList):
            states = {s.name: s for s in listing.states}
            for name, before in list(self._pending_from.items()):
                now = states.get(name)
                if now is None or now.status != before:
                    self._pending_from.pop(name, None)
                    self._pending.pop(name, None)
            self._states = states
            ordered = sorted(states.values(), key=lambda s: s.name)
            values["rows"] = [_row(s, self._pending.get(s.name, "")) for s in ordered]
            if table.selected and table.selected not in states:
                values["selected"] = ""
                gone = self._detail
                self._detail = None
                if gone is not None:  # its deployment is gone: so is its detail view
                    self.children = (self.table,)
                    gone.close()
        with table.hold_sync():
            for key, value in values.items():
                if getattr(table, key) != value:
                    setattr(table, key, value)

    # ------------------------------------------------------------ commands
    def open_detail(self, name: str) -> DeploymentWidget:
        """Show ``name``'s detail widget under the table (replacing the previous one)."""
        deployment = self.source.deployment(name)
        if self._detail is not None:
            self._detail.close()
        # the detail polls like its table
        self._detail = DeploymentWidget(deployment, actions=self._actions, policy=self._poller.policy)
        self.table.selected = name
        self.children = (self.table, self._detail)
        return self._detail

    def close_detail(self) -> None:
        if self._detail is not None:
            self._detail.close()
            self._detail = None
        self.table.selected = ""
        self.children = (self.table,)

    def start(self, name: str):
        return self._act("start", name)

    def stop(self, name: str):
        return self._act("stop", name)

    def _act(self, action: str, name: str):
        state = self._states.get(name)
        if state is None:
            self.table.action_error = f"No deployment named {name!r}."
            return None
        if self._pending.get(name):
            return None  # one action per click, however fast the clicks
        allowed = state.can_start if action == "start" else state.can_stop
        if not allowed:
            self.table.action_error = f"Cannot {action} {name} while it is {state.status_label.lower()}."
            return None
        self._pending[name] = action
        self._pending_from[name] = state.status
        self.table.action_error = ""
        self._apply(self._poller.snapshot)
        future = self._poller.run_action(action, name)
        future.add_done_callback(lambda f: self._action_done(action, name, f))
        return future

    def _action_done(self, action: str, name: str, future) -> None:
        if future.cancelled() or self._closed:
            return
        exc = future.exception()
        if exc is not None:
            self._pending.pop(name, None)
            self._pending_from.pop(name, None)
            self.table.action_error = f"{action.capitalize()} {name} failed: {exc}"
            self._apply(self._poller.snapshot)

    def _on_frontend_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        name = str(content.get("name", ""))
        reply = {"type": "ack", "id": content.get("id"), "action": kind, "name": name}
        if kind == "visibility":
            track_visibility(self._visible_views, content, self._poller, self._token)
            return
        try:
            if kind == "select":
                if name and name != self.table.selected:
                    self.open_detail(name)
                elif not name or name == self.table.selected:
                    self.close_detail()
                self.table.send({**reply, "ok": True})
            elif kind == "refresh":
                self.refresh()
                self.table.send({**reply, "ok": True})
            elif kind in ("start", "stop"):
                future = self._act(kind, name)
                if future is None:
                    self.table.send({**reply, "ok": False, "error": self.table.action_error or "already pending"})
                else:
                    answer_when_done(self, reply, future, sender=self.table)
        except Exception as exc:  # noqa: BLE001 - a bad click must not break the widget
            from .errors import explain

            self.table.action_error = explain(exc, self.source.secrets)
            self.table.send({**reply, "ok": False, "error": self.table.action_error})

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            _poller.release(self._poller, self._token)
            if self._detail is not None:
                self._detail.close()
            self.table.close()
            self.layout.close()
        super().close()

    # ------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs: Any):
        bundle = super()._repr_mimebundle_(**kwargs)
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data or {})
        data["text/plain"] = repr(self)
        data["text/html"] = overview_html(self)  # what nbconvert HTML and GitHub show
        return data, meta

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import publish_display_data

        ip = get_ipython()
        count = getattr(ip, "execution_count", None)
        if self._shown_in is not None and self._shown_in == count:
            # show() displayed it in this cell already; `overview = ms.show()` then `overview`
            # as the cell's last line must not show a second table (and a second detail).
            self._shown_in = None
            return
        data, meta = self._repr_mimebundle_()
        publish_display_data(data, metadata=meta)

    def __repr__(self) -> str:
        states = list(self._states.values())
        if not states:
            return "deployments: " + (self.table.error or "waiting for the first update")
        counts: dict[str, int] = {}
        for s in states:
            counts[s.status_label] = counts.get(s.status_label, 0) + 1
        return f"{len(states)} deployments: " + ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))


# ---------------------------------------------------------------- static snapshot
_OVERVIEW_CSS = """
.hops-snapshot-overview{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;
color:var(--jp-ui-font-color1,#1f2937);border:1px solid var(--jp-border-color2,#d1d5db);
border-radius:6px;padding:8px 12px;max-width:72em;box-sizing:border-box}
.hops-snapshot-overview table{border-collapse:collapse;width:100%;margin-top:4px}
.hops-snapshot-overview th{text-align:left;color:var(--jp-ui-font-color2,#4b5563);
border-bottom:1px solid var(--jp-border-color2,#d1d5db);padding:3px 6px}
.hops-snapshot-overview td{padding:3px 6px;border-bottom:1px solid var(--jp-border-color3,#eeeeee);
vertical-align:top;overflow-wrap:anywhere}
.hops-snapshot-overview .hops-badge{display:inline-block;padding:0 8px;border-radius:999px;font-weight:600;
border:1px solid currentColor;white-space:nowrap}
.hops-snapshot-overview [data-tone=ok]{color:var(--jp-success-color1,#2e7d32)}
.hops-snapshot-overview [data-tone=error]{color:var(--jp-error-color1,#c62828)}
.hops-snapshot-overview [data-tone=warn]{color:var(--jp-warn-color1,#b26a00)}
.hops-snapshot-overview [data-tone=info]{color:var(--jp-info-color1,#1565c0)}
.hops-snapshot-overview [data-tone=idle]{color:var(--jp-success-color2,#00796b)}
.hops-snapshot-overview .hops-muted{color:var(--jp-ui-font-color2,#4b5563)}
.hops-snapshot-overview p{margin:2px 0}
"""


def _server(text: str) -> str:
    """Server text for static HTML: hidden controls dropped, escaped, isolated in ``<bdi>``."""
    return f"<bdi>{html.escape(strip_hidden(text), quote=True)}</bdi>"


def overview_html(w: DeploymentsWidget) -> str:
    """A static HTML table of the overview's last state (nbconvert HTML, GitHub's viewer).

    All server text is escaped and sits in ``<bdi>``; attribute values are our own words or
    escaped. Secrets never reach the rows or the error text (see errors.explain), and the
    error is redacted once more here.
    """
    e = html.escape
    table = w.table
    rows = table.rows
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status_label"]] = counts.get(r["status_label"], 0) + 1
    summary = ", ".join(f"{n} {_server(label)}" for label, n in sorted(counts.items()))
    body = []
    for r in rows:
        shows_reason = r.get("condition_shows") == "reason"
        lead, other = (r["reason"], r["message"]) if shows_reason else (r["message"], r["reason"])
        note = f"<p class='hops-muted'>{_server(other)}</p>" if other and shows_reason else ""
        s2z = " <span class='hops-muted'>scale-to-zero</span>" if r.get("scale_to_zero") else ""
        body.append(
            f"<tr data-status='{e(r['status'])}'>"
            f"<td class='hops-cell-name'><strong>{_server(r['name'])}</strong></td>"
            f"<td class='hops-cell-model'>{_server(r['model'])}</td>"
            f"<td><span class='hops-badge' data-tone='{e(r['tone'])}'>{_server(r['status_label'])}</span></td>"
            f"<td class='hops-cell-message'><p>{_server(lead)}</p>{note}</td>"
            f"<td class='hops-cell-instances'>{e(r['instances'])}{s2z}</td></tr>"
        )
    if not rows:
        body.append("<tr><td colspan='5' class='hops-muted'>No deployments shown yet.</td></tr>")
    error = ""
    if table.error:
        error = f"<p class='hops-error'>{_server(redact(table.error, w.source.secrets))}</p>"
    when = ""
    if table.last_ok_ms:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(table.last_ok_ms / 1000))
        when = f" <span class='hops-muted'>· as of {e(stamp)}</span>"
    detail = ""
    if w.detail is not None:
        detail = snapshot_html(w.detail)
    return (
        f"<style>{_OVERVIEW_CSS}</style>"
        f"<div class='hops-snapshot-overview'>"
        f"<p><strong>Deployments</strong> <span class='hops-muted'>{len(rows)}"
        f"{' · ' + summary if summary else ''}</span>{when}</p>"
        "<table><thead><tr><th>Name</th><th>Model</th><th>Status</th><th>Condition</th><th>Instances</th>"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>{error}</div>{detail}"
    )
