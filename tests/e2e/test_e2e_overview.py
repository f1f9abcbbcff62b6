"""The deployments overview (``ms.show()``) in JupyterLab: rows that follow the sandbox, sorting,
the detail view under the table, and Start from a row."""

from __future__ import annotations

import re

import pytest

from .e2e_hops import (
    POLL,
    SETUP,
    DeploymentView,
    OverviewView,
    RowRecorder,
    runs,
    status_sort_key,
)
from .e2e_notebook import DARK_THEME, LIGHT_THEME

pytestmark = pytest.mark.e2e

# The table's rows as the kernel holds them (the truth the page must match).
KERNEL_ROWS = (
    "[dict(name=r['name'], status=r['status'], label=r['status_label'], tone=r['tone']) for r in ov.table.rows]"
)


def _check_badges(overview: OverviewView, kernel_rows: list[dict]) -> None:
    shown = {r["name"]: r for r in overview.rows()}
    assert set(shown) == {r["name"] for r in kernel_rows}
    for want in kernel_rows:
        row = shown[want["name"]]
        assert row["status"] == want["status"], (row, want)
        assert row["badge"] == want["label"], (row, want)
        assert f"hops-tone-{want['tone']}" in row["badge_class"].split(), (row, want)
        assert row["cell_name"] == want["name"]


# recommender must not scale to zero in the middle of a test (it would re-sort)
STEADY = SETUP + "sb.set_timing(retention_s=1e6)"
# one more Stopped row: a row to start, and a status the sort puts last
WITH_STOPPED = STEADY + '\n_ = sb.add_deployments(1, prefix="extra", status="Stopped")'


def _overview(open_lab, setup: str = STEADY) -> tuple:
    """A notebook showing ``ov = serving.show(...)``, its rows drawn: (notebook, overview view, row names)."""
    nb = open_lab([setup, f"ov = serving.show({POLL}, hidden_s=0.5)"])
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    names = nb.kernel_json('sorted(d["name"] for d in sb.deployments())')
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == names, f"the rows {names}")
    return nb, overview, names


def _sort_by_status(overview: OverviewView) -> list[str]:
    """Press the status header once (ascending: attention first); returns the row names in that order."""
    overview.sort_button("status").click()
    assert overview.aria_sort("status") == "ascending" and overview.aria_sort("name") == "none"
    rows = overview.rows()
    by_status = [r["name"] for r in sorted(rows, key=status_sort_key)]
    assert [r["name"] for r in rows] == by_status, rows
    return by_status


def test_overview_shows_a_row_per_deployment_sorted_by_name_with_its_badge(open_lab):
    nb, overview, seeded = _overview(open_lab)
    assert nb.kernel_json("type(ov).__name__") == "OverviewWidget"
    assert len(seeded) == 4
    assert overview.aria_sort("name") == "ascending" and overview.aria_sort("status") == "none"
    _check_badges(overview, nb.kernel_json(KERNEL_ROWS))
    by_name = {r["name"]: r for r in overview.rows()}
    assert by_name["bigllm"]["status"] == "FAILED" and by_name["churnmodel"]["status"] == "CREATED"
    assert overview.detail.count() == 0, "no detail view before a row is clicked"


def test_overview_rows_follow_the_sandbox_added_ones_appear_deleted_ones_go(open_lab):
    nb, overview, seeded = _overview(open_lab)
    added = nb.kernel_json('sb.add_deployments(2, prefix="extra", status="Stopped")')
    assert added == ["extra001", "extra002"]
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == sorted(seeded + added), "the added rows")
    assert all(r["status"] == "STOPPED" and r["badge"] == "Stopped" for r in overview.rows() if r["name"] in added)
    nb.kernel_json('sb.delete_deployment("extra001")')
    names = sorted([*seeded, "extra002"])
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == names, "extra001 gone")
    _check_badges(overview, nb.kernel_json(KERNEL_ROWS))


def test_overview_sorts_by_name_and_by_status_both_ways_attention_first(open_lab):
    _nb, overview, names = _overview(open_lab, WITH_STOPPED)
    assert "extra001" in names
    overview.sort_button("name").click()
    assert overview.aria_sort("name") == "descending" and overview.aria_sort("status") == "none"
    assert overview.names() == sorted(names, reverse=True)
    by_status = _sort_by_status(overview)
    assert by_status[0] == "bigllm" and by_status[-2:] == ["churnmodel", "extra001"], by_status  # FAILED first
    overview.sort_button("status").click()
    assert overview.aria_sort("status") == "descending"
    assert overview.names() == list(reversed(by_status)), [(r["name"], r["status"]) for r in overview.rows()]
    overview.sort_button("status").click()
    assert overview.aria_sort("status") == "ascending" and overview.names() == by_status


def test_overview_row_click_opens_its_detail_under_the_table_and_a_second_click_closes_it(open_lab):
    nb, overview, _names = _overview(open_lab)
    by_status = _sort_by_status(overview)
    overview.row("frauddetector").click()
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    detail = DeploymentView(nb, 1)
    detail.root = overview.detail.first
    snap = detail.wait_status("RUNNING", timeout_s=15)
    assert snap.name == "frauddetector" and snap.predictor == "2 of 2 pods" and snap.transformer == "1 of 1 pod"
    assert overview.detail.count() == 1
    assert overview.row("frauddetector").get_attribute("aria-selected") == "true"
    assert [r["name"] for r in overview.rows() if r["selected"] == "true"] == ["frauddetector"]
    # under the table, in the same output
    table_box, detail_box = overview.root.bounding_box(), overview.detail.first.bounding_box()
    assert detail_box["y"] >= table_box["y"] + table_box["height"] - 1, (table_box, detail_box)
    assert nb.kernel_json("ov.detail.name") == "frauddetector"
    assert overview.names() == by_status, "opening a detail view lost the table's sort order"

    overview.row("bigllm").click()  # another row: the detail view switches to it
    detail.wait_until(lambda s: s.name == "bigllm" and s.status == "FAILED", "bigllm's detail", timeout_s=15)
    assert overview.detail.count() == 1
    assert [r["name"] for r in overview.rows() if r["selected"] == "true"] == ["bigllm"]

    overview.row("bigllm").click()  # the selected row again: closed
    overview.detail.first.wait_for(state="detached", timeout=15_000)
    # (the detail view's own close message may arrive before the table's `selected`)
    overview.wait_rows(lambda rows: all(r["selected"] == "false" for r in rows), "no row selected", timeout_s=5)
    assert nb.kernel_json("ov.detail is None and ov.table.selected == ''") is True


def test_overview_start_from_a_row_is_pending_then_starting_then_running_with_no_detail(open_lab):
    nb, overview, names = _overview(open_lab, WITH_STOPPED)
    _sort_by_status(overview)  # the row moves with its status
    nb.kernel_json("sb.set_speed(3)")
    recorder = RowRecorder(overview, "extra001")
    overview.row("extra001").locator('button[data-action="start"]').click()
    overview.wait_row_status("extra001", "RUNNING", timeout_s=20)
    log = recorder.stop()
    assert runs(e["status"] for e in log) == ["STOPPED", "STARTING", "RUNNING"], log
    assert runs(e["badge"] for e in log) == ["Stopped", "Starting", "Running"], log
    assert any(e["start_pending"] for e in log if e["status"] == "STOPPED"), f"no pending Start: {log}"
    assert not any(e["start_pending"] for e in log if e["status"] != "STOPPED"), log
    clicked = next(i for i, e in enumerate(log) if e["start_disabled"])
    assert log[clicked]["status"] == "STOPPED", log
    assert all(e["start_disabled"] for e in log[clicked:]), f"Start clickable again after the click: {log}"
    # sorted by status, the row moved with its status (STOPPED last, STARTING second, RUNNING in the middle)
    positions = {e["status"]: e["position"] for e in log}
    assert positions["STOPPED"] == len(names) - 1 and positions["STARTING"] == 1, log
    assert overview.names() == [r["name"] for r in sorted(overview.rows(), key=status_sort_key)]
    assert overview.detail.count() == 0, "the row's Start button also selected the row"
    starts = nb.kernel_json('[r["query"] for r in sb.requests(endpoint="serving_action")]')
    assert starts == ["action=START"], starts
    _check_badges(overview, nb.kernel_json(KERNEL_ROWS))


def test_overview_deleting_the_selected_deployment_closes_its_detail(open_lab):
    nb = open_lab(
        [
            SETUP + 'sb.add_deployment("short-lived", status="Running")',
            f"ov = serving.show({POLL}, hidden_s=0.5)",
        ]
    )
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    overview.wait_row_status("short-lived", "RUNNING")
    overview.row("short-lived").click()
    detail = DeploymentView(nb, 1)
    detail.root = overview.detail.first
    detail.wait_until(lambda s: s.name == "short-lived" and s.status == "RUNNING", "the detail view", timeout_s=15)

    nb.kernel_json('sb.delete_deployment("short-lived")')
    overview.wait_rows(lambda rows: "short-lived" not in [r["name"] for r in rows], "the row gone")
    # The table forgets the selection at once...
    assert nb.kernel_json("ov.table.selected") == ""
    assert all(r["selected"] == "false" for r in overview.rows())
    # ...and the detail view of a deployment that no longer exists goes with it (before 868d337 it
    # stayed, showing the stale Running state with Stop enabled, then a 404 banner in backoff).
    overview.detail.first.wait_for(state="detached", timeout=5000)
    assert nb.kernel_json("ov.detail is None and ov.detail_state == {}") is True


def test_overview_row_keyboard_enter_keeps_focus(open_lab):
    nb = open_lab([SETUP, f"ov = serving.show({POLL}, hidden_s=0.5)"])
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    overview.wait_rows(lambda rows: "churnmodel" in [r["name"] for r in rows], "churnmodel's row")
    focused = "() => { const e = document.activeElement; return e && e.dataset ? e.dataset.name || e.tagName : null; }"

    overview.row("churnmodel").focus()
    assert nb.page.evaluate(focused) == "churnmodel"
    nb.page.keyboard.press("Enter")  # what a click does, from the keyboard
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    detail = DeploymentView(nb, 1)
    detail.root = overview.detail.first
    detail.wait_until(lambda s: s.name == "churnmodel", "churnmodel's detail", timeout_s=15)
    assert overview.row("churnmodel").get_attribute("aria-selected") == "true"

    # The row the user is on keeps the keyboard focus when the table redraws (rows are updated
    # in place), so Enter again closes the detail view.
    nb.page.wait_for_timeout(300)
    assert nb.page.evaluate(focused) == "churnmodel", "the focused row lost the focus when the table redrew"
    nb.page.keyboard.press("Enter")
    overview.detail.first.wait_for(state="detached", timeout=15_000)
    overview.wait_rows(lambda rows: all(r["selected"] == "false" for r in rows), "no row selected", timeout_s=5)
    assert nb.page.evaluate(focused) == "churnmodel"


# -- real-length names (issue 10, items 4, 5, 12, 13) -------------------------------------------

# A project as real ones look: 60-character deployment and model names, a failed deployment with
# the server's reason, deployments moving, one scaled to zero. States are pinned (set_state), so
# nothing moves while the test measures.
LONG_SETUP = (
    SETUP
    + '''
def sixty(text):
    """Exactly 60 characters, the length real deployment and model names reach."""
    return text.ljust(60, "0")[:60]

LONG = [sixty(n) for n in (
    "customerChurnPredictionGradientBoostedEnsembleEuWest1",
    "realtimeFraudScoringForCardTransactionsCanaryRelease",
    "recommendationsForTheHomepageCarouselTwoTowerRetrieval",
    "demandForecastForRegionalWarehousesTemporalFusionNet",
    "documentEmbeddingsForSemanticSearchMultilingualLarge",
    "creditLimitAdjustmentExplainableModelShadowDeployment",
    "imageModerationClassifierForUserUploadsVitBasePatch16",
    "supportAssistantRetrievalAugmentedGenerationProduction",
)]
MODELS = [sixty(m) for m in (
    "customer_churn_gradient_boosted_trees_with_calibrated_output",
    "card_fraud_isolation_forest_and_autoencoder_ensemble_weekly",
    "two_tower_retrieval_model_with_item_and_user_embeddings_v3",
    "temporal_fusion_transformer_for_warehouse_demand_forecasting",
    "multilingual_sentence_embeddings_distilled_from_large_teacher",
    "explainable_credit_limit_model_monotonic_gradient_boosting",
    "vision_transformer_base_patch16_finetuned_for_moderation_v2",
    "retrieval_augmented_generation_answering_support_questions",
)]
FAIL_REASON = (
    "Back-off pulling image docker.hops.works/prod/demand-forecast:2024.11.3: "
    "manifest unknown: manifest tagged by 2024.11.3 is not found"
)
START_REASON = "Pulling container images and mounting volumes (2 of 3 layers)"
STOP_REASON = "Releasing the instances' place on the cluster"
sb.set_timing(retention_s=1e6)
statuses = ["Running", "Running", "Idle", "Failed", "Starting", "Stopped", "Stopping", "Running"]
for i, (name, model, status) in enumerate(zip(LONG, MODELS, statuses)):
    sb.add_deployment(name, status=status, model_name=model, model_version=12 + i,
                      transformer=i in (0, 1), requested_instances=2 if i == 1 else 1,
                      min_instances=0 if status == "Idle" else 1)
sb.set_state(LONG[3], "Failed", condition=dict(type="INITIALIZED", status=False, reason=FAIL_REASON))
sb.set_state(LONG[4], "Starting", condition=dict(type="INITIALIZED", status=None, reason=START_REASON))
sb.set_state(LONG[6], "Stopping", condition=dict(type="SCHEDULED", status=None, reason=STOP_REASON))
'''
)

# Where the table and its parts sit, measured in the page. Each row is scrolled into view before
# its buttons are hit-tested: a button is reachable when, at its centre, no other part of the
# widget covers or clips it.
_LAYOUT_JS = """
(root) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height}; };
  const output = root.closest('.jp-OutputArea-output');
  const table = root.querySelector('table.hops-table');
  const clip = (el) => ({text: el.textContent, title: el.title, clipped: el.scrollWidth > el.clientWidth + 1,
                         ellipsis: getComputedStyle(el).textOverflow === 'ellipsis'});
  const rows = Array.from(root.querySelectorAll('tbody tr.hops-row')).map((tr) => {
    tr.scrollIntoView({block: 'center'});
    const buttons = Array.from(tr.querySelectorAll('button[data-action]')).map((b) => {
      const r = b.getBoundingClientRect();
      // the topmost of the widget's own elements there (JupyterLab's floating cell toolbar may sit above)
      const hit = document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2).find((n) => root.contains(n));
      return {action: b.dataset.action, ...box(b), hit: !!hit && (hit === b || b.contains(hit)),
              at: hit ? `${hit.tagName}.${hit.className}` : null};
    });
    return {name: tr.dataset.name, ...box(tr), buttons,
            cell_name: clip(tr.querySelector('.hops-cell-name')),
            cell_model: clip(tr.querySelector('.hops-cell-model')),
            badge: clip(tr.querySelector('.hops-badge-text')),
            instances: clip(tr.querySelector('.hops-cell-instances'))};
  });
  return {
    output: {...box(output), scroll_width: output.scrollWidth, client_width: output.clientWidth},
    root: {...box(root), scroll_width: root.scrollWidth, client_width: root.clientWidth},
    table: box(table),
    line_height: parseFloat(getComputedStyle(root).lineHeight),
    rows,
  };
}
"""


def _output_width(nb, overview: OverviewView, want: float) -> float:
    """Resize the browser window until the cell's output area is ``want`` px wide; returns its width."""
    measure = "(root) => root.closest('.jp-OutputArea-output').getBoundingClientRect().width"
    width = overview.root.evaluate(measure)
    for _ in range(3):
        if abs(width - want) <= 1:
            break
        size = nb.page.viewport_size
        nb.page.set_viewport_size({"width": round(size["width"] + want - width), "height": size["height"]})
        nb.page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")
        width = overview.root.evaluate(measure)
    return width


@pytest.mark.parametrize("front_end", ["open_lab", "open_nb"])
def test_overview_real_length_names_fit_at_800px(front_end, request):
    """Issue 10, item 5: 60-character names and models in an 800 px output area (JupyterLab and Notebook 7)."""
    nb = request.getfixturevalue(front_end)([LONG_SETUP, f"ov = serving.show({POLL}, hidden_s=0.5)"])
    lab = front_end == "open_lab"
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    width = _output_width(nb, overview, 800)
    assert abs(width - 800) <= 2, f"the output area is {width} px, not 800"
    long_names = nb.kernel_json("LONG")
    assert all(len(n) == 60 for n in long_names)
    overview.wait_rows(lambda rows: set(long_names) <= {r["name"] for r in rows}, "the long-named rows")
    layout = overview.root.evaluate(_LAYOUT_JS)
    out, root, table = layout["output"], layout["root"], layout["table"]
    assert out["scroll_width"] <= out["client_width"], f"the output scrolls sideways: {out}"
    assert root["scroll_width"] <= root["client_width"], f"the table overflows its widget: {root}"
    assert table["right"] <= out["right"] + 0.5 and root["right"] <= out["right"] + 0.5, layout
    for row in layout["rows"]:
        # every Start/Stop button inside the output and on top where it is drawn
        # a failed row offers Restart in Start's place (the cluster refuses a start there)
        shown = [b for b in row["buttons"] if b["width"] > 0]
        assert [b["action"] for b in shown] in (["start", "stop"], ["restart", "stop"]), row
        for b in shown:
            assert b["width"] > 20 and b["right"] <= out["right"] + 0.5 and b["hit"], (row["name"], b)
        # the status word and the instance counts are never cut
        assert not row["badge"]["clipped"] and not row["instances"]["clipped"], row
        # rows stay short: two lines of text (name over model) and padding
        assert row["height"] <= 2 * layout["line_height"] + 16, (row["name"], row["height"])
        if row["name"] in long_names:
            # the long names are cut (with an ellipsis), the full text is the tooltip and in the DOM
            for part in ("cell_name", "cell_model"):
                cell = row[part]
                assert cell["clipped"] and cell["ellipsis"], (row["name"], part, cell)
                assert cell["title"] == cell["text"] and len(cell["text"]) >= 60, cell
            assert row["cell_name"]["text"] == row["name"]
    # The README's pictures of ms.show(), light and dark (HOPS_WIDGETS_UPDATE_DOCS=1 copies them to docs/img).
    nb.page.mouse.move(0, 0)  # no hover highlight in the picture
    overview.root.locator(".hops-table-scroll").evaluate("el => { el.scrollTop = 0; }")  # the layout check scrolled
    nb.page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")
    nb.screenshot(overview.root, "overview" if lab else "overview-notebook7", docs=lab)
    if lab:
        nb.set_theme(DARK_THEME)
        nb.screenshot(overview.root, "overview-dark", docs=True)
        nb.set_theme(LIGHT_THEME)

    # A narrow output (480 px) stacks each row: still no sideways scrolling, every button reachable.
    assert abs(_output_width(nb, overview, 480) - 480) <= 2
    narrow = overview.root.evaluate(_LAYOUT_JS)
    assert narrow["output"]["scroll_width"] <= narrow["output"]["client_width"], narrow["output"]
    assert narrow["root"]["scroll_width"] <= narrow["root"]["client_width"], narrow["root"]
    for row in narrow["rows"]:
        for b in [b for b in row["buttons"] if b["width"] > 0]:  # Start or Restart: one of them is shown
            assert b["hit"] and b["right"] <= narrow["output"]["right"] + 0.5, f"{row['name']}: {b} {narrow['output']}"
        assert not row["badge"]["clipped"], row
        assert row["height"] <= 4 * narrow["line_height"] + 16, (row["name"], row["height"])
    nb.screenshot(overview.root, f"overview-480px-{'lab' if lab else 'notebook7'}")
    assert abs(_output_width(nb, overview, 800) - 800) <= 2

    # Reached with the keyboard, a row shows its whole name, model and condition, still inside.
    failed = long_names[3]
    overview.row(long_names[2]).focus()
    nb.page.keyboard.press("ArrowDown")  # a key press: the focus is now a keyboard focus
    overview.row(failed).focus()
    shown = overview.row(failed).evaluate(
        """(tr) => ['.hops-cell-name', '.hops-cell-model', '.hops-cell-text'].map((sel) => {
             const el = tr.querySelector(sel);
             return {clipped: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
                     right: el.getBoundingClientRect().right};
           })"""
    )
    assert not any(part["clipped"] for part in shown), shown
    assert all(part["right"] <= out["right"] + 0.5 for part in shown), shown

    # The detail opened under the table is exactly as wide as the table.
    overview.row(failed).click()
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    detail = DeploymentView(nb, 1)
    detail.root = overview.detail.first
    detail.wait_until(lambda s: s.name == failed, "the failed deployment's detail", timeout_s=15)
    table_box, detail_box = overview.root.bounding_box(), overview.detail.first.bounding_box()
    assert abs(detail_box["width"] - table_box["width"]) <= 1 and abs(detail_box["x"] - table_box["x"]) <= 1, (
        table_box,
        detail_box,
    )
    # still no sideways scrolling with the detail open
    assert overview.root.evaluate(_LAYOUT_JS)["output"]["scroll_width"] <= out["client_width"]


def test_overview_condition_leads_with_the_reason_when_failed_or_moving(open_lab):
    nb = open_lab([LONG_SETUP, f"ov = serving.show({POLL}, hidden_s=0.5)"])
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    failed, starting, stopping, running = nb.kernel_json("[LONG[3], LONG[4], LONG[6], LONG[0]]")
    overview.wait_rows(lambda rows: {failed, starting, stopping} <= {r["name"] for r in rows}, "the pinned rows")
    rows = nb.kernel_json("[dict(name=r['name'], message=r['message'], reason=r['reason']) for r in ov.table.rows]")
    kernel = {r["name"]: r for r in rows}
    cells = overview.root.evaluate(
        """(root) => Object.fromEntries(Array.from(root.querySelectorAll('tr.hops-row')).map((tr) => {
             const cell = tr.querySelector('.hops-cell-message');
             return [tr.dataset.name, {text: cell.textContent, shows: cell.dataset.shows, title: cell.title}];
           }))"""
    )
    reasons = nb.kernel_json("[FAIL_REASON, START_REASON, STOP_REASON]")
    for name, reason in zip((failed, starting, stopping), reasons, strict=True):
        # the server's own words are the cell's text; the generic sentence is only the tooltip
        assert kernel[name]["reason"] == reason
        assert cells[name] == {
            "text": reason,
            "shows": "reason",
            "title": f"{reason}\n{kernel[name]['message']}",
        }, name
        assert kernel[name]["message"] not in cells[name]["text"]
    # a settled row keeps the plain sentence, its reason in the tooltip
    assert cells[running]["shows"] == "message" and cells[running]["text"] == kernel[running]["message"]
    assert cells[running]["title"] == kernel[running]["reason"] != ""

    # a deployment that fails while shown switches to its reason at once
    nb.kernel_json(f"sb.fail({running!r}, 'READY', reason='Ingress refused the route: host already taken', now=True)")
    overview.wait_row_status(running, "FAILED", timeout_s=15)
    text = overview.row(running).locator(".hops-cell-message")
    nb.wait_text(text, "Ingress refused the route: host already taken", timeout_s=10)


# a hostile name (a bidi override) and markup in a model name: the snapshot must keep both inert
HOSTILE_SETUP = LONG_SETUP + 'sb.add_deployment("rtl-\u202eevil", status="Running", model_name="<b>bold</b>")'


def test_overview_is_shown_once_by_show_and_its_name_and_again_in_a_later_cell(open_lab):
    nb = open_lab([HOSTILE_SETUP, f"overview = serving.show({POLL}, hidden_s=0.5)\noverview", "overview"])
    nb.run_all()
    OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    output = nb.output(1)
    assert output.locator(".hops-overview").count() == 1, "the overview is shown twice in its cell"
    displayed = [o for o in nb.outputs_json(1) if o.get("output_type") in ("display_data", "execute_result")]
    assert len(displayed) == 1, displayed
    later = OverviewView.wait(nb, 2)
    assert nb.output(2).locator(".hops-overview").count() == 1
    overview = OverviewView(nb, 1)
    names = nb.kernel_json("[r['name'] for r in overview.table.rows]")
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == names, "every row")
    overview.row("frauddetector").click()  # one detail under the table, not two
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    nb.page.wait_for_timeout(500)
    assert output.locator(".hops-deployment:not(.hops-overview)").count() == 1
    assert later.root.is_visible()


def test_overview_static_snapshot_saved_with_the_notebook_is_a_table_with_server_text_inert(open_lab, browser):
    nb = open_lab([HOSTILE_SETUP, f"overview = serving.show({POLL}, hidden_s=0.5)\noverview"])
    nb.run_all()
    OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    displayed = [o for o in nb.outputs_json(1) if o.get("output_type") in ("display_data", "execute_result")]
    assert len(displayed) == 1, displayed
    html = displayed[0]["data"]["text/html"]
    rows = nb.kernel_json(
        "[dict(name=r['name'], model=r['model'], label=r['status_label'], message=r['message'], "
        "reason=r['reason'], shows=r['condition_shows'], instances=r['instances']) for r in overview.table.rows]"
    )
    api_key = nb.kernel_json("sb.api_key")
    assert api_key not in html and "\u202e" not in html
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(f"<!doctype html><meta charset=utf-8><body>{html}</body>")
        assert page.locator("script, img, b, iframe").count() == 0, "server text became markup"
        static = page.locator(".hops-snapshot-overview table tbody tr").evaluate_all(
            """(trs) => trs.map((tr) => Array.from(tr.cells).map((td) => ({
                 text: td.innerText, bdi: td.querySelectorAll('bdi').length})))"""
        )
        assert len(static) == len(rows) > 0, static
        for cells, want in zip(static, rows, strict=True):
            name, model, status, condition, instances = cells
            assert name["text"] == want["name"].replace("\u202e", "") and name["bdi"] == 1
            assert model["text"] == want["model"] and status["text"] == want["label"]
            lead = want["reason"] if want["shows"] == "reason" else want["message"]
            assert condition["text"].split("\n")[0] == lead, (condition, want)
            assert instances["text"].startswith(want["instances"])
        headers = page.locator(".hops-snapshot-overview thead th").all_inner_texts()
        assert headers == ["Name", "Model", "Status", "Condition", "Pods (exist of requested)"]
    finally:
        context.close()


# -- big projects (issue 17) ----------------------------------------------------------------------
BIG_SETUP = (
    SETUP
    + """
def sixty(text):
    return text.ljust(60, "0")[:60]

sb.set_timing(retention_s=1e6)
BIG = [sixty(f"customerChurnPredictionGradientBoosted{i}EuWest") for i in range(500)]
cycle = ["Running", "Running", "Stopped", "Failed", "Idle"]
for i, name in enumerate(BIG):
    sb.add_deployment(name, status=cycle[i % 5], model_name=sixty(f"gradient_boosted_trees_calibrated_{i}_"),
                      model_version=3, min_instances=0 if cycle[i % 5] == "Idle" else 1)
"""
)


def test_overview_500_long_names_keyed_updates_and_detail_in_view(open_lab):
    """Issue 17 in JupyterLab: 500 deployments with 60-character names. Only a window of rows is
    drawn, the counts are the whole list's, the rows follow keyed changes (changed, added,
    removed), and the detail of a row near the bottom opens in view."""
    nb = open_lab([BIG_SETUP, f"ov = serving.show({POLL}, hidden_s=0.5)"])
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done(timeout_s=120)
    total = nb.kernel_json("len(ov.table.rows)")
    assert total >= 500
    title = overview.root.locator(".hops-header .hops-model")
    nb.page.wait_for_function(
        "([el, n]) => el.textContent.startsWith(`${n} · `)", arg=[title.element_handle(), total], timeout=30_000
    )
    drawn = overview.names()
    assert 10 <= len(drawn) <= 60, len(drawn)  # a window of rows, not 500

    # the README's pictures at N = 500, light and dark
    nb.page.mouse.move(0, 0)
    nb.screenshot(overview.root, "overview-500", docs=True)
    nb.set_theme(DARK_THEME)
    nb.screenshot(overview.root, "overview-500-dark", docs=True)
    nb.set_theme(LIGHT_THEME)

    # keyed changes through the real host: 25 change, 2 are added, 1 removed
    nb.kernel_json(
        "([sb.set_state(n, 'Stopped') for n in BIG[:500:20]] and None, "
        "sb.add_deployment('aaanew1', status='Stopped'), sb.add_deployment('aaanew2', status='Stopped'), "
        "sb.delete_deployment(BIG[1])) and None"
    )
    overview.wait_rows(
        lambda rows: rows[0]["name"] == "aaanew1" and BIG_NAME_1 not in [r["name"] for r in rows],
        "the added rows first, the removed one gone",
    )
    want = {r["name"]: r for r in nb.kernel_json(KERNEL_ROWS)}
    overview.wait_rows(
        lambda rows: all(want[r["name"]]["status"] == r["status"] for r in rows), "the drawn rows as the kernel's"
    )
    assert title.text_content().startswith(f"{len(want)} · ")

    # the detail of a row near the bottom opens in view
    overview.root.locator(".hops-table-scroll").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = sorted(want, key=lambda n: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", n.lower())])[-1]
    overview.row(last).wait_for(state="visible", timeout=10_000)
    overview.row(last).click()
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    nb.page.wait_for_timeout(300)
    top = overview.detail.first.evaluate("el => el.getBoundingClientRect().top")
    height = nb.page.evaluate("() => window.innerHeight")
    assert 0 <= top < height - 100, f"the detail starts at {top} px in a {height} px window"
    assert overview.row(last).get_attribute("aria-selected") == "true"
    nb.screenshot(overview.output, "overview-500-detail")


BIG_NAME_1 = "customerChurnPredictionGradientBoosted1EuWest000000000000000"
