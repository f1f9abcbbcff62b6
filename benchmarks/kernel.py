"""Kernel costs: import time, idle CPU of open widgets, memory per widget, comm messages per poll.

Import time, idle CPU and memory are measured in fresh child interpreters
(``benchmarks._child``) that stand in for a kernel, so nothing of this
process (or of the sandbox it runs) is counted. Comm messages are counted in
process with a recording comm.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from typing import Any

from ._common import ROOT, Section, log, median

IMPORTS = ("hops_widgets", "anywidget", "hopsworks", "hops_widgets.widget")
_IMPORT_CODE = """
import json, sys, time
t = time.perf_counter()
import {module}
took = time.perf_counter() - t
print(json.dumps({{"s": took, "hopsworks": "hopsworks" in sys.modules, "anywidget": "anywidget" in sys.modules,
                  "modules": len(sys.modules)}}))
"""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("HOPS_WIDGETS_SANDBOX_URL", None)
    env.update(extra or {})
    return env


def _result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"no result from the child process:\n{stdout[-2000:]}")


def import_times(runs: int) -> dict[str, Any]:
    """Each module in a fresh interpreter, round-robin so the machine's mood is shared; the first round warms caches."""
    times: dict[str, list[float]] = {m: [] for m in IMPORTS}
    facts: dict[str, Any] = {}
    for r in range(runs + 1):
        for module in IMPORTS:
            out = subprocess.run(
                [sys.executable, "-c", _IMPORT_CODE.format(module=module)],
                capture_output=True,
                text=True,
                env=_env(),
                cwd=ROOT,
                timeout=120,
                check=True,
            )
            data = json.loads(out.stdout.strip().splitlines()[-1])
            if r:
                times[module].append(data["s"])
            facts[module] = {k: data[k] for k in ("hopsworks", "anywidget", "modules")}
    return {m: {"median_s": median(v), "runs_s": v, **facts[m]} for m, v in times.items()}


def _child(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks._child", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(env),
        cwd=ROOT,
        **kwargs,
    )


def memory(sb: Any, n: int) -> dict[str, Any]:
    sb.add_deployments(n, prefix="mem", status="Running")
    sb.add_deployment("memone", status="Running")
    proc = _child(["memory", "--prefix", "mem-", "--one", "memone", "--n", str(n)], sb.env())
    out, err = proc.communicate(timeout=180)
    if proc.returncode:
        raise RuntimeError(f"memory child failed:\n{err[-3000:]}")
    return _result(out)


def idle(sb: Any, n: int, window: float) -> dict[str, Any]:
    """Four kernels side by side over the same window: hidden, visible, fixed 1 s, and none (the floor)."""
    modes = {"hidden": "idleh", "visible": "idlev", "fixed": "idlef", "none": ""}
    for prefix in filter(None, modes.values()):
        sb.add_deployments(n, prefix=prefix, status="Running")
    procs = {
        m: _child(["idle", "--mode", m, "--prefix", p + "-" if p else "", "--window", str(window)], sb.env())
        for m, p in modes.items()
    }
    try:
        for m, proc in procs.items():
            line = proc.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"idle child {m} did not start: {line!r}\n{proc.stderr.read()[-3000:]}")
        time.sleep(1.0)  # let the setup's first polls and their replies settle
        go = time.time()
        for proc in procs.values():
            proc.stdin.write("GO\n")
            proc.stdin.flush()
        results = {}
        for m, proc in procs.items():
            out, err = proc.communicate(timeout=window + 120)
            if proc.returncode:
                raise RuntimeError(f"idle child {m} failed:\n{err[-3000:]}")
            results[m] = _result(out)
        end = go + window
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    # the request rate each kernel really caused, from the sandbox's log (real time)
    for m, prefix in modes.items():
        if not prefix:
            continue
        by_dep: dict[str, list[float]] = {}
        for e in sb.requests(endpoint="serving_get"):
            if e["deployment"] and e["deployment"].startswith(prefix + "-") and go <= e["time"] <= end:
                by_dep.setdefault(e["deployment"], []).append(e["time"])
        gaps = [b - a for times in by_dep.values() for a, b in itertools.pairwise(times)]
        results[m]["median_gap_s"] = median(gaps) if gaps else None
        results[m]["requests_in_window"] = sum(len(t) for t in by_dep.values())
    return results


def comm_per_poll() -> dict[str, Any]:
    """Messages each poll sends, with and without a change; against the same widget without batching."""
    from hops_widgets import sandbox
    from hops_widgets.poller import DeploymentSource, Poller
    from hops_widgets.widget import DeploymentWidget

    clock = sandbox.ManualClock()
    sb = sandbox.start(seed=False, clock=clock)
    widgets = []
    try:
        sb.add_deployment("comm", status="Stopped", requested_instances=3, transformer=True)
        serving = sb.login().get_model_serving()
        pairs = []
        for batched in (True, False):
            d = serving.get_deployment("comm")
            p = Poller(DeploymentSource(d), autostart=False)
            w = DeploymentWidget(d, poller=p)
            if not batched:
                w.hold_sync = contextlib.nullcontext  # every trait change goes out on its own
            widgets.append(w)
            pairs.append((p, w))
        for p, _ in pairs:
            p.poll()
        stats = {True: {"change": [], "same": []}, False: {"change": [], "same": []}}

        def poll_all() -> None:
            for batched, (p, w) in zip((True, False), pairs, strict=False):
                before_state, u0, b0 = p.snapshot.state, w.comm.updates, w.comm.update_bytes
                p.poll()
                kind = "change" if p.snapshot.state != before_state else "same"
                stats[batched][kind].append((w.comm.updates - u0, w.comm.update_bytes - b0))

        for _ in range(20):  # stopped, nothing moves
            clock.advance(1.0)
            poll_all()
        for _ in range(3):  # start, run a while, stop: each poll sees the next step
            sb.start_deployment("comm")
            for _ in range(12):
                clock.advance(0.5)
                poll_all()
            sb.stop_deployment("comm")
            for _ in range(6):
                clock.advance(0.5)
                poll_all()
    finally:
        for w in widgets:
            w.close()
        sb.stop()

    def agg(items: list[tuple[int, int]]) -> dict[str, Any]:
        if not items:
            return {"polls": 0}
        return {
            "polls": len(items),
            "messages_per_poll": sum(m for m, _ in items) / len(items),
            "bytes_per_poll": sum(b for _, b in items) / len(items),
        }

    return {
        "batched": {k: agg(v) for k, v in stats[True].items()},
        "unbatched": {k: agg(v) for k, v in stats[False].items()},
    }


def run(quick: bool = False) -> Section:
    from hops_widgets import sandbox

    sec = Section("kernel", "Kernel costs: import, idle CPU, memory, comm messages", baseline="per row (see how)")
    runs = 3 if quick else 7
    window = 20.0 if quick else 60.0
    n = 100
    log(f"kernel: import times ({runs} runs each, fresh interpreters)")
    imports = import_times(runs)
    log("kernel: comm messages per poll")
    comm = comm_per_poll()
    sb = sandbox.start(seed=False)
    try:
        log(f"kernel: memory of {n} widgets")
        mem = memory(sb, n)
        log(f"kernel: idle CPU of {n} widgets, 4 kernels side by side for {window:g} s")
        idle_ = idle(sb, n, window)
    finally:
        sb.stop()
    sec.data = {"imports": imports, "comm_per_poll": comm, "memory": mem, "idle": idle_, "idle_window_s": window}

    hw, aw, hs = (imports[m]["median_s"] * 1000 for m in ("hops_widgets", "anywidget", "hopsworks"))
    ww = imports["hops_widgets.widget"]["median_s"] * 1000
    sec.add("import hops_widgets vs import anywidget", hw, "ms", aw)
    sec.add(
        "import hops_widgets vs import hopsworks",
        hw,
        "ms",
        hs,
        note="hopsworks loaded: "
        + str(imports["hops_widgets"]["hopsworks"]).lower()
        + f", anywidget loaded: {str(imports['hops_widgets']['anywidget']).lower()} (heavy modules load on first use)",
    )
    sec.add(
        "import hops_widgets.widget (first show()) vs anywidget",
        ww,
        "ms",
        aw,
        note="what the first show() pays: anywidget, ipywidgets and the widget module",
    )

    def cpu_pct(m: str) -> float:
        r = idle_[m]
        return r["cpu_s"] / r["wall_s"] * 100

    floor = cpu_pct("none")
    for m, label in (("hidden", "no view visible"), ("visible", "views visible")):
        sec.add(f"idle CPU, {n} widgets ({n} deployments), {label}", cpu_pct(m), "% core", cpu_pct("fixed"))
    sec.add("idle CPU, a kernel with no widget (floor)", floor, "% core", compare=False)
    fixed_gap = idle_["fixed"]["median_gap_s"]
    fixed_rate = 60 / fixed_gap if fixed_gap else None
    for m, label, goal in (("hidden", "no view visible", 2), ("visible", "views visible", 12)):
        r = idle_[m]
        # the widgets share their project's loop: single GETs, or a list where it computes fewer states
        project_rate = r.get("list_requests", 0) / r["wall_s"] * 60
        gets_rate = r["requests_in_window"] / window * 60
        rate = (project_rate + gets_rate) / n
        sec.add(
            f"real-time requests/min/deployment, {label}",
            rate,
            "/min",
            fixed_rate,
            goal=f"≤ {goal}/min",
            met=rate <= goal * 1.01,
            note=f"{r.get('project_loops', 0)} project loop: {r.get('list_requests', 0)} list requests "
            f"and {r['requests_in_window']} single gets in {window:g} s, for {n} deployments",
        )
        sec.add(
            f"real-time requests/min for the project ({n} deployments), {label}",
            project_rate + gets_rate,
            "/min",
            None if fixed_rate is None else fixed_rate * n,
            goal=f"≤ {goal}/min per deployment ({goal * n}/min)",
            met=project_rate + gets_rate <= goal * n * 1.1,
            note="" if r.get("list_requests") else f"the {window:g} s window is shorter than one 30 s interval",
        )

    def per_widget_minute(m: str) -> float:
        return idle_[m]["cpu_s"] / idle_[m]["wall_s"] * 60 / n * 1000

    for m, label in (("hidden", "no view visible"), ("visible", "views visible")):
        sec.add(f"idle CPU per widget per minute, {label}", per_widget_minute(m), "ms", per_widget_minute("fixed"))
    for key, label in (
        ("widgets_own_deployments", "own deployment + poller"),
        ("widgets_one_deployment", "shared poller"),
    ):
        sec.add(
            f"memory per widget ({label}), Python heap",
            mem[key]["python_heap_bytes"] / n / 1024,
            "KiB",
            mem["minimal_anywidget"]["python_heap_bytes"] / n / 1024,
            compare=False,
        )
    sec.add(
        "memory per widget (own deployment + poller), RSS",
        mem["widgets_own_deployments"]["rss_bytes"] / n / 1024,
        "KiB",
        mem["minimal_anywidget"]["rss_bytes"] / n / 1024,
        compare=False,
    )
    sec.add(
        f"comm messages from {n} idle widgets over the window (views visible)",
        idle_["visible"]["comm_updates"],
        "",
        idle_["fixed"]["comm_updates"],
        goal="0",
        met=idle_["visible"]["comm_updates"] == 0,
        compare=False,
        note=f"{idle_['visible']['polls']} polls, nothing changed, nothing sent",
    )
    b, u = comm["batched"], comm["unbatched"]
    sec.add(
        f"comm messages per poll without a change ({b['same']['polls']} polls)",
        b["same"]["messages_per_poll"],
        "",
        u["same"]["messages_per_poll"],
        goal="0",
        met=b["same"]["messages_per_poll"] == 0,
        compare=False,
    )
    sec.add(
        f"comm messages per poll with a change ({b['change']['polls']} polls)",
        b["change"]["messages_per_poll"],
        "",
        u["change"]["messages_per_poll"],
        goal="1",
        met=b["change"]["messages_per_poll"] == 1,
    )
    sec.add("comm bytes per poll with a change", b["change"]["bytes_per_poll"], "B", u["change"]["bytes_per_poll"])
    sec.how = [
        f"import: `import X` timed with perf_counter in a fresh interpreter, {runs} runs each round-robin after "
        "one warm-up round, median; baselines anywidget and hopsworks 5.2.1",
        f"idle: four child interpreters side by side for the same {window:g} s real window against one sandbox: "
        f"{n} DeploymentWidgets on {n} Running deployments with no view visible / with views visible, "
        f"the same {n} widgets on a fixed 1 s policy (baseline), and one with no widget (floor); "
        "CPU = time.process_time() of the child; no kernel, so ipykernel's own idle cost is not included",
        "real-time requests: the widgets of one kernel share their project's loop (one list request per round, "
        "counted by the child); baseline = a 1 s Poller per deployment, 60 ÷ median gap between a deployment's "
        "requests in the sandbox log over the window",
        f"memory: {n} widgets in a child interpreter, tracemalloc (Python heap) and RSS deltas after their first poll; "
        f"baseline: {n} one-trait anywidgets (what any anywidget costs)",
        "comm: a recording comm counts update messages per poll while a deployment sits Stopped, then starts and "
        "stops three times (ManualClock sandbox, half-second steps); baseline: the same widget with hold_sync "
        "disabled, so every changed trait is its own message",
    ]
    return sec
