"""What a detail view does while nothing changes (issue 23, item 8), counted, not timed.

Fifty idle detail views cost over 2 CPU-seconds a minute in the renderer: every view's footer
rewrote its texts and titles every second (and formatted a clock time through Intl each time),
on screen or not. Now one page-wide ticker runs only the views on screen, and a view writes a
text or an attribute only when it changes. Checked on the sections harness with the page's
clock stopped and moved by the test: DOM mutations per view over idle seconds.
"""

from __future__ import annotations

import pytest

from .test_sections import Live, _close_widgets, deployment, http_root, open_harness, poll, recording_comm, sb  # noqa: F401 - fixtures used here

pytestmark = pytest.mark.e2e

WATCH = """(id) => {
  const root = document.getElementById(`cell-${id}`);
  window.__mut = window.__mut || {};
  window.__mut[id] = 0;
  new MutationObserver((list) => (window.__mut[id] += list.length)).observe(root, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
}"""


def test_idle_views_write_nothing_and_views_off_screen_do_not_tick(page, http_root, sb):  # noqa: F811
    harness = open_harness(page, http_root, clock=True)

    def wall() -> float:
        return harness.evaluate("() => Date.now()") / 1000

    w, p = deployment(sb, status="Running", wall=wall)
    on = Live(harness, w, "a")
    Live(harness, None, "b", offscreen=True, state=public_state(w))
    poll(on, p)
    # past the first minute: "changed N min ago" and "checked in the last 5 s" now read the same for a while
    harness.clock.run_for(65_000)
    for cell in ("a", "b"):
        harness.evaluate(WATCH, cell)
    harness.clock.run_for(20_000)
    counts = harness.evaluate("() => window.__mut")
    assert counts["b"] == 0, f"a view off screen does nothing while idle: {counts}"
    assert counts["a"] <= 1, f"an idle view on screen rewrites nothing that reads the same: {counts}"
    # it is still live: the minute turns and the text follows
    harness.clock.run_for(60_000)
    assert "changed 2 min ago" in harness.evaluate("() => document.querySelector('#cell-a .hops-updated').textContent")
    # scrolled into view, the view off screen catches up at once
    harness.evaluate("() => document.getElementById('cell-b').scrollIntoView()")
    harness.clock.run_for(2_000)
    text = harness.evaluate("() => document.querySelector('#cell-b .hops-footer').textContent")
    assert text, "the footer of a view scrolled into view is drawn"


def public_state(w) -> dict:
    return {k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}
