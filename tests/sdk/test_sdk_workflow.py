"""The PyPI hopsworks SDK runs the "inspect deployment state" guide against the sandbox."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.sdk


def sdk_errors():
    from hopsworks_common.client import exceptions

    return exceptions


def test_login_sequence_and_project(sdk_project, sdk_sandbox):
    assert (sdk_project.name, sdk_project.id) == ("demo", 119)
    login_calls = [e["endpoint"] for e in sdk_sandbox.requests()][:4]
    assert login_calls == ["versions", "project_info", "projects", "credentials"]


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_login_without_hostname_verification(hopsworks_sdk, sdk_sandbox):
    kwargs = sdk_sandbox.sdk_login_kwargs(verify=False)
    assert kwargs["hostname_verification"] is False and "trust_store_path" not in kwargs
    project = hopsworks_sdk.login(**kwargs)
    assert project.name == "demo"


def test_verification_without_the_ca_fails(hopsworks_sdk, sdk_sandbox):
    kwargs = sdk_sandbox.sdk_login_kwargs()
    del kwargs["trust_store_path"]
    with pytest.raises(sdk_errors().HopsworksSSLClientError):
        hopsworks_sdk.login(**kwargs)


def test_wrong_key_is_rejected(hopsworks_sdk, sdk_sandbox):
    kwargs = sdk_sandbox.sdk_login_kwargs()
    kwargs["api_key_value"] = "not-the-key"
    with pytest.raises(sdk_errors().RestAPIError) as info:
        hopsworks_sdk.login(**kwargs)
    assert "401" in str(info.value)
    assert getattr(info.value, "error_code", None) == 320012


def test_the_guide(sdk_project, capsys):
    ms = sdk_project.get_model_serving()
    deployment = ms.get_deployment("frauddetector")
    assert deployment.name == "frauddetector"
    state = deployment.get_state()
    assert state.status == "Running"
    assert (state.condition.type, state.condition.status) == ("READY", True)
    capsys.readouterr()
    state.describe()
    out = capsys.readouterr().out
    assert '"available_instances": 2' in out and '"status": "Running"' in out
    deployment.resources.describe()
    assert '"requested_instances": 2' in capsys.readouterr().out
    deployment.transformer.resources.describe()
    assert '"requested_transformer_instances": 1' in capsys.readouterr().out


def test_listing_lookup_and_missing(sdk_project):
    ms = sdk_project.get_model_serving()
    assert [d.name for d in ms.get_deployments()] == ["frauddetector", "recommender", "bigllm", "churnmodel"]
    assert ms.get_deployment_by_id(2).name == "recommender"
    assert ms.get_deployment("missing") is None
    assert ms.get_deployment("recommender").transformer is None


def test_stop_then_start_with_await(sdk_project, sdk_sandbox, hopsworks_sdk):
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    sdk_sandbox.clear_log()
    deployment.stop(await_stopped=30)
    assert deployment.get_state().status == "Stopped"
    assert sdk_sandbox.status("frauddetector") == "Stopped"
    deployment.start(await_running=30)
    assert deployment.get_state().status == "Running"
    assert deployment.is_running()
    posts = [e["query"] for e in sdk_sandbox.requests(method="POST")]
    assert posts == ["action=STOP", "action=START"]
    assert 5 in hopsworks_sdk.sdk_naps.slept  # the SDK's own 5 s poll ran (as a nap)


def test_start_and_stop_without_await(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    assert deployment.get_state().status == "Created"
    deployment.start(await_running=0)
    assert sdk_sandbox.requests(method="POST")[-1]["query"] == "action=START"
    for _ in range(500):  # the backend refuses a STOP while the start is under way: let it reach Running
        if sdk_sandbox.status("churnmodel") == "Running":
            break
        time.sleep(0.005)
    deployment.stop(await_stopped=0)
    assert sdk_sandbox.requests(method="POST")[-1]["query"] == "action=STOP"


def test_failure_reason_reaches_the_sdk(sdk_project, sdk_sandbox):
    sdk_sandbox.fail("churnmodel", "STARTED", "Failed to run: predictor.py cannot import sklearn")
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    with pytest.raises(sdk_errors().ModelServingException, match="cannot import sklearn"):
        deployment.start(await_running=30)
    state = deployment.get_state()
    assert (state.status, state.condition.type, state.condition.status) == ("Failed", "STARTED", False)


def test_states_the_sdk_must_survive(sdk_project, sdk_sandbox):
    ms = sdk_project.get_model_serving()
    sdk_sandbox.set_state("recommender", "Idle", available_instances=0)
    assert ms.get_deployment("recommender").get_state().status == "Idle"
    big = ms.get_deployment("bigllm").get_state()
    assert big.status == "Failed" and "insufficient GPUs" in big.condition.reason
    sdk_sandbox.unknown_status("Hibernating", deployment="frauddetector")
    assert ms.get_deployment("frauddetector").get_state().status == "Hibernating"


def test_logout_removes_the_certificates(hopsworks_sdk, sdk_sandbox, sdk_env):
    hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    assert sdk_env.exists() and any(sdk_env.iterdir())
    hopsworks_sdk.logout()
    assert not sdk_env.exists() or not any(sdk_env.iterdir())


@pytest.mark.parametrize("in_ci", [False, True])
def test_a_missing_sdk_skips_locally_and_fails_in_ci(monkeypatch, in_ci):
    import sys

    from tests.sdk.conftest import import_sdk

    monkeypatch.setitem(sys.modules, "hopsworks", None)  # makes ``import hopsworks`` fail
    monkeypatch.setattr("tests.conftest.IN_CI", in_ci)
    expected = pytest.fail.Exception if in_ci else pytest.skip.Exception
    with pytest.raises(expected, match="hopsworks SDK cannot be imported"):
        import_sdk()
