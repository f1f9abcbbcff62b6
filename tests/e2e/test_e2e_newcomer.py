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
            f'w = hops_widgets.show(serving.get_deployment("fraud-detector"), {POLL}, backoff_min_s=0.3, '
            "backoff_max_s=0.6)",
            'fault = sb.http_error(503, deployment="fraud-detector")',
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
            f'w = hops_widgets.show(serving.get_deployment("churn-model"), {POLL}, backoff_max_s=1)',
            'gone = sb.http_error(404, deployment="churn-model")',  # the server forgets it for a while
            "sb.clear_fault(gone)",
            'sb.delete_deployment("churn-model")\nw.refresh()',  # and now for good
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
            f'w = hops_widgets.show(serving.get_deployment("fraud-detector"), {POLL}, backoff_max_s=45)',
            'key = sb.http_error(401)\nw.refresh()',
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
            SETUP.replace("speed=1", "speed=10") + 'settle("churn-model", "start", "Running", speed=10)\n'
            'settle("churn-model", "stop", "Stopped", speed=10)',
            'd = serving.get_deployment("churn-model")\nw = hops_widgets.show(d)',
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
