"""Root pytest plugin: a per-suite count of results at the end of every run.

CI logs then say how many browser, notebook (nbval) and SDK tests really
passed, not only a grand total, and how many browser tests needed their one
retry ("rerun"), so a flaky test stays visible even when the run is green.
"""

from __future__ import annotations

SUITES = (
    ("notebooks/", "notebooks (nbval)"),
    ("tests/e2e/", "browser (e2e)"),
    ("tests/hosts/", "hosts"),
    ("tests/sdk/", "hopsworks SDK"),
    ("tests/conformance/", "conformance"),
    ("tests/docs/", "docs and release"),
    ("tests/reliability/", "reliability"),
    ("tests/integration/", "integration"),
    ("tests/unit/", "unit"),
)


def _suite(nodeid: str) -> str:
    for prefix, name in SUITES:
        if nodeid.startswith(prefix):
            return name
    return "other"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "rerun"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if not nodeid or getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome in ("passed", "rerun") and report.when != "call":
                continue
            row = counts.setdefault(_suite(nodeid), {})
            row[outcome] = row.get(outcome, 0) + 1
    if not counts:
        return
    terminalreporter.section("hops-widgets: results per suite")
    for _, name in (*SUITES, ("", "other")):
        row = counts.get(name)
        if row:
            parts = ", ".join(f"{n} {k}" for k, n in sorted(row.items()))
            terminalreporter.write_line(f"{name:<20} {parts}")
