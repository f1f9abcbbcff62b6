from __future__ import annotations

import subprocess
import sys
import threading
import time

import comm
import pytest
from comm import DummyComm

import hops_widgets
from hops_widgets import poller as poller_mod
from hops_widgets.errors import DeploymentFailed, Timeout
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.timeline import Timeline
from hops_widgets.widget import DeploymentWidget, snapshot_html

from .fakes import FakeDeployment, sdk_state


class RecordingComm(DummyComm):
    def __init__(self, *args, **kwargs):
        self.messages = []
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        self.messages.append((msg_type, data))

    def updates(self):
        return [d["state"] for t, d in self.messages if t == "comm_msg" and d.get("method") == "update"]

    def customs(self):
        return [d["content"] for t, d in self.messages if t == "comm_msg" and d.get("method") == "custom"]


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


def manual(d, **policy):
    """A widget on a poller without a thread: the test decides when to poll."""
    ticks = iter(range(1_700_000_000, 1_800_000_000, 5))  # every poll 5 s later
    p = Poller(DeploymentSource(d), policy=Policy(**policy), wall=lambda: float(next(ticks)), autostart=False)
    return DeploymentWidget(d, poller=p), p


def frontend(widget, content):
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def test_traits_follow_each_poll():
    d = FakeDeployment(requested=2, transformer=1, min_instances=0)
    d.next = sdk_state("Starting", "INITIALIZED", None, "pulling image", 0, 0)
    w, p = manual(d)
    p.poll()
    assert (w.status, w.status_label, w.tone, w.busy) == ("STARTING", "Starting", "info", True)
    assert w.condition_type == "INITIALIZED" and w.condition_status == "unknown"
    assert w.condition_reason == "pulling image" and "images" in w.message
    assert [s["state"] for s in w.steps] == ["done", "active", "pending", "pending"]
    assert (w.predictor_available, w.predictor_requested) == (0, 2)
    assert w.has_transformer and (w.transformer_available, w.transformer_requested) == (0, 1)
    assert w.scale_to_zero and w.polling == "fast" and w.interval_s == 1.0
    d.next = sdk_state("Running", "READY", True, "up", 2, 1)
    p.poll()
    assert (w.status, w.tone, w.busy, w.predictor_available) == ("RUNNING", "ok", False, 2)
    w.close()


def test_one_message_per_change_and_none_without_change():
    d = FakeDeployment()
    w, p = manual(d)
    p.poll()
    first = len(w.comm.updates())
    assert first == 1, "one poll that changes several traits sends one message"
    for _ in range(5):
        p.poll()
    assert len(w.comm.updates()) == first, "nothing changed: nothing sent"
    d.next = sdk_state("Running", "READY", True, "ok", 0)
    p.poll()
    updates = w.comm.updates()
    assert len(updates) == first + 1
    # the series travels as the new point only, inside the timeline delta
    assert set(updates[-1]) == {"predictor_available", "changed_at_ms", "timeline", "_rev"}
    (point,) = updates[-1]["timeline"]["series"]  # one new point, not the list so far
    assert point[1:] == [1_700_000_030_000, 0]  # the sixth poll, 5 s apart
    w.close()


def test_error_shown_with_last_good_time_then_cleared():
    d = FakeDeployment()
    w, p = manual(d)
    p.poll()
    d.next = ConnectionError("connection refused")
    p.poll()
    assert "Cannot connect" in w.error and w.error_kind == "connection"
    assert w.last_ok_ms is not None and w.polling == "backoff"
    assert w.status == "RUNNING", "the last good state stays on screen"
    d.next = sdk_state()
    p.poll()
    assert w.error == "" and w.polling != "backoff"
    w.close()


def test_error_before_any_state():
    d = FakeDeployment()
    d.next = PermissionError("HTTP 403 forbidden")
    w, p = manual(d)
    p.poll()
    assert w.status_label == "Unavailable" and w.error
    w.close()


def test_long_reason_truncated_but_reachable():
    d = FakeDeployment()
    d.next = sdk_state("Failed", "STARTED", False, "x" * 1_000_000)
    w, p = manual(d)
    p.poll()
    assert len(w.condition_reason) == 2000
    assert w.reason_cut_chars == 998_000
    assert len(w.state.condition.reason) == 1_000_000
    w.close()


def test_two_widgets_share_one_poller_and_thread_ends_after_last_close():
    d = FakeDeployment("shared", ident=42)
    a = DeploymentWidget(d, hidden_s=3600)
    b = DeploymentWidget(FakeDeployment("shared", ident=42))
    assert a.poller is b.poller
    deadline = time.monotonic() + 5
    while a.status != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert b.status == "RUNNING"
    names = lambda: [t.name for t in threading.enumerate() if t.name.startswith("hops-widgets-poller[shared]")]  # noqa: E731
    assert len(names()) == 1
    a.close()
    assert a.poller.alive
    b.close()
    assert not b.poller.alive and names() == []


def test_visibility_messages_drive_the_schedule():
    d = FakeDeployment()
    w, p = manual(d)
    p.poll()
    assert w.polling == "hidden"
    frontend(w, {"type": "visibility", "view": "v1", "visible": True})
    frontend(w, {"type": "visibility", "view": "v2", "visible": True})
    p.poll()
    assert w.polling == "stable"
    frontend(w, {"type": "visibility", "view": "v1", "visible": False})
    p.poll()
    assert w.polling == "stable", "another view is still visible"
    frontend(w, {"type": "visibility", "view": "v2", "visible": False})
    p.poll()
    assert w.polling == "hidden"
    w.close()


def test_actions_pending_double_click_and_ack():
    d = FakeDeployment()
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    w, p = manual(d)
    p.poll()
    assert w.can_start and not w.can_stop
    frontend(w, {"type": "start", "id": "a1"})
    frontend(w, {"type": "start", "id": "a2"})  # double click
    assert w.pending_action == "start"
    p._run_actions()
    assert d.actions == ["start:0"], "a double click sends one action"
    acks = w.comm.customs()
    assert {"type": "reply", "id": "a2", "request": "start", "ok": False}.items() <= acks[0].items()
    assert acks[-1]["id"] == "a1" and acks[-1]["ok"] is True
    p.poll()  # the state moved: pending clears
    assert w.status == "STARTING" and w.pending_action == ""
    assert not w.can_start and w.can_stop
    w.close()


def test_action_not_allowed_and_action_error():
    d = FakeDeployment()
    w, p = manual(d)
    p.poll()
    assert w.start() is None and "Cannot start" in w.action_error

    def broken(await_stopped=600):
        raise RuntimeError("server said no")

    d.stop = broken
    future = w.stop()
    p._run_actions()
    assert future.exception() is not None
    assert w.pending_action == "" and "Stop failed" in w.action_error and "server said no" in w.action_error
    w.close()


def test_wait_for_success_failure_timeout():
    d = FakeDeployment()
    d.next = sdk_state("Starting", "STARTED", None, "", 0)
    w = DeploymentWidget(d, fast_s=0.01)

    def later():
        time.sleep(0.1)
        d.next = sdk_state("Running", "READY", True)

    threading.Thread(target=later).start()
    assert w.wait_for("running", timeout=5).status == "RUNNING"
    d.next = sdk_state("Failed", "SCHEDULED", False, "no GPU left")
    with pytest.raises(DeploymentFailed, match="no GPU left"):
        w.wait_for("RUNNING", timeout=5)
    d.next = sdk_state("Running", "READY", True)
    with pytest.raises(Timeout, match="did not reach STOPPED"):
        w.wait_for("STOPPED", timeout=0.2)
    w.close()


def test_repr_and_snapshot_escape_server_text():
    d = FakeDeployment("<img src=x onerror=alert(1)>")
    d.next = sdk_state("Failed", "STARTED", False, "<script>window.pwned=1</script>")
    w, p = manual(d)
    p.poll()
    text = repr(w)
    assert "\n" not in text and "Failed" in text
    page = snapshot_html(w)
    assert "<script>window" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page
    data, _ = w._repr_mimebundle_()
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(data)
    w.close()


def test_show_rejects_other_objects():
    with pytest.raises(TypeError, match="get_state"):
        hops_widgets.show(object(), display=False)


def test_polling_options_reach_the_poller():
    d = FakeDeployment("opts", ident=77)
    w = hops_widgets.show(d, display=False, fast_s=0.5, stable_s=2, hidden_s=None)
    assert (w.poller.policy.fast_s, w.poller.policy.stable_s, w.poller.policy.hidden_s) == (0.5, 2, None)
    w.close()
    assert poller_mod.active_pollers() == []


def test_import_is_light():
    code = (
        "import sys, hops_widgets; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('hopsworks', 'hsml', 'jupyterlab', 'notebook')]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_enable_patches_sdk_class_without_importing_when_absent(monkeypatch):
    from hops_widgets import _ipython

    monkeypatch.setattr(_ipython, "_DEPLOYMENT_CLASSES", (("no_such_sdk_pkg.deployment", "Deployment"),))
    monkeypatch.setattr(_ipython, "_SERVING_CLASSES", ())
    assert _ipython.enable() == []
    assert "no_such_sdk_pkg" not in sys.modules


def test_history_records_phases_with_durations():
    d = FakeDeployment()
    d.next = sdk_state("Starting", "SCHEDULED", None, "", 0)
    w, p = manual(d)
    p.poll()
    p.poll()  # same phase: no new entry
    d.next = sdk_state("Starting", "INITIALIZED", None, "", 0)
    p.poll()
    d.next = sdk_state("Running", "READY", True, "", 1)
    p.poll()
    # one entry per status, its condition steps inside; durations per status
    phases = [(e["status"], [step["label"] for step in e["steps"]], e["duration_s"]) for e in w.history]
    assert phases == [
        ("STARTING", ["Scheduled: in progress", "Initialized: in progress"], 15.0),  # three polls, 5 s apart
        ("RUNNING", ["Ready: done"], None),
    ]
    assert [v for _, v in w.instance_series] == [0, 1]
    w.close()


def test_history_counts_statuses_not_steps_over_start_stop_start():
    d = FakeDeployment()
    w, p = manual(d)
    walk = [
        ("Stopped", "STOPPED", True, 0),
        *[("Starting", t, None, 0) for t in ("SCHEDULED", "INITIALIZED", "STARTED", "READY")],
        ("Running", "READY", True, 1),
        ("Stopping", "SCHEDULED", None, 1),
        ("Stopping", "STOPPED", None, 0),
        ("Stopped", "STOPPED", True, 0),
    ]
    for status, ctype, cstatus, n in walk + walk[1:]:
        d.next = sdk_state(status, ctype, cstatus, "", n)
        p.poll()
    assert [e["status"] for e in w.history] == [
        "STOPPED", "STARTING", "RUNNING", "STOPPING", "STOPPED", "STARTING", "RUNNING", "STOPPING", "STOPPED"
    ]  # fmt: skip
    stopping = w.history[3]
    # the stop path names its steps for what they mean, not "Scheduled"
    assert [s["label"] for s in stopping["steps"]] == ["Releasing resources: in progress", "Stopped: in progress"]
    assert len(w.history[1]["steps"]) == 4
    w.close()


def test_stop_path_steps_are_named_for_what_they_mean():
    d = FakeDeployment()
    d.next = sdk_state("Stopping", "SCHEDULED", None, "", 1)
    w, p = manual(d)
    p.poll()
    assert [(s["label"], s["state"]) for s in w.steps] == [("Releasing resources", "active"), ("Stopped", "pending")]
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    p.poll()
    assert [(s["label"], s["state"]) for s in w.steps] == [("Releasing resources", "done"), ("Stopped", "done")]
    assert "Scheduled" not in str(w.steps)
    w.close()


def test_messages_name_only_the_components_the_deployment_has():
    plain = FakeDeployment("plain", ident=31)
    plain.next = sdk_state("Starting", "STARTED", None, "", 0)
    both = FakeDeployment("both", ident=32, transformer=1)
    both.next = sdk_state("Starting", "STARTED", None, "", 0, 0)
    (w1, p1), (w2, p2) = manual(plain), manual(both)
    p1.poll()
    p2.poll()
    assert "predictor" in w1.message and "transformer" not in w1.message
    assert "predictor and transformer" in w2.message
    assert w2.state.condition.message == w2.message  # the condition itself knows the components
    w1.close()
    w2.close()


def test_a_failing_poll_marks_the_shown_state_as_last_known():
    d = FakeDeployment()
    d.next = sdk_state("Running", "READY", True, "", 1)
    w, p = manual(d)
    p.poll()
    assert not w.stale
    d.next = ConnectionError("refused")
    p.poll()
    assert w.stale and w.status == "RUNNING" and w.error
    assert "(last known)" in snapshot_html(w)
    d.next = sdk_state("Running", "READY", True, "", 1)
    p.poll()
    assert not w.stale and not w.error
    w.close()


def test_a_deleted_deployment_is_shown_as_not_found_with_no_actions_and_slow_polls():
    from hops_widgets.errors import DeploymentNotFound

    d = FakeDeployment()
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    w, p = manual(d, backoff_max_s=40)
    p.poll()
    assert w.can_start
    d.next = DeploymentNotFound("gone")
    interval = p.poll()
    assert (w.status, w.status_label, w.can_start, w.can_stop) == ("NOT_FOUND", "Not found", False, False)
    assert "no longer exists" in w.message and not w.stale
    assert interval >= 40 * 0.75, "a deleted deployment is polled at the slowest rate at once"
    assert w.start() is None and "Cannot start" in w.action_error
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)  # it is back
    p.poll()
    assert (w.status, w.can_start) == ("STOPPED", True) and not w.error
    w.close()


def test_a_rejected_key_backs_off_to_the_slowest_interval_at_once():
    from hops_widgets.errors import AuthenticationError

    d = FakeDeployment()
    d.next = sdk_state("Running", "READY", True, "", 1)
    w, p = manual(d, backoff_min_s=2, backoff_max_s=60)
    p.poll()
    d.next = AuthenticationError("401")
    first = p.poll()
    assert first >= 45 and w.error_kind == "auth" and w.polling == "backoff"
    assert "API key was rejected" in w.error and "log in again" in w.error and "every 60 s" in w.error
    d.next = sdk_state("Running", "READY", True, "", 1)
    p.poll()
    assert not w.error and w.polling in ("stable", "hidden")
    w.close()


def test_names_with_hidden_control_characters_are_shown_escaped():
    d = FakeDeployment("pay\u202eroc.exe\x00", ident=41)
    d.next = sdk_state("Running", "READY", True, "", 1)
    w, p = manual(d)
    p.poll()
    assert w.name == "pay⟨U+202E⟩roc.exe⟨U+0000⟩"
    page = snapshot_html(w)
    assert "\u202e" not in page and "\x00" not in page and "payroc.exe" in page  # dropped from static HTML
    w.close()


def test_an_action_asked_in_code_makes_the_widgets_of_that_deployment_poll_fast():
    from hops_widgets import _actions

    d = FakeDeployment("coded", ident=51)
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    other = FakeDeployment("other", ident=52)
    other.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    w = hops_widgets.show(d, display=False, stable_s=50, hidden_s=50)
    v = hops_widgets.show(other, display=False, stable_s=50, hidden_s=50)
    assert w.polling == "hidden" and w.interval_s == 50
    polls = w.poller.polls
    _actions.announce(FakeDeployment("coded", ident=51), "start")  # another object of the same deployment
    deadline = time.monotonic() + 5
    while w.polling != "fast" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert w.polling == "fast" and w.poller.polls > polls
    assert v.polling == "hidden", "an action on one deployment leaves the others alone"
    w.close()
    v.close()


def test_history_and_series_are_bounded():
    d = FakeDeployment()
    w, p = manual(d)
    for i in range(400):
        d.next = sdk_state("Running" if i % 2 else "Updating", "READY", True, "", i % 7)
        p.poll()
    assert len(w.history) == Timeline.HISTORY_LIMIT
    assert len(w.instance_series) == Timeline.SERIES_LIMIT
    sizes = [len(str(u)) for u in w.comm.updates()[-50:]]
    assert max(sizes) < 2 * min(sizes) + 2000, "a message late in life is no bigger than early ones"
    w.close()


def test_bad_polling_option_raises_before_anything_starts(recording_comm):
    before = len(poller_mod.active_pollers())
    with pytest.raises(TypeError, match="unknown polling option"):
        DeploymentWidget(FakeDeployment("typo", ident=5), fats_s=1)
    with pytest.raises(ValueError, match="stable_s"):
        hops_widgets.show(FakeDeployment("typo", ident=5), display=False, stable_s=-1)
    assert len(poller_mod.active_pollers()) == before


def test_a_second_show_changes_only_the_options_it_names():
    d = FakeDeployment("merge", ident=11)
    a = hops_widgets.show(d, display=False, fast_s=0.5, hidden_s=3600)
    b = hops_widgets.show(FakeDeployment("merge", ident=11), display=False, stable_s=2)
    policy = a.poller.policy
    assert a.poller is b.poller
    assert (policy.fast_s, policy.hidden_s, policy.stable_s) == (0.5, 3600, 2)
    a.close()
    b.close()


def test_the_first_poll_already_uses_the_options():
    w = hops_widgets.show(FakeDeployment("first", ident=12), display=False, hidden_s=0.7)
    assert w.poller.polls >= 1 and w.interval_s == 0.7
    w.close()


def test_a_pull_is_answered_only_with_what_changed_after_the_views_revision():
    d = FakeDeployment()
    d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
    w, p = manual(d)
    p.poll()
    current = w._rev
    assert current > 0 and w.comm.updates()[-1]["_rev"] == current  # the revision rides with the change
    before = len(w.comm.messages)
    frontend(w, {"type": "pull", "rev": current})  # a view that got every push: nothing comes back
    assert len(w.comm.messages) == before
    d.next = sdk_state("Starting", "SCHEDULED", None, "placing", 0)
    p.poll()
    frontend(w, {"type": "pull", "rev": current})  # a view whose host dropped that push (Colab)
    (answer,) = [m for m in w.comm.customs() if m.get("type") == "state"]
    assert answer["rev"] == w._rev
    assert answer["changes"]["status"] == "STARTING" and answer["changes"]["condition_reason"] == "placing"
    assert "name" not in answer["changes"], "only what changed after the view's revision"
    assert answer["changes"]["timeline"]["history"][0]["status"] == "STOPPED", "the whole timeline, not a delta"
    frontend(w, {"type": "pull", "rev": "garbage"})  # a bad revision is read as 0: everything
    assert {"name", "status"} <= set(w.comm.customs()[-1]["changes"])
    w.close()
