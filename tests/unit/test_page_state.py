"""The deployment page's state: resources and endpoint fields parsed from REST JSON and SDK objects,
only what a version sends; describe() and the static snapshot show them; restart and predict commands."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace

import comm
import pytest
from comm import DummyComm

from hops_widgets import _sdk
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.state import DeploymentState, resources_text
from hops_widgets.widget import DEFAULT_BODY, DeploymentWidget, snapshot_html

from .fakes import FakeDeployment, sdk_state

FULL = {
    "id": 7,
    "name": "fraud",
    "status": "Running",
    "modelName": "fraud_model",
    "modelVersion": 3,
    "modelServer": "PYTHON",
    "servingTool": "KSERVE",
    "apiProtocol": "REST",
    "requestedInstances": 2,
    "availableInstances": 2,
    "predictorResources": {
        "requests": {"cores": 0.5, "memory": 512, "gpus": 0},
        "limits": {"cores": 2.0, "memory": 2048, "gpus": 1},
    },
    "predictorScalingConfig": {
        "minInstances": 0,
        "maxInstances": 3,
        "scaleMetric": "CONCURRENCY",
        "target": 100,
        "scaleToZeroRetentionSeconds": 30,
    },
    "predictorEnvironment": {"name": "pandas-inference-pipeline"},
    "hopsworksInferencePath": "/project/119/inference/models/fraud",
    "modelServerInferencePath": "/v1/models/fraud:predict",
    "transformer": "/Projects/demo/Resources/t.py",
    "requestedTransformerInstances": 1,
    "transformerResources": {"requests": {"cores": 0.25, "memory": 256, "gpus": 0}},
    "transformerScalingConfig": {"minInstances": 1, "maxInstances": 1},
}


def test_json_resources_per_component():
    s = DeploymentState.from_json(FULL)
    assert s.resources["predictor"] == {
        "min_instances": 0,
        "max_instances": 3,
        "scale_metric": "CONCURRENCY",
        "target": 100,
        "retention_s": 30,
        "requests": {"cores": 0.5, "memory": 512, "gpus": 0},
        "limits": {"cores": 2, "memory": 2048, "gpus": 1},
    }
    # the transformer sent no limits, no metric: those keys are absent, not None
    assert s.resources["transformer"] == {
        "min_instances": 1,
        "max_instances": 1,
        "requests": {"cores": 0.25, "memory": 256, "gpus": 0},
    }
    assert s.endpoint == {
        "model_server": "PYTHON",
        "serving_tool": "KSERVE",
        "api_protocol": "REST",
        "environment": "pandas-inference-pipeline",
        "inference_path": "/project/119/inference/models/fraud",
        "model_server_path": "/v1/models/fraud:predict",
    }


def test_minimal_json_has_no_resources_and_no_none():
    s = DeploymentState.from_json(
        {"id": 1, "name": "m", "status": "Stopped", "predictorScalingConfig": {"minInstances": 1}}
    )
    assert s.resources == {"predictor": {"min_instances": 1}}
    assert s.endpoint == {}
    assert "None" not in s.report()
    no_transformer = dict(FULL)
    for key in ("transformer", "transformerResources", "transformerScalingConfig", "requestedTransformerInstances"):
        no_transformer.pop(key)
    assert set(DeploymentState.from_json(no_transformer).resources) == {"predictor"}


def test_bad_values_are_dropped_not_shown():
    data = {**FULL, "predictorResources": {"requests": {"cores": "lots", "memory": -1, "gpus": True}}}
    data["predictorScalingConfig"] = {"minInstances": 1, "scaleMetric": 5}
    s = DeploymentState.from_json(data)
    assert s.resources["predictor"] == {"min_instances": 1}


def test_sdk_objects_give_the_same_fields():
    res = SimpleNamespace(
        num_instances=2,
        requests=SimpleNamespace(cores=0.5, memory=512, gpus=0),
        limits=SimpleNamespace(cores=2, memory=2048, gpus=1),
    )
    metric = SimpleNamespace(value="CONCURRENCY")  # an enum, as hsml's ScaleMetric
    scaling = SimpleNamespace(
        min_instances=0, max_instances=3, scale_metric=metric, target=100, scale_to_zero_retention_seconds=30
    )
    predictor = SimpleNamespace(
        model_server="PYTHON", serving_tool="KSERVE", api_protocol="REST", environment="pandas-inference-pipeline"
    )
    d = SimpleNamespace(
        name="fraud",
        id=7,
        model_name="fraud_model",
        model_version=3,
        resources=res,
        scaling_configuration=scaling,
        transformer=None,
        _predictor=predictor,
    )
    state = SimpleNamespace(
        status="Running",
        condition=None,
        available_predictor_instances=2,
        hopsworks_inference_path="/project/119/inference/models/fraud",
        model_server_inference_path="/v1/models/fraud:predict",
    )
    s = DeploymentState.from_sdk(d, state)
    j = DeploymentState.from_json({k: v for k, v in FULL.items() if not k.startswith("transformer")})
    assert s.resources == {"predictor": j.resources["predictor"]}
    assert s.endpoint == j.endpoint


def test_report_lists_resources_and_endpoint():
    text = DeploymentState.from_json(FULL).report()
    assert "resources    predictor: instances 0–3 · scale on CONCURRENCY target 100 · scale-to-zero after 30 s" in text
    assert "limits 2 cores, 2048 MB memory, 1 GPU" in text
    assert "resources    transformer: instances 1–1 · requests 0.25 cores, 256 MB memory, 0 GPUs" in text
    assert "model server PYTHON" in text and "API protocol REST" in text
    assert resources_text({}) == ""


# ------------------------------------------------------------------ widget
class RecordingComm(DummyComm):
    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        pass


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


class PageDeployment(FakeDeployment):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.predicted = []
        self.answer = {"predictions": [0.5]}

    def get_url(self):
        return "https://hopsworks.example/p/119/deployments/1"

    def get_inference_url(self):
        return "javascript:alert(1)"  # not a link: dropped

    def predict(self, data=None, inputs=None):
        self.predicted.append(data)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def manual(d):
    p = Poller(DeploymentSource(d), policy=Policy(), autostart=False)
    return DeploymentWidget(d, poller=p), p


def test_widget_traits_links_and_snapshot():
    d = PageDeployment()
    w, p = manual(d)
    p.poll()
    assert w.links == {
        "ui": "https://hopsworks.example/p/119/deployments/1",
        "model": "https://hopsworks.example/p/119/models/mymodel/3",
    }
    assert w.can_restart and w.try_it and w.tryit_body == DEFAULT_BODY
    w.resources = DeploymentState.from_json(FULL).resources
    w.endpoint = DeploymentState.from_json(FULL).endpoint
    page = snapshot_html(w)
    assert "<details class='hops-resources'><summary>Resource allocation</summary>" in page
    assert "<details class='hops-resources' open" not in page  # collapsed
    assert "API protocol <bdi>REST</bdi>" in page
    w.close()


def test_try_it_off_with_actions_off():
    d = PageDeployment()
    p = Poller(DeploymentSource(d), policy=Policy(), autostart=False)
    w = DeploymentWidget(d, poller=p, actions=False)
    assert not w.try_it
    with pytest.raises(RuntimeError, match="Try it is off"):
        w.predict("{}")
    w.close()


def wait(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


def test_predict_puts_the_answer_and_latency_in_a_trait():
    d = PageDeployment()
    w, p = manual(d)
    p.poll()
    w.predict('{"instances": [[1, 2]]}').result(5)
    assert d.predicted == [{"instances": [[1, 2]]}]
    r = w.tryit_result
    assert r["ok"] and json.loads(r["text"]) == {"predictions": [0.5]} and r["latency_ms"] >= 0 and r["cold"] is False
    assert not w.tryit_pending and w.tryit_body == '{"instances": [[1, 2]]}'
    # a second widget of the deployment starts from the last body sent
    w2 = DeploymentWidget(d, poller=p)
    assert w2.tryit_body == '{"instances": [[1, 2]]}'
    w2.close()
    d.answer = RuntimeError("Deployment not running (key sk-secret-123)")
    d._hops_widgets_secrets = ("sk-secret-123",)
    w.predict({"instances": []}).result(5)
    assert not w.tryit_result["ok"] and "not running" in w.tryit_result["error"]
    assert "sk-secret-123" not in json.dumps(w.tryit_result)
    with pytest.raises(RuntimeError, match="not valid JSON"):
        w.predict("{nope")
    w.close()


def test_predict_command_answers_through_the_channel():
    d = PageDeployment()
    w, p = manual(d)
    p.poll()
    future = w.commands()["predict"]({"body": "[1]"})
    assert future.result(5)["ok"]
    w.close()


class Restartable(PageDeployment):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.release = threading.Event()

    def restart(self, await_stopped=600, await_running=600):
        self.actions.append(f"restart:{await_stopped}:{await_running}")
        self.next = sdk_state("Stopping", "SCHEDULED", None, "leaving", 1)
        assert self.release.wait(5)
        self.next = sdk_state("Starting", "SCHEDULED", None, "waiting", 0)


def test_restart_stays_pending_through_the_stop():
    d = Restartable()
    w, p = manual(d)
    p.poll()
    future = w.restart()
    assert w.pending_action == "restart"
    assert wait(lambda: d.actions)
    p.poll()  # Stopping: still pending (a plain Stop would clear here)
    assert w.status == "STOPPING" and w.pending_action == "restart" and not w.can_restart
    assert w.restart() is None  # one action at a time
    d.release.set()
    future.result(5)
    p.poll()
    assert w.status == "STARTING" and w.pending_action == ""
    assert d.actions == ["restart:600.0:0"]
    w.close()


def test_restart_refused_while_moving():
    d = PageDeployment()
    d.next = sdk_state("Starting", "SCHEDULED", None, "waiting", 0)
    w, p = manual(d)
    p.poll()
    assert not w.can_restart and w.restart() is None and "Cannot restart" in w.action_error
    w.close()


def test_sdk_restart_plans():
    class Old:  # no restart method: stop, wait, start
        def __init__(self):
            self.calls = []

        def is_stopped(self):
            return False

        def stop(self, await_stopped=600):
            self.calls.append(("stop", await_stopped))

        def start(self, await_running=600):
            self.calls.append(("start", await_running))

    old = Old()
    assert _sdk.restart_plan(old) == "steps"
    _sdk.restart(old, wait_s=12)
    assert old.calls == [("stop", 12), ("start", 0)]

    class New(Old):
        def restart(self, await_stopped=600, await_running=600):
            self.calls.append(("restart", await_stopped, await_running))

    new = New()
    assert _sdk.restart_plan(new) == "public"
    _sdk.restart(new, wait_s=12)
    assert new.calls == [("restart", 12, 0)]


def test_links_without_get_url():
    assert _sdk.links(SimpleNamespace(model_name="m", model_version=1)) == {}
    broken = SimpleNamespace(get_url=lambda: (_ for _ in ()).throw(RuntimeError("no client")))
    assert _sdk.links(broken) == {}


def test_show_passes_try_it():
    import hops_widgets

    w = hops_widgets.show(PageDeployment(), display=False, try_it=False, first_update_s=0)
    try:
        assert not w.try_it and w.actions_enabled
    finally:
        w.close()
