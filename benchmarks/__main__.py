"""Run the benchmarks: ``python -m benchmarks [--quick] [--only freshness,cost,...]``.

A full run writes ``benchmarks/results/latest.json`` and ``docs/performance.md``;
a ``--quick`` or ``--only`` run writes ``benchmarks/results/partial.json``
instead (unless ``--out`` says otherwise), so it never replaces the committed
figures with partial ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from ._common import (
    RESULTS,
    ROOT,
    Section,
    dirty_files,
    git_commit,
    install_recording_comm,
    machine,
    poller_threads,
    table,
    versions,
)

SECTIONS = ("freshness", "cost", "states", "scale", "kernel", "frontend", "logs", "bigtable")
DOCS = ROOT / "docs" / "performance.md"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="shorter windows and fewer runs (about a minute and a half)"
    )
    parser.add_argument("--only", default="", help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON results")
    parser.add_argument(
        "--render-docs",
        action="store_true",
        help="only rewrite docs/performance.md from benchmarks/results/latest.json (runs nothing)",
    )
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="rewrite docs/performance.md (default: full runs only)",
    )
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    args.sections = [s for s in SECTIONS if not only or s in only]
    args.partial = args.quick or bool(only)
    if args.out is None:
        args.out = RESULTS / ("partial.json" if args.partial else "latest.json")
    if args.docs is None:
        args.docs = not args.partial
    return args


def _goal_lines(sections: list[Section]) -> list[str]:
    lines = []
    for sec in sections:
        for r in sec.rows:
            if r.goal:
                state = "met" if r.met else ("NOT MET" if r.met is not None else "not measured")
                lines.append(f"[{state}] {sec.key}: {r.metric} — goal {r.goal}")
    return lines


def write_docs(path: Path, report: dict, sections: list[Section]) -> None:
    m = report["machine"]
    out = [
        "# Performance",
        "",
        "Measured by the benchmarks in `benchmarks/` against the local sandbox. Reproduce with",
        "",
        "```sh",
        "make bench            # or: .venv/bin/python -m benchmarks",
        "```",
        "",
        "(`--quick` for a short run, `--only freshness,cost,scale,kernel,frontend` to pick sections; the",
        "raw figures of the run below are in `benchmarks/results/latest.json`.)",
        "",
        f"- **Date:** {report['date']}",
        f"- **Commit:** {report.get('commit') or 'unknown'}"
        + (
            f" (with uncommitted changes to {', '.join(report['uncommitted_package_files'])})"
            if report.get("uncommitted_package_files")
            else ""
        ),
        f"- **Machine:** {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['memory_gib']} GiB, load average at start {m['load_average_at_start']}; "
        f"Python {m['python']} on {m['platform']}",
        f"- **Run time:** {report['total_seconds']:.0f} s",
        "",
        "The machine is shared and noisy, so every comparison is measured side by side in the same run:",
        "the baseline runs at the same time as (or interleaved with) what it is compared with, and the",
        "ratio column is baseline ÷ measured (higher is better).",
        "",
        "## Goals",
        "",
    ]
    out += [f"- {line}" for line in _goal_lines(sections)]
    for sec in sections:
        out += ["", f"## {sec.title}", ""]
        if sec.skipped:
            out += [f"Skipped: {sec.skipped}", ""]
            if not sec.rows:
                continue
        out += ["```", *table(sec).splitlines()[1:], "```"]
    out += [
        "",
        "## Reading the figures",
        "",
        "- **Freshness** is the delay a person watching the widget sees: from the sandbox changing a",
        "  deployment's state to the widget's trait holding the new state. While a deployment moves, the",
        "  widget polls every second, so the delay is half a second on average; the SDK's own await",
        "  loop sleeps 5 s between looks. Out of a stable state a visible widget polls every 5 s, the",
        "  same as the SDK loop: the polling limit for a change nobody announced is half that plus the",
        "  round trip, and the 'out of stable' rows draw each change at a uniformly random phase of both",
        "  schedules, so they compare the schedules, not one lucky or unlucky draw.",
        "- **Request cost** is the price of that freshness: 60/min only while something moves, 12/min",
        "  when stable and on screen, 2/min when no view is visible.",
        "- **Backend cost (states)**: the real backend computes a deployment's state from Kubernetes on",
        "  every read, and the list computes all of them, so the price of a round is the number of states",
        "  computed, not of requests. Each round the project loop reads single GETs (one state each) or",
        "  the list (N states, N known from the last list), whichever costs fewer; an unknown N means",
        "  GETs. A detail widget costs what the SDK's own loop would for its deployment; the overview",
        "  reads its rows in view and its moving rows by GET and the whole list every max(30 s, N × 30 ms)",
        "  (at once on Refresh, or for a filter over an old list). Requests per minute go up where states",
        "  go down: at N = 2,000 the overview sends more, smaller requests than the old one-list loop.",
        "- **Scale**: detail widgets of K deployments of one project share one loop and cost one state",
        "  each per round; several widgets of one deployment share one poller.",
        "- **Bytes per change**: history and the instance series travel as appended entries, and an entry",
        "  a view already has as a patch of its changed fields, so an update stays flat as a widget ages.",
        "- **Kernel**: `import hops_widgets` is lazy (the widget, anywidget and the SDK load on first use);",
        "  idle CPU is measured without ipykernel, so it is the widgets' share only.",
        "- **Frontend**: the view updates only the parts whose traits changed; the baseline re-renders the",
        "  whole view for every update.",
        "",
        "## Caveats",
        "",
        "- Freshness out of a stable state is no better than the SDK's loop when nothing else in the",
        "  project moves: a visible widget on a Running deployment polls every 5 s, so a change made",
        "  elsewhere (another notebook, the UI) shows up within 5 s, 2.5 s on average, and a stop that",
        "  completes in less than that can pass without its Stopping state being shown. While another",
        "  deployment of the project moves, the shared loop polls every second for all of them. Actions",
        "  taken through the widget (or in code) poll at once and then every second.",
        "- With 20 to 60 samples a median moves by a few tenths of a second from run to run; the",
        "  out-of-stable goal allows the widget 10 % over the SDK loop's median for that noise.",
        "- The freshness figure for start steps is for a widget that has already seen the deployment move",
        "  (fast polling); the sandbox's steps are scripted with 1.5–4.5 s between them.",
        "- Request cost per minute is measured on a simulated clock (real Poller threads, real HTTP, real",
        "  sandbox; only time is simulated); the kernel section checks the stable rates in real time.",
        "- Idle CPU and memory are measured in plain Python processes standing in for kernels (no",
        "  ipykernel, no ZeroMQ); comm messages are JSON-encoded by a recording comm as a kernel would.",
        "- The frontend timings use the real `js/widget.js` on a fake model in headless Chromium, not",
        "  JupyterLab; they cover the view's own work, not the widget manager's.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.render_docs:
        report = json.loads((RESULTS / "latest.json").read_text())
        write_docs(DOCS, report, [Section.from_json(s) for s in report["sections"].values()])
        print(f"wrote {DOCS.relative_to(ROOT)} from {(RESULTS / 'latest.json').relative_to(ROOT)}")
        return 0
    install_recording_comm()  # every widget of this process gets a comm that encodes and counts its messages
    started = time.monotonic()
    report: dict = {
        "date": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
        "sections_run": args.sections,
        "machine": machine(),
        "commit": git_commit(),
        "uncommitted_package_files": dirty_files(),
        "versions": versions(),
        "sections": {},
    }
    print(
        f"hops-widgets benchmarks ({'quick' if args.quick else 'full'}): {', '.join(args.sections)}\n"
        f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"Python {report['machine']['python']}, load {report['machine']['load_average_at_start']}\n",
        flush=True,
    )
    sections: list[Section] = []
    failed = False
    for key in args.sections:
        module = importlib.import_module(f"benchmarks.{key}")
        t0 = time.monotonic()
        try:
            sec = module.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            traceback.print_exc()
            sec = Section(key, key, skipped=f"failed: {type(exc).__name__}: {exc}")
            failed = True
        sec.seconds = time.monotonic() - t0
        left = poller_threads()
        if left:
            print(f"warning: {len(left)} poller thread(s) still running after {key}", file=sys.stderr)
        sections.append(sec)
        report["sections"][key] = sec.to_json()
        print(table(sec) + "\n", flush=True)
    report["total_seconds"] = time.monotonic() - started
    goals = _goal_lines(sections)
    report["goals"] = goals
    print("== Goals ==")
    print("\n".join(goals) if goals else "(none measured)")
    if failed and args.out == RESULTS / "latest.json":
        # never replace the committed figures by a broken run
        args.out = RESULTS / "failed.json"
        args.docs = False
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(args.out)
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}", end="")
    if args.docs:
        write_docs(DOCS, report, sections)
        print(f" and {DOCS.relative_to(ROOT)}", end="")
    print(f" in {report['total_seconds']:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
