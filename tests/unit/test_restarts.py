"""The restart watch: restart counts per instance, 'keeps restarting' only on rises seen, few bounded reads."""

from __future__ import annotations

import pytest

from hops_widgets import _restarts
from hops_widgets._logformat import log_lines, log_pods
from hops_widgets._restarts import CHECKS_AFTER_S, RECENT_S, RECHECK_S, SLOW_CHECK_S, RestartWatch


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pods:
    """A fake log endpoint: instance -> restart count, read one component at a time."""

    def __init__(self, counts: dict[str, int | None]) -> None:
        self.counts = dict(counts)
        self.reads: list[str] = []

    def __call__(self, component: str):
        self.reads.append(component)
        return [{"instance": i, "restarts": n, "pod_uid": f"uid-{i}"} for i, n in self.counts.items()]


def make(counts, **kwargs):
    clock, pods, told = Clock(), Pods(counts), []
    watch = RestartWatch(pods, told.append, clock=clock, autostart=False, **kwargs)
    return watch, clock, pods, told


def run_schedule(watch: RestartWatch, clock: Clock, until_s: float, step_s: float = 1.0) -> None:
    """Drive the schedule by hand: each second, read if a read is due."""
    end = clock.now + until_s
    while clock.now < end:
        wait = watch.due_in()
        if wait is not None and wait <= 0:
            watch.check()
        clock.now += step_s


def test_a_steady_running_deployment_costs_four_reads_per_component_then_one_every_ten_minutes():
    watch, clock, pods, told = make({"p-0": 0, "p-1": 0})
    watch.set(status="RUNNING", visible=True, components=("predictor", "transformer"))
    run_schedule(watch, clock, 3600)
    assert len(CHECKS_AFTER_S) == 4 and CHECKS_AFTER_S[-1] == 300 and SLOW_CHECK_S == 600
    # 0, 30, 90, 300 s, then 900, 1500, 2100, 2700, 3300 s: nine checks of two components in the hour
    assert pods.reads == ["predictor", "transformer"] * 9
    assert 0 < watch.due_in() <= SLOW_CHECK_S
    counts = {r["instance"]: r["restarts"] for r in told[-1]["instances"]}
    assert counts == {"p-0": 0, "p-1": 0} and told[-1]["looping"] == []


def test_a_crash_loop_is_warned_after_two_rises_and_rechecked_every_minute():
    watch, clock, pods, told = make({"p-0": 0, "p-1": 0})
    watch.set(status="RUNNING", visible=True)
    watch.check()
    clock.now += 10
    pods.counts["p-0"] = 1
    run_schedule(watch, clock, 25)  # the 30 s check sees one restart: shown, not yet "keeps restarting"
    assert watch.summary()["looping"] == []
    pods.counts["p-0"] = 3
    run_schedule(watch, clock, 70)  # the 90 s check sees two more
    found = watch.summary()
    assert [r["instance"] for r in found["looping"]] == ["p-0"]
    assert found["looping"][0]["recent"] == 3 and found["looping"][0]["restarts"] == 3
    assert told[-1]["looping"], "the owner was told"
    # while it keeps restarting, one read a minute, no more
    before = len(pods.reads)
    for _ in range(10):
        pods.counts["p-0"] += 1
        run_schedule(watch, clock, RECHECK_S)
    assert 9 <= len(pods.reads) - before <= 11


def test_the_warning_clears_once_no_restart_was_seen_for_the_window():
    watch, clock, pods, _told = make({"p-0": 0})
    watch.set(status="RUNNING", visible=True)
    watch.check()
    clock.now += 30
    pods.counts["p-0"] = 4
    watch.check()
    assert watch.summary()["looping"]
    run_schedule(watch, clock, RECENT_S + 120, step_s=5)
    assert watch.summary()["looping"] == []
    assert watch.due_in() > RECHECK_S  # back to the slow check


def test_a_high_count_at_the_first_read_is_shown_but_is_no_warning():
    watch, _clock, _pods, _told = make({"p-0": 7})
    watch.set(status="RUNNING", visible=True)
    watch.check()
    (row,) = watch.summary()["instances"]
    assert row["restarts"] == 7 and row["recent"] == 0 and not row["looping"]


def test_a_new_pod_starts_its_count_afresh():
    watch, clock, pods, _told = make({"p-0": 5})
    watch.set(status="RUNNING", visible=True)
    watch.check()
    pods.counts["p-0"] = 0
    clock.now += 30

    def replaced(component):
        return [{"instance": "p-0", "restarts": 0, "pod_uid": "another"}]

    watch._read = replaced
    watch.check()
    assert watch.summary()["instances"][0]["recent"] == 0


def test_no_reads_while_hidden_or_not_running_and_a_missed_check_is_made_on_return():
    watch, clock, pods, _told = make({"p-0": 0})
    watch.set(status="RUNNING", visible=False)
    run_schedule(watch, clock, 400)
    assert pods.reads == []
    watch.set(visible=True)
    assert watch.due_in() == 0
    run_schedule(watch, clock, 5)
    assert len(pods.reads) == 1  # the overdue checks are made once, not one each
    watch.set(status="STOPPED")
    assert watch.due_in() is None and watch.summary() == {}


def test_a_loop_that_begins_long_after_the_start_is_named_by_the_slow_checks():
    watch, clock, pods, _told = make({"p-0": 0})
    watch.set(status="RUNNING", visible=True)
    run_schedule(watch, clock, 1200)
    start, reads = clock.now, len(pods.reads)
    while not watch.summary()["looping"]:
        pods.counts["p-0"] += 1 if int(clock.now) % 10 == 0 else 0  # a restart every 10 s from minute 20
        run_schedule(watch, clock, 1)
        assert clock.now - start <= 2 * SLOW_CHECK_S, "never named"
    assert len(pods.reads) - reads <= 2


def test_versions_without_counts_stop_after_one_read():
    watch, clock, pods, _told = make({"p-0": None})
    watch.set(status="RUNNING", visible=True)
    run_schedule(watch, clock, 600)
    assert pods.reads == ["predictor"] and watch.supported is False
    assert watch.summary() == {}


def test_no_reader_means_no_reads_at_all():
    told = []
    watch = RestartWatch(None, told.append, autostart=False)
    watch.set(status="RUNNING", visible=True)
    assert watch.due_in() is None and watch.supported is False


def test_the_logs_sections_reads_stand_in_for_a_check():
    watch, clock, pods, _told = make({"p-0": 0})
    watch.set(status="RUNNING", visible=True)
    watch.observe_lines("predictor", [{"instance": "p-0", "content": "x", "restarts": 2}])
    assert pods.reads == [] and watch.due_in() > 0
    clock.now += 5
    watch.observe_lines("predictor", [{"instance": "p-0", "content": "y", "restarts": 4}])
    assert watch.summary()["looping"][0]["recent"] == 2


def test_a_failing_read_is_a_check_made_and_raises_nothing():
    clock, told = Clock(), []

    def broken(component):
        raise ConnectionError("down")

    watch = RestartWatch(broken, told.append, clock=clock, autostart=False)
    watch.set(status="RUNNING", visible=True)
    watch.check()
    assert watch.due_in() == pytest.approx(CHECKS_AFTER_S[1])
    assert watch.requests == 1


def test_the_wire_format_carries_counts_where_the_backend_sends_them():
    entries = [
        {"instanceName": "p-0", "content": "a\nb\n", "restartCount": 3, "podUid": "u", "truncated": False},
        {"instanceName": "p-1", "content": "", "restartCount": 0, "readFailed": True},
        {"instanceName": "p-2", "content": "c"},
    ]
    lines = log_lines(entries)
    assert [line.get("restarts") for line in lines] == [3, 3, None]
    pods = log_pods(entries)
    assert [(p["instance"], p["restarts"], p["read_failed"]) for p in pods] == [
        ("p-0", 3, False),
        ("p-1", 0, True),  # printed nothing, still counted
        ("p-2", None, False),
    ]
    assert log_pods([{"instanceName": "p", "restartCount": True}])[0]["restarts"] is None
    assert log_pods("nope") == [] and log_pods([1, {"content": "x"}]) == []


def test_pods_reader_reads_nothing_for_objects_without_a_way():
    class Plain:
        deployment = object()

    assert _restarts.pods_reader(Plain()) is None


def test_instance_names_are_shown_as_the_logs_section_names_them():
    from hops_widgets.logs import LogBook

    hostile = "p-0\u202eevil"
    watch, _clock, _pods, _told = make({hostile: 0})
    watch.set(status="RUNNING", visible=True)
    watch.check()
    (row,) = watch.summary()["instances"]
    book = LogBook(lambda c, t: [{"instance": hostile, "content": "x"}], lambda d: None)
    book.fetch_once()
    assert row["instance"] == book.buffer()["instances"][0] and "\u202e" not in row["instance"]
