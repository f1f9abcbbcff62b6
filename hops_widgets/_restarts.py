"""Instances that keep restarting while the status reads Running, noticed with few, spaced log reads.

KServe reports a deployment Running as long as its pods exist, also while a container crashes and
is restarted again and again (kserve/kserve#1859). Hopsworks 5.2 sends each pod's restart count
with its log lines, so a :class:`RestartWatch` reads the logs endpoint (one line per pod, each
component) on a small schedule and tells its owner what it found:

- once when a view first shows the deployment Running (or it becomes Running), then
  :data:`CHECKS_AFTER_S` after that (30 s, 90 s and 5 min), then every :data:`SLOW_CHECK_S`
  (10 min: a loop can begin long after the start); one read per component each time;
- every :data:`RECHECK_S` (1 min) while a count rose in the last :data:`RECENT_S` (the warning
  shows, or may be about to);
- only while a view is on screen (a check that fell due while hidden is made once on return);
- none at all where the version sends no counts (SDKs before 5.2, backends before 5.2: the first
  read says so and the watch stops), and none while the status is not Running;
- the Logs section's own reads, when open, bring counts too (:meth:`RestartWatch.observe_lines`),
  and stand in for a check due then.

An instance *keeps restarting* when its count rose by at least :data:`LOOP_RESTARTS` within
:data:`RECENT_S`, as seen between reads: a count that was already high when first read is shown
beside the instance but is no warning, since nothing tells when those restarts happened.
``benchmarks/restarts.py`` measures the reads (18 an hour for a steady deployment on screen).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import _sdk
from ._text import sendable, visible
from ._threads import running

__all__ = ["CHECKS_AFTER_S", "LOOP_RESTARTS", "RECENT_S", "RECHECK_S", "SLOW_CHECK_S", "RestartWatch", "pods_reader"]

log = logging.getLogger(__name__)

CHECKS_AFTER_S = (0.0, 30.0, 90.0, 300.0)  # reads after the status became (or was first seen) Running
RECHECK_S = 60.0  # while a count rose recently
SLOW_CHECK_S = 600.0  # after the first checks, while Running and on screen: a loop that begins later
RECENT_S = 600.0  # how long a rise counts as recent
LOOP_RESTARTS = 2  # restarts within RECENT_S that make "keeps restarting"


def pods_reader(source: Any) -> Callable[[str], list[dict] | None] | None:
    """How to read ``source``'s pods and restart counts, or None where it cannot (then nothing is read)."""
    own = getattr(source, "log_pods", None)
    if callable(own):
        return own
    deployment = getattr(source, "deployment", None)
    if deployment is None or _sdk.logs_plan(deployment) not in ("rest5", "client"):
        return None
    return lambda component: _sdk.log_pods(deployment, component)


class RestartWatch:
    """Restart counts per instance and whether one keeps restarting; see the module's docstring."""

    def __init__(
        self,
        read: Callable[[str], list[dict] | None] | None,
        on_change: Callable[[dict[str, Any]], None],
        *,
        label: str = "deployment",
        autostart: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wake: threading.Event | None = None,
    ) -> None:
        self._read = read
        self._on_change = on_change
        self._label = label
        self._clock = clock
        self._wake = wake or threading.Event()
        self._autostart = autostart
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.supported = read is not None  # False once a read shows the version sends no counts
        self.components: tuple[str, ...] = ("predictor",)
        self.status = ""
        self.visible = False
        self._running_since: float | None = None
        self._last_read: float | None = None
        # (component, instance) -> {"restarts", "pod_uid", "rises": [(at, by)]}
        self._pods: dict[tuple[str, str], dict[str, Any]] = {}
        self._published: dict[str, Any] | None = None
        self.requests = 0  # reads made (tests, benchmarks/restarts.py)

    # ------------------------------------------------------------ control
    def set(
        self, *, status: str | None = None, visible: bool | None = None, components: Iterable[str] | None = None
    ) -> None:
        with self._lock:
            if components is not None:
                self.components = tuple(components) or ("predictor",)
            if visible is not None:
                self.visible = bool(visible)
            if status is not None and status != self.status:
                self.status = status
                if status == "RUNNING":
                    self._running_since = self._clock()
                else:  # no pod runs (or new ones come): what was counted is over
                    self._running_since = None
                    self._pods.clear()
        self._publish()
        if self._autostart and self.due_in() is not None:
            self._ensure_thread()
        self._wake.set()

    def close(self) -> None:
        self._stopping = True
        self._wake.set()

    # ------------------------------------------------------------ schedule
    def due_in(self, now: float | None = None) -> float | None:
        """Seconds until the next read (0: now), or None when none is planned."""
        with self._lock:
            if not self.supported or self._stopping or self._running_since is None or not self.visible:
                return None
            now = self._clock() if now is None else now
            last = self._last_read
            due = [self._running_since + o for o in CHECKS_AFTER_S if last is None or last < self._running_since + o]
            if self._recent_rise(now):
                due.append((last or now) + RECHECK_S)
            elif not due:
                due.append((last or now) + SLOW_CHECK_S)
            return max(0.0, min(due) - now) if due else None

    def _recent_rise(self, now: float) -> bool:
        return any(at >= now - RECENT_S for pod in self._pods.values() for at, _by in pod["rises"])

    def _ensure_thread(self) -> None:
        with self._lock:
            self._thread = running(self._thread, self._run, f"hops-widgets-restarts[{self._label}]")

    def _expires_in(self, now: float) -> float | None:
        """Seconds until the newest recent rise stops counting (the warning then goes), or None."""
        with self._lock:
            rises = [at for pod in self._pods.values() for at, _by in pod["rises"] if at >= now - RECENT_S]
        return max(rises) + RECENT_S - now if rises else None

    def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            self._publish()  # a rise that grew old clears the warning, read or not
            now = self._clock()
            wait = self.due_in(now)
            if wait is not None and wait <= 0:
                self.check()
                continue
            expires = self._expires_in(now)
            waits = [w for w in (wait, None if expires is None else expires + 0.5) if w is not None]
            if not waits:
                break
            self._wake.wait(min(waits))
        with self._lock:
            self._thread = None

    # ------------------------------------------------------------ data
    def check(self) -> None:
        """One read per component, now (the schedule calls it; tests may too)."""
        read = self._read
        if read is None:
            return
        with self._lock:
            self._last_read = self._clock()
        for component in self.components:
            self.requests += 1
            try:
                pods = read(component)
            except Exception as exc:  # noqa: BLE001 - a failed check is a check made; the poller shows errors
                log.debug("restart check of %s failed: %s", component, type(exc).__name__)
                continue
            if pods is None:
                self.supported = False
                break
            self.observe(component, pods)
            if not self.supported:
                break  # no counts from this version: the other component will not have them either
        self._publish()

    def observe(self, component: str, pods: Iterable[Mapping[str, Any]]) -> None:
        """Counts from any read (the watch's own, or the Logs section's lines via :meth:`observe_lines`)."""
        now = self._clock()
        counted = False
        seen = 0
        with self._lock:
            if self._running_since is None:
                return
            for pod in pods:
                seen += 1
                instance, restarts = pod.get("instance"), pod.get("restarts")
                if not isinstance(instance, str) or not isinstance(restarts, int) or isinstance(restarts, bool):
                    continue
                counted = True
                key = (component, instance)
                known = self._pods.get(key)
                uid = pod.get("pod_uid")
                if known is None or (uid and known["pod_uid"] and uid != known["pod_uid"]):
                    self._pods[key] = {"restarts": restarts, "pod_uid": uid, "rises": []}
                    continue
                if restarts > known["restarts"]:
                    known["rises"].append((now, restarts - known["restarts"]))
                    known["rises"] = known["rises"][-50:]
                known["restarts"] = restarts
            if seen and not counted:
                self.supported = False  # the backend sends no counts: nothing to watch
            if counted:
                self._last_read = max(self._last_read or now, now)

    def observe_lines(self, component: str, lines: Iterable[Mapping[str, Any]]) -> None:
        """The Logs section's lines carry each instance's count (5.2): take it, no read of its own."""
        latest: dict[str, int] = {}
        for line in lines:
            restarts = line.get("restarts")
            if isinstance(restarts, int) and line.get("instance"):
                latest[line["instance"]] = restarts
        if latest:
            self.observe(component, [{"instance": i, "restarts": n} for i, n in latest.items()])
            self._publish()

    def summary(self, now: float | None = None) -> dict[str, Any]:
        """``{"instances": [...], "looping": [...]}`` for the view; ``{}`` when nothing is known."""
        now = self._clock() if now is None else now
        with self._lock:
            rows = []
            for (component, instance), pod in self._pods.items():
                recent = sum(by for at, by in pod["rises"] if at >= now - RECENT_S)
                rows.append(
                    {
                        "component": component,
                        "instance": sendable(visible(instance)),  # as the Logs section names it
                        "restarts": pod["restarts"],
                        "recent": recent,
                        "looping": recent >= LOOP_RESTARTS,
                    }
                )
        if not rows:
            return {}
        rows.sort(key=lambda r: (r["component"], r["instance"]))
        return {"instances": rows, "looping": [r for r in rows if r["looping"]], "window_s": RECENT_S}

    def _publish(self) -> None:
        found = self.summary()
        with self._lock:  # told only when what is shown changes
            if found == self._published:
                return
            self._published = found
        try:
            self._on_change(found)
        except Exception:
            log.exception("hops-widgets: restart counts not delivered")
