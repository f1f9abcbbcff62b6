"""The widget offers only what a real cluster accepts, and says plainly what a refusal means.

Refusals as the backend sends them (KubeServingController start/stop: 400 with errorCode 240003;
ServingService roles: 403 for a Data Scientist's start/stop), through the built-in client's
exceptions and through an SDK-shaped ``RestAPIError`` carrying the same body.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import comm
import pytest

from hops_widgets import _actions
from hops_widgets.errors import HopsError, PermissionDenied, action_refusal, no_logs
from hops_widgets.logs import LogBook
from hops_widgets.overview import OverviewWidget, ServingSource
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.widget import DeploymentWidget, rights, snapshot_html

from .fakes import FakeDeployment, sdk_state
from .test_widget import RecordingComm, frontend


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


class RestAPIError(Exception):
    """Shaped like hopsworks_common's: ``error_code`` from the body, the response kept."""

    def __init__(self, status, code):
        body = {"errorCode": code, "errorMsg": "refused", "usrMsg": "try later"}
        super().__init__(f"HTTP code: {status}, body: {body}")
        self.error_code = code
        self.response = SimpleNamespace(status_code=status, json=lambda: body, headers={})


def lifecycle():
    return HopsError("POST refused (HTTP 400, error 240003)", status_code=400, error_code=240003)


def in_project(d, key="proj-1"):
    d._serving = SimpleNamespace(_hops_widgets_key=key, list_states=list, project_name="demo")
    return d


def manual(d):
    p = Poller(DeploymentSource(d), policy=Policy(), autostart=False)
    return DeploymentWidget(d, poller=p), p


def refuse(d, action, exc):
    def refused(**_kwargs):
        d.actions.append(f"{action}:refused")
        raise exc

    setattr(d, action, refused)


# ---------------------------------------------------------------- what is offered
def test_a_failed_deployment_offers_restart_and_stop_not_start_and_says_so():
    d = FakeDeployment()
    d.next = sdk_state("Failed", "STARTED", False, "predictor.py exited with code 1", 1)
    w, p = manual(d)
    p.poll()
    assert (w.can_start, w.can_stop, w.can_restart) == (False, True, True)
    assert "restart it (stop, then start), or stop it" in w.advice
    assert w.start() is None and "does not start a failed deployment" in w.action_error
    assert d.actions == []
    # 1 of 1 pods exist (the crashing one): the counts do not read as healthy
    assert (w.predictor_available, w.predictor_requested, w.readiness) == (1, 1, "not serving")
    assert "1 of 1 requested pod exists (not serving)" in repr(w)
    html = snapshot_html(w)
    assert "1 of 1 requested pod exists" in html and "not serving" in html and "available" not in html
    w.close()


@pytest.mark.parametrize("exc", [lifecycle(), RestAPIError(400, 240003)], ids=["client", "sdk"])
def test_a_lifecycle_refusal_is_plain_words_and_no_fast_polling(exc):
    assert action_refusal(exc) == "lifecycle"
    d = FakeDeployment()
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    refuse(d, "start", exc)
    w, p = manual(d)
    p.poll()
    future = w.start()
    p.tick()
    assert future.exception() is not None
    assert w.pending_action == "" and w.action_refusal == "lifecycle"
    assert w.action_error.startswith("Start refused. ") and "try again in a moment" in w.action_error
    assert "240003" not in w.action_error  # the words, not the code
    p.poll()
    assert p.snapshot.mode != "fast", "nothing will change: no 1 s polling for 30 s"
    w.close()


@pytest.mark.parametrize("exc", [lifecycle(), RestAPIError(400, 240003)], ids=["client", "sdk"])
def test_a_stop_refused_while_starting_is_carried_out_once_it_has_started(exc):
    d = FakeDeployment()
    d.next = sdk_state("Starting", "INITIALIZED", None, "pulling", 1)
    real_stop = d.stop
    refuse(d, "stop", exc)
    w, p = manual(d)
    p.poll()
    assert w.can_stop  # offered: the refusal says what to do and offers the rest
    w.stop()
    p.tick()
    assert "does not stop a deployment while it starts" in w.action_error
    assert w.offer == "Stop once it has started"
    frontend(w, {"type": "stop_later", "id": "later"})
    assert w.deferred_action == "stop" and w.offer == "" and w.action_error == ""
    d.stop = real_stop
    d.next = sdk_state("Starting", "READY", None, "routing", 1)
    p.poll()
    assert w.deferred_action == "stop" and d.actions == ["stop:refused"], "still starting: still waiting"
    d.next = sdk_state("Running", "READY", True, "up", 1)
    p.poll()  # the start ended: the remembered stop is sent
    assert w.deferred_action == "" and w.pending_action == "stop"
    p.tick()
    assert d.actions == ["stop:refused", "stop:0"]
    assert w.status == "STOPPING"
    w.close()


def test_a_deferred_stop_can_be_cancelled_and_is_dropped_if_someone_else_stops_it():
    d = FakeDeployment()
    d.next = sdk_state("Starting", "SCHEDULED", None, "", 0)
    w, p = manual(d)
    p.poll()
    assert w.stop_later() and w.deferred_action == "stop"
    frontend(w, {"type": "cancel_stop_later", "id": "c"})
    assert w.deferred_action == ""
    d.next = sdk_state("Running", "READY", True, "", 1)
    p.poll()
    assert w.pending_action == "" and d.actions == []
    d.next = sdk_state("Starting", "SCHEDULED", None, "", 0)
    p.poll()
    assert w.stop_later()
    d.next = sdk_state("Stopping", "SCHEDULED", None, "", 0)  # stopped by someone else meanwhile
    p.poll()
    assert w.deferred_action == "" and d.actions == []
    w.close()


def test_a_refused_restart_does_not_poll_fast():
    d = FakeDeployment()
    d.next = sdk_state("Failed", "STARTED", False, "", 1)
    d.restart = lambda **_kw: (_ for _ in ()).throw(lifecycle())
    w, p = manual(d)
    p.poll()
    future = w.restart()
    with pytest.raises(Exception, match="240003"):
        future.result(timeout=5)
    assert w.action_refusal == "lifecycle" and w.pending_action == ""
    p.poll()
    assert p.snapshot.mode != "fast"
    w.close()


# ---------------------------------------------------------------- roles
@pytest.mark.parametrize(
    "exc",
    [PermissionDenied("Access denied (HTTP 403)", status_code=403), RestAPIError(403, 200002)],
    ids=["client", "sdk"],
)
def test_a_403_turns_off_the_actions_of_every_widget_of_the_project_and_nothing_else(exc):
    assert action_refusal(exc) == "forbidden"
    a, b, other = in_project(FakeDeployment("one")), in_project(FakeDeployment("two", ident=2)), FakeDeployment("x")
    for d in (a, b, other):
        d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    refuse(a, "start", exc)
    wa, pa = manual(a)
    wb, pb = manual(b)
    wx, px = manual(in_project(other, "another-project"))
    for p in (pa, pb, px):
        p.poll()
    wa.start()
    pa.tick()
    for w in (wa, wb):
        assert "Your role in this project cannot start or stop deployments" in w.actions_blocked
        assert "Data Owner" in w.actions_blocked
    assert wa.action_error == "" and wa.pending_action == ""
    assert wx.actions_blocked == "", "another project keeps its actions"
    assert wb.start() is None and b.actions == []
    # reading stays live: polling, state and Try it
    b.next = sdk_state("Starting", "SCHEDULED", None, "", 0)
    pb.poll()
    assert wb.status == "STARTING" and wb.try_it and pb.snapshot.error == ""
    # a later action on the project that succeeds (here: one asked in code) turns them back on
    _actions.announce(b, "start")
    assert wa.actions_blocked == wb.actions_blocked == ""
    for w in (wa, wb, wx):
        w.close()


def test_try_again_lifts_the_block_for_the_whole_project():
    a, b = in_project(FakeDeployment("one")), in_project(FakeDeployment("two", ident=2))
    wa, _ = manual(a)
    wb, _ = manual(b)
    rights.block(wa._project)
    assert wb.actions_blocked
    frontend(wb, {"type": "allow_actions", "id": "again"})
    assert wa.actions_blocked == wb.actions_blocked == ""
    wa.close()
    wb.close()


class ProjectServing:
    """A built-in-client-shaped ModelServing of one project."""

    _hops_widgets_key = "proj-1"
    project_name = "demo"

    def __init__(self, deployments):
        self.deployments = {d.name: d for d in deployments}

    def list_states(self):
        from hops_widgets.state import DeploymentState

        return [DeploymentState.from_sdk(d) for d in self.deployments.values()]

    def get_deployment(self, name):
        return self.deployments.get(name)


def test_the_overview_shares_the_block_offers_restart_on_failed_and_defers_a_refused_stop():
    failed, starting = in_project(FakeDeployment("one")), in_project(FakeDeployment("two", ident=2))
    failed.next = sdk_state("Failed", "STARTED", False, "crash", 1)
    starting.next = sdk_state("Starting", "STARTED", None, "", 1)
    refuse(starting, "stop", lifecycle())
    source = ServingSource(ProjectServing([failed, starting]))
    p = Poller(source, policy=Policy(), autostart=False)
    w = OverviewWidget(source=source, poller=p)
    p.poll()
    rows = {r["name"]: r for r in w.rows}
    assert not rows["one"]["can_start"] and rows["one"]["can_restart"] and rows["one"]["can_stop"]
    assert rows["one"]["instances"] == "1 of 1" and rows["one"]["readiness"] == "not serving"
    assert w.start("one") is None and "does not start a failed deployment" in w.action_error
    w.stop("two")
    p.tick()
    assert w.action_refusal == "lifecycle" and "while it starts" in w.action_error
    assert {r["name"]: r for r in w.rows}["two"]["offer"] == "Stop once it has started"
    assert w.stop_later("two")
    assert {r["name"]: r for r in w.rows}["two"]["deferred"] == "stop"
    starting.stop = FakeDeployment.stop.__get__(starting)
    starting.next = sdk_state("Running", "READY", True, "", 1)
    p.poll()
    assert {r["name"]: r for r in w.rows}["two"]["pending"] == "stop"
    p.tick()
    assert starting.actions == ["stop:refused", "stop:0"]
    # a 403 in a detail widget of the project turns the overview's actions off too
    d = in_project(FakeDeployment("three", ident=3))
    refuse(d, "stop", PermissionDenied("Access denied", status_code=403))
    wd, pd = manual(d)
    pd.poll()
    wd.stop()
    pd.tick()
    assert w.actions_blocked and w.start("two") is None
    w.allow_actions()
    assert not wd.actions_blocked
    wd.close()
    w.close()


# ---------------------------------------------------------------- logs
def test_logs_of_a_deployment_with_no_pod_are_a_calm_note_and_come_back_when_it_runs():
    gone = HopsError("HTTP 404, error 240027", status_code=404, error_code=240027)
    assert no_logs(gone) and no_logs(RestAPIError(404, 240027)) and not no_logs(lifecycle())
    answers = [gone, [{"instance": "p-1", "content": "serving on :8080", "timestamp": None, "id": None}]]
    calls = []
    deltas = []
    fetched = threading.Event()

    def fetch(component, tail):
        calls.append(component)
        answer = answers.pop(0) if answers else []
        if isinstance(answer, Exception):
            raise answer
        fetched.set()
        return answer

    book = LogBook(fetch, deltas.append)
    book.set(status="RUNNING", runs=True)
    book.fetch_once()  # a race: the status said Running, the backend had no pod yet
    assert deltas[-1]["quiet"] and deltas[-1]["error"] == "" and deltas[-1]["fetched"]
    book.set(open=True, visible=True)
    book.set(status="STOPPED", runs=False)
    assert book.quiet
    book.set(status="RUNNING", runs=True)  # it runs again: the open section reads again
    assert fetched.wait(5)
    book.close()
    assert [line["text"] for d in deltas for line in d["lines"]] == ["serving on :8080"]
    assert not deltas[-1]["quiet"]


def test_the_widget_tells_its_logs_whether_a_pod_runs():
    d = FakeDeployment()
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    w, p = manual(d)
    p.poll()
    assert w._logs.quiet and w._logs.status == "STOPPED"
    d.next = sdk_state("Running", "READY", True, "", 1)
    p.poll()
    assert not w._logs.quiet
    w.close()
