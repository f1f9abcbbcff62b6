"""The stored guide notebooks match their percent-format sources and carry what GitHub needs, nothing more.

``make notebooks`` writes each ``notebooks/<name>.ipynb`` from ``<name>.py``; nbval (``make test``)
then checks that the stored outputs are what the code produces today. These tests catch the steps
before that: a source edited without re-executing, or a saved file with live-widget leftovers.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

HERE = Path(__file__).resolve().parent
GUIDES = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("test_", "conftest")))
SECRETS = re.compile(r"ApiKey\s+\S|api_key_value=|HOPSWORKS_API_KEY=|HOPS_WIDGETS_SANDBOX_KEY=")


def test_every_guide_has_its_notebook():
    assert [p.stem for p in GUIDES] == sorted(p.stem for p in HERE.glob("*.ipynb"))
    assert len(GUIDES) >= 2


@pytest.mark.parametrize("source", GUIDES, ids=lambda p: p.stem)
def test_notebook_cells_are_the_source_cells(source):
    expected = jupytext.read(source)
    stored = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    cells = [(c.cell_type, c.source) for c in stored.cells]
    assert cells == [(c.cell_type, c.source) for c in expected.cells], (
        f"{source.name} and its .ipynb differ: run `make notebooks` after editing the .py"
    )
    assert stored.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"


@pytest.mark.parametrize("source", GUIDES, ids=lambda p: p.stem)
def test_notebook_is_stored_executed_with_snapshots_and_no_secrets(source):
    path = source.with_suffix(".ipynb")
    stored = nbformat.read(path, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "stored without running every cell: run `make notebooks`"
    assert all(c.outputs for c in code if "NBVAL_CHECK_OUTPUT" in c.source)
    snapshots = [o for c in code for o in c.outputs if "text/html" in o.get("data", {})]
    assert snapshots, "no widget snapshot among the outputs"
    assert all("<style>" in o["data"]["text/html"] and o["data"].get("text/plain") for o in snapshots)
    assert "widgets" not in stored.metadata, "live widget state saved: it cannot be shown from a file"
    for c in code:
        for o in c.outputs:
            assert o.get("output_type") != "error", c.source
            assert "application/vnd.jupyter.widget-view+json" not in o.get("data", {}), c.source
    found = SECRETS.search(path.read_text())
    assert found is None, f"secret-looking text in {path.name}: {found.group(0)!r}"


# The lesson replays its chapters on a second run (each chapter makes its deployments afresh:
# tests/integration/test_scenario_files.py); running it twice here would cost 100 s for that alone.
GUIDES_TO_RERUN = [p for p in GUIDES if not p.stem.startswith("lesson")]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("source", GUIDES_TO_RERUN, ids=lambda p: p.stem)
def test_guide_runs_twice_in_one_kernel_on_its_own_sandbox(source):
    """nbval runs each guide once; a reader may run it again in the same kernel (no demo around)."""
    import os

    from nbclient import NotebookClient

    nb = jupytext.read(source)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
    client.km = client.create_kernel_manager()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPS_WIDGETS_SANDBOX_", "HOPSWORKS_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p)
    printed = []
    with client.setup_kernel(env=env):
        for _run in (1, 2):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)  # raises on an error in any cell
            connect = next(c for c in nb.cells if c.cell_type == "code" and "connect_or_start(" in c.source)
            printed.append("".join(o.get("text", "") for o in connect.outputs))
            assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert printed[0].startswith("Started a sandbox in this process"), printed[0]
    assert printed[1].startswith("Using the sandbox started earlier in this process"), printed[1]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_lesson_runs_on_a_sandbox_of_another_process_as_in_the_demo(tmp_path):
    """In ``hops-widgets demo`` the lesson plays its chapters on the demo's sandbox, over HTTP."""
    import os

    from nbclient import NotebookClient

    from hops_widgets import sandbox

    nb = jupytext.read(HERE / "lesson_every_state.py")
    with sandbox.start(speed=6) as sb:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPS_WIDGETS_SANDBOX_", "HOPSWORKS_"))}
        env.update(sb.env())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p)
        client = NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
        client.km = client.create_kernel_manager()
        with client.setup_kernel(env=env):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)  # the last cell raises if a status or condition was not seen
        plan = sb.script_progress()
        assert plan["title"] == "Every status and condition of a deployment"
        assert {s["chapter"] for s in plan["steps"]} == {"failures"}  # the last chapter the lesson played
        assert {"lessonstart", "lessonfailready"} <= set(sb.info()["deployments"])
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "all 8 statuses and 11 conditions shown" in printed
    connect = next(c for c in nb.cells if c.cell_type == "code" and "connect_or_start(" in c.source)
    assert "Using the sandbox at" in "".join(o.get("text", "") for o in connect.outputs)
