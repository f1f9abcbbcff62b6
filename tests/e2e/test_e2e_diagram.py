"""``hops_widgets.diagram(deployment)`` in real JupyterLab: the diagrams follow a start live
(the highlighted status and step change while the kernel is idle), a failure lights its branch,
and the pictures for the README are taken with a 60-character name, light and dark."""

from __future__ import annotations

import time

import pytest

from .e2e_hops import POLL, SETUP, lit

pytestmark = pytest.mark.e2e

LONG_NAME = "customerLifetimeValueForecasterEuWestProductionV2release0001"  # 60 characters


# the root's widths, and the elements that reach past its right edge (what to fix when it overflows)
_WIDEST_JS = """
(el) => {
  const right = el.getBoundingClientRect().right;
  const past = Array.from(el.querySelectorAll("*"))
    .filter((n) => n.getBoundingClientRect().right > right + 1)
    .slice(0, 5)
    .map((n) => `${n.tagName.toLowerCase()}.${n.className.baseVal ?? n.className}: ${n.textContent.slice(0, 60)}`);
  return { scroll: el.scrollWidth, client: el.clientWidth, past };
}
"""


def test_diagram_follows_a_start_live_and_marks_a_failure(open_lab):
    assert len(LONG_NAME) == 60
    nb = open_lab(
        [
            SETUP
            + f"sb.add_deployment({LONG_NAME!r}, model_name='clv_model', model_version=3, status='Stopped')\n"
            + f"sb.set_timing(step_s=3)\nd = serving.get_deployment({LONG_NAME!r})",
            f"dia = hops_widgets.diagram(d, {POLL})",
            "d.start(await_running=0)",
            f"sb.fail({LONG_NAME!r}, step='STARTED', reason='predictor.py exited with code 1')\n"
            "d.stop(await_stopped=0)\ndia.wait_for('STOPPED', timeout=60)\nd.start(await_running=0)",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 1100})
    nb.run_cell(0)
    nb.run_cell(1)
    root = nb.output(1).locator(".hops-diagram-view").first
    root.wait_for(state="visible", timeout=60_000)
    root.locator(".hops-dia-node").first.wait_for(timeout=20_000)  # the layout came, once asked
    assert lit(root) == {"status": "STOPPED", "start": "", "stop": "STOPPED/true"}
    nb.wait_cells_done()

    # the start runs while the kernel is idle: each highlight seen comes from a background update
    seen: list[dict[str, str]] = [lit(root)]
    nb.run_cell(2)
    nb.wait_cells_done()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = lit(root)
        if not seen or seen[-1] != now:
            seen.append(now)
        if now["status"] == "RUNNING":
            break
        time.sleep(0.05)
    statuses = [s["status"] for s in seen]
    assert statuses[0] == "STOPPED" and "STARTING" in statuses and statuses[-1] == "RUNNING", seen
    steps = [s["start"] for s in seen if s["start"]]
    assert steps[-1] == "READY/true" and len(set(steps)) >= 4, seen  # the step moved along the start path
    assert root.locator('.hops-dia-edge[data-state=last][data-id="STARTING>RUNNING"]').count() == 1
    label = root.locator(".hops-dia-figure[data-diagram=status] svg").get_attribute("aria-label")
    assert label.startswith("Status: now Running.") and "Stopped → Starting → Running" in label, label
    sizes = root.evaluate(_WIDEST_JS)
    if sizes["scroll"] > sizes["client"] + 1:
        nb.screenshot(root, "diagram-running-overflow")
    assert sizes["scroll"] <= sizes["client"] + 1, sizes  # the 60-character name and the SVGs fit
    nb.screenshot(root, "diagram-running", docs=True)

    nb.run_cell(3)
    nb.wait_cells_done(timeout_s=90)
    root.locator('.hops-dia-figure[data-diagram=status] .hops-dia-node[data-state=current][data-id="FAILED"]').wait_for(
        timeout=60_000
    )
    assert lit(root)["start"] == "STARTED/false"
    failed = root.locator('.hops-dia-node[data-state=current][data-id="STARTED/false"]')
    assert failed.get_attribute("data-tone") == "error"
    assert root.locator('.hops-dia-edge[data-id="STARTED/unknown>STARTED/false"]').get_attribute("data-state") in (
        "taken",
        "last",
    )
    nb.screenshot(root, "diagram-failed", docs=True)

    from .e2e_notebook import DARK_THEME

    nb.set_theme(DARK_THEME)
    nb.screenshot(root, "diagram-failed-dark", docs=True)
