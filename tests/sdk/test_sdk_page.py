"""The deployment page on the real SDK (5.2.1 in .venv): the same resource and endpoint fields as the
built-in client, the SDK's get_url and get_inference_url as links, restart and predict through the SDK."""

from __future__ import annotations

import time

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import _sdk
from hops_widgets.state import DeploymentState

pytestmark = pytest.mark.sdk


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


FAST = {"fast_s": 0.05, "stable_s": 0.05, "hidden_s": 0.05}


@pytest.mark.parametrize("name", ["frauddetector", "recommender"])  # with and without a transformer
def test_sdk_and_client_show_the_same_page_fields(sdk_project, sdk_sandbox, name):
    d = sdk_project.get_model_serving().get_deployment(name)
    from_sdk = DeploymentState.from_sdk(d)
    with sdk_sandbox.login() as project:
        from_client = project.get_model_serving().get_deployment(name).get_state()
    assert from_sdk.resources == from_client.resources
    assert from_sdk.endpoint == from_client.endpoint
    assert ("transformer" in from_sdk.resources) == (name == "frauddetector")
    assert from_sdk.resources["predictor"]["requests"]["memory"] == 512


def test_links_are_the_sdks_own(sdk_project):
    d = sdk_project.get_model_serving().get_deployment("frauddetector")
    links = _sdk.links(d)
    assert links["ui"] == d.get_url()
    assert links["ui"].endswith(f"/p/119/deployments/{d.id}")
    assert links["inference"] == d.get_inference_url()
    assert links["model"].endswith(f"/p/119/models/{d.model_name}/{d.model_version}")


def test_predict_through_the_sdk(sdk_project):
    d = sdk_project.get_model_serving().get_deployment("frauddetector")
    assert _sdk.predict(d, {"instances": [[1, 2, 3]]}) == {"predictions": [0.5]}


def test_restart_plan_is_the_sdks_restart_on_52(sdk_project):
    d = sdk_project.get_model_serving().get_deployment("frauddetector")
    assert _sdk.sdk_version(d)[:2] >= (5, 2)
    assert _sdk.restart_plan(d) == "public"


def test_widget_restart_on_sdk_deployment(sdk_project, sdk_sandbox):
    d = sdk_project.get_model_serving().get_deployment("frauddetector")
    sdk_sandbox.set_speed(20)
    w = hops_widgets.show(d, display=False, **FAST)
    try:
        assert w.wait_for("RUNNING", timeout=10)
        assert w.links["ui"] == d.get_url() and w.resources == DeploymentState.from_sdk(d).resources
        seen = []
        w.observe(lambda change: seen.append(change["new"]), names="status")
        w.restart().result(30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (seen and seen[-1] == "RUNNING" and "STARTING" in seen):
            time.sleep(0.05)
    finally:
        w.close()
    assert "STOPPING" in seen and "STARTING" in seen and seen[-1] == "RUNNING"
    assert seen.index("STOPPING") < seen.index("STARTING")
    actions = [r["query"] for r in sdk_sandbox.requests(endpoint="serving_action")]
    assert actions == ["action=STOP", "action=START"]
