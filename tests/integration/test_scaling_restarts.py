"""The built-in client on the sandbox over HTTP: scaling in full, restart counts and the crash-loop
warning, missing mandatory tags, log archives, the snapshot's links; and their absence on older backends."""

from __future__ import annotations

import time

import pytest

from hops_widgets import snapshot
from hops_widgets._restarts import RestartWatch
from hops_widgets.widget import DeploymentWidget


def _widget(serving, name: str) -> DeploymentWidget:
    widget = DeploymentWidget(serving.get_deployment(name))
    deadline = time.monotonic() + 10
    while widget.state is None:
        assert time.monotonic() < deadline, "no first poll"
        time.sleep(0.01)
    return widget


def test_resources_carry_the_whole_52_scaling_configuration(sb, serving):
    sb.add_llm_deployment()
    fraud = serving.get_deployment("frauddetector").get_state()
    p = fraud.resources["predictor"]
    assert (p["autoscaler"], p["scale_metric"], p["target"]) == ("KEDA", "CPU", 70)
    assert (p["scale_up_window_s"], p["scale_down_window_s"]) == (30, 300)
    assert "idle_scale_to_zero" not in p and "cold_start_timeout_s" not in p  # not sent: absent
    assert "autoscaler" not in fraud.resources["transformer"]
    rec = serving.get_deployment("recommender").get_state().resources["predictor"]
    assert rec["idle_scale_to_zero"] is True and rec["idle_cooldown_s"] == 30 and rec["cold_start_timeout_s"] == 120
    llm = serving.get_deployment("chatassistant").get_state()
    assert llm.resources["predictor"]["additional_metrics"] == [["KV_CACHE_USAGE", 80], ["TIME_TO_FIRST_TOKEN", 500]]
    line = next(x for x in llm.report().splitlines() if x.startswith("resources    predictor"))
    assert "autoscaler KEDA · scale on QUEUE_DEPTH target 5 · and on KV_CACHE_USAGE target 80" in line
    assert "stabilization up 0 s / down 600 s" in line and "cold-start timeout 900 s" in line


def test_older_backends_send_only_what_they_have(sb, serving):
    sb.app.hopsworks_version = "5.1.0"
    p = serving.get_deployment("frauddetector").get_state().resources["predictor"]
    assert set(p) - {"requests", "limits"} == {"min_instances", "max_instances", "scale_metric", "target"}
    sb.app.hopsworks_version = "4.2.0"
    state = serving.get_deployment("frauddetector").get_state()
    assert not any("mandatory" in x for x in state.problems)
    pods = serving.get_deployment("frauddetector").log_pods()
    assert pods and all(p["restarts"] is None for p in pods)


def test_missing_mandatory_tags_reach_the_problems_line_and_clear(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    assert not deployment.get_state().problems
    sb.set_missing_tags("frauddetector", ["owner", {"name": "cost_center"}])
    (problem,) = deployment.get_state().problems
    assert problem.startswith("Missing mandatory tags: owner, cost_center.")
    assert f"note         {problem}" in deployment.get_state().report()
    sb.set_missing_tags("frauddetector", [])
    assert not deployment.get_state().problems


def test_log_pods_count_restarts_per_instance_while_running(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    looping = sb.crash_loop("frauddetector", instance=0, every_s=5)
    sb.advance(1)
    first = {p["instance"]: p["restarts"] for p in deployment.log_pods()}
    sb.advance(16)
    later = {p["instance"]: p["restarts"] for p in deployment.log_pods()}
    assert first[looping] == 0 and later[looping] == 3
    assert all(n == 0 for name, n in later.items() if name != looping)
    assert deployment.get_state().status == "RUNNING"  # the status does not say so
    assert {p["instance"] for p in deployment.log_pods("transformer")}.isdisjoint(later)


def test_a_watch_on_the_client_warns_once_counts_rise_between_reads(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    now = [0.0]
    told = []
    watch = RestartWatch(deployment.log_pods, told.append, clock=lambda: now[0], autostart=False)
    watch.set(status="RUNNING", visible=True)
    watch.check()
    looping = sb.crash_loop("frauddetector", instance=1, every_s=10)
    sb.advance(31)
    now[0] = 30.0
    assert watch.due_in() == 0
    watch.check()
    (warned,) = told[-1]["looping"]
    assert warned["instance"] == looping and warned["recent"] == 3
    assert watch.requests == 2


def test_the_widget_reads_restarts_then_stops_where_there_are_none(sb, serving):
    widget = _widget(serving, "frauddetector")
    try:
        widget.set_visible(True)
        deadline = time.monotonic() + 5
        while not widget.restarts:
            assert time.monotonic() < deadline, "no first restart check"
            time.sleep(0.01)
        assert {r["component"] for r in widget.restarts["instances"]} == {"predictor", "transformer"}
        assert widget.sync_state()["restarts"]["looping"] == []
    finally:
        widget.close()
    sb.app.hopsworks_version = "4.2.0"
    old = _widget(serving, "frauddetector")
    try:
        old.set_visible(True)
        deadline = time.monotonic() + 5
        while old._restarts.supported:
            assert time.monotonic() < deadline, "the watch did not stop"
            time.sleep(0.01)
        assert old.restarts == {} and old._restarts.requests == 1  # one read said: no counts here
    finally:
        old.close()


def test_download_logs_saves_the_archives_and_says_when_there_are_none(sb, serving, tmp_path):
    sb.crash_loop("frauddetector", every_s=5)
    sb.advance(11)
    deployment = serving.get_deployment("frauddetector")
    paths = deployment.download_logs(str(tmp_path))
    assert len(paths) == 2 and all("Traceback" in open(p, encoding="utf-8").read() for p in paths)
    assert len(deployment.download_logs(str(tmp_path), latest=True)) == 1
    with pytest.raises(FileNotFoundError, match="No archived logs for deployment 'churnmodel'"):
        serving.get_deployment("churnmodel").download_logs(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        deployment.download_logs(str(tmp_path / "missing"))
    widget = _widget(serving, "frauddetector")
    try:
        assert widget.can_download_logs
        reply = widget.commands()["download_logs"]({}).result(10)
        assert reply["ok"] and len(reply["paths"]) == 2 and reply["folder"].startswith("logs-deployment-frauddetector_")
        assert widget.logs_download == reply and reply["seq"] == 1  # the view reads it from the trait
    finally:
        widget.close()
        import shutil

        shutil.rmtree(reply["folder"], ignore_errors=True)


def test_the_snapshot_carries_the_identity_links_and_the_scaling(sb, serving):
    widget = _widget(serving, "frauddetector")
    try:
        page = snapshot.detail_html(widget)
    finally:
        widget.close()
    assert f"href='{sb.url}/p/119/deployments/" in page and ">Open in Hopsworks</a>" in page
    assert "rel='noopener noreferrer'" in page and "data-link='inference'" in page
    assert "/inference/models/frauddetector:predict" in page
    assert "autoscaler KEDA" in page and "stabilization up 30 s / down 300 s" in page


def test_the_snapshot_leaves_out_links_that_are_not_http():
    from types import SimpleNamespace

    links = {"ui": "javascript:alert(1)", "inference": "https://h/x?a=<b>"}
    w = SimpleNamespace(links=links, resources={}, endpoint={})
    html = snapshot._page(w)
    assert "javascript" not in html and "Open in Hopsworks" not in html
    assert "href='https://h/x?a=&lt;b&gt;'" in html


def test_the_snapshot_keeps_the_crash_loop_warning_escaped():
    from types import SimpleNamespace

    calm = SimpleNamespace(restarts={"instances": [{"instance": "p0", "recent": 0}], "looping": [], "window_s": 600})
    assert snapshot._restarting(calm) == "" and snapshot._restarting(SimpleNamespace(restarts={})) == ""
    pod = {"component": "predictor", "instance": "<img src=x>-0", "restarts": 9, "recent": 4, "looping": True}
    w = SimpleNamespace(restarts={"instances": [pod], "looping": [pod], "window_s": 600})
    html = snapshot._restarting(w)
    assert "Keeps restarting: <bdi>&lt;img src=x&gt;-0</bdi> (predictor): 4 restarts in 10 min" in html
    assert "<img" not in html
    many = SimpleNamespace(restarts={"looping": [dict(pod, instance=f"p{i}") for i in range(5)], "window_s": 300})
    assert "<bdi>p2</bdi> (predictor)" in snapshot._restarting(many) and "p3" not in snapshot._restarting(many)
    assert "and 2 more" in snapshot._restarting(many) and "in 5 min" in snapshot._restarting(many)


def test_download_logs_saves_only_plain_file_names_of_the_listing(sb, serving, tmp_path, monkeypatch):
    sb.crash_loop("frauddetector", every_s=5)
    sb.advance(11)
    deployment = serving.get_deployment("frauddetector")
    client = deployment._client
    real = client.get

    def hostile(path, **kwargs):
        answer = real(path, **kwargs)
        if "/dataset/" in path and kwargs.get("params", {}).get("action") == "listing":
            extra = ["../escape.log", "..", "a/b.log", "c\\d.log", ".hidden\u202e.log"]
            answer["items"] += [{"attributes": {"name": n}} for n in extra]
            answer["items"] += answer["items"][:1]  # listed twice
        return answer

    monkeypatch.setattr(client, "get", hostile)
    paths = deployment.download_logs(str(tmp_path))
    assert len(paths) == 2 and all(p.startswith(str(tmp_path)) and p.endswith("_predictor.log") for p in paths)
    assert not (tmp_path.parent / "escape.log").exists()


def test_bad_scaling_values_and_tags_are_left_out_not_shown_as_none():
    from hops_widgets.state import DeploymentState

    data = {
        "name": "x",
        "status": "Running",
        "predictorScalingConfig": {
            "minInstances": 1,
            "autoscaler": "",
            "additionalScaleMetrics": [{"scaleMetric": "CPU"}, "nope", {"target": 3}, {"scaleMetric": 7}],
            "idleScaleToZero": "yes",
            "coldStartTimeoutSeconds": float("nan"),
            "scaleUpStabilizationWindowSeconds": -1,
            "scaleDownStabilizationWindowSeconds": 120,
        },
        "missingMandatoryTags": [{"name": "owner\u202e"}, {"nope": 1}, 5],
    }
    state = DeploymentState.from_json(data)
    p = state.resources["predictor"]
    assert p == {"min_instances": 1, "additional_metrics": [["CPU", None]], "scale_down_window_s": 120}
    assert "CPU (default target)" in state.report() and "stabilization up ? s / down 120 s" in state.report()
    (problem,) = state.problems
    assert problem.startswith("Missing mandatory tags: owner.") and "\u202e" not in problem
    assert DeploymentState.from_json({**data, "missingMandatoryTags": [{"nope": 1}]}).problems == ()
    assert DeploymentState.from_json({**data, "missingMandatoryTags": "owner"}).problems == ()
