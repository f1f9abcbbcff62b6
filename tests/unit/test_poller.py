from __future__ import annotations

import threading
import time

import pytest

from hops_widgets import poller as poller_mod
from hops_widgets.errors import ServerError
from hops_widgets.poller import DeploymentSource, Policy, Poller

from .fakes import FakeClock, FakeDeployment, ManualEvent, sdk_state


def make(deployment=None, **policy):
    clock = FakeClock()
    event = ManualEvent()
    p = Poller(
        DeploymentSource(deployment or FakeDeployment()),
        policy=Policy.from_options(**policy),
        clock=clock,
        wall=lambda: clock.now + 1.7e9,
        wake=event,
        rand=lambda: 0.5,
        autostart=False,
    )
    return p, clock, event


def test_stable_visible_hidden_and_paused_intervals():
    p, _, _ = make()
    token = p.subscribe(lambda s: None)
    assert p.poll() == 30.0 and p.snapshot.mode == "hidden"
    p.set_visible(token, True)
    assert p.poll() == 5.0 and p.snapshot.mode == "stable"
    p.set_visible(token, False)
    p.policy = Policy(hidden_s=None)
    assert p.poll() is None and p.snapshot.mode == "paused"


@pytest.mark.parametrize("status", ["Creating", "Starting", "Updating", "Stopping"])
def test_fast_while_transitional(status):
    d = FakeDeployment()
    d.next = sdk_state(status, "SCHEDULED", True)
    p, _, _ = make(d)
    assert p.poll() == 1.0 and p.snapshot.mode == "fast"


def test_fast_while_condition_unknown():
    d = FakeDeployment()
    d.next = sdk_state("Running", "READY", None)
    p, _, _ = make(d)
    assert p.poll() == 1.0


def test_fast_for_30s_after_an_action_then_stable():
    d = FakeDeployment()
    p, clock, _ = make(d)
    token = p.subscribe(lambda s: None, visible=True)
    future = p.run_action("stop")
    p._run_actions()
    assert future.result(0) == "stop" and d.actions == ["stop:0"]
    d.next = sdk_state()  # already stable again
    assert p.poll() == 1.0
    clock.advance(29)
    assert p.poll() == 1.0
    clock.advance(2)
    assert p.poll() == 5.0
    p.unsubscribe(token)


def test_backoff_doubles_with_jitter_and_caps_at_60():
    d = FakeDeployment()
    d.next = ConnectionError("refused")
    p, _, _ = make(d)
    intervals = [p.poll() for _ in range(8)]
    assert intervals[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]  # rand=0.5: no jitter offset
    assert intervals[-1] == 60.0
    assert p.snapshot.mode == "backoff" and p.snapshot.failures == 8
    low = Policy().backoff(3, 0.0)
    high = Policy().backoff(3, 1.0)
    assert low < 8.0 < high and low >= 2.0


def test_retry_after_is_honoured_but_capped():
    d = FakeDeployment()
    d.next = ServerError("busy", status_code=503, retry_after_s=17)
    p, _, _ = make(d)
    assert p.poll() == 17.0
    d.next = ServerError("busy", status_code=503, retry_after_s=3600)
    assert p.poll() == 60.0


def test_error_keeps_last_good_state_and_recovers():
    d = FakeDeployment()
    p, _, _ = make(d)
    p.poll()
    good = p.snapshot
    d.next = TimeoutError("read timed out")
    p.poll()
    assert p.snapshot.state == good.state
    assert p.snapshot.last_ok_at == good.last_ok_at
    assert "did not answer" in p.snapshot.error
    d.next = sdk_state()
    p.poll()
    assert p.snapshot.error == "" and p.snapshot.failures == 0


@pytest.mark.parametrize(
    "exc",
    [ValueError("Expecting value: line 1"), AttributeError("'Response' object has no attribute 'error_code'"),
     KeyError("status"), RuntimeError("ModelServingException: Deployment not found")],
)  # fmt: skip
def test_any_source_exception_becomes_state(exc):
    d = FakeDeployment()
    d.next = exc
    p, _, _ = make(d)
    p.poll()
    assert p.snapshot.error
    assert p.snapshot.mode == "backoff"


def test_secret_never_in_error():
    d = FakeDeployment()
    d._hops_widgets_secrets = ("sekrit-KEY-123",)
    d.next = RuntimeError("failed with header Authorization: ApiKey sekrit-KEY-123 at url")
    p, _, _ = make(d)
    p.poll()
    assert "sekrit-KEY-123" not in p.snapshot.error


def test_changed_at_moves_only_on_change():
    d = FakeDeployment()
    p, clock, _ = make(d)
    p.poll()
    first = p.snapshot.changed_at
    clock.advance(5)
    p.poll()
    assert p.snapshot.changed_at == first
    assert p.snapshot.last_ok_at == first + 5
    d.next = sdk_state("Stopping", "SCHEDULED", None)
    clock.advance(5)
    p.poll()
    assert p.snapshot.changed_at == first + 10


def test_subscriber_exception_does_not_stop_others():
    p, _, _ = make()
    seen = []
    p.subscribe(lambda s: 1 / 0)
    p.subscribe(seen.append)
    p.poll()
    assert len(seen) == 1


def test_a_round_is_counted_only_once_every_subscriber_has_its_result():
    # CI once saw `polls` reach 2 while the overview still listed a deleted deployment
    p, _, _ = make()
    inside, release = threading.Event(), threading.Event()
    counted_inside = []

    def slow(snap):
        counted_inside.append((p.polls, snap.poll))
        inside.set()
        release.wait(5)

    p.subscribe(slow)
    worker = threading.Thread(target=p.poll)
    worker.start()
    assert inside.wait(5)
    assert p.polls == 0  # a waiter on `polls` cannot yet read a stale subscriber
    release.set()
    worker.join(5)
    assert p.polls == 1 and counted_inside == [(0, 1)]
    p.poll()
    assert p.snapshot.poll == 2


def test_unknown_action_and_options_rejected():
    p, _, _ = make()
    with pytest.raises(ValueError):
        p.run_action("delete").result(0)
    with pytest.raises(TypeError, match="unknown polling option"):
        Policy.from_options(fast=1)
    with pytest.raises(ValueError):
        Policy.from_options(fast_s=0)


def test_thread_polls_refreshes_and_stops():
    d = FakeDeployment()
    p = Poller(DeploymentSource(d), policy=Policy(hidden_s=3600))
    deadline = time.monotonic() + 5
    while d.calls < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert d.calls == 1
    p.refresh()
    while d.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert d.calls == 2
    assert p.alive
    p.stop()
    assert not p.alive
    assert p.snapshot.mode == "stopped"


def test_thread_survives_errors_and_base_exceptions_in_sources():
    d = FakeDeployment()
    d.next = OSError("boom")
    p = Poller(DeploymentSource(d), policy=Policy(backoff_min_s=0.01, backoff_max_s=0.02))
    deadline = time.monotonic() + 5
    while d.calls < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert p.alive and d.calls >= 5
    p.stop()


def test_registry_shares_one_poller_and_stops_after_last_release():
    d1, d2 = FakeDeployment("same", ident=9), FakeDeployment("same", ident=9)
    a = poller_mod.acquire(DeploymentSource(d1), lambda: Poller(DeploymentSource(d1), policy=Policy(hidden_s=3600)))
    b = poller_mod.acquire(DeploymentSource(d2))
    assert a is b
    ta, tb = a.subscribe(lambda s: None), b.subscribe(lambda s: None)
    before = {t.name for t in threading.enumerate()}
    assert "hops-widgets-poller[same]" in before
    poller_mod.release(a, ta)
    assert a.alive
    poller_mod.release(b, tb)
    assert not a.alive
    assert a not in poller_mod.active_pollers()
    assert "hops-widgets-poller[same]" not in {t.name for t in threading.enumerate()}


def test_visibility_change_replans_without_extra_poll():
    d = FakeDeployment()
    p = Poller(DeploymentSource(d), policy=Policy(stable_s=0.05, hidden_s=3600))
    token = p.subscribe(lambda s: None)
    deadline = time.monotonic() + 5
    while d.calls < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    p.set_visible(token, True)  # 3600 s -> 0.05 s: polls start flowing
    while d.calls < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert d.calls >= 4
    p.set_visible(token, False)
    time.sleep(0.1)
    calls = d.calls
    time.sleep(0.3)
    assert d.calls == calls, "hidden: no polls for an hour"
    p.stop()


def test_backoff_never_overflows_and_stays_capped():
    assert Policy().backoff(10_000, 0.5) == 60.0
    assert Policy().backoff(10_000, 1.0) == 60.0


@pytest.mark.parametrize(
    "options",
    [{"backoff_min_s": 0}, {"stable_s": 0}, {"backoff_min_s": 5, "backoff_max_s": 1}, {"hidden_s": -1}],
)
def test_options_that_would_spin_are_rejected(options):
    with pytest.raises(ValueError):
        Policy.from_options(**options)


def test_the_slept_interval_is_exact_not_rounded():
    d = FakeDeployment()
    d.next = OSError("down")
    p, _, _ = make(d, backoff_min_s=0.04, backoff_max_s=0.2)
    assert p.poll() == pytest.approx(0.04)


def test_a_hanging_poll_is_reported_then_replaced_by_its_answer():
    release = threading.Event()

    class Hanging(FakeDeployment):
        def get_state(self):
            release.wait(10)
            return super().get_state()

    clock = FakeClock()
    p = Poller(DeploymentSource(Hanging()), policy=Policy(stall_s=20), clock=clock, autostart=False)
    seen = []
    p.subscribe(seen.append)
    worker = threading.Thread(target=p.poll)
    worker.start()
    deadline = time.monotonic() + 5
    while p._in_flight_since is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert not p.check_stall(), "not yet: 0 s of 20"
    clock.advance(25)
    assert p.check_stall()
    assert "not answered for 25 s" in p.snapshot.error and p.snapshot.mode == "waiting"
    assert not p.check_stall(), "reported once"
    release.set()
    worker.join(5)
    assert p.snapshot.error == "" and p.snapshot.state.status == "RUNNING"
    assert [s.mode for s in seen] == ["waiting", "hidden"]


def test_a_watched_call_polls_fast_while_it_runs_and_settles_its_future():
    p, clock, _ = make()
    token = p.subscribe(lambda s: None, visible=True)
    p.poll()
    seen = []

    def restart():
        seen.append(p.interval_for(p.snapshot.state))  # while it runs: fast
        return "ignored"

    assert p.run_watched(restart, "restart-t").result(timeout=5) is None
    assert seen == [(1.0, "fast")]
    assert p.interval_for(p.snapshot.state) == (1.0, "fast")  # a success: fast for a while after
    clock.advance(31)
    assert p.interval_for(p.snapshot.state) == (5.0, "stable")
    p.unsubscribe(token)


def test_a_watched_call_that_fails_settles_with_a_safe_error_and_no_fast_polling():
    from hops_widgets._polling import SafeError

    p, _, _ = make()
    p.subscribe(lambda s: None, visible=True)
    p.poll()

    def refused():
        raise ServerError("Internal error key=sekrit")

    error = p.run_watched(refused, "restart-t").exception(timeout=5)
    assert isinstance(error, SafeError) and p.interval_for(p.snapshot.state) == (5.0, "stable")
    own = SafeError("Rollback is not available here.", refusal="absent")

    def absent():
        raise own

    assert p.run_watched(absent, "rollback-t").exception(timeout=5) is own  # kept as it is
