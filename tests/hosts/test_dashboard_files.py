"""The Voilà dashboard's files and its command, without a browser (tests/e2e/test_e2e_voila.py runs them).

``examples/dashboard.py`` is the source (jupytext percent format, like the guides in notebooks/);
``examples/dashboard.ipynb`` is what Voilà serves: the same cells, stored without outputs (Voilà runs it).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from hops_widgets import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_dashboard_notebook_is_its_source():
    expected = jupytext.read(EXAMPLES / "dashboard.py")
    stored = nbformat.read(EXAMPLES / "dashboard.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in expected.cells], (
        "examples/dashboard.py and its .ipynb differ: jupytext --sync examples/dashboard.py"
    )
    assert stored.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code"), "stored with outputs"


def test_the_dashboard_command_parses_and_finds_its_notebook():
    args = cli.build_parser().parse_args(["dashboard", "--no-browser", "--speed", "5", "--port", "0"])
    assert (args.command, args.no_browser, args.speed, args.port) == ("dashboard", True, 5.0, 0)
    assert args.notebook == cli.DASHBOARD_NOTEBOOK
    assert cli._find_notebook(args.notebook).resolve() == EXAMPLES / "dashboard.ipynb"


def test_a_missing_dashboard_notebook_is_an_error(capsys):
    args = cli.build_parser().parse_args(["dashboard", "--notebook", "no/such.ipynb"])
    assert cli.run_dashboard(args) == 1
    assert "notebook not found: no/such.ipynb" in capsys.readouterr().err
