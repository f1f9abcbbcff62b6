"""``show()``: the one entry point above both widgets (a deployment, or a model serving handle)."""

from __future__ import annotations

from typing import Any

__all__ = ["diagram", "show"]


def show(obj: Any, *, display: bool = True, first_update_s: float = 2.0, **options: Any):
    """Show a live widget for an SDK-shaped deployment (or a model serving handle).

    ``options`` are the polling intervals (``fast_s``, ``stable_s``,
    ``hidden_s``, ``after_action_s``, ``backoff_min_s``, ``backoff_max_s``)
    and ``actions=False`` to hide the buttons. ``show`` waits up to
    ``first_update_s`` for the first poll before displaying. Returns the widget.
    """
    from ._ipykernel import check_ipykernel

    check_ipykernel()  # 7.0.0 and 7.0.1 cannot send the poller's updates: say so, once
    if hasattr(obj, "get_state"):
        from .widget import DeploymentWidget

        widget: Any = DeploymentWidget(obj, **options)
    elif hasattr(obj, "get_deployments"):
        from .overview import OverviewWidget

        widget = OverviewWidget(obj, **options)
    else:
        raise TypeError(
            f"hops_widgets.show() needs a deployment (with get_state()) or a model serving handle "
            f"(with get_deployments()), not {type(obj).__name__}"
        )
    # A moment for the first poll, so the first paint and the static snapshot
    # saved with the notebook show the deployment rather than "Loading…".
    widget._await_first_update(first_update_s)
    if display:
        from IPython.display import display as ipy_display

        ipy_display(widget)
        widget._mark_shown()
    return widget


def diagram(deployment: Any, *, display: bool = True, first_update_s: float = 2.0, **options: Any):
    """Show the live state diagrams of a deployment: its statuses, and the condition steps of a start and a stop.

    The current status and step are highlighted and the path the deployment took
    is marked, updating as it moves. The same diagrams are a section of the
    detail widget; this shows them open and large, with the status badge.
    ``options`` are those of :func:`show`. Returns the widget.
    """
    if not hasattr(deployment, "get_state"):
        kind = type(deployment).__name__
        raise TypeError(f"hops_widgets.diagram() needs a deployment (with get_state()), not {kind}")
    return show(deployment, display=display, first_update_s=first_update_s, view="diagram", **options)
