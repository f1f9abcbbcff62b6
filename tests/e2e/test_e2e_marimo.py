"""marimo: the example app (``examples/marimo_app.py``) under ``marimo run``, headless, in Chromium.

The app shows churnmodel's detail widget (``mo.ui.anywidget``) and the overview of every deployment,
and starts churnmodel once the widget is on screen: both walk Created → Starting → Running in the page
with nobody touching it (marimo >= 0.23.14 delivers the poller thread's trait changes). Then "New widget"
runs the widget's cell again: marimo closes the old comm, and hops-widgets closes the old widget with its
cell, so its poller subscription ends (a poller per deployment, one subscriber each, and no thread left
over); the new widget is live, and its Stop button works.

marimo renders every widget inside a shadow root: Playwright's CSS locators pierce open shadow roots,
and the recorder (hosts_recorder.py) walks them.
"""

from __future__ import annotations

import re
import time

import pytest

from hops_widgets import sandbox

from .e2e_hops import edge_state, open_diagrams, wait_lit
from .e2e_notebook import ARTIFACTS
from .e2e_servers import REPO_ROOT, MarimoApp, require_tool
from .hosts_recorder import RECORDER, seen

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

APP = REPO_ROOT / "examples" / "marimo_app.py"
DETAIL = ".hops-deployment:not(.hops-overview):not(.hops-detail)"


@pytest.fixture
def marimo_app(browser):
    require_tool("marimo", "marimo")
    # real time: Starting lasts 6 s and Stopping 2 s, so the overview (polling every second while
    # something moves) sees each phase too, not just the detail
    with sandbox.start(speed=1) as sb:
        app = MarimoApp(APP, ARTIFACTS / "logs", env=sb.env())
        app.start()
        try:
            yield app, sb
        finally:
            app.stop()


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _diagnostics(page) -> dict[str, str]:
    """The app's last cell: poller threads, pollers with their subscriber counts, closed widgets."""
    text = page.get_by_text("closed widgets:").first.inner_text()
    return dict(re.findall(r"(threads|pollers|closed widgets): ([^;]*)", text))


def test_marimo_app_is_live_and_rerun_releases_the_old_widget(marimo_app, page):
    app, sb = marimo_app
    started = time.monotonic()
    page.on("dialog", lambda dialog: dialog.accept())  # Stop asks for confirmation
    page.add_init_script(RECORDER)
    page.goto(app.url)

    detail = page.locator(DETAIL)
    row = page.locator('.hops-overview tr.hops-row[data-name="churnmodel"]')
    # no interaction: the app starts churnmodel, the detail and the overview row follow
    _wait(lambda: seen(page).get("detail", [])[-1:] == ["RUNNING"], 60, "the detail to show Running")
    _wait(lambda: seen(page).get("row:churnmodel", [])[-1:] == ["Running"], 30, "the row to show Running")
    assert sb.status("churnmodel") == "Running"
    walked = seen(page)
    assert walked["detail"] == ["CREATED", "STARTING", "RUNNING"], walked
    assert walked["row:churnmodel"] == ["Created", "Starting", "Running"], walked
    assert walked["delivery"] == ["push"], walked  # the poller thread's sends arrive (marimo >= 0.23.14)
    assert detail.count() == 1 and row.count() == 1
    live_s = time.monotonic() - started

    info = _diagnostics(page)
    assert info["pollers"].split(", ") == ["churnmodel=1", "deployments=1"], info
    assert info["closed widgets"].strip() == "0", info

    # The cell runs again: the old widget closes with it, the new one takes its place.
    page.get_by_role("button", name="New widget").click()
    _wait(lambda: _diagnostics(page).get("closed widgets", "").strip() == "1", 30, "the old widget to close")
    info = _diagnostics(page)
    assert info["pollers"].split(", ") == ["churnmodel=1", "deployments=1"], info  # not churnmodel=2
    # the detail and the overview of one project share its one polling loop: one thread, not one each
    assert info["threads"].strip().split(", ") == ["hops-widgets-poller[project demo]"], info
    _wait(lambda: detail.count() == 1 and detail.get_attribute("data-status") == "RUNNING", 30, "the new widget")

    # The new widget is live and its actions work: Stop walks Stopping → Stopped, the row follows,
    # and so do its state diagrams (unfolded first: drawn inside marimo's shadow root).
    open_diagrams(detail)
    wait_lit(detail, {"status": "RUNNING", "start": "READY/true"})
    page.evaluate("() => { window.__hopsSeen.detail = []; window.__hopsSeen['row:churnmodel'] = []; }")
    detail.locator('button[data-action="stop"]').click()
    _wait(lambda: seen(page).get("detail", [])[-1:] == ["STOPPED"], 60, "the new detail to show Stopped")
    wait_lit(detail, {"status": "STOPPED", "start": "", "stop": "STOPPED/true"})
    assert edge_state(detail, "STOPPING>STOPPED") == "last" and edge_state(detail, "RUNNING>STOPPING") == "taken"
    _wait(lambda: seen(page).get("row:churnmodel", [])[-1:] == ["Stopped"], 30, "the row to show Stopped")
    walked = seen(page)
    assert "STOPPING" in walked["detail"], walked
    assert sb.status("churnmodel") == "Stopped"
    print(f"marimo: Created → Running in {live_s:.1f} s from page load; whole test {time.monotonic() - started:.1f} s")
