"""The deployments overview: every deployment of a project in one live table.

One list request per polling round however many deployments: the built-in
client's ``list_states()``, or the SDK's ``get_deployments()`` whose objects
already carry the state that came inside the list response.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import anywidget
import traitlets as t

from . import _hosts, _registry, _sdk
from . import errors as _errors
from ._base import Pullable, ShownOnce, asset, ms
from ._channel import Channel, Refused, Visibility
from ._pending import PendingActions
from .poller import Policy, Poller, Snapshot, TableWatch
from .snapshot import overview_html as overview_html
from .state import DeploymentState, visible
from .widget import DEFERRABLE, DeploymentDetail, project_key, refusal_text, rights

__all__ = ["DeploymentsWidget", "OverviewWidget", "ServingSource"]


@dataclass(frozen=True)
class DeploymentList:
    """All deployments of one round, as the poller sees them.

    ``listed_ms``: wall time of the last whole list these rows come from (rows read one by one
    since then are newer); it says how old the rows off screen and the status counts are.
    """

    states: tuple[DeploymentState, ...] = ()
    listed_ms: float | None = field(default=None, compare=False)
    partial: bool = field(default=False, compare=False)  # some rows were read one by one since the list

    @property
    def transitional(self) -> bool:
        return any(s.transitional for s in self.states)


class ServingSource:
    """Adapts a model serving handle (built-in client or SDK) for the poller.

    Reads the whole list (:meth:`fetch`) or one row at a time (:meth:`get`); ``watch`` says
    which rows a round needs (see :class:`~hops_widgets.poller.TableWatch`) and the rows held
    are merged from both (:meth:`took_states`).
    """

    lists_deployments = True  # an action asked in code on any deployment makes overviews poll fast too

    def __init__(self, serving: Any) -> None:
        self.serving = serving
        self._deployments: dict[str, Any] = {}
        self._by_name: dict[str, DeploymentState] = {}
        self._listing = DeploymentList()
        self.watch = TableWatch()
        self.wall: Any = time.time  # the overview's poller sets its own (the time of day of its rounds)

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
        """The whole list (one request: N states on the backend)."""
        pairs = _registry.list_deployments(self.serving)
        objects = {getattr(d, "name", ""): d for d, _s in pairs if d is not None}
        if objects or not pairs:
            self._deployments = objects
        return self.took_list(tuple(s for _d, s in pairs))

    def took_list(self, states: tuple[DeploymentState, ...]) -> DeploymentList:
        """Hold a whole list (read here, or by another overview of the project)."""
        self._listing = DeploymentList(tuple(states), listed_ms=round(self.wall() * 1000))
        self._by_name = {s.name: s for s in states}
        return self._listing

    def get(self, name: str) -> DeploymentState:
        """One row's state by a single GET (one state on the backend)."""
        held = self._by_name.get(name)
        return _registry.single_state(
            self.serving, self._deployments.get(name), name, held.deployment_id if held is not None else None
        )

    def took_states(self, read: dict[str, DeploymentState], gone: set[str], now: float) -> DeploymentList:
        """The rows held with those read one by one put in (and the deleted ones out)."""
        listing = self._listing
        mine = {n: s for n, s in read.items() if n in self._by_name}
        if not mine and not gone & set(self._by_name):
            return listing
        states = tuple(mine.get(s.name, s) for s in listing.states if s.name not in gone)
        self._listing = DeploymentList(states, listed_ms=listing.listed_ms, partial=True)
        self._by_name = {s.name: s for s in states}
        self.watch.read(mine, now)
        for name in gone:
            self.watch.forget(name)
        return self._listing

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

        _sdk.start(self.deployment(name))

    def stop(self, name: str) -> None:

        _sdk.stop(self.deployment(name))

    def restart(self, name: str) -> None:
        """Stop, wait for Stopped, then start (blocking: run it off the polling thread)."""

        _sdk.restart(self.deployment(name))


REASON_CHARS = 300  # of the server's reason, per row (the detail view has the rest)


def _row(s: DeploymentState, pending: str, offer: str = "", deferred: str = "") -> dict[str, Any]:
    model = s.model_name or ""
    if model and s.model_version is not None:
        model += f" v{s.model_version}"
    # pods that exist (any phase) of the requested: "1 of 1", never "available"; ready only on READY/True
    counts = f"{_n(s.predictor.available)} of {_n(s.predictor.requested)}"
    if s.transformer is not None:
        counts += f" + {_n(s.transformer.available)} of {_n(s.transformer.requested)}"
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
        "readiness": s.readiness,
        "scale_to_zero": s.scale_to_zero,
        "can_start": s.can_start and not pending,
        "can_stop": s.can_stop and not pending,
        "can_restart": s.status == "FAILED" and not pending,  # the row's way back from a failure
        "pending": pending,
        "offer": offer,  # a refused stop mid-start offers to stop once started (the button's label)
        "deferred": deferred,  # "stop": remembered, carried out once the status is left
    }


def _n(count: int | None) -> str:
    return "?" if count is None else str(count)


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key putting ``dep-2`` before ``dep-10`` (the view sorts the same way)."""
    parts = _DIGITS.split(name.casefold())
    return tuple((1, int(p), p) if i % 2 else (0, 0, p) for i, p in enumerate(parts)), name


def row_changes(before: dict[str, dict], after: dict[str, dict]) -> dict[str, Any] | None:
    """Keyed changes from one table to the next: new rows whole, changed rows with only the
    fields that changed (and their ``name``), removed rows by name; None when nothing changed."""
    upsert: list[dict[str, Any]] = []
    for name, row in after.items():
        old = before.get(name)
        if old is None:
            upsert.append(row)
        elif old != row:
            upsert.append({"name": name, **{k: v for k, v in row.items() if old.get(k) != v}})
    remove = [name for name in before if name not in after]
    if not upsert and not remove:
        return None
    return {"upsert": upsert, "remove": remove}


def apply_row_changes(table: dict[str, dict], ops: dict[str, Any]) -> dict[str, dict]:
    """What the view does with one ``row_ops`` message (a reference for tests): a new table."""
    out = {} if ops.get("reset") else dict(table)
    for name in ops.get("remove", ()):
        out.pop(name, None)
    for row in ops.get("upsert", ()):
        out[row["name"]] = {**out.get(row["name"], {}), **row}
    return out


class OverviewWidget(ShownOnce, Pullable, anywidget.AnyWidget):
    """A project's overview: a live table of all its deployments; opening a row shows its detail under the table.

    One anywidget (no ipywidgets container, so any anywidget host can show it):
    the open row's detail is a :class:`DeploymentDetail` whose traits travel in
    the ``detail`` dict, drawn by the detail view's own sections.
    """

    _esm = asset("widget.js")  # one module renders both widgets, switched by _view
    _css = asset("widget.css")
    _view = t.Unicode("overview").tag(sync=True)

    # The table travels as keyed changes: each round that changed something sets ``row_ops`` to
    # {rev, base, upsert, remove} (new rows whole, changed rows with only their changed fields,
    # removed rows by name); a view asks for the whole table once (the ``rows`` request) and
    # whenever a change does not follow the revision it holds. ``rows`` is the Python side's list.
    row_ops = t.Dict().tag(sync=True)
    rows = t.List(t.Dict())  # not synced: the whole table, naturally sorted by name
    selected = t.Unicode("").tag(sync=True)
    polling = t.Unicode("starting").tag(sync=True)
    interval_s = t.Float(None, allow_none=True).tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    last_ok_ms = t.Float(None, allow_none=True).tag(sync=True)
    action_error = t.Unicode("").tag(sync=True)
    action_refusal = t.Unicode("").tag(sync=True)  # "lifecycle" when action_error is the cluster's refusal
    actions_enabled = t.Bool(True).tag(sync=True)
    actions_blocked = t.Unicode("").tag(sync=True)  # why start/stop are off for this project (403), or ""
    detail_state = t.Dict().tag(sync=True)  # the open row's detail traits ({} when none is open)
    # wall time of the last whole list: the age of the rows off screen and of the status counts
    # (rows in view and rows that move are read one by one, more often; see poller.TableWatch)
    listed_ms = t.Float(None, allow_none=True).tag(sync=True)

    PULLED = (
        "row_ops",
        "selected",
        "polling",
        "interval_s",
        "error",
        "last_ok_ms",
        "action_error",
        "action_refusal",
        "actions_blocked",
        "detail_state",
        "listed_ms",
    )
    OPS_KEPT = 64  # recent row changes kept, so a pull is answered with what the view lacks

    def __init__(
        self,
        serving: Any = None,
        *,
        source: Any = None,
        poller: Poller | None = None,
        policy: Policy | None = None,
        actions: bool = True,
        **polling_options: Any,
    ) -> None:
        wanted = Policy.from_options(policy, **polling_options)  # a typo fails before any comm opens
        self._closed = False
        self._states: dict[str, DeploymentState] = {}
        self._table: dict[str, dict[str, Any]] = {}  # name -> row, as the views hold it
        self._table_rev = 0
        self._ops: deque[dict[str, Any]] = deque(maxlen=self.OPS_KEPT)  # the last row_ops, oldest first
        self._last_ok_ms: float | None = None  # for the static snapshot; synced only with an error
        self._pending = PendingActions()  # name -> action, until the status moves
        self._offers: dict[str, str] = {}  # name -> the deferred stop a refusal offers (its label)
        self._deferred: dict[str, str] = {}  # name -> the status a deferred stop waits to see left
        self._detail: DeploymentDetail | None = None
        self._detail_lock = threading.RLock()
        self._actions = actions
        self.source = source or ServingSource(serving)
        self._init_pull()
        super().__init__(actions_enabled=actions)
        if poller is None:
            poller = _registry.acquire(self.source, lambda: _registry.joined(self.source, policy=wanted))
            if poller.policy is not wanted and (polling_options or policy is not None):
                # explicit options win on a shared poller too; the others stay as they were
                poller.set_policy(Policy.from_options(policy or poller.policy, **polling_options))
        self._poller = poller
        watch = getattr(poller.source, "watch", None)
        self._watch = watch if isinstance(watch, TableWatch) else None
        if getattr(poller.source, "wall", None) is not None:
            poller.source.wall = poller.wall  # the list's time of day is its poller's
        self._project = project_key(self.source)
        self.actions_blocked = rights.message(self._project)
        self._rights_token = rights.watch(self._project, self._rights_changed)
        self.visibility = Visibility(self._set_visible)
        self.on_msg(Channel(self.send, self.commands(), secrets=lambda: self.source.secrets, alive=self._open))
        _hosts.adopt(self)  # marimo: closed with the cell that made it (it closes only the comm)
        self._token = poller.subscribe(self._apply)

    @property
    def table(self) -> OverviewWidget:
        """The table's traits (rows, selected, error…) live on the widget itself."""
        return self

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def states(self) -> list[DeploymentState]:
        return list(self._states.values())

    @property
    def detail(self) -> DeploymentDetail | None:
        """The open row's detail (its state, actions and ``wait_for``), or None."""
        return self._detail

    def _open(self) -> bool:
        return not self._closed

    def refresh(self) -> None:
        """Read everything now: the whole list (new and deleted deployments, every row, the counts)."""
        if self._watch is not None:
            self._watch.ask_list()
        self._poller.refresh()

    def rows_in_view(self, content: dict) -> None:
        """The view's rows on screen (``names``) and its search/filter (``query``): rows that come
        into view stale are read in a round at once; a new filter may read the whole list."""
        names = content.get("names")
        if self._watch is None or not isinstance(names, list):
            return
        names = [n for n in names[:500] if isinstance(n, str)]
        query = content.get("query")
        p = self._poller
        if self._watch.set_in_view(names, p.clock(), p.policy.fast_s, query if isinstance(query, str) else ""):
            p.refresh()

    def _rights_changed(self, message: str) -> None:
        with self._detail_lock:
            if self._closed:
                return
            with self.hold_sync():
                self.actions_blocked = message
                if message:
                    self.action_error = ""
                    self.action_refusal = ""

    def allow_actions(self) -> None:
        """Turn this project's actions back on after a 403 (say, once a Data Owner gave you the role)."""
        rights.allow(self._project)

    def _await_first_update(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._poller.polls == 0 and time.monotonic() < deadline:
            time.sleep(0.005)

    def _set_visible(self, on: bool) -> None:
        self._poller.set_visible(self._token, on)
        detail = self._detail
        if detail is not None:  # the open detail is on screen exactly when its table is
            detail.set_visible(on)

    def _apply(self, snap: Snapshot) -> None:
        # One writer at a time (the poller thread, handlers on subshell threads, cells, the open
        # detail's threads): ipywidgets' hold_sync is not thread-safe, and rows built from an older
        # snapshot must not land after newer ones.
        with self._detail_lock:
            gone = self._apply_locked(snap)
        if gone is not None:
            self.close_detail(gone)

    def _apply_locked(self, snap: Snapshot) -> str | None:
        if self._closed:
            return None
        values: dict[str, Any] = {
            "polling": snap.mode,
            "interval_s": None if snap.interval_s is None else round(snap.interval_s, 1),
            "error": snap.error,
            # sent only while polls fail (the error line says since when): a good round that found
            # nothing new sends nothing at all (it used to send this and _rev, 664 B per round)
            "last_ok_ms": ms(snap.last_ok_at) if snap.error else self.last_ok_ms,
        }
        if isinstance(snap.state, DeploymentList):
            # only while rows are read one by one between lists: then the counts and the rows off
            # screen are as old as the list (a list every round needs no second age)
            values["listed_ms"] = snap.state.listed_ms if snap.state.partial else None
        self._last_ok_ms = ms(snap.last_ok_at)
        listing = snap.state
        gone = None
        if isinstance(listing, DeploymentList):
            states = {s.name: s for s in listing.states}
            self._pending.settle({name: s.status for name, s in states.items()})
            self._states = states
            due = self._deferred_due(states)
            ordered = sorted(states.values(), key=lambda s: natural_key(s.name))
            table = {
                s.name: _row(
                    s,
                    self._pending.get(s.name),
                    self._offers.get(s.name, ""),
                    "stop" if s.name in self._deferred else "",
                )
                for s in ordered
            }
            ops = row_changes(self._table, table)
            if ops is not None or list(table) != list(self._table):
                base, self._table_rev = self._table_rev, self._table_rev + 1
                self._table = table
                values["rows"] = list(table.values())
                values["row_ops"] = {"rev": self._table_rev, "base": base, **(ops or {"upsert": [], "remove": []})}
                self._ops.append(values["row_ops"])
            if self.selected and self.selected not in states:
                gone = self.selected  # its deployment is gone: so is its detail view
        with self.hold_sync():
            for key, value in values.items():
                if getattr(self, key) != value:
                    setattr(self, key, value)
        for name in due:
            self._act_locked("stop", name)  # the start it waited for ended: the cluster accepts a stop now
        return gone

    def _deferred_due(self, states: dict[str, DeploymentState]) -> list[str]:
        """Deferred stops whose status was left (to send now); offers made moot by a status change."""
        for name in [n for n in self._offers if n not in states or states[n].status not in DEFERRABLE]:
            self._offers.pop(name, None)
        due = []
        for name, waiting in list(self._deferred.items()):
            now = states.get(name)
            if now is None or now.status == waiting:
                if now is None:
                    self._deferred.pop(name, None)
                continue
            if now.status in DEFERRABLE:  # Starting turned into Updating: keep waiting
                self._deferred[name] = now.status
                continue
            self._deferred.pop(name, None)
            if now.can_stop:
                due.append(name)
        return due

    def stop_later(self, name: str) -> bool:
        """Remember a stop of ``name`` for when it leaves Starting (or Updating); see DeploymentDetail.stop_later."""
        with self._detail_lock:
            state = self._states.get(name)
            if state is None or state.status not in DEFERRABLE or self.actions_blocked:
                return False
            self._deferred[name] = state.status
            self._offers.pop(name, None)
            self.action_error = ""
            self.action_refusal = ""
            self._apply(self._poller.snapshot)
        return True

    def cancel_stop_later(self, name: str) -> None:
        with self._detail_lock:
            if self._deferred.pop(name, None) is not None:
                self._apply(self._poller.snapshot)

    def whole_table(self, _content: dict | None = None) -> dict[str, Any]:
        """The whole table as one reset change (a new view's first request, and pulls)."""
        with self._detail_lock:
            return {
                "rev": self._table_rev,
                "base": 0,
                "reset": True,
                "upsert": list(self._table.values()),
                "remove": [],
            }

    def changes_since(self, rev: int) -> dict[str, Any]:
        """What a view holding table revision ``rev`` lacks, as one change from ``rev`` (the
        recent changes merged); the whole table when it holds none or one older than those kept."""
        with self._detail_lock:
            ops = list(self._ops)
            if rev == self._table_rev:
                return {"rev": rev, "base": rev, "upsert": [], "remove": []}
            if rev <= 0 or rev > self._table_rev or not ops or ops[0]["base"] > rev:
                return self.whole_table()
            upsert: dict[str, dict[str, Any]] = {}
            removed: set[str] = set()
            for op in ops:
                if op["rev"] <= rev:
                    continue
                for name in op.get("remove", ()):
                    upsert.pop(name, None)
                    removed.add(name)
                for row in op.get("upsert", ()):
                    name = row["name"]
                    if name in removed:  # gone and back: the new row whole
                        removed.discard(name)
                        upsert[name] = dict(self._table.get(name, row))
                    else:
                        upsert[name] = {**upsert.get(name, {}), **row}
            return {"rev": self._table_rev, "base": rev, "upsert": list(upsert.values()), "remove": sorted(removed)}

    def _pulled(self, name: str, content: dict | None = None) -> Any:
        if name != "row_ops":
            return getattr(self, name)
        # a view that missed pushes missed row changes too: what it lacks from the table it holds
        held = (content or {}).get("rows_rev")
        if isinstance(held, int) and not isinstance(held, bool):
            return self.changes_since(held)
        return self.whole_table()

    # ------------------------------------------------------------ the open row
    def open_detail(self, name: str) -> DeploymentDetail:
        """Show ``name``'s detail under the table (replacing the previous one)."""
        deployment = self.source.deployment(name)
        # Made outside the lock: its poller thread may already run (a shared poller) and report to
        # _detail_changed, which takes the lock (the detail's lock first, then this one, always).
        # The detail polls like its table, and is on screen when the table is.
        made: list[DeploymentDetail] = []  # its values count once it is made (none come before: as ever)
        detail = DeploymentDetail(
            deployment,
            actions=self._actions,
            policy=self._poller.policy,
            on_values=lambda values: made and self._detail_changed(made[0], values),
        )
        made.append(detail)
        # Outside the lock too: going on screen may write the detail's traits (its restarts, its
        # versions), under the detail's lock, which is always taken before this one.
        detail.set_visible(self.visibility.any)
        with self._detail_lock:
            old, self._detail = self._detail, detail
            if self._closed:
                old, self._detail = detail, None
            else:
                with self.hold_sync():
                    self.selected = name
                    self.detail_state = detail.sync_state()
        if old is not None:
            old.close()  # outside the lock: it joins its poller thread, which may wait for the lock
        return detail

    def _detail_changed(self, detail: DeploymentDetail, values: dict[str, Any]) -> None:
        with self._detail_lock:
            if self._detail is not detail or self._closed:
                return  # a detail closed meanwhile: its late values must not land on the next one
            self.detail_state = {**self.detail_state, **values}

    def close_detail(self, name: str | None = None) -> None:
        """Close the open detail (only if it shows ``name``, when given)."""
        with self._detail_lock:
            if name is not None and self.selected != name:
                return
            old, self._detail = self._detail, None
            with self.hold_sync():
                self.selected = ""
                self.detail_state = {}
        if old is not None:
            old.close()

    # ------------------------------------------------------------ commands
    def start(self, name: str):
        return self._act("start", name)

    def stop(self, name: str):
        return self._act("stop", name)

    def restart(self, name: str):
        """Stop, then start ``name`` (how a failed deployment comes back), in the background."""
        return self._act("restart", name)

    def _act(self, action: str, name: str):
        with self._detail_lock:  # check and mark pending at once: two threads clicking make one action
            return self._act_locked(action, name)

    def _act_locked(self, action: str, name: str):
        state = self._states.get(name)
        if state is None:
            self.action_error = f"No deployment named {name!r}."
            return None
        if self._pending.get(name):
            return None  # one action per click, however fast the clicks
        if self.actions_blocked:
            return None  # the user's role may not (403): actions_blocked says so
        allowed = {"start": state.can_start, "stop": state.can_stop, "restart": state.can_restart}[action]
        if not allowed:
            self.action_error = f"Cannot {action} {name} while it is {state.status_label.lower()}."
            if action == "start" and state.status == "FAILED":
                self.action_error = f"{name}: {refusal_text('start', 'FAILED')}"
            return None
        self._pending.mark(name, action, state.status)
        self._offers.pop(name, None)
        self.action_error = ""
        self.action_refusal = ""
        self._apply(self._poller.snapshot)
        if action == "restart":
            future = self._run_restart(name)
        else:
            future = self._poller.run_action(action, name)
        future.add_done_callback(lambda f: self._action_done(action, name, f))
        return future

    def _run_restart(self, name: str):
        """The (blocking) restart on a thread of its own, so the table keeps showing each status."""
        source = self.source
        return self._poller.run_watched(lambda: source.restart(name), f"restart-{name}")

    def _action_done(self, action: str, name: str, future) -> None:
        if future.cancelled() or self._closed:
            return
        exc = future.exception()
        if exc is None:
            rights.allow(self._project)  # it went through: whatever refused before allows now
            if action == "restart":
                with self._detail_lock:
                    self._pending.clear(name)
                    self._apply(self._poller.snapshot)
            return
        refusal = getattr(exc, "refusal", "") or _errors.action_refusal(exc)
        with self._detail_lock:
            self._pending.clear(name)
            if refusal == "lifecycle":
                state = self._states.get(name)
                status = state.status if state is not None else ""
                self.action_error = f"{action.capitalize()} {name} refused. {refusal_text(action, status)}"
                if action == "stop" and status in DEFERRABLE:
                    self._offers[name] = DEFERRABLE[status]
            elif refusal != "forbidden":
                self.action_error = f"{action.capitalize()} {name} failed: {exc}"
            self.action_refusal = refusal if refusal == "lifecycle" else ""
            self._apply(self._poller.snapshot)
        if refusal == "forbidden":
            rights.block(self._project)  # every widget of the project turns its actions off (no lock held)

    def commands(self) -> dict[str, Any]:
        """The channel's dispatch table: the table's commands, and the open detail's (``target: "detail"``)."""

        def row_action(action: str):
            def run(content: dict):
                future = self._act(action, str(content.get("name", "")))
                if future is None:
                    raise _Refused(self.action_error or "An action is already pending.")
                return future

            return run

        def stop_later(content: dict) -> None:
            if not self.stop_later(str(content.get("name", ""))):
                raise _Refused("Nothing to stop later: it is not starting or updating any more.")

        def select(content: dict) -> None:
            name = str(content.get("name", ""))
            if name and name != self.selected:
                self.open_detail(name)
            else:
                self.close_detail()

        table = {
            "pull": self.pull,
            "refresh": lambda _content: self.refresh(),
            "rows_in_view": self.rows_in_view,
            "rows": self.whole_table,
            "select": select,
            "start": row_action("start"),
            "stop": row_action("stop"),
            "restart": row_action("restart"),
            "stop_later": stop_later,
            "cancel_stop_later": lambda content: self.cancel_stop_later(str(content.get("name", ""))),
            "allow_actions": lambda _content: self.allow_actions(),
            "visibility": self.visibility,
        }

        def route(kind: str):
            def run(content: dict):
                if content.get("target") == "detail":  # the detail view drawn under the table
                    detail = self._detail
                    if detail is None:
                        raise _Refused("No detail is open.")
                    return detail.commands()[kind](content)
                if kind not in table:
                    raise _Refused(f"Unknown command {kind!r}.")
                return table[kind](content)

            return run

        return {kind: route(kind) for kind in dict.fromkeys([*table, *DeploymentDetail.COMMAND_NAMES])}

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            rights.unwatch(self._project, self._rights_token)
            _registry.release(self._poller, self._token)
            with self._detail_lock:
                old, self._detail = self._detail, None
            if old is not None:
                old.close()
            self.layout.close()
        super().close()

    def _snapshot_html(self) -> str:
        return overview_html(self)

    def __repr__(self) -> str:
        states = list(self._states.values())
        if not states:
            return "deployments: " + (self.error or "waiting for the first update")
        counts: dict[str, int] = {}
        for s in states:
            counts[s.status_label] = counts.get(s.status_label, 0) + 1
        return f"{len(states)} deployments: " + ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))


class _Refused(Refused):
    """An action the table would not send (unknown name, not allowed now, or one already pending)."""


# Its old name, kept for code that holds it: one letter away from the detail's DeploymentWidget.
DeploymentsWidget = OverviewWidget
