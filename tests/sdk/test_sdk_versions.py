"""What makes every SDK version work, checked on the installed one against the sandbox.

``scripts/compat.py`` runs the whole guide on each released SDK (CI: the oldest
and the newest); these tests pin the pieces on the SDK in .venv: the action
path that older SDKs take, the backend version the sandbox reports, the
inference-endpoint shapes, and the serving shape of backends before 4.6.
"""

from __future__ import annotations

import time
import warnings

import comm
import pytest
import requests
from comm import DummyComm

import hops_widgets
from hops_widgets import _sdk
from hops_widgets.sandbox import app as sandbox_app
from hops_widgets.state import DeploymentState

pytestmark = pytest.mark.sdk
FAST = {"fast_s": 0.05, "stable_s": 0.05, "hidden_s": 0.05}


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


def _get(sb, path):
    """A raw GET of the sandbox's API, for looking at the wire shape itself."""
    session = requests.Session()
    session.trust_env = False
    with session:
        r = session.get(
            f"{sb.url}/hopsworks-api/api/{path}",
            headers={"Authorization": f"ApiKey {sb.api_key}"},
            verify=sb.ca_path or True,
            timeout=10,
        )
    r.raise_for_status()
    return r.json()


def _until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def old_sdk_path(monkeypatch):
    """Makes the installed SDK take the path of 3.7–5.1 (the SDK's steps up to its POST)."""
    monkeypatch.setattr(_sdk, "FIXED_START", (99, 0))


def test_the_installed_sdk_takes_the_public_start(sdk_project):
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    assert _sdk.sdk_version(deployment)[:2] >= _sdk.FIXED_START
    assert _sdk.start_plan(deployment) == "public"


def test_the_older_sdks_path_on_a_real_sdk_object(sdk_project, sdk_sandbox, old_sdk_path):
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    assert _sdk.start_plan(deployment) == "post"
    widget = hops_widgets.show(deployment, display=False, **FAST)
    try:
        widget.wait_for("CREATED", timeout=10)
        sdk_sandbox.clear_log()
        widget.start().result(timeout=10)
        assert widget.wait_for("RUNNING", timeout=30).status == "RUNNING"
        assert widget.action_error == ""
        posts = [r["query"] for r in sdk_sandbox.requests(method="POST", deployment="churnmodel")]
        assert posts == ["action=START"], posts
    finally:
        widget.close()


@pytest.mark.parametrize("path", ["public", "post"])
def test_a_refused_start_is_shown_on_either_path(sdk_project, sdk_sandbox, monkeypatch, path):
    if path == "post":
        monkeypatch.setattr(_sdk, "FIXED_START", (99, 0))
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    assert _sdk.start_plan(deployment) == path
    widget = hops_widgets.show(deployment, display=False, **FAST)
    try:
        widget.wait_for("CREATED", timeout=10)
        sdk_sandbox.http_error(500, endpoint="serving_action", times=1)
        with pytest.raises(Exception, match="500"):
            widget.start().result(timeout=10)
        _until(lambda: widget.action_error)
        assert widget.action_error.startswith("Start failed") and "500" in widget.action_error
        assert sdk_sandbox.api_key not in widget.action_error
        assert sdk_sandbox.status("churnmodel") == "Created"
    finally:
        widget.close()


def test_the_overview_row_start_on_the_older_path(sdk_project, sdk_sandbox, old_sdk_path):
    ms = sdk_project.get_model_serving()
    overview = hops_widgets.show(ms, display=False, **FAST)
    try:
        _until(lambda: any(s.name == "churnmodel" for s in overview.states))
        overview.start("churnmodel").result(timeout=10)
        _until(lambda: next(s for s in overview.states if s.name == "churnmodel").status == "RUNNING", 30)
        assert overview.table.action_error == ""
    finally:
        overview.close()


def test_the_backend_version_matches_the_client_so_login_does_not_warn(hopsworks_sdk, sdk_sandbox):
    major_minor = ".".join(hopsworks_sdk.__version__.split(".")[:2])
    assert sdk_sandbox.app.hopsworks_version == f"{major_minor}.0"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    assert not [w for w in caught if "compatible" in str(w.message)]


def test_a_backend_version_set_by_hand_is_reported_and_the_sdk_warns(hopsworks_sdk, sdk_sandbox):
    sdk_sandbox.app.hopsworks_version = "4.2.0"
    with pytest.warns(UserWarning, match="compatible"):
        hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())


def test_the_version_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(sandbox_app.ENV_HOPSWORKS_VERSION, "4.7.1")
    from hops_widgets import sandbox

    with sandbox.start() as sb:
        assert sb.app.hopsworks_version == "4.7.1"
        assert {"software": "hopsworks", "version": "4.7.1"} in _get(sb, "variables/versions")


def test_the_sdk_with_a_load_balancer_endpoint(hopsworks_sdk, sdk_sandbox, capsys):
    """The shape SDKs 4.3–4.7 need; 5.2 then checks the gateway's route after a start that waits."""
    sdk_sandbox.app.load_balancer = True
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    capsys.readouterr()
    ms = project.get_model_serving()
    assert "External IP not configured" not in capsys.readouterr().out
    deployment = ms.get_deployment("churnmodel")
    sdk_sandbox.clear_log()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a route never seen would warn
        warnings.filterwarnings("ignore", "Unverified HTTPS request")
        deployment.start(await_running=30)
    assert deployment.get_state().status == "Running"
    probes = sdk_sandbox.requests(endpoint="gateway_model")
    assert probes and probes[-1]["status"] == 200 and probes[-1]["path"] == "/v1/demo/churnmodel/v1/models/churnmodel"


def test_without_a_load_balancer_the_sdk_says_so(hopsworks_sdk, sdk_sandbox, capsys):
    sdk_sandbox.app.load_balancer = False
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    capsys.readouterr()
    project.get_model_serving()
    assert "External IP not configured" in capsys.readouterr().out


def test_a_backend_before_4_6_sends_the_scale_to_zero_as_zero_requested(sdk_sandbox):
    """The serving shape older SDKs read: no scaling config; scale-to-zero asks for 0 instances."""
    sdk_sandbox.app.hopsworks_version = "4.4.0"
    rows = {s["name"]: s for s in _get(sdk_sandbox, f"project/{sdk_sandbox.project_id}/serving")}
    assert all("predictorScalingConfig" not in s for s in rows.values())
    assert rows["recommender"]["requestedInstances"] == 0 and rows["frauddetector"]["requestedInstances"] == 2
    assert DeploymentState.from_json(rows["recommender"]).scale_to_zero
    assert not DeploymentState.from_json(rows["frauddetector"]).scale_to_zero
