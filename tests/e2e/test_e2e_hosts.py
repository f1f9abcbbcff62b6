"""The widget in simulated notebook hosts, in real JupyterLab and Chromium.

- **Colab**: a kernel that drops every comm message sent from a thread other than the main one
  (``tests/hosts/colab_shim.py``), with comms over subshells off so that frontend handlers run on
  the main thread, as in Colab. First the shim is shown to work (a background trait change of a
  plain anywidget never arrives, one from a later cell does); then the deployment widget walks
  Created → Starting → Running with the kernel idle, by pulling (``data-delivery="pull"``).
- **VS Code**: a kernel that holds the frontend's comm messages back while a cell runs and handles
  them when it ends (``tests/hosts/vscode_shim.py``), with JupyterLab's default comms over
  subshells (which would otherwise handle them at once): a Start clicked during a busy cell is
  carried out when the cell ends.
- **JupyterLab with comms over subshells off** (ipykernel 7): a focused subset of the live tests.
- **ipykernel 6.29** (a kernel from ``.venv-kernels/``): the widget live and its buttons working.

The rest of the browser suite runs JupyterLab's default: comms over subshells, ipykernel 7.
"""

from __future__ import annotations

import os
import re
import time

import nbformat
import pytest

from tests.hosts.kernels import HostLab, install_kernelspec, kernel_venv

from .e2e_hops import POLL, SETUP, DeploymentView, edge_state, open_diagrams, save_trace, wait_lit
from .e2e_notebook import ARTIFACTS, NotebookPage

pytestmark = pytest.mark.e2e

IPYKERNEL_OLD = "6.29.5"

# A plain anywidget that shows its one trait: the shim's proof, free of anything hops-widgets does.
PROBE = '''
import threading, time
import anywidget, traitlets

class Probe(anywidget.AnyWidget):
    _esm = """export default { render({ model, el }) {
      const show = () => { el.className = 'e2e-probe'; el.dataset.value = String(model.get('value'));
        el.textContent = 'probe ' + model.get('value'); };
      model.on('change:value', show); show();
    } }"""
    value = traitlets.Int(0).tag(sync=True)

probe = Probe()
probe
'''


@pytest.fixture(scope="module")
def lab_off(tmp_path_factory, browser):
    """JupyterLab with comms over subshells off; kernels: the Colab-like one, and plain python3."""
    server = HostLab(tmp_path_factory.mktemp("jupyter-subshells-off"), ARTIFACTS / "logs", subshells=False)
    install_kernelspec(server.data_dir, "hops-colab", extensions=("tests.hosts.colab_shim",))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def old_kernel_python():
    """The python of a venv with ipykernel 6.29 and hops-widgets (editable); built once, cached."""
    try:
        return kernel_venv(IPYKERNEL_OLD)
    except RuntimeError as exc:  # no package index: a skip outside CI, a failure in CI
        if os.environ.get("HOPS_WIDGETS_CI") == "1":
            pytest.fail(f"cannot build the ipykernel {IPYKERNEL_OLD} kernel: {exc}", pytrace=False)
        pytest.skip(f"cannot build the ipykernel {IPYKERNEL_OLD} kernel: {exc}")


def open_with_kernel(page, server, tmp_path, name: str, kernel: str, cells: list[str]) -> NotebookPage:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": f"Python 3 ({kernel})", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    source = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, source)
    return NotebookPage.open_file(page, server, source, name)


def run_and_wait(nb: NotebookPage, index: int, timeout_s: float = 60) -> None:
    nb.run_cell(index)
    nb.wait_cells_done(timeout_s)


def delivery(view: DeploymentView) -> str | None:
    return view.root.get_attribute("data-delivery")


def test_colab_like_host(page, lab_off, tmp_path):
    cells = [
        PROBE,  # 0
        "threading.Thread(target=lambda: setattr(probe, 'value', 1)).start(); time.sleep(0.5)",  # 1
        "probe.value = 2",  # 2
        SETUP + 'settle("frauddetector", "stop", "Stopped")\nfrom tests.hosts import colab_shim',  # 3
        f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',  # 4
        "d.start(await_running=0)",  # 5
        "d.stop(await_stopped=0)\ntime.sleep(8)",  # 6
    ]
    nb = open_with_kernel(page, lab_off, tmp_path, "colab-like", "hops-colab", cells)

    # -- the shim: a background thread's trait change never reaches the page ----------------
    run_and_wait(nb, 0)
    probe = nb.output(0).locator(".e2e-probe")
    probe.wait_for(state="attached")
    assert probe.get_attribute("data-value") == "0"
    run_and_wait(nb, 1)
    nb.page.wait_for_timeout(2000)
    assert probe.get_attribute("data-value") == "0", "the shim let a background thread's message through"
    value, stats = nb.kernel_json("[probe.value, __import__('tests.hosts.colab_shim').hosts.colab_shim.STATS]")
    assert value == 1 and stats["dropped"] >= 1, stats
    # ... and one made in a cell (inside a request) does: the shim drops nothing else
    run_and_wait(nb, 2)
    nb.page.wait_for_function("(el) => el.dataset.value === '2'", arg=probe.element_handle(), timeout=10_000)

    # -- the widget: every update comes from the poller thread, so all of them are pulled -----
    run_and_wait(nb, 3)
    run_and_wait(nb, 4)
    view = DeploymentView.wait(nb, 4)
    stopped = view.wait_status("STOPPED", timeout_s=15)  # the first state, pulled at mount
    assert stopped.badge == "Stopped"
    assert delivery(view) == "pull"
    view.record()
    run_and_wait(nb, 5)  # the start is asked in a cell; then the kernel is idle
    running = view.wait_status("RUNNING", timeout_s=40)
    log = view.stop_recording()
    trace = save_trace("colab-like-start", log)
    starting = [s for s in log if s.status == "STARTING"]
    assert len({s.message for s in starting}) >= 2, f"did not follow the start step by step:\n{trace}"
    assert running.badge == "Running" and running.predictor == "2 of 2 pods", trace
    assert delivery(view) == "pull"
    tooltip = view.part(".hops-polling").get_attribute("title") or ""
    assert "fetched by this view" in tooltip, tooltip
    dropped = nb.kernel_json("colab_shim.STATS['dropped']")
    assert dropped > 10, f"only {dropped} pushes dropped: the shim was not in the way"
    assert nb.kernel_json("w.status") == "RUNNING"

    # -- a busy cell: pushes dropped and pulls wait for the main thread; caught up at its end --
    view.record(prompt_of_cell=6)
    nb.run_cell(6)
    nb.wait_cell_running(6)
    nb.wait_prompt(6, running=False, timeout_s=30)
    final = view.wait_status("STOPPED", timeout_s=15)
    log = view.stop_recording()
    trace = save_trace("colab-like-busy-cell", log)
    began = next(s.t for s in log if s.cell_running)
    moved = next(s.t for s in log if s.status != "RUNNING")
    # pulled at once, the stop would show within a second; held back, it shows when the 8 s cell
    # ends (the status may land a few ms before the prompt changes from [*])
    assert moved - began > 7000, f"moved while the cell ran:\n{trace}"
    assert final.badge == "Stopped" and final.predictor == "0 of 2 pods"

    # -- a click: asked inside the request (delivered), followed by pulling; its reply, sent when
    # the poller has carried it out, is dropped like every push, then sent again when the view's
    # next pull says it still waits for it (the button is enabled again: not after a 30 s timeout)
    view.record()
    start = view.button("start")
    start.click()
    running = view.wait_status("RUNNING", timeout_s=40)
    log = view.stop_recording()
    trace = save_trace("colab-like-click", log)
    assert len({s.message for s in log if s.status == "STARTING"}) >= 2, trace
    assert running.badge == "Running" and delivery(view) == "pull"
    refresh = view.button("refresh")
    before = nb.kernel_json("colab_shim.STATS['dropped']")
    refresh.click()
    clicked = time.monotonic()
    nb.page.wait_for_function("(b) => !b.disabled", arg=refresh.element_handle(), timeout=10_000)
    settled_s = time.monotonic() - clicked
    assert nb.kernel_json("colab_shim.STATS['dropped']") > before  # the first reply did not get through
    assert settled_s < 10, settled_s

    # -- the state diagrams: their layout is a reply, their marks a trait the poller thread sets;
    # both reach the page by pulling, and follow a stop clicked in the page
    open_diagrams(view.root)
    wait_lit(view.root, {"status": "RUNNING", "start": "READY/true"})
    nb.page.on("dialog", lambda dialog: dialog.accept())  # Stop asks for confirmation
    view.button("stop").click()
    wait_lit(view.root, {"status": "STOPPED", "stop": "STOPPED/true"}, timeout_s=40)
    assert edge_state(view.root, "STOPPING>STOPPED") == "last" and delivery(view) == "pull"


def test_vscode_like_host(page, lab_server, tmp_path):
    """Clicks wait for the running cell (VS Code); the poller's pushes still arrive meanwhile."""
    install_kernelspec(lab_server.workdir / "data", "hops-vscode", extensions=("tests.hosts.vscode_shim",))
    cells = [
        SETUP + 'settle("frauddetector", "stop", "Stopped")\nfrom tests.hosts import vscode_shim',  # 0
        f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',  # 1
        'print("busy", flush=True)\ntime.sleep(6)',  # 2
    ]
    nb = open_with_kernel(page, lab_server, tmp_path, "vscode-like", "hops-vscode", cells)
    run_and_wait(nb, 0)
    run_and_wait(nb, 1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("STOPPED", timeout_s=15)
    # JupyterLab makes the widget's comm a subshell of its own, a moment after the comm opens; until
    # then its messages go on the main shell channel, where the kernel's own queue would hold them
    # during the cell without the shim. Start once they come on the subshell (a Refresh sends one).
    deadline = time.monotonic() + 30
    while not any(t != "MainThread" for t in nb.kernel_json("vscode_shim.STATS['threads']")):
        assert time.monotonic() < deadline, "JupyterLab never sent the widget's messages on a subshell"
        view.button("refresh").click()
        nb.page.wait_for_timeout(300)
    view.record(prompt_of_cell=2)
    nb.run_cell(2)
    nb.wait_cell_running(2)
    # [*] shows as soon as the cell is queued: wait until the kernel really runs it (its first output)
    nb.wait_text(nb.output(2), re.compile(r"\bbusy\b"), timeout_s=30)
    view.button("start").click()  # held back by the host until the cell ends
    # the diagrams' layout request too: it is asked again until answered, so they draw once the cell ends
    open_diagrams(view.root, timeout_s=40)
    nb.wait_prompt(2, running=False, timeout_s=30)
    running = view.wait_status("RUNNING", timeout_s=40)
    wait_lit(view.root, {"status": "RUNNING", "start": "READY/true"})
    assert edge_state(view.root, "STARTING>RUNNING") == "last"
    log = view.stop_recording()
    trace = save_trace("vscode-like-click-during-cell", log)
    began = next(s.t for s in log if s.cell_running)
    moved = next(s.t for s in log if s.status != "STOPPED")
    # handled at once (subshells, no shim), it would show within a second of the click; held back, it
    # shows when the 6 s cell ends (the status may land a few ms before the prompt changes)
    assert moved - began > 5000, f"the click was handled during the cell:\n{trace}"
    assert running.badge == "Running"
    stats = nb.kernel_json("vscode_shim.STATS")
    print("vscode-like host, the view's messages:", stats)
    assert stats["queued"] >= 1 and stats["released"] == stats["queued"], stats
    assert delivery(view) == "push", "pushes arrive in this host: the view must not fall back to pulling"


def test_lab_with_comms_over_subshells_off(page, lab_off, tmp_path):
    """ipykernel 7 with JupyterLab's comms over subshells off: handlers on the main thread."""
    cells = [
        SETUP + 'settle("frauddetector", "stop", "Stopped")\nimport ipykernel',  # 0
        f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',  # 1
        "d.stop(await_stopped=0)\ntime.sleep(12)",  # 2
    ]
    nb = open_with_kernel(page, lab_off, tmp_path, "subshells-off", "python3", cells)
    run_and_wait(nb, 0)
    assert nb.kernel_json("int(ipykernel.__version__.split('.')[0])") >= 7
    run_and_wait(nb, 1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("STOPPED", timeout_s=15)
    view.button("start").click()  # a request handled on the main thread, answered from the poller's
    running = view.wait_status("RUNNING", timeout_s=40)
    assert running.badge == "Running"
    assert delivery(view) == "push"
    assert nb.kernel_json("[w.pending_action, w.action_error]") == ["", ""]
    # a busy cell: the handlers wait for it, the poller's pushes do not
    view.record(prompt_of_cell=2)
    nb.run_cell(2)
    nb.wait_cell_running(2)
    view.wait_status("STOPPED", timeout_s=10)
    log = view.stop_recording()
    trace = save_trace("subshells-off-busy-cell", log)
    assert nb.is_running(2), f"the sleep ended first: the test proved nothing\n{trace}"
    during = [s for s in log if s.cell_running]
    assert {"STOPPING", "STOPPED"} <= {s.status for s in during}, trace
    nb.interrupt_kernel()
    nb.wait_prompt(2, running=False)


def test_ipykernel_6_29(page, lab_server, tmp_path, old_kernel_python):
    install_kernelspec(lab_server.workdir / "data", "hops-ipykernel-6.29", python=old_kernel_python)
    cells = [
        SETUP + 'settle("frauddetector", "stop", "Stopped")\nimport ipykernel',  # 0
        f'd = serving.get_deployment("frauddetector")\nw = hops_widgets.show(d, {POLL})',  # 1
        "d.stop(await_stopped=0)",  # 2
    ]
    nb = open_with_kernel(page, lab_server, tmp_path, "ipykernel-6-29", "hops-ipykernel-6.29", cells)
    run_and_wait(nb, 0)
    assert nb.kernel_json("ipykernel.__version__") == IPYKERNEL_OLD
    run_and_wait(nb, 1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("STOPPED", timeout_s=15)
    view.record()
    view.button("start").click()
    running = view.wait_status("RUNNING", timeout_s=40)
    log = view.stop_recording()
    trace = save_trace("ipykernel-6.29-start", log)
    assert any(s.status == "STARTING" for s in log), trace
    assert running.badge == "Running" and delivery(view) == "push"
    run_and_wait(nb, 2)  # asked in code, with the kernel idle after it: followed live
    assert view.wait_status("STOPPED", timeout_s=30).badge == "Stopped"
