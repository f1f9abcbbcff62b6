"""Log lines without a server: the deduper, the line shape, the per-version paths of ``_sdk.logs``."""

from __future__ import annotations

import pytest

from hops_widgets import _sdk
from hops_widgets._logformat import LogDeduper, format_log_entries, log_lines
from hops_widgets.errors import InvalidResponse
from hops_widgets.sandbox.machine import Blueprint, ManualClock, World


def live(instance: str, *lines: str) -> list[dict]:
    return [{"instance": instance, "content": line, "timestamp": None, "id": None} for line in lines]


def doc(ident: str, text: str, stamp: str = "2025-01-01T00:00:00.000000Z") -> dict:
    return {"instance": "pod-a", "content": text, "timestamp": stamp, "id": ident}


# ------------------------------------------------------------- the deduper
def test_documents_are_new_once_by_id():
    dedupe = LogDeduper()
    assert [e["id"] for e in dedupe.new([doc("1", "a"), doc("2", "b")])] == ["1", "2"]
    assert [e["id"] for e in dedupe.new([doc("2", "b"), doc("3", "b")])] == ["3"]  # same text, new document
    assert dedupe.new([doc("1", "a"), doc("3", "b")]) == []


def test_the_id_memory_is_bounded_and_forgets_the_oldest():
    dedupe = LogDeduper(max_ids=3)
    dedupe.new([doc(str(i), "x") for i in range(5)])
    assert [e["id"] for e in dedupe.new([doc("0", "x"), doc("4", "x")])] == ["0"]


def test_a_sliding_live_window_yields_only_its_new_end():
    dedupe = LogDeduper()
    assert len(dedupe.new(live("p", "a", "b", "c"))) == 3
    assert [e["content"] for e in dedupe.new(live("p", "b", "c", "d", "e"))] == ["d", "e"]
    assert dedupe.new(live("p", "c", "d", "e")) == []  # nothing printed since


def test_repeated_lines_that_are_really_new_are_kept():
    dedupe = LogDeduper()
    dedupe.new(live("p", "start", "ping"))
    assert [e["content"] for e in dedupe.new(live("p", "start", "ping", "ping", "ping"))] == ["ping", "ping"]


def test_a_window_that_rotated_completely_is_all_new():
    dedupe = LogDeduper()
    dedupe.new(live("p", "a", "b"))
    assert [e["content"] for e in dedupe.new(live("p", "x", "y"))] == ["x", "y"]


def test_instances_are_deduped_separately():
    dedupe = LogDeduper()
    dedupe.new(live("p1", "same") + live("p2", "other"))
    fresh = dedupe.new(live("p1", "same", "next") + live("p2", "other") + live("p3", "same"))
    assert [(e["instance"], e["content"]) for e in fresh] == [("p1", "next"), ("p3", "same")]


def test_the_instance_memory_is_bounded():
    dedupe = LogDeduper(max_instances=2)
    for name in ("p1", "p2", "p3"):
        dedupe.new(live(name, "line"))
    assert [e["instance"] for e in dedupe.new(live("p1", "line") + live("p3", "line"))] == ["p1"]


# ------------------------------------------------------------ line shape
def test_live_blocks_become_lines_and_documents_stay_whole():
    wire = [
        {"instanceName": "p1", "content": "one\ntwo\n"},
        {"instanceName": "p2", "content": ""},
        {"instanceName": "p3", "content": "x\r y", "timestamp": "2025-01-01T00:00:00Z", "docId": "d1"},
    ]
    assert log_lines(wire) == [
        {"instance": "p1", "content": "one", "timestamp": None, "id": None},
        {"instance": "p1", "content": "two", "timestamp": None, "id": None},
        {"instance": "p3", "content": "x\r y", "timestamp": "2025-01-01T00:00:00Z", "id": "d1"},
    ]
    assert log_lines(None) == [] and log_lines([]) == []
    for bad in ({"content": "x"}, ["text"], [{"instanceName": 3, "content": "x"}], [{"content": {"a": 1}}]):
        with pytest.raises(InvalidResponse):
            log_lines(bad)


def test_text_has_headers_only_with_several_instances():
    assert format_log_entries(live("p", "a", "b")) == "a\nb\n"
    assert format_log_entries(live("p", "a") + live("q", "b") + live("p", "c")) == "==> p <==\na\nc\n==> q <==\nb\n"
    assert format_log_entries([]) == ""


def test_read_logs_text_parses_back_into_lines():
    text = "==> p <==\na\n\nc\n==> q <==\nb\n"
    assert _sdk._parse_text(text) == live("p", "a", "", "c") + live("q", "b")
    assert _sdk._parse_text("just\nlines\n") == live("", "just", "lines")
    assert _sdk._parse_text("") == [] and _sdk._parse_text(None) == []


# ------------------------------------------------------- per-version paths
class _Chunk:
    def __init__(self, name, content, timestamp=None, doc_id=None):
        self.instance_name, self.content, self.timestamp, self.doc_id = name, content, timestamp, doc_id


class _Api5:
    def __init__(self):
        self.calls = []

    def _get_logs(self, deployment, component, tail, source=None, since=None, until=None, pod=None):
        self.calls.append((component, tail, source, since))
        if source == "opensearch":
            return [_Chunk("p", "stored", "2025-01-01T00:00:00.000000Z", "d9")]
        return [_Chunk("p", "live one\nlive two\n")]


class _Api4:
    def __init__(self):
        self.calls = []

    def get_logs(self, deployment, component, tail):
        self.calls.append((component, tail))
        return [_Chunk("p", "old line")]


def _sdk_deployment(api):
    engine = type("ServingEngine", (), {})()
    engine._serving_api = api
    cls = type("Deployment", (), {"__module__": "hsml.deployment"})
    deployment = cls()
    deployment._serving_engine = engine
    return deployment


def test_sdk_5_reads_through_the_rest_call_and_asks_the_history_only_with_since():
    api = _Api5()
    deployment = _sdk_deployment(api)
    assert _sdk.logs_plan(deployment) == "rest5"
    assert [e["content"] for e in _sdk.logs(deployment, "predictor", 7)] == ["live one", "live two"]
    stored = _sdk.logs(deployment, "transformer", 3, since="2025-01-01T00:00:00Z")
    assert stored == [{"instance": "p", "content": "stored", "timestamp": "2025-01-01T00:00:00.000000Z", "id": "d9"}]
    assert api.calls == [("predictor", 7, None, None), ("transformer", 3, "opensearch", "2025-01-01T00:00:00Z")]


def test_sdk_4_uses_the_plain_rest_call():
    api = _Api4()
    deployment = _sdk_deployment(api)
    assert _sdk.logs_plan(deployment) == "rest4"
    assert _sdk.logs(deployment, "predictor", 4) == live("p", "old line")
    assert api.calls == [("predictor", 4)]


def test_other_objects_use_read_logs_and_bad_arguments_are_refused():
    class Double:
        def read_logs(self, component, tail):
            return f"==> a <==\n{component} {tail}\n"

    assert _sdk.logs_plan(Double()) == "read_logs"
    assert _sdk.logs(Double(), "predictor", 2) == live("a", "predictor 2")
    with pytest.raises(AttributeError):
        _sdk.logs(object(), "predictor", 2)
    with pytest.raises(ValueError):
        _sdk.logs(Double(), "explainer", 2)
    with pytest.raises(ValueError):
        _sdk.logs(Double(), "predictor", -1)


# ---------------------------------------------------------- the log book
def test_the_state_machine_writes_nothing_after_a_failure_it_cut_short():
    clock = ManualClock()
    world = World(clock=clock)
    world.add(Blueprint("m"))
    world.fail("m", "STARTED")
    world.start("m")
    clock.advance(3.1)  # inside INITIALIZED done: the boot has not begun
    assert not any("Loading predictor script" in line["text"] for line in world.log_lines("m"))
    clock.advance(20)
    texts = [line["text"] for line in world.log_lines("m")]
    assert texts[-1] == "ModuleNotFoundError: No module named 'xgboost'"
    assert not any("Uvicorn running" in text for text in texts)
    times = [line["at"] for line in world.log_lines("m")]
    assert times == sorted(times) and max(times) <= world.now()


def test_a_restart_makes_new_instances_and_ends_the_old_ones():
    clock = ManualClock()
    world = World(clock=clock)
    world.add(Blueprint("m", requested_instances=2), status="Running")
    first = world.instances("m")
    world.stop("m")
    clock.advance(5)
    assert world.instances("m") == []
    world.start("m")
    clock.advance(20)
    second = world.instances("m")
    assert len(second) == 2 and not set(first) & set(second)
    world.update("m", requested_instances=1)
    clock.advance(1.0)
    assert len(world.instances("m")) == 3  # the new revision comes up before the old goes
    clock.advance(5)
    (rolled,) = world.instances("m")
    assert rolled not in second and "-predictor-00003-deployment-" in rolled  # a start and an update later
