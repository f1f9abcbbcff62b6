"""Freshness: how long after a state change in the sandbox the widget's traits show it.

Ten deployments walk through scripted start sequences at the same time (the
sandbox's ``set_state`` at random moments, real time). For each one a
:class:`DeploymentWidget` with the default :class:`Policy` and a visible view
watches it, and so does a baseline loop shaped like the hopsworks SDK's own
``_poll_deployment_status`` (``time.sleep(5)`` then ``get_state()``), on its own
client. Both run concurrently against the same transitions.

The delay of a transition is the time from just before ``set_state`` until the
observer shows that state or a later one (a 5 s loop can skip a state entirely;
it then catches up with a later one, and the skip is counted separately).
Every state carries its sequence number in the condition reason, so the
observer's ``condition_reason`` trait tells which state it shows.
"""

from __future__ import annotations

import random
import re
import statistics
import threading
import time
from typing import Any

from ._common import Section, log, summary, visible, wait_until

DEPLOYMENTS = 20
SDK_SLEEP_S = 5.0  # hsml.engine.serving_engine._poll_deployment_status: sleep_seconds = 5
GAP_S = (1.5, 4.5)  # time between two steps of a walk
STABLE_GAP_S = (6.0, 11.0)  # time spent Running (stable) before the stop
STABLE_N = 60  # deployments of the out-of-stable case (a stop each, at a uniformly random phase)

_SEQ = re.compile(r"\[#(\d+)\]")

# (status, condition type, condition status, reason, available instances)
START_WALK = [
    ("Starting", "SCHEDULED", None, "Asking the cluster for room to place the instances", 0),
    ("Starting", "SCHEDULED", True, "The instances have a node and their resources are reserved", 0),
    ("Starting", "INITIALIZED", None, "Pulling container images and mounting volumes", 0),
    ("Starting", "STARTED", None, "Booting the model server and loading the scripts", 1),
    ("Starting", "READY", None, "Wiring the network route to the instances", 2),
    ("Running", "READY", True, "Serving requests", 2),
]
QUICK_WALK = [START_WALK[0], START_WALK[2], START_WALK[4], START_WALK[5]]
STOP_WALK = [
    ("Stopping", "SCHEDULED", None, "Releasing the instances' place on the cluster", 1),
    ("Stopped", "STOPPED", True, "Not running; nothing is allocated", 0),
]


def _seq(reason: str | None) -> int | None:
    m = _SEQ.search(reason or "")
    return int(m.group(1)) if m else None


def _set(sb: Any, name: str, step: tuple, seq: int) -> None:
    status, ctype, cstatus, reason, available = step
    sb.set_state(
        name,
        status,
        condition={"type": ctype, "status": cstatus, "reason": f"{reason} [#{seq}]"},
        available_instances=available,
    )


class _SdkLoop(threading.Thread):
    """``while True: time.sleep(5); state = deployment.get_state()`` — the SDK's await loop."""

    def __init__(self, deployment: Any, stop: threading.Event, offset: float = 0.0) -> None:
        super().__init__(name=f"sdk-loop[{deployment.name}]", daemon=True)
        self.deployment = deployment
        self.offset = offset  # when start() was called, relative to the others
        self.stop_event = stop
        self.records: list[tuple[float, int]] = []
        self.polls = 0

    def read(self) -> None:
        state = self.deployment.get_state()
        now = time.monotonic()
        self.polls += 1
        seq = _seq(state.condition.reason if state.condition else "")
        if seq is not None and (not self.records or self.records[-1][1] != seq):
            self.records.append((now, seq))

    def run(self) -> None:
        if self.stop_event.wait(self.offset):
            return
        while not self.stop_event.wait(SDK_SLEEP_S):  # an interruptible time.sleep(5)
            try:
                self.read()
            except Exception as exc:  # noqa: BLE001 - a benchmark loop reports and goes on
                log(f"baseline poll failed: {exc}")


def _delays(events: list[dict], records: dict[str, list[tuple[float, int]]]) -> tuple[list[float], int, int]:
    """Delay per event until the observer showed that state or a later one; skipped and never-seen counts."""
    delays, skipped, unseen = [], 0, 0
    for e in events:
        recs = records[e["name"]]
        hit = next((t for t, s in recs if s >= e["seq"]), None)
        if hit is None:
            unseen += 1
            continue
        delays.append(hit - e["t"])
        if not any(s == e["seq"] for _, s in recs):
            skipped += 1
    return delays, skipped, unseen


def _out_of_stable(sb: Any, rng: random.Random, n: int) -> dict[str, Any]:
    """Stops out of a settled Running at a uniformly random phase of both pollers' schedules.

    Each widget polls alone (its own Poller: a project where nothing else moves, so the
    stable schedule is all there is), a visible view, the default Policy(); each baseline
    loop starts at a random offset. Both have been stable for more than one period when the
    stops come, each at a moment drawn uniformly over two periods: independent of either
    schedule, so its phase in both is uniform, and the polling limit is stable_s / 2 + RTT.
    """
    from hops_widgets.poller import DeploymentSource, Poller
    from hops_widgets.widget import DeploymentWidget

    names = sb.add_deployments(n, prefix="stable", status="Running", requested_instances=2)
    for name in names:
        _set(sb, name, START_WALK[-1], 0)
    widget_side, sdk_side = sb.login(), sb.login()
    serving, sdk_serving = widget_side.get_model_serving(), sdk_side.get_model_serving()
    records: dict[str, list[tuple[float, int]]] = {name: [] for name in names}
    widgets, loops, stop = [], [], threading.Event()
    try:
        rtts = []
        for name in names[:10]:
            d = serving.get_deployment(name)
            t0 = time.monotonic()
            d.get_state()
            rtts.append(time.monotonic() - t0)
        for name in names:
            d = serving.get_deployment(name)
            w = DeploymentWidget(d, poller=Poller(DeploymentSource(d)))

            def on_change(change: dict, name: str = name) -> None:
                seq = _seq(change["new"])
                if seq is not None:
                    records[name].append((time.monotonic(), seq))

            w.observe(on_change, names="condition_reason")
            visible(w)
            widgets.append(w)
            loop = _SdkLoop(sdk_serving.get_deployment(name), stop, offset=rng.uniform(0, SDK_SLEEP_S))
            loops.append(loop)
            loop.start()
        time.sleep(SDK_SLEEP_S + 1.5)  # both settled: stable schedules, every phase set
        start = time.monotonic()
        plan = []
        for name in names:
            t = rng.uniform(0, 2 * SDK_SLEEP_S)
            plan.append({"name": name, "seq": 1, "step": STOP_WALK[0], "at": t, "kind": "stop_out"})
            plan.append({"name": name, "seq": 2, "step": STOP_WALK[1], "at": t + rng.uniform(*GAP_S), "kind": "end"})
        plan.sort(key=lambda e: e["at"])
        events = []
        for e in plan:
            delay = start + e["at"] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic()
            _set(sb, e["name"], e["step"], e["seq"])
            events.append({**e, "t": t})
        wait_until(
            lambda: all(
                records[x] and records[x][-1][1] >= 2 and lp.records and lp.records[-1][1] >= 2
                for x, lp in zip(names, loops, strict=True)
            ),
            SDK_SLEEP_S + 3,
        )
    finally:
        stop.set()
        for w in widgets:
            w.close()
        for loop in loops:
            loop.join(2)
    outs = [e for e in events if e["kind"] == "stop_out"]
    wd, ws, _ = _delays(outs, records)
    bd, bs, _ = _delays(outs, {lp.deployment.name: lp.records for lp in loops})
    return {
        "transitions": len(outs),
        "rtt_s": statistics.median(rtts),
        "limit_s": SDK_SLEEP_S / 2 + statistics.median(rtts),
        "widget": {**summary(wd), "skipped_states": ws},
        "baseline": {**summary(bd), "skipped_states": bs},
    }


def run(quick: bool = False, seed: int = 7) -> Section:
    from hops_widgets import sandbox
    from hops_widgets.poller import Policy
    from hops_widgets.widget import DeploymentWidget

    walk = QUICK_WALK if quick else START_WALK
    rng = random.Random(seed)
    sec = Section(
        "freshness",
        "Freshness: delay from a sandbox state change to the widget trait update",
        baseline="the hopsworks SDK's await loop (time.sleep(5) then get_state()), same transitions, concurrently",
    )
    sb = sandbox.start(seed=False)
    widgets: list[Any] = []
    stop = threading.Event()
    loops: list[_SdkLoop] = []
    try:
        names = sb.add_deployments(DEPLOYMENTS, prefix="fresh", status="Stopped", requested_instances=2)
        for name in names:
            _set(sb, name, walk[0], 0)
        widget_side = sb.login()
        sdk_side = sb.login()  # the baseline has its own session, like another process would
        serving = widget_side.get_model_serving()
        records: dict[str, list[tuple[float, int]]] = {n: [] for n in names}

        def recorder(name: str):
            def on_change(change: dict) -> None:
                seq = _seq(change["new"])
                if seq is not None:
                    records[name].append((time.monotonic(), seq))

            return on_change

        for name in names:
            w = DeploymentWidget(serving.get_deployment(name))  # the default Policy()
            w.observe(recorder(name), names="condition_reason")
            seq0 = _seq(w.condition_reason)  # the first poll may have landed before observe()
            if seq0 is not None and not records[name]:
                records[name].append((time.monotonic(), seq0))
            visible(w)
            widgets.append(w)
            time.sleep(1.0 / DEPLOYMENTS)  # spread the pollers' phases over their 1 s period
        assert widgets[0].poller.policy == Policy(), "the widgets must run the default policy"
        sdk_serving = sdk_side.get_model_serving()
        for i, name in enumerate(names):
            # spread the loops' phases over their 5 s period, as if start() had been called at different times
            loop = _SdkLoop(sdk_serving.get_deployment(name), stop, offset=i * SDK_SLEEP_S / DEPLOYMENTS)
            loop.read()  # the state right after start(): what the SDK knew before its first sleep
            loops.append(loop)
        if not wait_until(lambda: all(records[n] for n in names), 10):
            raise RuntimeError("the widgets did not show the first state")
        for loop in loops:
            loop.start()

        # the script: per deployment a start walk (fast transitions), a while Running, then a stop walk
        plan: list[dict] = []
        for name in names:
            t = 1.0 + rng.uniform(0, 2)
            seq = 0
            for step in walk[1:]:
                t += rng.uniform(*GAP_S)
                seq += 1
                plan.append({"name": name, "seq": seq, "step": step, "at": t, "kind": "start"})
            t += rng.uniform(*STABLE_GAP_S)
            seq += 1
            plan.append({"name": name, "seq": seq, "step": STOP_WALK[0], "at": t, "kind": "stop_out"})
            t += rng.uniform(*GAP_S)
            seq += 1
            plan.append({"name": name, "seq": seq, "step": STOP_WALK[1], "at": t, "kind": "stop_end"})
        plan.sort(key=lambda e: e["at"])
        polls0 = sum(w.poller.polls for w in widgets)
        sdk0 = sum(loop.polls for loop in loops)
        log(f"freshness: {len(plan)} transitions on {DEPLOYMENTS} deployments over ~{plan[-1]['at']:.0f} s")
        start = time.monotonic()
        project_loops = {id(w.poller._loop): w.poller._loop for w in widgets if w.poller._loop is not None}
        requests0 = sum(pl.list_requests + pl.get_requests for pl in project_loops.values())
        events = []
        for e in plan:
            delay = start + e["at"] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic()
            _set(sb, e["name"], e["step"], e["seq"])
            events.append({**e, "t": t, "late_s": t - (start + e["at"])})
        last = {n: max(e["seq"] for e in events if e["name"] == n) for n in names}
        wait_until(
            lambda: all(
                records[n] and records[n][-1][1] >= last[n] and loop.records and loop.records[-1][1] >= last[n]
                for n, loop in zip(names, loops, strict=False)
            ),
            SDK_SLEEP_S + 3,
        )
        elapsed = time.monotonic() - start
        polls = sum(w.poller.polls for w in widgets) - polls0
        sdk_polls = sum(loop.polls for loop in loops) - sdk0
        shared_loops = len({id(w.poller._loop) for w in widgets if w.poller._loop is not None})
        # the widgets' requests: their shared loop's single GETs or lists, whichever computes fewer states
        # (the baseline loops make single gets of their twins)
        list_requests = sum(pl.list_requests + pl.get_requests for pl in project_loops.values()) - requests0
        stop.set()
        for w in widgets:
            w.close()
        widgets = []
        log(f"freshness: {STABLE_N if not quick else 30} stops out of a settled Running, at a uniformly random phase")
        stable = _out_of_stable(sb, rng, STABLE_N if not quick else 30)
    finally:
        stop.set()
        for w in widgets:
            w.close()
        for loop in loops:
            if loop.ident is not None:
                loop.join(2)
        sb.stop()

    sdk_records = {loop.deployment.name: loop.records for loop in loops}
    results: dict[str, Any] = {}
    for kind in ("start", "stop_out", "stop_end", "all"):
        chosen = [e for e in events if kind == "all" or e["kind"] == kind]
        wd, ws, wu = _delays(chosen, records)
        bd, bs, bu = _delays(chosen, sdk_records)
        results[kind] = {
            "transitions": len(chosen),
            "widget": {**summary(wd), "skipped_states": ws, "never_seen": wu},
            "baseline": {**summary(bd), "skipped_states": bs, "never_seen": bu},
        }
    minutes = elapsed / 60
    sec.data = {
        **results,
        "deployments": DEPLOYMENTS,
        "script_seconds": round(elapsed, 1),
        "scheduling_lateness_max_s": max(e["late_s"] for e in events),
        "requests": {
            "widget_polls": polls,
            "baseline_polls": sdk_polls,
            "widget_rounds_per_min": polls / minutes / DEPLOYMENTS,
            "widget_list_requests": list_requests,
            "widget_per_min_per_deployment": list_requests / minutes / DEPLOYMENTS,
            "widget_per_min_project": list_requests / minutes,
            "baseline_per_min_per_deployment": sdk_polls / minutes / DEPLOYMENTS,
        },
        "policy": "Policy() defaults: fast 1 s, stable 5 s (visible view), hidden 30 s",
        "project_loops": shared_loops,
        "list_requests": list_requests,
        "out_of_stable": stable,
        "events": [{k: e[k] for k in ("name", "seq", "kind", "t")} for e in events],
        "widget_records": records,
        "baseline_records": sdk_records,
    }
    start_, out_, end_, all_ = (results[k] for k in ("start", "stop_out", "stop_end", "all"))
    w, b = start_["widget"], start_["baseline"]
    ratio = b["median"] / w["median"] if w.get("median") else None
    n = start_["transitions"]
    sec.add(
        f"median delay, {n} start steps (transitional)",
        w.get("median"),
        "s",
        b.get("median"),
        goal="≤ 0.6 s and ≥ 4×",
        met=bool(w.get("median") is not None and w["median"] <= 0.6 and ratio is not None and ratio >= 4),
    )
    sec.add(f"p95 delay, {n} start steps (transitional)", w.get("p95"), "s", b.get("p95"))
    sec.add(
        f"start steps never shown (of {n})",
        w["skipped_states"],
        "",
        b["skipped_states"],
        compare=False,
        note="a state replaced before the next poll is never shown; its delay counts until a later state shows",
    )
    n = stable["transitions"]
    lim = stable["limit_s"]
    sw, sb_ = stable["widget"], stable["baseline"]
    sec.add(
        f"out of stable: median delay, {n} stops at a random phase",
        sw.get("median"),
        "s",
        sb_.get("median"),
        goal=f"≤ limit {lim:.2f} s and ≤ SDK loop",
        met=bool(sw.get("median") is not None and sw["median"] <= lim and sw["median"] <= sb_["median"] * 1.1),
        note=f"polling limit = stable_s / 2 + round trip = {lim:.2f} s; a 10 % margin for noise against the SDK loop",
    )
    sec.add(f"out of stable: p95 delay, {n} stops at a random phase", sw.get("p95"), "s", sb_.get("p95"))
    sec.add(
        f"out of stable: Stopping never shown (of {n})",
        sw["skipped_states"],
        "",
        sb_["skipped_states"],
        compare=False,
        goal="≤ SDK loop",
        met=sw["skipped_states"] <= sb_["skipped_states"] + 1,
        note="expected equal: both see a Stopping phase of g s with probability g / 5 s (+1 for noise)",
    )
    n = out_["transitions"]
    sec.add(
        f"median delay, {n} stops out of Running (stable)",
        out_["widget"].get("median"),
        "s",
        out_["baseline"].get("median"),
    )
    sec.add(
        f"p95 delay, {n} stops out of Running (stable)", out_["widget"].get("p95"), "s", out_["baseline"].get("p95")
    )
    n = end_["transitions"]
    sec.add(f"median delay, {n} Stopping → Stopped", end_["widget"].get("median"), "s", end_["baseline"].get("median"))
    sec.add(
        f"Stopping never shown (of {out_['transitions']})",
        out_["widget"]["skipped_states"],
        "",
        out_["baseline"]["skipped_states"],
        compare=False,
        note="the script's widgets share their project's loop: while another deployment moves, it polls fast for all",
    )
    n = all_["transitions"]
    sec.add(f"median delay, all {n} transitions", all_["widget"].get("median"), "s", all_["baseline"].get("median"))
    sec.add(f"p95 delay, all {n} transitions", all_["widget"].get("p95"), "s", all_["baseline"].get("p95"))
    sec.add(
        "requests/min/deployment during the script",
        sec.data["requests"]["widget_per_min_per_deployment"],
        "/min",
        sec.data["requests"]["baseline_per_min_per_deployment"],
        note=f"the script's {DEPLOYMENTS} widgets share {shared_loops} project loop(s): {list_requests} "
        f"requests in all (single GETs, or a list where it computes fewer states), "
        f"{sec.data['requests']['widget_per_min_project']:.0f}/min for the project",
    )
    sec.how = [
        f"{DEPLOYMENTS} deployments scripted in parallel with sandbox.set_state at random moments (real time, "
        f"gaps {GAP_S[0]}–{GAP_S[1]} s): a start walk of {len(walk) - 1} steps ending Running, "
        f"{STABLE_GAP_S[0]:g}–{STABLE_GAP_S[1]:g} s Running, then Stopping and Stopped",
        "'start steps' = changes during a start walk: the widget has shown a moving state and polls at "
        "fast_s = 1 s (the realistic case: things change while a deployment moves); 'stops out of Running' = "
        "the first change after a stable state, when a visible widget polls at stable_s = 5 s",
        "widget: DeploymentWidget with the default Policy() and a visible view (a visibility comm message); "
        "timestamp = time.monotonic() in its condition_reason trait observer",
        "baseline: a thread per deployment on its own client running sleep(5) then get_state(), "
        "like hsml's _poll_deployment_status; both observers see the same transitions at the same time",
        "delay = from just before set_state until the observer shows that state or a later one",
        "the script's widgets (DeploymentWidget(deployment), as show() makes them) share their project's loop: one "
        "list request per round for all 20, fast while any of them moves",
        f"'out of stable': {STABLE_N} more Running deployments, each widget on a Poller of its own (a project where "
        "nothing else moves), each SDK loop at a random offset; after both settled, each is stopped at a moment drawn "
        "uniformly over 10 s, so uniformly random in the phase of both 5 s schedules; Stopping lasts 1.5–4.5 s",
        "for the stop, the baseline is the same loop kept running (the SDK's own loop ends at Running; "
        "stop(await_stopped) starts a new one whose first look comes 5 s after the call)",
    ]
    return sec
