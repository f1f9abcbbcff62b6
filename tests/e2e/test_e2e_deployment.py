"""The deployment widget in a real JupyterLab and Notebook 7, fed by the sandbox in the kernel.

The sandbox runs on threads of the kernel process, so a deployment keeps moving through its
states while a cell is busy; the widget's poller thread sends the changes to the page. These
tests watch the page (a MutationObserver records every distinct picture of the widget) and
compare what it shows with what the kernel holds.
"""

from __future__ import annotations

import re

import pytest

from .e2e_hops import (
    POLL,
    SETUP,
    TRAITS,
    DeploymentView,
    assert_matches_kernel,
    describe,
    edge_state,
    open_diagrams,
    save_trace,
    wait_lit,
)

pytestmark = pytest.mark.e2e


def test_lab_follows_a_start_through_every_step_to_running_while_the_kernel_is_idle(open_lab):
    nb = open_lab(
        [
            SETUP + 'settle("frauddetector", "stop", "Stopped")',
            f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',
            "d.start(await_running=0)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    stopped = view.wait_status("STOPPED")
    assert stopped.badge == "Stopped"
    assert (stopped.predictor, stopped.transformer) == ("0 of 2 pods", "0 of 1 pod")
    assert_matches_kernel(view, nb.kernel_json(TRAITS))

    view.record()
    nb.run_cell(2)
    running = view.wait_status("RUNNING", timeout_s=30)
    log = view.stop_recording()
    trace = save_trace("lab-start", log)
    starting = [s for s in log if s.status == "STARTING"]
    assert starting, f"never showed STARTING:\n{trace}"
    assert all(s.badge == "Starting" and s.tone == "info" for s in starting), trace
    # The condition moves on while starting: several distinct messages and step pictures.
    assert len({s.message for s in starting}) >= 3, f"condition message did not follow the steps:\n{trace}"
    assert len({s.steps for s in starting}) >= 3, f"steps did not progress:\n{trace}"
    assert any("active" in s.steps for s in starting), trace
    assert running.badge == "Running" and running.tone == "ok"
    assert running.message not in {s.message for s in starting} | {stopped.message}
    assert (running.predictor, running.transformer) == ("2 of 2 pods", "1 of 1 pod")
    assert all(step.endswith(":done") for step in running.steps.split()), running.steps
    assert_matches_kernel(view, nb.kernel_json(TRAITS))
    nb.wait_cells_done()
    view.wait_until(lambda s: s.status == "RUNNING", "RUNNING before the screenshot")
    nb.screenshot(view.root, "lab-running")  # the README picture comes from test_e2e_newcomer (real-length names)


def test_lab_shows_a_stop_while_the_cell_that_asked_it_is_still_busy(open_lab):
    nb = open_lab(
        [
            SETUP,  # frauddetector is seeded Running
            f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',
            # Stop, then keep the kernel busy: everything after the stop request happens during the sleep.
            "sb.set_speed(0.5)\nd.stop(await_stopped=0)\ntime.sleep(30)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")
    busy = 2
    view.record(prompt_of_cell=busy)
    nb.run_cell(busy)
    nb.wait_cell_running(busy)
    final = view.wait_status("STOPPED", timeout_s=25)
    assert nb.is_running(busy), "the sleep ended before the widget reached STOPPED: the test proved nothing"
    log = view.stop_recording()
    trace = save_trace("lab-stop-during-sleep", log)
    during = [s for s in log if s.cell_running]
    assert any(s.status == "STOPPING" for s in during), f"no STOPPING seen during the busy cell:\n{trace}"
    assert any(s.status == "STOPPED" for s in during), f"STOPPED not seen during the busy cell:\n{trace}"
    # Counts and badge moved during the sleep too.
    assert len({(s.badge, s.predictor, s.transformer) for s in during}) >= 3, trace
    assert final.badge == "Stopped" and (final.predictor, final.transformer) == ("0 of 2 pods", "0 of 1 pod")
    nb.interrupt_kernel()
    nb.wait_prompt(busy, running=False)


def _recommender_in_notebook7(open_nb) -> tuple:
    """Notebook 7 showing the seeded scale-to-zero deployment, drawn Running: (notebook, view, picture)."""
    nb = open_nb(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("recommender"), {POLL})',
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    return nb, view, view.wait_status("RUNNING")


def test_notebook7_renders_the_deployment_as_the_kernel_holds_it(open_nb):
    nb, view, snap = _recommender_in_notebook7(open_nb)
    traits = nb.kernel_json(TRAITS)
    assert traits["s2z"] is True and traits["has_t"] is False, traits  # the seeded scale-to-zero model
    assert_matches_kernel(view, traits)
    assert snap.model and str(traits["model_version"]) in snap.model
    assert view.part(".hops-scale-to-zero").is_visible()
    assert not view.part('[data-role="transformer"]').is_visible()
    updated = view.part(".hops-updated")
    assert re.search(r"\d|just now", updated.inner_text()), updated.inner_text()


def test_notebook7_stop_button_confirms_then_follows_stopping_to_stopped(open_nb):
    nb, view, _snap = _recommender_in_notebook7(open_nb)
    updated = view.part(".hops-updated")
    # Stop from the page: confirm the dialog, then watch STOPPING -> STOPPED.
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    nb.page.on("dialog", accept)
    # the state diagrams, unfolded before the stop, follow it in Notebook 7 too
    open_diagrams(view.root)
    wait_lit(view.root, {"status": "RUNNING"})
    view.record()
    view.button("stop").click()
    view.wait_status("STOPPED", timeout_s=20)
    log = view.stop_recording()
    wait_lit(view.root, {"status": "STOPPED", "start": "", "stop": "STOPPED/true"})
    assert edge_state(view.root, "STOPPING>STOPPED") == "last"
    # (a scale-to-zero model: on a slow machine its 30 s of quiet may have made it Idle first)
    assert "taken" in (edge_state(view.root, "RUNNING>STOPPING"), edge_state(view.root, "IDLE>STOPPING"))
    assert dialogs and "recommender" in dialogs[0], dialogs
    assert any(s.status == "STOPPING" for s in log), describe(log)
    assert view.button("start").is_enabled()
    assert view.button("stop").is_disabled()
    assert_matches_kernel(view, nb.kernel_json(TRAITS))
    assert nb.kernel_json('sb.status("recommender")') == "Stopped"
    # With nothing changing any more, the age of the last change keeps ticking in the page.
    nb.wait_text(updated, re.compile(r"\b([5-9]|[1-5]\d) s ago$"), timeout_s=15)
