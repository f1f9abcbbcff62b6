"""What a newcomer meets in the detail widget, in real JupyterLab: an outage marks the badge as
last known, a deleted deployment and a rejected API key say so and slow down, and a start called
in code is followed live (Starting is seen before Running) with the default polling options."""

from __future__ import annotations

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView, describe, save_trace

pytestmark = pytest.mark.e2e


def badge_note(view: DeploymentView) -> str | None:
    """The "last known" note inside the badge, or None while it is hidden."""
    note = view.part(".hops-badge .hops-badge-stale")
    return note.text_content().strip() if note.is_visible() else None


def test_outage_marks_the_badge_as_last_known_then_recovers(open_lab):
    nb = open_lab(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("frauddetector"), {POLL}, backoff_min_s=0.3, '
            "backoff_max_s=0.6)",
            'fault = sb.http_error(503, deployment="frauddetector")',
            "sb.clear_fault(fault)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")
    assert badge_note(view) is None
    assert "hops-stale" not in (view.part(".hops-badge").get_attribute("class") or "")

    nb.run_cell(2)
    failing = view.wait_until(lambda s: s.error is not None, "the error banner", timeout_s=20)
    assert failing.badge == "Running"  # the word stays, but it is no longer presented as current
    assert badge_note(view) == "last known"
    assert "hops-stale" in view.part(".hops-badge").get_attribute("class")
    assert view.root.get_attribute("data-stale") == "true"
    assert "out of date" in view.part(".hops-badge").get_attribute("title")
    assert view.part(".hops-badge-icon").text_content() == "?"  # not the confident tick

    nb.run_cell(3)
    view.wait_until(lambda s: s.error is None, "recovery", timeout_s=20)
    assert badge_note(view) is None and view.root.get_attribute("data-stale") == "false"


def test_deleted_deployment_says_not_found_disables_actions_and_recovers(open_lab):
    nb = open_lab(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("churnmodel"), {POLL}, backoff_max_s=1)',
            'gone = sb.http_error(404, deployment="churnmodel")',  # the server forgets it for a while
            "sb.clear_fault(gone)",
            'sb.delete_deployment("churnmodel")\nw.refresh()',  # and now for good
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("CREATED")
    assert view.button("start").is_enabled()

    nb.run_cell(2)
    gone = view.wait_status("NOT_FOUND", timeout_s=20)
    assert gone.badge == "Not found" and "no longer exists" in gone.message, gone
    assert not view.button("start").is_enabled() and not view.button("stop").is_enabled()
    assert view.button("refresh").is_enabled()
    polling = view.part(".hops-polling")
    assert polling.get_attribute("data-mode") == "backoff"
    assert nb.kernel_json("w.interval_s") >= 0.75, "a deleted deployment is polled at the slowest rate"

    nb.run_cell(3)
    back = view.wait_status("CREATED", timeout_s=20)
    assert back.error is None and view.button("start").is_enabled()

    nb.run_cell(4)
    view.wait_status("NOT_FOUND", timeout_s=20)
    assert not view.button("start").is_enabled()


def test_rejected_api_key_says_what_to_do_waits_long_and_recovers(open_lab):
    nb = open_lab(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("frauddetector"), {POLL}, backoff_max_s=45)',
            "key = sb.http_error(401)\nw.refresh()",
            "sb.clear_fault(key)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")

    nb.run_cell(2)
    failing = view.wait_until(lambda s: s.error is not None, "the error banner", timeout_s=20)
    assert "API key was rejected" in failing.error and "log in again" in failing.error, failing.error
    assert "every 45 s" in failing.error, failing.error
    assert badge_note(view) == "last known"
    # one try, then the slowest interval at once, not 2 s, 4 s, 8 s…
    interval = nb.kernel_json("w.interval_s")
    assert 45 * 0.75 <= interval <= 45, interval
    requests = nb.kernel_json('len(sb.requests(endpoint="serving_get"))')
    nb.page.wait_for_timeout(3000)
    assert nb.kernel_json('len(sb.requests(endpoint="serving_get"))') == requests, "it kept retrying"

    nb.run_cell(3)
    view.button("refresh").click()  # the key works again: Refresh checks now
    view.wait_until(lambda s: s.error is None, "recovery after the key works", timeout_s=20)
    assert badge_note(view) is None
    assert "checked just now" in view.part(".hops-checked").text_content()


def test_a_start_called_in_code_is_followed_live_with_default_polling(open_lab):
    # Default options (5 s when stable): without the action hook the widget would jump from
    # Stopped to Running at this speed and never show Starting.
    nb = open_lab(
        [
            SETUP.replace("speed=1", "speed=10") + 'settle("churnmodel", "start", "Running", speed=10)\n'
            'settle("churnmodel", "stop", "Stopped", speed=10)',
            'd = serving.get_deployment("churnmodel")\nw = hops_widgets.show(d)',
            "d.start(await_running=0)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("STOPPED")
    nb.page.wait_for_timeout(1500)  # settle into the stable interval
    assert nb.kernel_json("w.polling") == "stable"

    view.record()
    nb.run_cell(2)
    view.wait_status("RUNNING", timeout_s=30)
    log = view.stop_recording()
    trace = save_trace("lab-start-in-code", log)
    statuses = [s.status for s in log]
    assert "STARTING" in statuses, f"the badge never read Starting:\n{describe(log)}"
    assert statuses.index("STARTING") < statuses.index("RUNNING"), trace
    assert any(s.badge == "Starting" for s in log), trace


LONG_NAME = "customerLifetimeValueForecasterEuWestProductionV2release0001"  # 60 characters
LONG_MODEL = "customer_lifetime_value_gradient_boosting_v2"  # 44 characters
LONG_REASON = "predictor.py: ModuleNotFoundError: No module named 'lightgbm' " * 3300  # about 200 KB


def no_horizontal_overflow(locator) -> dict:
    return locator.evaluate(
        "(el) => ({scroll: el.scrollWidth, client: el.clientWidth, parent: el.parentElement.clientWidth})"
    )


def test_real_length_names_and_a_long_history_look_right_light_and_dark(open_lab):
    assert len(LONG_NAME) == 60 and len(LONG_MODEL) == 44
    nb = open_lab(
        [
            SETUP.replace("speed=1", "speed=4")
            + f"sb.add_deployment({LONG_NAME!r}, model_name={LONG_MODEL!r}, model_version=12, "
            "requested_instances=3, min_instances=0, max_instances=4, transformer=True, status='Stopped')\n"
            f"sb.add_deployment('scoring{LONG_NAME[9:]}', model_name={LONG_MODEL!r}, status='Stopped')",
            f"d = serving.get_deployment({LONG_NAME!r})\nw = hops_widgets.show(d, {POLL})",
            "d.start(await_running=0)\nw.wait_for('RUNNING', timeout=60)\n"
            "d.stop(await_stopped=0)\nw.wait_for('STOPPED', timeout=60)\n"
            "d.start(await_running=0)\nw.wait_for('RUNNING', timeout=60)",
            f"sb.fail('scoring{LONG_NAME[9:]}', step='STARTED', reason={LONG_REASON!r})\n"
            f"f = serving.get_deployment('scoring{LONG_NAME[9:]}')\nfw = hops_widgets.show(f, {POLL})\n"
            "f.start(await_running=0)",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 900})
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.run_cell(2)
    nb.wait_cells_done(timeout_s=120)
    running = view.wait_status("RUNNING")
    assert running.name == LONG_NAME and running.model == f"{LONG_MODEL} v12"
    view.part(".hops-history summary").click()
    summary = view.part(".hops-history summary").text_content()
    # Stopped, Starting, Running, Stopping, Stopped, Starting, Running: statuses, not condition steps
    assert summary == "History (7 statuses)", summary
    assert view.part(".hops-timeline > .hops-event").count() == 7
    starting = view.part('.hops-timeline > .hops-event[data-status="STARTING"]').first
    assert starting.locator(".hops-event-step").count() >= 3, "the steps of a start sit inside it"
    stopping = view.part('.hops-timeline > .hops-event[data-status="STOPPING"]').first
    assert "Releasing resources" in stopping.text_content() and "Scheduled" not in stopping.text_content()
    chart = view.part(".hops-chart")
    assert chart.is_visible()
    assert chart.locator(".hops-chart-title").text_content().startswith("Predictor pods that exist, last ")
    assert chart.locator(".hops-chart-axis span").first.text_content() == "3"  # the scale's top
    footer = view.part(".hops-footer").text_content()
    assert "checked" in footer and "changed" in footer, footer
    sizes = no_horizontal_overflow(view.root)
    assert sizes["scroll"] <= sizes["client"] + 1, sizes
    nb.screenshot(view.root, "widget-running", docs=True)

    nb.run_cell(3)
    failed_view = DeploymentView.wait(nb, 3)
    failed = failed_view.wait_status("FAILED", timeout_s=60)
    assert failed.reason.startswith("predictor.py: ModuleNotFoundError")
    reason_box = failed_view.part(".hops-reason").evaluate("(el) => el.getBoundingClientRect().height")
    assert reason_box < 200, f"a 200 KB reason takes {reason_box} px"
    assert "more characters" in failed_view.part(".hops-reason-cut").text_content()
    nb.screenshot(failed_view.root, "widget-failed", docs=True)

    from .e2e_notebook import DARK_THEME

    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "widget-running-dark", docs=True)
