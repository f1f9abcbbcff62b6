"""The Logs section in real JupyterLab: it opens by itself on a failed start with the traceback,
follows new lines as requests arrive, switches component, filters, and shows payloads as text."""

from __future__ import annotations

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView

pytestmark = pytest.mark.e2e

LINES = ".hops-logs .hops-log-lines .hops-log-line"


def shown_lines(view: DeploymentView) -> list[str]:
    return view.root.evaluate(
        "(root) => Array.from(root.querySelectorAll('.hops-log-lines .hops-log-line'))"
        ".filter(l => !l.hidden).map(l => l.textContent)"
    )


def wait_lines(view: DeploymentView, predicate, what: str, timeout_s: float = 20) -> list[str]:
    deadline = view.nb.page.evaluate("() => performance.now()") + timeout_s * 1000
    lines = shown_lines(view)
    while not predicate(lines):
        if view.nb.page.evaluate("() => performance.now()") > deadline:
            raise AssertionError(f"the logs never showed {what}; last {len(lines)} lines: {lines[-8:]}")
        view.nb.page.wait_for_timeout(100)
        lines = shown_lines(view)
    return lines


def test_a_failed_start_opens_the_predictor_logs_on_the_traceback(open_lab):
    nb = open_lab(
        [
            SETUP + 'sb.fail("churnmodel", step="STARTED", reason="the predictor script raised an error")',
            f'd = serving.get_deployment("churnmodel")\nw = hops_widgets.show(d, {POLL})',
            "d.start(await_running=0)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("CREATED")
    logs = view.part("details.hops-logs")
    assert logs.evaluate("d => d.open") is False, "Logs start closed"
    assert nb.kernel_json("w._logs.requests") == 0, "closed: no log request at all"

    nb.run_cell(2)
    view.wait_status("FAILED", timeout_s=30)
    nb.page.wait_for_function("(d) => d.open", arg=logs.element_handle(), timeout=15_000)
    lines = wait_lines(view, lambda ls: any("ModuleNotFoundError" in x for x in ls), "the traceback")
    assert any(x.startswith("Traceback (most recent call last)") for x in lines), lines[-10:]
    assert view.part('.hops-logs-components [data-component="predictor"]').get_attribute("aria-pressed") == "true"
    link = view.part(".hops-to-logs")
    assert link.is_visible() and link.inner_text() == "Show the predictor logs"
    # the static snapshot saved with the notebook carries the last lines too
    html = nb.kernel_json("w._repr_mimebundle_()[0]['text/html']")
    assert "ModuleNotFoundError" in html and "Last " in html


def test_follow_shows_new_lines_switch_component_filter_and_payloads_stay_text(open_lab):
    payload = "<img src=x onerror=window.__pwned=1> \x1b[31mred alert\x1b[0m after"
    nb = open_lab(
        [
            SETUP,
            f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',
            'for _ in range(3):\n    sb.predict("frauddetector")',
            f'sb.append_log("frauddetector", {payload!r})',
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("RUNNING")
    view.part("details.hops-logs > summary").click()
    before = wait_lines(view, lambda ls: len(ls) > 0, "the first lines")

    nb.run_cell(2)  # inference requests print lines; following, the view shows them without a click
    wait_lines(view, lambda ls: len(ls) >= len(before) + 3, "three new request lines")

    nb.run_cell(3)
    wait_lines(view, lambda ls: any("red alert" in x for x in ls), "the payload line")
    assert view.root.locator(".hops-log-lines img").count() == 0
    assert nb.page.evaluate("() => window.__pwned") is None
    red = view.part(".hops-log-lines .hops-ansi-31")
    assert red.count() == 1 and red.inner_text() == "red alert", "the colour code became a class, not text"
    assert "\x1b" not in "".join(shown_lines(view)), "no raw escape codes on screen"

    view.part(".hops-logs-filter").fill("red alert")
    assert wait_lines(view, lambda ls: len(ls) == 1, "only the filtered line")[0].startswith("<img src=x")
    view.part(".hops-logs-filter").fill("")

    view.part('.hops-logs-components [data-component="transformer"]').click()
    lines = wait_lines(view, lambda ls: ls and all("red alert" not in x for x in ls), "the transformer's lines")
    instances = view.root.evaluate(
        "(root) => Array.from(root.querySelectorAll('.hops-log-line')).map(l => l.dataset.instance)"
    )
    assert instances and all("transformer" in i for i in instances), instances
    assert nb.kernel_json("w._logs.component") == "transformer" and lines

    # closed again: the kernel stops asking
    view.part("details.hops-logs > summary").click()
    nb.page.wait_for_timeout(500)
    asked = nb.kernel_json("w._logs.requests")
    nb.page.wait_for_timeout(2500)
    assert nb.kernel_json("w._logs.requests") == asked, "closed: no more log requests"
