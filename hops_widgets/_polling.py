"""One deployment's poller: :class:`DeploymentSource` adapts any SDK-shaped deployment, and
:class:`Poller` keeps its schedule (after :class:`~hops_widgets._policy.Policy`), its actions and
its subscribers, on a thread of its own or as a member of its project's loop
(:mod:`hops_widgets._projectloop`). It knows nothing about widgets: subscribers get an
immutable :class:`~hops_widgets._policy.Snapshot` after every poll.

Both runners drive a poller through the same small interface, so a round means the same
in either: :meth:`Poller.is_due`, :meth:`Poller.begin_round` (the queued actions, run) and
:func:`settle` (their futures, once the state they led to is read), :meth:`Poller.start_read`
and :meth:`Poller.absorb` around a read, :meth:`Poller.plan` for the next one.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from . import _sdk
from ._policy import LASTING_ERRORS, Policy, Snapshot
from ._tablewatch import TableWatch
from ._watchdog import watchdog
from .errors import action_refusal, error_kind, explain, retry_after
from .state import DeploymentState
from .timeline import Timeline

log = logging.getLogger(__name__)

Outcome = tuple[Future, str, "BaseException | None"]  # an action's future, its name, its error if any


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
        return tuple(getattr(self.deployment, "_hops_widgets_secrets", ()) or ()) + _sdk.sdk_secrets()

    @property
    def label(self) -> str:
        return str(getattr(self.deployment, "name", None) or "deployment")

    def fetch(self) -> DeploymentState:
        return DeploymentState.from_sdk(self.deployment)

    def start(self) -> None:
        _sdk.start(self.deployment)

    def stop(self) -> None:
        _sdk.stop(self.deployment)

    def logs(self, component: str, tail: int, since: str | None = None) -> list[dict]:
        """Log lines as ``{"instance", "content", "timestamp", "id"}`` dicts, printing nothing (see ``_sdk.logs``)."""
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
        loop: Any = None,
        sharing: str = "",
    ) -> None:
        """``loop``: poll in this :class:`~hops_widgets._projectloop.ProjectLoop`; none: on a thread
        of its own (``hops_widgets._registry.joined`` finds the loop of the source's project).
        ``sharing`` says how it polls, for support (by default "own loop" or "project loop")."""
        self.source = source
        self.policy = policy or Policy()
        self.sharing = sharing or ("own loop" if loop is None else "project loop")
        self._loop = loop
        if loop is not None:
            wake = loop.wake  # every command to this poller wakes the project's loop
            clock = loop.clock
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

    @property
    def visible(self) -> bool:
        """A view of it is on screen."""
        return bool(self._visible)

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock its schedule runs on (its project loop's, when it has one)."""
        return self._clock

    @property
    def wall(self) -> Callable[[], float]:
        """The time of day its rounds are stamped with."""
        return self._wall

    @property
    def in_flight_since(self) -> float | None:
        """When the read under way started (``clock`` time); None between reads."""
        return self._in_flight_since

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

    def run_watched(self, call: Callable[[], Any], what: str) -> Future:
        """Run a blocking ``call`` (a restart, a rollback) on a thread of its own while this poller
        polls fast, so every status it passes through is seen; ``what`` names the thread.

        The future settles once ``call`` returns: None, or its error made safe (a :class:`SafeError`
        it raised stays as it is). A success makes the poller poll fast a while, as after its own
        actions; a refusal changes nothing, so it does not.
        """
        future: Future = Future()

        def work() -> None:
            error: BaseException | None = None
            with self.watch():
                try:
                    call()
                except SafeError as exc:
                    error = exc
                except Exception as exc:  # noqa: BLE001 - shown as the action's error
                    error = SafeError(explain(exc, self.source.secrets), refusal=action_refusal(exc))
            if error is None:
                self.expect_change()
                future.set_result(None)
            else:
                future.set_exception(error)

        threading.Thread(target=work, name=f"hops-widgets-{what}", daemon=True).start()
        return future

    # ------------------------------------------------------------ being driven (own thread or project loop)
    @property
    def last_poll(self) -> float | None:
        """When its last round read (``clock`` time); None before the first."""
        return self._last_poll

    @property
    def due_at(self) -> float | None:
        """When its next round is owed (``clock`` time), as last planned; None: only when asked."""
        return self._due

    def is_due(self, now: float) -> bool:
        """A round is owed now: a refresh or an action was asked, it never read, or its time came."""
        if self._refresh or self._actions or self._last_poll is None:
            return True
        return self._due is not None and now >= self._due

    def plan(self, interval: float | None, *, sooner: float | None = None) -> None:
        """The next round ``interval`` after the last one (none: only when asked), or at ``sooner``
        if that comes first (never before the last round)."""
        last = self._last_poll
        due = None if interval is None or last is None else last + interval
        if sooner is not None and last is not None and (due is None or sooner < due):
            due = max(sooner, last)
        self._due = due

    def begin_round(self) -> list[Outcome]:
        """A round starts: the refresh asked is served, the queued actions run. Returns their
        outcomes, for :func:`settle` once the state they led to is read."""
        self._refresh = False
        return self._take_actions()

    def skip_read(self, now: float) -> None:
        """A round with nothing to read for it: its next one counts from ``now``."""
        self._last_poll = now

    def _run(self) -> None:
        """Its own thread: a round when one is due, else re-plan (woken early: visibility, policy)."""
        self._due = self._clock()
        while not self._stopping:
            self._wake.clear()
            if self.is_due(self._clock()):
                try:
                    interval = self.tick()
                except BaseException:  # pragma: no cover - poll() already contains source errors
                    log.exception("hops-widgets poller error")
                    interval = self.policy.backoff_max_s
            else:
                interval = self.replan()
            if self._stopping:
                break
            self.plan(interval)
            due = self._due
            self._wake.wait(None if due is None else max(0.0, due - self._clock()))

    def replan(self) -> float | None:
        """The interval from its last round, for a schedule that changed (visibility, policy); publishes a new mode."""
        snapshot = self.snapshot
        if snapshot.mode == "backoff" or snapshot.state is None:
            return snapshot.interval_s
        interval, mode = self.interval_for(snapshot.state)
        if mode != snapshot.mode:
            self._publish(replace(snapshot, mode=mode, interval_s=interval))
        return interval

    def tick(self) -> float | None:
        """One round: run the queued actions, poll, then settle the actions' futures.

        Settling after the poll means whoever waits on an action (a button's
        reply, ``future.result()``) sees the state it led to. Returns the next interval.
        """
        done = self.begin_round()
        try:
            return self.poll()
        finally:
            settle(done)

    def _run_actions(self) -> None:
        """Run the queued actions and settle them at once (for driving a poller by hand)."""
        settle(self._take_actions())

    def _take_actions(self) -> list[Outcome]:
        """Run the queued actions; returns their outcomes, for settling once the state is polled."""
        done: list[Outcome] = []
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
                done.append((future, name, SafeError(explain(exc, self.source.secrets), refusal=action_refusal(exc))))
            else:
                done.append((future, name, None))

    def poll(self) -> float | None:
        """Fetch once, publish the snapshot, and return the next interval."""
        now_wall = self.start_read()
        try:
            state = self.source.fetch()
        except Exception as exc:  # noqa: BLE001 - any source error becomes widget state
            return self.absorb(now_wall, error=exc)
        return self.absorb(now_wall, state=state)

    def start_read(self) -> float:
        """A round starts for this poller (its own request or its project's list); returns wall time."""
        now_wall = self._wall()
        self._last_poll = self._clock()
        self._in_flight_since = self._last_poll
        watchdog.watch(self)
        return now_wall

    def absorb(self, now_wall: float, state: Any = None, error: BaseException | None = None) -> float | None:
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
            interval, mode = self.interval_for(state)
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

    def interval_for(self, state: Any) -> tuple[float | None, str]:
        """How soon to read again after ``state``, and the mode that says why."""
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


def settle(outcomes: list[Outcome]) -> None:
    """Resolve the actions' futures (after the round read the state they led to)."""
    for future, name, error in outcomes:
        if error is None:
            future.set_result(name)
        else:
            future.set_exception(error)


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


class SafeError(RuntimeError):
    """An action error whose message was already made safe by :func:`explain`.

    ``refusal`` says why the cluster refused it, if it did (see :func:`errors.action_refusal`).
    """

    def __init__(self, message: str, *, refusal: str = "") -> None:
        super().__init__(message)
        self.refusal = refusal
