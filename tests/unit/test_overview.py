from __future__ import annotations

from types import SimpleNamespace

import comm
import pytest

from hops_widgets.overview import DeploymentList, DeploymentsWidget, ServingSource
from hops_widgets.poller import Policy, Poller

from .fakes import FakeDeployment, sdk_state
from .test_widget import RecordingComm


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


class FakeServing:
    """SDK-shaped ModelServing: get_deployments() returns deployments carrying their state."""

    def __init__(self, n):
        self.list_calls = 0
        self.deployments = [self._make(f"dep-{i:03d}", i) for i in range(n)]

    @staticmethod
    def _make(name, i):
        d = FakeDeployment(name, ident=i)
        d.predictor = SimpleNamespace(_state=sdk_state("Stopped", "STOPPED", True, "", 0))
        return d

    def get_deployments(self):
        self.list_calls += 1
        return list(self.deployments)

    def get_deployment(self, name):
        return next((d for d in self.deployments if d.name == name), None)


def manual(serving):
    source = ServingSource(serving)
    p = Poller(source, policy=Policy(), autostart=False)
    return DeploymentsWidget(source=source, poller=p), p


def click(w, content):
    w.table._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def test_one_list_request_per_round_for_50_deployments():
    serving = FakeServing(50)
    w, p = manual(serving)
    p.poll()
    assert serving.list_calls == 1
    assert sum(d.calls for d in serving.deployments) == 0, "no get_state() per deployment"
    assert len(w.table.rows) == 50
    p.poll()
    assert serving.list_calls == 2
    w.close()


def test_rows_appear_and_disappear_and_sort_by_name():
    serving = FakeServing(3)
    w, p = manual(serving)
    p.poll()
    assert [r["name"] for r in w.table.rows] == ["dep-000", "dep-001", "dep-002"]
    serving.deployments.pop(1)
    serving.deployments.append(FakeServing._make("a-new-one", 99))
    p.poll()
    assert [r["name"] for r in w.table.rows] == ["a-new-one", "dep-000", "dep-002"]
    w.close()


def test_action_rules_pending_and_one_action_per_double_click():
    serving = FakeServing(2)
    w, p = manual(serving)
    p.poll()
    row = w.table.rows[0]
    assert row["can_start"] and not row["can_stop"]
    click(w, {"type": "stop", "name": "dep-000", "id": "x"})  # not allowed while stopped
    assert "Cannot stop" in w.table.action_error
    click(w, {"type": "start", "name": "dep-000", "id": "1"})
    click(w, {"type": "start", "name": "dep-000", "id": "2"})
    assert w.table.rows[0]["pending"] == "start" and not w.table.rows[0]["can_start"]
    p._run_actions()
    assert serving.deployments[0].actions == ["start:0"]
    serving.deployments[0].predictor._state = sdk_state("Starting", "SCHEDULED", None, "", 0)
    p.poll()
    assert w.table.rows[0]["pending"] == "" and w.table.rows[0]["status"] == "STARTING"
    assert p.snapshot.mode == "fast"
    w.close()


def test_select_opens_detail_under_the_table_and_toggles():
    serving = FakeServing(2)
    w, p = manual(serving)
    p.poll()
    click(w, {"type": "select", "name": "dep-001", "id": "s"})
    assert w.table.selected == "dep-001"
    assert len(w.children) == 2 and w.detail is w.children[1]
    assert w.detail.source.deployment is serving.deployments[1]
    assert w.detail.poller.policy == p.policy, "the detail polls like its table"
    detail = w.detail
    click(w, {"type": "select", "name": "dep-001", "id": "s2"})
    assert w.children == (w.table,) and w.detail is None
    assert not detail.poller.alive
    w.close()


def test_list_errors_become_state():
    serving = FakeServing(1)
    w, p = manual(serving)
    p.poll()
    serving.get_deployments = lambda: {"not": "a list"}
    p.poll()
    assert "list of deployments" in w.table.error
    assert len(w.table.rows) == 1, "last good rows stay"
    w.close()


def test_list_transitional_if_any_is():
    from hops_widgets.state import DeploymentState

    assert DeploymentList((DeploymentState(status="RUNNING"), DeploymentState(status="STARTING"))).transitional
    assert not DeploymentList((DeploymentState(status="RUNNING"),)).transitional
