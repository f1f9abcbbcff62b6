"""The real hopsworks SDK reading logs from the sandbox with its own calls, and the widget's path beside it."""

from __future__ import annotations

import re
import warnings

import pytest

from hops_widgets import _sdk
from hops_widgets.errors import no_logs
from hops_widgets.poller import DeploymentSource

HEADER = re.compile(r"^==> frauddetector-predictor-\d{5}-deployment-[a-z0-9]{10}-[a-z0-9]{5} <==$", re.M)


def _logs_queries(sandbox) -> list[str]:
    return [r["query"] for r in sandbox.requests(endpoint="serving_logs")]


def test_sdk_read_logs_gets_every_live_instance(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    text = deployment.read_logs()
    assert len(HEADER.findall(text)) == 2
    assert "Application startup complete" in text
    assert _logs_queries(sdk_sandbox) == ["component=predictor&tail=100&source=kubernetes"]
    single = deployment.read_logs(component="transformer", tail=2)
    assert "==>" not in single and len(single.splitlines()) == 2


def test_sdk_read_logs_from_the_history_with_since_and_until(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    docs = sdk_sandbox_docs(sdk_sandbox)
    middle = docs[len(docs) // 2]["time"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 5.2 calls the source deprecated; the backend has it
        after = deployment.read_logs(source="opensearch", tail=1000, since=middle)
        upto = deployment.read_logs(source="opensearch", tail=1000, until=middle)
    expected_after = [d["text"] for d in docs if d["time"] >= middle]
    expected_upto = [d["text"] for d in docs if d["time"] <= middle]
    assert 0 < len(expected_after) < len(docs) and 0 < len(expected_upto) < len(docs)
    assert sorted(_strip_headers(after)) == sorted(expected_after)
    assert sorted(_strip_headers(upto)) == sorted(expected_upto)
    assert any("since=" in q and "source=opensearch" in q for q in _logs_queries(sdk_sandbox))


def sdk_sandbox_docs(sandbox) -> list[dict]:
    return sandbox.log_lines("frauddetector", "predictor")


def _strip_headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("==> ")]


def test_sdk_get_logs_prints_and_reads_nothing_once_stopped(sdk_project, sdk_sandbox, capsys):
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    assert deployment.get_logs(component="transformer", tail=3) is None
    out = capsys.readouterr().out
    assert "frauddetector-transformer-" in out and "Application startup complete" in out
    assert _logs_queries(sdk_sandbox)[-1] == "component=transformer&tail=3"
    deployment.stop(await_stopped=30)
    sdk_sandbox.clear_log()
    capsys.readouterr()
    assert deployment.get_logs() is None
    assert "http" in capsys.readouterr().out  # it points at the page with the history instead
    assert _logs_queries(sdk_sandbox) == []
    # the widget's path asks anyway: the backend's "no pod runs" (404 / 240027), and nothing printed
    with pytest.raises(Exception) as caught:
        DeploymentSource(deployment).logs("predictor", 10)
    assert no_logs(caught.value)
    assert capsys.readouterr().out == ""


def test_a_failed_start_points_at_logs_that_hold_the_traceback(sdk_project, sdk_sandbox, hopsworks_sdk, capsys):
    sdk_sandbox.add_deployment("broken", model_name="broken_model", model_version=2)
    sdk_sandbox.fail("broken", "STARTED")
    deployment = sdk_project.get_model_serving().get_deployment("broken")
    with pytest.raises(Exception) as caught:
        deployment.start(await_running=30)
    assert "get_logs" in str(caught.value)
    text = deployment.read_logs(tail=20)
    assert text.splitlines()[-1] == "ModuleNotFoundError: No module named 'xgboost'"
    capsys.readouterr()
    assert _sdk.logs_plan(deployment) == "rest5"
    lines = DeploymentSource(deployment).logs("predictor", 20)
    assert capsys.readouterr().out == ""
    assert [line["content"] for line in lines] == text.splitlines()
    # 5.2 log objects also carry their container's restart count
    assert all(set(line) - {"restarts"} == {"instance", "content", "timestamp", "id"} for line in lines)
    assert all(isinstance(line["restarts"], int) for line in lines)
    stored = DeploymentSource(deployment).logs("predictor", 1000, since="2000-01-01T00:00:00Z")
    assert stored[-1]["content"] == "ModuleNotFoundError: No module named 'xgboost'"
    assert all(line["id"] and line["timestamp"] for line in stored)


def test_sdk_tail_logs_yields_only_what_is_new(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment("frauddetector")
    follow = deployment.tail_logs(since=None, interval=0.01)
    first = next(follow)
    assert len(HEADER.findall(first)) == 2
    sdk_sandbox.append_log("frauddetector", "one new line", instance=1)
    assert next(follow).splitlines()[-1] == "one new line"
    sdk_sandbox.predict("frauddetector")
    assert ":predict 200" in next(follow)
    follow.close()
    assert any("timestamps=true" in q for q in _logs_queries(sdk_sandbox))
