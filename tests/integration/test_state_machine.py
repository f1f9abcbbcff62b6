"""Every path of the state machine, observed through the client, with the clock stepped by hand."""

from __future__ import annotations

import pytest

from hops_widgets.sandbox import ScenarioError, Timing

T = Timing()
HALF = T.step_s / 2


def observe(d):
    s = d.get_state()
    cond = (s.condition.type, s.condition.status) if s.condition else None
    return s.status, cond, s.predictor.available


def test_start_walks_every_step_in_progress_only(serving, sb):
    # as the backend: a done step is replaced by the next step's in-progress condition, never sent as True;
    # the pods exist (pending) from the start, so they count from the first step
    sb.update_deployment("churnmodel", requested_instances=3)
    d = serving.get_deployment("churnmodel")
    assert observe(d) == ("CREATED", ("STOPPED", True), 0)
    d.start(await_running=0)
    seen = []
    for _ in range(7):
        seen.append(observe(d))
        sb.advance(HALF)
    assert [s[1] for s in seen] == [
        ("SCHEDULED", None),
        ("INITIALIZED", None),
        ("INITIALIZED", None),
        ("STARTED", None),
        ("STARTED", None),
        ("READY", None),
        ("READY", None),
    ]
    assert {s[0] for s in seen} == {"STARTING"}
    assert [s[2] for s in seen] == [3] * 7
    assert observe(d) == ("RUNNING", ("READY", True), 3)
    assert d.is_running()


def test_start_from_stopped_and_transformer_ramps(serving, sb):
    d = serving.get_deployment("frauddetector")
    d.stop(await_stopped=0)
    sb.advance(T.stop_s)
    assert observe(d) == ("STOPPED", ("STOPPED", True), 0)
    d.start(await_running=0)
    state = d.get_state()
    assert (state.transformer.available, state.transformer.requested) == (1, 1)  # its pod, pending
    sb.advance(T.start_s)
    state = d.get_state()
    assert state.status == "RUNNING"
    assert (state.predictor.available, state.transformer.available) == (2, 1)


def test_stop_walks_scheduled_then_stopped_with_instances_ramping_down(serving, sb):
    sb.update_deployment("frauddetector", requested_instances=4)
    sb.advance(T.update_s)
    d = serving.get_deployment("frauddetector")
    assert observe(d) == ("RUNNING", ("READY", True), 4)
    d.stop(await_stopped=0)
    first = d.get_state()
    assert (first.status, first.condition.type, first.condition.status) == ("STOPPING", "SCHEDULED", None)
    assert "unschedul" in first.condition.reason.lower() or "releas" in first.condition.reason.lower()
    sb.advance(T.stop_step_s * 0.5)
    mid = observe(d)
    sb.advance(T.stop_step_s)
    late = observe(d)
    assert mid[:2] == ("STOPPING", ("SCHEDULED", None))
    assert late[:2] == ("STOPPING", ("STOPPED", None))
    assert 4 >= mid[2] >= late[2] > 0
    sb.advance(T.stop_step_s)
    assert observe(d) == ("STOPPED", ("STOPPED", True), 0)
    assert d.is_stopped()


def test_stop_while_starting_is_refused_then_accepted_once_running(serving, sb):
    from hops_widgets.errors import HopsError

    d = serving.get_deployment("churnmodel")
    d.start(await_running=0)
    sb.advance(HALF)
    with pytest.raises(HopsError) as info:
        d.stop(await_stopped=0)
    assert (info.value.status_code, info.value.error_code) == (400, 240003)
    assert d.get_state().status == "STARTING"
    sb.advance(T.start_s)
    d.stop(await_stopped=0)
    assert d.get_state().status == "STOPPING"
    sb.advance(T.stop_s)
    assert d.get_state().status == "STOPPED"


def test_scale_to_zero_then_cold_start(serving, sb):
    d = serving.get_deployment("recommender")
    assert observe(d) == ("RUNNING", ("READY", True), 1)
    sb.advance(T.retention_s - 1)
    d.predict()  # a request resets the quiet period
    sb.advance(T.retention_s - 1)
    assert observe(d)[0] == "RUNNING"
    sb.advance(2)
    state = d.get_state()
    assert (state.status, state.predictor.available, state.predictor.requested) == ("IDLE", 0, 1)
    assert state.scale_to_zero
    assert d.is_running() and not d.is_running(or_idle=False)
    d.predict()  # wakes it: Idle -> Running at once, the service stays Ready while its pod comes up
    woken = d.get_state()
    assert (woken.status, woken.condition.type, woken.condition.status) == ("RUNNING", "READY", True)
    assert woken.predictor.available == 1
    sb.advance(T.cold_start_s)
    assert observe(d) == ("RUNNING", ("READY", True), 1)


def test_deployment_without_scale_to_zero_never_idles(serving, sb):
    sb.advance(T.retention_s * 10)
    assert serving.get_deployment("frauddetector").get_state().status == "RUNNING"


def test_update_passes_through_updating(serving, sb):
    d = serving.get_deployment("frauddetector")
    d.update(requested_instances=4)
    first = d.get_state()
    assert first.status == "UPDATING"
    assert first.predictor.available == 4  # the new revision's pods, counted in any phase
    sb.advance(T.update_s * 0.75)
    middle = d.get_state()
    assert middle.status == "UPDATING" and middle.predictor.available == 4
    sb.advance(T.update_s)
    assert observe(d) == ("RUNNING", ("READY", True), 4)


def test_update_of_stopped_deployment_just_saves(serving, sb):
    d = serving.get_deployment("churnmodel")
    assert sb.update_deployment("churnmodel", requested_instances=2) == "saved"
    assert d.resources.requested_instances == 1  # until fetched again
    assert observe(d)[0] == "CREATED"
    assert d.resources.requested_instances == 2


@pytest.mark.parametrize("step", ["SCHEDULED", "INITIALIZED", "STARTED", "READY"])
def test_failure_at_each_step(serving, sb, step):
    reason = f"Failed at {step.lower()}: made up by the test"
    sb.fail("churnmodel", step, reason)
    d = serving.get_deployment("churnmodel")
    d.start(await_running=0)
    order = ["SCHEDULED", "INITIALIZED", "STARTED", "READY"]
    fails_at = (order.index(step) * 2 + 1) * HALF  # the end of that step's in-progress span
    sb.advance(max(fails_at - HALF, 0))
    assert observe(d)[:2] == ("STARTING", (step, None))
    sb.advance(HALF)
    state = d.get_state()
    assert state.status == "FAILED"
    assert (state.condition.type, state.condition.status, state.condition.reason) == (step, False, reason)
    assert state.predictor.available == 1  # its pod is there: pending, crash-looping or unreachable
    # a failed deployment is stopped, then started; the failure was one-shot, so this start goes through
    d.stop(await_stopped=0)
    sb.advance(T.stop_s)
    d.start(await_running=0)
    sb.advance(T.start_s)
    assert observe(d)[0] == "RUNNING"


def test_failure_armed_past_its_step_hits_the_next_start(serving, sb):
    d = serving.get_deployment("churnmodel")
    d.start(await_running=0)
    sb.advance(HALF * 3)  # past SCHEDULED
    assert sb.fail("churnmodel", "SCHEDULED") == "armed_for_next_start"
    sb.advance(T.start_s)
    assert observe(d)[0] == "RUNNING"
    d.stop(await_stopped=0)
    sb.advance(T.stop_s)
    d.start(await_running=0)
    sb.advance(HALF)
    assert observe(d) == ("FAILED", ("SCHEDULED", False), 1)


def test_sticky_failure_like_big_llm(serving, sb):
    d = serving.get_deployment("bigllm")
    for _ in range(2):
        d.stop(await_stopped=0)
        sb.advance(T.stop_s)
        d.start(await_running=0)
        assert observe(d)[:2] == ("STARTING", ("SCHEDULED", None))
        sb.advance(HALF)
        state = d.get_state()
        assert state.status == "FAILED"
        assert state.condition.reason.startswith("Failed to be scheduled: insufficient GPUs")
    sb.heal("bigllm")
    d.stop(await_stopped=0)
    sb.advance(T.stop_s)
    d.start(await_running=0)
    sb.advance(T.start_s)
    assert observe(d)[0] == "RUNNING"


def test_fail_now_from_running(serving, sb):
    sb.fail("frauddetector", "READY", "Failed to setup connectivity: route lost", now=True)
    state = serving.get_deployment("frauddetector").get_state()
    assert (state.status, state.condition.type, state.condition.status) == ("FAILED", "READY", False)


def test_stop_from_failed(serving, sb):
    d = serving.get_deployment("bigllm")
    d.stop(await_stopped=0)
    assert observe(d)[0] == "STOPPING"
    sb.advance(T.stop_s)
    assert observe(d)[0] == "STOPPED"


def test_creating_then_created_and_start_refused_while_creating(serving, sb):
    sb.add_deployment("fresh", status="Creating")
    d = serving.get_deployment("fresh")
    state = d.get_state()
    assert (state.status, state.condition.type, state.condition.status) == ("CREATING", "STOPPED", None)
    from hops_widgets.errors import HopsError

    with pytest.raises(HopsError) as info:
        d.start(await_running=0)
    assert info.value.error_code == 240003
    sb.advance(T.creating_s)
    assert observe(d)[0] == "CREATED"


def test_start_of_a_started_and_stop_of_a_stopped_deployment_are_refused(serving, sb):
    from hops_widgets.errors import HopsError
    from hops_widgets.sandbox import LifecycleError

    d = serving.get_deployment("frauddetector")
    with pytest.raises(LifecycleError):
        sb.start_deployment("frauddetector")
    with pytest.raises(HopsError) as info:
        d.start(await_running=0)
    assert info.value.error_code == 240003
    assert observe(d)[0] == "RUNNING"
    with pytest.raises(LifecycleError):
        sb.stop_deployment("churnmodel")


def test_set_state_pins_until_next_action(serving, sb):
    sb.set_state("frauddetector", "Updating", available_instances=1)
    d = serving.get_deployment("frauddetector")
    state = d.get_state()
    assert (state.status, state.predictor.available, state.condition.type) == ("UPDATING", 1, "STARTED")
    sb.advance(1000)
    assert observe(d)[0] == "UPDATING"
    sb.set_state("frauddetector", "Running")
    d.stop(await_stopped=0)
    assert observe(d)[0] == "STOPPING"


def test_set_state_with_odd_values(serving, sb):
    sb.set_state("churnmodel", "Teleporting", condition=None, available_instances=-2)
    state = serving.get_deployment("churnmodel").get_state()
    assert state.status == "TELEPORTING" and not state.known
    assert state.condition is None
    assert state.predictor.available is None
    assert any("negative" in p for p in state.problems)


def test_speed_factor_scales_durations(serving, sb):
    sb.set_speed(10)
    d = serving.get_deployment("churnmodel")
    d.start(await_running=0)
    sb.advance(T.start_s / 10)
    assert observe(d)[0] == "RUNNING"


def test_timing_can_be_changed(serving, sb):
    sb.set_timing(retention_s=5)
    sb.advance(5)
    assert serving.get_deployment("recommender").get_state().status == "IDLE"


def test_add_and_delete_deployments(serving, sb):
    names = sb.add_deployments(3, prefix="extra", status="Stopped", requested_instances=2)
    assert names == ["extra001", "extra002", "extra003"]
    assert serving.get_deployment("extra002").get_state().status == "STOPPED"
    sb.delete_deployment("extra002")
    assert serving.get_deployment("extra002") is None
    with pytest.raises(ScenarioError):
        sb.add_deployment("extra001")
    with pytest.raises(ScenarioError):
        sb.add_deployment("bad", requested_instances=-1)
    with pytest.raises(ScenarioError):
        sb.start_deployment("nobody")


def test_scenario_argument_errors(sb):
    with pytest.raises(ScenarioError):
        sb.fail("churnmodel", "LUNCH")
    with pytest.raises(ScenarioError):
        sb.set_speed(0)
    with pytest.raises(ScenarioError):
        sb.advance(-1)
    with pytest.raises(ScenarioError):
        sb.update_deployment("churnmodel", colour="red")


def test_many_deployments_one_request_per_listing(serving, sb):
    sb.add_deployments(500, prefix="bulk", status="Running")
    sb.clear_log()
    states = serving.list_states()
    assert len(states) == 504
    assert all(s.status == "RUNNING" for s in states if s.name.startswith("bulk"))
    assert len(sb.requests()) == 1


def test_reset_restores_the_seed(serving, sb):
    sb.delete_deployment("frauddetector")
    sb.add_deployments(2)
    sb.http_error(500)
    sb.reset()
    assert [s.name for s in serving.list_states()] == ["frauddetector", "recommender", "bigllm", "churnmodel"]
    assert sb.faults() == []
    assert len(sb.requests()) == 1
