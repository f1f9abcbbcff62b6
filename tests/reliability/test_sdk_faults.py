"""Faults seen through the real hopsworks SDK's deployment object.

The SDK does not only raise its ``RestAPIError``: a deleted deployment is a
``ModelServingException``, a body that is not JSON a ``requests`` ``JSONDecodeError``, an error
body that is JSON but not an object an ``AttributeError`` from inside ``RestAPIError``, a dropped
connection a ``requests`` ``ConnectionError``, an odd condition a ``ValueError``; an empty body is
a state object with no status (whose own ``repr`` raises). Each case first checks that the SDK
really raises that type, then that the widget shows it as a fault (kind, message, backoff,
thread alive) and recovers.
"""

from __future__ import annotations

import pytest

import hops_widgets
from hops_widgets.sandbox import app as sandbox_app

from .conftest import FAST, NAME, wait_until
from .faults import healthy, recovers, shows_fault

pytestmark = pytest.mark.sdk


def _null_error_body(monkeypatch):
    """403 answers whose body is JSON ``null``: valid JSON, but not the object the SDK expects."""
    original = sandbox_app.http_error_body
    monkeypatch.setattr(
        sandbox_app, "http_error_body", lambda status, params=None: None if status == 403 else original(status, params)
    )


CASES = [
    # id, inject, what the SDK raises, error_kind, fragments of the widget's message
    ("500", lambda sb, mp: sb.http_error(500, deployment=NAME), "RestAPIError", "server", ("HTTP 500",)),
    ("401", lambda sb, mp: sb.http_error(401, deployment=NAME), "RestAPIError", "auth", ("HTTP 401",)),
    ("403", lambda sb, mp: sb.http_error(403, deployment=NAME), "RestAPIError", "forbidden", ("HTTP 403",)),
    (
        "403-null-body",
        lambda sb, mp: (_null_error_body(mp), sb.http_error(403, deployment=NAME)),
        "AttributeError",
        "forbidden",
        ("HTTP 403", "AttributeError"),
    ),
    (
        "404-not-found",
        lambda sb, mp: sb.http_error(404, deployment=NAME),
        "ModelServingException",
        "not_found",
        ("not found",),
    ),
    ("404-html", lambda sb, mp: sb.html_page(404, deployment=NAME), "RestAPIError", "not_found", ("not found", "404")),
    (
        "200-html",
        lambda sb, mp: sb.html_page(200, deployment=NAME),
        "JSONDecodeError",
        "invalid_response",
        ("could not be read",),
    ),
    (
        "malformed-json",
        lambda sb, mp: sb.malformed_json(deployment=NAME),
        "JSONDecodeError",
        "invalid_response",
        ("JSONDecodeError",),
    ),
    ("disconnect", lambda sb, mp: sb.disconnect(deployment=NAME), "ConnectionError", "connection", ("connect",)),
    (
        "condition-not-an-object",
        lambda sb, mp: sb.mutate(set={"condition": "weird"}, deployment=NAME),
        "ValueError",
        "invalid_response",
        ("ValueError",),
    ),
]


@pytest.mark.parametrize(("inject", "raised", "kind", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_any_sdk_exception_is_a_fault_to_show(sdk_project, sdk_sandbox, monkeypatch, inject, raised, kind, fragments):
    deployment = sdk_project.get_model_serving().get_deployment(NAME)
    w = hops_widgets.show(deployment, display=False, **FAST)
    try:
        rec = healthy(w)
        inject(sdk_sandbox, monkeypatch)
        # the SDK itself: this is the exception type the widget's poller has to live with
        try:
            outcome = deployment.get_state()
        except Exception as exc:  # noqa: BLE001 - recording whatever the SDK raises is the point
            outcome = exc
        assert type(outcome).__name__ == raised, f"the SDK gave {type(outcome).__name__}"
        shows_fault(w, kind, *fragments, markup_free=False)
        assert sdk_sandbox.api_key not in w.error
        recovers(w, rec, sdk_sandbox.clear_faults, status="RUNNING")
    finally:
        w.close()


def test_empty_body_is_a_state_without_status(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment(NAME)
    w = hops_widgets.show(deployment, display=False, **FAST)
    try:
        healthy(w)
        sdk_sandbox.empty_body(deployment=NAME)
        state = deployment.get_state()
        assert state is not None and state.status is None  # and repr(state) raises inside the SDK
        wait_until(lambda: w.status == "UNKNOWN", 10, "the missing status shown")
        assert "The server sent no status." in w.problems and w.error == ""
        assert w.status_label == "UNKNOWN" and w.tone == "unknown" and w.poller.alive
        sdk_sandbox.clear_faults()
        wait_until(lambda: w.status == "RUNNING" and not w.problems, 10, "recovered")
    finally:
        w.close()


def test_deleted_deployment_through_the_sdk(sdk_project, sdk_sandbox):
    deployment = sdk_project.get_model_serving().get_deployment(NAME)
    w = hops_widgets.show(deployment, display=False, **FAST)
    try:
        healthy(w)
        sdk_sandbox.delete_deployment(NAME)
        wait_until(lambda: w.poller.snapshot.failures >= 3, 10, "polls of the deleted deployment")
        assert w.error_kind == "not_found" and "not found" in w.error.lower()
        assert w.polling == "backoff" and w.poller.alive
        # said to be gone, nothing to click; the last good state is still there for code
        assert (w.status, w.can_start, w.can_stop) == ("NOT_FOUND", False, False)
        assert w.state.status == "RUNNING"
    finally:
        w.close()


def test_sdk_overview_under_faults(sdk_project, sdk_sandbox):
    """The SDK's listing fails, then lists objects whose embedded state is odd: a fault, then rows."""
    ov = hops_widgets.show(sdk_project.get_model_serving(), display=False, **FAST)
    try:
        wait_until(lambda: len(ov.table.rows) == 4, 10, "four rows")
        sdk_sandbox.http_error(502, endpoint="serving_list")
        wait_until(lambda: ov.poller.snapshot.failures >= 2, 10, "failed listings")
        assert "502" in ov.table.error and ov.poller.alive and len(ov.table.rows) == 4
        sdk_sandbox.clear_faults()
        sdk_sandbox.unknown_status("Hibernating", deployment="recommender")
        wait_until(lambda: not ov.table.error, 10, "recovered")
        wait_until(
            lambda: {r["name"]: r["status"] for r in ov.table.rows}.get("recommender") == "HIBERNATING",
            10,
            "the odd status shown as-is",
        )
    finally:
        ov.close()
