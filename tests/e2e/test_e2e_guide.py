"""The guide notebooks themselves (notebooks/*.ipynb), run top to bottom in the browser.

nbval checks their printed outputs; these tests check what a reader sees: the widgets in the
page. A page-wide recorder is installed before "Run All", so every picture of every widget is
kept even when it lasts less than a poll, or shows before the test could find the element.
"""

from __future__ import annotations

import re

import pytest

from .e2e_hops import (
    DeploymentView,
    OverviewView,
    PageRecorder,
    assert_matches_kernel,
    count,
    runs,
    save_trace,
    traits_of,
)
from .e2e_notebook import NotebookPage
from .e2e_servers import REPO_ROOT

pytestmark = pytest.mark.e2e

NOTEBOOKS = REPO_ROOT / "notebooks"


@pytest.fixture
def open_guide(page, request):
    """Copy a guide notebook into a server's root and open it there: ``open_guide("lab", name)``."""
    servers = []

    def opener(kind: str, notebook: str) -> NotebookPage:
        server = request.getfixturevalue({"lab": "lab_server", "notebook": "nb_server"}[kind])
        servers.append(server)
        name = re.sub(r"[^\w-]+", "-", f"{request.node.name}-{notebook.removesuffix('.ipynb')}").strip("-")
        nb = NotebookPage.open_file(page, server, NOTEBOOKS / notebook, name)
        nb.clear_all_outputs()  # the stored outputs and counts must not pass for this run's
        return nb

    yield opener
    for server in servers:
        server.shutdown_kernels()


def _requested(nb: NotebookPage, name: str) -> dict:
    """What the sandbox says ``name`` asks for (independent of the widget)."""
    return nb.kernel_json(
        f'(lambda d: dict(p=d["requestedInstances"], t=d.get("requestedTransformerInstances")))'
        f'(sb.deployment("{name}"))'
    )


def test_inspect_deployment_state_guide_in_lab(open_guide):
    nb = open_guide("lab", "inspect_deployment_state.ipynb")
    recorder = PageRecorder(nb.page)
    nb.run_all()
    nb.wait_cells_done(timeout_s=120)  # also fails on any error output or stderr

    # -- frauddetector: Running, every step done, all instances up -------------------------
    fraud = DeploymentView.wait(nb, nb.cell_index_of("widget = deployment.show()"))
    want = _requested(nb, "frauddetector")
    snap = fraud.wait_status("RUNNING")
    assert snap.badge == "Running" and snap.tone == "ok"
    assert fraud.root.get_attribute("data-status") == "RUNNING"
    assert "READY:done" in snap.steps.split() and all(s.endswith(":done") for s in snap.steps.split()), snap.steps
    assert (snap.predictor, snap.transformer) == (count(want["p"], want["p"]), count(want["t"], want["t"]))
    # the seeded numbers the guide talks about
    assert (snap.predictor, snap.transformer) == ("2 of 2 pods", "1 of 1 pod")
    assert_matches_kernel(fraud, nb.kernel_json(traits_of("widget")))

    # -- recommender: scale-to-zero, Idle at 0 instances, then Running again after a request ----
    rec_cell = nb.cell_index_of("rec_widget = recommender.show()")
    DeploymentView.wait(nb, rec_cell)
    n = _requested(nb, "recommender")["p"]
    log = [s for s in recorder.log("recommender") if s.status not in (None, "UNKNOWN")]
    trace = save_trace("lab-guide-recommender", log)
    assert log and all(s.scale_to_zero for s in log), f"scale-to-zero marker missing:\n{trace}"
    idle = [i for i, s in enumerate(log) if s.status == "IDLE"]
    assert idle, f"never showed IDLE:\n{trace}"
    first_idle = log[idle[0]]
    assert first_idle.badge == "Idle" and first_idle.tone == "idle", trace
    assert first_idle.predictor == count(0, n) and first_idle.error is None, trace
    assert all(s.endswith(":done") for s in first_idle.steps.split()), trace
    assert any(s.status == "RUNNING" for s in log[idle[0] :]), f"not Running again after Idle:\n{trace}"
    woke = next(s for s in log[idle[0] :] if s.status == "RUNNING")
    assert woke.predictor == count(n, n) and woke.tone == "ok", trace
    assert "IDLE" in runs(s.status for s in log)[:-1], trace
    printed = nb.outputs_json(nb.cell_index_of("idle = rec_widget.wait_for"))
    assert "IDLE with 0 instances; scale-to-zero: True" in "".join("".join(o.get("text", "")) for o in printed)

    # -- the overview lists the four seeded deployments -------------------------------------
    overview = OverviewView.wait(nb, nb.cell_index_of("overview = ms.show()"))
    seeded = nb.kernel_json('sorted(d["name"] for d in sb.deployments())')
    assert seeded == ["bigllm", "churnmodel", "frauddetector", "recommender"]
    rows = overview.wait_rows(lambda rs: [r["name"] for r in rs] == seeded, "the seeded deployments")
    assert all(r["badge"] for r in rows), rows
    by_name = {r["name"]: r for r in rows}
    assert by_name["frauddetector"]["status"] == "RUNNING" and by_name["bigllm"]["status"] == "FAILED"
    assert by_name["churnmodel"]["status"] == "CREATED"
    nb.screenshot(overview.root, "overview", docs=True)  # the README's picture of ms.show()

    # the guide's diagrams of frauddetector: drawn once asked for, Running lit
    dia = nb.output(nb.cell_index_of("hops_widgets.diagram(deployment)"))
    lit = dia.locator(".hops-dia-figure[data-diagram=status] .hops-dia-node[data-state=current]")
    lit.wait_for(timeout=20_000)
    assert lit.get_attribute("data-id") == "RUNNING"
    # one widget per show() and per diagram(): nothing displayed twice
    assert dia.locator(".hops-deployment").count() == 1
    assert nb.output(nb.cell_index_of("widget = deployment.show()")).locator(".hops-deployment").count() == 1
    assert len(recorder.views("frauddetector")) == 2  # the page, and the diagrams
    recorder.stop()
    nb.assert_no_error_outputs()


def test_deployment_lifecycle_guide_in_notebook7(open_guide):
    nb = open_guide("notebook", "deployment_lifecycle.ipynb")
    recorder = PageRecorder(nb.page)
    nb.run_all()
    nb.wait_cells_done(timeout_s=120)

    big = DeploymentView.wait(nb, nb.cell_index_of("llm_widget = llm.show()"))
    failed = big.wait_status("FAILED")
    expected = nb.kernel_json('sb.deployment("bigllm")["condition"]')
    assert failed.badge == "Failed" and failed.tone == "error"
    assert failed.reason == expected["reason"] and "GPU" in failed.reason, failed
    assert big.part(".hops-reason").is_visible()
    assert "SCHEDULED:failed" in failed.steps.split(), failed.steps
    assert big.part('.hops-step[data-type="SCHEDULED"]').get_attribute("data-state") == "failed"
    assert_matches_kernel(big, nb.kernel_json(traits_of("llm_widget")))

    # churnmodel went through the scripted failure and came back
    churn = [s for s in recorder.log("churnmodel") if s.status not in (None, "UNKNOWN")]
    trace = save_trace("nb7-guide-churn", churn)
    statuses = runs(s.status for s in churn)
    assert statuses[-1] == "RUNNING" and "FAILED" in statuses and "STOPPED" in statuses, trace
    scripted = next(s for s in churn if s.status == "FAILED")
    assert "xgboost" in scripted.reason and "STARTED:failed" in scripted.steps.split(), trace
    recorder.stop()


def _lit(nb: NotebookPage, cell: int, diagram: str) -> str | None:
    node = nb.output(cell).locator(f".hops-dia-figure[data-diagram={diagram}] .hops-dia-node[data-state=current]")
    return node.first.get_attribute("data-id") if node.count() else None


def test_lesson_in_lab(open_guide):
    """The lesson, Run All in JupyterLab: every chapter plays, its diagrams end where it ends."""
    nb = open_guide("lab", "lesson_every_state.ipynb")
    nb.page.set_viewport_size({"width": 1000, "height": 1000})
    nb.run_all()
    nb.wait_cells_done(timeout_s=240)  # also fails on any error output or stderr
    final = nb.outputs_json(nb.cell_index_of("missing = []"))
    assert "all 8 statuses and 11 conditions shown" in "".join("".join(o.get("text", "")) for o in final)
    ends = {
        "first_view = hops_widgets.diagram(first": ("RUNNING", "start", "READY/true"),
        "halt_view = hops_widgets.diagram(halt": ("STOPPED", "stop", "STOPPED/true"),
        'crash = hops_widgets.diagram(ms.get_deployment("lessonfailstarted"))': ("FAILED", "start", "STARTED/false"),
    }
    for source, (status, which, step) in ends.items():
        cell = nb.cell_index_of(source)
        nb.cell(cell).scroll_into_view_if_needed()  # JupyterLab skips painting cells far off screen
        nb.output(cell).locator(".hops-dia-node").first.wait_for(state="attached", timeout=20_000)
        assert (_lit(nb, cell, "status"), _lit(nb, cell, which)) == (status, step), source
    start_cell = nb.cell_index_of("first_view = hops_widgets.diagram(first")
    taken = nb.output(start_cell).locator(".hops-dia-figure[data-diagram=start] .hops-dia-edge[data-state=taken]")
    # every arrow of the start path as the backend walks it: each step's Unknown to the next, then READY True
    assert taken.count() == 4
    nb.cell(nb.cell_index_of("everything = ms.show(")).scroll_into_view_if_needed()
    overview = OverviewView.wait(nb, nb.cell_index_of("everything = ms.show("))
    rows = overview.wait_rows(
        lambda rs: (
            {r["name"]: r["status"] for r in rs if r["name"].startswith("lessonfail")}
            == {
                "lessonfailscheduled": "FAILED",
                "lessonfailinitialized": "FAILED",
                "lessonfailstarted": "FAILED",
                "lessonfailready": "RUNNING",
            }
        ),
        "the four failures (the last one started again)",
    )
    assert rows
    nb.cell(start_cell).scroll_into_view_if_needed()
    nb.screenshot(nb.output(start_cell), "lesson-start-chapter", docs=True)
    nb.assert_no_error_outputs()
