"""The newcomer's path: ``hops-widgets demo`` (what ``make demo`` runs), the address it prints, Run All twice.

Nothing here starts a sandbox or a Jupyter server of its own: the demo command does both, hands the
sandbox to the kernel through the environment, and prints the guide's address; the test opens that
address in Chromium and runs the guide as a reader would, at the demo's speed (real time). The first
Run All starts once `recommender` has already scaled to zero (the demo's sandbox idles it after 30 s),
which is what a reader who reads before running finds; the second runs in the same kernel, on what the
first left behind.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from hops_widgets.sandbox import ENV_CA, ENV_KEY, ENV_URL, RemoteSandbox

from .e2e_notebook import ARTIFACTS, NotebookPage
from .e2e_servers import REPO_ROOT, DemoProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

NOTEBOOKS = REPO_ROOT / "notebooks"
GUIDES = ["inspect_deployment_state.ipynb", "deployment_lifecycle.ipynb"]


@pytest.fixture
def demo(tmp_path, browser):
    process = DemoProcess(
        tmp_path / "demo", ARTIFACTS / "logs", [NOTEBOOKS / name for name in GUIDES], "inspect_deployment_state.ipynb"
    )
    process.start()
    yield process
    process.stop()
    assert process.processes() == [], "the demo left processes running"


def _demo_sandbox(demo: DemoProcess) -> RemoteSandbox:
    """The demo's sandbox, from the ``export`` lines it printed for other processes."""
    exported = dict(re.findall(r"^\s*export (HOPS_WIDGETS_SANDBOX_\w+)=(\S+)$", demo.output, re.MULTILINE))
    return RemoteSandbox(exported[ENV_URL], exported[ENV_KEY], ca_path=exported.get(ENV_CA))


def _stdout(nb: NotebookPage, index: int) -> str:
    return "".join("".join(o.get("text", "")) for o in nb.outputs_json(index) if o.get("output_type") == "stream")


def _run_all(nb: NotebookPage, timeout_s: float = 300) -> float:
    """Clear the outputs (so that only this run's can pass), Run All, wait; fails on any error or stderr."""
    nb.clear_all_outputs()
    started = time.monotonic()
    nb.run_all()
    nb.wait_cells_done(timeout_s=timeout_s)  # asserts no error output and no stderr in any cell
    return time.monotonic() - started


def _record(name: str, seconds: list[float]) -> None:
    path = ARTIFACTS / "demo-run-all.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = [round(s, 1) for s in seconds]
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"{name}: Run All took {', '.join(f'{s:.1f} s' for s in seconds)} at the demo's speed")


def _open(page, demo: DemoProcess, url: str, filename: str) -> NotebookPage:
    page.goto(url)
    nb = NotebookPage(page, demo, filename)
    nb.wait_kernel_idle(timeout_s=120)
    return nb


def test_inspect_guide_runs_twice_in_the_demo(demo, page):
    sb = _demo_sandbox(demo)
    assert sb.speed == 1  # the demo's default: real time

    # The printed address opens the guide itself (not the Launcher), with its stored static snapshots.
    nb = _open(page, demo, demo.guide_url, "inspect_deployment_state.ipynb")
    current = page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget; return w && w.context && w.context.path; }"
    )
    assert current == "inspect_deployment_state.ipynb"
    shown = nb.cell_index_of("widget = deployment.show()")
    stored = nb.output(shown).inner_text()
    assert "frauddetector" in stored and "Running" in stored, stored

    # As a reader who reads before running: recommender has scaled to zero by now.
    deadline = time.monotonic() + 90
    while sb.status("recommender") != "Idle" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sb.status("recommender") == "Idle"

    seconds = []
    for run in (1, 2):
        seconds.append(_run_all(nb))
        connect = _stdout(nb, nb.cell_index_of("sandbox.connect_or_start("))
        assert f"Using the sandbox at {sb.url}" in connect, connect
        assert "speed=5 (it runs with 1.0)" in connect and "Not applied" in connect, connect
        idle = _stdout(nb, nb.cell_index_of("idle = rec_widget.wait_for"))
        assert idle == "IDLE with 0 instances; scale-to-zero: True\n", f"run {run}: {idle!r}"
        awake = _stdout(nb, nb.cell_index_of('sb.predict("recommender")'))
        assert awake == "RUNNING with 1 instance(s)\n", f"run {run}: {awake!r}"
        assert sb.speed == 1, "the guide changed the demo's speed"
    _record("inspect_deployment_state", seconds)
    # the guide talked to the demo's sandbox (not to one started in the kernel): its lookups are in this
    # sandbox's log; it sends no start here, as both deployments are already started (a start would be
    # refused, as on a real cluster)
    assert len(sb.requests(endpoint="serving_by_name")) >= 2
    assert [r for r in sb.requests(endpoint="serving_action") if r["status"] != 200] == []


def test_lifecycle_guide_runs_twice_in_the_demo(demo, page):
    sb = _demo_sandbox(demo)
    url = demo.guide_url.replace("inspect_deployment_state.ipynb", "deployment_lifecycle.ipynb")
    nb = _open(page, demo, url, "deployment_lifecycle.ipynb")
    seconds = []
    for run in (1, 2):
        seconds.append(_run_all(nb))
        before = _stdout(nb, nb.cell_index_of('print("before:"'))
        assert before.startswith("before: CREATED" if run == 1 else "before: RUNNING"), f"run {run}: {before!r}"
        assert before.endswith("after:  RUNNING\n"), before
        failed = _stdout(nb, nb.cell_index_of("llm.start(await_running=0)"))
        assert failed == (
            "offered: start False | restart True | stop True\n"
            "a plain start is refused: 400 240003\n"
            "failed at SCHEDULED -> false\n"
        ), f"run {run}: {failed!r}"
        scripted = _stdout(nb, nb.cell_index_of('sb.fail("churnmodel"'))
        assert scripted.startswith("STARTED false\n"), f"run {run}: {scripted!r}"
        recovered = _stdout(nb, nb.cell_index_of('sb.heal("churnmodel")'))
        assert recovered == "RUNNING\n", f"run {run}: {recovered!r}"
        assert sb.status("churnmodel") == "Running"
    _record("deployment_lifecycle", seconds)
