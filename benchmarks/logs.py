"""Logs: requests while the section is open or not, bytes per update, and how soon a failure's logs show.

Everything real: a sandbox over loopback, the built-in client, a
:class:`DeploymentDetail` (the detail's state, what the widget and the overview
use) with its Logs section opened and its view reported on screen or not, the way
the frontend does. Requests are counted in the sandbox's request log.

* requests per minute to the logs endpoint, over a real-time window each: section
  open with its view on screen, open with the view off screen, closed. Baseline:
  the Hopsworks UI's log view, which refreshes every 2 s (30 per minute).
* bytes per log update, as the JSON the comm would carry, for 1, 10 and 100 new
  lines in a buffer of 1,000 lines. Baseline: resending the whole buffer.
* from FAILED seen by the kernel (a failure at STARTED) to the first log line
  published to the view, median of several failures. No baseline: the SDK's
  user calls ``get_logs()`` by hand.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from typing import Any

from ._common import Section, log

NAME = "logs-bench"


def _requests(sb: Any) -> int:
    return len(sb.requests(endpoint="serving_logs"))


def _detail(sb: Any, name: str, deltas: list[dict[str, Any]] | None = None):
    from hops_widgets.widget import DeploymentDetail

    deployment = sb.login().get_model_serving().get_deployment(name)

    def on_values(values: dict[str, Any]) -> None:
        if deltas is not None and "logs_delta" in values:
            deltas.append(values["logs_delta"])

    detail = DeploymentDetail(deployment, on_values=on_values)
    detail._restarts.close()  # the Logs section's own reads here; the restart checks: benchmarks/restarts.py
    return detail


def rates(sb: Any, window_s: float) -> dict[str, float]:
    out = {}
    d = _detail(sb, NAME)
    try:
        for label, is_open, on_screen in (
            ("open, on screen", True, True),
            ("open, off screen", True, False),
            ("closed", False, True),
        ):
            d.set_visible(on_screen)
            d.commands()["logs"]({"open": is_open, "follow": True})
            time.sleep(0.5)  # let a fetch in flight finish before counting
            before = _requests(sb)
            time.sleep(window_s)
            out[label] = (_requests(sb) - before) / (window_s / 60)
    finally:
        d.close()
    return out


def bytes_per_update(sb: Any) -> dict[str, Any]:
    deltas: list[dict[str, Any]] = []
    d = _detail(sb, NAME, deltas)
    book = d._logs
    try:
        book.TAIL = 5000  # the whole buffer in one window
        sb.append_log(NAME, "\n".join(f"warm-up line {i}: GET /v1/models/x 200 3.1ms" for i in range(1000)))
        d.set_visible(True)
        d.commands()["logs"]({"open": True, "follow": False})  # one fetch on opening; the rest by hand
        deadline = time.monotonic() + 10
        while book.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        book.fetch_once()
        out = {}
        for k in (1, 10, 100):
            deltas.clear()
            sb.append_log(NAME, "\n".join(f"request {k}-{i}: POST /v1/models/x:predict 200 4.2ms" for i in range(k)))
            book.fetch_once()
            delta = next(x for x in deltas if x["lines"])
            out[k] = {
                "lines": len(delta["lines"]),
                "delta_bytes": len(json.dumps(delta)),
                "buffer_bytes": len(json.dumps(book.buffer())),
            }
        return out
    finally:
        d.close()


class _FirstLine:
    """Notes when a detail first shows FAILED and when its first log line is published."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.done = threading.Event()

    def __call__(self, values: dict[str, Any]) -> None:
        now = time.perf_counter()
        if values.get("status") == "FAILED":
            self.seen.setdefault("failed", now)
        delta = values.get("logs_delta")
        if delta and delta.get("lines"):
            self.seen.setdefault("line", now)  # the fetch may even beat the status message out
        if "failed" in self.seen and "line" in self.seen:
            self.done.set()


def failure_to_first_line(sb: Any, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        name = f"logs-fail-{i}"
        sb.add_deployment(name, model_name="bench", status="Stopped")
        sb.fail(name, step="STARTED", reason="predictor.py raised an error")
        watch = _FirstLine()
        d = _detail(sb, name)
        d._on_values = watch
        try:
            d.set_visible(True)
            d._await_first_update(10)
            d.start()
            if not watch.done.wait(60):
                raise RuntimeError(f"no log line after the failure of {name}")
            times.append(max(0.0, watch.seen["line"] - watch.seen["failed"]))
        finally:
            d.close()
    return times


def run(quick: bool = False) -> Section:
    from hops_widgets import sandbox

    window = 10.0 if quick else 30.0
    runs = 3 if quick else 7
    sec = Section(
        "logs",
        "Logs: requests by section state, bytes per update, a failure's first line",
        baseline="the Hopsworks UI's 2 s log refresh; resending the whole buffer",
        how=[line.strip() for line in __doc__.split("\n\n")[1:] if line.strip()],
    )
    with sandbox.start(speed=20) as sb:
        sb.add_deployment(NAME, model_name="bench", status="Running")
        log(f"logs: request rates, {window:g} s per situation")
        rate = rates(sb, window)
        log("logs: bytes per update")
        sizes = bytes_per_update(sb)
        log(f"logs: failure to first line, {runs} failures")
        first = failure_to_first_line(sb, runs)
    sec.data = {"rates_per_min": rate, "bytes": sizes, "failure_to_first_line_s": first, "window_s": window}
    goals = {"open, on screen": 30, "open, off screen": 0, "closed": 0}
    for label, value in rate.items():
        goal = goals[label]
        sec.add(
            f"log requests per minute, section {label}",
            value,
            "/min",
            30.0 if label == "open, on screen" else None,
            goal=f"≤ {goal}",
            met=value <= goal + (1 if goal else 0),
            compare=label == "open, on screen",
        )
    for k, row in sizes.items():
        sec.add(
            f"bytes per log update, {k} new line{'s' if k > 1 else ''} (buffer of ~1000)",
            row["delta_bytes"],
            "B",
            row["buffer_bytes"],
            note=f"{row['delta_bytes'] / k:.0f} B per new line",
        )
    sec.add(
        "FAILED seen → first log line published, median",
        statistics.median(first),
        "s",
        compare=False,
        note=f"max {max(first):.2f} s over {len(first)} failures (the section opens by itself)",
    )
    return sec
