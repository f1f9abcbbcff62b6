"""The pending-action bookkeeping both widgets share."""

from hops_widgets._pending import PendingActions


def test_an_action_is_pending_until_the_status_leaves_the_one_it_was_asked_in():
    pending = PendingActions()
    pending.mark("a", "start", "STOPPED")
    assert pending.settle({"a": "STOPPED"}) == [] and pending.get("a") == "start" and "a" in pending
    assert pending.settle({"a": "STARTING"}) == ["a"]
    assert pending.get("a") == "" and "a" not in pending


def test_a_held_action_stays_until_marked_again_and_a_gone_row_settles():
    pending = PendingActions()
    pending.mark(None, "restart", None)  # stopping: held, whatever the status does
    assert pending.settle({None: "STOPPING"}) == [] and pending.get(None) == "restart"
    pending.mark(None, "restart", "STOPPED")  # the start is asked
    assert pending.settle({None: "STARTING"}) == [None]
    pending.mark("b", "stop", "RUNNING")
    assert pending.settle({}) == ["b"]  # no longer listed


def test_clear_forgets_the_action():
    pending = PendingActions()
    pending.mark("a", "stop", "RUNNING")
    pending.clear("a")
    assert "a" not in pending and pending.settle({"a": "STOPPED"}) == []
