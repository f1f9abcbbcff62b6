"""The request log, and scripting a sandbox from outside its process through ``/_sandbox/<op>``."""

from __future__ import annotations

import pytest
import requests

from hops_widgets import errors, sandbox
from hops_widgets.sandbox import ENV_CA, ENV_KEY, ENV_PROJECT, ENV_URL, RemoteSandbox, Sandbox, ScenarioError


@pytest.fixture
def remote(sb, monkeypatch):
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    handle = sandbox.connect_or_start()
    yield handle
    handle.stop()


# ------------------------------------------------------------------ request log
def test_log_entries_have_method_path_query_status_time(serving, sb):
    sb.clear_log()
    serving.get_deployment("missing")
    (entry,) = sb.requests()
    assert entry["method"] == "GET"
    assert entry["path"] == "/hopsworks-api/api/project/119/serving"
    assert entry["query"] == "name=missing"
    assert entry["status"] == 404
    assert entry["endpoint"] == "serving_by_name"
    assert entry["deployment"] == "missing"
    assert entry["time"] > 0 and entry["duration_ms"] >= 0


def test_log_filters_count_per_endpoint(serving, sb):
    sb.clear_log()
    fraud = serving.get_deployment("frauddetector")
    fraud.get_state()
    fraud.get_state()
    serving.get_deployment("recommender").get_state()
    fraud.stop(await_stopped=0)
    assert len(sb.requests("/serving/1")) == 3
    assert len(sb.requests("/serving/1", method="GET")) == 2
    assert len(sb.requests(method="POST")) == 1
    assert len(sb.requests(deployment="recommender")) == 2
    assert len(sb.requests(status=200)) == 6
    assert len(sb.requests(endpoint="serving_by_name")) == 2


def test_admin_calls_are_not_logged_and_clear_log_empties(serving, sb):
    serving.list_states()
    sb.info()
    sb.faults()
    assert [e["endpoint"] for e in sb.requests()] == ["project_info", "serving_list"]
    sb.clear_log()
    assert sb.requests() == []


def test_rejected_requests_are_logged_too(sb):
    requests.get(f"{sb.url}/hopsworks-api/api/project", timeout=5)
    assert [e["status"] for e in sb.requests(endpoint="projects")] == [401]


# ------------------------------------------------------------------ remote handle
def test_connect_or_start_uses_the_env(remote, sb):
    assert isinstance(remote, RemoteSandbox)
    assert remote.speed == sb.speed == 1
    assert (remote.url, remote.project, remote.project_id, remote.port) == (sb.url, "demo", 119, sb.port)
    assert sb.api_key not in repr(remote)


def test_connect_or_start_without_env_starts_one(monkeypatch):
    for name in (ENV_URL, ENV_KEY, ENV_PROJECT, ENV_CA):
        monkeypatch.delenv(name, raising=False)
    handle = sandbox.connect_or_start(speed=5)
    try:
        assert isinstance(handle, Sandbox)
        assert handle.info()["speed"] == handle.speed == 5
    finally:
        handle.stop()


def test_remote_scenario_matches_in_process(remote, sb):
    with remote.login() as project:
        serving = project.get_model_serving()
        d = serving.get_deployment("churnmodel")
        remote.http_error(503, retry_after=3, deployment="churnmodel", times=1)
        with pytest.raises(errors.ServerError) as info:
            d.get_state()
        assert info.value.retry_after_s == 3
        d.start(await_running=0)
        remote.advance(sb.world.timing.start_s)
        assert d.get_state().status == "RUNNING"
        remote.set_state("churnmodel", "Hibernating")
        assert d.get_state().status == "HIBERNATING"
        remote.fail("churnmodel", "READY", "Failed to setup connectivity: no route", now=True)
        assert d.get_state().condition.reason == "Failed to setup connectivity: no route"
    assert remote.add_deployments(50, prefix="many") == [f"many{i:03d}" for i in range(1, 51)]
    assert len(sb.deployments()) == 54
    assert remote.requests("/serving/4") == sb.requests("/serving/4")
    assert len(sb.requests("/serving/4")) >= 4
    remote.mutate(drop=["condition"], deployment="frauddetector")
    assert [f["kind"] for f in sb.faults()] == ["mutate"]
    remote.reset()
    assert len(sb.deployments()) == 4
    assert sb.requests() == []


def test_remote_errors_become_scenario_errors(remote):
    with pytest.raises(ScenarioError) as info:
        remote.start_deployment("nobody")
    assert info.value.status_code == 404
    with pytest.raises(ScenarioError):
        remote.add_fault("meteor")
    with pytest.raises(ScenarioError, match="Unknown sandbox operation"):
        remote._call("self_destruct")


def test_remote_needs_the_right_key(sb):
    with pytest.raises(ScenarioError) as info:
        RemoteSandbox(sb.url, "wrong-key")
    assert info.value.status_code == 401


def test_remote_unreachable(clock):
    stopped = sandbox.start(clock=clock)
    stopped.stop()
    with pytest.raises(ScenarioError, match="Cannot reach"):
        RemoteSandbox(stopped.url, stopped.api_key, timeout=1)


def test_remote_over_tls_with_the_ca(tls_sb, monkeypatch):
    for name, value in tls_sb.env().items():
        monkeypatch.setenv(name, value)
    with sandbox.connect_or_start() as remote:
        assert remote.ca_path == tls_sb.ca_path
        assert remote.status("frauddetector") == "Running"
        kwargs = remote.sdk_login_kwargs()
        assert kwargs["trust_store_path"] == tls_sb.ca_path and kwargs["hostname_verification"] is True


def test_admin_get_with_query_arguments(sb):
    headers = {"Authorization": f"ApiKey {sb.api_key}"}
    r = requests.get(f"{sb.url}/_sandbox/deployment", params={"name": "recommender"}, headers=headers, timeout=5)
    assert r.status_code == 200
    assert r.json()["result"]["name"] == "recommender"
    bad = requests.post(f"{sb.url}/_sandbox/info", data=b"[1]", headers=headers, timeout=5)
    assert bad.status_code == 400


def test_sdk_login_kwargs_need_tls(sb):
    with pytest.raises(ScenarioError, match="HTTPS"):
        sb.sdk_login_kwargs()
