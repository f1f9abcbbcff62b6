from __future__ import annotations

from types import SimpleNamespace

import comm
import pytest

from hops_widgets.overview import DeploymentList, OverviewWidget, ServingSource
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
    return OverviewWidget(source=source, poller=p), p


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
    assert w.detail.source.deployment is serving.deployments[1]
    assert w.detail.poller.policy == p.policy, "the detail polls like its table"
    detail = w.detail
    detail.poller.poll()
    # one widget: the detail's traits travel in the overview's own detail_state, no second comm
    assert w.detail_state["name"] == "dep-001" and w.detail_state["status"] == detail.status
    assert set(w.detail_state) == set(detail.sync_state())
    replies = [m for m in w.comm.customs() if m.get("type") == "reply"]
    assert {"id": "s", "ok": True, "request": "select"}.items() <= replies[-1].items()
    click(w, {"type": "select", "name": "dep-001", "id": "s2"})
    assert w.detail is None and w.detail_state == {} and w.selected == ""
    assert not detail.poller.alive
    w.close()


def test_commands_for_the_open_detail_reach_it_and_every_request_is_answered():
    serving = FakeServing(2)
    w, p = manual(serving)
    p.poll()
    click(w, {"type": "start", "target": "detail", "id": "d0"})  # no detail open: an error answer
    serving.deployments[0].next = sdk_state("Stopped", "STOPPED", True, "", 0)  # what the detail polls
    click(w, {"type": "select", "name": "dep-000", "id": "s"})
    w.detail.poller.poll()
    click(w, {"type": "timeline", "target": "detail", "id": "t"})
    click(w, {"type": "start", "target": "detail", "id": "d1"})
    click(w, {"type": "nonsense", "id": "n"})
    replies = {m["id"]: m for m in w.comm.customs() if m.get("type") == "reply"}
    assert replies["d0"]["ok"] is False and "No detail" in replies["d0"]["error"]
    assert replies["t"]["ok"] and replies["t"]["body"]["history"][0]["status"] == w.detail.status
    assert replies["n"]["ok"] is False and "Unknown command" in replies["n"]["error"]
    # a refusal is answered in its own words and marked as one, not as a fault of the source
    assert replies["d0"]["refused"] is True and replies["d0"]["error"] == "No detail is open."
    assert w.detail.pending_action == "start" and w.detail_state["pending_action"] == "start"
    w.detail.poller.tick()  # the action runs, then the reply
    replies = {m["id"]: m for m in w.comm.customs() if m.get("type") == "reply"}
    assert replies["d1"]["ok"] is True
    assert serving.deployments[0].actions == ["start:0"]
    # every command of a detail reaches the open one (its logs and diagrams included)
    assert set(w.detail.commands()) == set(w.detail.COMMAND_NAMES)
    for kind in ("logs_buffer", "diagram_layout"):
        click(w, {"type": kind, "target": "detail", "id": kind})
    replies = {m["id"]: m for m in w.comm.customs() if m.get("type") == "reply"}
    assert replies["logs_buffer"]["ok"] and "lines" in replies["logs_buffer"]["body"]
    assert replies["diagram_layout"]["ok"] and replies["diagram_layout"]["body"]["diagrams"]
    assert w.detail_state["diagram"]["status"]["current"] == w.detail.status  # now kept up to date, mirrored
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


# -- the Condition column, the static snapshot, one display per cell (issue 10) ---------------


def _serving_with(*states):
    """FakeServing whose deployments carry the given (status, ctype, cstatus, reason) states."""
    serving = FakeServing(len(states))
    for d, (status, ctype, cstatus, reason) in zip(serving.deployments, states, strict=True):
        d.predictor._state = sdk_state(status, ctype, cstatus, reason, 0)
    return serving


def test_condition_leads_with_the_reason_only_for_failed_and_moving_rows():
    serving = _serving_with(
        ("Failed", "INITIALIZED", False, "image not found"),
        ("Starting", "SCHEDULED", None, "waiting for a node"),
        ("Running", "READY", True, "Serving requests"),
        ("Failed", "STARTED", False, ""),  # no reason: the sentence stays
    )
    w, p = manual(serving)
    p.poll()
    shows = {r["name"]: (r["condition_shows"], r["reason"]) for r in w.table.rows}
    assert shows == {
        "dep-000": ("reason", "image not found"),
        "dep-001": ("reason", "waiting for a node"),
        "dep-002": ("message", "Serving requests"),
        "dep-003": ("message", ""),
    }
    w.close()


def test_static_snapshot_is_an_escaped_table_without_hidden_characters_or_secrets():
    import html.parser

    from hops_widgets.overview import overview_html

    serving = _serving_with(
        ("Failed", "INITIALIZED", False, "<img src=x onerror=alert(1)> pull failed"),
        ("Running", "READY", True, "ok"),
    )
    serving.deployments[0].name = "evil\u202e<script>alert(1)</script>"
    serving.deployments[1].model_name = "m'odel\x00"
    serving._hops_widgets_secrets = ("s3cr3t-key",)
    w, p = manual(serving)
    p.poll()
    w.table.error = "401 for api_key=s3cr3t-key"
    page = overview_html(w)

    class Cells(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.rows, self.bdi = [], [], 0

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.bdi += tag == "bdi"
            if tag == "tr":
                self.rows.append([])
            elif tag == "td":
                self.rows[-1].append("")

        def handle_data(self, data):
            if self.rows and self.rows[-1] and self.tags[-1] != "style":
                self.rows[-1][-1] += data

    parsed = Cells()
    parsed.feed(page)
    assert not {"script", "img"} & set(parsed.tags)
    assert "\u202e" not in page and "\x00" not in page and "s3cr3t-key" not in page
    body = parsed.rows[1:]  # after the header row
    assert [r[0] for r in body] == ["dep-001", "evil<script>alert(1)</script>"]  # sorted by name
    assert body[1][2] == "Failed" and body[1][3].startswith("<img src=x onerror=alert(1)> pull failed")
    assert body[0][1] == "m'odel v3" and body[0][3] == w.table.rows[0]["message"]
    assert parsed.bdi >= 4 * len(body)
    assert "***" in page  # the error is there, redacted
    bundle, _meta = w._repr_mimebundle_()
    assert bundle["text/html"] == overview_html(w) and "application/vnd.jupyter.widget-view+json" in bundle
    w.close()


def test_shown_once_when_show_and_the_cells_last_line_display_it(monkeypatch):
    import IPython
    import IPython.display

    shell = SimpleNamespace(execution_count=7)
    published = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(IPython.display, "publish_display_data", lambda data, metadata=None: published.append(data))
    w, p = manual(FakeServing(1))
    p.poll()
    w._ipython_display_()  # what show() does...
    w._shown_in = 7  # ...and what it notes afterwards
    w._ipython_display_()  # `overview` as the same cell's last line: nothing more
    assert len(published) == 1 and "text/html" in published[0]
    shell.execution_count = 8  # a later cell showing it again does show it
    w._ipython_display_()
    assert len(published) == 2
    w.close()


def test_static_snapshot_carries_the_open_detail_with_its_model_version():
    from hops_widgets.overview import overview_html
    from hops_widgets.widget import snapshot_html

    serving = FakeServing(2)
    w, p = manual(serving)
    p.poll()
    click(w, {"type": "select", "name": "dep-001", "id": "s"})
    w.detail.poller.poll()
    detail = snapshot_html(w.detail)
    assert "<span class='hops-version'>v3</span>" in detail  # the fake's model_version
    assert "<bdi>mymodel</bdi>" in detail
    assert overview_html(w).endswith(detail)
    w.close()


def test_the_overview_answers_pulls_with_its_changed_rows():
    serving = FakeServing(2)
    w, p = manual(serving)
    p.poll()
    rev = w._rev
    click(w, {"type": "pull", "rev": rev})
    assert not [m for m in w.comm.customs() if m.get("type") == "state"]
    serving.deployments[1].predictor._state = sdk_state("Starting", "SCHEDULED", None, "", 0)
    p.poll()
    click(w, {"type": "pull", "rev": rev})
    (answer,) = [m for m in w.comm.customs() if m.get("type") == "state"]
    whole = answer["changes"]["row_ops"]  # a view that missed pushes gets the whole table
    assert whole["reset"] and whole["rev"] == w._table_rev and "selected" not in answer["changes"]
    assert [r["status"] for r in whole["upsert"]] == ["STOPPED", "STARTING"]
    w.close()


def test_rows_travel_as_keyed_changes_and_idle_rounds_send_nothing():
    from hops_widgets.overview import apply_row_changes

    serving = FakeServing(200)
    w, p = manual(serving)
    p.poll()
    first = w.row_ops
    assert first["base"] == 0 and len(first["upsert"]) == 200 and first["remove"] == []
    view = apply_row_changes({}, first)
    before = len(w.comm.messages)
    p.poll()  # nothing changed: nothing at all is sent (not even last_ok_ms or _rev)
    assert w.comm.messages[before:] == []
    serving.deployments[7].predictor._state = sdk_state("Starting", "SCHEDULED", None, "", 0)
    del serving.deployments[3]
    p.poll()
    ops = w.row_ops
    assert ops["base"] == first["rev"] and ops["remove"] == ["dep-003"]
    (changed,) = ops["upsert"]
    assert changed["name"] == "dep-007" and "model" not in changed and changed["status"] == "STARTING"
    view = apply_row_changes(view, ops)
    assert list(view.values()) == w.rows
    whole = w.whole_table()
    assert whole["reset"] and apply_row_changes({"x": {}}, whole) == view
    w.close()


def test_rows_are_sorted_naturally():
    from hops_widgets.overview import natural_key

    names = ["dep-10", "dep-2", "Dep-1", "dep-1549", "dep-155", "dep-1550", "a"]
    assert sorted(names, key=natural_key) == ["a", "Dep-1", "dep-2", "dep-10", "dep-155", "dep-1549", "dep-1550"]


def test_the_rows_request_answers_the_whole_table():
    serving = FakeServing(3)
    w, p = manual(serving)
    p.poll()
    click(w, {"type": "rows", "id": "r1"})
    (reply,) = [m for m in w.comm.customs() if m.get("type") == "reply"]
    assert (
        reply["ok"]
        and reply["body"]["reset"]
        and [r["name"] for r in reply["body"]["upsert"]]
        == [
            "dep-000",
            "dep-001",
            "dep-002",
        ]
    )
    w.close()


def test_an_action_asked_in_code_makes_the_overview_poll_fast():
    import time

    import hops_widgets
    from hops_widgets import _actions

    serving = FakeServing(2)
    w = hops_widgets.show(serving, display=False, stable_s=50, hidden_s=50)
    try:
        assert w.polling == "hidden"
        _actions.announce(serving.deployments[0], "start")
        deadline = time.monotonic() + 5
        while w.polling != "fast" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert w.polling == "fast", "the overview did not hear of the action"
    finally:
        w.close()


def test_the_overview_keeps_its_old_name_as_an_alias():
    import hops_widgets
    from hops_widgets import overview

    assert hops_widgets.OverviewWidget is overview.OverviewWidget
    assert hops_widgets.DeploymentsWidget is overview.DeploymentsWidget is overview.OverviewWidget
    assert "OverviewWidget" in hops_widgets.__all__ and "DeploymentsWidget" in hops_widgets.__all__
