"""The deployments overview (``ms.show()``) in JupyterLab: rows that follow the sandbox, sorting,
the detail view under the table, and Start from a row."""

from __future__ import annotations

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


def test_overview_rows_sorting_detail_and_row_start(open_lab):
    nb = open_lab(
        [
            # recommender must not scale to zero in the middle of the test (it would re-sort)
            SETUP + "sb.set_timing(retention_s=1e6)",
            f"ov = serving.show({POLL}, hidden_s=0.5)",
        ]
    )
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    assert nb.kernel_json("type(ov).__name__") == "DeploymentsWidget"

    # -- a row per deployment, sorted by name, each with its badge --------------------------
    seeded = nb.kernel_json('sorted(d["name"] for d in sb.deployments())')
    assert len(seeded) == 4
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == seeded, f"the rows {seeded}")
    assert overview.aria_sort("name") == "ascending" and overview.aria_sort("status") == "none"
    _check_badges(overview, nb.kernel_json(KERNEL_ROWS))
    by_name = {r["name"]: r for r in overview.rows()}
    assert by_name["big-llm"]["status"] == "FAILED" and by_name["churn-model"]["status"] == "CREATED"
    assert overview.detail.count() == 0, "no detail view before a row is clicked"

    # -- rows follow the sandbox: added ones appear, deleted ones go ---------------------------
    added = nb.kernel_json('sb.add_deployments(2, prefix="extra", status="Stopped")')
    assert added == ["extra-001", "extra-002"]
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == sorted(seeded + added), "the added rows")
    assert all(r["status"] == "STOPPED" and r["badge"] == "Stopped" for r in overview.rows() if r["name"] in added)
    nb.kernel_json('sb.delete_deployment("extra-001")')
    names = sorted([*seeded, "extra-002"])
    overview.wait_rows(lambda rows: [r["name"] for r in rows] == names, "extra-001 gone")
    _check_badges(overview, nb.kernel_json(KERNEL_ROWS))

    # -- sorting: by name both ways, by status both ways (attention first) -------------------
    overview.sort_button("name").click()
    assert overview.aria_sort("name") == "descending" and overview.aria_sort("status") == "none"
    assert overview.names() == sorted(names, reverse=True)
    overview.sort_button("status").click()
    assert overview.aria_sort("status") == "ascending" and overview.aria_sort("name") == "none"
    rows = overview.rows()
    by_status = [r["name"] for r in sorted(rows, key=status_sort_key)]
    assert [r["name"] for r in rows] == by_status, rows
    assert by_status[0] == "big-llm" and by_status[-2:] == ["churn-model", "extra-002"], by_status  # FAILED first
    overview.sort_button("status").click()
    assert overview.aria_sort("status") == "descending"
    assert overview.names() == list(reversed(by_status)), [(r["name"], r["status"]) for r in overview.rows()]
    overview.sort_button("status").click()
    assert overview.aria_sort("status") == "ascending" and overview.names() == by_status

    # -- clicking a row opens its detail view under the table; clicking it again closes it ----
    overview.row("fraud-detector").click()
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    detail = DeploymentView(nb, 1)
    detail.root = overview.detail.first
    snap = detail.wait_status("RUNNING", timeout_s=15)
    assert snap.name == "fraud-detector" and snap.predictor == "2/2" and snap.transformer == "1/1"
    assert overview.detail.count() == 1
    assert overview.row("fraud-detector").get_attribute("aria-selected") == "true"
    assert [r["name"] for r in overview.rows() if r["selected"] == "true"] == ["fraud-detector"]
    # under the table, in the same output
    table_box, detail_box = overview.root.bounding_box(), overview.detail.first.bounding_box()
    assert detail_box["y"] >= table_box["y"] + table_box["height"] - 1, (table_box, detail_box)
    assert nb.kernel_json("ov.detail.name") == "fraud-detector"
    assert overview.names() == by_status, "opening a detail view lost the table's sort order"

    overview.row("big-llm").click()  # another row: the detail view switches to it
    detail.wait_until(lambda s: s.name == "big-llm" and s.status == "FAILED", "big-llm's detail", timeout_s=15)
    assert overview.detail.count() == 1
    assert [r["name"] for r in overview.rows() if r["selected"] == "true"] == ["big-llm"]

    overview.row("big-llm").click()  # the selected row again: closed
    overview.detail.first.wait_for(state="detached", timeout=15_000)
    # (the detail view's own close message may arrive before the table's `selected`)
    overview.wait_rows(lambda rows: all(r["selected"] == "false" for r in rows), "no row selected", timeout_s=5)
    assert nb.kernel_json("ov.detail is None and ov.table.selected == ''") is True

    # -- Start from a row: pending, then Starting and Running; no detail opened --------------
    nb.kernel_json("sb.set_speed(3)")
    recorder = RowRecorder(overview, "extra-002")
    overview.row("extra-002").locator('button[data-action="start"]').click()
    overview.wait_row_status("extra-002", "RUNNING", timeout_s=20)
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
    assert nb.kernel_json("ov.detail is None and len(ov.children) == 1") is True


def test_overview_row_keyboard_enter_keeps_focus(open_lab):
    nb = open_lab([SETUP, f"ov = serving.show({POLL}, hidden_s=0.5)"])
    nb.run_all()
    overview = OverviewView.wait(nb, 1)
    nb.wait_cells_done()
    overview.wait_rows(lambda rows: "churn-model" in [r["name"] for r in rows], "churn-model's row")
    focused = "() => { const e = document.activeElement; return e && e.dataset ? e.dataset.name || e.tagName : null; }"

    overview.row("churn-model").focus()
    assert nb.page.evaluate(focused) == "churn-model"
    nb.page.keyboard.press("Enter")  # what a click does, from the keyboard
    overview.detail.first.wait_for(state="visible", timeout=15_000)
    detail = DeploymentView(nb, 1)
    detail.root = overview.detail.first
    detail.wait_until(lambda s: s.name == "churn-model", "churn-model's detail", timeout_s=15)
    assert overview.row("churn-model").get_attribute("aria-selected") == "true"

    # The row the user is on keeps the keyboard focus when the table redraws (rows are updated
    # in place), so Enter again closes the detail view.
    nb.page.wait_for_timeout(300)
    assert nb.page.evaluate(focused) == "churn-model", "the focused row lost the focus when the table redrew"
    nb.page.keyboard.press("Enter")
    overview.detail.first.wait_for(state="detached", timeout=15_000)
    overview.wait_rows(lambda rows: all(r["selected"] == "false" for r in rows), "no row selected", timeout_s=5)
    assert nb.page.evaluate(focused) == "churn-model"
