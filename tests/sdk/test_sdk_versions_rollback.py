"""Versions and rollback through the real hopsworks SDK (5.2.1) against the sandbox: the adapter's
calls, the widget's Versions section and its Rollback followed through Updating, the refusals in
plain words, and "not available" (never an error) where the backend has no versions."""

from __future__ import annotations

import time

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import _sdk
from hops_widgets.widget import FORBIDDEN_MESSAGE, VERSIONS_ABSENT, rights

FAST = {"fast_s": 0.02, "stable_s": 0.05, "hidden_s": 0.05}
NAME = "frauddetector"


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


@pytest.fixture(autouse=True)
def _rights_reset():
    yield
    rights._blocked.clear()


@pytest.fixture
def sdk_deployment(sdk_project, sdk_sandbox):
    from hsml.deployment import Deployment

    if not hasattr(Deployment, "get_versions"):
        pytest.skip("this hopsworks SDK has no deployment versions (5.2+)")
    sdk_sandbox.update_deployment(NAME, model_version=4, max_instances=5, new_version=True)
    until(lambda: sdk_sandbox.status(NAME) == "Running", "Running after the new version")
    return sdk_project.get_model_serving().get_deployment(NAME)


def until(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_the_adapter_lists_and_rolls_back_through_the_sdk_printing_nothing(sdk_deployment, sdk_sandbox, capsys):
    assert _sdk.versions_plan(sdk_deployment) == "sdk"
    found = _sdk.versions(sdk_deployment)
    assert [(v["version"], v["active"], v["modelVersion"]) for v in found] == [(2, True, 4), (1, False, 3)]
    assert found[0]["predictorScalingConfig"]["maxInstances"] == 5  # the SDK's objects as the wire JSON
    sdk_sandbox.clear_log()
    assert _sdk.rollback(sdk_deployment, 1) is True
    # one POST, no state read and no wait: the widget's poller shows what follows
    assert [(r["method"], r["status"]) for r in sdk_sandbox.requests()] == [("POST", 200)]
    assert sdk_deployment.version == 1  # the SDK object took the answer
    until(lambda: sdk_sandbox.status(NAME) == "Running", "Running on version 1")
    assert [v.version for v in sdk_deployment.get_versions() if v.active] == [1]
    assert capsys.readouterr().out == ""


def test_the_widget_rolls_back_and_follows_updating_to_running(sdk_deployment, sdk_sandbox):
    w = hops_widgets.show(sdk_deployment, display=False, **FAST)
    try:
        w.wait_for("RUNNING", timeout=10)
        w.set_visible(True)
        w.commands()["versions"]({"open": True})
        until(lambda: w.versions.get("active") == 2, "version 2 active in the section")
        items = w.versions["items"]
        assert [r["version"] for r in items] == [2, 1]
        assert "model v3 → v4" in items[0]["changes"] and "predictor instances 1–2 → 1–5" in items[0]["changes"]
        sdk_sandbox.set_speed(5)  # slow enough that the widget sees Updating
        seen: list[str] = []
        w.observe(lambda change: seen.append(change["new"]), names="status")
        w.rollback(1).result(timeout=10)
        w.wait_for("RUNNING", timeout=20)
        assert seen[:2] == ["UPDATING", "RUNNING"], seen
        until(lambda: w.versions.get("active") == 1, "version 1 active in the section")
        assert w.action_error == "" and w.pending_action == ""
    finally:
        w.close()


def test_a_rollback_refused_while_starting_is_said_in_plain_words(sdk_project, sdk_sandbox):
    from hsml.deployment import Deployment

    if not hasattr(Deployment, "rollback"):
        pytest.skip("this hopsworks SDK has no rollback (5.2+)")
    sdk_sandbox.update_deployment("churnmodel", model_version=3, new_version=True)
    churn = sdk_project.get_model_serving().get_deployment("churnmodel")
    w = hops_widgets.show(churn, display=False, fast_s=0.02, stable_s=30, hidden_s=30)
    try:
        w.wait_for("CREATED", timeout=10)
        sdk_sandbox.set_speed(0.01)  # it stays Starting
        sdk_sandbox.start_deployment("churnmodel")  # before the widget's next look
        future = w.rollback(1)
        with pytest.raises(Exception):  # noqa: B017 - the widget's SafeError
            future.result(timeout=10)
        until(lambda: w.action_refusal == "lifecycle", "the refusal")
        assert w.action_error.startswith("Rollback refused. The cluster does not roll back a deployment while it")
        assert [r["status"] for r in sdk_sandbox.requests(endpoint="serving_rollback")] == [500]
    finally:
        w.close()


def test_a_data_scientist_is_told_plainly_and_the_projects_actions_go_off(hopsworks_sdk, sdk_sandbox):
    from hsml.deployment import Deployment

    if not hasattr(Deployment, "rollback"):
        pytest.skip("this hopsworks SDK has no rollback (5.2+)")
    sdk_sandbox.update_deployment(NAME, model_version=4, new_version=True)
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs(role="data_scientist"))
    deployment = project.get_model_serving().get_deployment(NAME)
    w = hops_widgets.show(deployment, display=False, **FAST)
    try:
        w.wait_for("RUNNING", timeout=10)
        assert len(_sdk.versions(deployment)) == 2  # reading is allowed
        with pytest.raises(Exception):  # noqa: B017
            w.rollback(1).result(timeout=10)
        until(lambda: w.actions_blocked == FORBIDDEN_MESSAGE, "the project's actions off")
        assert w.start() is None and w.rollback(1) is None
        assert [r["status"] for r in sdk_sandbox.requests(endpoint="serving_rollback")] == [403]
    finally:
        w.close()


def test_a_backend_before_52_has_no_versions_and_that_is_no_error(sdk_deployment, sdk_sandbox):
    sdk_sandbox.app.hopsworks_version = "5.1.2"
    assert _sdk.versions(sdk_deployment) is None and _sdk.rollback(sdk_deployment, 1) is None
    w = hops_widgets.show(sdk_deployment, display=False, **FAST)
    try:
        w.wait_for("RUNNING", timeout=10)
        w.set_visible(True)
        w.commands()["versions"]({"open": True})
        until(lambda: w.versions.get("available") is False, "the section absent")
        assert w.versions["error"] == "" and w.error == ""
        assert w.rollback(1) is None and w.action_error == VERSIONS_ABSENT
    finally:
        w.close()


def test_a_rollback_in_code_is_followed_by_the_widget(sdk_deployment, sdk_sandbox):
    hops_widgets.enable()  # the SDK's rollback announces itself, as start and stop do
    w = hops_widgets.show(sdk_deployment, display=False, fast_s=0.02, stable_s=30, hidden_s=30)
    try:
        w.wait_for("RUNNING", timeout=10)
        polls = w.poller.polls
        sdk_deployment.rollback(1, await_update=0)
        until(lambda: w.poller.polls > polls, "a poll at once, not in 30 s")
        w.wait_for("RUNNING", timeout=20)
        assert sdk_deployment.version == 1
    finally:
        w.close()
