"""Polling: one background loop per project, shared by every widget of its deployments.

The poller knows nothing about widgets. Subscribers register a callback and
receive an immutable :class:`Snapshot` whenever a poll finishes; whether
anything changed is for them to decide (traitlets does it for free).

Scheduling follows :class:`Policy`: fast while something is moving or just
after an action, slower when stable, slowest (or paused) when no view is on
screen, and exponential backoff with jitter on errors.
"""

from __future__ import annotations

import itertools
import logging
import random
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, fields, replace
from typing import Any

from . import _actions
from .errors import DeploymentNotFound, action_refusal, error_kind, explain, retry_after
from .state import DeploymentState
from .timeline import Timeline

__all__ = [
    "Choice",
    "DeploymentSource",
    "Policy",
    "Poller",
    "ProjectLoop",
    "Snapshot",
    "TableWatch",
    "acquire",
    "active_pollers",
    "project_loops",
    "release",
]

log = logging.getLogger(__name__)

# Errors that the next poll will not fix by itself (a rejected key, a deleted deployment):
# polling backs off to the slowest interval at once instead of climbing there.
LASTING_ERRORS = frozenset({"auth", "forbidden", "not_found"})


@dataclass(frozen=True)
class Policy:
    """Polling intervals in seconds. ``hidden_s=None`` pauses polling while no view is visible."""

    fast_s: float = 1.0
    stable_s: float = 5.0
    hidden_s: float | None = 30.0
    after_action_s: float = 30.0
    backoff_min_s: float = 2.0
    backoff_max_s: float = 60.0
    jitter: float = 0.25
    stall_s: float = 20.0  # a poll still unanswered after this long is shown as a fault
    # The overview's whole list (every deployment's state: N states on the backend) is read every
    # max(list_min_s, N × list_per_row_s): 30 s up to 1,000 deployments, then growing with N, so
    # the list never costs the backend more than 2,000 states a minute (list_min_s / list_per_row_s
    # = the N where it starts growing). Rows on screen and rows that move are read one by one.
    list_min_s: float = 30.0
    list_per_row_s: float = 0.03

    @classmethod
    def from_options(cls, base: Policy | None = None, **options: Any) -> Policy:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(
                f"unknown polling option(s) {', '.join(unknown)}; expected some of {', '.join(sorted(names))}"
            )
        for name, value in options.items():
            if value is None and name == "hidden_s":
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"polling option {name} must be a number >= 0, got {value!r}")
        for name in ("fast_s", "stable_s", "backoff_min_s"):
            if name in options and options[name] <= 0:
                raise ValueError(f"polling option {name} must be > 0")
        if options.get("backoff_max_s", float("inf")) < options.get("backoff_min_s", 0):
            raise ValueError("polling option backoff_max_s must be >= backoff_min_s")
        return replace(base or cls(), **options)

    def backoff(self, failures: int, rand: float) -> float:
        """Delay after ``failures`` consecutive errors: doubling from min to max, with jitter."""
        doublings = min(max(0, failures - 1), 30)  # 2**30 s is past any cap; no overflow after days of errors
        base = min(self.backoff_max_s, self.backoff_min_s * 2**doublings)
        spread = base * self.jitter
        return max(self.backoff_min_s, min(self.backoff_max_s, base - spread + 2 * spread * rand))


@dataclass(frozen=True)
class Snapshot:
    """What one poll produced. ``state`` is the last good state, even while erroring."""

    state: DeploymentState | None = None
    error: str = ""
    error_kind: str = ""
    changed_at: float | None = None  # wall time the state last changed
    last_ok_at: float | None = None  # wall time of the last successful poll
    mode: str = "starting"  # fast | stable | hidden | paused | backoff | stopped
    interval_s: float | None = None
    failures: int = 0
    sharing: str = ""  # how this deployment is polled: its project's loop, or alone and why (for support)
    poll: int = 0  # the round that brought it (0: none yet), so a waiter judges what it was handed


def sdk_secrets() -> tuple[str, ...]:
    """The hopsworks SDK's API key, if the SDK is loaded and logged in, for redaction only."""
    client_module = sys.modules.get("hopsworks_common.client")
    try:
        token = client_module._client._auth._token  # type: ignore[union-attr]
    except AttributeError:
        return ()
    return (token,) if isinstance(token, str) and token else ()


class DeploymentSource:
    """Adapts any SDK-shaped deployment: ``get_state()``, ``start()``, ``stop()``.

    Works for the hopsworks SDK's ``Deployment`` and for the built-in client's.
    """

    def __init__(self, deployment: Any) -> None:
        self.deployment = deployment

    @property
    def key(self) -> Hashable:
        d = self.deployment
        key = getattr(d, "_hops_widgets_key", None)
        if key is not None:
            return key
        ident = getattr(d, "id", None)
        name = getattr(d, "name", None)
        if ident is None and name is None:
            return ("object", id(d))
        return (type(d).__module__, getattr(d, "project_name", None), ident, name)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(getattr(self.deployment, "_hops_widgets_secrets", ()) or ()) + sdk_secrets()

    @property
    def label(self) -> str:
        return str(getattr(self.deployment, "name", None) or "deployment")

    def fetch(self) -> DeploymentState:
        return DeploymentState.from_sdk(self.deployment)

    def start(self) -> None:
        from . import _sdk

        _sdk.start(self.deployment)

    def stop(self) -> None:
        from . import _sdk

        _sdk.stop(self.deployment)

    def logs(self, component: str, tail: int, since: str | None = None) -> list[dict]:
        """Log lines as ``{"instance", "content", "timestamp", "id"}`` dicts, printing nothing (see ``_sdk.logs``)."""
        from . import _sdk

        return _sdk.logs(self.deployment, component, tail, since)


class Poller:
    """Polls ``source.fetch()`` on a named daemon thread and tells subscribers.

    ``clock``, ``wall``, ``wake`` and ``rand`` are injectable so tests can
    drive the schedule without sleeping. With ``autostart=False`` no thread
    is started; call :meth:`poll` by hand.
    """

    def __init__(
        self,
        source: Any,
        *,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        wake: threading.Event | None = None,
        rand: Callable[[], float] = random.random,
        autostart: bool = True,
        loop: ProjectLoop | None = None,
        join: bool = False,
    ) -> None:
        """``join``: poll in the shared loop of the source's project where one is found (as
        :func:`acquire` callers do); ``loop``: in this loop; neither: on a thread of its own."""
        self.source = source
        self.policy = policy or Policy()
        if loop is None and join:
            loop, self.sharing = _project_loop_for(source, clock=clock, wake=wake)
        else:
            self.sharing = "own loop" if loop is None else "project loop"
        self._loop = loop
        if loop is not None:
            wake = loop._wake  # every command to this poller wakes the project's loop
            clock = loop._clock
        self._clock = clock
        self._wall = wall
        self._rand = rand
        self._wake = wake or threading.Event()
        self._lock = threading.RLock()
        self._subscribers: dict[int, Callable[[Snapshot], None]] = {}
        self._visible: set[int] = set()
        self._tokens = itertools.count(1)
        self._actions: deque[tuple[str, tuple, Future]] = deque()
        self._stopping = False
        self._refresh = False
        self._waiters = 0
        self._in_flight_since: float | None = None
        self._publishing = threading.Lock()  # a poll's result and a stall report never interleave
        self._action_until = float("-inf")
        self._last_poll: float | None = None
        self._due: float | None = None  # when the project loop owes this poller its next round
        self.snapshot = Snapshot(sharing=self.sharing)
        self.timeline = Timeline()  # kept here, so every widget of the deployment shows the same history
        self.polls = 0  # rounds whose result every subscriber has had
        self._thread: threading.Thread | None = None
        if autostart:
            self.start()

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._loop is not None:
            if self._loop.add(self):
                return
            # its last member left as this one came: poll alone rather than in a loop that is ending
            self._loop = None
            self.sharing = "own loop: its project's loop was ending"
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"hops-widgets-poller[{self.source.label}]", daemon=True
            )
            self._thread.start()

    @property
    def alive(self) -> bool:
        if self._loop is not None:
            return self._loop.alive and not self._stopping
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stopping

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the thread and join it (unless called from the thread itself)."""
        with self._lock:
            self._stopping = True
            pending = list(self._actions)
            self._actions.clear()
        for _, _, future in pending:
            future.cancel()
        if self._loop is not None:
            self._loop.remove(self, timeout)
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._publish(replace(self.snapshot, mode="stopped", interval_s=None))

    # ------------------------------------------------------------ subscribers
    def subscribe(self, callback: Callable[[Snapshot], None], *, visible: bool = False) -> int:
        with self._lock:
            token = next(self._tokens)
            self._subscribers[token] = callback
            if visible:
                self._visible.add(token)
        if self.snapshot.poll:  # a round's result is out: the newcomer gets it too
            self._call(callback, self.snapshot)
        return token

    def unsubscribe(self, token: int) -> int:
        """Forget a subscriber; returns how many remain."""
        with self._lock:
            self._subscribers.pop(token, None)
            self._visible.discard(token)
            return len(self._subscribers)

    def set_visible(self, token: int, visible: bool) -> None:
        """A view of this subscriber came on or went off screen; the schedule follows."""
        with self._lock:
            was = bool(self._visible)
            if visible and token in self._subscribers:
                self._visible.add(token)
            else:
                self._visible.discard(token)
            changed = was != bool(self._visible)
        if changed:
            self._wake.set()  # recompute the deadline; polls only if it is already due

    def set_policy(self, policy: Policy) -> None:
        """New intervals; the sleeping thread re-plans its next poll at once."""
        self.policy = policy
        self._wake.set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # ------------------------------------------------------------ commands
    def refresh(self) -> None:
        """Poll as soon as possible."""
        self._refresh = True
        self._wake.set()

    def expect_change(self) -> None:
        """An action was asked outside this poller (in code): poll fast from now on, as after our own."""
        self._action_until = self._clock() + self.policy.after_action_s
        self.refresh()

    def watch(self) -> _Watch:
        """Context manager: poll at the fast rate while someone waits on the result."""
        return _Watch(self)

    def run_action(self, name: str, *args: Any) -> Future:
        """Queue ``source.<name>(*args)`` (start, stop or refresh) on the poller thread.

        The returned future resolves once the action ran and the state was
        polled again; its exception is the source's error, if any.
        """
        future: Future = Future()
        if name not in ("start", "stop", "refresh"):
            future.set_exception(ValueError(f"unknown action {name!r}"))
            return future
        with self._lock:
            if self._stopping:
                future.set_exception(RuntimeError("the poller is stopped"))
                return future
            self._actions.append((name, args, future))
        self._wake.set()
        return future

    # ------------------------------------------------------------ the loop
    def _run(self) -> None:
        due: float | None = self._clock()
        while not self._stopping:
            self._wake.clear()
            now = self._clock()
            if self._refresh or self._actions or (due is not None and now >= due):
                self._refresh = False
                try:
                    interval = self.tick()
                except BaseException:  # pragma: no cover - poll() already contains source errors
                    log.exception("hops-widgets poller error")
                    interval = self.policy.backoff_max_s
            else:
                # Woken early (visibility changed): re-plan from the last poll.
                interval = self._replan()
            if self._stopping:
                break
            last = self._last_poll if self._last_poll is not None else now
            due = None if interval is None else last + interval
            self._wake.wait(None if due is None else max(0.0, due - self._clock()))

    def _replan(self) -> float | None:
        snapshot = self.snapshot
        if snapshot.mode == "backoff" or snapshot.state is None:
            return snapshot.interval_s
        interval, mode = self._interval(snapshot.state)
        if mode != snapshot.mode:
            self._publish(replace(snapshot, mode=mode, interval_s=interval))
        return interval

    def tick(self) -> float | None:
        """One round: run the queued actions, poll, then settle the actions' futures.

        Settling after the poll means whoever waits on an action (a button's
        reply, ``future.result()``) sees the state it led to. Returns the next interval.
        """
        done = self._take_actions()
        try:
            return self.poll()
        finally:
            for future, name, error in done:
                if error is None:
                    future.set_result(name)
                else:
                    future.set_exception(error)

    def _run_actions(self) -> None:
        """Run the queued actions and settle them at once (for driving a poller by hand)."""
        for future, name, error in self._take_actions():
            if error is None:
                future.set_result(name)
            else:
                future.set_exception(error)

    def _take_actions(self) -> list[tuple[Future, str, BaseException | None]]:
        """Run the queued actions; returns their outcomes, for settling once the state is polled."""
        done: list[tuple[Future, str, BaseException | None]] = []
        while True:
            with self._lock:
                if not self._actions:
                    return done
                name, args, future = self._actions.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if name != "refresh":
                    getattr(self.source, name)(*args)
                    self._action_until = self._clock() + self.policy.after_action_s
                    watch = getattr(self.source, "watch", None)
                    if isinstance(watch, TableWatch) and args:
                        watch.touch(str(args[0]), self._clock())  # the row acted on is read as a moving one
            except Exception as exc:  # noqa: BLE001 - any source error is shown, never raised here
                # a refusal changes nothing: no fast polling after it (_action_until is left as it was)
                done.append((future, name, _SafeError(explain(exc, self.source.secrets), refusal=action_refusal(exc))))
            else:
                done.append((future, name, None))

    def poll(self) -> float | None:
        """Fetch once, publish the snapshot, and return the next interval."""
        now_wall = self._begin()
        try:
            state = self.source.fetch()
        except Exception as exc:  # noqa: BLE001 - any source error becomes widget state
            return self._absorb(now_wall, error=exc)
        return self._absorb(now_wall, state=state)

    def _begin(self) -> float:
        """A round starts for this poller (its own request or its project's list); returns wall time."""
        now_wall = self._wall()
        self._last_poll = self._clock()
        self._in_flight_since = self._last_poll
        _watchdog.watch(self)
        return now_wall

    def _absorb(self, now_wall: float, state: Any = None, error: BaseException | None = None) -> float | None:
        """Publish what a round brought (a state, or the error of its request); returns the next interval."""
        previous = self.snapshot
        if error is not None:
            exc = error
            failures = previous.failures + 1
            kind = error_kind(exc)
            # a lasting error waits the longest at once (still jittered); a refresh still polls now
            interval = self.policy.backoff(64 if kind in LASTING_ERRORS else failures, self._rand())
            wait = retry_after(exc)
            if wait is not None:
                interval = min(self.policy.backoff_max_s, max(interval, wait))
            log.debug("poll of %s failed (%d in a row)", self.source.label, failures)
            snapshot = replace(
                previous,
                error=explain(exc, self.source.secrets),
                error_kind=kind,
                mode="backoff",
                interval_s=interval,
                failures=failures,
            )
        else:
            changed = previous.state != state
            if isinstance(state, DeploymentState):
                self.timeline.record(state, round(now_wall * 1000))
            snapshot = Snapshot(
                state=state,
                changed_at=now_wall if changed or previous.changed_at is None else previous.changed_at,
                last_ok_at=now_wall,
                failures=0,
                sharing=self.sharing,
            )
            interval, mode = self._interval(state)
            snapshot = replace(snapshot, mode=mode, interval_s=interval)
        with self._publishing:
            self._in_flight_since = None
            self._publish(replace(snapshot, poll=self.polls + 1))
            self.polls += 1  # counted once delivered: whoever reads it sees the round's result
        return snapshot.interval_s

    def check_stall(self) -> bool:
        """Called by the watchdog: show a poll that hangs (a source with no timeout) as a fault.

        Returns True when it reported one. The poll itself goes on; its answer,
        whenever it comes, replaces this message.
        """
        since = self._in_flight_since
        if since is None or self._clock() - since < self.policy.stall_s or self.snapshot.mode == "waiting":
            return False
        with self._publishing:
            if self._in_flight_since != since:  # the answer came meanwhile
                return False
            waited = self._clock() - since
            self._publish(
                replace(
                    self.snapshot,
                    error=f"The server has not answered for {waited:.0f} s; still waiting for it.",
                    error_kind="timeout",
                    mode="waiting",
                    interval_s=None,
                )
            )
        return True

    def _interval(self, state: Any) -> tuple[float | None, str]:
        p = self.policy
        busy = getattr(state, "transitional", False)
        if busy or self._waiters or self._clock() < self._action_until:
            return p.fast_s, "fast"
        if self._visible:
            return p.stable_s, "stable"
        if p.hidden_s is None:
            return None, "paused"
        return p.hidden_s, "hidden"

    def _publish(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        with self._lock:
            callbacks = list(self._subscribers.values())
        for callback in callbacks:
            self._call(callback, snapshot)

    @staticmethod
    def _call(callback: Callable[[Snapshot], None], snapshot: Snapshot) -> None:
        try:
            callback(snapshot)
        except Exception:
            log.exception("hops-widgets subscriber failed")


class _Watch:
    def __init__(self, poller: Poller) -> None:
        self.poller = poller

    def __enter__(self) -> Poller:
        with self.poller._lock:
            self.poller._waiters += 1
        self.poller.refresh()
        return self.poller

    def __exit__(self, *exc: object) -> None:
        with self.poller._lock:
            self.poller._waiters -= 1


class _SafeError(RuntimeError):
    """An action error whose message was already made safe by :func:`explain`.

    ``refusal`` says why the cluster refused it, if it did (see :func:`errors.action_refusal`).
    """

    def __init__(self, message: str, *, refusal: str = "") -> None:
        super().__init__(message)
        self.refusal = refusal


class _Watchdog:
    """One daemon thread for every poller: notices polls that hang (the SDK sets no timeouts).

    It runs only while some poller has a poll in flight and ends by itself.
    """

    period_s = 1.0

    def __init__(self) -> None:
        self._pollers: weakref.WeakSet[Poller] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, poller: Poller) -> None:
        with self._lock:
            self._pollers.add(poller)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hops-widgets-watchdog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.period_s)
            with self._lock:
                pollers = [p for p in self._pollers if not p.stopped]
                busy = [p for p in pollers if p._in_flight_since is not None]
                if not pollers:
                    self._thread = None
                    return
            for poller in busy:
                try:
                    poller.check_stall()
                except Exception:
                    log.exception("hops-widgets watchdog")


_watchdog = _Watchdog()


# ---------------------------------------------------------------- what an overview needs read
class TableWatch:
    """What an overview needs read, and when: its rows on screen, the rows that move, the whole list.

    The backend prices a read in deployment *states* (each computed from Kubernetes): a single
    GET costs one, the list costs one for every deployment of the project. So an overview reads
    the rows in view (and the rows acted on) at the widget's usual cadence, rows that move off
    screen at the stable cadence, and the whole list (new and deleted deployments, the status
    counts, the rows off screen) every :meth:`list_every`: at once on Refresh, and when a search
    or filter needs rows that the list held is too old for. All times are the loop's clock.
    """

    ACTED_S = 30.0  # a row acted on is read like a moving one this long (the policy's after_action_s)
    FILTER_FRESH_S = 10.0  # a search or filter over a list older than this reads the list again

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_view: frozenset[str] | None = None  # None: the view has not said (every row counts)
        self.read_at: dict[str, float] = {}  # name -> when its state was last read
        self.touched: dict[str, float] = {}  # name -> when an action was asked on it
        self.listed_at: float | None = None
        self.size: int | None = None  # N, from the last list
        self.list_asked = False
        self.query = ""
        self.fresh: set[str] = set()  # rows that came into view stale: read in the next round

    # ------------------------------------------------------------ what the view says
    def set_in_view(self, names: Any, now: float, fast_s: float, query: str = "") -> bool:
        """The view's rows on screen (and its search/filter); True if a round should run now:
        a row came into view whose state is older than one fast round, or a new filter needs
        a fresher list."""
        shown = frozenset(str(n) for n in names)
        with self._lock:
            came = shown - (self.in_view or frozenset())
            self.in_view = shown
            stale = {n for n in came if now - self.read_at.get(n, float("-inf")) >= fast_s}
            self.fresh = (self.fresh & shown) | stale
            if query != self.query:
                self.query = query
                if query and (self.listed_at is None or now - self.listed_at >= self.FILTER_FRESH_S):
                    self.list_asked = True
                    return True
        return bool(stale)

    def ask_list(self) -> None:
        """Read the whole list in the next round (Refresh)."""
        self.list_asked = True

    def touch(self, name: str, now: float) -> None:
        with self._lock:
            self.touched[name] = now

    # ------------------------------------------------------------ the schedule
    def list_every(self, policy: Policy) -> float:
        """The whole list's cadence: max(list_min_s, N × list_per_row_s)."""
        return max(policy.list_min_s, (self.size or 0) * policy.list_per_row_s)

    def list_interval(self, policy: Policy, visible: bool) -> float | None:
        if visible:
            return self.list_every(policy)
        if policy.hidden_s is None:
            return None
        # off screen nothing is read row by row: the list at the hidden cadence, slower only for a
        # project so big that N × list_per_row_s is longer (the floor list_min_s is for a visible
        # view, whose rows in view are read in between)
        return max(policy.hidden_s, (self.size or 0) * policy.list_per_row_s)

    def list_due_at(self, policy: Policy, visible: bool) -> float | None:
        if self.list_asked or self.listed_at is None:
            return float("-inf")
        every = self.list_interval(policy, visible)
        return None if every is None else self.listed_at + every

    def plan(
        self, now: float, policy: Policy, *, visible: bool, interval: float | None, states: Any = ()
    ) -> tuple[list[str], bool]:
        """``(names to read one by one, whether the whole list is due)`` for a round at ``now``.

        ``interval`` is the overview's own cadence now (fast while anything moves, stable while
        visible); ``states`` the rows it holds. Rows in view are due when their last read is an
        interval old; moving (or acted-on) rows off screen when it is ``stable_s`` old.
        """
        due_at = self.list_due_at(policy, visible)
        if due_at is not None and now >= due_at - 1e-9:
            return [], True
        names: dict[str, None] = {}
        with self._lock:
            in_view = self.in_view
            if visible and in_view is None:
                return [s.name for s in states], False  # no report yet: every row counts as in view
            for name, at in list(self.touched.items()):
                if now - at > max(self.ACTED_S, policy.after_action_s):
                    del self.touched[name]

            def stale(name: str, every: float | None) -> bool:
                return every is not None and now - self.read_at.get(name, float("-inf")) >= every * 0.9

            if visible and in_view:
                for s in states:
                    if s.name in in_view and (s.name in self.fresh or stale(s.name, interval)):
                        names[s.name] = None
            for s in states:
                if s.name in names:
                    continue
                moving = s.transitional or s.name in self.touched
                if not moving:
                    continue
                shown = visible and in_view is not None and s.name in in_view
                if stale(s.name, policy.fast_s if (shown or s.name in self.touched) else policy.stable_s):
                    names[s.name] = None
        return list(names), False

    # ------------------------------------------------------------ what was read
    def listed(self, names: Any, now: float) -> None:
        with self._lock:
            names = list(names)
            self.read_at = dict.fromkeys(names, now)
            self.size = len(names)
            self.listed_at = now
            self.list_asked = False
            self.fresh.clear()

    def read(self, names: Any, now: float) -> None:
        with self._lock:
            for name in names:
                self.read_at[name] = now
                self.fresh.discard(name)

    def forget(self, name: str) -> None:
        with self._lock:
            self.read_at.pop(name, None)


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
        if any(self._is_due(m, now) for m in members):
            self.run_round(members)
        else:
            for m in members:
                self._plan(m, m._replan())

    @staticmethod
    def _is_due(m: Poller, now: float) -> bool:
        return m._refresh or bool(m._actions) or m._last_poll is None or (m._due is not None and now >= m._due)

    @staticmethod
    def _plan(m: Poller, interval: float | None) -> None:
        m._due = None if interval is None or m._last_poll is None else m._last_poll + interval
        watch = _watch_of(m)
        if watch is not None and m._last_poll is not None and m.snapshot.mode != "backoff":
            at = watch.list_due_at(m.policy, bool(m._visible))  # the overview's slow list, if sooner
            if at is not None and (m._due is None or at < m._due):
                m._due = max(at, m._last_poll)

    def next_due(self) -> float | None:
        dues = [m._due for m in self.members if m._due is not None]
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
        due = [m for m in members if self._is_due(m, now)]
        if not due:
            return
        for m in due:
            m._refresh = False
        done = [(m, m._take_actions()) for m in due]
        try:
            self._fetch(members, due, now)
        finally:
            for _m, outcomes in done:
                for future, name, error in outcomes:
                    if error is None:
                        future.set_result(name)
                    else:
                        future.set_exception(error)
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
            interval, _mode = m._interval(listing)
            names, whole = watch.plan(now, m.policy, visible=bool(m._visible), interval=interval, states=listing.states)
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
                    m._last_poll = now
                    self._plan(m, m._interval(m.snapshot.state)[0])

    def _by_list(self, members: list[Poller], overviews: list[Poller], details: list[Poller]) -> None:
        """One list request; every member gets its part, due or not (it is free for the others)."""
        walls = {id(m): m._begin() for m in members}
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
                self._plan(m, m._absorb(walls[id(m)], error=exc))
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
            self._plan(m, m._absorb(walls[id(m)], state=mine))
        for m in details:
            d = getattr(m.source, "deployment", None)
            ident, name = getattr(d, "id", None), getattr(d, "name", None)
            state = by_id.get(ident) if isinstance(ident, int) and by_id else None
            if state is None:
                state = by_name.get(name)
            if state is None:
                gone = DeploymentNotFound(f"Deployment {name!r} is no longer in its project's list: it was deleted.")
                self._plan(m, m._absorb(walls[id(m)], error=gone))
            else:
                self._plan(m, m._absorb(walls[id(m)], state=state))

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
            walls = m._begin()
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
                self._plan(m, m._absorb(walls, error=failed[id(m)]))
            else:
                self._plan(m, m._absorb(walls, state=m.source.took_states(read, gone, self._clock())))
        for m in overviews:  # an overview not due still shows what its detail members read
            if id(m) in planned or not read:
                continue
            mine = {n: s for n, s in read.items() if n in {s.name for s in getattr(m.snapshot.state, "states", ())}}
            if mine:
                m._absorb(m._wall(), state=m.source.took_states(mine, set(), self._clock()))
        for m in members:  # a detail not due whose deployment an overview read: it is fresh too
            if m in due_details or _lists(m.source):
                continue
            state = read.get(_name_of(m))
            if state is not None:
                wall = m._begin()
                self._plan(m, m._absorb(wall, state=state))


def _watch_of(m: Poller) -> TableWatch | None:
    watch = getattr(m.source, "watch", None)
    return watch if isinstance(watch, TableWatch) else None


def _name_of(m: Poller) -> str:
    return str(getattr(getattr(m.source, "deployment", None), "name", None) or "")


def _lists(source: Any) -> bool:
    """The source is an overview's (it lists every deployment of a project)."""
    return bool(getattr(source, "lists_deployments", False)) or hasattr(source, "serving")


def _sdk_lister(get_all: Callable[[], Any]) -> Callable[[], list[DeploymentState]]:
    from . import _sdk

    def list_states() -> list[DeploymentState]:
        deployments = get_all() or []
        return [DeploymentState.from_sdk(d, state=_sdk.embedded_state(d)) for d in deployments]

    return list_states


def _serving_lister(serving: Any) -> Callable[[], list[DeploymentState]]:
    list_states = getattr(serving, "list_states", None)
    if callable(list_states):
        return lambda: list(list_states())
    return _sdk_lister(serving.get_deployments)


def project_of(source: Any) -> tuple[Hashable, Callable[[], Any], str] | str:
    """``(key, lister, label)`` of the project a source belongs to, or why none was found.

    Built-in client: a deployment's ``_serving`` (its ``ModelServing``, ``list_states()``).
    hopsworks SDK (hsml 3.7 to 5.x): a deployment's ``_serving_api`` lists the project the
    SDK is logged into (``_get_all()`` on 5.x, ``get_all()`` before), and ``model_registry_id``
    is that project's id; the SDK's ``ModelServing`` has ``_project_id``.
    """
    serving = getattr(source, "serving", None)
    if serving is not None:
        key = getattr(serving, "_hops_widgets_key", None)
        if key is not None:
            return ("project", key), _serving_lister(serving), str(getattr(serving, "project_name", "") or "project")
        pid = getattr(serving, "_project_id", None)
        if type(serving).__module__.startswith("hsml") and isinstance(pid, int):
            return ("project", "sdk", pid), _serving_lister(serving), str(getattr(serving, "project_name", "") or pid)
        return f"own loop: no project key on {type(serving).__name__}"
    d = getattr(source, "deployment", None)
    if d is None:
        return f"own loop: {type(source).__name__} is not a deployment"
    serving = getattr(d, "_serving", None)
    key = getattr(serving, "_hops_widgets_key", None)
    if key is not None and callable(getattr(serving, "list_states", None)):
        return ("project", key), serving.list_states, str(getattr(serving, "project_name", "") or "project")
    api = getattr(d, "_serving_api", None)
    get_all = getattr(api, "_get_all", None) or getattr(api, "get_all", None)
    pid = getattr(d, "model_registry_id", None)
    if pid is None:
        pid = getattr(d, "_model_registry_id", None)
    if callable(get_all) and isinstance(pid, int) and type(d).__module__.startswith("hsml"):
        return ("project", "sdk", pid), _sdk_lister(get_all), str(getattr(d, "project_name", None) or pid)
    return f"own loop: no project list reachable from {type(d).__module__}.{type(d).__name__}"


_loops: dict[Hashable, ProjectLoop] = {}
_loops_lock = threading.Lock()


def _project_loop_for(
    source: Any, *, clock: Callable[[], float], wake: threading.Event | None
) -> tuple[ProjectLoop | None, str]:
    try:
        found = project_of(source)
    except Exception as exc:  # noqa: BLE001 - an odd object polls alone
        found = f"own loop: {type(exc).__name__} while looking for its project"
    if isinstance(found, str):
        log.debug("%s polls alone (%s)", getattr(source, "label", source), found)
        return None, found
    key, lister, label = found
    with _loops_lock:
        loop = _loops.get(key)
        if loop is None or loop.stopped:
            loop = _loops[key] = ProjectLoop(key, lister, label, clock=clock, wake=wake)
    return loop, f"project loop {label}"


def project_loops() -> list[ProjectLoop]:
    with _loops_lock:
        return [loop for loop in _loops.values() if not loop.stopped]


# ---------------------------------------------------------------- registry
_registry: dict[Hashable, Poller] = {}
_registry_lock = threading.Lock()


def acquire(source: Any, factory: Callable[[], Poller] | None = None) -> Poller:
    """The running poller for ``source.key``, created if there is none (by ``factory``, which
    decides whether it joins its project's loop: ``Poller(source, join=True)``, the default)."""
    with _registry_lock:
        poller = _registry.get(source.key)
        if poller is None or poller.stopped:
            poller = factory() if factory else Poller(source, join=True)
            _registry[source.key] = poller
        return poller


def release(poller: Poller, token: int) -> None:
    """Drop one subscriber; the last one out stops the thread."""
    with _registry_lock:
        if poller.unsubscribe(token) > 0:
            return
        if _registry.get(poller.source.key) is poller:
            del _registry[poller.source.key]
    # A short join: normally the thread is asleep and ends at once; if a poll
    # hangs on a slow server, close() must not hang with it (the daemon thread
    # ends when that request times out).
    poller.stop(timeout=0.5)


def active_pollers() -> list[Poller]:
    with _registry_lock:
        return [p for p in _registry.values() if not p.stopped]


def _on_action(deployment: Any, action: str) -> None:
    """An action asked in code: every poller showing that deployment, and every overview, polls fast."""
    key = DeploymentSource(deployment).key
    name = str(getattr(deployment, "name", "") or "")
    for poller in active_pollers():
        if poller.source.key == key:
            poller.expect_change()
        elif getattr(poller.source, "lists_deployments", False):
            watch = getattr(poller.source, "watch", None)
            if isinstance(watch, TableWatch) and name:
                watch.touch(name, poller._clock())  # its row is read as a moving one from now
            poller.expect_change()


_actions.listen(_on_action)
