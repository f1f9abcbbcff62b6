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
# # Lesson: every status and every condition of a deployment
#
# A Hopsworks deployment reports its **state** in two parts: a **status**, one word for the big picture
# (Created, Starting, Running, Idle, Updating, Stopping, Stopped, Failed), and a **condition**, the step
# of a start or a stop it is on, with that step's progress: **Unknown** while it is under way, **False**
# if it failed, **True** once the whole start (READY) or stop (STOPPED) is done. A start step that is done
# is not reported as True: the next step, Unknown, takes its place, as the real backend reports it.
#
# This lesson shows every one of them, live, with no cluster: the hops-widgets sandbox plays the
# `lesson` scenario (a file shipped with hops-widgets, `hops_widgets/sandbox/scenarios/lesson.json`),
# one chapter per section. Each section starts its chapter, draws the deployment's state diagrams, and
# then notes every state the deployment passes through while the chapter plays. The last cell checks
# that, together, the chapters showed every status and every condition.
#
# For a class: every state lasts at least one second here (the sandbox runs twice as fast as real
# time). `sandbox.connect_or_start(speed=1)` makes each one last two seconds; a teacher can also run
# the whole lesson on one projected sandbox with `hops-widgets sandbox --scenario lesson`.

# %% [markdown]
# ## Set-up
#
# A sandbox (the demo's, if this notebook runs inside `hops-widgets demo`; otherwise one started in this
# kernel), and a small function that asks for the states of some deployments ten times a second until
# the chapter has played out, and keeps every new (status, condition type, condition progress) it sees.

# %%
import time

import hops_widgets
from hops_widgets import sandbox

sb = sandbox.connect_or_start(speed=2)
ms = sb.login().get_model_serving()
SEEN: dict[tuple, str] = {}  # every row seen so far -> the chapter that showed it first


def watch(chapter: str, *names: str, timeout: float = 180) -> None:
    """Note each new state of ``names`` until the chapter's last step has run; print what was seen."""
    deployments = [ms.get_deployment(name) for name in names]
    rows: dict[str, list[tuple[str, str, str]]] = {name: [] for name in names}

    def look() -> None:
        for d in deployments:
            s = d.get_state()
            cond = s.condition
            row = (s.status, cond.type if cond else "", cond.progress.capitalize() if cond else "")
            if not rows[d.name] or rows[d.name][-1] != row:
                rows[d.name].append(row)

    deadline = time.monotonic() + timeout
    while sb.script_progress()["playing"]:
        look()
        assert time.monotonic() < deadline, f"chapter {chapter!r} did not finish in {timeout} s"
        time.sleep(0.1)
    look()  # the state the chapter's last step left behind
    for name, seen in rows.items():
        print(name)
        for status, ctype, progress in seen:
            print(f"  {status:<9} {ctype:<12} {progress}")
            SEEN.setdefault(("status", status), chapter)
            if ctype:
                SEEN.setdefault(("condition", ctype, progress), chapter)


# %%
# NBVAL_CHECK_OUTPUT
lesson = sandbox.script.load("lesson")  # read and checked here; each section below plays one chapter
print(lesson.title)
for chapter in lesson.chapters:
    print(f"  {chapter.id:<14} {chapter.title} ({chapter.length:g} s)")

# %% [markdown]
# ## 1. From Creating to Running
#
# A new deployment is first **Creating** (Hopsworks prepares it), then **Created**: it exists but was
# never started. Started, it walks four steps, and the condition names the step it is on:
#
# | step | what happens while it is Unknown |
# |---|---|
# | SCHEDULED | the cluster looks for nodes with room for the instances and reserves their CPU, memory, GPUs |
# | INITIALIZED | each instance pulls its container image and mounts its volumes |
# | STARTED | the model server boots and runs the predictor (and transformer) script |
# | READY | the network route to the instances is set up |
#
# A step that is done is not reported as True: the next step begins, Unknown, in its place. Only READY
# turns True, and the status is then **Running**.
# Watch the diagram below: the highlighted status and step move while the next cell notes them.

# %%
sb.play("lesson", chapter="start")
first = ms.get_deployment("lessonstart")
first_view = hops_widgets.diagram(first, fast_s=0.5)

# %%
# NBVAL_CHECK_OUTPUT
watch("start", "lessonstart")

# %% [markdown]
# ## 2. Scale to zero, and a cold start
#
# A deployment allowed to run **zero** instances gives them all back after a while without requests.
# Its status becomes **Idle**: healthy, ready, just not holding anything. Its condition still reads
# READY True. The next request wakes it: a **cold start**. The service stays ready while idle, so the
# first pod makes the deployment Running at once: Idle goes straight to Running, with no Starting in
# between, while the request waits for the pod. The widget's instance bar goes to 0 and back.

# %%
sb.play("lesson", chapter="scale-to-zero")
idle = ms.get_deployment("lessonidle")
idle_view = idle.show(fast_s=0.5)

# %%
# NBVAL_CHECK_OUTPUT
watch("scale-to-zero", "lessonidle")

# %% [markdown]
# ## 3. Updating
#
# Changing a running deployment (here: three instances instead of one) rolls the change out to its
# instances. Meanwhile the status is **Updating**, with the STARTED and then the READY step under way,
# and the deployment keeps serving.

# %%
sb.play("lesson", chapter="update")
grow = ms.get_deployment("lessonupdate")
grow_view = grow.show(fast_s=0.5)

# %%
# NBVAL_CHECK_OUTPUT
watch("update", "lessonupdate")
print("instances now:", grow.get_state().predictor)

# %% [markdown]
# ## 4. Stopping
#
# A stop walks two steps. First the deployment gives its place on the cluster back (the SCHEDULED step,
# Unknown, which on the way down means *releasing*), then its instances shut down (STOPPED, Unknown).
# When STOPPED is True the status is **Stopped**: nothing runs and nothing is allocated. The diagram
# of the stop lights up this time.

# %%
sb.play("lesson", chapter="stop")
halt = ms.get_deployment("lessonstop")
halt_view = hops_widgets.diagram(halt, fast_s=0.5)

# %%
# NBVAL_CHECK_OUTPUT
watch("stop", "lessonstop")

# %% [markdown]
# ## 5. A start failing at each step
#
# Any start step can fail. Its progress is then **False**, the status **Failed**, and the condition's
# reason says what went wrong. Four deployments are started here, each with a failure planned at a
# different step. A failed deployment cannot simply be started again (the cluster refuses: stop it
# first), so the last one is recovered the real way: stopped, then started, with nothing planned, and
# it runs. The widget offers exactly that on a failed deployment: **Restart** (stop, then start) and
# **Stop**, no Start.
#
# | failing step | what usually causes it |
# |---|---|
# | SCHEDULED | the cluster has no node with enough free CPU, memory or GPUs for an instance |
# | INITIALIZED | the container image cannot be pulled, or a volume cannot be mounted |
# | STARTED | the predictor or transformer script crashes, a dependency is missing, the server does not fit the model |
# | READY | the network route to the instances cannot be set up |
#
# The overview below lists the project's deployments; click a failed one to open its detail and diagram.

# %%
sb.play("lesson", chapter="failures")
everything = ms.show(fast_s=0.5)

# %%
# NBVAL_CHECK_OUTPUT
failing = ["lessonfailscheduled", "lessonfailinitialized", "lessonfailstarted", "lessonfailready"]
watch("failures", *failing)

# %% [markdown]
# Each failure's reason, as the server gives it:

# %%
# NBVAL_CHECK_OUTPUT
for name in failing[:3]:
    cond = ms.get_deployment(name).get_state().condition
    print(f"{name}: {cond.type} {cond.progress}: {cond.reason}")

# %% [markdown]
# The diagram of the one that failed while starting its model server: the path down the start steps and
# the failed branch are marked.

# %%
crash = hops_widgets.diagram(ms.get_deployment("lessonfailstarted"))

# %% [markdown]
# ## What the lesson showed
#
# Every status and every condition row the backend sends, with the chapter that showed it first (no
# True for SCHEDULED, INITIALIZED or STARTED: it is never sent). The cell fails if one is missing (a
# chapter was changed or left out).

# %%
# NBVAL_CHECK_OUTPUT
STATUSES = ["CREATED", "STARTING", "RUNNING", "IDLE", "UPDATING", "STOPPING", "STOPPED", "FAILED"]
CONDITIONS = [("STOPPED", "Unknown"), ("STOPPED", "True"), ("READY", "True")] + [
    (step, progress) for step in ("SCHEDULED", "INITIALIZED", "STARTED", "READY") for progress in ("Unknown", "False")
]
missing = []
for status in STATUSES:
    where = SEEN.get(("status", status))
    print(f"status    {status:<12}          {where or 'NOT SEEN'}")
    missing += [] if where else [status]
for step, progress in CONDITIONS:
    where = SEEN.get(("condition", step, progress))
    print(f"condition {step:<12} {progress:<8} {where or 'NOT SEEN'}")
    missing += [] if where else [f"{step} {progress}"]
assert not missing, f"not shown: {missing}"
print(f"all {len(STATUSES)} statuses and {len(CONDITIONS)} conditions shown")
