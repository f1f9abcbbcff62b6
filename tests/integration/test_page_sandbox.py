"""The deployment page over the sandbox: predict like a model server (held through a cold start,
refused when stopped), restart through stop then start, resources and endpoint through the client."""

from __future__ import annotations

import time

import pytest

from hops_widgets import errors, sandbox
from hops_widgets.widget import DeploymentWidget

LONG = "a-deployment-name-of-sixty-characters-for-the-page-tests-0001"[:60]


@pytest.fixture
def live():
    """A real-clock sandbox at 5× (a cold start takes 0.6 s, a stop 0.4 s, a start 1.2 s)."""
    with sandbox.start(speed=5, api_key="page-key-0123456789") as sb:
        yield sb


def test_predict_answers_like_a_model_server(serving):
    d = serving.get_deployment("frauddetector")
    assert d.predict(data={"instances": [[1, 2], [3, 4]]}) == {"predictions": [0.5, 0.5]}
    assert d.predict([[1]]) == {"predictions": [0.5]}
    with pytest.raises(ValueError):
        d.predict([[1]], data={})


def test_predict_on_a_stopped_deployment_fails_like_one(serving):
    d = serving.get_deployment("churnmodel")
    with pytest.raises(errors.HopsError, match="not running") as info:
        d.predict(data={"instances": [[1]]})
    assert info.value.status_code == 400


def test_predict_on_idle_waits_for_the_cold_start(live):
    live.add_deployment(LONG, status="Idle", min_instances=0)
    d = live.login().get_model_serving().get_deployment(LONG)
    assert d.get_state().status == "IDLE"
    t0 = time.monotonic()
    assert d.predict(data={"instances": [[1]]}) == {"predictions": [0.5]}
    waited = time.monotonic() - t0
    assert waited >= 0.4  # held for the cold start (3 sandbox s at 5×: 0.6 s)
    s = d.get_state()
    assert s.status == "RUNNING" and s.predictor.available == 1


def test_client_restart_walks_stop_then_start(live):
    d = live.login().get_model_serving().get_deployment("frauddetector")
    d.restart(await_stopped=30, await_running=30)
    assert [r["query"] for r in live.requests(endpoint="serving_action")] == ["action=STOP", "action=START"]
    assert d.get_state().status == "RUNNING"


def test_resources_and_links_through_the_client(serving):
    d = serving.get_deployment("frauddetector")
    s = d.get_state()
    assert set(s.resources) == {"predictor", "transformer"}
    assert s.resources["predictor"]["requests"] == {"cores": 0.5, "memory": 512, "gpus": 0}
    assert s.endpoint["api_protocol"] == "REST" and s.endpoint["serving_tool"] == "KSERVE"
    assert set(serving.get_deployment("recommender").get_state().resources) == {"predictor"}
    assert d.get_inference_url().endswith("/hopsworks-api/api/project/119/inference/models/frauddetector:predict")


def statuses_while(widget, until, timeout=20.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not seen or seen[-1] != widget.status:
            seen.append(widget.status)
        if until(widget):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not reached; seen {seen}")


def test_widget_restart_shows_stop_then_start(live):
    d = live.login().get_model_serving().get_deployment("frauddetector")
    w = DeploymentWidget(d, fast_s=0.05, stable_s=0.2)
    try:
        w._await_first_update(5)
        assert w.status == "RUNNING" and w.can_restart
        w.restart()
        assert w.pending_action == "restart"
        seen = statuses_while(w, lambda x: x.status == "STARTING")
        seen += statuses_while(w, lambda x: x.status == "RUNNING")
    finally:
        w.close()
    assert "STOPPING" in seen and "STARTING" in seen
    assert seen.index("STOPPING") < seen.index("STARTING")


def test_widget_try_it_on_idle_shows_the_cold_start(live):
    live.add_deployment(LONG, status="Idle", min_instances=0)
    d = live.login().get_model_serving().get_deployment(LONG)
    w = DeploymentWidget(d, fast_s=0.05, stable_s=0.2)
    try:
        w._await_first_update(5)
        assert w.status == "IDLE" and w.predictor_available == 0
        future = w.predict('{"instances": [[1, 2, 3]]}')
        seen = statuses_while(w, lambda x: not x.tryit_pending and x.tryit_result)
        result = future.result(10)
    finally:
        w.close()
    assert result["ok"] and result["cold"] and result["latency_ms"] >= 400
    # a cold start goes Idle -> Running with no Starting (the service stays Ready while its pod comes up)
    assert "STARTING" not in seen and "RUNNING" in seen
    assert '"predictions"' in result["text"]


def test_the_overviews_open_detail_routes_restart_and_predict(live):
    from hops_widgets.overview import OverviewWidget

    ms = live.login().get_model_serving()
    overview = OverviewWidget(ms, fast_s=0.05, stable_s=0.2)
    try:
        overview.open_detail("frauddetector")
        table = overview.commands()
        deadline = time.monotonic() + 10
        while overview._detail.status != "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.02)
        result = table["predict"]({"target": "detail", "body": '{"instances": [[1]]}'}).result(10)
        assert result["ok"] and overview.detail_state["tryit_result"]["ok"]
        table["restart"]({"target": "detail"}).result(30)
        assert [r["query"] for r in live.requests(endpoint="serving_action")] == ["action=STOP", "action=START"]
    finally:
        overview.close()
