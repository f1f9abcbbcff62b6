"""Restart checks: what noticing a crash loop costs in log reads, and how soon it is named.

    python -m benchmarks.restarts          # prints a markdown table (about 10 s)

Everything real but the clock: a sandbox over loopback on a manual clock, the built-in client's
``Deployment.log_pods`` (one read of the logs endpoint, one line per pod), and the widget's
:class:`~hops_widgets._restarts.RestartWatch` driven second by second on the same clock, for one
hour of each case. Reads are counted in the sandbox's request log (``serving_logs``), for a
deployment with a predictor and a transformer (two reads per check).

Baselines: the Logs section open and on screen reads every 2 s (1,800 reads an hour, as the
Hopsworks UI's log view), and reading the logs with every stable poll (5 s) would be 720 an hour
per component.
"""

from __future__ import annotations

import json
import sys
from typing import Any

NAME = "frauddetector"
HOUR_S = 3600


def _case(
    label: str,
    *,
    loop_every_s: float | None = None,
    loop_at_s: float = 120,
    backend: str | None = None,
    visible: bool = True,
) -> dict[str, Any]:
    from hops_widgets import sandbox
    from hops_widgets._restarts import RestartWatch
    from hops_widgets.sandbox import ManualClock

    clock = ManualClock()
    with sandbox.start(clock=clock) as sb:
        if backend is not None:
            sb.app.hopsworks_version = backend
        with sb.login(timeout=5) as project:
            deployment = project.get_model_serving().get_deployment(NAME)
            now = [0.0]
            watch = RestartWatch(deployment.log_pods, lambda _found: None, clock=lambda: now[0], autostart=False)
            sb.clear_log()
            watch.set(status="RUNNING", visible=visible, components=("predictor", "transformer"))
            named_at = None
            for second in range(HOUR_S):
                if loop_every_s is not None and second == loop_at_s:
                    sb.crash_loop(NAME, instance=0, every_s=loop_every_s)
                wait = watch.due_in()
                if wait is not None and wait <= 0:
                    watch.check()
                if named_at is None and watch.summary().get("looping"):
                    named_at = second - loop_at_s
                sb.advance(1)
                now[0] += 1
            reads = len(sb.requests(endpoint="serving_logs"))
    return {"case": label, "reads_per_hour": reads, "named_after_s": named_at}


CASES = (
    ("steady Running, view on screen", {}),
    ("crash loop every 10 s from minute 2", {"loop_every_s": 10}),
    ("crash loop every 10 s from minute 20", {"loop_every_s": 10, "loop_at_s": 1200}),
    ("crash loop every 5 min (Kubernetes' longest back-off)", {"loop_every_s": 300}),
    ("steady Running, view off screen", {"visible": False}),
    ("backend 4.2 (no restart counts)", {"backend": "4.2.0"}),
)


def run() -> list[dict[str, Any]]:
    return [_case(label, **kwargs) for label, kwargs in CASES]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| one hour of | log reads | crash loop named after |",
        "|---|---:|---:|",
    ]
    for r in rows:
        named = "—" if r["named_after_s"] is None else f"{r['named_after_s']} s"
        lines.append(f"| {r['case']} | {r['reads_per_hour']} | {named} |")
    lines.append("| *baseline: the Logs section open and on screen (2 s)* | *1,800* | |")
    return "\n".join(lines)


if __name__ == "__main__":
    found = run()
    print(markdown(found))
    if "--json" in sys.argv:
        print(json.dumps(found))
