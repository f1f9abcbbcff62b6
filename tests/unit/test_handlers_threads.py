"""Frontend handlers called from several threads at once, while the poller thread runs.

With JupyterLab >= 4.4 and ipykernel >= 7 comm messages are handled on subshell threads
(``commsOverSubshells``), so ``pull``, ``visibility``, ``select``, ``start``… run concurrently with
the poller thread, with the cell that runs (``w.start()`` in code) and with each other (one subshell
per comm). These tests hammer both widgets that way and then check what a view would end up
showing: the kernel's state, whatever order the threads ran in.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time

import pytest

from hops_widgets.overview import OverviewWidget, ServingSource
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.widget import DeploymentWidget

from .fakes import FakeDeployment, sdk_state
from .test_overview import FakeServing
from .test_widget import recording_comm  # noqa: F401 - the autouse fixture: comms that record

FAST = Policy(fast_s=0.001, stable_s=0.001, hidden_s=0.001, backoff_min_s=0.001, backoff_max_s=0.001)
STATES = [
    ("Stopped", "STOPPED", True, "", 0),
    ("Starting", "SCHEDULED", None, "placing", 0),
    ("Starting", "INITIALIZED", None, "pulling", 0),
    ("Running", "READY", True, "ok", 1),
    ("Stopping", "SCHEDULED", None, "leaving", 1),
]


@pytest.fixture(autouse=True)
def contention():
    """Switch threads as often as possible, so races show up in a second rather than a day."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def failures(caplog):
    """Exceptions the poller caught in a subscriber (a half-applied update): none may happen."""
    caplog.set_level(logging.ERROR, logger="hops_widgets")
    yield lambda: [r.getMessage() + "\n" + (r.exc_text or "") for r in caplog.records]


def frontend(widget, content):
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def hammer(seconds: float, *workers) -> list[BaseException]:
    """Run each worker in a loop on its own thread for ``seconds``; the exceptions they raised."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop(work):
        rnd = random.Random(id(work))
        try:
            while not stop.is_set():
                work(rnd)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for th in threads:
        th.start()
    time.sleep(seconds)
    stop.set()
    for th in threads:
        th.join(10)
        assert not th.is_alive(), "a handler thread hung (deadlock?)"
    return errors


def mover(deployment: FakeDeployment):
    """The server side: the deployment keeps changing state."""
    i = iter(range(10**9))

    def move(rnd):
        status, ctype, cstatus, reason, available = STATES[next(i) % len(STATES)]
        deployment.next = sdk_state(status, ctype, cstatus, f"{reason} {rnd.random()}", available)
        time.sleep(0.0005)

    return move


class View:
    """What a frontend holds after the kernel's messages, pushes and pull answers, in send order."""

    def __init__(self, widget):
        self.widget = widget
        self.values: dict = {}
        self.seen = 0

    def catch_up(self) -> None:
        messages = self.widget.comm.messages
        for msg_type, data in messages[self.seen :]:
            if msg_type == "comm_open":
                self.values.update(data.get("state", {}))
            elif data.get("method") == "update":
                self.values.update(data["state"])
                self._rows(data["state"])
            elif data.get("method") == "custom" and data["content"].get("type") == "state":
                answer = data["content"]
                if answer["rev"] > self.values.get("_rev", 0):  # what syncByPull in js/widget.js does
                    self.values.update(answer["changes"])
                    self.values["_rev"] = answer["rev"]
                    self._rows(answer["changes"])
        self.seen = len(messages)

    def _rows(self, state: dict) -> None:
        """The overview's keyed row changes, applied as the view's row store does."""
        from hops_widgets.overview import apply_row_changes

        ops = state.get("row_ops")
        if ops and (ops.get("reset") or ops.get("base") == self.values.get("_rows_rev", 0)):
            self.table = apply_row_changes(getattr(self, "table", {}), ops)
            self.values["_rows_rev"] = ops["rev"]
            self.values["rows"] = list(self.table.values())

    def pull(self) -> None:
        """A host that dropped every push: only the pull answers count."""
        frontend(self.widget, {"type": "pull", "rev": self.values.get("_rev", 0)})
        self.catch_up()


def settle(widget, poller, deployment, status=("Running", "READY", True, "final", 1)):
    deadline = time.monotonic() + 10
    # actions still queued run first and move the fake again: set the final state until none is left
    while poller._actions or widget.status != status[0].upper() or widget.condition_reason != status[3]:
        deployment.next = sdk_state(*status)
        if time.monotonic() > deadline:
            import traceback

            stacks = "\n".join(
                f"--- {th.name}\n" + "".join(traceback.format_stack(sys._current_frames()[th.ident]))
                for th in threading.enumerate()
                if th.ident in sys._current_frames()
            )
            raise AssertionError(
                f"the poller never applied the final state ({widget.status}, alive={poller.alive}):\n{stacks}"
            )
        time.sleep(0.01)
    poller.stop()


def test_detail_handlers_on_many_threads_while_the_poller_runs(failures):
    d = FakeDeployment("stress")
    p = Poller(DeploymentSource(d), policy=FAST)
    w = DeploymentWidget(d, poller=p)
    ids = iter(range(10**9))

    def pulls(rnd):
        frontend(w, {"type": "pull", "rev": rnd.randrange(0, w._rev + 2)})

    def visibility(rnd):
        frontend(w, {"type": "visibility", "view": f"v{rnd.randrange(3)}", "visible": rnd.random() < 0.5})

    def actions(rnd):
        frontend(w, {"type": rnd.choice(["start", "stop", "refresh", "timeline"]), "id": next(ids)})

    def in_code(rnd):  # a cell calling the widget's own methods meanwhile
        rnd.choice([w.start, w.stop, w.refresh])()

    errors = hammer(1.5, mover(d), pulls, pulls, visibility, actions, in_code)
    assert not errors, errors
    settle(w, p, d)
    assert not failures(), failures()[0]
    replies = [c for c in w.comm.customs() if c.get("type") == "reply"]
    unexpected = [r for r in replies if not r["ok"] and not r.get("refused") and "_Refused:" not in r["error"]]
    assert not unexpected, [r["error"] for r in unexpected[:3]]
    # the revision the view is told is the newest one any trait got
    assert w._rev == max(w._revs.values())
    # a view fed by the pushes (Jupyter) and one fed by pulls alone (Colab) both show the kernel's state
    pushed = View(w)
    pushed.catch_up()
    pulled = View(w)
    pulled.pull()
    for view in (pushed, pulled):
        for name in ("status", "condition_reason", "message", "steps", "predictor_available", "_rev"):
            assert view.values.get(name) == getattr(w, name), (name, view is pulled)
    w.close()


def test_one_click_one_action_however_many_threads_click_at_once():
    for round_ in range(20):
        d = FakeDeployment(f"clicks-{round_}")
        d.next = sdk_state("Stopped", "STOPPED", True, "", 0)
        p = Poller(DeploymentSource(d), policy=Policy(), autostart=False)
        w = DeploymentWidget(d, poller=p)
        p.poll()
        gate = threading.Barrier(6)

        def click(i, w=w, gate=gate):
            gate.wait()
            if i % 2:
                frontend(w, {"type": "start", "id": i})
            else:
                w.start()

        threads = [threading.Thread(target=click, args=(i,)) for i in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(5)
        futures = list(p._actions)
        assert len(futures) == 1, f"round {round_}: {len(futures)} starts queued for one click"
        w.close()


def test_overview_handlers_on_many_threads_while_the_poller_runs(failures):
    serving = FakeServing(4)
    source = ServingSource(serving)
    p = Poller(source, policy=FAST)
    w = OverviewWidget(source=source, poller=p, policy=FAST)
    names = [d.name for d in serving.deployments]
    ids = iter(range(10**9))

    def move(rnd):
        d = rnd.choice(serving.deployments)
        status, ctype, cstatus, reason, available = rnd.choice(STATES)
        d.predictor._state = sdk_state(status, ctype, cstatus, reason, available)
        d.next = d.predictor._state
        time.sleep(0.0005)

    def pulls(rnd):
        frontend(w, {"type": "pull", "rev": rnd.randrange(0, w._rev + 2)})

    def select(rnd):
        frontend(w, {"type": "select", "id": next(ids), "name": rnd.choice([*names, ""])})

    def row_actions(rnd):
        frontend(w, {"type": rnd.choice(["start", "stop"]), "id": next(ids), "name": rnd.choice(names)})

    def detail_actions(rnd):
        frontend(w, {"type": rnd.choice(["refresh", "timeline", "start"]), "id": next(ids), "target": "detail"})

    def visibility(rnd):
        frontend(w, {"type": "visibility", "view": "v", "visible": rnd.random() < 0.5})

    errors = hammer(1.5, move, pulls, select, row_actions, detail_actions, visibility)
    assert not errors, errors
    w.open_detail(names[0])  # a detail open at the end
    assert w.selected == names[0] and w.detail is not None
    for d in serving.deployments:
        d.predictor._state = d.next = sdk_state("Running", "READY", True, "final", 1)
    deadline = time.monotonic() + 10
    while not (
        [r["status"] for r in w.rows] == ["RUNNING"] * 4
        and w.detail_state.get("status") == "RUNNING"
        and w.detail_state.get("condition_reason") == "final"
    ):
        assert time.monotonic() < deadline, (w.rows, w.detail_state.get("status"))
        time.sleep(0.01)
    p.stop()
    w.detail.poller.stop()
    time.sleep(0.05)
    assert not failures(), failures()[0]
    replies = [c for c in w.comm.customs() if c.get("type") == "reply"]
    # refused, or the open detail was closed under the request by a select on another thread
    fine = ("_Refused:", "cancelled", "the poller is stopped")
    unexpected = [r for r in replies if not r["ok"] and not r.get("refused") and not any(f in r["error"] for f in fine)]
    assert not unexpected, [r["error"] for r in unexpected[:3]]
    assert w._rev == max(w._revs.values())
    # every detail opened meanwhile was closed again, its poller with it: only the last one is left
    from hops_widgets import poller as poller_mod

    left = [q for q in poller_mod.active_pollers() if q.source.key != source.key and "dep-" in q.source.label]
    assert len(left) <= 1, [q.source.label for q in left]
    pushed = View(w)
    pushed.catch_up()
    pulled = View(w)
    pulled.pull()
    for view in (pushed, pulled):
        for name in ("rows", "selected", "_rev"):
            assert view.values.get(name) == getattr(w, name), (name, view is pulled)
        assert view.values["detail_state"]["status"] == "RUNNING"
        assert view.values["detail_state"]["condition_reason"] == "final"
    w.close()
