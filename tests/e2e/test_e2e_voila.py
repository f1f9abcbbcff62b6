"""Voilà: ``hops-widgets dashboard`` (examples/dashboard.ipynb on its own sandbox), as a user runs it.

The command starts a sandbox, hands it to Voilà through the environment and prints the dashboard's
address; the test opens it in Chromium: the overview of every deployment with frauddetector's detail
open under it. A start made elsewhere (through the sandbox, not the page) walks churnmodel's row
Created → Starting → Running with nobody touching the page; a click on the row opens its detail, whose
Stop button works. SIGTERM (and SIGHUP) stop Voilà, its kernel and the sandbox, and remove their
temporary files, as for ``hops-widgets demo``.

Offline, Voilà's template fails to load its icon font stylesheets from cdn.jsdelivr.net; the test
answers those requests with a network error at once (no real network, no wait) and the console error
this gives is allow-listed in conftest.py.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from hops_widgets.sandbox import ENV_CA, ENV_KEY, ENV_URL, RemoteSandbox

from .e2e_hops import edge_state, open_diagrams, wait_lit
from .e2e_notebook import ARTIFACTS
from .e2e_servers import DashboardProcess, require_tool
from .hosts_recorder import RECORDER, seen

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

OVERVIEW = ".hops-overview"


@pytest.fixture
def dashboard(tmp_path, browser):
    require_tool("voila", "Voilà")
    process = DashboardProcess(tmp_path / "dashboard", ARTIFACTS / "logs")
    process.start()
    yield process
    process.stop()
    assert process.processes() == [], "the dashboard left processes running"


def _sandbox(process: DashboardProcess) -> RemoteSandbox:
    """The dashboard's sandbox, from the ``export`` lines it printed for other processes."""
    exported = dict(re.findall(r"^\s*export (HOPS_WIDGETS_SANDBOX_\w+)=(\S+)$", process.output, re.MULTILINE))
    return RemoteSandbox(exported[ENV_URL], exported[ENV_KEY], ca_path=exported.get(ENV_CA))


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _assert_stopped_cleanly(process: DashboardProcess, signum: int) -> None:
    code = process.signal(signum)
    assert code == 0, process.output
    name = signal.Signals(signum).name
    assert f"{name} received: stopping the dashboard." in process.output
    assert "Stopping Voilà and its kernels..." in process.output and "Sandbox stopped." in process.output
    _wait(lambda: process.processes() == [], 10, "every process of the dashboard to end")
    assert process.temp_folders() == [], "temporary files left behind"


def test_dashboard_is_live_in_voila(dashboard, page):
    sb = _sandbox(dashboard)
    started = time.monotonic()
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page.on("dialog", lambda dialog: dialog.accept())  # Stop asks for confirmation
    page.add_init_script(RECORDER)
    page.goto(dashboard.dashboard_url)

    overview = page.locator(OVERVIEW)
    opened = page.locator(".hops-detail")  # the overview's open row, drawn below its table
    _wait(lambda: overview.locator("tr.hops-row").count() == 4, 60, "the overview's rows")
    _wait(lambda: opened.count() == 1 and opened.locator(".hops-name").inner_text() == "frauddetector", 30, "detail")
    assert "connect_or_start" not in page.locator("body").inner_text(), "Voilà shows the outputs, not the code"
    first_paint_s = time.monotonic() - started

    # Live: a start made elsewhere walks the row with nobody touching the page. Nothing tells the
    # kernel of it, so the overview finds it at its stable cadence (5 s); at the dashboard's real-time
    # speed Starting lasts 6 s, so every phase is seen.
    assert sb.status("churnmodel") == "Created"
    sb.start_deployment("churnmodel")
    _wait(lambda: seen(page).get("row:churnmodel", [])[-1:] == ["Running"], 60, "the row to show Running")
    walked = seen(page)
    assert walked["row:churnmodel"] == ["Created", "Starting", "Running"], walked
    assert walked["open"][-1] == "RUNNING", walked  # frauddetector's detail, all along

    # A click on the row opens its detail in place of the other; its Stop works, the row follows.
    overview.locator('tr.hops-row[data-name="churnmodel"]').click()
    _wait(lambda: opened.locator(".hops-name").inner_text() == "churnmodel", 30, "churnmodel's detail")
    _wait(lambda: opened.get_attribute("data-status") == "RUNNING", 30, "churnmodel's detail to show Running")
    # its state diagrams, unfolded first, follow the stop through the overview's channel
    open_diagrams(opened)
    wait_lit(opened, {"status": "RUNNING", "start": "READY/true"})
    page.evaluate("() => { window.__hopsSeen.open = []; window.__hopsSeen['row:churnmodel'] = []; }")
    opened.locator('button[data-action="stop"]').click()
    _wait(lambda: seen(page).get("row:churnmodel", [])[-1:] == ["Stopped"], 60, "the row to show Stopped")
    _wait(lambda: seen(page).get("open", [])[-1:] == ["STOPPED"], 30, "the detail to show Stopped")
    wait_lit(opened, {"status": "STOPPED", "start": "", "stop": "STOPPED/true"})
    assert edge_state(opened, "STOPPING>STOPPED") == "last" and edge_state(opened, "RUNNING>STOPPING") == "taken"
    assert "STOPPING" in seen(page)["open"], seen(page)
    assert sb.status("churnmodel") == "Stopped"
    live_s = time.monotonic() - started

    page.close()
    _assert_stopped_cleanly(dashboard, signal.SIGTERM)
    print(
        f"voila: first paint {first_paint_s:.1f} s, live checks {live_s:.1f} s, all {time.monotonic() - started:.1f} s"
    )


def test_dashboard_stops_cleanly_on_sighup(dashboard):
    _assert_stopped_cleanly(dashboard, signal.SIGHUP)
