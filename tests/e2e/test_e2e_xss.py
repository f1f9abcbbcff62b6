"""Server text carrying HTML/JS payloads renders as text in a real browser, never as markup.

Every payload tries to set ``window.__pwned``; each test asserts it stays undefined, that no
element the payloads describe (img, script, svg, iframe, a, event-handler attributes) appears
inside the widget, and that the payload is on screen as literal text, character for character
(including RTL overrides and zero-width characters). Three surfaces: the live detail widget, the
overview table (and the detail opened from it), and the static HTML snapshot of the mime bundle
(what a notebook viewer without the widget manager shows), loaded on a page of its own.

A browser that ran a payload's ``<img src=x>`` would also log a failed load: the ``page``
fixture fails the test on any console error, a second tripwire.
"""

from __future__ import annotations

import time

import pytest

from hops_widgets.state import DeploymentState, strip_hidden, visible

from .e2e_hops import POLL, SETUP, DeploymentView

pytestmark = pytest.mark.e2e

PWN = "window.__pwned=1"
# Deployment names cannot contain "/" (the sandbox refuses them, like the backend's URL paths).
NAMES = {
    "breakout": f"\"'><img src=x onerror={PWN}>",
    "svg": f"<svg onload={PWN}>",
    "rtl": f"\u202ereliable-\u202c<img src=x onerror={PWN}>\u202e3v ledom",
    "zero-width": 'fraud\u200b-detector\u2060<iframe srcdoc="&lt;script&gt;parent.__pwned=1&lt;&#47;script&gt;">',
    "entities": f"&lt;img src=x onerror={PWN}&gt;&#60;b&#62;bold",
}
MODEL = f"<img src=x onerror={PWN}><a href=javascript:{PWN}>model</a>"
REASON = (
    f'<script>{PWN}</script><img src=x onerror="{PWN}"><svg/onload={PWN}>'
    f'<a href="javascript:{PWN}">click</a><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>'
    "\u202e<b>reversed?</b>\u200b"
)
STATUS = f"<img src=x onerror={PWN.upper()}>"  # statuses are upper-cased: WINDOW is not defined
SHOWN_STATUS = DeploymentState.from_json({"status": STATUS}).status  # as the state layer normalises it
NOT_A_NUMBER = f"<img src=x onerror={PWN}>"
ERROR = f"<img src=x onerror={PWN}> gateway <script>{PWN}</script>"

OVERVIEW = ".hops-overview"  # js/overview.js
DETAIL = ".hops-deployment:not(.hops-overview)"
_ROWS_JS = """
(root) => Array.from(root.querySelectorAll('tbody tr.hops-row')).map(tr => ({
  name: tr.dataset.name,
  cell_name: (tr.querySelector('.hops-cell-name') || {}).textContent ?? null,
  model: (tr.querySelector('.hops-cell-model') || {}).textContent ?? null,
  title: (tr.querySelector('.hops-cell-message') || {}).title ?? null,
}))
"""

# Elements and attributes no server text may create inside a widget (the sparkline svg is the widget's own).
_INJECTED_JS = """
(root) => Array.from(root.querySelectorAll(
  'img, script, iframe, object, embed, a, svg:not(.hops-sparkline), svg:not(.hops-sparkline) *, ' +
  '[onerror], [onload], [onclick], [srcdoc], [href^="javascript"]'
)).filter(n => !n.closest('svg.hops-sparkline'))
  // the page's own links (Open in Hopsworks, the model's page; in the static snapshot the same and the
  // inference URL): allowed only as http(s) addresses whose server parts are percent-encoded, and with
  // nothing but text inside
  .filter(n => !(n.matches('a.hops-open-ui, a.hops-model-link, .hops-links > span[data-link] > a')
                 && /^https?:[/][/][^<>"' ]*$/.test(n.getAttribute('href')) && n.children.length === 0))
  .map(n => n.outerHTML.slice(0, 120))
"""

# Whether the characters of an element's text run left to right on screen (an RTL override that
# leaks out of a neighbour would lay them out right to left).
_LTR_JS = """
(el) => {
  const node = Array.from(el.childNodes).find(n => n.nodeType === 3 && n.textContent.trim());
  if (!node) return null;
  const xs = [];
  const range = document.createRange();
  for (let i = 0; i < node.textContent.length; i++) {
    if (!node.textContent[i].trim()) continue;
    range.setStart(node, i); range.setEnd(node, i + 1);
    xs.push(range.getBoundingClientRect().left);
  }
  return xs.every((x, i) => i === 0 || x >= xs[i - 1]);
}
"""


def cell0(extra: str) -> str:
    payloads = {"NAMES": NAMES, "MODEL": MODEL, "REASON": REASON, "STATUS": STATUS, "ERROR": ERROR}
    lines = [f"{key} = {value!r}" for key, value in payloads.items()]
    lines.append(f"NOT_A_NUMBER = {NOT_A_NUMBER!r}")
    return SETUP + "\n".join(lines) + "\n" + extra


def assert_not_pwned(page, where: str, settle_s: float = 1.0) -> None:
    """``window.__pwned`` stays undefined, also after images had time to fail and handlers to fire."""
    deadline = time.monotonic() + settle_s
    while True:
        pwned = page.evaluate("() => [window.__pwned, window.top && window.top.__pwned]")
        assert pwned == [None, None], f"a payload ran in {where}"
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)


def assert_inert(root, where: str) -> None:
    injected = root.evaluate(_INJECTED_JS)
    assert injected == [], f"markup from server text became elements in {where}: {injected}"


def text(locator) -> str:
    return locator.evaluate("(n) => n.textContent")


def test_payloads_render_as_text_in_the_detail_widget(open_lab):
    nb = open_lab(
        [
            cell0(
                "for key in ('breakout', 'rtl'):\n"
                "    sb.add_deployment(NAMES[key], status='Running', model_name=MODEL, requested_instances=1)\n"
                "sb.mutate(deployment=NAMES['breakout'], set={'condition.reason': REASON, 'status': STATUS,\n"
                "          'availableInstances': NOT_A_NUMBER})\n"
                "sb.mutate(deployment=NAMES['rtl'], set={'condition.reason': REASON})"
            ),
            f"w = hops_widgets.show(serving.get_deployment(NAMES['breakout']), {POLL})",
            f"w2 = hops_widgets.show(serving.get_deployment(NAMES['rtl']), {POLL})",
            "sb.http_error(500, message=ERROR)",  # every request: the project's loop reads the list
        ]
    )
    for i in range(3):
        nb.run_cell(i)
    view = DeploymentView.wait(nb, 1)
    rtl = DeploymentView.wait(nb, 2)
    nb.wait_cells_done()
    view.wait_until(lambda s: s.reason == REASON, "the payload reason")
    rtl.wait_until(lambda s: s.reason == REASON, "the payload reason (rtl)")

    # every payload on screen as the very text the server sent
    assert text(view.part(".hops-name")) == NAMES["breakout"]
    assert text(view.part(".hops-model")) == f"{MODEL} v1"
    assert text(view.part(".hops-reason")) == REASON
    assert text(view.part(".hops-badge-text")) == SHOWN_STATUS
    assert view.root.get_attribute("data-status") == SHOWN_STATUS
    problems = view.part(".hops-problems li").all_text_contents()
    assert any(NOT_A_NUMBER[:20] in p for p in problems), problems
    # the RTL overrides written out, so the name cannot read as another; nothing else changed
    assert text(rtl.part(".hops-name")) == visible(NAMES["rtl"])
    assert "⟨U+202E⟩reliable-⟨U+202C⟩<img" in text(rtl.part(".hops-name"))
    assert view.part(".hops-name").is_visible() and view.part(".hops-reason").is_visible()
    history = view.part(".hops-timeline").evaluate("(n) => n.textContent")
    assert SHOWN_STATUS in history

    # the error banner, with server markup in the message
    nb.run_cell(3)
    banner = view.wait_until(lambda s: s.error is not None, "the error banner")
    assert "gateway" in banner.error and "<script>" in banner.error, banner.error

    # a click where a link would be does nothing either
    view.part(".hops-model").click()
    view.part(".hops-reason").click()
    for v, where in ((view, "the detail widget"), (rtl, "the RTL detail widget")):
        assert_inert(v.root, where)
    assert_not_pwned(nb.page, "the detail widget")
    # the widget's header lays each part out on its own: the RTL override stays inside the name
    assert rtl.part(".hops-model").evaluate(_LTR_JS) is True, "an RTL override in the name reordered the model"


def test_payloads_render_as_text_in_the_overview(open_lab):
    nb = open_lab(
        [
            cell0(
                "for name in NAMES.values():\n"
                "    sb.add_deployment(name, status='Running', model_name=MODEL)\n"
                "    sb.mutate(deployment=name, set={'condition.reason': REASON})"
            ),
            f"ov = hops_widgets.show(serving, {POLL})",
        ]
    )
    nb.run_all()
    output = nb.output(1)
    table = output.locator(OVERVIEW).first
    table.wait_for(state="visible", timeout=60_000)
    nb.wait_cells_done()
    expected = set(NAMES.values())
    deadline = time.monotonic() + 30
    rows = table.evaluate(_ROWS_JS)
    while not expected <= {r["name"] for r in rows}:
        assert time.monotonic() < deadline, f"the table never listed every payload: {rows}"
        time.sleep(0.1)
        rows = table.evaluate(_ROWS_JS)
    payload_rows = [r for r in rows if r["name"] in expected]
    assert len(payload_rows) == len(NAMES)
    for row in payload_rows:
        assert row["cell_name"] == visible(row["name"])  # the literal text, hidden characters written out
        assert row["model"] == f"{MODEL} v1"
        assert row["title"] == REASON[:300]  # the reason as a tooltip: an attribute value, as text
    assert_inert(table, "the overview table")

    # open the detail of the worst name from the table, as a user would
    row = table.locator("tr.hops-row").filter(has_text="onerror").first
    target = visible(row.evaluate("(tr) => tr.dataset.name"))  # as the detail shows it
    row.click()
    detail = output.locator(DETAIL).first
    detail.wait_for(state="visible", timeout=30_000)
    nb.page.wait_for_function(
        "([el, name]) => el.querySelector('.hops-name').textContent === name",
        arg=[detail.element_handle(), target],
        timeout=30_000,
    )
    assert text(detail.locator(".hops-reason")) == REASON
    assert_inert(detail, "the detail opened from the overview")
    assert_inert(table, "the overview after opening a detail")
    assert_not_pwned(nb.page, "the overview")


def test_payloads_stay_text_in_the_static_snapshot(open_lab, browser):
    nb = open_lab(
        [
            cell0(
                "sb.add_deployment(NAMES['breakout'], status='Running', model_name=MODEL)\n"
                "sb.add_deployment(NAMES['rtl'], status='Running', model_name='fraud_model')\n"
                "for name in (NAMES['breakout'], NAMES['rtl']):\n"
                "    sb.mutate(deployment=name, set={'condition.reason': REASON, 'status': STATUS})"
            ),
            f"w = hops_widgets.show(serving.get_deployment(NAMES['breakout']), {POLL})\n"
            f"w2 = hops_widgets.show(serving.get_deployment(NAMES['rtl']), {POLL})",
            "sb.http_error(500, message=ERROR)\n"
            "deadline = time.monotonic() + 20\n"
            "while not w.error and time.monotonic() < deadline:\n    time.sleep(0.05)",
        ]
    )
    nb.run_all()
    DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    # the text/html JupyterLab received with the display (nbviewer and GitHub would render this)...
    shown = [o["data"]["text/html"] for o in nb.outputs_json(1) if "text/html" in o.get("data", {})]
    assert len(shown) == 2, nb.outputs_json(1)
    # ...and the snapshot of the mime bundle now, with the error in it
    now = nb.kernel_json("[w._repr_mimebundle_()[0]['text/html'], w2._repr_mimebundle_()[0]['text/html']]")
    assert "gateway" in now[0]

    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for label, html in (("displayed", shown[0]), ("displayed rtl", shown[1]), ("now", now[0]), ("now rtl", now[1])):
            page.set_content(f"<!doctype html><meta charset=utf-8><body>{html}</body>")
            root = page.locator(".hops-snapshot")
            assert root.count() == 1, label
            assert_inert(root, f"the {label} snapshot")
            assert_not_pwned(page, f"the {label} snapshot", settle_s=0.5)
            name = text(root.locator(".hops-name"))
            assert name in (NAMES["breakout"], strip_hidden(NAMES["rtl"])), (label, name)
            # hidden control characters are dropped from static HTML; the rest is the literal text
            assert text(root.locator(".hops-reason")) == strip_hidden(REASON[:500])
            assert not any(c in html for c in "\u202e\u202c\u200b\u2060"), label
            assert text(root.locator(".hops-badge")) == SHOWN_STATUS
            assert root.get_attribute("data-status") == SHOWN_STATUS
            if name == NAMES["breakout"]:
                assert text(root.locator(".hops-model")) == MODEL
            if label == "now":
                assert ERROR.split(" gateway")[0] in text(root.locator(".hops-error"))
        assert errors == [], f"the snapshot page logged errors: {errors}"
        # The name and the model share one line of inline text in the snapshot: <bdi> keeps an RTL
        # override in the name from reordering the model shown after it.
        page.set_content(f"<!doctype html><meta charset=utf-8><body>{now[1]}</body>")
        ltr = page.locator(".hops-snapshot .hops-model bdi").evaluate(_LTR_JS)
        assert ltr is True, "an RTL override in the name reordered the model in the snapshot"
    finally:
        context.close()
