"""The shared project loop, driven by hand: injected clock and wake, no thread, no sleeping."""

from __future__ import annotations

from hops_widgets.errors import ServerError
from hops_widgets.poller import DeploymentSource, Policy, Poller, ProjectLoop, project_of
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


def test_one_list_request_serves_every_member_and_no_single_gets():
    loop, lister, pollers, _, _ = setup("a", "b", "c")
    loop.run_round()
    loop.run_round()
    assert lister.calls == 2 and loop.list_requests == 2
    assert all(p.snapshot.state.name == n for n, p in pollers.items())
    assert all(p.source.deployment.calls == 0 for p in pollers.values())  # nobody's get_state()


def test_alone_a_member_makes_its_own_single_request():
    loop, lister, pollers, _, _ = setup("a")
    loop.run_round()
    assert lister.calls == 0 and pollers["a"].source.deployment.calls == 1


def test_cadence_is_the_fastest_any_member_needs():
    loop, lister, pollers, clock, _ = setup("a", "b")
    visible = pollers["a"].subscribe(lambda s: None, visible=True)
    pollers["b"].subscribe(lambda s: None)  # no view on screen: 30 s alone
    lister.states["b"] = state("b", "Starting")  # b moves: fast for all
    loop.run_round()
    assert loop.next_due() == clock.now + 1.0
    lister.states["b"] = state("b", "Running")
    clock.advance(1.0)
    loop.run_round()
    assert pollers["a"]._due == clock.now + 5.0 and pollers["b"]._due == clock.now + 30.0
    assert loop.next_due() == clock.now + 5.0  # the visible one's stable interval
    pollers["a"].set_visible(visible, False)
    assert pollers["a"]._interval(pollers["a"].snapshot.state) == (30.0, "hidden")


def test_the_run_loop_waits_for_the_earliest_due_member():
    loop, lister, pollers, clock, wake = setup("a", "b")
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
    assert lister.calls == 3 and waits == [5.0, 5.0, 5.0]


def test_a_deployment_leaving_the_list_is_shown_as_not_found_the_others_go_on():
    loop, lister, pollers, _, _ = setup("a", "b")
    loop.run_round()
    del lister.states["a"]
    loop.run_round()
    assert pollers["a"].snapshot.error_kind == "not_found" and pollers["a"].snapshot.state.name == "a"
    assert pollers["b"].snapshot.error_kind == ""
    lister.states["a"] = state("a")  # back (re-created): shown again on the next round
    loop.run_round()
    assert pollers["a"].snapshot.error_kind == ""


def test_a_list_error_reaches_every_member_and_recovers():
    loop, lister, pollers, _, _ = setup("a", "b")
    lister.error = ServerError("boom")
    loop.run_round()
    assert [p.snapshot.error_kind for p in pollers.values()] == ["server", "server"]
    assert all(p.snapshot.mode == "backoff" for p in pollers.values())
    lister.error = None
    loop.run_round()
    assert [p.snapshot.error_kind for p in pollers.values()] == ["", ""]


def test_members_are_matched_by_id_before_name():
    loop, lister, pollers, _, _ = setup("a", "b")
    lister.states = {"x": state("renamed", ident=1), "b": state("b", ident=2)}
    loop.run_round()
    assert pollers["a"].snapshot.state.name == "renamed"


def test_actions_go_to_their_own_deployment_before_the_round():
    loop, lister, pollers, _, _ = setup("a", "b")
    future = pollers["b"].run_action("stop")
    loop.run_round()
    assert future.result(0) == "stop"
    assert pollers["b"].source.deployment.actions
    assert pollers["a"].source.deployment.actions == []
    assert pollers["b"].snapshot.mode == "fast" and lister.calls == 1


def test_the_last_member_out_stops_the_loop():
    loop, _, pollers, _, _ = setup("a", "b")
    pollers["a"].stop()
    assert not loop.stopped and loop.members == [pollers["b"]]
    pollers["b"].stop()
    assert loop.stopped and loop.members == []


def test_objects_without_a_project_poll_alone_and_say_why():
    found = project_of(DeploymentSource(FakeDeployment()))
    assert isinstance(found, str) and found.startswith("own loop")


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
