"""Polling: one background loop per project, shared by every widget of its deployments.

The poller knows nothing about widgets. Subscribers register a callback and
receive an immutable :class:`Snapshot` whenever a poll finishes; whether
anything changed is for them to decide (traitlets does it for free).

Scheduling follows :class:`Policy`: fast while something is moving or just
after an action, slower when stable, slowest (or paused) when no view is on
screen, and exponential backoff with jitter on errors.

The code lives by job, each module importing only the ones listed before it:
:mod:`~hops_widgets._policy` (Policy, Snapshot), :mod:`~hops_widgets._tablewatch`
(what an overview needs read), :mod:`~hops_widgets._watchdog` (polls that hang),
:mod:`~hops_widgets._polling` (the source adapter and the Poller),
:mod:`~hops_widgets._projectloop` (one loop per project) and :mod:`~hops_widgets._registry`
(project discovery, the shared pollers). This module gathers their public names.
"""

from __future__ import annotations

from ._policy import LASTING_ERRORS, Policy, Snapshot
from ._polling import DeploymentSource, Poller
from ._projectloop import Choice, ProjectLoop, project_loops
from ._registry import acquire, active_pollers, joined, project_of, release
from ._sdk import sdk_secrets as sdk_secrets  # moved to the SDK adapter; kept importable here
from ._tablewatch import TableWatch

__all__ = [
    "LASTING_ERRORS",
    "Choice",
    "DeploymentSource",
    "Policy",
    "Poller",
    "ProjectLoop",
    "Snapshot",
    "TableWatch",
    "acquire",
    "active_pollers",
    "joined",
    "project_loops",
    "project_of",
    "release",
]
