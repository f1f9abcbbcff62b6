"""Property-based tests of the two parsers a poll goes through.

* The client's response handling, fed by the sandbox over a real socket: arbitrary values in
  the serving JSON (through ``mutate``), and arbitrary status, content type, ``Retry-After`` and
  bytes for the whole answer. Outcome: a :class:`DeploymentState` or a ``HopsError``, never
  anything else; and a poll of the same answer always publishes a snapshot.
* :func:`hops_widgets.errors.explain` (and ``error_kind``, ``retry_after``) on arbitrary
  exceptions, including ones whose attributes or ``__str__`` raise: a short line, never a crash.

The sandbox is module-scoped and the example counts small: each example is an HTTP round trip.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Response

from hops_widgets import errors, sandbox
from hops_widgets.errors import HopsError, error_kind, explain, retry_after
from hops_widgets.poller import DeploymentSource, Policy, Poller
from hops_widgets.state import DeploymentState

from .conftest import NAME, SECRET_KEY

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
SERVING_FIELDS = [
    "id", "name", "status", "condition", "condition.type", "condition.status", "condition.reason",
    "availableInstances", "requestedInstances", "predictorScalingConfig", "predictorScalingConfig.minInstances",
    "transformer", "availableTransformerInstances", "requestedTransformerInstances", "transformerScalingConfig",
    "modelName", "modelVersion", "scriptFile",
]  # fmt: skip
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


class RawAnswers:
    """Lets a test replace the sandbox's next answers with arbitrary bytes (test-only hook)."""

    def __init__(self, app) -> None:
        self.answer: tuple[int, dict[str, str], bytes] | None = None
        original = app._injected

        def injected(plan, environ):
            if plan.respond is not None and plan.respond.kind == "empty_body" and self.answer is not None:
                status, headers, body = self.answer
                return Response(body, status=status, headers=headers)
            return original(plan, environ)

        app._injected = injected


@pytest.fixture(scope="module")
def fuzz_sb():
    with sandbox.start(api_key=SECRET_KEY) as handle:
        handle.raw = RawAnswers(handle.app)
        yield handle


@pytest.fixture(scope="module")
def fuzz_deployment(fuzz_sb):
    with fuzz_sb.login(timeout=5, retries=0) as project:
        yield project.get_model_serving().get_deployment(NAME)


def poll_once(deployment):
    """One poll on a thread-less poller: it must publish a state or an error, and return."""
    p = Poller(DeploymentSource(deployment), policy=Policy(), autostart=False)
    interval = p.poll()
    snap = p.snapshot
    assert (snap.state is None) == bool(snap.error), snap
    assert interval is not None and 0 < interval <= 60
    if snap.error:
        assert SECRET_KEY not in snap.error and "\n" not in snap.error and len(snap.error) <= 500
        assert snap.error_kind
    return snap


def read(deployment):
    try:
        state = deployment.get_state()
    except HopsError as exc:
        message = explain(exc, deployment._hops_widgets_secrets)
        assert message and SECRET_KEY not in message
        return None
    assert isinstance(state, DeploymentState)
    state.report()
    state.summary()
    state.steps()
    assert isinstance(state.status, str) and state.status
    return state


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(SERVING_FIELDS), json_values, min_size=1, max_size=5))
def test_arbitrary_values_in_the_serving_json(fuzz_sb, fuzz_deployment, changes):
    fuzz_sb.clear_faults()
    fuzz_sb.mutate(set=changes, deployment=NAME)
    read(fuzz_deployment)
    poll_once(fuzz_deployment)
    fuzz_sb.clear_faults()


@FUZZ
@given(dropped=st.lists(st.sampled_from(SERVING_FIELDS), min_size=1, max_size=6, unique=True))
def test_any_fields_missing(fuzz_sb, fuzz_deployment, dropped):
    fuzz_sb.clear_faults()
    fuzz_sb.missing_fields(*dropped, deployment=NAME)
    state = read(fuzz_deployment)
    if state is not None and "status" in dropped:
        assert state.status == "UNKNOWN" and state.problems
    poll_once(fuzz_deployment)
    fuzz_sb.clear_faults()


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.sampled_from([b"", b"null", b"[]", b"{}", b"<!DOCTYPE html><p>x", b"\xff\xfe{", b'{"errorCode": "x"}']),
)
statuses = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504])
content_types = st.sampled_from(["application/json", "text/html; charset=utf-8", "text/plain", "application/xml", ""])
retry_afters = st.one_of(
    st.none(),
    st.sampled_from(["0", "1", "-5", "nan", "inf", "1e999", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 99 Foo"]),
)


@FUZZ
@given(status=statuses, ctype=content_types, retry=retry_afters, body=bodies)
def test_arbitrary_answers(fuzz_sb, fuzz_deployment, status, ctype, retry, body):
    headers = {"Content-Type": ctype} if ctype else {}
    if retry is not None:
        headers["Retry-After"] = retry
    fuzz_sb.raw.answer = (status, headers, body)
    fuzz_sb.clear_faults()
    fuzz_sb.empty_body(deployment=NAME)
    try:
        read(fuzz_deployment)
        snap = poll_once(fuzz_deployment)
        if status >= 300 and status != 304:
            assert snap.error, "an error status must not pass as a state"
    finally:
        fuzz_sb.clear_faults()
        fuzz_sb.raw.answer = None


# ---------------------------------------------------------------- explain on arbitrary exceptions
class Boom(Exception):
    pass


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for you")


class Hostile(Exception):
    """Every attribute the error helpers look at raises."""

    @property
    def status_code(self):
        raise RuntimeError("status")

    @property
    def response(self):
        raise KeyError("response")

    @property
    def retry_after_s(self):
        raise ValueError("retry")


class OddHeaders:
    def get(self, name):
        raise RuntimeError("headers")


def _with_response(exc, status, headers):
    exc.response = type("R", (), {"status_code": status, "headers": headers})()
    return exc


exception_types = st.sampled_from(
    [Exception, RuntimeError, ValueError, KeyError, OSError, ConnectionError, TimeoutError, AttributeError, Boom]
)
odd_args = st.lists(
    st.one_of(st.text(max_size=60), st.integers(), st.none(), st.binary(max_size=20), json_values), max_size=3
)
statuses_any = st.one_of(st.none(), st.integers(min_value=-5, max_value=1000), st.text(max_size=5), st.booleans())
headers_any = st.one_of(
    st.none(),
    st.just(OddHeaders()),
    st.dictionaries(
        st.sampled_from(["Retry-After", "retry-after", "X"]), st.one_of(st.text(max_size=8), st.integers())
    ),
)


@st.composite
def arbitrary_exceptions(draw):
    kind = draw(st.sampled_from(["plain", "response", "unprintable", "hostile", "chained", "ours"]))
    args = draw(odd_args)
    if kind == "plain":
        return draw(exception_types)(*args)
    if kind == "response":
        return _with_response(draw(exception_types)(*args), draw(statuses_any), draw(headers_any))
    if kind == "unprintable":
        return Unprintable(*args)
    if kind == "hostile":
        return Hostile(*args)
    if kind == "chained":
        inner = _with_response(Boom("inner"), draw(statuses_any), draw(headers_any))
        outer = draw(exception_types)(*args)
        outer.__cause__ = inner
        inner.__context__ = outer  # a cycle: the walk must end anyway
        return outer
    cls = draw(st.sampled_from([errors.HopsError, errors.ServerError, errors.Timeout, errors.InvalidResponse]))
    text = draw(st.text(max_size=80))
    return cls(text, status_code=draw(st.one_of(st.none(), st.integers(400, 599))))


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exc=arbitrary_exceptions(), secret=st.text(min_size=8, max_size=20, alphabet="abcdefXYZ0123456789-._"))
def test_explain_on_any_exception_is_a_line_never_a_crash(exc, secret):
    kind = error_kind(exc)
    assert isinstance(kind, str) and kind
    wait = retry_after(exc)
    assert wait is None or (isinstance(wait, float) and wait >= 0)
    message = explain(exc, (secret,))
    assert isinstance(message, str) and message.strip()
    assert "\n" not in message and len(message) <= errors.MAX_MESSAGE_CHARS


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exc=arbitrary_exceptions())
def test_any_source_exception_becomes_a_snapshot(exc):
    class Source(DeploymentSource):
        def fetch(self):
            raise exc

    p = Poller(Source(object()), autostart=False, rand=lambda: 0.5)
    interval = p.poll()
    assert p.snapshot.error and p.snapshot.error_kind and p.snapshot.mode == "backoff"
    assert 2.0 <= interval <= 60.0


def test_secrets_are_redacted_from_unexpected_exceptions():
    exc = RuntimeError(f"GET failed with headers {{'Authorization': 'ApiKey {SECRET_KEY}'}}")
    assert SECRET_KEY not in explain(exc, (SECRET_KEY,))
    assert SECRET_KEY not in explain(exc)  # shaped like a key even when nobody said it is one
    chained = Unprintable()
    assert "cannot be printed" in explain(chained)


def test_status_found_behind_the_sdk_exception_types():
    """The SDK raises other types while handling an HTTP error: the status still explains it."""

    def failing(response):  # like RestAPIError.__init__ reading a body that is JSON but not an object
        return response.json().get("errorMsg")

    response = type("R", (), {"status_code": 403, "json": lambda self: None, "headers": {}})()
    try:
        failing(response)
    except AttributeError as exc:
        assert error_kind(exc) == "forbidden"
        assert "HTTP 403" in explain(exc) and "AttributeError" in explain(exc)
    cause = _with_response(Boom("404"), 404, {})
    wrapped = RuntimeError("Deployment gone")
    wrapped.__cause__ = cause
    assert error_kind(wrapped) == "not_found"
