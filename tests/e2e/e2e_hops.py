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


def _wait_visible(nb: NotebookPage, view, selector: str, cell_index: int, timeout_s: float):
    """Wait until ``view.root`` shows; a failing cell never will, so say why at once."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            view.root.wait_for(state="visible", timeout=500)
            return view
        except PlaywrightTimeout:
            nb.assert_no_error_outputs()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {selector} in cell {cell_index} after {timeout_s} s; outputs: {nb.outputs_json(cell_index)}"
                ) from None


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
        return _wait_visible(nb, view, ROOT, cell_index, timeout_s)

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
    """The instance count as the view writes it: pods that exist (any phase) of the requested."""
    pods = "pod" if requested == 1 else "pods"
    return f"{'?' if available is None else available} of {'?' if requested is None else requested} {pods}"


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


# -- additions: expected stepper pictures, a page-wide recorder, buttons, the overview table -----

# The stepper of a start, picture by picture (js/widget.js renders `type:state` per step):
# every step is first active, then done; Running is READY done.
# The backend never sends SCHEDULED, INITIALIZED or STARTED as True: a done step is replaced by the next
# step's Unknown, so the stepper goes from one active step to the next with no "done, next pending" picture.
START_PICTURES = (
    "SCHEDULED:done STOPPED:done",  # Stopped (the stop path, all done)
    "SCHEDULED:active INITIALIZED:pending STARTED:pending READY:pending",
    "SCHEDULED:done INITIALIZED:active STARTED:pending READY:pending",
    "SCHEDULED:done INITIALIZED:done STARTED:active READY:pending",
    "SCHEDULED:done INITIALIZED:done STARTED:done READY:active",
    "SCHEDULED:done INITIALIZED:done STARTED:done READY:done",  # Running
)
# The stepper of a stop, from Running.
STOP_PICTURES = (
    "SCHEDULED:done INITIALIZED:done STARTED:done READY:done",
    "SCHEDULED:active STOPPED:pending",
    "SCHEDULED:done STOPPED:active",
    "SCHEDULED:done STOPPED:done",
)


def traits_of(var: str) -> str:
    """``TRAITS`` for the widget held in kernel variable ``var`` (TRAITS itself reads ``w``)."""
    return TRAITS.replace("=w.", f"={var}.")


def runs(values) -> list:
    """``values`` with consecutive repeats collapsed: the sequence of distinct pictures."""
    out: list = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out


# Every detail widget in the page (overview tables excluded), recorded from before it exists:
# one observer on the document, so a picture shown between two Python polls of the page, or
# before a test could find the element, is not missed. Each entry names its view (`view`).
_PAGE_RECORD_JS = (
    """
(key) => {
  const snapshot = """
    + _SNAPSHOT_JS
    + """;
  const SEL = '.hops-deployment:not(.hops-overview)';
  const log = [];
  const last = new WeakMap();
  const ids = new WeakMap();
  let nextId = 1;
  const take = (root) => {
    if (!root.isConnected) return;
    if (!ids.has(root)) ids.set(root, nextId++);
    const s = snapshot(root, null);
    const k = JSON.stringify(s);
    if (last.get(root) !== k) { last.set(root, k); s.t = performance.now(); s.view = ids.get(root); log.push(s); }
  };
  const obs = new MutationObserver((records) => {
    const roots = new Set();
    for (const r of records) {
      const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const root = node && node.closest(SEL);
      if (root) { roots.add(root); continue; }
      for (const added of r.addedNodes) {
        if (added.nodeType !== 1) continue;
        if (added.matches(SEL)) roots.add(added);
        added.querySelectorAll(SEL).forEach((n) => roots.add(n));
      }
    }
    roots.forEach(take);
  });
  obs.observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ['data-status', 'data-tone', 'data-state', 'data-type', 'hidden', 'class', 'role', 'aria-live'],
  });
  document.querySelectorAll(SEL).forEach(take);
  window.__hopsRecorders = window.__hopsRecorders || {};
  window.__hopsRecorders[key] = {log, obs};
  return true;
}
"""
)


class PageRecorder:
    """Records every distinct picture of every detail widget in the page, by view and name."""

    def __init__(self, page):
        self.page = page
        self.key = f"page-{time.monotonic_ns()}"
        page.evaluate(_PAGE_RECORD_JS, self.key)

    def log(self, name: str | None = None) -> list[Snapshot]:
        """Pictures of widgets showing deployment ``name`` (all if None), oldest first."""
        raw = self.page.evaluate("(key) => window.__hopsRecorders[key].log", self.key)
        out = []
        for s in raw:
            s.pop("view", None)
            if name is None or s.get("name") == name:
                out.append(Snapshot(**s))
        return out

    def views(self, name: str) -> set[int]:
        raw = self.page.evaluate("(key) => window.__hopsRecorders[key].log", self.key)
        return {s["view"] for s in raw if s.get("name") == name}

    def stop(self) -> None:
        self.page.evaluate(
            "(key) => { window.__hopsRecorders[key].obs.disconnect(); delete window.__hopsRecorders[key]; }", self.key
        )


# Start and Stop buttons with the status beside them, one entry per distinct picture.
_BUTTONS_RECORD_JS = """
(root, key) => {
  const b = (a) => root.querySelector(`button[data-action="${a}"]`);
  const pic = (btn) => btn ? {disabled: btn.disabled, pending: btn.classList.contains('hops-pending'),
                              busy: btn.getAttribute('aria-busy')} : null;
  const log = [];
  let last = '';
  const take = () => {
    const s = {status: root.dataset.status || null, start: pic(b('start')), stop: pic(b('stop'))};
    const k = JSON.stringify(s);
    if (k !== last) { last = k; s.t = performance.now(); log.push(s); }
  };
  const obs = new MutationObserver(take);
  obs.observe(root, {subtree: true, attributes: true, childList: true});
  take();
  window.__hopsRecorders = window.__hopsRecorders || {};
  window.__hopsRecorders[key] = {log, obs};
  return true;
}
"""


class ButtonRecorder:
    """Records the Start/Stop buttons (disabled, hops-pending, aria-busy) of one detail view."""

    def __init__(self, view: DeploymentView):
        self.page = view.nb.page
        self.key = f"buttons-{time.monotonic_ns()}"
        view.root.evaluate(_BUTTONS_RECORD_JS, self.key)

    def log(self) -> list[dict]:
        return self.page.evaluate("(key) => window.__hopsRecorders[key].log", self.key)

    def stop(self) -> list[dict]:
        log = self.log()
        self.page.evaluate(
            "(key) => { window.__hopsRecorders[key].obs.disconnect(); delete window.__hopsRecorders[key]; }", self.key
        )
        return log


# -- the state diagrams (section `diagram` in js/widget.js) ----------------------------------------------

_LIT_JS = """(root) => Object.fromEntries([...root.querySelectorAll('.hops-dia-figure')].map(f => [f.dataset.diagram,
    [...f.querySelectorAll('.hops-dia-node[data-state=current]')].map(n => n.dataset.id).join(',')]))"""


def lit(root: Locator) -> dict[str, str]:
    """Per diagram (status, start, stop), the id of the node lit as current ("" for none)."""
    return root.evaluate(_LIT_JS)


def open_diagrams(root: Locator, timeout_s: float = 20) -> None:
    """Unfold a detail's "State diagram" section and wait for its pictures (the layout is asked for then)."""
    root.locator(".hops-diagram > summary").first.click()
    root.locator(".hops-dia-node").first.wait_for(timeout=timeout_s * 1000)


def wait_lit(root: Locator, want: dict[str, str], timeout_s: float = 30) -> dict[str, str]:
    """Wait until the diagrams light ``want`` (a subset of :func:`lit`); returns what they light."""
    deadline = time.monotonic() + timeout_s
    now = lit(root)
    while any(now.get(k) != v for k, v in want.items()):
        if time.monotonic() > deadline:
            raise AssertionError(f"diagrams light {now}, not {want}")
        time.sleep(0.1)
        now = lit(root)
    return now


def edge_state(root: Locator, edge: str) -> str | None:
    """How the status diagram draws one move ("taken", "last", "" or None when absent)."""
    return root.locator(f'.hops-dia-figure[data-diagram=status] .hops-dia-edge[data-id="{edge}"]').first.get_attribute(
        "data-state"
    )


# -- the overview table (renderOverview in js/widget.js) ----------------------------------------------------

OVERVIEW = ".hops-overview"
DETAIL = ".hops-deployment:not(.hops-overview)"
# js/widget.js (overview): what needs attention first when sorting by status.
STATUS_ORDER = ["FAILED", "STARTING", "UPDATING", "STOPPING", "CREATING", "RUNNING", "IDLE", "CREATED", "STOPPED"]

_ROWS_JS = """
(root) => Array.from(root.querySelectorAll('tbody tr.hops-row')).map(tr => ({
  name: tr.dataset.name,
  status: tr.dataset.status,
  selected: tr.getAttribute('aria-selected'),
  badge: (tr.querySelector('.hops-badge-text') || {}).textContent || null,
  badge_class: (tr.querySelector('.hops-badge') || {}).className || null,
  cell_name: (tr.querySelector('.hops-cell-name') || {}).textContent || null,
  instances: (tr.querySelector('.hops-cell-instances') || {}).textContent || null,
  start: (() => { const b = tr.querySelector('button[data-action="start"]');
                  return b ? {disabled: b.disabled, pending: b.classList.contains('hops-pending')} : null; })(),
}))
"""


def status_sort_key(row: dict) -> tuple:
    status = row["status"]
    return (STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER), row["name"])


class OverviewView:
    """The ``ms.show()`` output of one cell: the table, and the detail widget under it."""

    def __init__(self, nb: NotebookPage, cell_index: int):
        self.nb = nb
        self.cell_index = cell_index
        self.output = nb.output(cell_index)
        self.root: Locator = self.output.locator(OVERVIEW).first
        self.detail: Locator = self.output.locator(DETAIL)

    @classmethod
    def wait(cls, nb: NotebookPage, cell_index: int, timeout_s: float = 60) -> OverviewView:
        return _wait_visible(nb, cls(nb, cell_index), OVERVIEW, cell_index, timeout_s)

    def rows(self) -> list[dict]:
        return self.root.evaluate(_ROWS_JS)

    def names(self) -> list[str]:
        return [r["name"] for r in self.rows()]

    def row(self, name: str) -> Locator:
        return self.root.locator(f'tr.hops-row[data-name="{name}"]')

    def sort_button(self, key: str) -> Locator:
        return self.root.locator(f'button.hops-sort[data-sort="{key}"]')

    def aria_sort(self, key: str) -> str | None:
        return self.sort_button(key).locator("xpath=ancestor::th[1]").get_attribute("aria-sort")

    def wait_rows(self, predicate, what: str, timeout_s: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        rows = self.rows()
        while not predicate(rows):
            if time.monotonic() > deadline:
                raise AssertionError(f"the table never showed {what} in {timeout_s} s; last rows: {rows}")
            time.sleep(0.05)
            rows = self.rows()
        return rows

    def wait_row_status(self, name: str, status: str, timeout_s: float = 30) -> dict:
        rows = self.wait_rows(
            lambda rs: any(r["name"] == name and r["status"] == status for r in rs), f"{name} {status}", timeout_s
        )
        return next(r for r in rows if r["name"] == name)


# One row of the table over time: its status, badge and Start button, one entry per distinct picture
# (rows are rebuilt on every update, so the observer watches the whole table).
_ROW_RECORD_JS = """
(root, [key, name]) => {
  const log = [];
  let last = '';
  const take = () => {
    const tr = Array.from(root.querySelectorAll('tr.hops-row')).find(r => r.dataset.name === name);
    const b = tr && tr.querySelector('button[data-action="start"]');
    const s = tr ? {
      status: tr.dataset.status,
      badge: (tr.querySelector('.hops-badge-text') || {}).textContent || null,
      start_disabled: b ? b.disabled : null,
      start_pending: b ? b.classList.contains('hops-pending') : null,
      position: Array.from(root.querySelectorAll('tr.hops-row')).indexOf(tr),
    } : {status: null};
    const k = JSON.stringify(s);
    if (k !== last) { last = k; s.t = performance.now(); log.push(s); }
  };
  const obs = new MutationObserver(take);
  obs.observe(root, {subtree: true, attributes: true, childList: true, characterData: true});
  take();
  window.__hopsRecorders = window.__hopsRecorders || {};
  window.__hopsRecorders[key] = {log, obs};
  return true;
}
"""


class RowRecorder:
    """Records one overview row (found by name each time: rows are rebuilt on every update)."""

    def __init__(self, overview: OverviewView, name: str):
        self.page = overview.nb.page
        self.key = f"row-{time.monotonic_ns()}"
        overview.root.evaluate(_ROW_RECORD_JS, [self.key, name])

    def stop(self) -> list[dict]:
        log = self.page.evaluate("(key) => window.__hopsRecorders[key].log", self.key)
        self.page.evaluate(
            "(key) => { window.__hopsRecorders[key].obs.disconnect(); delete window.__hopsRecorders[key]; }", self.key
        )
        return log
