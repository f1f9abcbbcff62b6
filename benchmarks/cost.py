"""Request cost: requests per minute per deployment, by situation, against a fixed 1 s poller.

Minutes of polling are simulated, not slept: one :class:`ManualClock` drives
both the sandbox's state machine and the real :class:`Poller` threads (their
``clock`` and ``wake`` are injected). A driver moves the clock on in steps of
1/16 s and wakes every poller thread, then waits until each has handled the
step and is parked again, so every poll happens at the simulated moment the
policy asks for. The requests themselves are real HTTP requests to the real
sandbox and are counted in its request log.

Three situations run side by side in one simulated window, each with a
:class:`DeploymentWidget` on the default :class:`Policy` and a fixed 1 s poller
(the same Poller class with every interval at 1 s) on a twin deployment in the
same state: a start that lasts the whole window, a Running deployment with a
visible view, and a Running deployment with no visible view.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ._common import Section, log, visible

STEP_S = 1 / 16  # exact in binary, so 16 steps make exactly one second


class SteppedWake(threading.Event):
    """A poller's wake event that tells the driver when the thread has handled a step and parked."""

    def __init__(self) -> None:
        super().__init__()
        self._cv = threading.Condition()
        self._gen = 0  # steps handed out
        self._consumed = -1  # the step the loop last started an iteration for
        self._parked = -1  # the step the loop last parked after

    def clear(self) -> None:  # the poller loop calls this first in every iteration
        with self._cv:
            self._consumed = self._gen
        super().clear()

    def wait(self, timeout: float | None = None) -> bool:
        with self._cv:
            if self._consumed == self._gen:
                self._parked = self._gen
                self._cv.notify_all()
        return super().wait(timeout)

    def step(self, timeout: float = 30.0) -> None:
        """Hand out one step (the clock was already moved) and wait until the loop has handled it."""
        with self._cv:
            self._gen += 1
            gen = self._gen
        self.set()
        with self._cv:
            if not self._cv.wait_for(lambda: self._parked >= gen, timeout):
                raise RuntimeError("a poller thread did not park in time")


def _rate(count: int, minutes: float) -> float:
    return count / minutes


def run(quick: bool = False) -> Section:
    from hops_widgets import sandbox
    from hops_widgets.poller import DeploymentSource, Policy, Poller
    from hops_widgets.widget import DeploymentWidget

    window_s = 240.0 if quick else 600.0
    sec = Section(
        "cost",
        "Request cost: requests per minute per deployment",
        baseline="a fixed 1 s poller (the same Poller with every interval at 1 s) on a twin deployment",
    )
    clock = sandbox.ManualClock()
    sb = sandbox.start(seed=False, clock=clock)
    widgets: list[Any] = []
    pollers: list[Any] = []
    wakes: list[SteppedWake] = []
    fixed = Policy(fast_s=1, stable_s=1, hidden_s=1, after_action_s=0)
    situations = {
        "transitioning": "Stopped",
        "stable_visible": "Running",
        "stable_hidden": "Running",
    }
    try:
        # a start that outlasts the window: seven half-steps of step_s/2 each
        sb.set_timing(step_s=2 * (window_s + 60) / 7)
        project = sb.login()
        serving = project.get_model_serving()
        for key, status in situations.items():
            for who in ("widget", "fixed"):
                name = f"{key.replace('_', '-')}-{who}"
                sb.add_deployment(name, status=status)
                if key == "transitioning":
                    sb.start_deployment(name)
                d = serving.get_deployment(name)
                wake = SteppedWake()
                policy = Policy() if who == "widget" else fixed
                poller = Poller(DeploymentSource(d), policy=policy, clock=clock, wake=wake, autostart=False)
                w = DeploymentWidget(d, poller=poller)
                if key == "stable_visible":
                    visible(w)
                poller.start()
                widgets.append(w)
                pollers.append(poller)
                wakes.append(wake)
        for wake in wakes:  # the first poll of each (at t = 0)
            wake.step()
        sb.clear_log()
        log(f"cost: simulating {window_s / 60:g} min of polling")
        t0 = time.monotonic()
        steps = round(window_s / STEP_S)
        for _ in range(steps):
            clock.advance(STEP_S)
            for wake in wakes:
                wake.step()
        real_s = time.monotonic() - t0
        counts = {}
        for key in situations:
            for who in ("widget", "fixed"):
                name = f"{key.replace('_', '-')}-{who}"
                counts[f"{key}/{who}"] = len(sb.requests(endpoint="serving_get", deployment=name))
        watched = dict(zip(situations, pollers[::2], strict=True))  # the widgets' pollers
        modes = {f"{k}/{p.snapshot.mode}": p.snapshot.interval_s for k, p in watched.items()}
        statuses = {k: p.snapshot.state.status for k, p in watched.items()}
    finally:
        for w in widgets:
            w.close()
        sb.stop()

    minutes = window_s / 60
    rates = {k: _rate(v, minutes) for k, v in counts.items()}
    sec.data = {
        "simulated_window_s": window_s,
        "real_seconds": round(real_s, 1),
        "requests": counts,
        "per_min": rates,
        "widget_modes_at_end": modes,
        "widget_statuses_at_end": statuses,
    }
    goals = {"stable_visible": 12, "stable_hidden": 2}
    labels = {
        "transitioning": "while transitioning (start in progress)",
        "stable_visible": "stable, a view visible",
        "stable_hidden": "stable, no view visible",
    }
    for key in situations:
        value, base = rates[f"{key}/widget"], rates[f"{key}/fixed"]
        goal = goals.get(key)
        sec.add(
            labels[key],
            value,
            "/min",
            base,
            goal=f"≤ {goal}/min" if goal else "",
            met=(value <= goal) if goal else None,
        )
    sec.how = [
        f"{window_s / 60:g} simulated minutes: a ManualClock shared by the sandbox and the Poller threads "
        f"(injected clock and wake), moved in {STEP_S} s steps; the driver waits for every thread to park after "
        f"each step; took {real_s:.1f} s of real time",
        "real Poller loops with the default Policy(), real HTTP requests to the sandbox, counted in its request log "
        "(GET serving/<id>) after the first poll",
        "visible = a visibility comm message from a view; hidden = no view ever reported visible",
        "the kernel section cross-checks the stable rates in real time (100 widgets over a real window)",
    ]
    return sec
