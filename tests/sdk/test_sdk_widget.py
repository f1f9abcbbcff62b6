"""hops-widgets on the real SDK's objects: show(), enable(), the overview, actions."""

from __future__ import annotations

import time

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import poller as poller_mod

pytestmark = pytest.mark.sdk


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


@pytest.fixture
def fast():
    return {"fast_s": 0.05, "stable_s": 0.05, "hidden_s": 0.05}


def test_widget_on_sdk_deployment_follows_start_to_running(sdk_project, sdk_sandbox, fast):
    from hsml.deployment import Deployment

    ms = sdk_project.get_model_serving()
    deployment = ms.get_deployment("frauddetector")
    assert isinstance(deployment, Deployment)
    sdk_sandbox.stop_deployment("frauddetector")  # seeded as Running
    sdk_sandbox.set_speed(20)  # slow enough for the widget to see the steps
    widget = hops_widgets.show(deployment, display=False, **fast)
    try:
        assert widget.wait_for("STOPPED", timeout=10).status == "STOPPED"
        seen = []
        # the steps trait carries the condition step in progress (its type is what the view draws)
        widget.observe(
            lambda change: seen.extend(st["type"] for st in change["new"] if st["state"] != "pending"), names="steps"
        )
        deployment.start(await_running=0)
        state = widget.wait_for("RUNNING", timeout=30)
        assert state.condition.type == "READY" and state.condition.status is True
        assert (widget.predictor_available, widget.predictor_requested) == (
            state.predictor.requested,
            state.predictor.requested,
        )
        assert widget.has_transformer and widget.transformer_available == widget.transformer_requested
        assert "SCHEDULED" in seen and "READY" in seen, f"the widget saw the steps: {seen}"
    finally:
        widget.close()
    assert poller_mod.active_pollers() == []


def test_enable_adds_show_to_sdk_classes_and_widget_actions_use_the_sdk(sdk_project, sdk_sandbox, fast):
    from hsml.deployment import Deployment
    from hsml.model_serving import ModelServing

    patched = hops_widgets.enable()
    assert "hsml.deployment.Deployment" in patched and "hsml.model_serving.ModelServing" in patched
    assert callable(Deployment.show) and callable(ModelServing.show)
    ms = sdk_project.get_model_serving()
    deployment = ms.get_deployment("churnmodel")
    widget = deployment.show(display=False, **fast)
    try:
        assert widget.wait_for("CREATED", timeout=10)
        widget.start()  # the Start button's path: SDK start(await_running=0) on the poller thread
        assert widget.wait_for("RUNNING", timeout=30).status == "RUNNING"
        widget.stop()
        assert widget.wait_for("STOPPED", timeout=30).status == "STOPPED"
        actions = [r["query"] for r in sdk_sandbox.requests(method="POST", endpoint="serving_action")]
        assert any("START" in q for q in actions) and any("STOP" in q for q in actions), actions
    finally:
        widget.close()


def test_sdk_overview_uses_one_list_request_per_round(sdk_project, sdk_sandbox, fast):
    ms = sdk_project.get_model_serving()
    sdk_sandbox.add_deployments(20, prefix="bulk", status="Running")
    sdk_sandbox.clear_log()
    overview = hops_widgets.show(ms, display=False, hidden_s=3600)
    try:
        poller = overview.poller
        for target in (1, 2, 3):
            if target > 1:
                poller.refresh()
            deadline = time.monotonic() + 10
            while poller.polls < target and time.monotonic() < deadline:
                time.sleep(0.01)
        rounds = poller.polls
        assert rounds == 3
        assert len(overview.states) == 24
        serving_calls = sdk_sandbox.requests(path_contains="/serving")
        assert len(serving_calls) == rounds, [r["path"] for r in serving_calls]
        assert all(r["query"] in ("", None) or "name=" not in r["query"] for r in serving_calls)
    finally:
        overview.close()


def test_sdk_errors_become_widget_state(sdk_project, sdk_sandbox, fast):
    ms = sdk_project.get_model_serving()
    deployment = ms.get_deployment("frauddetector")
    widget = hops_widgets.show(deployment, display=False, **fast)
    try:
        widget.wait_for("RUNNING", timeout=10)
        sdk_sandbox.delete_deployment("frauddetector")
        widget.refresh()
        deadline = time.monotonic() + 10
        while not widget.error and time.monotonic() < deadline:
            time.sleep(0.02)
        assert widget.error_kind == "not_found", widget.error
        assert "not found" in widget.error.lower()
        assert widget.poller.alive
        assert sdk_sandbox.api_key not in widget.error
    finally:
        widget.close()


def test_sdk_poll_that_hangs_is_shown_then_cleared(sdk_project, sdk_sandbox):
    """The SDK sends its requests with no timeout: the watchdog shows a hanging poll as a fault."""
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    widget = hops_widgets.show(deployment, display=False, fast_s=0.05, stable_s=0.05, hidden_s=0.05, stall_s=1)
    try:
        widget.wait_for("RUNNING", timeout=10)
        sdk_sandbox.latency(3.5, endpoint="serving_get", times=1)
        deadline = time.monotonic() + 10
        while widget.polling != "waiting" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert widget.polling == "waiting" and "not answered" in widget.error, (widget.polling, widget.error)
        assert widget.status == "RUNNING", "the last good state stays on screen"
        while widget.error and time.monotonic() < deadline:
            time.sleep(0.02)
        assert widget.error == "" and widget.polling != "waiting"
    finally:
        widget.close()
