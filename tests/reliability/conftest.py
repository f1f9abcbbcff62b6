"""Fixtures for the reliability suite: a sandbox with a distinctive key, widgets that are always
closed, and a guard that fails a test when any thread died or a subscriber raised.

The real hopsworks SDK fixtures of ``tests/sdk`` are re-exported here, so the SDK cases of this
suite log in exactly as the SDK tests do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import poller as poller_mod
from hops_widgets import sandbox
from hops_widgets.sandbox import ManualClock
from tests.sdk.conftest import hopsworks_sdk, sdk_env, sdk_project, sdk_sandbox  # noqa: F401 - fixtures

# A key nobody would type by chance: any occurrence of it anywhere is a leak.
SECRET_KEY = "hwk-SECRET-7f3a9c2e51d84b6c-reliability"
NAME = "frauddetector"

# Small intervals: the tests are about behaviour, not about the default figures
# (those are checked with the injectable clock in test_backoff.py).
FAST = {
    "fast_s": 0.05,
    "stable_s": 0.05,
    "hidden_s": 0.05,
    "backoff_min_s": 0.05,
    "backoff_max_s": 0.2,
}


def wait_until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> float:
    """Poll ``predicate`` every 10 ms; return the seconds it took, fail after ``timeout``."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.01)


def poller_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("hops-widgets-poller") and t.is_alive()]


class Guard:
    """What went wrong off the test's own thread."""

    def __init__(self) -> None:
        self.thread_errors: list[str] = []
        self.log_errors: list[logging.LogRecord] = []


class _ErrorLogs(logging.Handler):
    def __init__(self, guard: Guard) -> None:
        super().__init__(logging.ERROR)
        self.guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("hops_widgets") and not record.name.startswith("hops_widgets.sandbox"):
            self.guard.log_errors.append(record)


@pytest.fixture(autouse=True)
def guard(monkeypatch):
    """Fail the test if a thread died of an exception, or the poller logged a swallowed error.

    The poller deliberately survives a failing subscriber (it logs and goes on); that would
    hide a widget bug from a test, so error records of hops_widgets count as failures too.
    At the end no poller thread may be left running.
    """
    g = Guard()
    previous = threading.excepthook

    def hook(args):
        g.thread_errors.append(
            f"{args.thread.name if args.thread else '?'}: {args.exc_type.__name__}: {args.exc_value}"
        )
        previous(args)

    monkeypatch.setattr(threading, "excepthook", hook)
    handler = _ErrorLogs(g)
    logging.getLogger().addHandler(handler)
    try:
        yield g
    finally:
        logging.getLogger().removeHandler(handler)
    assert not g.thread_errors, f"threads died: {g.thread_errors}"
    assert not g.log_errors, "errors logged: " + "; ".join(r.getMessage() for r in g.log_errors)
    wait_until(lambda: not poller_threads(), 10, "every poller thread gone at the end of the test")
    assert poller_mod.active_pollers() == []


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    """Widgets outside a kernel: a comm that goes nowhere."""
    monkeypatch.setattr(comm, "create_comm", DummyComm)


@pytest.fixture
def widgets():
    """``widgets(obj, **options)`` shows a widget (display=False) that is closed after the test."""
    made = []

    def make(obj, **options):
        w = hops_widgets.show(obj, display=False, **{**FAST, **options})
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sb(clock):
    """A seeded HTTP sandbox with the distinctive key; its time moves only with ``sb.advance``."""
    with sandbox.start(clock=clock, api_key=SECRET_KEY) as handle:
        yield handle


@pytest.fixture
def project(sb):
    with sb.login(timeout=2) as proj:
        yield proj


@pytest.fixture
def fraud(project):
    return project.get_model_serving().get_deployment(NAME)
