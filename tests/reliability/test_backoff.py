"""The real default figures of the error schedule, checked without sleeping.

The behaviour tests use intervals of a fraction of a second; these check the defaults a user
gets (backoff from 2 s doubling to a 60 s cap, with jitter, Retry-After honoured but capped)
on the poller's own loop, driven by an injected clock, wake event and random source.
"""

from __future__ import annotations

import itertools

import pytest

import hops_widgets
from hops_widgets.errors import AuthenticationError, ConnectionFailed, DeploymentNotFound, ServerError
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.state import DeploymentState

from .conftest import NAME


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class AdvancingWake:
    """The poller's wake event: ``wait(t)`` moves the clock on by ``t`` and returns at once.

    After ``limit`` waits it stops the poller, so ``Poller._run`` can run on the test's thread.
    """

    def __init__(self, clock: Clock, limit: int) -> None:
        self.clock = clock
        self.limit = limit
        self.waits: list[float | None] = []
        self.poller: Poller | None = None
        self._set = False

    def set(self) -> None:
        self._set = True

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        assert timeout is not None, "the poller waits forever while polling should go on"
        self.clock.now += timeout
        if len(self.waits) >= self.limit:
            self.poller.stop()
        return False


class Script(DeploymentSource):
    """A source that raises or returns what ``outcomes`` says, poll by poll."""

    def __init__(self, outcomes) -> None:
        super().__init__(object())
        self.outcomes = iter(outcomes)
        self.calls = 0

    @property
    def label(self) -> str:
        return "scripted"

    def fetch(self) -> DeploymentState:
        self.calls += 1
        outcome = next(self.outcomes)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


RUNNING = DeploymentState(name=NAME, status="RUNNING")


def drive(outcomes, *, limit: int, rand: float, policy: Policy | None = None) -> tuple[Poller, AdvancingWake]:
    clock = Clock()
    wake = AdvancingWake(clock, limit)
    p = Poller(Script(outcomes), policy=policy, clock=clock, wall=clock, wake=wake, rand=lambda: rand, autostart=False)
    wake.poller = p
    p._run()  # the real loop, on this thread
    return p, wake


def test_default_policy_figures():
    p = Policy()
    assert (p.backoff_min_s, p.backoff_max_s, p.fast_s, p.stable_s, p.hidden_s) == (2.0, 60.0, 1.0, 5.0, 30.0)


@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_backoff_is_pure_doubling_and_capped(rand):
    p = Policy()
    delays = [p.backoff(n, rand) for n in range(1, 200)]
    assert all(2.0 <= d <= 60.0 for d in delays)
    assert delays == sorted(delays), "backoff never shrinks while errors go on"
    assert delays[-1] >= 45.0  # the cap minus its jitter
    assert [p.backoff(n, rand) for n in range(1, 200)] == delays  # pure: same input, same delay


def test_jitter_spreads_the_retries_of_many_widgets():
    p = Policy()
    spread = {round(p.backoff(4, r / 10), 3) for r in range(11)}
    assert len(spread) > 5 and min(spread) >= 2.0 and max(spread) <= 60.0


@pytest.mark.parametrize("rand", [0.0, 0.999])
def test_the_loop_backs_off_to_60_s_and_keeps_polling(rand):
    errors = [ConnectionFailed("down")] * 40
    p, wake = drive(errors, limit=40, rand=rand)
    assert p.source.calls == 40, "the loop stopped polling"
    assert all(2.0 <= w <= 60.0 for w in wake.waits), wake.waits
    assert wake.waits == sorted(wake.waits)
    assert wake.waits[-1] == pytest.approx(60.0 if rand > 0.5 else 45.0, abs=0.06)
    assert p.snapshot.failures == 40 and p.snapshot.mode == "stopped"
    assert p.snapshot.error_kind == "connection"


def test_recovery_is_at_the_next_poll_and_resets_the_schedule():
    outcomes = [ConnectionFailed("down")] * 8 + [RUNNING] * 3
    p, wake = drive(outcomes, limit=11, rand=0.5)
    assert p.source.calls == 11
    # eight failures, then the first good poll: error gone, failures reset, normal interval again
    assert wake.waits[7] == pytest.approx(60.0, abs=0.06)
    assert wake.waits[8:] == [30.0, 30.0, 30.0]  # no view on screen: the hidden interval
    assert p.snapshot.error == "" and p.snapshot.failures == 0 and p.snapshot.state == RUNNING


@pytest.mark.parametrize(("asked", "expected"), [(7, 7.0), (45, 45.0), (120, 60.0), (10_000, 60.0)])
def test_retry_after_is_honoured_but_capped_at_60_s(asked, expected):
    error = ServerError("busy", status_code=503, retry_after_s=asked)
    _, wake = drive([error] * 3, limit=3, rand=0.0)
    # the first retries wait for what the server asked (more than the 2-4 s backoff), never above the cap
    assert wake.waits[0] == pytest.approx(expected, abs=0.06)
    assert all(w <= 60.0 for w in wake.waits)


def test_not_found_waits_the_longest_at_once():
    """A deleted deployment will not come back in 2 s: no climb through the short delays."""
    p, wake = drive([DeploymentNotFound("gone", status_code=404)] * 3, limit=3, rand=0.5)
    assert p.snapshot.error_kind == "not_found"
    assert all(w == pytest.approx(60.0, abs=0.06) for w in wake.waits[:3]), wake.waits


def test_a_rejected_key_waits_the_longest_at_once():
    p, wake = drive([AuthenticationError("bad key", status_code=401)] * 3, limit=3, rand=0.5)
    assert p.snapshot.error_kind == "auth"
    assert all(w == pytest.approx(60.0, abs=0.06) for w in wake.waits[:3]), wake.waits


def test_a_default_widget_gets_the_default_caps(fraud):
    w = hops_widgets.show(fraud, display=False)
    try:
        assert w.poller.policy == Policy()
    finally:
        w.close()


def test_a_thousand_failures_in_a_row_stay_at_the_cap():
    """Sixteen hours of errors at the cap: the delay stays between the bounds."""
    p = Policy()
    for n in itertools.chain(range(1, 100), range(100, 1001, 50)):
        assert 2.0 <= p.backoff(n, 0.5) <= 60.0
