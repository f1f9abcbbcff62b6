"""Through the real hopsworks SDK (5.2.1) on the sandbox: restart counts, the crash-loop warning,
the full scaling configuration, missing mandatory tags and the log archives, as the widget reads them."""

from __future__ import annotations

import time
import warnings

import pytest

from hops_widgets import _sdk
from hops_widgets._restarts import pods_reader
from hops_widgets.poller import DeploymentSource
from hops_widgets.state import DeploymentState
from hops_widgets.widget import DeploymentWidget


def _until(predicate, limit_s: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _needs(name: str) -> None:
    from hsml.deployment import Deployment

    if not hasattr(Deployment, name):
        pytest.skip(f"this hopsworks SDK has no Deployment.{name}")


def test_log_pods_reads_each_instances_restart_count_through_the_sdk(sdk_project, sdk_sandbox):
    _needs("download_logs")  # 5.2: its log objects carry restart_count
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    looping = sdk_sandbox.crash_loop("frauddetector", instance=1, every_s=2)
    time.sleep(0.1)
    pods = {p["instance"]: p for p in _sdk.log_pods(deployment, "predictor")}
    assert pods[looping]["restarts"] >= 3 and pods[looping]["pod_uid"]
    assert all(p["restarts"] == 0 for name, p in pods.items() if name != looping)
    assert "tail=1" in sdk_sandbox.requests(endpoint="serving_logs")[-1]["query"]  # one line per pod


def test_the_widget_warns_of_a_crash_loop_while_the_status_reads_running(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    assert pods_reader(DeploymentSource(deployment)) is not None
    widget = DeploymentWidget(deployment)
    try:
        widget.set_visible(True)
        _until(lambda: widget.restarts.get("instances"), what="the first restart check")
        assert widget.restarts["looping"] == []
        looping = sdk_sandbox.crash_loop("frauddetector", instance=0, every_s=2)
        time.sleep(0.05)
        widget._restarts.check()  # the 30 s check, now
        assert widget.status == "RUNNING"
        (warned,) = widget.restarts["looping"]
        assert warned["instance"] == looping and warned["recent"] >= 2 and warned["component"] == "predictor"
        assert widget.can_download_logs is True
    finally:
        widget.close()


def test_scaling_configuration_in_full_from_the_sdk_objects(sdk_project, sdk_sandbox):
    sdk_sandbox.add_llm_deployment()
    serving = sdk_project.get_model_serving()
    fraud = DeploymentState.from_sdk(serving.get_deployment("frauddetector")).resources["predictor"]
    assert fraud["autoscaler"] == "KEDA" and fraud["scale_metric"] == "CPU" and fraud["target"] == 70
    assert fraud["scale_up_window_s"] == 30 and fraud["scale_down_window_s"] == 300
    rec = DeploymentState.from_sdk(serving.get_deployment("recommender")).resources["predictor"]
    assert rec["idle_scale_to_zero"] is True and rec["cold_start_timeout_s"] == 120 and rec["min_instances"] == 0
    llm = DeploymentState.from_sdk(serving.get_deployment("chatassistant"))
    assert llm.resources["predictor"]["additional_metrics"] == [["KV_CACHE_USAGE", 80], ["TIME_TO_FIRST_TOKEN", 500]]
    assert "and on KV_CACHE_USAGE target 80, TIME_TO_FIRST_TOKEN target 500" in llm.report()
    # the built-in client's JSON gives the same fields
    assert DeploymentState.from_json(sdk_sandbox.deployment("chatassistant")).resources == llm.resources


def test_missing_mandatory_tags_in_the_problems_line(sdk_project, sdk_sandbox):
    serving = sdk_project.get_model_serving()
    assert not any("mandatory" in p for p in DeploymentState.from_sdk(serving.get_deployment("frauddetector")).problems)
    sdk_sandbox.set_missing_tags("frauddetector", ["owner", "cost_center"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's own warning about them
        deployment = serving.get_deployment("frauddetector")
    (problem,) = [p for p in DeploymentState.from_sdk(deployment).problems if "mandatory" in p]
    assert problem.startswith("Missing mandatory tags: owner, cost_center.")


def test_download_logs_through_the_widget_saves_the_archives(sdk_project, sdk_sandbox, tmp_path):
    _needs("download_logs")
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    sdk_sandbox.crash_loop("frauddetector", instance=0, every_s=2)
    time.sleep(0.05)
    widget = DeploymentWidget(deployment)
    try:
        result = widget.download_logs(path=str(tmp_path)).result(20)
        assert result["ok"] and result["error"] == ""
        assert len(result["paths"]) >= 2
        saved = list(tmp_path.glob("logs-deployment-frauddetector_*/*_predictor.log"))
        assert saved and all("Traceback" in p.read_text(encoding="utf-8") for p in saved)
        none = DeploymentWidget(sdk_project.get_model_serving().get_deployment("churnmodel"))
        try:
            answer = none.download_logs(path=str(tmp_path)).result(20)
        finally:
            none.close()
        assert answer["ok"] is False and "No archived logs" in answer["error"]
    finally:
        widget.close()
