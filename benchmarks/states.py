"""Backend cost in states: what the widgets make the real backend compute, beside requests.

The real backend computes a deployment's state from Kubernetes on every read: a single GET
costs one state, the list costs one for every deployment of the project (see
``hops_widgets.sandbox`` ``backend_cost``). This section runs the real :class:`ProjectLoop`
and :class:`Poller` objects on a simulated clock (driven by hand: ``ProjectLoop.step`` at each
moment a member is due, no sleeping), with real HTTP requests to a real sandbox, and counts
the states the sandbox says they cost. Side by side in the same run, two baselines:

- the SDK's own loop: ``while True: d.get_state(); sleep(5)`` for each watched deployment,
  12 GETs (12 states) a minute each, moving or not;
- the old merged loop (until this round): one list request per round at the cadence of the
  fastest member (1 s while anything moves, 5 s while stable and visible), N states each.

Baselines are computed from their rule with the same N and the same cadences (they are
deterministic); the new loop's figures are measured.
"""

from __future__ import annotations

import time
from typing import Any

from ._common import Section, log

MOVING = {"condition": {"type": "SCHEDULED", "status": None, "reason": "scheduling"}}
SDK_PER_MIN = 12  # the SDK loop: one GET every 5 s per deployment


def _drive(loop: Any, clock: Any, seconds: float) -> None:
    """Run the loop's rounds at the moments they are due, on the manual clock."""
    end = clock.now + seconds
    loop.step()
    while True:
        due = loop.next_due()
        if due is None or due > end + 1e-9:
            clock.now = end
            return
        clock.now = max(clock.now, due)
        loop.step()


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _loop(serving: Any, clock: _Clock) -> Any:
    import threading

    from hops_widgets.poller import ProjectLoop

    return ProjectLoop(
        ("bench", id(serving)), serving.list_states, "bench", clock=clock, wake=threading.Event(), autostart=False
    )


def _measure(sb: Any, loop: Any, clock: _Clock, window_s: float) -> dict[str, float]:
    loop.step()  # the first rounds (an overview's first list), then counting starts
    sb.reset_cost()
    lists0, gets0 = loop.list_requests, loop.get_requests
    _drive(loop, clock, window_s)
    minutes = window_s / 60
    cost = sb.backend_cost()
    return {
        "states_per_min": cost["total"] / minutes,
        "requests_per_min": (loop.list_requests - lists0 + loop.get_requests - gets0) / minutes,
        "lists_per_min": (loop.list_requests - lists0) / minutes,
        "by_endpoint": cost["by_endpoint"],
    }


def _details(sb: Any, serving: Any, names: list[str], window_s: float) -> dict[str, Any]:
    from hops_widgets.poller import DeploymentSource, Poller

    clock = _Clock()
    loop = _loop(serving, clock)
    pollers = []
    for name in names:
        p = Poller(DeploymentSource(serving.get_deployment(name)), loop=loop, autostart=False)
        p.start()
        p.subscribe(lambda s: None, visible=True)
        pollers.append(p)
    try:
        out = _measure(sb, loop, clock, window_s)
        out["reads_per_min"] = {
            n: len([r for r in sb.requests(endpoint="serving_get") if r.get("deployment") == n]) / (window_s / 60)
            for n in names
        }
        return out
    finally:
        for p in pollers:
            p.stop()


def _overview(sb: Any, serving: Any, shown: list[str], window_s: float) -> dict[str, Any]:
    from hops_widgets.overview import ServingSource
    from hops_widgets.poller import Poller

    clock = _Clock()
    loop = _loop(serving, clock)
    source = ServingSource(serving)
    p = Poller(source, loop=loop, autostart=False)
    p.start()
    p.subscribe(lambda s: None, visible=True)
    try:
        loop.step()  # the first list
        source.watch.set_in_view(shown, clock.now, p.policy.fast_s)  # what the view reports
        sb.clear_log()
        out = _measure(sb, loop, clock, window_s)
        gets = sb.requests(endpoint="serving_get")
        minutes = window_s / 60
        out["in_view_reads_per_min"] = (
            len([r for r in gets if r.get("deployment") in set(shown)]) / len(shown) / minutes
        )
        out["list_every_s"] = source.watch.list_every(p.policy)
        out["rows"] = len(p.snapshot.state.states)
        return out
    finally:
        p.stop()


def run(quick: bool = False) -> Section:
    from hops_widgets import sandbox

    window_s = 120.0 if quick else 300.0
    sec = Section(
        "states",
        "Backend cost: states computed per minute (and requests), against the SDK loop and the old merged loop",
        baseline="the SDK loop (get_state() every 5 s per deployment) or the old merged loop (a list per round)",
    )
    t0 = time.monotonic()
    sb = sandbox.start(seed=False)
    results: dict[str, Any] = {}
    try:
        serving = sb.login().get_model_serving()
        names = sb.add_deployments(500, prefix="dep", status="Running")
        log("states: two detail widgets in a project of 500, stable")
        results["two_stable"] = _details(sb, serving, names[:2], window_s)
        log("states: two detail widgets in a project of 500, one moving")
        sb.set_state(names[0], "Starting", **MOVING)
        results["two_moving"] = _details(sb, serving, names[:2], window_s)
        sb.set_state(names[0], "Running")
        names += sb.add_deployments(1500, prefix="dep", status="Running")
        n = len(names)
        shown = names[100:115]  # fifteen rows on screen, scrolled a little
        log(f"states: the overview at N = {n}, stable")
        results["overview_stable"] = _overview(sb, serving, shown, window_s)
        log(f"states: the overview at N = {n}, 5 % of rows moving")
        moving = names[::20]
        for name in moving:
            sb.set_state(name, "Starting", **MOVING)
        results["overview_moving"] = _overview(sb, serving, shown, window_s)
        results["overview_moving"]["moving_in_view"] = len(set(moving) & set(shown))
        for name in moving:
            sb.set_state(name, "Running")
    finally:
        sb.stop()
    sb = sandbox.start(seed=False)
    try:
        serving = sb.login().get_model_serving()
        small = sb.add_deployments(10, prefix="dep", status="Running")
        log("states: the overview at N = 10, every row on screen")
        results["overview_10"] = _overview(sb, serving, small, window_s)
    finally:
        sb.stop()
    real_s = time.monotonic() - t0

    # ---- the baselines, from their rules
    two_s, two_m = results["two_stable"], results["two_moving"]
    ov_s, ov_m, ov_10 = results["overview_stable"], results["overview_moving"], results["overview_10"]
    sdk_two = 2 * SDK_PER_MIN
    old = {
        "two_stable": (500 * 12, 12),  # (states/min, requests/min): a list every 5 s
        "two_moving": (500 * 60, 60),  # a list every second while one moves
        "overview_stable": (2000 * 12, 12),
        "overview_moving": (2000 * 60, 60),
        "overview_10": (10 * 12, 12),
    }
    sec.data = {"simulated_window_s": window_s, "real_seconds": round(real_s, 1), "results": results, "old_loop": old}

    def rows(key: str, label: str, sdk: float | None, goal: str = "", met: bool | None = None) -> None:
        r = results[key]
        old_states, old_requests = old[key]
        sec.add(f"{label}: states/min vs old merged loop", r["states_per_min"], "/min", old_states, goal=goal, met=met)
        if sdk is not None:
            sec.add(f"{label}: states/min vs SDK loop", r["states_per_min"], "/min", sdk)
        sec.add(f"{label}: requests/min vs old merged loop", r["requests_per_min"], "/min", old_requests)

    rows(
        "two_stable",
        "2 detail widgets, N=500, stable",
        sdk_two,
        goal=f"≤ 2× the SDK loop ({2 * sdk_two}/min)",
        met=two_s["states_per_min"] <= 2 * sdk_two,
    )
    rows(
        "two_moving",
        "2 detail widgets, N=500, one moving",
        sdk_two,
        goal="≤ a 1 s loop + a 5 s loop (72/min)",
        met=two_m["states_per_min"] <= 60 + 12,
    )
    rows(
        "overview_stable",
        "overview N=2000, 15 rows in view, stable",
        None,
        goal="≤ 2,500/min",
        met=ov_s["states_per_min"] <= 2500,
    )
    rows(
        "overview_moving",
        "overview N=2000, 5 % moving",
        None,
        goal="≤ 3× the stable figure",
        met=ov_m["states_per_min"] <= 3 * ov_s["states_per_min"],
    )
    sec.add(
        "overview N=2000, 5 % moving: reads/min of each row in view",
        ov_m["in_view_reads_per_min"],
        "/min",
        60,
        goal="as fresh as today (60/min: the 1 s limit)",
        met=ov_m["in_view_reads_per_min"] >= 59,
        compare=False,
        note="the old loop read every row each second while any moved; here the rows in view are read each "
        "second (median delay 0.5 s, the polling limit, as before)",
    )
    rows(
        "overview_10",
        "overview N=10, all in view",
        None,
        goal="no worse than today (requests/min ≤ 12)",
        met=ov_10["requests_per_min"] <= 12 and ov_10["states_per_min"] <= 120,
    )
    sec.how = [
        f"{window_s / 60:g} simulated minutes per situation, one after the other in one run: ProjectLoop and Poller "
        "driven by hand on a manual clock (ProjectLoop.step at each due moment), real HTTP requests to an "
        f"in-process sandbox whose backend_cost() counts the states; took {real_s:.0f} s of real time",
        "detail widgets: Poller(DeploymentSource) members of the project loop, a view visible; the project's size "
        "is unknown to them (nothing lists it), so they read single GETs",
        "overview: Poller(ServingSource) in the loop, visible, told 15 rows in view (as the view reports them); "
        f"the whole list every max(30 s, N × 30 ms) = {ov_s['list_every_s']:g} s at N = {ov_s['rows']}; rows in "
        "view at the widget's cadence (1 s while anything moves, 5 s stable), moving rows off screen every 5 s",
        "moving = Starting with an in-progress condition for the whole window (sandbox set_state)",
        "SDK loop = 12 states/min per deployment (get_state() then sleep 5 s); old merged loop = one list per round "
        "at the fastest member's cadence (5 s stable and visible, 1 s while anything moves), N states a list",
        "ratio = baseline ÷ measured (higher is better)",
    ]
    return sec
