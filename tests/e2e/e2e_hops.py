"""The deployment widget's DOM contract, in one place, and a recorder of what the page showed.

Selectors follow ``js/widget.js``: root ``.hops-deployment[data-status][data-tone]``, badge
``.hops-badge`` (label in ``.hops-badge-text``), ``.hops-message``, ``.hops-reason``,
``.hops-steps .hops-step[data-type][data-state]``, ``.hops-instances [data-role] .hops-count``,
``.hops-scale-to-zero``, ``.hops-updated``, ``.hops-error``, ``button[data-action]``.

The recorder is a MutationObserver in the page: it keeps every distinct picture of the widget
(with a timestamp, and the prompt of a chosen cell), so a test sees transient states that a
Python polling loop could miss, and can tell which of them appeared while a cell was running.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .e2e_notebook import ARTIFACTS, NotebookPage

ROOT = ".hops-deployment"

# Polling fast enough that a test sees every step of a transition at speed 1 (steps of 0.75 s).
POLL = "fast_s=0.2, stable_s=0.5"

SETUP = """
import time
import hops_widgets
from hops_widgets import sandbox

sb = sandbox.start(speed=1)
serving = sb.login().get_model_serving()

def settle(name, action, status, speed=1, timeout=20):
    '''Stop or start `name` on a fast-forwarded clock until it is `status`, then restore `speed`.'''
    sb.set_speed(200)
    try:
        getattr(sb, action + "_deployment")(name)
        deadline = time.monotonic() + timeout
        while sb.status(name) != status:
            assert time.monotonic() < deadline, (name, sb.status(name))
            time.sleep(0.02)
    finally:
        sb.set_speed(speed)
"""

# The traits the view renders, as the kernel holds them (the truth the page must match).
TRAITS = (
    "dict(status=w.status, label=w.status_label, message=w.message, reason=w.condition_reason, "
    "name=w.name, model_name=w.model_name, model_version=w.model_version, "
    "pa=w.predictor_available, pr=w.predictor_requested, has_t=w.has_transformer, "
    "ta=w.transformer_available, tr=w.transformer_requested, s2z=w.scale_to_zero, error=w.error)"
)


# One picture of the widget, computed in the page. `prompt` is the input prompt text of the
# watched cell ("[*]:" while it runs), or null.
_SNAPSHOT_JS = """
(root, promptNode) => {
  const q = (sel) => root.querySelector(sel);
  const text = (sel) => { const n = q(sel); return n ? n.textContent.trim() : null; };
  const shown = (sel) => { const n = q(sel); return !!n && !n.hidden && n.getClientRects().length > 0; };
  const badge = q('.hops-badge');
  return {
    status: root.dataset.status || null,
    tone: root.dataset.tone || null,
    badge: text('.hops-badge-text') ?? text('.hops-badge'),
    badge_role: badge ? badge.getAttribute('role') : null,
    badge_live: badge ? badge.getAttribute('aria-live') : null,
    name: text('.hops-name'),
    model: text('.hops-model'),
    message: text('.hops-message'),
    reason: shown('.hops-reason') ? text('.hops-reason') : '',
    steps: Array.from(root.querySelectorAll('.hops-steps .hops-step'))
      .map(s => `${s.dataset.type}:${s.dataset.state}`).join(' '),
    predictor: text('.hops-instances [data-role="predictor"] .hops-count'),
    transformer: shown('.hops-instances [data-role="transformer"]')
      ? text('.hops-instances [data-role="transformer"] .hops-count') : null,
    scale_to_zero: shown('.hops-scale-to-zero'),
    error: shown('.hops-error') ? text('.hops-error') : null,
    prompt: promptNode ? promptNode.textContent.trim() : null,
  };
}
"""

_RECORD_JS = (
    """
(root, [key, promptSelector]) => {
  const snapshot = """
    + _SNAPSHOT_JS
    + """;
  const promptNode = promptSelector ? document.querySelector(promptSelector) : null;
  const log = [];
  let last = '';
  const take = () => {
    const s = snapshot(root, promptNode);
    const k = JSON.stringify(s);
    if (k !== last) { last = k; s.t = performance.now(); log.push(s); }
  };
  const obs = new MutationObserver(take);
  const opts = {subtree: true, childList: true, characterData: true, attributes: true};
  obs.observe(root, opts);
  if (promptNode) obs.observe(promptNode, opts);
  take();
  window.__hopsRecorders = window.__hopsRecorders || {};
  window.__hopsRecorders[key] = {log, obs};
  return true;
}
"""
)


@dataclass
class Snapshot:
    status: str | None
    tone: str | None
    badge: str | None
    badge_role: str | None
    badge_live: str | None
    name: str | None
    model: str | None
    message: str | None
    reason: str
    steps: str
    predictor: str | None
    transformer: str | None
    scale_to_zero: bool
    error: str | None
    prompt: str | None
    t: float = 0.0

    @property
    def cell_running(self) -> bool:
        return self.prompt is not None and "*" in self.prompt


class DeploymentView:
    """One rendered ``.hops-deployment`` in a cell output."""

    def __init__(self, nb: NotebookPage, cell_index: int, nth: int = 0):
        self.nb = nb
        self.cell_index = cell_index
        self.root: Locator = nb.output(cell_index).locator(ROOT).nth(nth)
        self._recorder_key: str | None = None

    @classmethod
    def wait(cls, nb: NotebookPage, cell_index: int, nth: int = 0, timeout_s: float = 60) -> DeploymentView:
        view = cls(nb, cell_index, nth)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                view.root.wait_for(state="visible", timeout=500)
                return view
            except PlaywrightTimeout:
                # A failing cell will never show the widget: say why at once.
                nb.assert_no_error_outputs()
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"no {ROOT} in cell {cell_index} after {timeout_s} s; outputs: {nb.outputs_json(cell_index)}"
                    ) from None

    def part(self, selector: str) -> Locator:
        return self.root.locator(selector)

    def button(self, action: str) -> Locator:
        return self.root.locator(f'button[data-action="{action}"]')

    def snapshot(self) -> Snapshot:
        return Snapshot(**self.root.evaluate(f"(root) => ({_SNAPSHOT_JS})(root, null)"))

    def wait_until(self, predicate, what: str, timeout_s: float = 30) -> Snapshot:
        """Wait until ``predicate(snapshot)`` holds; the failure message shows the last picture."""
        deadline = time.monotonic() + timeout_s
        snap = self.snapshot()
        while not predicate(snap):
            if time.monotonic() > deadline:
                raise AssertionError(f"widget never showed {what} in {timeout_s} s; last: {snap}")
            time.sleep(0.05)
            snap = self.snapshot()
        return snap

    def wait_status(self, status: str, timeout_s: float = 30) -> Snapshot:
        return self.wait_until(lambda s: s.status == status, f"status {status}", timeout_s)

    # -- recording ----------------------------------------------------------------------

    def record(self, prompt_of_cell: int | None = None) -> None:
        """Start recording every distinct picture of this view (and a cell's prompt)."""
        prompt_selector = None
        if prompt_of_cell is not None:
            cell = self.nb.cell(prompt_of_cell)
            cell_key = cell.get_attribute("data-e2e-cell")
            prompt_selector = f'[data-e2e-cell="{cell_key}"] .jp-InputPrompt'
        self._recorder_key = f"rec-{id(self)}-{time.monotonic_ns()}"
        self.root.evaluate(_RECORD_JS, [self._recorder_key, prompt_selector])

    def recorded(self) -> list[Snapshot]:
        assert self._recorder_key, "call record() first"
        raw = self.nb.page.evaluate("(key) => window.__hopsRecorders[key].log", self._recorder_key)
        return [Snapshot(**s) for s in raw]

    def stop_recording(self) -> list[Snapshot]:
        log = self.recorded()
        self.nb.page.evaluate(
            "(key) => { window.__hopsRecorders[key].obs.disconnect(); delete window.__hopsRecorders[key]; }",
            self._recorder_key,
        )
        self._recorder_key = None
        return log


def describe(log: list[Snapshot]) -> str:
    """A readable trace of a recording, for assertion messages."""
    if not log:
        return "(nothing recorded)"
    t0 = log[0].t
    lines = []
    for s in log:
        lines.append(
            f"+{(s.t - t0) / 1000:6.2f}s {s.status!s:9} badge={s.badge!r} pred={s.predictor} "
            f"trans={s.transformer} prompt={s.prompt!r} steps=[{s.steps}] msg={s.message!r}"
            + (f" error={s.error!r}" if s.error else "")
        )
    return "\n".join(lines)


def save_trace(name: str, log: list[Snapshot]) -> str:
    """Write a recording to artifacts/traces/<name>.txt (for looking at after a run); returns it."""
    text = describe(log)
    path = ARTIFACTS / "traces" / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return text


def count(available, requested) -> str:
    return f"{'?' if available is None else available}/{'?' if requested is None else requested}"


def assert_matches_kernel(view: DeploymentView, traits: dict) -> None:
    """The page shows exactly what the kernel's widget holds."""
    snap = view.snapshot()
    assert snap.status == traits["status"]
    assert snap.badge == traits["label"]
    assert snap.message == traits["message"]
    assert snap.reason == traits["reason"]
    assert snap.name == traits["name"]
    assert traits["model_name"] in (snap.model or "")
    assert snap.predictor == count(traits["pa"], traits["pr"])
    if traits["has_t"]:
        assert snap.transformer == count(traits["ta"], traits["tr"])
    else:
        assert snap.transformer is None, "transformer row shown for a deployment without one"
    assert snap.scale_to_zero == traits["s2z"]
    assert snap.error is None if not traits["error"] else traits["error"] in snap.error
    assert snap.badge_role == "status" and snap.badge_live == "polite"
