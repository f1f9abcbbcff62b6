"""What an overview needs read: the rows in view, the ones moving, and when the list is due."""

from __future__ import annotations

import threading
from typing import Any

from ._policy import Policy


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
