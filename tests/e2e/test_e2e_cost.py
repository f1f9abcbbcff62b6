"""The overview at 2,000 deployments pays for what is on screen, in a real browser (the section harness).

The real ``js/widget.js`` on a FakeModel, joined to a real :class:`OverviewWidget` whose poller
sits in a :class:`ProjectLoop` driven by hand (manual clock, no thread), over a real sandbox.
Issue 22 (rows in view read one by one, the counts' age) and issue 23 items 5 and 6 (the row height
measured again after a resize; a pull racing an update answered with what the view lacks).
"""

from __future__ import annotations

import json

from hops_widgets.overview import OverviewWidget, ServingSource
from hops_widgets.poller import Poller, ProjectLoop

from ..unit.fakes import FakeClock, ManualEvent
from .test_sections import (  # noqa: F401 - fixtures
    _OPENED,
    Live,
    _close_widgets,
    big_overview,
    harness,
    http_root,
    open_harness,
    poll,
    recording_comm,
    sb,
)

N = 2000


def looped_overview(sb, n: int = N):  # noqa: F811 - the fixture's value
    """A OverviewWidget of ``n`` deployments in a project loop driven by hand."""
    sb.add_deployments(n, prefix="dep", status="Running", model_name="model")
    serving = sb.login().get_model_serving()
    clock = FakeClock()
    loop = ProjectLoop(("project", "e2e"), serving.list_states, "e2e", clock=clock, wake=ManualEvent(), autostart=False)
    source = ServingSource(serving)
    p = Poller(source, loop=loop, autostart=False)
    p.start()  # joins the loop: no thread
    w = OverviewWidget(serving, source=source, poller=p)
    _OPENED.append(w)
    return w, p, loop, clock


def in_view_sent(live: Live, name: str) -> None:
    live.page.wait_for_function(
        """([id, name]) => H.sent(id).some(m => m.type === 'rows_in_view' && m.names.includes(name))""",
        arg=[live.cell, name],
        timeout=10_000,
    )


def row_status(live: Live, name: str) -> str | None:
    return live.attr(f'tr[data-name="{name}"]', "data-status")


def test_a_row_scrolled_into_view_at_2000_is_fresh_within_one_fast_round_and_the_counts_say_their_age(harness, sb):  # noqa: F811
    w, p, loop, clock = looped_overview(sb)
    loop.run_round()  # the first round reads the whole list
    live = Live(harness, w, "o")
    in_view_sent(live, "dep001")
    live.sync()  # the view's rows in view reach the kernel
    assert w._watch.in_view is not None and "dep001" in w._watch.in_view and "dep1500" not in w._watch.in_view
    sb.reset_cost()
    loop.step()  # woken by the view's visibility: re-planned at the stable cadence
    clock.advance(5)
    loop.step()  # a stable round: the rows in view, one GET each
    live.sync()
    cost = sb.backend_cost()
    assert loop.choice.kind == "gets" and 0 < cost["total"] == cost["by_endpoint"]["serving_get"] <= 40, cost
    # the counts and the rows off screen are as old as the list, and the footer says so
    listed = live.q(".hops-listed")
    assert listed.is_visible() and listed.text_content().startswith("counts and rows off screen as of ")
    assert live.text('.hops-chip[data-status=""]') == f"All {N}"
    assert live.text('.hops-chip[data-status="Running"]') == f"Running {N}"

    far = [f"dep{i}" for i in range(1400, 1600)]
    for name in far:  # off screen: not read by the rounds of the rows in view
        sb.set_state(name, "Stopped")
    clock.advance(5)
    loop.step()
    live.sync()
    assert w._states["dep1500"].status == "RUNNING"
    row_h = live.q('tr[data-name="dep001"]').evaluate("tr => tr.offsetHeight")
    live.q(".hops-table-scroll").evaluate(
        "(el, top) => { el.scrollTop = top; el.dispatchEvent(new Event('scroll')); }", 1499 * row_h
    )
    harness.evaluate("() => H.frame()")
    harness.wait_for_function(
        "() => H.sent('o').some(m => m.type === 'rows_in_view' && m.names.some(n => n.startsWith('dep15')))",
        timeout=10_000,
    )
    (shown,) = [m["names"] for m in live.sent() if m["type"] == "rows_in_view"][-1:]
    assert 10 <= len(shown) <= 40 and set(shown) <= set(far), shown
    assert all(row_status(live, n) == "RUNNING" for n in shown)  # as the list read them a while ago
    sb.reset_cost()
    live.sync()  # the kernel hears of the new rows in view and asks its loop for a round at once
    assert p._refresh
    clock.advance(0.5)  # within one fast round
    loop.step()
    live.sync()
    assert all(row_status(live, n) == "STOPPED" for n in shown)
    cost = sb.backend_cost()
    assert cost["by_endpoint"] == {"serving_get": cost["total"]} and cost["total"] <= 40, cost  # not 2,000
    assert live.text('.hops-chip[data-status="Stopped"]') == f"Stopped {len(shown)}"


def test_the_table_drawn_narrow_then_widened_keeps_every_row_reachable(harness, sb):  # noqa: F811
    """Issue 23, item 5: rows stack (taller) when narrow; widened, the height is measured again."""
    harness.add_style_tag(content="#cell-o{width:420px}")
    w, p = big_overview(sb)
    live = Live(harness, w, "o")
    poll(live, p)
    narrow = live.q(".hops-table-scroll").evaluate("el => el.scrollHeight")
    harness.add_style_tag(content="#cell-o{width:1100px !important}")
    harness.evaluate("() => H.frame()")
    harness.evaluate("() => H.frame()")
    scroller = live.q(".hops-table-scroll")
    row_h = live.q("tr.hops-row").first.evaluate("tr => tr.offsetHeight")
    wide = scroller.evaluate("el => el.scrollHeight")
    assert wide < narrow * 0.8 and abs(wide - 500 * row_h) < 3 * row_h, (narrow, wide, row_h)
    seen: set[str] = set()
    top, height = 0, scroller.evaluate("el => el.clientHeight")
    while True:
        scroller.evaluate("(el, top) => { el.scrollTop = top; el.dispatchEvent(new Event('scroll')); }", top)
        harness.evaluate("() => H.frame()")
        shown = scroller.evaluate(
            """el => { const box = el.getBoundingClientRect();
                return [...el.querySelectorAll('tr.hops-row')].filter(tr => {
                    const r = tr.getBoundingClientRect(); return r.bottom > box.top && r.top < box.bottom;
                }).map(tr => tr.dataset.name); }"""
        )
        assert shown, f"no row on screen at scrollTop {top}"
        seen.update(shown)
        if top >= wide - height:
            break
        top = min(top + height // 2, wide - height)
    assert seen == {r["name"] for r in w.rows}


def test_a_pull_racing_an_update_at_2000_is_answered_with_what_the_view_lacks(page, http_root, sb):  # noqa: F811
    """Issue 23, item 6: the view's pull leaves just before the kernel's change arrives."""
    harness = open_harness(page, http_root, clock=True)  # noqa: F811 - a page with a clock of its own
    cycle = ["Running", "Stopped", "Running", "Failed", "Idle"]
    for i in range(N):
        sb.add_deployment(f"dep{i}", status=cycle[i % len(cycle)], model_name="model")
    serving = sb.login().get_model_serving()
    w = OverviewWidget(serving, poller=Poller(ServingSource(serving), autostart=False))
    _OPENED.append(w)
    live = Live(harness, w, "o")
    poll(live, p := w.poller)
    held = harness.evaluate("() => H.state('o', 'row_ops').rev")
    assert held == w._table_rev
    for i in range(0, N, 20):  # 5 % of the rows move
        sb.set_state(f"dep{i}", "Stopped" if i % 40 else "Running", available_instances=0)
    seen = len(w.comm.messages)
    p.poll()  # the kernel's change is on its way ...
    (push,) = [d for k, d in w.comm.messages[seen:] if k == "comm_msg" and d.get("method") == "update"]
    before = len(live.all_sent())
    harness.clock.run_for(6_000)  # ... and the view's pull leaves before it arrives
    (pull,) = [m for m in live.all_sent()[before:] if m["type"] == "pull"]
    assert pull["rows_rev"] == held
    live.sent_seen = before + 1
    w._handle_msg({"content": {"data": {"method": "custom", "content": pull}}, "buffers": []})
    (answer,) = [d["content"] for k, d in w.comm.messages[seen:] if k == "comm_msg" and d.get("method") == "custom"]
    ops = answer["changes"]["row_ops"]
    size = len(json.dumps(answer))
    assert not ops.get("reset") and ops["base"] == held and len(ops["upsert"]) == N // 20
    assert size < 40_000, size  # the whole table would be about 800 KB
    live.seen = seen
    harness.evaluate("([id, m]) => H.receive(id, m)", ["o", answer])  # the answer first,
    live.sync()  # then the push it raced (already held: nothing to do)
    assert push["state"]["row_ops"]["rev"] == ops["rev"]
    kernel = {r["name"]: r["status"] for r in w.rows}
    view = harness.evaluate(
        "() => [...document.querySelectorAll('#cell-o tr.hops-row')].map(tr => [tr.dataset.name, tr.dataset.status])"
    )
    assert view and all(kernel[n] == s for n, s in view)
    # the whole table was asked for once, by the new view, never again
    assert harness.evaluate("() => H.sent('o').filter(m => m.type === 'rows').length") == 1
