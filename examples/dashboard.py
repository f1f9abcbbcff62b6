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
# # Model Serving
#
# Every deployment of the project, live: click a row for its detail (steps, instances, history), or
# Start / Stop it. Served by `hops-widgets dashboard` (Voilà on a local sandbox); on a cluster, replace
# the first cell's sandbox with `hopsworks.login().get_model_serving()` and run `voila dashboard.ipynb`.

# %%
import hops_widgets
from hops_widgets import sandbox

# The sandbox of `hops-widgets dashboard` (its HOPS_WIDGETS_SANDBOX_* variables), else one started here.
sb = sandbox.connect_or_start(speed=5, quiet=True)
ms = sb.login().get_model_serving()

# %%
overview = hops_widgets.show(ms)
names = sorted(s.name for s in overview.states)
if names:  # open one deployment's detail under the table; a click on another row replaces it
    overview.open_detail("frauddetector" if "frauddetector" in names else names[0])
