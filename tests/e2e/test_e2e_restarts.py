"""Restarts and crash loops, the scaling configuration in full, missing mandatory tags and Download logs,
in real JupyterLab with a 60-character deployment name."""

from __future__ import annotations

import re

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView

pytestmark = pytest.mark.e2e

LONG_NAME = "customerLifetimeValueForecasterEuWestProductionV2release0001"  # 60 characters
LONG_MODEL = "customer_lifetime_value_gradient_boosting_v2"
# the watch's schedule, faster for the test (0, 30, 90 s, 5 min, then every 10 min; 1 a minute while rising)
FAST_WATCH = (
    "import hops_widgets._restarts as _r\n_r.CHECKS_AFTER_S = (0.0, 3.0)\n_r.RECHECK_S = _r.SLOW_CHECK_S = 3.0\n"
)


def test_a_crash_loop_is_warned_next_to_the_badge_and_opens_that_instances_logs(open_lab):
    assert len(LONG_NAME) == 60
    nb = open_lab(
        [
            SETUP + FAST_WATCH + f"sb.add_deployment({LONG_NAME!r}, model_name={LONG_MODEL!r}, model_version=12, "
            "requested_instances=2, min_instances=1, max_instances=4, status='Running')",
            f"d = serving.get_deployment({LONG_NAME!r})\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 900})
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("RUNNING")
    # the first check: every instance listed with its count, no warning
    view.root.scroll_into_view_if_needed()  # checks are made while a view is on screen
    rows = view.part(".hops-restarts li")
    nb.wait_text(rows.first, re.compile(r"^0 restarts…-predictor-"))
    assert rows.count() == 2
    warning = view.part(".hops-restarting")
    assert warning.is_hidden()

    looping = nb.kernel_json(f"sb.crash_loop({LONG_NAME!r}, instance=1, every_s=1)")
    warning.wait_for(state="visible", timeout=30_000)
    snap = view.snapshot()
    assert snap.status == "RUNNING", "the status still reads Running: that is the point"
    text = warning.text_content()
    assert text.startswith("⚠") and "Keeps restarting" in text, text
    assert looping in warning.get_attribute("title") and "Running" in warning.get_attribute("title")
    counts = dict(
        zip(
            view.part(".hops-restarts li").evaluate_all("(els) => els.map((e) => e.dataset.instance)"),
            view.part(".hops-restart-count").all_text_contents(),
            strict=True,
        )
    )
    assert re.match(r"\d+ restarts, \d+ in 10 min$", counts[looping]), counts
    assert [c for name, c in counts.items() if name != looping] == ["0 restarts"]
    assert view.part(f'.hops-restart-row[data-instance="{looping}"]').get_attribute("data-looping") == "true"
    sizes = view.root.evaluate("(el) => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert sizes["scroll"] <= sizes["client"] + 1, sizes
    nb.screenshot(view.root, "crash-loop-warning", docs=True)

    # the warning opens the Logs section on that instance
    warning.click()
    logs = view.part("details.hops-logs")
    nb.wait_attr(logs, "open", re.compile(".*"))
    select = view.part("select.hops-logs-instance")
    nb.page.wait_for_function(
        "([el, want]) => el.value === want", arg=[select.element_handle(), looping], timeout=30_000
    )
    shown = view.part(".hops-log-line:not([hidden])")
    shown.first.wait_for(timeout=30_000)
    assert set(shown.evaluate_all("(els) => els.map((e) => e.dataset.instance)")) == {looping}
    # the kernel read only what the schedule allows: a handful of checks, not a poll
    reads = nb.kernel_json('len(sb.requests(endpoint="serving_logs"))')
    assert reads < 40, reads

    from .e2e_notebook import DARK_THEME

    logs.locator("summary").click()  # folded again for the dark picture of the header and counts
    nb.set_theme(DARK_THEME)
    nb.page.mouse.move(0, 0)  # no hover state in the picture
    nb.screenshot(view.root, "crash-loop-warning-dark", docs=True)


def test_scaling_rows_missing_tags_and_download_logs(open_lab, tmp_path):
    nb = open_lab(
        [
            SETUP + f"sb.add_llm_deployment(name={LONG_NAME!r}, model_name={LONG_MODEL!r})",
            f"d = serving.get_deployment({LONG_NAME!r})\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 900})
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("RUNNING")
    view.root.scroll_into_view_if_needed()

    view.part(".hops-resources summary").click()
    rows = {
        r.locator("th").text_content(): r.locator("td").all_text_contents()
        for r in view.part(".hops-resources-table tbody tr").all()
    }
    assert rows["Autoscaler"] == ["KEDA"], rows
    assert rows["Scale on"] == ["QUEUE_DEPTH, target 5"]
    assert rows["Also scale on"] == ["KV_CACHE_USAGE, target 80; TIME_TO_FIRST_TOKEN, target 500"]
    assert rows["Cold-start timeout"] == ["900 s"]
    assert rows["Stabilization (up / down)"] == ["0 s / 600 s"]
    assert "Idle scale-to-zero" not in rows  # not sent: absent, not "None"
    for word in ("None", "undefined", "null", "NaN"):
        found = re.search(rf".{{0,60}}\b{word}\b.{{0,60}}", view.part(".hops-resources").text_content())
        assert not found, found
    nb.screenshot(view.root, "scaling-keda", docs=True)
    from .e2e_notebook import DARK_THEME

    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "scaling-keda-dark", docs=True)

    # missing mandatory tags: the problems line says so, and stops when they are set
    nb.kernel_json(f"bool(sb.set_missing_tags({LONG_NAME!r}, ['owner', 'cost_center']))")
    problems = view.part(".hops-problems")
    nb.wait_text(problems, re.compile("Missing mandatory tags: owner, cost_center"))

    # Download logs: the kernel saves the archives next to the notebook and the view names the folder
    nb.kernel_json(f"sb.crash_loop({LONG_NAME!r}, every_s=1) and None")
    nb.kernel_json("time.sleep(3) or None", timeout_s=20)
    view.part("details.hops-logs summary").click()
    download = view.part('button[data-action="logs-download"]')
    assert download.is_visible()
    download.click()
    saved = view.part(".hops-logs-saved")
    text = nb.wait_text(saved, re.compile(r"saved \d+ files? in logs-deployment-"))
    folder = text.rsplit(" in ", 1)[1]
    files = nb.kernel_json(f"__import__('os').listdir({folder!r}) and sorted(__import__('os').listdir({folder!r}))")
    assert files and all(f.endswith("_predictor.log") for f in files), files
    nb.kernel_json(f"__import__('shutil').rmtree({folder!r}) or None")
