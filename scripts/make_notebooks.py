"""Write the guide notebooks (source of truth for their cells; outputs are not stored)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent.parent / "notebooks"


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, check: bool = False):
    source = text.strip()
    if check:
        source = "# NBVAL_CHECK_OUTPUT\n" + source
    return new_code_cell(source)


def save(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, HERE / name)


CONNECT = code(
    """
import hops_widgets
from hops_widgets import sandbox

# A local Hopsworks-compatible server: no cluster, no network. `hops-widgets demo`
# starts one for you; otherwise this starts one inside the kernel.
sb = sandbox.connect_or_start(speed=5)
project = sb.login()                  # on a real cluster: hopsworks.login() or hops_widgets.login(...)
ms = project.get_model_serving()
print("connected to project", project.name)
"""
)

inspect = [
    md(
        """
# Inspecting a deployment's state

A deployment's **state** is a snapshot of what it is doing right now. It has two parts:

* the **status**, one word for the big picture (`Running`, `Starting`, `Idle`, `Failed`, ...);
* the **condition**, the detail behind it: which step of starting or stopping the deployment is on
  (`SCHEDULED`, `INITIALIZED`, `STARTED`, `READY`, `STOPPED`), whether that step succeeded, failed or is
  still in progress, and the server's own reason.

This notebook reads both from code, and shows them live with `deployment.show()`. It runs against the
hops-widgets sandbox, so everything below works on a laptop with no Hopsworks cluster.
"""
    ),
    md("## 1. Connect"),
    CONNECT,
    md("## 2. Get a deployment"),
    code(
        """
deployment = ms.get_deployment("fraud-detector")
print(deployment.name, "serves", deployment.model_name)
""",
        check=True,
    ),
    md(
        """
## 3. Watch it live

`show()` draws a status badge, the condition message with the server's reason, the start/stop steps and
the instance counts. It keeps itself up to date from a background thread: every second while something
is moving, every few seconds when stable, and rarely when it is scrolled off screen.
"""
    ),
    code(
        """
widget = deployment.show()
widget
"""
    ),
    md("Start the deployment and wait for it. The widget above follows every step while this cell waits."),
    code(
        """
deployment.start(await_running=0)      # returns at once; the widget shows the progress
state = widget.wait_for("RUNNING", timeout=90)
print(state.status, state.condition.type, state.condition.progress)
""",
        check=True,
    ),
    md(
        """
## 4. Read the state in code

`get_state()` asks the server once and returns the state; `describe()` prints it.
"""
    ),
    code(
        """
state = deployment.get_state()
state.describe()
"""
    ),
    md("The condition on its own: its type, whether it succeeded, the server's reason and what it means."),
    code(
        """
condition = state.condition
print("type:   ", condition.type)
print("status: ", condition.progress)          # true, false, or unknown while in progress
print("meaning:", condition.message)
""",
        check=True,
    ),
    md(
        """
## 5. Instance counts

How many instances are requested and how many are up, for the predictor and (when there is one)
the transformer.
"""
    ),
    code(
        """
deployment.resources.describe()
deployment.transformer.resources.describe()
print("predictor   available/requested:", state.predictor)
print("transformer available/requested:", state.transformer)
""",
        check=True,
    ),
    md(
        """
## 6. Scale to zero

A deployment whose minimum number of instances is 0 releases every instance after a while without
requests. Its status becomes **Idle** with 0 instances: that is healthy, not an error. The next
request wakes it up, and pays a cold start.
"""
    ),
    code(
        """
recommender = ms.get_deployment("recommender")
print("min instances:", recommender.scaling_configuration.min_instances)
rec_widget = recommender.show()
rec_widget
""",
        check=False,
    ),
    code(
        """
sb.set_timing(retention_s=20)                  # sandbox seconds without requests before idling
recommender.start(await_running=0)
rec_widget.wait_for("RUNNING", timeout=90)
idle = rec_widget.wait_for("IDLE", timeout=90)  # no traffic: it scales to zero
print(idle.status, "with", idle.predictor.available, "instances; scale-to-zero:", idle.scale_to_zero)
""",
        check=True,
    ),
    md("An inference request wakes it up again (a cold start)."),
    code(
        """
sb.predict("recommender")
awake = rec_widget.wait_for("RUNNING", timeout=90)
print(awake.status, "with", awake.predictor.available, "instance(s)")
""",
        check=True,
    ),
    md(
        """
## 7. Every deployment at once

`ms.show()` lists every deployment of the project with its status, condition and instances. Click a
row to open its detail view under the table.
"""
    ),
    code(
        """
overview = ms.show()
overview
"""
    ),
]

lifecycle = [
    md(
        """
# Deployment lifecycle: start, stop, fail, recover

Start and stop a deployment from code and from the widget's buttons, watch a failure with its reason,
and bring the deployment back. Runs against the hops-widgets sandbox.
"""
    ),
    CONNECT,
    md("## From code"),
    code(
        """
churn = ms.get_deployment("churn-model")
w = churn.show()
w
"""
    ),
    code(
        """
print("before:", churn.get_state().status)
churn.start(await_running=0)
print("after: ", w.wait_for("RUNNING", timeout=90).status)
""",
        check=True,
    ),
    code(
        """
churn.stop(await_stopped=0)
stopped = w.wait_for("STOPPED", timeout=90)
print(stopped.status, stopped.predictor)
""",
        check=True,
    ),
    md(
        """
## From the widget

The **Start** and **Stop** buttons of the widget run the same actions in the background, so the kernel
stays free. `widget.start()` and `widget.stop()` are what the buttons call; Stop asks for confirmation
in the page. A button is enabled only when the action makes sense for the current status.
"""
    ),
    code(
        """
print("can start:", w.can_start, "| can stop:", w.can_stop)
w.start()                       # what the Start button does
print(w.wait_for("RUNNING", timeout=90).status)
print("can start:", w.can_start, "| can stop:", w.can_stop)
""",
        check=True,
    ),
    code(
        """
w.stop()                        # what the Stop button does, after its confirmation
print(w.wait_for("STOPPED", timeout=90).status)
""",
        check=True,
    ),
    md(
        """
## A failure, and its reason

`big-llm` asks for more GPUs than the cluster has, so it cannot be scheduled. The widget turns red,
the failed step is marked in the stepper, and the server's reason is shown under the message.
"""
    ),
    code(
        """
llm = ms.get_deployment("big-llm")
llm_widget = llm.show()
llm_widget
"""
    ),
    code(
        """
from hops_widgets.errors import DeploymentFailed

llm.start(await_running=0)
try:
    llm_widget.wait_for("RUNNING", timeout=90)
except DeploymentFailed as failure:
    print("failed at", failure.state.condition.type, "->", failure.state.condition.progress)
""",
        check=True,
    ),
    md("Failures can be scripted at any step. Here `churn-model` fails while its model server starts:"),
    code(
        """
sb.fail("churn-model", step="STARTED", reason="predictor.py raised ImportError: no module named 'xgboost'")
churn.start(await_running=0)
try:
    w.wait_for("RUNNING", timeout=90)
except DeploymentFailed as failure:
    print(failure.state.condition.type, failure.state.condition.progress)
    print(failure.state.condition.message)
""",
        check=True,
    ),
    md("## Recovery\n\nFix the cause (here: forget the scripted failure), stop, and start again."),
    code(
        """
sb.heal("churn-model")
churn.stop(await_stopped=0)
w.wait_for("STOPPED", timeout=90)
churn.start(await_running=0)
print(w.wait_for("RUNNING", timeout=90).status)
""",
        check=True,
    ),
]


def record(name: str) -> None:
    """Execute a notebook and keep outputs only where nbval compares them (NBVAL_CHECK_OUTPUT)."""
    from nbclient import NotebookClient

    path = HERE / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "NBVAL_CHECK_OUTPUT" not in cell.source:
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for name, cells in (("inspect_deployment_state.ipynb", inspect), ("deployment_lifecycle.ipynb", lifecycle)):
        save(name, cells)
        record(name)
        print("wrote", HERE / name)
