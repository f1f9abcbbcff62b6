"""The built-in client's own behaviour: login variants, waiting, request counts, the session."""

from __future__ import annotations

import time

import pytest

from hops_widgets import errors
from hops_widgets.client import Client, Deployment, ModelServing, Project, login


def test_login_by_host_and_port(sb):
    with login(host="127.0.0.1", port=sb.port, scheme="http", project="demo", api_key=sb.api_key) as project:
        assert (project.name, project.id) == ("demo", 119)
        assert project.url == sb.url


def test_login_accepts_url_in_host(sb):
    with login(sb.url, project="demo", api_key=sb.api_key) as project:
        assert project.id == 119


def test_login_without_project_takes_the_first(sb):
    with login(url=sb.url, api_key=sb.api_key) as project:
        assert project.name == "demo"
    assert sb.requests(endpoint="projects")


def test_login_reads_key_and_project_from_env(sb, monkeypatch):
    monkeypatch.setenv("HOPSWORKS_API_KEY", sb.api_key)
    monkeypatch.setenv("HOPSWORKS_PROJECT", "demo")
    with login(url=sb.url) as project:
        assert project.id == 119


def test_login_unknown_project(sb):
    with pytest.raises(errors.HopsError, match="No project named 'nope'"):
        login(url=sb.url, project="nope", api_key=sb.api_key)


def test_login_argument_checks(sb, monkeypatch):
    monkeypatch.delenv("HOPSWORKS_API_KEY", raising=False)
    with pytest.raises(ValueError, match="API key"):
        login(url=sb.url, project="demo")
    with pytest.raises(ValueError):
        login(url="ftp://example.com", api_key="k")
    with pytest.raises(ValueError):
        Client(sb.url, "key", timeout=0)


def test_one_get_per_state_and_one_per_listing(serving, sb):
    d = serving.get_deployment("frauddetector")
    sb.clear_log()
    for _ in range(5):
        d.get_state()
    serving.list_states()
    serving.get_deployments()
    assert len(sb.requests(endpoint="serving_get")) == 5
    assert len(sb.requests(endpoint="serving_list")) == 2
    assert len(sb.requests()) == 7


def test_start_and_stop_fire_and_return_with_one_request(serving, sb):
    d = serving.get_deployment("churnmodel")
    sb.clear_log()
    assert d.start(await_running=0) is None
    sb.advance(sb.info()["timing"]["step_s"] * 4)  # a start under way cannot be stopped: let it run
    assert d.stop(await_stopped=0) is None
    assert [(r["method"], r["query"]) for r in sb.requests()] == [("POST", "action=START"), ("POST", "action=STOP")]


def test_start_awaits_running_and_stop_awaits_stopped(fast_sb):
    with fast_sb.login() as project:
        d = project.get_model_serving().get_deployment("churnmodel")
        state = d.start(await_running=10, poll_interval_s=0.02)
        assert state.status == "RUNNING"
        assert d.is_running()
        state = d.stop(await_stopped=10, poll_interval_s=0.02)
        assert state.status == "STOPPED"
        assert d.is_stopped()


def test_start_raises_deployment_failed_with_the_reason(fast_sb):
    fast_sb.fail("churnmodel", "STARTED", "Failed to run: predictor.py raised KeyError")
    with fast_sb.login() as project:
        d = project.get_model_serving().get_deployment("churnmodel")
        with pytest.raises(errors.DeploymentFailed) as info:
            d.start(await_running=10, poll_interval_s=0.02)
        assert "predictor.py raised KeyError" in str(info.value)
        assert info.value.state.status == "FAILED"
        assert info.value.state.condition.type == "STARTED"


def test_start_times_out(clock, sb, serving):
    d = serving.get_deployment("churnmodel")  # the manual clock never moves: it never gets there
    started = time.perf_counter()
    with pytest.raises(errors.Timeout, match=r"did not become Running or Idle within 0\.2 s"):
        d.start(await_running=0.2, poll_interval_s=0.05)
    assert time.perf_counter() - started < 2


def test_attributes_follow_the_last_fetch(serving, sb):
    d = serving.get_deployment("frauddetector")
    sb.update_deployment("frauddetector", requested_instances=5, min_instances=0)
    assert d.resources.num_instances == 2
    d.get_state()
    assert d.resources.num_instances == 5
    assert d.scaling_configuration.min_instances == 0
    assert d.to_dict()["requestedInstances"] == 5


def test_poller_keys(serving, sb):
    a = serving.get_deployment("frauddetector")
    b = serving.get_deployment_by_id(1)
    assert a._hops_widgets_key == b._hops_widgets_key == (sb.url, 119, 1)
    assert hash(a._hops_widgets_key)
    assert serving.get_deployment("recommender")._hops_widgets_key != a._hops_widgets_key
    assert serving._hops_widgets_key == (sb.url, 119)
    assert serving._hops_widgets_secrets == (sb.api_key,)


def test_invalid_list_shapes(serving, sb):
    sb.mutate(drop=["id"], deployment="recommender")
    with pytest.raises(errors.InvalidResponse):
        serving.get_deployments()
    states = serving.list_states()  # states need no id
    assert len(states) == 4


def test_envelope_list_is_accepted(serving, monkeypatch):
    real = serving._client.get

    def enveloped(path, **kwargs):
        data = real(path, **kwargs)
        return {"count": len(data), "items": data} if isinstance(data, list) else data

    monkeypatch.setattr(serving._client, "get", enveloped)
    assert len(serving.list_states()) == 4


def test_show_goes_through_the_display_module(serving, monkeypatch):
    import hops_widgets.display as display

    calls = []
    monkeypatch.setattr(display, "show", lambda obj, **kw: calls.append((obj, kw)) or "shown")
    d = serving.get_deployment("frauddetector")
    assert d.show(fast_s=0.5) == "shown"
    assert serving.show() == "shown"
    assert calls == [(d, {"fast_s": 0.5}), (serving, {})]


def test_close_releases_the_session(sb):
    project = sb.login()
    serving = project.get_model_serving()
    project.close()
    assert project._client._closed
    assert isinstance(project, Project) and isinstance(serving, ModelServing)


def test_deployment_needs_id_and_name(serving):
    with pytest.raises(errors.InvalidResponse):
        Deployment(serving, {"name": "x"})


def test_package_level_login_is_the_client():
    import hops_widgets

    assert hops_widgets.login is login
