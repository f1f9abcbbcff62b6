"""The widget acts as a real cluster allows (issue 21), in real JupyterLab against the conforming sandbox.

Each test is one notebook: a failed deployment comes back by Restart (Start is refused there); a Data
Scientist's Start gets 403 and the project's actions turn off while reading goes on; a stopped
deployment's Logs say there are none while nothing runs; a cold start goes Idle -> Running with no
Starting; a Stop refused mid-start is carried out once the start ends. The sandbox's request log (read
from the kernel) is the truth about what reached the server.
"""

from __future__ import annotations

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView, edge_state, open_diagrams, runs, save_trace

pytestmark = pytest.mark.e2e


def actions_of(name: str) -> str:
    """The kernel expression for the actions POSTed for ``name`` (accepted or refused)."""
    return f'[r["query"] for r in sb.requests(endpoint="serving_action", deployment="{name}")]'


def accept_dialogs(nb) -> list[str]:
    said: list[str] = []

    def on_dialog(dialog):
        said.append(dialog.message)
        dialog.accept()

    nb.page.on("dialog", on_dialog)
    return said


def enabled(view: DeploymentView) -> dict[str, bool]:
    return {a: view.button(a).is_enabled() for a in ("start", "stop", "restart", "refresh")}


def test_a_failed_deployment_comes_back_by_restart_not_start(open_lab):
    nb = open_lab(
        [
            SETUP
            + "sb.add_deployment('churnmodel2', model_name='churn_model', model_version=2, status='Stopped')\n"
            + "sb.fail('churnmodel2', step='STARTED', reason='predictor.py exited with code 1')\n"
            + "settle('churnmodel2', 'start', 'Failed')",
            f"d = serving.get_deployment('churnmodel2')\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    failed = view.wait_status("FAILED")
    assert failed.tone == "error"
    # Start is not offered on Failed (the cluster answers 400 "stop it first"); Restart and Stop are
    assert enabled(view) == {"start": False, "stop": True, "restart": True, "refresh": True}
    advice = view.part(".hops-advice").text_content()
    assert "restart it (stop, then start), or stop it" in advice, advice
    # its crashing pod exists (1 of 1), and that does not read as healthy
    assert failed.predictor == "1 of 1 pod" and view.part(".hops-instances .hops-readiness").text_content() == (
        "not serving"
    )
    nb.screenshot(view.root, "failed-restart-offered", docs=True)

    said = accept_dialogs(nb)
    view.record()
    view.button("restart").click()
    running = view.wait_status("RUNNING", timeout_s=60)
    log = view.stop_recording()
    trace = save_trace("lab-failed-restart", log)
    assert runs(s.status for s in log) == ["FAILED", "STOPPING", "STOPPED", "STARTING", "RUNNING"], trace
    assert len(said) == 1 and "Restart churnmodel2" in said[0]
    assert running.tone == "ok" and view.part(".hops-instances .hops-readiness").text_content() == "ready"
    # the failure was set up through the scenario API: what reached the REST API is the restart's stop and start
    assert nb.kernel_json(actions_of("churnmodel2")) == ["action=STOP", "action=START"]
    assert nb.kernel_json("w.action_error") == ""


def test_a_403_on_start_turns_the_projects_actions_off_and_reading_goes_on(open_lab):
    nb = open_lab(
        [
            SETUP
            + "settle('frauddetector', 'stop', 'Stopped')\n"
            + "ds = sb.login(role='data_scientist').get_model_serving()",
            f"w = hops_widgets.show(ds.get_deployment('frauddetector'), {POLL})",
            f"w2 = hops_widgets.show(ds.get_deployment('recommender'), {POLL})",
        ]
    )
    nb.run_all()
    view, other = DeploymentView.wait(nb, 1), DeploymentView.wait(nb, 2)
    nb.wait_cells_done()
    view.wait_status("STOPPED")
    other.wait_status("RUNNING")
    assert view.button("start").is_enabled()

    view.button("start").click()
    notice = view.part(".hops-action-error")
    notice.wait_for(state="visible", timeout=20_000)
    text = view.part(".hops-action-error .hops-action-text").text_content()
    assert "Your role in this project cannot start or stop deployments" in text and "Data Owner" in text, text
    assert notice.get_attribute("data-kind") == "forbidden"
    # sent once, answered 403 (refused before the deployment is looked up: no deployment in the log entry)
    sent = '[(r["query"], r["status"]) for r in sb.requests(endpoint="serving_action")]'
    assert nb.kernel_json(sent) == [["action=START", 403]]
    # every widget of the project: Start, Stop and Restart off; Refresh stays
    for v in (view, other):
        v.part(".hops-action-error").wait_for(state="visible", timeout=10_000)
        assert enabled(v) == {"start": False, "stop": False, "restart": False, "refresh": True}
    assert nb.kernel_json("w.error") == "" and nb.kernel_json("w.polling") != "backoff"  # reading is not degraded
    nb.screenshot(view.root, "forbidden-data-scientist", docs=True)

    # reading goes on: a Data Owner starts it (the scenario API), the Data Scientist's widget follows live
    nb.run_extra_cell("sb.start_deployment('frauddetector')")
    view.wait_status("RUNNING", timeout_s=30)
    # the logs are read with the Data Scientist's key too
    view.part(".hops-logs summary").click()
    view.part(".hops-log-line").first.wait_for(timeout=20_000)
    # Try it still works (inference is allowed for the role)
    view.part(".hops-tryit summary").click()
    view.part(".hops-tryit [data-action=send]").click()
    view.part('.hops-tryit-note[data-state="ok"]').wait_for(timeout=30_000)
    assert view.button("stop").is_disabled()

    # a later action on the project that succeeds (a Data Owner's, in code) turns the buttons back on
    nb.run_extra_cell("serving.get_deployment('frauddetector').stop(await_stopped=0)")
    view.part(".hops-action-error").wait_for(state="hidden", timeout=20_000)
    other.part(".hops-action-error").wait_for(state="hidden", timeout=20_000)
    assert other.button("stop").is_enabled()


def test_the_logs_of_a_stopped_deployment_say_there_are_none_then_come_when_it_runs(open_lab):
    nb = open_lab(
        [
            SETUP + "settle('frauddetector', 'stop', 'Stopped')",
            f"d = serving.get_deployment('frauddetector')\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("STOPPED")
    view.part(".hops-logs summary").click()
    note = view.part(".hops-logs-note")
    nb.page.wait_for_function(
        "n => n.textContent.includes('no logs while nothing runs')", arg=note.element_handle(), timeout=20_000
    )
    assert note.get_attribute("data-quiet") == "true"
    assert "hops-logs-error" not in (note.get_attribute("class") or ""), "not an error: nothing runs"
    assert view.part(".hops-error").is_hidden()
    nb.screenshot(view.root, "logs-nothing-runs", docs=True)

    nb.run_extra_cell("d.start(await_running=0)")
    view.wait_status("RUNNING", timeout_s=30)
    view.part(".hops-log-line").first.wait_for(timeout=30_000)  # read again once it runs
    assert note.get_attribute("data-quiet") == "false"


def test_a_cold_start_goes_from_idle_to_running_with_no_starting(open_lab):
    nb = open_lab(
        [
            SETUP + "sb.add_deployment('coldmodel', model_name='cold_model', status='Idle', min_instances=0)",
            f"d = serving.get_deployment('coldmodel')\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    idle = view.wait_status("IDLE")
    assert idle.scale_to_zero and idle.predictor == "0 of 1 pod"
    view.part(".hops-tryit summary").click()
    view.record()
    view.part(".hops-tryit [data-action=send]").click()
    view.part('.hops-tryit-note[data-state="pending"]').wait_for(timeout=10_000)
    assert "cold start" in view.part(".hops-tryit-note").text_content()
    view.part('.hops-tryit-note[data-state="ok"]').wait_for(timeout=60_000)
    running = view.wait_status("RUNNING", timeout_s=30)
    log = view.stop_recording()
    trace = save_trace("lab-cold-start", log)
    assert runs(s.status for s in log) == ["IDLE", "RUNNING"], trace  # no Starting in between
    assert "including the cold start" in view.part(".hops-tryit-note").text_content()
    assert running.tone == "ok"
    # the history has Idle then Running, and the diagram lights its own arrow, not a way through Starting
    history = nb.kernel_json("[e['status'] for e in w.history]")
    assert history[-2:] == ["IDLE", "RUNNING"] and "STARTING" not in history, history
    open_diagrams(view.root)
    assert edge_state(view.root, "IDLE>RUNNING") == "last"
    assert view.part('.hops-dia-edge[data-inferred="true"]').count() == 0
    view.part(".hops-tryit summary").click()  # folded: the picture is the badge, the counts and the arrow
    nb.page.set_viewport_size({"width": 1000, "height": 1400})
    nb.screenshot(view.root, "cold-start", docs=True)


def test_a_stop_refused_while_starting_is_carried_out_once_running(open_lab):
    nb = open_lab(
        [
            SETUP + "settle('frauddetector', 'stop', 'Stopped')\nsb.set_timing(step_s=4)",
            f"d = serving.get_deployment('frauddetector')\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("STOPPED")
    said = accept_dialogs(nb)
    view.button("start").click()
    view.wait_status("STARTING", timeout_s=20)
    view.button("stop").click()  # the cluster refuses a stop mid-start (400 / 240003)
    offer = view.part(".hops-action-error .hops-offer")
    offer.wait_for(state="visible", timeout=20_000)
    text = view.part(".hops-action-error .hops-action-text").text_content()
    assert "does not stop a deployment while it starts" in text, text
    assert view.part(".hops-action-error").get_attribute("data-kind") == "lifecycle"
    assert offer.text_content() == "Stop once it has started"
    assert nb.kernel_json("w.polling") == "fast"  # starting: fast for the start, not for the refusal
    offer.click()
    pending = view.part(".hops-deferred")
    pending.wait_for(state="visible", timeout=10_000)
    assert "Stop pending" in pending.text_content()
    assert "hops-pending" in (view.button("stop").get_attribute("class") or "")
    nb.screenshot(view.root, "stop-once-started", docs=True)
    assert nb.kernel_json("w.status") == "STARTING"

    view.record()
    view.wait_status("STOPPED", timeout_s=90)
    log = view.stop_recording()
    trace = save_trace("lab-stop-once-started", log)
    assert runs(s.status for s in log)[-3:] == ["RUNNING", "STOPPING", "STOPPED"], trace
    assert nb.kernel_json(actions_of("frauddetector")) == ["action=START", "action=STOP", "action=STOP"]
    assert pending.is_hidden() and len(said) == 1  # the deferred stop asks no second confirmation
