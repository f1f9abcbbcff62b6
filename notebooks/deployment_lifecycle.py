# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Deployment lifecycle: start, stop, fail, recover
#
# Start and stop a deployment from code and from the widget's buttons, watch a failure with its reason,
# and bring the deployment back. Runs against the hops-widgets sandbox.
#
# Each cell looks at where its deployment is before acting, so the notebook runs top to bottom whatever
# an earlier run, the other guide or a click on a widget left behind.

# %%
from hops_widgets import sandbox

# The sandbox of `hops-widgets demo` if this kernel runs under it, else one started in this kernel
# (5 times faster than real time). It prints which, and what it could not apply.
sb = sandbox.connect_or_start(speed=5)
project = sb.login()  # on a real cluster: hopsworks.login() or hops_widgets.login(...)
ms = project.get_model_serving()
print("connected to project", project.name)

# %% [markdown]
# ## From code
#
# `churnmodel` has been deployed but never started: its status is **Created**.

# %%
# NBVAL_CHECK_OUTPUT
churn = ms.get_deployment("churnmodel")
w = churn.show()
w

# %% [markdown]
# `start(await_running=0)` sends the start and returns at once; `wait_for` blocks until the widget sees
# the status asked for. The cluster starts only a deployment that is not started (Created or Stopped):
# one already up, or still stopping, is refused (HTTP 400). So the cell lets a stop finish and starts
# only when there is something to start (a second run of this notebook finds it Running).

# %%
# NBVAL_CHECK_OUTPUT
print("before:", churn.get_state().status)
if churn.get_state().status == "STOPPING":
    w.wait_for("STOPPED", timeout=90)
if churn.get_state().status in ("CREATED", "STOPPED"):  # the cluster refuses a start of a started one
    churn.start(await_running=0)
print("after: ", w.wait_for("RUNNING", timeout=90).status)

# %%
# NBVAL_CHECK_OUTPUT
churn.stop(await_stopped=0)
stopped = w.wait_for("STOPPED", timeout=90)
print(stopped.status, stopped.predictor)

# %% [markdown]
# ## From the widget
#
# The **Start** and **Stop** buttons of the widget run the same actions in the background, so the kernel
# stays free. `widget.start()` and `widget.stop()` are what the buttons call; Stop asks for confirmation
# in the page. A button is enabled only when the action makes sense for the current status.

# %%
# NBVAL_CHECK_OUTPUT
print("can start:", w.can_start, "| can stop:", w.can_stop)
w.start()  # what the Start button does
print(w.wait_for("RUNNING", timeout=90).status)
print("can start:", w.can_start, "| can stop:", w.can_stop)

# %%
# NBVAL_CHECK_OUTPUT
w.stop()  # what the Stop button does, after its confirmation
print(w.wait_for("STOPPED", timeout=90).status)

# %% [markdown]
# ## A failure, and its reason
#
# `bigllm` asks for more GPUs than the cluster has, so it cannot be scheduled. The widget turns red,
# the failed step is marked in the stepper, and the server's reason is shown under the message.

# %%
# NBVAL_CHECK_OUTPUT
llm = ms.get_deployment("bigllm")
llm_widget = llm.show()
llm_widget

# %% [markdown]
# A failed deployment cannot simply be started again: a real cluster refuses (HTTP 400, "stop it first"),
# and the SDK's `start()` only prints a line. So the widget offers no **Start** on a failed deployment;
# it offers **Restart** (stop, then start) and **Stop**, and says so under the message. In code,
# `restart()` does the same. Here it does not help: every start fails at the same step, for the same
# reason. `wait_for` raises `DeploymentFailed`, which carries the failed state.

# %%
# NBVAL_CHECK_OUTPUT
from hops_widgets.errors import DeploymentFailed, HopsError

print("offered: start", llm_widget.can_start, "| restart", llm_widget.can_restart, "| stop", llm_widget.can_stop)
if llm.get_state().status == "FAILED":
    try:
        llm.start(await_running=0)
    except HopsError as refused:
        print("a plain start is refused:", refused.status_code, refused.error_code)
llm.restart(await_stopped=90, await_running=0)
try:
    llm_widget.wait_for("RUNNING", timeout=90)
except DeploymentFailed as failure:
    print("failed at", failure.state.condition.type, "->", failure.state.condition.progress)

# %% [markdown]
# Failures can be scripted at any step. Here `churnmodel` (stopped by the cell before last) fails while
# its model server starts:

# %%
# NBVAL_CHECK_OUTPUT
sb.fail("churnmodel", step="STARTED", reason="predictor.py raised ImportError: no module named 'xgboost'")
churn.start(await_running=0)
try:
    w.wait_for("RUNNING", timeout=90)
except DeploymentFailed as failure:
    print(failure.state.condition.type, failure.state.condition.progress)
    print(failure.state.condition.message)

# %% [markdown]
# ### Why did it fail?
#
# The condition says *where* the start broke: the model server did not come up. The predictor's own log
# says *why*. The widget above opened its **Logs** section on the predictor by itself, at the end of the
# traceback; `w.logs()` gives the same text to code (like `read_logs()` in the SDK 5.x and the built-in
# client):

# %%
# NBVAL_CHECK_OUTPUT
log_text = w.logs("predictor", tail=40)
print(log_text.strip().splitlines()[-1])  # the last line of the traceback: the error itself

# %% [markdown]
# ## Recovery
#
# Fix the cause (here: forget the scripted failure), then restart: stop, then start. That is what the
# widget's **Restart** button does, and `restart()` in code. (A failure can also end by itself when its
# cause goes away, say a pod that finally finds room on the cluster: the status then turns to Starting or
# Running with no action by anyone.)

# %%
# NBVAL_CHECK_OUTPUT
sb.heal("churnmodel")
churn.restart(await_stopped=90, await_running=0)
print(w.wait_for("RUNNING", timeout=90).status)

# %% [markdown]
# ## Versions and rollback
#
# Hopsworks 5.2 keeps every configuration a deployment had as a numbered **version**, one of them
# active. Saving a change as a new version (`deployment.save(new_version=True)` in the SDK) makes it the
# active one, and a running deployment rolls its instances to it through **Updating**. A **rollback**
# makes an earlier version active again, the same way. An older cluster or SDK has no versions: the
# widget then shows no Versions section, and the calls below answer `None` instead of failing.
#
# Here the sandbox plays a colleague who saves a change as a new version: `churnmodel` gets the next
# model version.

# %%
# NBVAL_CHECK_OUTPUT
w.wait_for("RUNNING", timeout=90)  # recovered above
sb.update_deployment("churnmodel", new_version=True, model_version=churn.get_state().model_version + 1)
print(w.wait_for("RUNNING", timeout=90).status, "on the new version")

# %% [markdown]
# The widget's **Versions** section (collapsed; the versions are read only while it is open) lists them
# newest first, the active one marked, each with what changed from the one before and a **Roll back**
# button on the older ones. In code, `get_versions()` (SDK 5.2 and the built-in client) gives the list as
# the REST API sends it; `versions_list()` gives the section's rows:

# %%
versions_widget = churn.show()
rows = versions_widget.versions_list()  # None where there are no versions
for row in rows or []:
    print(f"v{row['version']:<3}", "active" if row["active"] else "      ", "; ".join(row["changes"]))
versions_widget

# %% [markdown]
# Roll back to the first version. `rollback(n)` is what the **Roll back** button calls
# once confirmed: it returns at once (a future, like `start()` and `stop()`), and the widget follows the
# rollout live, Updating and then Running on the earlier configuration. The SDK's
# `deployment.rollback(n)` does the same and waits. A Data Scientist's key is refused (403), and so is a
# rollback while the deployment starts or stops: the widget says so in plain words.

# %%
# NBVAL_CHECK_OUTPUT
if rows:
    first = min(row["version"] for row in rows)
    versions_widget.rollback(first).result(timeout=30)
    print(versions_widget.wait_for("RUNNING", timeout=90).status, "after the rollback")
    now = next(row["version"] for row in versions_widget.versions_list() if row["active"])
    print("the first version is active again:", now == first)
