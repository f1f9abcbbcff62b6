"""The harness itself, with a tiny in-notebook anywidget: no dependency on hops_widgets.

If these fail, the widget tests cannot be trusted either way.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

TICKER = '''
import threading, time
import anywidget, traitlets

class Ticker(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const span = document.createElement("span");
      span.className = "e2e-ticker";
      const update = () => { span.textContent = String(model.get("n")); };
      model.on("change:n", update);
      update();
      el.appendChild(span);
    }
    export default { render };
    """
    n = traitlets.Int(0).tag(sync=True)

t = Ticker()
def _tick(w=t):
    for _ in range(600):
        time.sleep(0.1)
        w.n += 1
threading.Thread(target=_tick, daemon=True).start()
t
'''


def test_background_updates_reach_lab_during_a_busy_cell(open_lab):
    nb = open_lab([TICKER, "import time; time.sleep(8)"])
    nb.run_cell(0)
    ticker = nb.wait_for(0, ".e2e-ticker")
    first = int(nb.wait_text(ticker, re.compile(r"^\d+$")))
    nb.run_cell(1)
    nb.wait_cell_running(1)
    seen = {first}
    while nb.is_running(1) and len(seen) < 5:
        seen.add(int(ticker.text_content()))
    assert nb.is_running(1), "the sleep cell ended before the widget changed; the test proved nothing"
    assert len(seen) >= 5, f"the widget did not update while another cell was running: {sorted(seen)}"


def test_harness_in_notebook7_extra_cell_and_theme(open_nb):
    nb = open_nb([TICKER])
    nb.run_all()
    nb.wait_cells_done()
    ticker = nb.wait_for(0, ".e2e-ticker")
    nb.wait_text(ticker, re.compile(r"^[1-9]\d*$"))
    index = nb.run_extra_cell("x = -5; print('set', x)")  # not t.n: the ticker thread moves it
    nb.wait_cells_done()
    assert nb.outputs_json(index)[0]["text"].strip() == "set -5"
    nb.set_theme("JupyterLab Dark")
    assert nb.theme() == "JupyterLab Dark"


def test_console_fixture_catches_errors(page, console, lab_server):
    """The ``page`` fixture must see console errors and uncaught page errors (then forget them here)."""
    page.goto(f"{lab_server.url}/api/status")
    page.evaluate(
        "() => { console.error('e2e-probe-console'); setTimeout(() => { throw new Error('e2e-probe-throw'); }); }"
    )
    page.wait_for_timeout(200)
    caught = "\n".join(console.errors)
    assert "e2e-probe-console" in caught
    assert "e2e-probe-throw" in caught
    console.errors.clear()
