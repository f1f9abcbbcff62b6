"""Server text the kernel cannot send or a person could misread, and numbers that are not (issue 23).

The property test pushes arbitrary JSON-decodable text (lone surrogates, C0/C1 controls, bidi
overrides and isolates, NUL, ANSI CSI and OSC) and arbitrary numbers (NaN, ±Infinity, huge,
negative) through every parser (the REST JSON and SDK state parsers, the log wire format, the
LogBook, the Try it answer, ``errors.explain``) into the widget's traits, its snapshot and its
repr, and packs every comm message with jupyter_client's own ``json_packer``: never an
exception, never a packer warning, never a raw override or surrogate where a person reads.
"""

from __future__ import annotations

import json
import re
import warnings

import comm
import pytest
from comm import DummyComm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jupyter_client.session import json_packer

from hops_widgets import diagrams
from hops_widgets._logformat import log_lines
from hops_widgets._text import clean_log_text, plain_log_text, sendable, sendable_value
from hops_widgets.errors import explain
from hops_widgets.logs import clean_line
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.state import DeploymentState
from hops_widgets.widget import DeploymentWidget, _body_problem, _response_text, snapshot_html

from .fakes import FakeDeployment

RAW = re.compile("[\ud800-\udfff\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]")
SPECIAL = [
    "\ud800",
    "\udfff",
    "\udc80",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\x1b[38;5;34m",
    "\x1b[48;2;1;2;3m",
    "\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b]8;;https://example.org\x1b\\",
    "\x1b]8;;javascript:alert(1)\x07",
    "\x1bP1$r\x1b\\",
    "\x1b(B",
    "\r",
    "<b>",
]
TEXT = st.lists(st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=12).map("".join)
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**53, 2**53 - 1, 0, -1]),
)
VALUE = st.one_of(TEXT, NUMBER, st.none(), st.booleans())


class PackingComm(DummyComm):
    """Packs every message as the kernel does (``json_packer``), failing where the kernel would."""

    def __init__(self, *args, **kwargs):
        self.messages = []
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # jupyter_client's "Out of range float values" fallback
            json_packer(data)
            json_packer(metadata or {})
        self.messages.append((msg_type, data))


@pytest.fixture(autouse=True)
def packing_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", PackingComm)


def pack(value) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        json_packer(value)


def serving_json(text, number) -> str:
    """A serving's REST JSON with ``text`` and ``number`` in every field that carries one, as JSON text."""
    data = {
        "id": 1,
        "name": text,
        "status": text or "Running",
        "modelName": text,
        "modelVersion": number,
        "condition": {"type": text or "READY", "status": True, "reason": text},
        "availableInstances": number,
        "requestedInstances": number,
        "transformer": "t.py",
        "availableTransformerInstances": number,
        "requestedTransformerInstances": number,
        "predictorScalingConfig": {"minInstances": number, "maxInstances": number, "scaleMetric": text},
        "predictorResources": {"requests": {"cores": number, "memory": number, "gpus": number}},
        "modelServer": text,
        "hopsworksInferencePath": text,
        "predictorEnvironment": {"name": text},
    }
    return json.dumps(data)  # a lone surrogate travels as its \\uXXXX escape, NaN as NaN: both decode


def widget_on(state: DeploymentState) -> tuple[DeploymentWidget, Poller]:
    d = FakeDeployment()
    d.next = state
    p = Poller(DeploymentSource(d), policy=Policy(), wall=lambda: 1_700_000_000.0, autostart=False)
    return DeploymentWidget(d, poller=p), p


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, number=NUMBER, line=TEXT, answer=VALUE)
def test_hostile_text_and_numbers_reach_traits_snapshot_and_repr_and_always_pack(text, number, line, answer):
    raw = serving_json(text, number)
    state = DeploymentState.from_json(raw)
    for n in (state.predictor.available, state.predictor.requested, state.model_version):
        assert n is None or ((isinstance(n, int) and 0 <= n < 2**53) or n == state.model_version)
    assert "inf" not in json.dumps(state.resources).lower() and "nan" not in json.dumps(state.resources).lower()
    pack(state.to_dict())
    w, p = widget_on(state)
    try:
        p.poll()
        # a log line through the wire format, the LogBook and the trait
        entries = log_lines(json.loads(json.dumps([{"instanceName": text, "content": line}])))
        w._logs._fetch = lambda component, tail: entries
        w._logs.set(open=True)
        w._logs.fetch_once()
        for shown in w.logs_delta.get("lines", []):
            assert not RAW.search(plain_log_text(shown["text"]))
            assert not re.search("[\ud800-\udfff]", shown["text"])
        # a Try it answer and an error from the server
        tried = _response_text(json.loads(json.dumps(answer)), ())
        assert not RAW.search(tried.replace("\n", ""))
        said = explain(ValueError(text))
        assert not RAW.search(said)
        # every synced trait, the diagram marks, the snapshot and the repr
        state_now = w.get_state()
        pack(state_now)
        pack(diagrams.marks([state.status], state))
        html = snapshot_html(w)
        text_repr = repr(w)
        assert not RAW.search(html) and not RAW.search(text_repr), (html, text_repr)
        pack({"text/html": html, "text/plain": text_repr, "report": state.report()})
        assert not RAW.search(state.report().replace("\n", ""))
        for _kind, data in w.comm.messages:  # what PackingComm already packed: once more, by hand
            pack(data)
    finally:
        w.close()


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_log_text_is_sendable_and_reads_as_written(text):
    cleaned = clean_line(text)
    pack({"text": cleaned})
    plain = plain_log_text(cleaned)
    assert not RAW.search(plain)
    assert plain_log_text(text) == plain_log_text(clean_log_text(text))


@given(NUMBER)
def test_non_finite_and_huge_counts_are_unknown_never_an_error(number):
    state = DeploymentState.from_json({"name": "a", "status": "Running", "availableInstances": number})
    assert state.predictor.available is None or 0 <= state.predictor.available <= 2**53
    assert "inf" not in state.summary().lower()


def test_infinity_in_a_count_is_a_problem_not_an_overflow():
    state = DeploymentState.from_json('{"name": "a", "status": "Running", "availableInstances": Infinity}')
    assert state.predictor.available is None
    assert any("out of range" in p for p in state.problems)
    state = DeploymentState.from_json(
        '{"name": "a", "status": "Running", "predictorResources": {"requests": {"cores": Infinity, "memory": NaN}}}'
    )
    assert state.resources == {}


def test_a_lone_surrogate_in_a_reason_and_a_name_is_replaced_and_the_widget_sends():
    state = DeploymentState.from_json(
        '{"name": "n\\ud800", "status": "Running", "condition": '
        '{"type": "READY", "status": true, "reason": "r\\udc80"}}'
    )
    assert state.name == "n\ufffd" and state.condition.reason == "r\ufffd"
    w, p = widget_on(state)
    try:
        p.poll()
        assert w.condition_reason == "r\ufffd" and w.send_failures == 0
    finally:
        w.close()


def test_a_message_that_fails_to_send_never_wedges_the_next_and_a_pull_gets_everything(monkeypatch):
    w, p = widget_on(DeploymentState.from_json({"name": "a", "status": "Running"}))
    try:
        p.poll()
        failing = {"on": True}
        real = PackingComm.publish_msg

        def flaky(self, msg_type, data=None, *args, **kwargs):
            if failing["on"] and msg_type == "comm_msg":
                raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
            return real(self, msg_type, data, *args, **kwargs)

        monkeypatch.setattr(PackingComm, "publish_msg", flaky)
        w.comm.messages.clear()
        with w.hold_sync():
            w.error = "lost"  # this message fails to pack
        assert w.send_failures == 1
        failing["on"] = False
        with w.hold_sync():
            w.polling = "fast"  # the next one goes, alone: the failed one is not queued with it
        updates = [d["state"] for t, d in w.comm.messages if d.get("method") == "update"]
        assert updates and "polling" in updates[-1] and "error" not in updates[-1]
        # the view's pull (at the revision it holds) is answered with the whole state, newer than any
        held = w._rev
        w.pull({"rev": held})
        answer = [d["content"] for t, d in w.comm.messages if d.get("method") == "custom"][-1]
        assert answer["type"] == "state" and answer["rev"] > held and answer["changes"]["error"] == "lost"
        assert w._rev == answer["rev"]
        w.pull({"rev": w._rev})  # once: then pulls are answered as before
        assert [d["content"] for t, d in w.comm.messages if d.get("method") == "custom"][-1] is answer
    finally:
        w.close()


def test_try_it_says_what_json_cannot_carry_before_sending():
    assert "too large for JSON" in _body_problem(json.loads('{"x": 1e999}'))
    assert "surrogate" in _body_problem(json.loads('["\\ud800"]'))
    assert _body_problem({"instances": [[1.0, 2.0]]}) == ""
    w, _p = widget_on(DeploymentState.from_json({"name": "a", "status": "Running"}))
    try:
        for body in ('{"instances": [[1e999]]}', "[NaN]", '["\\udfff"]'):
            with pytest.raises(RuntimeError, match=r"(N|n)othing was sent"):
                w.predict(body)
        assert not w.tryit_pending and not w.tryit_result
        # as the view asks: the answer is the sentence itself, marked as a refusal
        w._handle_msg(
            {
                "content": {
                    "data": {"method": "custom", "content": {"type": "predict", "id": "t1", "body": "[1e999]"}}
                },
                "buffers": [],
            }
        )
        reply = [d["content"] for t, d in w.comm.messages if d.get("method") == "custom"][-1]
        assert reply["ok"] is False and reply["refused"] is True
        assert reply["error"].startswith("The request body has a number too large for JSON"), reply
    finally:
        w.close()


def test_an_exception_with_no_message_gets_a_sentence():
    assert explain(MemoryError()).endswith("MemoryError, with no message (the kernel ran out of memory)")
    assert not explain(MemoryError()).rstrip().endswith(":")
    assert "KeyError, with no message" in explain(KeyError())


def test_the_diagram_caption_names_an_unknown_status():
    state = DeploymentState.from_json({"name": "a", "status": "Hibernating"})
    assert diagrams.marks([], state)["text"].startswith("Now HIBERNATING, a status the diagram does not show")


def test_sendable_value_copies_only_what_changes():
    value = {"a": ["x", 1.0], "b": {"c": "y"}}
    assert sendable_value(value) is value
    assert sendable_value({"a": float("nan"), "\ud800": ["\udfff"]}) == {"a": None, "\ufffd": ["\ufffd"]}
    assert sendable("ok") == "ok"
