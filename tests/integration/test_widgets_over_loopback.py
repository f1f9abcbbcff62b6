"""The widgets on the built-in client against a real sandbox: requests counted in its log."""

from __future__ import annotations

import time

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets.errors import DeploymentFailed, Timeout


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


def wait_polls(poller, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while poller.polls < n and time.monotonic() < deadline:
        time.sleep(0.005)
    assert poller.polls >= n, f"only {poller.polls} polls"


def test_overview_one_list_request_per_round_with_50_deployments(sb, serving):
    sb.add_deployments(46, prefix="bulk", status="Running")  # + 4 seeded = 50
    sb.clear_log()
    overview = hops_widgets.show(serving, display=False, hidden_s=3600)
    try:
        for rounds in (1, 2, 3, 4, 5):
            if rounds > 1:
                overview.refresh()
            wait_polls(overview.poller, rounds)
        assert len(overview.table.rows) == 50
        log = sb.requests()
        assert [r["endpoint"] for r in log] == ["serving_list"] * 5, {r["endpoint"] for r in log}
    finally:
        overview.close()


def test_overview_rows_follow_the_sandbox(sb, serving):
    overview = hops_widgets.show(serving, display=False, hidden_s=3600)
    try:
        wait_polls(overview.poller, 1)
        names = [r["name"] for r in overview.table.rows]
        assert names == sorted(["frauddetector", "recommender", "bigllm", "churnmodel"])
        sb.delete_deployment("bigllm")
        sb.add_deployment("new-model")
        overview.refresh()
        wait_polls(overview.poller, 2)
        names = [r["name"] for r in overview.table.rows]
        assert "bigllm" not in names and "new-model" in names
    finally:
        overview.close()


def test_n_widgets_on_one_deployment_one_thread_one_request_per_round(sb, serving):
    deployments = [serving.get_deployment("frauddetector") for _ in range(10)]
    sb.clear_log()
    widgets = [hops_widgets.show(d, display=False, hidden_s=3600) for d in deployments]
    try:
        poller = widgets[0].poller
        assert all(w.poller is poller for w in widgets)
        wait_polls(poller, 1)
        poller.refresh()
        wait_polls(poller, 2)
        assert len(sb.requests(endpoint="serving_get")) == 2
        assert {w.status for w in widgets} == {"RUNNING"}
    finally:
        for w in widgets:
            w.close()
    assert not poller.alive


def test_client_deployment_wait_for_and_widget_wait_for(fast_sb):
    serving = fast_sb.login(timeout=5).get_model_serving()
    churn = serving.get_deployment("churnmodel")
    widget = hops_widgets.show(churn, display=False, fast_s=0.02, stable_s=0.02, hidden_s=0.02)
    try:
        churn.start(await_running=0)
        assert widget.wait_for("RUNNING", timeout=10).status == "RUNNING"
        fast_sb.fail("churnmodel", step="INITIALIZED", reason="image pull back-off")
        churn.stop(await_stopped=0)
        widget.wait_for("STOPPED", timeout=10)
        churn.start(await_running=0)
        with pytest.raises(DeploymentFailed, match="image pull back-off"):
            widget.wait_for("RUNNING", timeout=10)
        fast_sb.heal("churnmodel")
        churn.stop(await_stopped=0)
        widget.wait_for("STOPPED", timeout=10)
        with pytest.raises(Timeout, match="did not reach RUNNING"):
            widget.wait_for("RUNNING", timeout=0.3)  # nobody started it
        assert widget.poller.alive
    finally:
        widget.close()


def test_client_deployment_wait_for(fast_sb):
    churn = fast_sb.login(timeout=5).get_model_serving().get_deployment("churnmodel")
    churn.start(await_running=0)
    assert churn.wait_for("running", timeout=10, poll_interval_s=0.01).status == "RUNNING"
    llm = fast_sb.login(timeout=5).get_model_serving().get_deployment("bigllm")
    llm.stop(await_stopped=10, poll_interval_s=0.01)  # Failed: a start is refused until it is stopped
    llm.start(await_running=0)
    with pytest.raises(DeploymentFailed, match="GPU"):
        llm.wait_for("RUNNING", timeout=10, poll_interval_s=0.01)
    with pytest.raises(Timeout, match="did not become Idle"):
        churn.wait_for("IDLE", timeout=0.1, poll_interval_s=0.01)
