"""Child processes of the kernel benchmarks: a fresh interpreter standing in for a notebook kernel.

    python -m benchmarks._child memory --prefix mem --one mem-001
    python -m benchmarks._child idle --mode hidden --prefix idle-h --window 60

The sandbox runs in the parent; its address comes in the ``HOPS_WIDGETS_SANDBOX_*``
variables. Results are printed as one JSON line prefixed with ``RESULT``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import threading
import time
from typing import Any

from ._common import install_recording_comm, poller_threads, visible, wait_until

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _serving():
    from hops_widgets.client import login

    project = login(
        url=os.environ["HOPS_WIDGETS_SANDBOX_URL"],
        project=os.environ["HOPS_WIDGETS_SANDBOX_PROJECT"],
        api_key=os.environ["HOPS_WIDGETS_SANDBOX_KEY"],
    )
    return project.get_model_serving()


def _emit(data: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(data), flush=True)


def memory(args: argparse.Namespace) -> None:
    import tracemalloc

    import anywidget
    import traitlets

    from hops_widgets.widget import DeploymentWidget

    install_recording_comm()
    serving = _serving()
    many = [d for d in serving.get_deployments() if d.name.startswith(args.prefix)][: args.n]
    same = [serving.get_deployment(args.one) for _ in range(args.n)]

    class Tiny(anywidget.AnyWidget):
        _esm = "export default { render({ el }) { el.textContent = 'x'; } };"
        value = traitlets.Int(0).tag(sync=True)

    keep: list[Any] = []
    out: dict[str, Any] = {"n": args.n}

    def measure(label: str, make) -> None:
        gc.collect()
        rss0, (heap0, _) = rss_bytes(), tracemalloc.get_traced_memory()
        made = make()
        keep.append(made)
        gc.collect()
        rss1, (heap1, _) = rss_bytes(), tracemalloc.get_traced_memory()
        out[label] = {"python_heap_bytes": heap1 - heap0, "rss_bytes": rss1 - rss0}

    def hops_many() -> list[Any]:
        widgets = [DeploymentWidget(d) for d in many]
        if not wait_until(lambda: all(w.state is not None for w in widgets), 60):
            raise RuntimeError("widgets did not get their first state")
        return widgets

    def hops_same() -> list[Any]:
        widgets = [DeploymentWidget(d) for d in same]
        wait_until(lambda: all(w.state is not None for w in widgets), 60)
        return widgets

    tracemalloc.start()
    measure("minimal_anywidget", lambda: [Tiny() for _ in range(args.n)])
    measure("widgets_own_deployments", hops_many)
    measure("widgets_one_deployment", hops_same)
    out["poller_threads"] = len(poller_threads())
    out["max_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.stop()
    _emit(out)
    for group in keep:
        for w in group:
            w.close()


def idle(args: argparse.Namespace) -> None:
    from hops_widgets.poller import DeploymentSource, Policy, Poller, project_loops
    from hops_widgets.widget import DeploymentWidget

    def list_requests() -> int:
        return sum(loop.list_requests for loop in project_loops())

    install_recording_comm()
    serving = _serving()
    deployments = [d for d in serving.get_deployments() if d.name.startswith(args.prefix)] if args.prefix else []
    widgets = []
    for d in deployments:
        if args.mode == "fixed":  # the baseline: a 1 s poller per deployment, no shared loop
            w = DeploymentWidget(d, poller=Poller(DeploymentSource(d), policy=Policy(fast_s=1, stable_s=1, hidden_s=1)))
        else:
            w = DeploymentWidget(d)
        if args.mode == "visible":
            visible(w)
        widgets.append(w)
    if not wait_until(lambda: all(w.state is not None for w in widgets), 60):
        raise RuntimeError("widgets did not get their first state")
    gc.collect()
    print("READY", flush=True)
    sys.stdin.readline()  # GO
    polls0 = sum(w.poller.polls for w in widgets)
    lists0 = list_requests()
    updates0 = sum(w.comm.updates for w in widgets)
    cpu0, wall0 = time.process_time(), time.monotonic()
    time.sleep(args.window)
    cpu1, wall1 = time.process_time(), time.monotonic()
    _emit(
        {
            "mode": args.mode,
            "widgets": len(widgets),
            "cpu_s": cpu1 - cpu0,
            "wall_s": wall1 - wall0,
            "polls": sum(w.poller.polls for w in widgets) - polls0,
            "list_requests": list_requests() - lists0,  # the shared project loop's (one per round)
            "project_loops": len(project_loops()),
            "comm_updates": sum(w.comm.updates for w in widgets) - updates0,
            "threads": threading.active_count(),
            "poller_threads": len(poller_threads()),
            "rss_bytes": rss_bytes(),
        }
    )
    for w in widgets:
        w.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._child")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--prefix", required=True)
    m.add_argument("--one", required=True)
    m.add_argument("--n", type=int, default=100)
    i = sub.add_parser("idle")
    i.add_argument("--mode", choices=("hidden", "visible", "fixed", "none"), required=True)
    i.add_argument("--prefix", default="")
    i.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args(argv)
    {"memory": memory, "idle": idle}[args.command](args)


if __name__ == "__main__":
    main()
