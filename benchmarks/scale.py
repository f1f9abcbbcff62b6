"""Scale: the overview at N deployments, and N widgets on one deployment.

Rounds are driven by calling ``Poller.poll()`` in the benchmark's main thread
(pollers built with ``autostart=False``, or with intervals of an hour so their
own thread stays parked), so ``time.thread_time()`` around a round counts the
kernel side only: the HTTP request, JSON parsing, state building, the widget's
trait diff and the comm message (JSON-encoded by a recording comm, as a kernel
would). The sandbox answers on its own threads, which are not counted.

Each round has one deployment changing state (``set_state`` between rounds),
so every round sends an update; rounds without a change are measured too.
"""

from __future__ import annotations

import time
from typing import Any

from ._common import Section, log, median, poller_threads, wait_until

OVERVIEW_N = (1, 10, 100, 500)
WIDGETS_N = (1, 10, 100)
PROJECT_K = (1, 2, 10, 50)  # detail widgets of K deployments of one project
ROUNDS_PER_MIN = 12  # the stable cadence with a view visible (stable_s = 5 s)
_HOUR = 3600.0


def _flip(sb: Any, name: str, i: int) -> None:
    """Change one deployment's reported state (alternately Running with 1 and with 2 instances)."""
    sb.set_state(name, "Running", available_instances=1 + i % 2)


def _rounds(poll: Any, sb: Any, flip_name: str | None, rounds: int) -> tuple[list[float], list[int]]:
    """CPU seconds (this thread) and requests per round."""
    cpu, requests = [], []
    for i in range(rounds):
        if flip_name is not None:
            _flip(sb, flip_name, i)
        sb.clear_log()
        t0 = time.thread_time()
        poll()
        cpu.append(time.thread_time() - t0)
        requests.append(len(sb.requests()))
    return cpu, requests


def _overview(sb: Any, serving: Any, names: list[str], n: int, rounds: int, comm_cls: Any) -> dict[str, Any]:
    from hops_widgets.overview import OverviewWidget, ServingSource
    from hops_widgets.poller import Poller

    source = ServingSource(serving)
    poller = Poller(source, autostart=False)
    widget = OverviewWidget(source=source, poller=poller)
    try:
        poller.poll()  # first round: every row is new
        assert len(widget.states) == n, (len(widget.states), n)
        comm = widget.table.comm
        u0 = comm.updates
        cpu_change, req_change = _rounds(poller.poll, sb, names[0], rounds)
        updates = comm.updates - u0
        cpu_same, req_same = _rounds(poller.poll, sb, None, rounds)
        return {
            "cpu_per_round_s": median(cpu_change),
            "cpu_per_round_no_change_s": median(cpu_same),
            "requests_per_round": max(req_change + req_same),
            "comm_updates_per_round": updates / rounds,
            "update_bytes": comm.update_bytes,
            "rounds": rounds,
        }
    finally:
        widget.close()


def _separate(sb: Any, serving: Any, names: list[str], rounds: int) -> dict[str, Any]:
    """The baseline: one DeploymentWidget (and poller) per deployment, one request each per round."""
    from hops_widgets.poller import DeploymentSource, Poller
    from hops_widgets.widget import DeploymentWidget

    deployments = serving.get_deployments()  # one list request, no per-deployment lookups
    widgets = []
    try:
        pollers = []
        for d in deployments:
            p = Poller(DeploymentSource(d), autostart=False)
            widgets.append(DeploymentWidget(d, poller=p))
            pollers.append(p)

        def poll_all() -> None:
            for p in pollers:
                p.poll()

        poll_all()
        cpu, req = _rounds(poll_all, sb, names[0], rounds)
        return {"cpu_per_round_s": median(cpu), "requests_per_round": max(req), "rounds": rounds}
    finally:
        for w in widgets:
            w.close()


def _shared(sb: Any, serving: Any, name: str, n: int, rounds: int) -> dict[str, Any]:
    """N widgets made by show() on fresh objects of one deployment: the registry gives them one poller."""
    from hops_widgets import poller as poller_mod
    from hops_widgets.display import show

    before = len(poller_threads())
    widgets = []
    try:
        for _ in range(n):
            d = serving.get_deployment(name)  # a new SDK-shaped object each time, as separate cells would get
            widgets.append(show(d, display=False, fast_s=_HOUR, stable_s=_HOUR, hidden_s=_HOUR))
        poller = widgets[0].poller
        wait_until(lambda: poller.polls >= 1 and all(w.status != "UNKNOWN" for w in widgets), 10)
        threads = len(poller_threads()) - before
        distinct = len({id(w.poller) for w in widgets})
        active = len(poller_mod.active_pollers())
        u0 = sum(w.comm.updates for w in widgets)
        cpu, req = _rounds(poller.poll, sb, name, rounds)
        updates = (sum(w.comm.updates for w in widgets) - u0) / rounds
        return {
            "poller_threads": threads,
            "distinct_pollers": distinct,
            "active_pollers": active,
            "requests_per_round": max(req),
            "cpu_per_round_s": median(cpu),
            "comm_updates_per_round": updates,
            "rounds": rounds,
        }
    finally:
        for w in widgets:
            w.close()


def _unshared(sb: Any, serving: Any, name: str, n: int, rounds: int) -> dict[str, Any]:
    """The baseline: N widgets of one deployment with a poller (and thread) each."""
    from hops_widgets.poller import DeploymentSource, Policy, Poller
    from hops_widgets.widget import DeploymentWidget

    widgets, pollers = [], []
    before = len(poller_threads())
    policy = Policy(fast_s=_HOUR, stable_s=_HOUR, hidden_s=_HOUR)  # each thread polls once, then stays parked
    try:
        for _ in range(n):
            d = serving.get_deployment(name)
            p = Poller(DeploymentSource(d), policy=policy)
            widgets.append(DeploymentWidget(d, poller=p))
            pollers.append(p)
        wait_until(lambda: all(p.polls >= 1 for p in pollers), 30)
        threads = len(poller_threads()) - before

        def poll_all() -> None:
            for p in pollers:
                p.poll()

        cpu, req = _rounds(poll_all, sb, name, rounds)
        return {"requests_per_round": max(req), "cpu_per_round_s": median(cpu), "poller_threads": threads}
    finally:
        for w in widgets:
            w.close()


def _project(sb: Any, serving: Any, names: list[str], k: int, rounds: int) -> dict[str, Any]:
    """K detail widgets of K deployments of one project: their shared loop's requests per round."""
    from hops_widgets.display import show

    widgets = [show(serving.get_deployment(n), display=False, hidden_s=None) for n in names[:k]]
    try:
        loop = widgets[0].poller._loop
        wait_until(lambda: all(w.poller.polls for w in widgets), 20)
        per_round, states = [], []
        for _ in range(rounds):
            sb.clear_log()
            sb.reset_cost()
            before = loop.rounds
            for w in widgets:
                w.poller.refresh()
            wait_until(lambda b=before: loop.rounds > b, 10)
            per_round.append(len(sb.requests(path_contains="/serving")))
            states.append(sb.backend_cost()["total"])
        return {
            "requests_per_round": max(per_round),
            "states_per_round": max(states),
            "loops": len({id(w.poller._loop) for w in widgets}),
            "sharing": widgets[0].poller.snapshot.sharing,
        }
    finally:
        for w in widgets:
            w.close()


def _bytes_per_change(sb: Any, serving: Any, name: str) -> dict[int, int]:
    """Comm bytes of the update a status change sends, at history length 1 and 50 (as JSON)."""
    from ._common import install_recording_comm

    install_recording_comm()
    from hops_widgets.poller import DeploymentSource, Poller
    from hops_widgets.widget import DeploymentWidget

    d = serving.get_deployment(name)
    p = Poller(DeploymentSource(d), autostart=False)
    w = DeploymentWidget(d, poller=p)
    sizes: dict[int, int] = {}
    try:
        p.poll()
        for i in range(60):
            sb.set_state(name, "Stopped" if i % 2 == 0 else "Running")
            b0 = w.comm.update_bytes
            p.poll()
            length = len(p.timeline.history)
            if length in (2, 50) and length not in sizes:
                sizes[length] = w.comm.update_bytes - b0
        sizes[1] = sizes.pop(2)  # the first change after the first status
    finally:
        w.close()
    return sizes


def run(quick: bool = False, comm_cls: Any = None) -> Section:
    from hops_widgets import sandbox

    sec = Section(
        "scale",
        "Scale: the overview at N deployments; N widgets on one deployment",
        baseline="one DeploymentWidget + poller per deployment (overview) / per widget (shared poller)",
    )
    ns = OVERVIEW_N if not quick else (1, 10, 100, 500)
    sb = sandbox.start(seed=False)
    overview: dict[int, Any] = {}
    separate: dict[int, Any] = {}
    shared: dict[int, Any] = {}
    unshared: dict[int, Any] = {}
    project_k: dict[int, Any] = {}
    change_bytes: dict[int, int] = {}
    try:
        project = sb.login()
        serving = project.get_model_serving()
        names: list[str] = []
        for n in ns:
            names += sb.add_deployments(n - len(names), prefix="scale", status="Running")
            rounds = 10 if n >= 500 else 20
            if quick:
                rounds = max(5, rounds // 2)
            log(f"scale: overview at N = {n}")
            overview[n] = _overview(sb, serving, names, n, rounds, comm_cls)
            separate[n] = _separate(sb, serving, names, 3 if n >= 100 else 5)
        for n in WIDGETS_N:
            log(f"scale: {n} widgets on one deployment")
            rounds = 10 if quick else 20
            shared[n] = _shared(sb, serving, names[0], n, rounds)
            unshared[n] = _unshared(sb, serving, names[0], n, 3 if n >= 100 else 5)
        for k in PROJECT_K:
            log(f"scale: {k} detail widgets of one project")
            project_k[k] = {**_project(sb, serving, names, k, 5), "n": len(names)}
        log("scale: bytes per change")
        change_bytes = _bytes_per_change(sb, serving, names[-1])
    finally:
        sb.stop()

    sec.data = {
        "overview": overview,
        "one_widget_per_deployment": separate,
        "widgets_on_one_deployment": shared,
        "poller_per_widget": unshared,
        "project_widgets": project_k,
        "bytes_per_change": change_bytes,
    }
    for k in PROJECT_K:
        pk = project_k[k]
        sec.add(
            f"{k} detail widgets of one project: backend states per round",
            pk["states_per_round"],
            "",
            1 if k == 1 else pk.get("n"),  # the old loop: a single GET alone, else the list
            goal=f"≤ {k} (one per deployment watched)",
            met=pk["states_per_round"] <= k and pk["loops"] == 1,
            note="baseline: the old merged loop (one list of N states per round; a single GET when alone)",
        )
        sec.add(
            f"{k} detail widgets of one project: requests per round",
            pk["requests_per_round"],
            "",
            k,
            compare=False,
        )
    for length in (1, 50):
        sec.add(
            f"comm bytes per status change, history length {length}",
            change_bytes.get(length, float("nan")),
            "B",
            goal="≤ 1 KB",
            met=change_bytes.get(length, 1e9) <= 1024,
            compare=False,
        )
    for n in ns:
        o, s = overview[n], separate[n]
        sec.add(
            f"overview N={n}: requests per round",
            o["requests_per_round"],
            "",
            s["requests_per_round"],
            goal="1",
            met=o["requests_per_round"] == 1,
        )
    for n in ns:
        o, s = overview[n], separate[n]
        sec.add(f"overview N={n}: kernel CPU per round", o["cpu_per_round_s"] * 1000, "ms", s["cpu_per_round_s"] * 1000)
    base_n = 100 if 100 in ns else ns[0]
    per_dep = {n: overview[n]["cpu_per_round_s"] / n * 1e6 for n in ns}
    for n in ns:
        growth = per_dep[n] / per_dep[base_n]
        row = sec.add(
            f"overview N={n}: CPU per deployment per round",
            per_dep[n],
            "µs",
            separate[n]["cpu_per_round_s"] / n * 1e6,
        )
        if n > base_n:
            row.goal = f"≤ 1.25× the N={base_n} figure (linear)"
            row.met = growth <= 1.25
            row.note = f"{growth:.2f}× the per-deployment CPU at N={base_n}"
    top = max(ns)
    sec.add(
        f"overview N={top}: comm messages per round with a change",
        overview[top]["comm_updates_per_round"],
        "",
        goal="1",
        met=overview[top]["comm_updates_per_round"] == 1,
        compare=False,
    )
    sec.add(
        f"overview N={top}: CPU per round without a change",
        overview[top]["cpu_per_round_no_change_s"] * 1000,
        "ms",
        compare=False,
        note="nothing is sent when nothing changed; the list is still fetched and parsed",
    )
    for n in WIDGETS_N:
        sh, un = shared[n], unshared[n]
        sec.add(
            f"{n} widgets, one deployment: poller threads",
            sh["poller_threads"],
            "",
            un["poller_threads"],
            goal="1",
            met=sh["poller_threads"] == 1 and sh["distinct_pollers"] == 1,
        )
        sec.add(
            f"{n} widgets, one deployment: requests per round",
            sh["requests_per_round"],
            "",
            un["requests_per_round"],
            goal="1",
            met=sh["requests_per_round"] == 1,
        )
        sec.add(
            f"{n} widgets, one deployment: kernel CPU per round",
            sh["cpu_per_round_s"] * 1000,
            "ms",
            un["cpu_per_round_s"] * 1000,
            note="includes one comm update per widget" if n == max(WIDGETS_N) else "",
        )
    sec.how = [
        "one in-process sandbox with N Running deployments; each measured round first changes one deployment "
        "(set_state), then polls once; median over the rounds",
        "CPU = time.thread_time() of the thread that runs Poller.poll() (the sandbox's server threads are not in it); "
        "requests = entries in the sandbox's request log for the round",
        "overview = OverviewWidget on ServingSource (one list request per round); baseline = one "
        "DeploymentWidget with its own Poller per deployment, all polled once per round",
        "shared = show() on a fresh deployment object per widget (the poller registry keys by deployment); "
        "baseline = a Poller per widget; poller threads counted by name in threading.enumerate()",
        "comm messages are JSON-encoded by a recording comm (as a kernel session would) and counted",
        "project: K detail widgets (show() on K deployments of one project) share one loop; a round of all of them "
        "is asked by refresh(); its requests are counted in the sandbox log (GET …/serving*) and its backend states "
        "by backend_cost(); the project's size is unknown to them, so each is one GET (one state)",
        "bytes per change: the comm update one status change sends (Stopped ↔ Running), JSON as a kernel sends it, "
        "when the history holds 1 and 50 entries (its limit)",
    ]
    return sec
