"""The real hopsworks SDK against the conforming sandbox: what a user of the SDK meets on a real cluster.

Each test names the SDK code (hsml in the installed ``hopsworks`` wheel) and the backend rule it meets.
"""

from __future__ import annotations

import time

import pytest

from .conftest import T


def _errors():
    from hopsworks_common.client import exceptions

    return exceptions


def test_sdk_start_on_failed_prints_and_sends_nothing(sdk_project, sdk_sandbox, capsys):
    # hsml serving_engine._check_status: a FAILED deployment's start() prints a line and returns; the
    # backend (KubeServingController.start, case FAILED) would refuse it anyway
    deployment = sdk_project.get_model_serving().get_deployment("bigllm")
    sdk_sandbox.clear_log()
    deployment.start(await_running=5)
    assert "failed state" in capsys.readouterr().out.lower()
    assert sdk_sandbox.requests(method="POST") == []
    assert sdk_sandbox.status("bigllm") == "Failed"


def test_sdk_restart_brings_a_failed_deployment_back_by_stop_then_start(sdk_project, sdk_sandbox):
    # hsml Deployment.restart(): stop unless stopped, then start; KubeServingController accepts STOP on
    # FAILED and START on STOPPED
    sdk_sandbox.heal("bigllm")  # the cause is fixed (its sticky failure is forgotten); it is still Failed
    deployment = sdk_project.get_model_serving().get_deployment("bigllm")
    sdk_sandbox.clear_log()
    deployment.restart(await_stopped=30, await_running=30)
    assert sdk_sandbox.status("bigllm") == "Running"
    actions = [e["query"] for e in sdk_sandbox.requests(method="POST")]
    assert actions == ["action=STOP", "action=START"]


def test_sdk_start_with_a_data_scientist_key_is_403(hopsworks_sdk, sdk_sandbox):
    # ServingService POST /{servingId} allows DATA_OWNER only; ProjectAuthFilter answers 403 / 150068
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs(role="data_scientist"))
    deployment = project.get_model_serving().get_deployment("churnmodel")
    assert deployment.get_state().status.upper() == "CREATED"  # reading is allowed
    with pytest.raises(_errors().RestAPIError) as info:
        deployment.start(await_running=5)
    assert info.value.response.status_code == 403
    assert info.value.error_code == 150068
    assert sdk_sandbox.status("churnmodel") == "Created"
    assert {e["role"] for e in sdk_sandbox.requests()} == {"data_scientist"}


def test_sdk_stop_while_starting_meets_the_backends_refusal(sdk_project, sdk_sandbox):
    # hsml _check_status lets a STOP of a STARTING deployment through; KubeServingController.stop refuses it
    sdk_sandbox.set_speed(1)
    sdk_sandbox.set_timing(step_s=20)  # a start that lasts while the SDK reads and asks
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    deployment.start(await_running=0)
    assert sdk_sandbox.status("churnmodel") == "Starting"
    with pytest.raises(_errors().RestAPIError) as info:
        deployment.stop(await_stopped=0)
    assert (info.value.response.status_code, info.value.error_code) == (400, 240003)
    assert sdk_sandbox.status("churnmodel") == "Starting"


def test_sdk_reads_the_pod_count_of_a_crash_looping_deployment(sdk_project, sdk_sandbox):
    # KubeKServeController.getInternalStatus counts every pod of the revision: a deployment failed at
    # STARTED shows its crashing pod, and the SDK's state carries that count
    sdk_sandbox.fail("churnmodel", "STARTED", "the predictor exits at once")
    deployment = sdk_project.get_model_serving().get_deployment("churnmodel")
    deployment.start(await_running=0)
    state = None
    for _ in range(200):  # the sandbox runs 200 times faster than life: a start takes ~26 ms
        state = deployment.get_state()
        if state.status.upper() == "FAILED":
            break
        time.sleep(T.start_s / 200 / 10)
    assert state is not None and state.status.upper() == "FAILED"
    assert state.available_predictor_instances == 1
    assert (state.condition.type.upper(), state.condition.status) == ("STARTED", False)
