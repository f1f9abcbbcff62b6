"""Scenarios in JupyterLab: two views of one widget, faults and recovery, scale-to-zero, failures,
light and dark themes. Each notebook starts its own sandbox in the kernel and scripts it."""

from __future__ import annotations

import re

import pytest

from .e2e_hops import POLL, SETUP, TRAITS, DeploymentView, assert_matches_kernel, describe, save_trace
from .e2e_notebook import DARK_THEME, LIGHT_THEME

pytestmark = pytest.mark.e2e

# Effective colours, composited by the browser itself on a 1x1 canvas: every background from the
# first opaque ancestor down to the element, then the text colour on top.
_CONTRAST_JS = """
(el) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const layers = [];
  for (let n = el; n; n = n.parentElement) {
    const bg = getComputedStyle(n).backgroundColor;
    layers.push(bg);
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = bg; ctx.fillRect(0, 0, 1, 1);
    if (ctx.getImageData(0, 0, 1, 1).data[3] === 255) break;
  }
  ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, 1, 1);  // the page under everything
  for (const bg of layers.reverse()) { ctx.fillStyle = bg; ctx.fillRect(0, 0, 1, 1); }
  const bg = Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3));
  ctx.fillStyle = getComputedStyle(el).color; ctx.fillRect(0, 0, 1, 1);
  const fg = Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3));
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return {fg, bg, ratio: (hi + 0.05) / (lo + 0.05), bgLum: lum(bg)};
}
"""


def contrast(view: DeploymentView, selector: str) -> dict:
    return view.root.locator(selector).first.evaluate(_CONTRAST_JS)


def test_two_views_of_one_widget_stay_in_sync(open_lab):
    nb = open_lab(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("churnmodel"), {POLL})',
            "w",  # the same widget object again: a second view of one model
        ]
    )
    nb.run_all()
    first = DeploymentView.wait(nb, 1)
    second = DeploymentView.wait(nb, 2)
    nb.wait_cells_done()
    assert nb.output(1).locator(".hops-deployment").count() == 1, "show() displayed the widget twice in its cell"
    before = first.wait_status("CREATED")
    assert second.snapshot().status == "CREATED"
    assert second.button("start").is_enabled()

    first.record()
    second.record()
    second.button("start").click()  # an action from one view...
    first.wait_status("RUNNING", timeout_s=30)  # ...is followed by the other
    second.wait_status("RUNNING", timeout_s=5)
    log1, log2 = first.stop_recording(), second.stop_recording()
    save_trace("lab-two-views-first", log1)
    save_trace("lab-two-views-second", log2)
    assert any(s.status == "STARTING" for s in log1), describe(log1)
    assert any(s.status == "STARTING" for s in log2), describe(log2)
    a, b = first.snapshot(), second.snapshot()
    a.t = b.t = 0.0
    assert a == b, f"views differ:\n{a}\n{b}"
    assert a.message != before.message and a.predictor != before.predictor
    assert_matches_kernel(first, nb.kernel_json(TRAITS))


def test_error_banner_while_503_then_recovery(open_lab):
    nb = open_lab(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("frauddetector"), {POLL}, backoff_min_s=0.5, '
            "backoff_max_s=1)",
            'fault = sb.http_error(503, deployment="frauddetector")',
            "sb.clear_fault(fault)",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    good = view.wait_status("RUNNING")
    assert good.error is None
    assert view.part(".hops-error").get_attribute("hidden") is not None

    view.record()
    nb.run_cell(2)
    failing = view.wait_until(lambda s: s.error is not None, "the error banner", timeout_s=20)
    traits = nb.kernel_json("dict(error=w.error, polling=w.polling)")
    assert traits["error"] and traits["error"] in failing.error
    assert "503" in failing.error or "unavailable" in failing.error.lower(), failing.error
    assert view.part(".hops-error").get_attribute("role") == "alert"
    # The last good state stays on screen under the banner.
    assert (failing.status, failing.badge, failing.predictor) == (good.status, good.badge, good.predictor)
    assert traits["polling"] == "backoff", traits
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", failing.error), f"no time of the last good update: {failing.error!r}"
    # Several failed polls later (backoff is at most 1 s + jitter) the banner is still up: no flicker.
    nb.page.wait_for_timeout(2500)
    log = view.recorded()
    first_error = next(i for i, s in enumerate(log) if s.error)
    assert all(s.error for s in log[first_error:]), describe(log)

    nb.run_cell(3)
    recovered = view.wait_until(lambda s: s.error is None, "the banner gone after recovery", timeout_s=20)
    nb.wait_cells_done()
    save_trace("lab-503-recovery", view.stop_recording())
    assert recovered.status == "RUNNING"
    assert view.part(".hops-error").get_attribute("hidden") is not None
    assert_matches_kernel(view, nb.kernel_json(TRAITS))


def test_scale_to_zero_idles_with_zero_instances_then_cold_start(open_lab):
    nb = open_lab(
        [
            SETUP + "sb.set_timing(retention_s=3)",
            f'd = serving.get_deployment("recommender")\nw = hops_widgets.show(d, {POLL})',
            'sb.predict("recommender")',
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.record()
    idle = view.wait_status("IDLE", timeout_s=20)
    assert idle.badge == "Idle" and idle.tone == "idle", idle  # healthy, not an error or warning
    assert idle.predictor is not None and idle.predictor.startswith("0 of "), idle
    assert idle.scale_to_zero and idle.error is None
    assert all(step.endswith(":done") for step in idle.steps.split()), idle.steps
    assert_matches_kernel(view, nb.kernel_json(TRAITS))
    nb.screenshot(view.root, "widget-idle")

    nb.run_cell(2)  # a request wakes it: cold start, then RUNNING with an instance
    awake = view.wait_status("RUNNING", timeout_s=20)
    log = view.stop_recording()
    trace = save_trace("lab-scale-to-zero", log)
    statuses = [s.status for s in log]
    assert statuses.index("IDLE") < len(statuses) - 1 - statuses[::-1].index("RUNNING"), trace
    assert awake.predictor is not None and not awake.predictor.startswith("0 of "), trace


def test_failure_shows_its_reason_as_text(open_lab):
    reason = "<b>predictor.py</b> exited & said <script>alert(1)</script>"
    nb = open_lab(
        [
            SETUP + 'settle("frauddetector", "stop", "Stopped")',
            f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',
            f'big = hops_widgets.show(serving.get_deployment("bigllm"), {POLL})',
            f'sb.fail("frauddetector", step="STARTED", reason={reason!r})\nd.start(await_running=0)',
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    big = DeploymentView.wait(nb, 2)
    nb.wait_cells_done()

    # The seeded deployment that cannot be scheduled.
    seeded = big.wait_status("FAILED")
    expected = nb.kernel_json('sb.deployment("bigllm")["condition"]')
    assert seeded.badge == "Failed" and seeded.tone == "error"
    assert seeded.reason == expected["reason"]
    assert "SCHEDULED:failed" in seeded.steps.split(), seeded.steps

    # A failure injected while starting, with markup in its reason.
    failed = view.wait_status("FAILED", timeout_s=30)
    assert failed.reason == reason, "the reason must be shown verbatim, as text"
    assert view.part(".hops-reason *").count() == 0, "server text was rendered as HTML"
    assert "STARTED:failed" in failed.steps.split(), failed.steps
    assert failed.message not in (seeded.message, "")
    assert_matches_kernel(view, nb.kernel_json(TRAITS))
    nb.screenshot(big.root, "widget-failed")


def test_light_and_dark_theme(open_lab):
    nb = open_lab(
        [
            SETUP,
            f'w = hops_widgets.show(serving.get_deployment("frauddetector"), {POLL})',
            f'big = hops_widgets.show(serving.get_deployment("bigllm"), {POLL})',
        ]
    )
    nb.run_all()
    views = {"running": DeploymentView.wait(nb, 1), "failed": DeploymentView.wait(nb, 2)}
    nb.wait_cells_done()
    views["running"].wait_status("RUNNING")
    views["failed"].wait_status("FAILED")

    measured = {}
    for theme, slug in ((LIGHT_THEME, "light"), (DARK_THEME, "dark")):
        if nb.theme() != theme:
            nb.set_theme(theme)
        for kind, view in views.items():
            nb.screenshot(view.root, f"widget-{kind}-{slug}", docs=(kind, slug) == ("running", "dark"))
            for part in (".hops-name", ".hops-message", ".hops-badge-text", ".hops-reason", ".hops-count"):
                measured[(slug, kind, part)] = contrast(view, part)

    def below_aa(parts):
        return [
            f"{slug}/{kind} {part}: {m['ratio']:.2f}:1 (text rgb{tuple(m['fg'])} on rgb{tuple(m['bg'])})"
            for (slug, kind, part), m in measured.items()
            if part in parts and m["ratio"] < 4.5
        ]

    # The widget follows the theme: a dark background under the dark theme, light under the light one.
    assert measured[("light", "running", ".hops-message")]["bgLum"] > 0.5
    assert measured[("dark", "running", ".hops-message")]["bgLum"] < 0.2
    text = below_aa((".hops-name", ".hops-message", ".hops-reason", ".hops-count", ".hops-badge-text"))
    assert not text, "text below WCAG AA contrast (4.5:1):\n" + "\n".join(text)
