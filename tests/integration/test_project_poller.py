"""One polling loop per project, over a real sandbox: requests and backend states counted in its log."""

from __future__ import annotations

import threading
import time

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import poller as poller_mod


@pytest.fixture(autouse=True)
def _no_kernel_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", DummyComm)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert predicate()


def reads(sb) -> list[dict]:
    """The requests that read deployment states (a new detail also reads its schema once, on a
    thread of its own, whenever that lands: not the loop's cost)."""
    return [r for r in sb.requests() if r["endpoint"] in ("serving_get", "serving_list")]


def round_of(loop):
    """Ask one round of every member now and wait until it has run."""
    before = loop.rounds
    for m in loop.members:
        m.refresh()
    wait_for(lambda: loop.rounds > before)


def test_k_widgets_of_one_project_share_a_loop_and_pay_one_state_each_per_round(sb, serving):
    """The project's size is unknown (nothing listed it): single GETs, one state per deployment."""
    names = ["frauddetector", "recommender", "bigllm", "churnmodel"]
    widgets = [hops_widgets.show(serving.get_deployment(n), display=False, hidden_s=None) for n in names]
    try:
        loop = widgets[0].poller._loop
        assert loop is not None and all(w.poller._loop is loop for w in widgets)
        assert len({w.poller for w in widgets}) == 4  # a poller (and timeline) per deployment, one loop
        assert [t.name for t in threading.enumerate() if "project" in t.name] == [
            f"hops-widgets-poller[project {serving.project_name}]"
        ]
        wait_for(lambda: all(w.poller.polls for w in widgets))
        sb.clear_log()
        sb.reset_cost()
        for _ in range(3):
            round_of(loop)
        log = reads(sb)
        assert sorted(r["endpoint"] for r in log) == ["serving_get"] * 12
        assert sb.backend_cost()["total"] == 12 and loop.choice.kind == "gets"
        assert {w.name: w.status for w in widgets}["frauddetector"] == "RUNNING"
        assert all(w.poller.snapshot.sharing.startswith("project loop") for w in widgets)
    finally:
        for w in widgets:
            w.close()
    wait_for(lambda: not loop.alive)
    assert loop not in poller_mod.project_loops()


def test_once_the_size_is_known_a_small_project_mostly_watched_is_listed(sb, serving):
    names = ["frauddetector", "recommender", "bigllm", "churnmodel"]
    widgets = [hops_widgets.show(serving.get_deployment(n), display=False, hidden_s=None) for n in names]
    try:
        loop = widgets[0].poller._loop
        wait_for(lambda: all(w.poller.polls for w in widgets))
        loop.size, loop.size_at = len(serving.list_states()), loop.clock()  # as a list read a moment ago would
        sb.clear_log()
        sb.reset_cost()
        round_of(loop)
        assert [r["endpoint"] for r in reads(sb)] == ["serving_list"]
        assert sb.backend_cost()["total"] == len(serving.list_states()) <= 4
    finally:
        for w in widgets:
            w.close()


def test_one_widget_alone_makes_a_single_get(sb, serving):
    w = hops_widgets.show(serving.get_deployment("frauddetector"), display=False, hidden_s=None)
    try:
        loop = w.poller._loop
        wait_for(lambda: w.poller.polls >= 1)
        sb.clear_log()
        round_of(loop)
        round_of(loop)
        assert [r["endpoint"] for r in reads(sb)] == ["serving_get"] * 2
    finally:
        w.close()


def test_the_overview_reads_its_rows_in_view_by_get_and_shares_them_with_details(sb, serving):
    sb.add_deployments(40, prefix="extra", status="Running")
    n = len(serving.list_states())
    overview = hops_widgets.show(serving, display=False, hidden_s=None, stable_s=0.2, fast_s=0.1)
    details = [hops_widgets.show(serving.get_deployment("recommender"), display=False, hidden_s=None)]
    try:
        loop = overview.poller._loop
        assert loop is not None and details[0].poller._loop is loop
        wait_for(lambda: details[0].poller.polls >= 1 and overview.poller.polls >= 1)
        assert loop.size == n and len(overview.table.rows) == n
        overview.poller.set_visible(overview._token, True)
        sb.clear_log()
        sb.reset_cost()
        overview.rows_in_view({"names": ["recommender", "bigllm", "extra001"]})
        wait_for(lambda: {r["deployment"] for r in reads(sb)} >= {"bigllm", "extra001", "recommender"})
        # rows in view (every 0.2 s here) and the detail by single GETs, one state each; no list
        log = reads(sb)
        assert {r["endpoint"] for r in log} == {"serving_get"}
        assert {r["deployment"] for r in log} == {"bigllm", "extra001", "recommender"}
        assert sb.backend_cost()["total"] == len(log)
        assert details[0].status == "RUNNING" and overview.listed_ms is not None
        overview.refresh()  # Refresh reads the whole list
        wait_for(lambda: sb.requests(endpoint="serving_list"))
    finally:
        for w in (*details, overview):
            w.close()


def test_a_deleted_deployment_shows_as_deleted(sb, serving):
    widgets = [
        hops_widgets.show(serving.get_deployment(n), display=False, hidden_s=None) for n in ("bigllm", "recommender")
    ]
    try:
        loop = widgets[0].poller._loop
        wait_for(lambda: all(w.poller.polls for w in widgets))
        sb.delete_deployment("bigllm")
        round_of(loop)
        gone, kept = widgets
        assert gone.poller.snapshot.error_kind == "not_found"
        assert kept.poller.snapshot.error_kind == "" and kept.status == "RUNNING"
    finally:
        for w in widgets:
            w.close()


def test_an_error_shows_on_the_members_it_hit_and_recovers(sb, serving):
    widgets = [
        hops_widgets.show(serving.get_deployment(n), display=False, hidden_s=None) for n in ("bigllm", "recommender")
    ]
    try:
        loop = widgets[0].poller._loop
        wait_for(lambda: all(w.poller.polls for w in widgets))
        fault = sb.http_error(500, endpoint="serving_get")
        round_of(loop)
        assert all(w.poller.snapshot.error_kind == "server" for w in widgets), [w.poller.snapshot for w in widgets]
        sb.clear_fault(fault)
        round_of(loop)
        assert all(w.poller.snapshot.error_kind == "" and w.poller.snapshot.failures == 0 for w in widgets)
        assert widgets[1].status == "RUNNING"
    finally:
        for w in widgets:
            w.close()


def test_actions_still_go_to_the_one_deployment(sb, serving):
    widgets = [
        hops_widgets.show(serving.get_deployment(n), display=False, hidden_s=None) for n in ("bigllm", "recommender")
    ]
    try:
        wait_for(lambda: all(w.poller.polls for w in widgets))
        sb.clear_log()
        widgets[1].poller.run_action("stop").result(10)
        posts = [r for r in sb.requests() if r["method"] == "POST"]
        assert [r["deployment"] for r in posts] == ["recommender"]
        assert widgets[1].poller.snapshot.mode == "fast"
        assert widgets[0].poller.snapshot.mode != "fast"  # each deployment keeps its own cadence
    finally:
        for w in widgets:
            w.close()
