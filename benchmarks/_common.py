"""Shared pieces of the benchmarks: result rows, tables, statistics, machine facts, a recording comm."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------- statistics
def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); q in 0..100."""
    values = sorted(values)
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    pos = (len(values) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def summary(values: Iterable[float]) -> dict[str, Any]:
    values = list(values)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": median(values),
        "p95": percentile(values, 95),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


# ---------------------------------------------------------------- results
@dataclass
class Row:
    """One line of a table. ``ratio`` is baseline ÷ measured (how many times better) unless given."""

    metric: str
    value: float | None
    unit: str = ""
    baseline: float | None = None
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""
    compare: bool = True  # False: show no ratio (counts, sizes without a like-for-like baseline)

    def __post_init__(self) -> None:
        if self.compare and self.ratio is None and self.baseline is not None and self.value not in (None, 0):
            self.ratio = self.baseline / self.value


@dataclass
class Section:
    key: str
    title: str
    baseline: str = ""  # what the baseline column is
    how: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""
    seconds: float = 0.0

    def add(self, *args: Any, **kwargs: Any) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Section:
        names = {f for f in cls.__dataclass_fields__}
        sec = cls(**{k: v for k, v in data.items() if k in names and k != "rows"})
        sec.rows = [Row(**row) for row in data.get("rows", [])]
        return sec

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["goals"] = [
            {"metric": r.metric, "goal": r.goal, "met": r.met, "value": r.value, "ratio": r.ratio}
            for r in self.rows
            if r.goal
        ]
        return out


def fmt_num(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 10):
        return f"{int(value):,}".replace(",", " ")
    a = abs(value)
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    if a >= 0.01:
        return f"{value:.3f}"
    if a == 0:
        return "0"
    return f"{value:.2g}"


def fmt_value(value: float | None, unit: str) -> str:
    text = fmt_num(value)
    return text if value is None or not unit else f"{text} {unit}"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio >= 100:
        return f"{ratio:.0f}×"
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:.1f}×"


def table(section: Section) -> str:
    """The section as a plain-text table with a title and the method notes."""
    lines = [f"== {section.title} =="]
    if section.skipped:
        lines.append(f"SKIPPED: {section.skipped}")
        return "\n".join(lines)
    if section.baseline:
        lines.append(f"baseline: {section.baseline}; ratio = baseline ÷ measured (higher is better)")
    header = ["metric", "measured", "baseline", "ratio", "goal", "met"]
    body = []
    for r in section.rows:
        met = "—" if r.met is None else ("yes" if r.met else "NOT MET")
        body.append(
            [
                r.metric,
                fmt_value(r.value, r.unit),
                fmt_value(r.baseline, r.unit),
                fmt_ratio(r.ratio),
                r.goal or "—",
                met,
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    sep = "  "

    def line(cells: list[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:4], widths[1:4], strict=False)]
        out += [c.ljust(w) for c, w in zip(cells[4:], widths[4:], strict=False)]
        return sep.join(out).rstrip()

    lines.append(line(header))
    lines.append(sep.join("-" * w for w in widths))
    lines += [line(b) for b in body]
    notes = [f"  * {r.metric}: {r.note}" for r in section.rows if r.note]
    if notes:
        lines.append("notes:")
        lines += notes
    if section.how:
        lines.append("how:")
        lines += [f"  - {h}" for h in section.how]
    lines.append(f"({section.seconds:.0f} s)")
    return "\n".join(lines)


# ---------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    mem = None
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal"):
                mem = round(int(text.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": mem,
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def dirty_files() -> list[str]:
    """Files of the package that differ from the commit (the run used the working tree)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "hops_widgets", "js"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return [line[3:] for line in out.stdout.splitlines() if line.strip()]
    except (OSError, subprocess.SubprocessError):
        return []


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("hops-widgets", "anywidget", "ipywidgets", "traitlets", "comm", "requests", "werkzeug", "playwright"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


# ---------------------------------------------------------------- recording comm
def install_recording_comm() -> type:
    """Replace ``comm.create_comm`` by a comm that serialises every message as a kernel would and counts it.

    Without a kernel ipywidgets uses ``comm.DummyComm``, which drops messages for
    free; this one does the JSON encoding a kernel's session does, so CPU figures
    include it, and it counts messages and bytes per widget.
    """
    import comm

    class RecordingComm(comm.DummyComm):
        keep = False  # class-wide switch: also store the messages themselves
        instances: list = []  # noqa: RUF012 - shared on purpose

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.messages: list[tuple[str, Any]] = []
            self.updates = 0
            self.update_bytes = 0
            self.sent = 0
            self.sent_bytes = 0
            super().__init__(*args, **kwargs)

        def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any):
            payload = json.dumps(
                {"msg_type": msg_type, "content": {"comm_id": self.comm_id, "data": data}, "metadata": metadata or {}},
                default=str,
                separators=(",", ":"),
            )
            self.sent += 1
            self.sent_bytes += len(payload)
            if msg_type == "comm_msg" and isinstance(data, dict) and data.get("method") == "update":
                self.updates += 1
                self.update_bytes += len(payload)
            if RecordingComm.keep:
                self.messages.append((msg_type, data))

    def create(*args: Any, **kwargs: Any) -> RecordingComm:
        return RecordingComm(*args, **kwargs)

    comm.create_comm = create
    return RecordingComm


# ---------------------------------------------------------------- misc
def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def poller_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("hops-widgets-poller")]


def visible(widget: Any, view: str = "bench-view", on: bool = True) -> None:
    """Tell a widget that one of its views is on screen, the way the frontend does (a custom comm message)."""
    msg = {"type": "visibility", "view": view, "visible": on}
    widget._handle_msg({"content": {"data": {"method": "custom", "content": msg}}, "buffers": []})


def log(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)
