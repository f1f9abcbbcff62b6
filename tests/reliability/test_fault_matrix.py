"""The fault matrix: every fault the sandbox can script, seen through the built-in client and the widget.

Each test follows one deployment through three phases:

1. healthy: the widget shows RUNNING;
2. the fault: the widget shows a clear message (``error``/``error_kind``, or ``problems`` and the
   status for odd data), the poller thread keeps polling with capped backoff, the last good
   state stays on screen, and nothing the caller does (repr, refresh, the HTML snapshot, the
   mime bundle, showing a second widget) raises;
3. the fault ends: the first poll after it clears the error, and the state it shows is fresh
   (the deployment was stopped while the fault lasted, so a stale state would still say RUNNING).

The autouse ``guard`` fixture fails any test in which a thread died or the poller swallowed an error.
"""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest
import trustme

import hops_widgets
from hops_widgets import sandbox
from hops_widgets.state import MAX_REASON_CHARS
from hops_widgets.widget import snapshot_html

from .conftest import FAST, NAME, SECRET_KEY, wait_until
from .faults import caller_survives, healthy, recovers, shows_fault, stop_meanwhile

# ---------------------------------------------------------------- HTTP and body faults
HTTP_FAULTS = [
    # id, how, error_kind, what the message says
    ("500", lambda sb: sb.http_error(500, deployment=NAME), "server", ("HTTP 500", "Server error")),
    ("502", lambda sb: sb.http_error(502, deployment=NAME), "server", ("HTTP 502", "Bad gateway")),
    ("503", lambda sb: sb.http_error(503, deployment=NAME), "server", ("HTTP 503", "unavailable")),
    ("401", lambda sb: sb.http_error(401, deployment=NAME), "auth", ("HTTP 401", "rejected the API key")),
    ("403", lambda sb: sb.http_error(403, deployment=NAME), "forbidden", ("HTTP 403", "Access denied")),
    ("malformed-json", lambda sb: sb.malformed_json(deployment=NAME), "invalid_response", ("not valid JSON",)),
    ("html-page-502", lambda sb: sb.html_page(502, deployment=NAME), "server", ("HTTP 502", "HTML page")),
    ("html-page-200", lambda sb: sb.html_page(200, deployment=NAME), "invalid_response", ("HTML page",)),
    ("empty-body", lambda sb: sb.empty_body(deployment=NAME), "invalid_response", ("empty body",)),
    ("disconnect", lambda sb: sb.disconnect(deployment=NAME), "connection", ("closed the connection",)),
]


@pytest.mark.parametrize(("how", "kind", "fragments"), [f[1:] for f in HTTP_FAULTS], ids=[f[0] for f in HTTP_FAULTS])
def test_http_fault_shown_then_recovered(sb, fraud, widgets, how, kind, fragments):
    w = widgets(fraud)
    rec = healthy(w)
    how(sb)
    shows_fault(w, kind, *fragments)
    stop_meanwhile(sb)
    recovers(w, rec, sb.clear_faults)


def test_connection_refused_sandbox_stopped(sb, clock, fraud, widgets):
    w = widgets(fraud)
    rec = healthy(w)
    port = sb.port
    sb.stop()
    shows_fault(w, "connection", "connection refused")
    restarted = []

    def restart():
        # the same address again, the deployment now stopped: a fresh state to recover to
        again = sandbox.start(port=port, clock=clock, api_key=SECRET_KEY, seed=False)
        restarted.append(again)
        again.add_deployment(NAME, status="Stopped", model_name="fraud_model", requested_instances=2)

    try:
        recovers(w, rec, restart)
    finally:
        for handle in restarted:
            handle.stop()


def test_response_slower_than_the_client_timeout(sb, widgets):
    with sb.login(timeout=0.3) as project:
        w = widgets(project.get_model_serving().get_deployment(NAME))
        rec = healthy(w)
        sb.latency(1.5, deployment=NAME)
        started = time.monotonic()
        shows_fault(w, "timeout", "did not answer within 0.3 s")
        # three timed-out polls: bounded by the client timeout, not by the server's delay
        assert time.monotonic() - started < 3 * (0.3 + 0.2) + 2
        stop_meanwhile(sb)
        recovers(w, rec, sb.clear_faults)


def test_503_retry_after_is_honoured(sb, fraud, widgets):
    # a cap above the server's wish: the poller waits at least Retry-After
    w = widgets(fraud, backoff_max_s=5)
    rec = healthy(w)
    sb.clear_log()
    sb.http_error(503, retry_after=1, deployment=NAME)
    shows_fault(w, "server", "HTTP 503", "Retry after 1 s", failures=2)
    assert w.interval_s >= 1.0
    # when each request arrived (the log stamps the end of a request; its duration is logged too)
    tried = [r["time"] - r["duration_ms"] / 1000 for r in sb.requests(endpoint="serving_get") if r["status"] == 503]
    gaps = [b - a for a, b in itertools.pairwise(tried)]
    assert gaps and min(gaps) >= 0.9, f"came back before Retry-After: {gaps}"
    stop_meanwhile(sb)
    recovers(w, rec, sb.clear_faults)


def test_503_retry_after_is_capped_at_backoff_max(sb, fraud, widgets):
    w = widgets(fraud)  # backoff_max_s=0.2
    rec = healthy(w)
    sb.http_error(503, retry_after=30, deployment=NAME)
    shows_fault(w, "server", "Retry after 30 s")
    assert w.interval_s == pytest.approx(0.2)
    stop_meanwhile(sb)
    recovers(w, rec, sb.clear_faults)


def test_deployment_deleted_says_so_and_slows_down(sb, fraud, widgets):
    w = widgets(fraud, backoff_min_s=0.1, backoff_max_s=0.8)
    healthy(w)
    sb.clear_log()
    sb.delete_deployment(NAME)
    p = w.poller
    wait_until(lambda: p.snapshot.failures >= 5, 15, "five polls of the deleted deployment")
    assert w.error_kind == "not_found"
    assert "not found" in w.error.lower() and "404" in w.error
    assert w.polling == "backoff" and p.alive
    assert (w.status, w.can_start, w.can_stop) == ("NOT_FOUND", False, False)
    # slow at once: from the first failure the gaps between its requests sit at the cap (with jitter)
    tried = [r["time"] - r["duration_ms"] / 1000 for r in sb.requests(endpoint="serving_get")]
    gaps = [b - a for a, b in itertools.pairwise(tried)]
    assert len(gaps) >= 4, gaps
    assert min(gaps[1:]) > 0.8 * 0.75 - 0.05, f"not at the slowest interval at once: {gaps}"
    assert max(gaps) < 0.8 + 0.5, f"above the cap: {gaps}"
    caller_survives(w)
    # the same name created again is another deployment (another id): the widget keeps saying not found
    sb.add_deployment(NAME, status="Running")
    time.sleep(1.0)
    assert w.error_kind == "not_found"


def test_404_fault_recovers(sb, fraud, widgets):
    w = widgets(fraud)
    rec = healthy(w)
    sb.http_error(404, deployment=NAME)
    shows_fault(w, "not_found", "Deployment not found", "HTTP 404")
    stop_meanwhile(sb)
    recovers(w, rec, sb.clear_faults)


def test_certificate_that_fails_verification(monkeypatch, tmp_path, clock, widgets):
    """The server's certificate changes to one from a CA the client does not trust.

    The client says so clearly and never falls back to an unverified connection: the
    impostor serves no API request at all. When the trusted certificate is back, it recovers.
    """
    real_ca = trustme.CA
    trusted = real_ca(organization_name="trusted")
    monkeypatch.setattr(trustme, "CA", lambda **kw: trusted)
    first = sandbox.start(tls=True, clock=clock, api_key=SECRET_KEY)
    handles = [first]
    try:
        bundle = tmp_path / "trusted-ca.pem"  # the sandbox deletes its own copy when it stops
        bundle.write_bytes(first.ca_pem)
        project = first.login(timeout=2, verify=str(bundle))
        w = widgets(project.get_model_serving().get_deployment(NAME))
        rec = healthy(w)
        port = first.port
        first.stop()
        monkeypatch.setattr(trustme, "CA", real_ca)  # a CA of its own: the client does not know it
        impostor = sandbox.start(tls=True, clock=clock, api_key=SECRET_KEY, port=port)
        handles.append(impostor)
        shows_fault(w, "tls", "could not be verified", "verify=")
        assert impostor.requests() == [], "a request got through an unverified connection"
        impostor.stop()
        monkeypatch.setattr(trustme, "CA", lambda **kw: trusted)

        def restore():
            again = sandbox.start(tls=True, clock=clock, api_key=SECRET_KEY, port=port, seed=False)
            handles.append(again)
            again.add_deployment(NAME, status="Stopped")

        recovers(w, rec, restore)
        project.close()
    finally:
        for handle in handles:
            handle.stop()


# ---------------------------------------------------------------- odd data: a state, not an error
def test_unknown_status_string(sb, fraud, widgets):
    w = widgets(fraud)
    healthy(w)
    sb.unknown_status("Hibernating", deployment=NAME)
    wait_until(lambda: w.status == "HIBERNATING", 5, "the unknown status shown")
    assert w.error == "" and w.error_kind == ""
    assert w.status_label == "HIBERNATING" and w.tone == "unknown"
    assert "not one hops-widgets knows" in w.status_description
    assert not w.can_start and not w.can_stop  # no action offered for a state nobody documented
    assert w.poller.alive and w.polling in ("fast", "stable", "hidden")
    caller_survives(w)
    stop_meanwhile(sb)
    sb.clear_faults()
    wait_until(lambda: w.status == "STOPPED", 5, "back to a known status")


def test_missing_condition(sb, fraud, widgets):
    w = widgets(fraud)
    healthy(w)
    sb.missing_fields("condition", deployment=NAME)
    wait_until(lambda: w.condition_type == "", 5, "no condition shown")
    assert w.status == "RUNNING" and w.error == ""
    assert w.condition_reason == "" and w.steps == []
    assert w.message == w.status_description  # the status explains itself when no condition does
    caller_survives(w)
    sb.clear_faults()
    wait_until(lambda: w.condition_type == "READY", 5, "the condition back")


def test_null_and_negative_instance_counts(sb, fraud, widgets):
    w = widgets(fraud)
    healthy(w)
    sb.mutate(
        set={"availableInstances": None, "requestedInstances": -2, "availableTransformerInstances": -1},
        deployment=NAME,
    )
    wait_until(lambda: w.predictor_requested is None, 5, "the negative count dropped")
    assert w.predictor_available is None and w.transformer_available is None
    assert any("negative (-2)" in p for p in w.problems), w.problems
    assert any("Available transformer instances is negative" in p for p in w.problems), w.problems
    assert w.error == "" and w.status == "RUNNING"
    assert "predictor ? of ? requested pods exist" in snapshot_html(w)
    caller_survives(w)
    sb.clear_faults()
    wait_until(lambda: w.predictor_available == 2 and not w.problems, 5, "counts back")


def test_megabyte_reason_is_cut_for_display_and_kept_in_the_state(sb, fraud, widgets):
    w = widgets(fraud)
    healthy(w)
    reason = "disk full on node-7; " * 50_000  # 1.05 MB
    sb.mutate(set={"condition.reason": reason}, deployment=NAME)
    wait_until(lambda: w.reason_cut_chars > 0, 10, "the long reason shown")
    assert w.condition_reason == reason[:MAX_REASON_CHARS]
    assert w.reason_cut_chars == len(reason) - MAX_REASON_CHARS
    assert w.state.condition.reason == reason  # the whole text, for whoever needs it
    synced = json.dumps({k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}, default=str)
    assert len(synced) < 10_000, "the megabyte went to the frontend"
    assert len(snapshot_html(w)) < 5_000 and len(repr(w)) < 1_000
    assert w.error == "" and w.poller.alive
    caller_survives(w)
    sb.clear_faults()
    wait_until(lambda: w.reason_cut_chars == 0 and w.condition_reason == "Serving requests", 5, "short reason back")


# ---------------------------------------------------------------- faults from the first poll on
def test_widget_shown_while_the_server_fails(sb, fraud, widgets):
    """The first poll already fails: nothing raises, the widget says it is unavailable, then recovers."""
    sb.http_error(500, deployment=NAME)
    w = widgets(fraud)
    wait_until(lambda: w.poller.snapshot.failures >= 2, 5, "failed first polls")
    assert w.status_label == "Unavailable" and w.tone == "unknown" and not w.busy
    assert w.error_kind == "server" and w.last_ok_ms is None
    caller_survives(w)
    assert "Unavailable" in snapshot_html(w) and "HTTP 500" in snapshot_html(w)
    sb.clear_faults()
    wait_until(lambda: w.status == "RUNNING" and not w.error, 5, "recovered")


def test_overview_keeps_working_under_a_listing_fault(sb, project, widgets):
    ov = widgets(project.get_model_serving())
    wait_until(lambda: len(ov.table.rows) == 4, 5, "four rows")
    sb.http_error(502, endpoint="serving_list")
    wait_until(lambda: ov.poller.snapshot.failures >= 3, 10, "failed list polls")
    assert "HTTP 502" in ov.table.error and ov.table.polling == "backoff"
    assert len(ov.table.rows) == 4, "the last good rows stay"
    assert ov.poller.alive and isinstance(repr(ov), str)
    sb.stop_deployment(NAME)
    sb.advance(600)
    sb.clear_faults()
    wait_until(
        lambda: not ov.table.error and {r["name"]: r["status"] for r in ov.table.rows}[NAME] == "STOPPED",
        5,
        "the overview recovered with fresh rows",
    )


def test_faults_one_after_another_never_kill_the_thread(sb, fraud, widgets):
    """A burst of every fault in turn, each for a few polls: one thread, alive, all along."""
    w = widgets(fraud)
    healthy(w)
    p = w.poller
    thread = p._loop._thread if p._loop is not None else p._thread  # the project's loop, or its own
    kinds = []
    for _id, how, kind, _fragments in HTTP_FAULTS:
        how(sb)
        target = p.polls + 1
        wait_until(lambda: p.polls >= target and w.error_kind == kind, 10, f"fault {_id} shown")  # noqa: B023
        kinds.append(w.error_kind)
        sb.clear_faults()
    wait_until(lambda: not w.error, 5, "recovered at the end")
    assert kinds == [f[2] for f in HTTP_FAULTS]
    assert (p._loop._thread if p._loop is not None else p._thread) is thread and thread.is_alive()
    # never a second thread for the same poller (a replacement would mean the first one died)
    assert [t for t in threading.enumerate() if t.name == thread.name] == [thread]


def test_second_widget_shown_during_a_fault_shares_the_poller(sb, fraud, widgets):
    w = widgets(fraud)
    healthy(w)
    sb.http_error(500, deployment=NAME)
    wait_until(lambda: w.error, 5, "error shown")
    again = hops_widgets.show(fraud, display=False, **FAST)
    try:
        assert again.poller is w.poller
        assert again.error == w.error and again.status == "RUNNING"  # the current picture at once
    finally:
        again.close()
    assert w.poller.alive  # closing one of two widgets leaves the poller to the other
