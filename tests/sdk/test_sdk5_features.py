"""The real hopsworks SDK (5.2.1 calls) against the sandbox's 5.x endpoints: versions, rollback,
scaling configuration, restart counts, schema, the OpenAI URL, log archives, mandatory tags."""

from __future__ import annotations

import time
import warnings

import pytest


def _sdk_has(name: str) -> None:
    from hsml.deployment import Deployment

    if not hasattr(Deployment, name):
        pytest.skip(f"this hopsworks SDK has no Deployment.{name}")


def _wait_running(sandbox, name: str, limit_s: float = 5.0) -> None:
    deadline = time.monotonic() + limit_s
    while sandbox.status(name) != "Running":
        assert time.monotonic() < deadline, f"{name} did not come back to Running"
        time.sleep(0.02)


def test_get_versions_lists_each_version_newest_first(sdk_project, sdk_sandbox):
    _sdk_has("get_versions")
    sdk_sandbox.update_deployment("frauddetector", model_version=4, new_version=True)
    _wait_running(sdk_sandbox, "frauddetector")
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    versions = deployment.get_versions()
    assert [v.version for v in versions] == [2, 1]
    assert [v.to_dict()["active"] for v in versions] == [True, False]
    assert [v.to_dict()["modelVersion"] for v in versions] == [4, 3]
    assert deployment.version == 2


def test_save_as_new_version_then_rollback_walked_to_running(sdk_project, sdk_sandbox):
    _sdk_has("rollback")
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    deployment.predictor.scaling_configuration.max_instances = 5
    deployment.save(await_update=30, new_version=True)
    assert deployment.version == 2
    assert sdk_sandbox.deployment("frauddetector")["predictorScalingConfig"]["maxInstances"] == 5
    sdk_sandbox.clear_log()
    deployment.rollback(1, await_update=30)
    assert deployment.version == 1
    assert deployment.predictor.scaling_configuration.max_instances == 2
    # one rollback, then the SDK read the state until the rollout was done
    assert [r["status"] for r in sdk_sandbox.requests(endpoint="serving_rollback")] == [200]
    assert sdk_sandbox.requests(endpoint="serving_get")
    assert sdk_sandbox.status("frauddetector") == "Running"
    assert [v.version for v in deployment.get_versions() if v.to_dict()["active"]] == [1]


def test_scaling_configuration_fields_read_by_the_sdk(sdk_project, sdk_sandbox):
    sdk_sandbox.add_llm_deployment()
    serving = sdk_project.get_model_serving()
    fraud = serving.get_deployment("frauddetector").predictor.scaling_configuration
    assert str(fraud.autoscaler) == "KEDA" and str(fraud.scale_metric) == "CPU" and fraud.target == 70
    assert fraud.scale_up_stabilization_window_seconds == 30
    assert fraud.scale_down_stabilization_window_seconds == 300
    rec = serving.get_deployment("recommender").predictor.scaling_configuration
    assert rec.min_instances == 0 and rec.idle_scale_to_zero is True and rec.cold_start_timeout_seconds == 120
    llm = serving.get_deployment("chatassistant").predictor.scaling_configuration
    assert str(llm.scale_metric) == "QUEUE_DEPTH"
    extra = [(str(m["scale_metric"]), m["target"]) for m in llm.additional_scale_metrics]
    assert extra == [("KV_CACHE_USAGE", 80), ("TIME_TO_FIRST_TOKEN", 500)]


def test_schema_property(sdk_project):
    serving = sdk_project.get_model_serving()
    churn = serving.get_deployment("churnmodel")
    schema = churn.schema
    assert schema is not None
    assert [f.name for f in schema.serving_keys] == ["customer_id"]
    assert [f.name for f in schema.passed_features] == ["tenure_months", "monthly_charges", "contract"]
    assert schema.schema_id == churn.schema_id  # the sandbox's id is the SDK's content hash
    assert serving.get_deployment("recommender").schema is None


def test_log_entries_carry_restart_counts(sdk_project, sdk_sandbox):
    from hsml.core import serving_api

    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    looping = sdk_sandbox.crash_loop("frauddetector", instance=1, every_s=2)
    time.sleep(0.1)  # 20 sandbox seconds at speed 200: about ten restarts
    entries = serving_api.ServingApi()._get_logs(deployment, "predictor", 10)
    by_name = {e.instance_name: e for e in entries}
    assert by_name[looping].restart_count >= 3
    assert all(e.restart_count == 0 for n, e in by_name.items() if n != looping)
    assert all(e.pod_uid and not e.read_failed and not e.truncated for e in entries)
    assert deployment.get_state().status.upper() == "RUNNING"


def test_get_openai_url_of_a_vllm_deployment(hopsworks_sdk, sdk_sandbox):
    import requests

    sdk_sandbox.app.load_balancer = True  # the SDK builds the URL from the ingress gateway it was given
    sdk_sandbox.add_llm_deployment()
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    serving = project.get_model_serving()
    url = serving.get_deployment("chatassistant").get_openai_url()
    assert url is not None and url.endswith("/v1/demo/chatassistant/v1")
    assert serving.get_deployment("frauddetector").get_openai_url() is None
    reply = requests.post(
        f"{url}/chat/completions",
        json={"model": "chatassistant", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"ApiKey {sdk_sandbox.api_key}"},
        verify=sdk_sandbox.ca_path,
        timeout=5,
    )
    assert reply.status_code == 200 and reply.json()["object"] == "chat.completion"


def test_download_logs_fetches_the_archives(sdk_project, sdk_sandbox, tmp_path):
    _sdk_has("download_logs")
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    sdk_sandbox.crash_loop("frauddetector", instance=0, every_s=2)
    time.sleep(0.05)
    paths = deployment.download_logs(path=str(tmp_path))
    archived = {a["name"] for a in sdk_sandbox.log_archives("frauddetector")}  # the loop goes on meanwhile
    assert len(paths) >= 2 and {p.rsplit("/", 1)[-1] for p in paths} <= archived
    assert all("Traceback" in open(p, encoding="utf-8").read() for p in paths)
    latest = deployment.download_logs(path=str(tmp_path), latest=True)
    stamps = {p.rsplit("/", 1)[-1].split("_", 1)[0] for p in latest}
    assert len(latest) >= 1 and len(stamps) == 1  # the archives of the last second only


def test_missing_mandatory_tags(sdk_project, sdk_sandbox):
    serving = sdk_project.get_model_serving()
    assert serving.get_deployment("frauddetector").missing_mandatory_tags == []
    sdk_sandbox.set_missing_tags("frauddetector", ["owner", "cost_center"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deployment = serving.get_deployment("frauddetector")
    assert [t["name"] for t in deployment.missing_mandatory_tags] == ["owner", "cost_center"]
    assert any("owner" in str(w.message) for w in caught)
