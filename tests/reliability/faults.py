"""The three phases every fault test goes through (healthy, fault shown, recovered), shared by the
built-in client's fault matrix and the real SDK's."""

from __future__ import annotations

import json
import time

from hops_widgets.widget import snapshot_html

from .conftest import NAME, SECRET_KEY, wait_until


class Recovery:
    """Records the poll at which the error went away (observed on the poller thread itself)."""

    def __init__(self, widget) -> None:
        self.widget = widget
        self.poll: int | None = None
        self.at: float | None = None
        self.intervals: list[tuple[str, float | None]] = []
        self.last_ok_before = widget.poller.snapshot.last_ok_at
        widget.observe(self._on_error, names="error")
        widget.observe(self._on_interval, names="interval_s")

    def _on_error(self, change) -> None:
        if change["new"] == "" and self.poll is None and self.armed:
            self.poll = self.widget.poller.polls
            self.at = time.monotonic()

    def _on_interval(self, change) -> None:
        self.intervals.append((self.widget.polling, change["new"]))

    armed = False


def healthy(w, status: str = "RUNNING") -> Recovery:
    wait_until(lambda: w.status == status and not w.error and w.poller.polls >= 1, 10, f"widget showing {status}")
    return Recovery(w)


def caller_survives(w) -> None:
    """Everything a notebook user may do while the fault lasts: none of it raises."""
    assert isinstance(repr(w), str) and "\n" not in repr(w)
    html = snapshot_html(w)
    assert "hops-snapshot" in html
    data, _meta = w._repr_mimebundle_()
    assert data["text/plain"] == repr(w) and data["text/html"] == snapshot_html(w)
    w.refresh()
    state = w.get_state()
    json.dumps(state, default=str)  # every synced trait serialises


def shows_fault(w, kind: str, *fragments: str, failures: int = 3, markup_free: bool = True) -> None:
    """Phase 2 for transport and HTTP faults: message, kind, backoff, thread alive."""
    p = w.poller
    wait_until(lambda: p.snapshot.failures >= failures, 15, f"{failures} failed polls in a row")
    assert w.error, "the widget shows no error"
    assert w.error_kind == kind, (w.error_kind, w.error)
    for fragment in fragments:
        assert fragment.lower() in w.error.lower(), (fragment, w.error)
    assert "\n" not in w.error and len(w.error) <= 500 and "Traceback" not in w.error
    if markup_free:
        assert "<" not in w.error, "markup from the server reached the message"
    assert SECRET_KEY not in w.error
    assert w.polling == "backoff"
    assert w.interval_s is not None and 0 < w.interval_s <= p.policy.backoff_max_s
    assert p.alive, "the poller thread died"
    if kind == "not_found":
        # a deployment the server no longer knows is said to be gone, with nothing to click
        assert (w.status, w.status_label) == ("NOT_FOUND", "Not found")
        assert not (w.can_start or w.can_stop) and not w.stale
    else:
        # the last good state stays on screen, marked last known, with the time of the last good update
        assert w.status == "RUNNING" and w.status_label == "Running" and w.stale
    assert w.last_ok_ms is not None and w.last_ok_ms <= time.time() * 1000
    caller_survives(w)


def stop_meanwhile(sb) -> None:
    """Change the deployment while the fault lasts: recovery must show this, not the old state."""
    sb.stop_deployment(NAME)
    if sb.info()["manual_clock"]:
        sb.advance(600)
    wait_until(lambda: sb.status(NAME) == "Stopped", 5, "the deployment stopped")


def recovers(w, rec: Recovery, clear, status: str = "STOPPED") -> None:
    """Phase 3: the first poll after the fault ends shows the fresh state, error gone."""
    p = w.poller
    rec.armed = True
    polls_before = p.polls
    started = time.monotonic()
    clear()
    wait_until(lambda: not w.error and w.status == status, 10, f"recovery to {status}")
    assert rec.poll is not None
    # at most the poll in flight when the fault ended (it may still have failed), then the next one
    assert rec.poll - polls_before <= 2, f"recovered only at poll {rec.poll - polls_before} after the fault ended"
    assert rec.at - started <= p.policy.backoff_max_s + 1.5
    assert rec.last_ok_before is None or p.snapshot.last_ok_at > rec.last_ok_before
    assert w.error_kind == "" and w.polling != "backoff"
    assert p.alive
