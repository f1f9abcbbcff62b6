"""Where no widget frontend runs, the output shows an HTML snapshot of the last state."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook

CELLS = [
    "from hops_widgets import sandbox\n"
    "import hops_widgets\n"
    "sb = sandbox.start(speed=50)\n"
    "sb.set_state('frauddetector', 'Failed', condition={'type': 'STARTED', 'status': False,\n"
    "             'reason': '<script>window.__pwned=1</script> boom'})\n"
    "d = sb.login().get_model_serving().get_deployment('frauddetector')",
    "w = d.show(fast_s=0.05)\nw.wait_for('FAILED', timeout=20)\nw",
    "%load_ext hops_widgets",
]


def test_snapshot_in_mime_bundle_and_html_export(tmp_path):
    nb = new_notebook(cells=[new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()

    outputs = nb.cells[1].outputs
    assert len(outputs) == 1, "show() + the widget as the cell's value display it once"
    data = outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    snapshot = data["text/html"]
    assert "Failed" in snapshot and "frauddetector" in snapshot
    assert "<script>window.__pwned" not in snapshot and "&lt;script&gt;" in snapshot
    assert data["text/plain"].startswith("frauddetector: Failed")
    assert not nb.cells[2].outputs or all(o.get("output_type") != "error" for o in nb.cells[2].outputs)

    # Without saved widget state (as on GitHub's viewer) the export falls back to the snapshot.
    nb.metadata.pop("widgets", None)
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert "hops-snapshot" in body and "frauddetector" in body
    assert "<script>window.__pwned" not in body
    nbformat.write(nb, tmp_path / "exported.ipynb")


def test_the_diagram_view_saves_its_diagrams_in_the_snapshot():
    from hops_widgets import sandbox
    from hops_widgets.widget import DeploymentWidget

    with sandbox.start(speed=50) as sb:
        sb.set_state(
            "frauddetector", "Failed", condition={"type": "SCHEDULED", "status": False, "reason": "<b>full</b>"}
        )
        d = sb.login().get_model_serving().get_deployment("frauddetector")
        page = DeploymentWidget(d, fast_s=0.05)
        dia = DeploymentWidget(d, fast_s=0.05, view="diagram")
        try:
            dia._await_first_update(10)
            snapshot = dia._snapshot_html()
            assert "<svg class='hops-dia' data-diagram='status'" in snapshot
            assert "data-id='FAILED' data-state='current'" in snapshot
            assert "data-id='SCHEDULED/false' data-state='current'" in snapshot
            assert "Condition: Scheduled (False)." in snapshot
            assert "<b>full</b>" not in snapshot
            assert "<svg" not in page._snapshot_html()  # the page view's snapshot stays as it was
        finally:
            page.close()
            dia.close()
