"""Deployment logs over loopback: the sandbox endpoint, what the state machine prints, the client's calls.

Everything runs against a real sandbox on 127.0.0.1 with a manual clock, so a
test says when time passes and the logs move with the state.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from hops_widgets import _sdk, sandbox
from hops_widgets.errors import AuthenticationError, HopsError, ServerError, Timeout, no_logs
from hops_widgets.poller import DeploymentSource
from hops_widgets.sandbox import ScenarioError

POD = re.compile(
    r"^(?P<name>[a-z0-9-]+)-(?P<component>predictor|transformer)-\d{5}-deployment-[a-z0-9]{10}-[a-z0-9]{5}$"
)
STARTUP_S = 12.0  # more than a start's 10.5 sandbox seconds


def logs_path(sb, name: str) -> str:
    ident = sb.deployment(name)["id"]
    return f"/project/{sb.project_id}/serving/{ident}/logs"


def lines_of(entry: dict) -> list[str]:
    return entry["content"].splitlines()


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# ------------------------------------------------------------------ endpoint
def test_kubernetes_source_is_one_entry_per_live_instance_with_the_server_default_tail(sb, http):
    response = http.get(logs_path(sb, "frauddetector"), params={"component": "predictor"})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 2  # frauddetector asks for two predictor instances
    names = [entry["instanceName"] for entry in body]
    assert len(set(names)) == 2
    for entry in body:
        # 3.8 sends these two; a 5.2 backend (the sandbox's default) adds what SDK 5.2.1 reads of a pod
        assert set(entry) == {"instanceName", "content", "podUid", "restartCount", "truncated", "readFailed"}
        assert entry["restartCount"] == 0 and entry["truncated"] is False and entry["readFailed"] is False
        match = POD.match(entry["instanceName"])
        assert match and match["name"] == "frauddetector" and match["component"] == "predictor"
        assert len(lines_of(entry)) == 5  # no tail sent: the server's default
        assert entry["content"].endswith("\n")


def test_tail_bounds_each_instance_and_bad_tails_are_refused(sb, http):
    path = logs_path(sb, "frauddetector")
    two = http.get(path, params={"component": "predictor", "tail": 2}).json()
    many = http.get(path, params={"component": "predictor", "tail": 1000}).json()
    assert [len(lines_of(e)) for e in two] == [2, 2]
    for short, full in zip(two, many, strict=True):
        assert len(lines_of(full)) > 10
        assert lines_of(full)[-2:] == lines_of(short)  # the newest lines, oldest first
    zero = http.get(path, params={"component": "predictor", "tail": 0}).json()
    assert [e["content"] for e in zero] == ["", ""]
    for bad in ("-1", "ten", "1.5"):
        response = http.get(path, params={"component": "predictor", "tail": bad})
        assert response.status_code == 400, bad
        assert response.json()["errorCode"] == 240001


def test_components_and_the_errors_of_the_endpoint(sb, http):
    transformer = http.get(logs_path(sb, "frauddetector"), params={"component": "transformer"}).json()
    assert len(transformer) == 1 and POD.match(transformer[0]["instanceName"])["component"] == "transformer"
    assert (
        "Loading transformer script"
        in http.get(logs_path(sb, "frauddetector"), params={"component": "transformer", "tail": 100}).json()[0][
            "content"
        ]
    )
    # recommender runs without a transformer: its transformer logs are 422; the component defaults to
    # the predictor; an unknown one is 422 (the backend's IllegalArgumentException)
    no_transformer = http.get(logs_path(sb, "recommender"), params={"component": "transformer"})
    assert (no_transformer.status_code, no_transformer.json()["errorCode"]) == (422, 120001)
    default = http.get(logs_path(sb, "recommender"), params={})
    assert default.status_code == 200 and POD.match(default.json()[0]["instanceName"])["component"] == "predictor"
    assert http.get(logs_path(sb, "recommender"), params={"component": "explainer"}).status_code == 422
    assert http.get(logs_path(sb, "recommender"), params={"component": "predictor", "source": "s3"}).status_code == 400
    # churnmodel never ran: no pod, no logs (404 / 240027), whichever component
    created = http.get(logs_path(sb, "churnmodel"), params={"component": "transformer"})
    assert (created.status_code, created.json()["errorCode"]) == (404, 240027)
    missing = http.get(f"/project/{sb.project_id}/serving/999/logs", params={"component": "predictor"})
    assert missing.status_code == 404 and missing.json()["errorCode"] == 240000
    other_project = http.get("/project/1/serving/1/logs", params={"component": "predictor"})
    assert (other_project.status_code, other_project.json()["errorCode"]) == (404, 150004)


def test_opensearch_source_is_the_history_one_document_per_line(sb, http):
    path = logs_path(sb, "frauddetector")
    docs = http.get(path, params={"component": "predictor", "source": "opensearch", "tail": 1000}).json()
    assert len(docs) > 20
    for doc in docs:
        assert set(doc) == {"instanceName", "content", "timestamp", "docId"}
        assert "\n" not in doc["content"]
        parse(doc["timestamp"])
    assert len({doc["docId"] for doc in docs}) == len(docs)
    stamps = [parse(doc["timestamp"]) for doc in docs]
    assert stamps == sorted(stamps)
    assert len({doc["instanceName"] for doc in docs}) == 2
    last3 = http.get(path, params={"component": "predictor", "source": "opensearch", "tail": 3}).json()
    assert last3 == docs[-3:]  # tail is over the whole component, not per instance
    default = http.get(path, params={"component": "predictor", "source": "opensearch"}).json()
    assert default == docs[-5:]


def test_since_and_until_bound_the_history_and_the_live_source_ignores_them(sb, http):
    path = logs_path(sb, "frauddetector")
    docs = http.get(path, params={"component": "predictor", "source": "opensearch", "tail": 1000}).json()
    middle = docs[len(docs) // 2]["timestamp"]
    after = http.get(
        path, params={"component": "predictor", "source": "opensearch", "tail": 1000, "since": middle}
    ).json()
    before = http.get(
        path, params={"component": "predictor", "source": "opensearch", "tail": 1000, "until": middle}
    ).json()
    assert after and before and len(after) < len(docs) and len(before) < len(docs)
    assert all(parse(d["timestamp"]) >= parse(middle) for d in after)
    assert all(parse(d["timestamp"]) <= parse(middle) for d in before)
    assert {d["docId"] for d in after} | {d["docId"] for d in before} == {d["docId"] for d in docs}
    # the same instant written with an offset instead of Z
    shifted = parse(middle).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert (
        http.get(path, params={"component": "predictor", "source": "opensearch", "tail": 1000, "since": shifted}).json()
        == after
    )
    window = http.get(
        path,
        params={"component": "predictor", "source": "opensearch", "tail": 1000, "since": middle, "until": middle},
    ).json()
    assert window and all(d["timestamp"] == middle for d in window)
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    live = {"component": "predictor", "tail": 3}
    assert http.get(path, params={**live, "since": future}).json() == http.get(path, params=live).json()
    bad = http.get(path, params={"component": "predictor", "source": "opensearch", "since": "yesterday"})
    assert bad.status_code == 400


def test_pod_keeps_one_instance_on_both_sources(sb, http):
    path = logs_path(sb, "frauddetector")
    names = [e["instanceName"] for e in http.get(path, params={"component": "predictor"}).json()]
    one = http.get(path, params={"component": "predictor", "pod": names[1]}).json()
    assert [e["instanceName"] for e in one] == [names[1]]
    docs = http.get(
        path, params={"component": "predictor", "source": "opensearch", "pod": names[0], "tail": 100}
    ).json()
    assert docs and {d["instanceName"] for d in docs} == {names[0]}
    assert http.get(path, params={"component": "predictor", "pod": "no-such-pod"}).json() == []


def test_timestamps_true_prefixes_live_lines_with_the_time_they_were_printed(sb, http):
    path = logs_path(sb, "frauddetector")
    plain = http.get(path, params={"component": "predictor", "tail": 3}).json()[0]
    stamped = http.get(path, params={"component": "predictor", "tail": 3, "timestamps": "true"}).json()[0]
    assert len(lines_of(plain)) == 3  # the loop below runs
    for bare, line in zip(lines_of(plain), lines_of(stamped), strict=True):
        stamp, _, rest = line.partition(" ")
        parse(stamp)
        assert rest == bare


def test_auth_is_checked_and_the_key_never_shows(sb, http):
    path = logs_path(sb, "frauddetector")
    no_key = http.session.get(
        f"{sb.url}/hopsworks-api/api{path}", params={"component": "predictor"}, headers={"Authorization": ""}, timeout=5
    )
    assert no_key.status_code == 401
    wrong = http.session.get(
        f"{sb.url}/hopsworks-api/api{path}",
        params={"component": "predictor"},
        headers={"Authorization": "ApiKey wrong-key-abcdef"},
        timeout=5,
    )
    assert wrong.status_code == 401 and wrong.json()["errorCode"] == 320012
    with sb.login(timeout=5) as project:
        deployment = project.get_model_serving().get_deployment("frauddetector")
        sb.http_error(401, endpoint="serving_logs", times=1)
        with pytest.raises(AuthenticationError) as caught:
            deployment.read_logs()
        assert sb.api_key not in str(caught.value) and sb.api_key not in repr(caught.value.args)


# ------------------------------------------------------------------- faults
def test_the_logs_endpoint_can_fail_or_be_slow_by_scenario(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    fault = sb.fail_logs(503, deployment="frauddetector")
    with pytest.raises(ServerError) as caught:
        deployment.read_logs()
    assert caught.value.status_code == 503 and sb.api_key not in str(caught.value)
    assert serving.get_deployment("recommender").read_logs()  # other deployments unaffected
    assert deployment.get_state().status == "RUNNING"  # only the logs endpoint is faulted
    sb.clear_fault(fault)
    assert deployment.read_logs()
    sb.slow_logs(1.0, times=1)
    started = time.monotonic()
    with pytest.raises(Timeout) as slow:
        deployment.log_entries(timeout=0.3)
    assert time.monotonic() - started < 0.9 and sb.api_key not in str(slow.value)
    assert [f["endpoint"] for f in sb.faults()] == [["serving_logs"]] or sb.faults() == []
    sb.http_error(500, endpoint="serving_logs", times=1)
    with pytest.raises(ServerError):
        deployment.read_logs()
    assert deployment.read_logs()  # one-shot: the next read works


def test_log_faults_over_http_and_append_log_from_another_process_handle(sb, serving):
    remote = sandbox.RemoteSandbox(sb.url, sb.api_key)
    remote.fail_logs(500, deployment="frauddetector", times=1)
    deployment = serving.get_deployment("frauddetector")
    with pytest.raises(ServerError):
        deployment.read_logs()
    written = remote.append_log("frauddetector", "remote hello <b>bold</b>\n", instance=1)
    assert len(written) == 1 and POD.match(written[0])
    assert deployment.read_logs(pod=written[0], tail=1) == "remote hello <b>bold</b>\n"
    assert remote.instances("frauddetector", "predictor")[1] == written[0]
    with pytest.raises(ScenarioError):
        remote.append_log("churnmodel", "nobody runs")


# ------------------------------------------------------------- the content
def test_a_start_prints_pull_mount_boot_and_load_in_order(sb, http):
    sb.add_deployment("scorer", model_name="scorer_model", model_version=4, transformer=True)
    path = logs_path(sb, "scorer")
    stopped = http.get(path, params={"component": "predictor"})  # stopped: no instance, no logs
    assert (stopped.status_code, stopped.json()["errorCode"]) == (404, 240027)
    sb.start_deployment("scorer")
    sb.advance(0.5)
    assert http.get(path, params={"component": "predictor"}).json() == []  # still being scheduled
    sb.advance(1.5)  # INITIALIZED in progress
    assert sb.deployment("scorer")["condition"]["type"] == "INITIALIZED"
    early = http.get(path, params={"component": "predictor", "tail": 100}).json()
    assert len(early) == 1
    text = early[0]["content"]
    assert "Pulling image" in text and "Mounting volume model-artifacts" in text
    assert "Loading predictor script" not in text
    sb.advance(STARTUP_S)
    assert sb.status("scorer") == "Running"
    text = http.get(path, params={"component": "predictor", "tail": 100}).json()[0]["content"]
    order = [
        "Pulling image",
        "Copying model files",
        "Started container",
        "Loading predictor script /Projects/demo/Models/scorer_model/4/predictor.py",
        "Loading model scorer_model version 4",
        "Application startup complete",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    transformer = http.get(path, params={"component": "transformer", "tail": 100}).json()[0]["content"]
    assert "Loading transformer script /Projects/demo/Resources/scorer_transformer.py" in transformer
    assert "predictor.py" not in transformer


def test_a_failure_at_started_leaves_the_predictor_scripts_traceback(sb, serving):
    sb.add_deployment("broken", model_name="broken_model", model_version=2)
    sb.fail("broken", "STARTED")
    sb.start_deployment("broken")
    sb.advance(STARTUP_S)
    deployment = serving.get_deployment("broken")
    assert deployment.get_state().status == "FAILED"
    text = deployment.read_logs(tail=20)
    lines = text.splitlines()
    assert "Traceback (most recent call last):" in lines
    assert 'File "/Projects/demo/Models/broken_model/2/predictor.py", line 3, in <module>' in text
    assert lines[-1] == "ModuleNotFoundError: No module named 'xgboost'"
    assert "Application startup complete" not in deployment.read_logs(tail=1000)  # it never came up
    # the crashed instance is still there to read, and it goes when the deployment stops
    assert len(deployment.log_entries(tail=1)) == 1
    sb.stop_deployment("broken")
    sb.advance(5)
    with pytest.raises(HopsError) as info:  # stopped: the live source has no pod to read
        deployment.read_logs()
    assert (info.value.status_code, info.value.error_code) == (404, 240027)
    history = deployment.read_logs(source="opensearch", tail=1000)
    assert "ModuleNotFoundError" in history


def test_a_transformer_failure_puts_the_traceback_in_the_transformer_log(sb, serving):
    sb.add_deployment("pre", transformer=True)
    sb.fail("pre", "STARTED", "Failed to run: the transformer script exited with code 1")
    sb.start_deployment("pre")
    sb.advance(STARTUP_S)
    deployment = serving.get_deployment("pre")
    assert "ModuleNotFoundError" in deployment.read_logs(component="transformer", tail=30)
    assert "ModuleNotFoundError" not in deployment.read_logs(component="predictor", tail=1000)


def test_a_failure_at_scheduled_has_no_pod_logs(sb, serving):
    sb.stop_deployment("bigllm")  # it is Failed: stopped first, then started again
    sb.advance(5)
    sb.start_deployment("bigllm")
    sb.advance(STARTUP_S)
    deployment = serving.get_deployment("bigllm")
    state = deployment.get_state()
    assert state.status == "FAILED" and state.condition.type == "SCHEDULED"
    assert deployment.log_entries(tail=100) == []
    assert deployment.log_entries(tail=100, source="opensearch") == []
    assert sb.instances("bigllm") == []


def test_a_failure_at_initialized_shows_the_image_pull_error(sb, serving):
    sb.add_deployment("pull")
    sb.fail("pull", "INITIALIZED")
    sb.start_deployment("pull")
    sb.advance(STARTUP_S)
    text = serving.get_deployment("pull").read_logs(tail=100)
    assert "Pulling image" in text and "Failed to pull image" in text.splitlines()[-1]
    assert "Loading predictor script" not in text


def test_failing_now_leaves_a_traceback_even_without_a_start(sb, serving):
    sb.fail("churnmodel", "STARTED", now=True)
    assert "ModuleNotFoundError" in serving.get_deployment("churnmodel").read_logs(tail=5)


def test_inference_requests_append_lines_across_instances(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    before = {
        e["instance"]: len([x for x in deployment.log_entries(tail=1000) if x["instance"] == e["instance"]])
        for e in deployment.log_entries(tail=1)
    }
    for _ in range(4):
        deployment.predict([[1, 2]])
    entries = deployment.log_entries(tail=1000)
    served = [e for e in entries if ":predict 200" in e["content"]]
    assert len(served) == 4
    assert {e["instance"] for e in served} == set(before)  # both predictor instances take turns
    after = {name: len([x for x in entries if x["instance"] == name]) for name in before}
    assert all(after[name] == before[name] + 2 for name in before)
    transformer = deployment.log_entries(component="transformer", tail=1000)
    assert len([e for e in transformer if '"POST /v1/models/frauddetector:predict HTTP/1.1" 200' in e["content"]]) == 4


def test_a_stop_prints_the_shutdown_then_the_live_source_is_empty(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    deployment.predict()
    deployment.stop(await_stopped=0)
    sb.advance(1.0)
    assert deployment.get_state().status == "STOPPING"
    with pytest.raises(HopsError) as info:  # the backend serves no live logs while stopping
        deployment.read_logs(tail=100)
    assert (info.value.status_code, info.value.error_code) == (404, 240027)
    midway = deployment.read_logs(tail=100, source="opensearch")
    assert "Received SIGTERM" in midway
    sb.advance(5)
    assert deployment.get_state().status == "STOPPED"
    with pytest.raises(HopsError):
        deployment.log_entries()
    history = deployment.read_logs(source="opensearch", tail=10_000)
    assert "Finished server process [1]" in history and "Stopped after serving 1 requests" in history


def test_scale_to_zero_and_the_cold_start_change_instances(sb, serving):
    deployment = serving.get_deployment("recommender")
    first = [e["instance"] for e in deployment.log_entries(tail=1)]
    assert len(first) == 1
    sb.advance(40)  # past the 30 s retention
    assert deployment.get_state().status == "IDLE"
    with pytest.raises(HopsError) as info:  # Idle: no pod, no live logs
        deployment.log_entries()
    assert (info.value.status_code, info.value.error_code) == (404, 240027)
    assert "Scaling to zero" in deployment.read_logs(source="opensearch", tail=1000)
    deployment.predict()
    sb.advance(5)
    woken = [e["instance"] for e in deployment.log_entries(tail=1)]
    assert len(woken) == 1 and woken != first
    assert ":predict 200" in deployment.read_logs(tail=1)


def test_append_log_keeps_the_text_as_given(sb, serving):
    payload = "\x1b[31mred\x1b[0m <img src=x onerror=alert(1)>\nprogress 10%\rprogress 100%\nünïcode ✓"
    names = sb.append_log("frauddetector", payload, component="transformer")
    assert len(names) == 1
    entries = serving.get_deployment("frauddetector").log_entries(component="transformer", tail=3)
    assert [e["content"] for e in entries] == payload.split("\n")
    both = sb.append_log("frauddetector", "to every instance", instance="all")
    assert len(both) == 2
    assert sb.log_lines("frauddetector", "predictor")[-1]["text"] == "to every instance"
    with pytest.raises(ScenarioError):
        sb.append_log("frauddetector", "x", instance=7)
    with pytest.raises(ScenarioError):
        sb.append_log("bigllm", "never scheduled")


# ------------------------------------------------------------------ client
def test_read_logs_text_has_headers_only_for_several_instances(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    text = deployment.read_logs(tail=2)
    headers = [line for line in text.splitlines() if line.startswith("==> ")]
    assert len(headers) == 2 and all(POD.match(h[4:-4]) for h in headers)
    assert len(text.splitlines()) == 2 + 2 * 2
    single = deployment.read_logs(component="transformer", tail=2)
    assert "==>" not in single and len(single.splitlines()) == 2 and single.endswith("\n")
    with pytest.raises(ValueError):
        deployment.read_logs(component="explainer")
    with pytest.raises(ValueError):
        deployment.read_logs(since="not a time", source="opensearch")
    assert sb.requests(endpoint="serving_logs")[-1]["query"].count("component=transformer") == 1


def test_only_the_parameters_that_are_set_are_sent(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    sb.clear_log()
    deployment.log_entries(tail=None)
    deployment.read_logs(source="opensearch", since=datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc), pod="p")
    first, second = [r["query"] for r in sb.requests(endpoint="serving_logs")]
    assert first == "component=predictor"
    assert "since=2020-01-02T03%3A04%3A05.000000Z" in second and "pod=p" in second and "until" not in second


def test_get_logs_prints_like_the_sdk_and_says_when_there_is_nothing_live(sb, serving, capsys):
    deployment = serving.get_deployment("frauddetector")
    assert deployment.get_logs(tail=3) is None
    out = capsys.readouterr().out
    assert out.count("Instance name: frauddetector-predictor-") == 2
    assert deployment.get_url() in out
    deployment.stop(await_stopped=0)
    sb.clear_log()
    assert deployment.get_logs() is None
    assert "stopping" in capsys.readouterr().out
    sb.advance(5)
    assert deployment.get_logs() is None
    assert "not running" in capsys.readouterr().out
    assert sb.requests(endpoint="serving_logs") == []  # nothing to read, nothing asked


def _follow(generator, sink: list[str], done: threading.Event) -> threading.Thread:
    def run():
        try:
            for chunk in generator:
                sink.append(chunk)
        finally:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_for(predicate, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_tail_logs_on_the_live_source_yields_each_new_line_once_and_stops(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    stop, done, chunks = threading.Event(), threading.Event(), []
    thread = _follow(deployment.tail_logs(interval=0.05, stop=stop), chunks, done)
    _wait_for(lambda: len(sb.requests(endpoint="serving_logs")) >= 2)
    assert chunks == []  # since="now": what was there before is not news
    for _ in range(3):
        deployment.predict()
    sb.append_log("frauddetector", "same line", instance=0)
    sb.append_log("frauddetector", "same line", instance=0)  # a repeat is a new line too
    _wait_for(lambda: "".join(chunks).count("same line") == 2)
    time.sleep(0.2)  # a few more polls: nothing may come twice
    stop.set()
    thread.join(2)
    assert done.is_set() and not thread.is_alive()
    text = "".join(chunks)
    assert text.count(":predict 200") == 3
    assert text.count("same line") == 2


def test_tail_logs_on_the_history_dedupes_by_document_and_ends_on_timeout_or_status(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    sb.advance(5)  # the sandbox's timestamps are now ahead of the wall clock's "now"
    started = time.monotonic()
    chunks = list(deployment.tail_logs(source="opensearch", interval=0.05, timeout=0.3))
    assert time.monotonic() - started < 2
    assert chunks == []
    sb.clear_log()
    stop, done, chunks = threading.Event(), threading.Event(), []
    thread = _follow(deployment.tail_logs(source="opensearch", interval=0.05, stop=stop), chunks, done)
    _wait_for(lambda: len(sb.requests(endpoint="serving_logs")) >= 3)
    deployment.predict()
    deployment.predict()
    _wait_for(lambda: "".join(chunks).count(":predict 200") == 2)
    time.sleep(0.2)
    stop.set()
    thread.join(2)
    assert "".join(chunks).count(":predict 200") == 2
    # replay from an instant, ending when the status reads Stopped
    deployment.stop(await_stopped=0)
    sb.advance(5)
    replay = list(
        deployment.tail_logs(source="opensearch", since="2000-01-01T00:00:00Z", interval=0.05, stop_on_status="Stopped")
    )
    assert len(replay) == 1 and "Finished server process" in replay[0]


def test_tail_logs_can_be_closed_by_the_caller(sb, serving):
    deployment = serving.get_deployment("frauddetector")
    generator = deployment.tail_logs(since=None, interval=0.05)
    first = next(generator)  # since=None: the current window first
    assert "==> frauddetector-predictor-" in first
    generator.close()
    with pytest.raises(StopIteration):
        next(generator)
    with pytest.raises(ValueError):
        deployment.tail_logs(interval=0)


# ------------------------------------------------------- the widget's source
def test_deployment_source_logs_returns_plain_dicts_for_the_built_in_client(sb, serving, capsys):
    source = DeploymentSource(serving.get_deployment("frauddetector"))
    assert _sdk.logs_plan(source.deployment) == "client"
    live = source.logs("predictor", 3)
    assert len(live) == 6
    for entry in live:
        # a 5.2 backend's live lines also carry their container's restart count
        assert set(entry) == {"instance", "content", "timestamp", "id", "restarts"}
        assert isinstance(entry["restarts"], int)
        assert isinstance(entry["instance"], str) and isinstance(entry["content"], str)
        assert entry["timestamp"] is None and entry["id"] is None
    stamp = source.logs("predictor", 1000, since="2000-01-01T00:00:00Z")
    assert stamp and all(e["timestamp"] and e["id"] for e in stamp)
    newest = stamp[-1]["timestamp"]
    assert all(parse(e["timestamp"]) >= parse(newest) for e in source.logs("predictor", 100, since=newest))
    sb.stop_deployment("frauddetector")
    sb.advance(5)
    # no pod runs: the backend answers 404 / 240027, which the logs section shows as a calm note
    with pytest.raises(HopsError) as caught:
        source.logs("predictor", 10)
    assert no_logs(caught.value) and caught.value.status_code == 404
    assert capsys.readouterr().out == ""
    with pytest.raises(HopsError):
        sb.fail_logs(500, times=1)
        source.logs("predictor", 10)
