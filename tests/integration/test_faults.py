"""Every fault kind, seen through the client as the right exception or the right odd state."""

from __future__ import annotations

import time

import pytest

from hops_widgets import errors
from hops_widgets.sandbox import ScenarioError

SERVING_1 = "/serving/1"


@pytest.fixture
def fraud(serving):
    return serving.get_deployment("frauddetector")


@pytest.mark.parametrize(
    ("status", "exc_type", "code"),
    [
        (401, errors.AuthenticationError, 320012),
        (403, errors.PermissionDenied, 320004),
        (404, errors.DeploymentNotFound, 240000),
        (500, errors.ServerError, 120000),
    ],
)
def test_http_error_statuses(fraud, sb, status, exc_type, code):
    sb.http_error(status, deployment="frauddetector", times=1)
    with pytest.raises(exc_type) as info:
        fraud.get_state()
    assert info.value.status_code == status
    assert info.value.error_code == code
    assert f"HTTP {status}" in str(info.value)
    assert fraud.get_state().status == "RUNNING"  # one-shot: gone after one use


def test_401_carries_www_authenticate(fraud, sb):
    sb.http_error(401, times=1)
    with pytest.raises(errors.AuthenticationError) as info:
        fraud.get_state()
    assert "WWW-Authenticate" in info.value.response.headers


def test_404_on_lookup_means_none(serving, sb):
    sb.http_error(404, endpoint="serving_by_name", times=1)
    assert serving.get_deployment("frauddetector") is None
    assert serving.get_deployment("frauddetector") is not None


def test_502_is_retried_twice_then_raised(fraud, sb):
    sb.http_error(502)
    sb.clear_log()
    with pytest.raises(errors.ServerError) as info:
        fraud.get_state()
    assert info.value.status_code == 502
    assert len(sb.requests(SERVING_1)) == 3  # one try and two quick retries, no more


def test_one_shot_503_without_retry_after_is_absorbed_by_a_retry(fraud, sb):
    sb.http_error(503, times=1)
    sb.clear_log()
    assert fraud.get_state().status == "RUNNING"
    assert [r["status"] for r in sb.requests(SERVING_1)] == [503, 200]


def test_503_with_retry_after_reaches_the_caller_at_once(fraud, sb):
    sb.http_error(503, retry_after=7, deployment="frauddetector")
    sb.clear_log()
    with pytest.raises(errors.ServerError) as info:
        fraud.get_state()
    assert info.value.retry_after_s == 7.0
    assert errors.retry_after(info.value) == 7.0
    assert info.value.response.headers["Retry-After"] == "7"
    assert len(sb.requests(SERVING_1)) == 1  # the poller, not the transport, decides when to come back


def test_post_is_never_retried(fraud, sb):
    sb.http_error(503, endpoint="serving_action")
    sb.clear_log()
    with pytest.raises(errors.ServerError):
        fraud.stop(await_stopped=0)
    assert len(sb.requests(method="POST")) == 1
    assert sb.status("frauddetector") == "Running"


def test_latency_is_added(fraud, sb):
    sb.latency(0.3, times=1)
    started = time.perf_counter()
    assert fraud.get_state().status == "RUNNING"
    assert time.perf_counter() - started >= 0.3
    assert sb.requests(SERVING_1)[-1]["duration_ms"] >= 300


def test_delay_beyond_the_client_timeout_is_timeout(sb):
    with sb.login(timeout=0.3) as project:
        d = project.get_model_serving().get_deployment("frauddetector")
        sb.latency(5, times=1)
        started = time.perf_counter()
        with pytest.raises(errors.Timeout) as info:
            d.get_state()
        assert time.perf_counter() - started < 2  # read timeouts are not retried
        assert "0.3 s" in str(info.value)


def test_stop_interrupts_a_pending_delay(clock):
    from hops_widgets import sandbox

    sb = sandbox.start(clock=clock)
    sb.latency(60)
    import threading

    import requests

    outcome = []

    def call():
        try:
            headers = {"Authorization": f"ApiKey {sb.api_key}"}
            requests.get(f"{sb.url}/hopsworks-api/api/variables/versions", headers=headers, timeout=30)
        except requests.RequestException as exc:
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.1)
    started = time.perf_counter()
    sb.stop()
    thread.join(5)
    assert time.perf_counter() - started < 2
    assert outcome  # the client got an error, not a 60 s wait


def test_malformed_json(fraud, sb):
    sb.malformed_json(deployment="frauddetector", times=1)
    with pytest.raises(errors.InvalidResponse) as info:
        fraud.get_state()
    assert "JSON" in str(info.value)
    assert info.value.status_code == 200


@pytest.mark.parametrize(("status", "exc_type"), [(502, errors.ServerError), (200, errors.InvalidResponse)])
def test_html_page(fraud, sb, status, exc_type):
    sb.html_page(status, times=3)
    with pytest.raises(exc_type) as info:
        fraud.get_state()
    assert "HTML" in str(info.value)
    assert "<" not in str(info.value)
    assert info.value.status_code == status
    assert info.value.response.headers["Content-Type"].startswith("text/html")


def test_empty_body_where_json_is_expected(fraud, sb):
    sb.empty_body(times=1)
    with pytest.raises(errors.InvalidResponse):
        fraud.get_state()


def test_disconnect_is_connection_failed(fraud, sb):
    sb.disconnect(endpoint="serving_get", times=1)
    with pytest.raises(errors.ConnectionFailed):
        fraud.get_state()
    assert fraud.get_state().status == "RUNNING"


def test_unknown_status_string(fraud, sb):
    sb.unknown_status("Hibernating", deployment="frauddetector")
    state = fraud.get_state()
    assert state.status == "HIBERNATING"
    assert not state.known
    assert state.tone == "unknown"


def test_missing_condition(fraud, sb):
    sb.missing_fields("condition", deployment="frauddetector")
    state = fraud.get_state()
    assert state.condition is None
    assert state.status == "RUNNING"


def test_null_and_negative_counts(fraud, sb):
    sb.mutate(set={"availableInstances": None, "availableTransformerInstances": -3}, deployment="frauddetector")
    state = fraud.get_state()
    assert state.predictor.available is None
    assert state.transformer.available is None
    assert any("negative" in p for p in state.problems)


def test_huge_reason(fraud, sb):
    sb.mutate(set={"condition.reason": "x" * 1_000_000}, deployment="frauddetector")
    state = fraud.get_state()
    assert len(state.condition.reason) == 1_000_000  # parsed; the state layer shortens it for display
    assert len(state.report()) < 5_000


def test_data_faults_apply_to_list_items_of_their_deployment_only(serving, sb):
    sb.unknown_status("Dreaming", deployment="recommender")
    states = {s.name: s.status for s in serving.list_states()}
    assert states["recommender"] == "DREAMING"
    assert states["frauddetector"] == "RUNNING"
    sb.clear_faults()
    sb.unknown_status("Everywhere")
    assert {s.status for s in serving.list_states()} == {"EVERYWHERE"}


def test_http_faults_for_one_deployment_leave_others_and_listing_alone(serving, sb):
    sb.http_error(500, deployment="recommender")
    assert serving.get_deployment("frauddetector").get_state().status == "RUNNING"
    assert len(serving.list_states()) == 4
    with pytest.raises(errors.ServerError):
        serving.get_deployment("recommender")


def test_fault_filters_by_endpoint_method_and_path(serving, sb):
    sb.http_error(500, endpoint="serving_list")
    with pytest.raises(errors.ServerError):
        serving.list_states()
    assert serving.get_deployment("frauddetector") is not None
    sb.clear_faults()
    sb.http_error(500, path="/serving/2")
    assert serving.get_deployment_by_id(1) is not None
    with pytest.raises(errors.ServerError):
        serving.get_deployment_by_id(2)
    sb.clear_faults()
    sb.http_error(403, method="POST")
    d = serving.get_deployment("churnmodel")
    with pytest.raises(errors.PermissionDenied):
        d.start(await_running=0)


def test_fault_counts_and_clearing(fraud, sb):
    first = sb.http_error(500, times=2)
    forever = sb.unknown_status("Odd")
    listed = {f["id"]: f for f in sb.faults()}
    assert listed[first]["times"] == 2 and listed[forever]["times"] is None
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            fraud.get_state()
    assert fraud.get_state().status == "ODD"
    assert [f["id"] for f in sb.faults()] == [forever]
    assert sb.clear_fault(forever) is True
    assert sb.clear_fault(forever) is False
    assert fraud.get_state().status == "RUNNING"


def test_faults_reach_login(sb):
    sb.http_error(401, endpoint="project_info", times=1)
    with pytest.raises(errors.AuthenticationError):
        sb.login()
    with sb.login() as project:
        assert project.name == "demo"


def test_bad_fault_arguments(sb):
    with pytest.raises(ScenarioError):
        sb.add_fault("meteor")
    with pytest.raises(ScenarioError):
        sb.http_error(200)
    with pytest.raises(ScenarioError):
        sb.latency(-1)
    with pytest.raises(ScenarioError):
        sb.http_error(500, times=0)
    with pytest.raises(ScenarioError):
        sb.add_fault("latency", seconds=1, colour="red")
