"""The shared project loop, driven by hand: injected clock and wake, no thread, no sleeping."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hops_widgets.errors import DeploymentNotFound, ServerError
from hops_widgets.poller import Choice, DeploymentSource, Policy, Poller, ProjectLoop, project_of
from hops_widgets.state import DeploymentState

from .fakes import FakeClock, FakeDeployment, ManualEvent, sdk_state

IDS = {"a": 1, "b": 2, "c": 3}


def state(name, status="Running", ident=None):
    d = FakeDeployment(name, ident=ident or IDS.get(name, 9))
    return DeploymentState.from_sdk(d, state=sdk_state(status, "READY", status == "Running", "", 1))


class Lister:
    def __init__(self, *names):
        self.states = {n: state(n) for n in names}
        self.calls = 0
        self.error = None

    def __call__(self):
        self.calls += 1
        if self.error:
            raise self.error
        return list(self.states.values())


def setup(*names, **policy):
    clock, wake = FakeClock(), ManualEvent()
    lister = Lister(*names)
    loop = ProjectLoop(("project", "t"), lister, "t", clock=clock, wake=wake, autostart=False)
    pollers = {}
    for i, n in enumerate(names):
        d = FakeDeployment(n, ident=i + 1)
        p = Poller(DeploymentSource(d), policy=Policy.from_options(**policy), loop=loop, rand=lambda: 0.5)
        p.start()  # joins the loop (no thread of its own)
        pollers[n] = p
    return loop, lister, pollers, clock, wake


def test_members_share_the_loops_clock_and_wake_and_start_no_thread():
    loop, _, pollers, clock, wake = setup("a", "b")
    p = pollers["a"]
    assert p._wake is wake and p._clock is clock and p._thread is None and loop.members == list(pollers.values())
    assert p.snapshot.sharing == "project loop"


def gets(pollers):
    return sum(p.source.deployment.calls for p in pollers.values())


def test_an_unknown_project_size_means_single_gets_never_a_list_to_learn_it():
    loop, lister, pollers, _, _ = setup("a", "b", "c")
    loop.run_round()
    assert lister.calls == 0 and gets(pollers) == 3 and loop.size is None
    assert loop.choice.kind == "gets" and loop.choice.why == "N is unknown"
    assert all(p.snapshot.state.name == n for n, p in pollers.items())


def test_the_list_is_read_when_it_costs_no_more_states_than_the_gets():
    loop, lister, pollers, clock, _ = setup("a", "b", "c")
    loop.size, loop.size_at = 3, clock.now  # N = 3, known from a list a moment ago
    loop.run_round()
    assert lister.calls == 1 and gets(pollers) == 0 and loop.choice == Choice("list", 3, 3, loop.choice.why)
    assert all(p.snapshot.state.name == n for n, p in pollers.items())
    loop.size = 500  # a big project: the three are read one by one
    for p in pollers.values():
        p.refresh()
    loop.run_round()
    assert lister.calls == 1 and gets(pollers) == 3 and loop.choice.kind == "gets"
    assert loop.choice.why == "3 GETs cost less than the list's 500 states"


def test_a_project_size_too_old_is_unknown_again():
    loop, _, _, clock, _ = setup("a")
    loop.size, loop.size_at = 1, clock.now
    assert loop.choose(1, False, clock.now).kind == "list"
    clock.advance(ProjectLoop.SIZE_TRUSTED_S + 1)
    assert loop.choose(1, False, clock.now) == Choice("gets", 1, None, "N is unknown")
    assert loop.choose(0, False, clock.now).kind == "none"
    assert loop.choose(0, True, clock.now).kind == "list"  # an overview's list is read whatever N


def run_for(loop, clock, seconds):
    """Run the loop's rounds as its thread would, on the manual clock, for ``seconds``."""
    end = clock.now + seconds
    while True:
        due = loop.next_due()
        if due is None or due > end + 1e-9:
            clock.now = end
            return
        clock.now = max(clock.now, due)
        loop.run_round()


def test_each_deployment_costs_what_the_sdk_loop_would_one_moving_one_stable():
    """Two detail widgets in a big project: a 1 s loop on the moving one, a 5 s loop on the other."""
    loop, lister, pollers, clock, _ = setup("a", "b")
    for p in pollers.values():
        p.subscribe(lambda s: None, visible=True)
    loop.size, loop.size_at = 500, clock.now
    pollers["a"].source.deployment.next = sdk_state("Starting", "SCHEDULED", None, "", 0)
    loop.run_round()
    a, b = (p.source.deployment for p in pollers.values())
    a.calls = b.calls = 0
    run_for(loop, clock, 60)
    assert lister.calls == 0 and a.calls == 60 and b.calls == 12


def test_only_the_due_members_are_read_and_a_list_serves_every_member():
    loop, lister, pollers, clock, _ = setup("a", "b")
    pollers["a"].subscribe(lambda s: None, visible=True)  # 5 s
    pollers["b"].subscribe(lambda s: None)  # no view on screen: 30 s
    loop.run_round()
    a, b = (p.source.deployment for p in pollers.values())
    run_for(loop, clock, 30)
    assert (a.calls, b.calls) == (7, 2)
    loop.size, loop.size_at = 2, clock.now
    clock.advance(5)
    loop.run_round()  # a is due; the list (2 states) costs what a's GET and b's would: b is fresh too
    assert lister.calls == 0 and loop.choice.kind == "gets"  # one GET (a) is cheaper than 2 states
    pollers["b"].refresh()
    loop.run_round()
    assert lister.calls == 0 and (a.calls, b.calls) == (8, 3)
    pollers["a"].refresh()
    pollers["b"].refresh()
    loop.run_round()
    assert lister.calls == 1 and pollers["b"]._last_poll == clock.now


def test_a_deleted_deployment_is_shown_as_not_found_by_get_and_by_list():
    loop, lister, pollers, clock, _ = setup("a", "b")
    loop.run_round()
    pollers["a"].source.deployment.next = DeploymentNotFound("gone")
    for p in pollers.values():
        p.refresh()
    loop.run_round()
    assert pollers["a"].snapshot.error_kind == "not_found" and pollers["a"].snapshot.state.name == "a"
    assert pollers["b"].snapshot.error_kind == ""
    loop.size, loop.size_at = 1, clock.now
    del lister.states["a"]
    for p in pollers.values():
        p.refresh()
    loop.run_round()
    assert loop.choice.kind == "list" and pollers["a"].snapshot.error_kind == "not_found"
    lister.states["a"] = state("a")  # back (re-created): shown again on the next round
    for p in pollers.values():
        p.refresh()
    loop.run_round()
    assert pollers["a"].snapshot.error_kind == ""


def test_a_list_error_reaches_every_member_and_recovers():
    loop, lister, pollers, clock, _ = setup("a", "b")
    loop.size, loop.size_at = 2, clock.now
    lister.error = ServerError("boom")
    loop.run_round()
    assert [p.snapshot.error_kind for p in pollers.values()] == ["server", "server"]
    assert all(p.snapshot.mode == "backoff" for p in pollers.values())
    lister.error = None
    for p in pollers.values():
        p.refresh()
    loop.run_round()
    assert [p.snapshot.error_kind for p in pollers.values()] == ["", ""]


def test_members_are_matched_by_id_before_name_in_a_list():
    loop, lister, pollers, clock, _ = setup("a", "b")
    loop.size, loop.size_at = 2, clock.now
    lister.states = {"x": state("renamed", ident=1), "b": state("b", ident=2)}
    loop.run_round()
    assert pollers["a"].snapshot.state.name == "renamed"


def test_actions_go_to_their_own_deployment_before_the_round():
    loop, lister, pollers, _, _ = setup("a", "b")
    loop.run_round()
    future = pollers["b"].run_action("stop")
    loop.run_round()
    assert future.result(0) == "stop"
    assert pollers["b"].source.deployment.actions
    assert pollers["a"].source.deployment.actions == []
    assert pollers["b"].snapshot.mode == "fast" and lister.calls == 0
    assert pollers["a"].source.deployment.calls == 1  # a was not due: only b was read


def test_the_run_loop_waits_for_the_earliest_due_member():
    loop, _, pollers, clock, wake = setup("a", "b")
    pollers["a"].subscribe(lambda s: None, visible=True)
    loop._stopping = False
    waits = []

    def wait(timeout=None):
        waits.append(timeout)
        if len(waits) == 3:
            loop._stopping = True
        clock.advance(timeout or 0)
        return False

    wake.wait = wait
    loop._run()
    assert waits == [5.0, 5.0, 5.0] and gets(pollers) == 2 + 2  # a every 5 s; b (30 s) once


def test_the_last_member_out_stops_the_loop():
    loop, _, pollers, _, _ = setup("a", "b")
    pollers["a"].stop()
    assert not loop.stopped and loop.members == [pollers["b"]]
    pollers["b"].stop()
    assert loop.stopped and loop.members == []


def test_objects_without_a_project_poll_alone_and_say_why():
    found = project_of(DeploymentSource(FakeDeployment()))
    assert isinstance(found, str) and found.startswith("own loop")


# ---------------------------------------------------------------- the overview in the loop
class FakeServing:
    """An SDK-shaped model serving: its list carries each deployment's state (hsml's ``predictor._state``)."""

    def __init__(self, n):
        self.deployments = {}
        for i in range(n):
            d = FakeDeployment(f"dep{i:04d}", ident=i + 1)
            d.predictor = SimpleNamespace(_state=d.next)
            self.deployments[d.name] = d
        self.lists = 0

    def get_deployments(self):
        self.lists += 1
        return list(self.deployments.values())

    def get_deployment(self, name):
        return self.deployments.get(name)

    def move(self, name, status="Starting"):
        d = self.deployments[name]
        d.next = d.predictor._state = sdk_state(status, "SCHEDULED", None, "", 0)

    @property
    def gets(self):
        return sum(d.calls for d in self.deployments.values())


def overview_setup(n, *details, policy=None):
    from hops_widgets.overview import ServingSource

    clock, wake = FakeClock(), ManualEvent()
    serving = FakeServing(n)
    loop = ProjectLoop(("project", "t"), lambda: [], "t", clock=clock, wake=wake, autostart=False)
    source = ServingSource(serving)
    ov = Poller(source, policy=policy or Policy(), loop=loop, rand=lambda: 0.5)
    ov.start()
    token = ov.subscribe(lambda s: None, visible=True)
    members = {}
    for name in details:
        p = Poller(DeploymentSource(serving.deployments[name]), loop=loop, rand=lambda: 0.5)
        p.start()
        p.subscribe(lambda s: None, visible=True)
        members[name] = p
    return loop, serving, source, ov, token, members, clock


def in_view(source, clock, names, query=""):
    return source.watch.set_in_view(names, clock.now, 1.0, query)


def test_overview_first_round_is_the_list_then_rows_in_view_by_get_and_the_list_every_minute_at_2000():
    loop, serving, source, ov, _, _, clock = overview_setup(2000)
    loop.run_round()
    assert serving.lists == 1 and loop.size == 2000 and len(ov.snapshot.state.states) == 2000
    shown = [f"dep{i:04d}" for i in range(15)]
    assert in_view(source, clock, shown) is False  # just read by the list: nothing to read now
    assert source.watch.list_every(ov.policy) == 60.0  # max(30 s, 2,000 × 30 ms)
    serving.lists = 0
    run_for(loop, clock, 120)
    # rows in view every 5 s (12/min each), the list every 60 s: 2 lists, 15 × 24 GETs less those
    # the lists made fresh
    assert serving.lists == 2
    assert serving.gets == 15 * (24 - 2)
    per_min = (serving.lists * 2000 + serving.gets) / 2
    assert per_min <= 2500


def test_overview_moving_rows_in_view_every_second_off_screen_at_the_stable_cadence():
    loop, serving, source, ov, _, _, clock = overview_setup(2000)
    loop.run_round()
    in_view(source, clock, [f"dep{i:04d}" for i in range(15)])
    for i in range(0, 2000, 20):  # 5 % move: dep0000 in view, 99 off screen
        serving.move(f"dep{i:04d}")
    serving.lists = 0
    clock.advance(60)
    loop.run_round()  # the list brings the moving rows
    assert serving.lists == 1 and ov.snapshot.mode == "fast"
    for d in serving.deployments.values():
        d.calls = 0
    run_for(loop, clock, 59)
    view = serving.deployments["dep0000"].calls  # moving, in view: every second
    still = serving.deployments["dep0001"].calls  # in view: every second while anything moves
    off = serving.deployments["dep0020"].calls  # moving off screen: every 5 s
    calm = serving.deployments["dep0021"].calls  # off screen, not moving: only the list
    assert (view, still, off, calm) == (59, 59, 11, 0)
    assert serving.lists == 1  # the one at the start of the window, none since


def test_overview_of_a_small_project_reads_the_list_every_round_as_before():
    loop, serving, source, _ov, _, _, clock = overview_setup(10)
    loop.run_round()
    in_view(source, clock, list(serving.deployments))  # all ten on screen: N ≤ rows needed
    serving.lists = 0
    run_for(loop, clock, 60)
    assert serving.lists == 12 and serving.gets == 0 and loop.choice.kind == "list"


def test_overview_without_a_report_of_its_rows_counts_every_row_as_in_view():
    loop, serving, _source, _ov, _, _, clock = overview_setup(40)
    loop.run_round()
    serving.lists = 0
    run_for(loop, clock, 20)
    assert serving.lists == 4 and serving.gets == 0


def test_a_row_scrolled_into_view_is_read_in_the_next_round_at_once():
    loop, serving, source, ov, _, _, clock = overview_setup(2000)
    loop.run_round()
    in_view(source, clock, ["dep0000"])
    clock.advance(20)
    assert in_view(source, clock, ["dep0000", "dep0500"]) is True  # dep0500 was read 20 s ago
    ov.refresh()  # what the widget does when told so
    loop.run_round()
    assert serving.deployments["dep0500"].calls == 1 and serving.deployments["dep0000"].calls == 1
    assert in_view(source, clock, ["dep0500"]) is False  # read this round


def test_refresh_and_a_filter_over_an_old_list_read_the_whole_list():
    loop, serving, source, ov, _, _, clock = overview_setup(2000)
    loop.run_round()
    in_view(source, clock, ["dep0000"])
    clock.advance(2)
    assert in_view(source, clock, ["dep0000"], query="status:Failed") is False  # the list is 2 s old
    clock.advance(20)
    assert in_view(source, clock, ["dep0000"], query="status:Running") is True
    ov.refresh()
    loop.run_round()
    assert serving.lists == 2
    source.watch.ask_list()  # Refresh (OverviewWidget.refresh)
    ov.refresh()
    loop.run_round()
    assert serving.lists == 3


def test_detail_widgets_and_the_overview_share_what_a_round_reads():
    loop, serving, source, ov, _, members, clock = overview_setup(2000, "dep0000", "dep1500")
    loop.run_round()  # the overview's first list serves the details too
    assert serving.lists == 1 and serving.gets == 0
    in_view(source, clock, ["dep0000", "dep0001"])
    clock.advance(5)
    loop.run_round()
    # dep0000 is a detail and in view: one GET for both; dep0001 (view), dep1500 (detail)
    assert serving.gets == 3 and serving.deployments["dep0000"].calls == 1
    serving.move("dep1500")
    members["dep1500"].refresh()
    loop.run_round()
    row = next(s for s in ov.snapshot.state.states if s.name == "dep1500")
    assert row.status == "STARTING"  # the overview's row took the detail's read


def test_timeline_deltas_patch_entries_a_view_has_and_stay_flat_in_length():
    import json

    from hops_widgets.timeline import Timeline

    t = Timeline()
    sizes = []
    for i in range(60):
        rev = t.rev
        t.record(state("a", "Stopped" if i % 2 else "Running"), 1000.0 * i)
        delta = t.since(rev)
        closed, opened = delta["history"] if i else (None, *delta["history"])
        if i:
            assert closed == {"seq": closed["seq"], "rev": t.rev, "patch": True, "duration_s": 1.0}
        assert "patch" not in opened and opened["steps"]
        sizes.append(len(json.dumps(delta)))
    assert max(sizes[1:]) - min(sizes[1:]) <= 16 and max(sizes) < 400  # digits of the time only
    whole = t.whole()
    assert len(whole["history"]) == Timeline.HISTORY_LIMIT
    assert all("patch" not in e and "_fields" not in e and "steps" in e for e in whole["history"])
    assert all("_made" not in e for e in t.history)


class _Api:
    def __init__(self, deployments):
        self.deployments = deployments
        self.calls = 0

    def listed(self):
        self.calls += 1
        return self.deployments


def _sdk_deployment(name, ident, api, method):
    from types import SimpleNamespace

    d = FakeDeployment(name, ident=ident)
    d.model_registry_id = 119
    d.predictor = SimpleNamespace(_state=sdk_state("Running", "READY", True, "", 1))
    d._serving_api = SimpleNamespace(**{method: api.listed})
    return d


def test_sdk_deployments_find_their_project_on_5x_and_before(monkeypatch):
    for method in ("_get_all", "get_all"):  # hsml 5.x / 3.7–4.x
        api = _Api([])
        api.deployments = [_sdk_deployment("a", 1, api, method), _sdk_deployment("b", 2, api, method)]
        monkeypatch.setattr(FakeDeployment, "__module__", "hsml.deployment")
        key, lister, label = project_of(DeploymentSource(api.deployments[0]))
        assert key == ("project", "sdk", 119) and label == "demo"
        states = lister()
        assert [s.name for s in states] == ["a", "b"] and api.calls == 1
        assert all(d.calls == 0 for d in api.deployments)  # the state came inside the list


def test_an_sdk_deployment_without_a_project_id_polls_alone_and_says_why(monkeypatch):
    api = _Api([])
    d = _sdk_deployment("a", 1, api, "_get_all")
    d.model_registry_id = None
    monkeypatch.setattr(FakeDeployment, "__module__", "hsml.deployment")
    why = project_of(DeploymentSource(d))
    assert isinstance(why, str) and "no project list reachable" in why


def test_a_poller_arriving_as_its_loop_ends_polls_alone():
    loop, _, pollers, _, _ = setup("a")
    pollers["a"].stop()
    assert loop.stopped
    late = Poller(DeploymentSource(FakeDeployment("b", ident=2)), loop=loop, autostart=False)
    late.start()  # its own thread now
    try:
        assert late._loop is None and late.alive and late.sharing.startswith("own loop")
    finally:
        late.stop()


def test_an_overview_off_screen_lists_at_the_hidden_cadence_slower_only_for_a_big_project():
    from hops_widgets.poller import TableWatch

    watch = TableWatch()
    policy = Policy(hidden_s=0.05)
    watch.listed([f"dep{i}" for i in range(4)], now=0.0)
    # what the caller asked for (or N × 30 ms, 0.12 s here), not the visible floor of 30 s
    assert watch.list_interval(policy, visible=False) == pytest.approx(4 * policy.list_per_row_s)
    assert watch.list_interval(policy, visible=True) == policy.list_min_s
    watch.listed([f"dep{i}" for i in range(2000)], now=1.0)
    assert watch.list_interval(Policy(), visible=False) == 60.0  # max(30 s hidden, 2,000 × 30 ms)
    assert watch.list_interval(Policy(hidden_s=None), visible=False) is None  # paused
