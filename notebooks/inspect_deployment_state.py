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
# # Inspecting a deployment's state
#
# A deployment's **state** is a snapshot of what it is doing right now. It has two parts:
#
# * the **status**, one word for the big picture (`Running`, `Starting`, `Idle`, `Failed`, ...);
# * the **condition**, the detail behind it: which step of starting or stopping the deployment is on
#   (`SCHEDULED`, `INITIALIZED`, `STARTED`, `READY`, `STOPPED`), whether that step succeeded, failed or is
#   still in progress, and the server's own reason.
#
# This notebook reads both from code, and shows them live with `deployment.show()`. It runs against the
# hops-widgets sandbox, so everything below works on a laptop with no Hopsworks cluster.
#
# The sandbox's deployments keep living between cells, as real ones do: a deployment with no traffic
# scales to zero after a while, and the buttons of a widget start and stop it. So each cell first looks
# at where its deployment is, and does only what is still needed. You can run the notebook top to bottom
# as often as you like, and take your time between cells.

# %% [markdown]
# ## 1. Connect
#
# `connect_or_start()` finds the sandbox of `hops-widgets demo` (the demo hands its address to this
# kernel) or, run anywhere else, starts one inside this kernel, 5 times faster than real time. It prints
# which one it uses. The demo's sandbox keeps its own speed (real time, unless the demo was started with
# `--speed`): the cell says so rather than pretending to apply `speed=5`.

# %%
from hops_widgets import sandbox

sb = sandbox.connect_or_start(speed=5)
project = sb.login()  # on a real cluster: hopsworks.login() or hops_widgets.login(...)
ms = project.get_model_serving()
print("connected to project", project.name)

# %% [markdown]
# ## 2. Get a deployment

# %%
# NBVAL_CHECK_OUTPUT
deployment = ms.get_deployment("frauddetector")
print(deployment.name, "serves", deployment.model_name)

# %% [markdown]
# ## 3. Watch it live
#
# `show()` draws a status badge, the condition message with the server's reason, the start/stop steps and
# the instance counts. It keeps itself up to date from a background thread: every second while something
# is moving, every few seconds when stable, and rarely when it is scrolled off screen. Where no widget
# can run (GitHub, an HTML export) the output is a static picture of the state at the time.

# %%
# NBVAL_CHECK_OUTPUT
widget = deployment.show()
widget

# %% [markdown]
# Start the deployment and wait for it; the widget above follows every step while this cell waits.
#
# `start(await_running=0)` sends the request and returns at once. The cluster accepts a start only of a
# deployment that is not started: Created or Stopped. Already running (as `frauddetector` is in a fresh
# sandbox), it would refuse (HTTP 400), so the cell starts it only when it needs it, lets a stop finish
# first (say, a moment after you pressed its **Stop** button), and stops a failed one first.

# %%
# NBVAL_CHECK_OUTPUT
status = deployment.get_state().status
if status == "FAILED":
    deployment.stop(await_stopped=0)
if status in ("STOPPING", "FAILED"):
    widget.wait_for("STOPPED", timeout=90)
if deployment.get_state().status in ("CREATED", "STOPPED"):
    deployment.start(await_running=0)
state = widget.wait_for("RUNNING", timeout=90)
print(state.status, state.condition.type, state.condition.progress)

# %% [markdown]
# ## 4. Read the state in code
#
# `get_state()` asks the server once and returns the state; `describe()` prints it.

# %%
state = deployment.get_state()
state.describe()

# %% [markdown]
# The condition on its own: its type, whether it succeeded, the server's reason and what it means.

# %%
# NBVAL_CHECK_OUTPUT
condition = state.condition
print("type:   ", condition.type)
print("status: ", condition.progress)  # true, false, or unknown while in progress
print("meaning:", condition.message)

# %% [markdown]
# The same facts as pictures: `hops_widgets.diagram()` draws how a deployment moves between statuses,
# and the condition steps of a start and of a stop. A start's step is Unknown while in progress and False
# if it failed; a step that is done is not sent as True, the next step's Unknown replaces it, and only
# READY ends True (as the real backend reports them). This deployment's status and step are highlighted and
# the path it took is marked; the diagrams follow it live, as the widget above does. (The detail widget
# has them too, folded, under **State diagram**.)

# %%
import hops_widgets

hops_widgets.diagram(deployment)

# %% [markdown]
# ## 5. Instance counts
#
# How many instances are requested and how many pods exist, for the predictor and (when there is one)
# the transformer. A pod counts in any phase, pending or crash-looping too: a deployment that failed while
# its model server started shows 1 of 1. So the count never says "ready"; the status and the condition
# (READY True) do, and the widget writes "ready" only then.

# %%
# NBVAL_CHECK_OUTPUT
deployment.resources.describe()
deployment.transformer.resources.describe()
print("predictor   pods that exist/requested:", state.predictor)
print("transformer pods that exist/requested:", state.transformer)
print(state.pods_summary())

# %% [markdown]
# ## 6. Scale to zero
#
# A deployment whose minimum number of instances is 0 releases every instance after a while without
# requests (the *retention* period). Its status becomes **Idle** with 0 instances: that is healthy, not
# an error. The next request wakes it up, and pays a cold start.
#
# `recommender` is such a deployment, and in the sandbox nobody sends it requests. So it may be
# **Running** (it will idle by itself) or already **Idle** when you get here, depending on how long you
# took: the widget shows which.

# %%
recommender = ms.get_deployment("recommender")
print("min instances:", recommender.scaling_configuration.min_instances)
rec_widget = recommender.show()
rec_widget

# %% [markdown]
# Wait for it to scale to zero. The cell shortens the sandbox's retention to 20 s, so the wait is short
# (sandbox seconds: real seconds in the demo, a fifth of that in a sandbox started at speed 5). Already
# Idle, the wait ends at the next poll. Not serving at all (stopped from its widget, say): the cell starts
# it first, and it idles once it is up and the retention is over. Starting an Idle deployment would change
# nothing: it is already as started as it gets.

# %%
# NBVAL_CHECK_OUTPUT
sb.set_timing(retention_s=20)  # sandbox seconds without a request before a scale-to-zero deployment idles
status = recommender.get_state().status
if status == "STOPPING":
    rec_widget.wait_for("STOPPED", timeout=90)
if status == "FAILED":  # a failed deployment is stopped first: the cluster refuses a plain start
    recommender.stop(await_stopped=90)
if status in ("STOPPING", "STOPPED", "CREATED", "FAILED"):
    recommender.start(await_running=0)
idle = rec_widget.wait_for("IDLE", timeout=120)
print(idle.status, "with", idle.predictor.available, "instances; scale-to-zero:", idle.scale_to_zero)

# %% [markdown]
# An inference request wakes it up again (a cold start). While idle the service stays ready, so the first
# pod makes it Running at once: the widget goes from Idle straight to Running, with no Starting in between,
# and its instance back.

# %%
# NBVAL_CHECK_OUTPUT
sb.predict("recommender")  # what a client's first request after the quiet time does
awake = rec_widget.wait_for("RUNNING", timeout=90)
print(awake.status, "with", awake.predictor.available, "instance(s)")

# %% [markdown]
# ## 7. Every deployment at once
#
# `ms.show()` lists every deployment of the project with its status, condition and instances. Click a
# row to open its detail view under the table.

# %%
overview = ms.show()
overview
