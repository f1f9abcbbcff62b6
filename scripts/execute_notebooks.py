"""Execute the guide notebooks and save them with their outputs (``make notebooks``).

The guides are written as percent-format Python files (``notebooks/*.py``, edited by hand and
paired with the ``.ipynb`` by jupytext). This script turns each one into its notebook, runs it in
a fresh kernel against a sandbox of its own, and writes ``notebooks/<name>.ipynb`` with the
outputs: the printed results nbval compares (``# NBVAL_CHECK_OUTPUT`` cells) and the widgets'
static snapshots, which is what GitHub and nbconvert show.

What is stored is made to be shown anywhere and to leak nothing:

* no widget state and no widget-view outputs (a live widget cannot be rebuilt from a file;
  the ``text/html`` snapshot and the ``text/plain`` summary beside it can be shown as they are);
* no timing metadata;
* the sandbox's API key nowhere: the kernel is asked for it after the run and the saved file is
  searched for it, as is every other secret-looking string below. A match is an error and
  nothing is written.

Usage: ``python scripts/execute_notebooks.py [NAME.py ...]`` (default: every notebooks/*.py).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Secret-looking text that has no place in a saved guide, whatever the key's value.
SUSPICIOUS = re.compile(r"ApiKey\s+\S|api_key_value=|HOPSWORKS_API_KEY=|HOPS_WIDGETS_SANDBOX_KEY=")


def _kernel_env() -> dict[str, str]:
    """This environment minus any sandbox or cluster address: the kernel starts a sandbox of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPS_WIDGETS_SANDBOX_", "HOPSWORKS_"))}
    root = str(NOTEBOOKS.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _ask_kernel(client: NotebookClient, expr: str) -> str:
    """``print(expr)`` in the kernel of ``client`` (after the notebook ran); returns what it printed."""
    cell = nbformat.v4.new_code_cell(f"print({expr})")
    client.nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1)
    finally:
        client.nb.cells.pop()
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout").strip()


def _strip(nb) -> None:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            data = out.get("data")
            if data is not None and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                if not data:
                    continue
            kept.append(out)
        cell.outputs = kept


def execute(source: Path) -> Path:
    target = source.with_suffix(".ipynb")
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.km = client.create_kernel_manager()
    # the kernel must not find the demo's sandbox (or a cluster) in the environment
    with client.setup_kernel(env=_kernel_env()):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        key = _ask_kernel(client, "sb.api_key")
    if len(key) < 16:
        raise SystemExit(f"{source.name}: could not read the sandbox's API key back from the kernel ({key!r})")
    _strip(nb)
    text = json.dumps(nb, ensure_ascii=False)
    if key in text:
        raise SystemExit(f"{source.name}: the sandbox's API key appears in the outputs; nothing written")
    found = SUSPICIOUS.search(text)
    if found:
        raise SystemExit(f"{source.name}: secret-looking text {found.group(0)!r} in the outputs; nothing written")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    if errors:
        raise SystemExit(f"{source.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    jupytext.write(nb, target, fmt="ipynb")
    return target


def main(argv: list[str]) -> int:
    sources = [NOTEBOOKS / name for name in argv] or sorted(NOTEBOOKS.glob("*.py"))
    sources = [s for s in sources if s.name != "conftest.py" and not s.name.startswith("test_")]
    for source in sources:
        print(f"executing {source.relative_to(NOTEBOOKS.parent)} ...", flush=True)
        print(f"  wrote {execute(source).relative_to(NOTEBOOKS.parent)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
