"""nbval on the stored guides: say how to bring the stored outputs up to date when they differ."""

from __future__ import annotations

import pytest

HINT = (
    "The stored outputs of this guide differ from what the code produces now. If the change is meant "
    "(a new message, a new snapshot), re-execute the guides and commit them: `make notebooks`. If it is "
    "not, the code broke what the guide shows."
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    differ = report.failed and "Cell outputs differ" in str(report.longrepr)
    if report.when == "call" and differ and type(item).__name__ == "IPyNbCell":
        report.sections.append(("how to fix", HINT))
    return report
