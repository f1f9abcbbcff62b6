"""One loop per project: a thread that serves every poller of one project's deployments per round."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ._polling import Poller, settle
from ._tablewatch import TableWatch
from .errors import DeploymentNotFound
from .state import DeploymentState

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- one loop per project
@dataclass(frozen=True)
class Choice:
    """One round's request choice, for tests and support: ``list`` or ``gets``, and why."""

    kind: str  # "list" | "gets" | "none"
    gets: int = 0  # single GETs it needed (one state each)
    size: int | None = None  # N, the project's size from the last list (a list costs N states)
    why: str = ""


class ProjectLoop:
    """One thread for every poller of one project's deployments (and its overviews).

    Each round serves the members that are due, priced as the backend prices it, in
    deployment states: a single GET costs one, the list (``GET …/serving``) one for every
    deployment of the project. A round reads its deployments one by one, unless the list
    is cheaper (N, known from the last list, is at most the number of deployments needed
    this round) or an overview needs the whole list (its slow cadence, Refresh, a new
    filter, its first round). An unknown N means single GETs: nothing lists just to learn
    N. Whatever a round reads is handed to every member it concerns, due or not.
    Actions still go to the one deployment, on this thread, before the round.
    ``clock`` and ``wake`` are injectable; with ``autostart=False`` call :meth:`run_round`.
    """

    SIZE_TRUSTED_S = 600.0  # N from a list older than this is unknown again (gets until a list is read)

    def __init__(
        self,
        key: Hashable,
        lister: Callable[[], Any],
        label: str = "project",
        *,
        clock: Callable[[], float] = time.monotonic,
        wake: threading.Event | None = None,
        autostart: bool = True,
    ) -> None:
        self.key = key
        self.lister = lister  # () -> the project's DeploymentStates, from one request
        self.label = label
        self._clock = clock
        self._wake = wake or threading.Event()
        self._autostart = autostart
        self._lock = threading.Lock()
        self._members: list[Poller] = []
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.list_requests = 0
        self.get_requests = 0
        self.size: int | None = None  # N, from the last list read by any member
        self.size_at: float | None = None
        self.choice = Choice("none")

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock every member's schedule runs on."""
        return self._clock

    @property
    def wake(self) -> threading.Event:
        """Set by any member's command: the loop re-plans (and runs a round if one is due)."""
        return self._wake

    @property
    def members(self) -> list[Poller]:
        with self._lock:
            return [m for m in self._members if not m.stopped]

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stopping

    def add(self, poller: Poller) -> bool:
        """Take a member; False if the loop is already ending (its last member left)."""
        with self._lock:
            if self._stopping:
                return False
            if poller not in self._members:
                self._members.append(poller)
            start = self._autostart and self._thread is None
            if start:
                self._thread = threading.Thread(
                    target=self._run, name=f"hops-widgets-poller[project {self.label}]", daemon=True
                )
        if start:
            self._thread.start()  # type: ignore[union-attr]
        self._wake.set()
        return True

    def remove(self, poller: Poller, timeout: float | None = 5.0) -> None:
        """Drop a member; the last one out ends the loop."""
        with self._lock:
            if poller in self._members:
                self._members.remove(poller)
            last = not self._members
            if last:
                self._stopping = True
        if not last:
            self._wake.set()  # the schedule may be slower now
            return
        with _loops_lock:
            if _loops.get(self.key) is self:
                del _loops[self.key]
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # ------------------------------------------------------------ the loop
    def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                self.step()
            except BaseException:  # pragma: no cover - members already contain source errors
                log.exception("hops-widgets project loop error")
            if self._stopping:
                break
            due = self.next_due()
            self._wake.wait(None if due is None else max(0.0, due - self._clock()))

    def step(self) -> None:
        """What the thread does when it wakes: a round if a member is due, else re-plan every
        member from its last round (woken early: visibility, policy). For driving a loop by hand."""
        members = self.members
        now = self._clock()
        if any(m.is_due(now) for m in members):
            self.run_round(members)
        else:
            for m in members:
                self._plan(m, m.replan())

    @staticmethod
    def _plan(m: Poller, interval: float | None) -> None:
        """``m``'s next round: after ``interval``, or sooner when its overview's slow list is due."""
        watch = _watch_of(m)
        sooner = None
        if watch is not None and m.snapshot.mode != "backoff":
            sooner = watch.list_due_at(m.policy, m.visible)
        m.plan(interval, sooner=sooner)

    def next_due(self) -> float | None:
        dues = [m.due_at for m in self.members if m.due_at is not None]
        return min(dues) if dues else None

    def known_size(self, now: float) -> int | None:
        """N if a list told it recently enough, else None (unknown: single GETs)."""
        if self.size is None or self.size_at is None or now - self.size_at > self.SIZE_TRUSTED_S:
            return None
        return self.size

    def run_round(self, members: list[Poller] | None = None) -> None:
        """Actions first (each to its own deployment), then the cheaper reads for the due members."""
        members = self.members if members is None else members
        if not members:
            return
        now = self._clock()
        due = [m for m in members if m.is_due(now)]
        if not due:
            return
        done = [m.begin_round() for m in due]
        try:
            self._fetch(members, due, now)
        finally:
            for outcomes in done:
                settle(outcomes)
            self.rounds += 1

    def choose(self, gets: int, list_needed: bool, now: float) -> Choice:
        """The round's request: the list when an overview needs it or N ≤ gets, else ``gets`` GETs."""
        size = self.known_size(now)
        if list_needed:
            return Choice("list", gets, size, "an overview needs the whole list")
        if not gets:
            return Choice("none", 0, size, "nothing is due")
        if size is not None and size <= gets:
            return Choice("list", gets, size, f"the list costs {size} states, the GETs {gets}")
        why = "N is unknown" if size is None else f"{gets} GETs cost less than the list's {size} states"
        return Choice("gets", gets, size, why)

    def _fetch(self, members: list[Poller], due: list[Poller], now: float) -> None:
        overviews = [m for m in members if _lists(m.source)]
        details = [m for m in members if not _lists(m.source)]
        due_details = [m for m in details if m in due]
        rows: dict[str, None] = {}  # overview rows to read one by one
        list_needed = False
        planned: dict[int, list[str]] = {}
        for m in overviews:
            if m not in due:
                continue
            watch = _watch_of(m)
            listing = m.snapshot.state
            if watch is None or not isinstance(getattr(listing, "states", None), tuple):
                list_needed = True  # no table yet (or an overview that cannot read rows one by one)
                continue
            if m.snapshot.mode == "backoff":
                list_needed = True  # after errors, one list brings everything back at once
                continue
            interval, _mode = m.interval_for(listing)
            names, whole = watch.plan(now, m.policy, visible=m.visible, interval=interval, states=listing.states)
            list_needed |= whole
            planned[id(m)] = names
            rows.update(dict.fromkeys(names))
        detail_names = {_name_of(m) for m in due_details}
        gets = len(due_details) + len([n for n in rows if n not in detail_names])
        self.choice = choice = self.choose(gets, list_needed, now)
        if choice.kind == "list":
            self._by_list(members, overviews, details)
        elif choice.kind == "gets":
            self._by_gets(members, overviews, due_details, rows, planned, now)
        else:
            for m in overviews:
                if m in due:  # nothing to read for it now: its next round is planned from here
                    m.skip_read(now)
                    self._plan(m, m.interval_for(m.snapshot.state)[0])

    def _by_list(self, members: list[Poller], overviews: list[Poller], details: list[Poller]) -> None:
        """One list request; every member gets its part, due or not (it is free for the others)."""
        walls = {id(m): m.start_read() for m in members}
        now = self._clock()
        try:
            if overviews:
                listed = overviews[0].source.fetch()  # the overview's own list (it keeps its objects)
                states = tuple(getattr(listed, "states", ()))
            else:
                listed = None
                states = tuple(self.lister())
            self.list_requests += 1
        except Exception as exc:  # noqa: BLE001 - shown on every member, which backs off
            for m in members:
                self._plan(m, m.absorb(walls[id(m)], error=exc))
            return
        self.size, self.size_at = len(states), now
        for m in overviews:
            watch = _watch_of(m)
            if watch is not None:
                watch.listed([s.name for s in states], now)
        by_id = {s.deployment_id: s for s in states if s.deployment_id is not None}
        by_name = {s.name: s for s in states}
        for i, m in enumerate(overviews):
            mine = listed if i == 0 else m.source.took_list(states)
            self._plan(m, m.absorb(walls[id(m)], state=mine))
        for m in details:
            d = getattr(m.source, "deployment", None)
            ident, name = getattr(d, "id", None), getattr(d, "name", None)
            state = by_id.get(ident) if isinstance(ident, int) and by_id else None
            if state is None:
                state = by_name.get(name)
            if state is None:
                gone = DeploymentNotFound(f"Deployment {name!r} is no longer in its project's list: it was deleted.")
                self._plan(m, m.absorb(walls[id(m)], error=gone))
            else:
                self._plan(m, m.absorb(walls[id(m)], state=state))

    def _by_gets(
        self,
        members: list[Poller],
        overviews: list[Poller],
        due_details: list[Poller],
        rows: dict[str, None],
        planned: dict[int, list[str]],
        now: float,
    ) -> None:
        """A single GET per deployment needed; what one member read, the others showing it get too."""
        read: dict[str, Any] = {}
        for m in due_details:
            self._plan(m, m.poll())
            self.get_requests += 1
            state = m.snapshot.state
            if m.snapshot.error_kind == "" and isinstance(state, DeploymentState):
                read[state.name] = state
                read.setdefault(_name_of(m), state)
        gone: set[str] = set()
        failed: dict[int, BaseException] = {}
        for m in overviews:
            if id(m) not in planned:
                continue
            walls = m.start_read()
            for name in planned[id(m)]:
                if name in read or name in gone:
                    continue
                try:
                    read[name] = m.source.get(name)
                except DeploymentNotFound:
                    gone.add(name)
                except Exception as exc:  # noqa: BLE001 - the overview shows it and backs off
                    failed[id(m)] = exc
                    break
                finally:
                    self.get_requests += 1
            if id(m) in failed:
                self._plan(m, m.absorb(walls, error=failed[id(m)]))
            else:
                self._plan(m, m.absorb(walls, state=m.source.took_states(read, gone, self._clock())))
        for m in overviews:  # an overview not due still shows what its detail members read
            if id(m) in planned or not read:
                continue
            mine = {n: s for n, s in read.items() if n in {s.name for s in getattr(m.snapshot.state, "states", ())}}
            if mine:
                m.absorb(m.wall(), state=m.source.took_states(mine, set(), self._clock()))
        for m in members:  # a detail not due whose deployment an overview read: it is fresh too
            if m in due_details or _lists(m.source):
                continue
            state = read.get(_name_of(m))
            if state is not None:
                wall = m.start_read()
                self._plan(m, m.absorb(wall, state=state))


def _watch_of(m: Poller) -> TableWatch | None:
    watch = getattr(m.source, "watch", None)
    return watch if isinstance(watch, TableWatch) else None


def _name_of(m: Poller) -> str:
    return str(getattr(getattr(m.source, "deployment", None), "name", None) or "")


def _lists(source: Any) -> bool:
    """The source is an overview's (it lists every deployment of a project)."""
    return bool(getattr(source, "lists_deployments", False)) or hasattr(source, "serving")


# ---------------------------------------------------------------- the loops of every project
_loops: dict[Hashable, ProjectLoop] = {}
_loops_lock = threading.Lock()


def loop_for(
    key: Hashable, lister: Callable[[], Any], label: str, *, clock: Callable[[], float], wake: threading.Event | None
) -> ProjectLoop:
    """The running loop of the project ``key``, made if there is none."""
    with _loops_lock:
        loop = _loops.get(key)
        if loop is None or loop.stopped:
            loop = _loops[key] = ProjectLoop(key, lister, label, clock=clock, wake=wake)
    return loop


def project_loops() -> list[ProjectLoop]:
    with _loops_lock:
        return [loop for loop in _loops.values() if not loop.stopped]
