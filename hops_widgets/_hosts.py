"""What a widget needs from the notebook host it runs in, beyond Jupyter's comms (marimo today).

marimo closes a widget's comm when the cell that made it runs again or is deleted, but does not call
the widget's ``close()``: the poller would keep polling (and keep the old widget alive) for the rest
of the session. :func:`adopt` ties ``close()`` to the cell's lifecycle instead, the way marimo ties
the comm, and warns once when marimo is too old to deliver trait changes sent from the poller's
thread (the view then gets them only through its own requests). Outside marimo it does nothing, and
it never imports marimo.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import warnings
import weakref
from typing import Any

__all__ = ["MARIMO_MIN", "adopt", "check_marimo_version"]

log = logging.getLogger(__name__)

# Before 0.23.14 marimo drops messages sent from threads other than the cell's (the poller's): the view
# then gets changes only by asking for them (the pull path), at the polling cadence.
MARIMO_MIN = (0, 23, 14)
_warned = False


def _version(text: str) -> tuple[int, ...] | None:
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(n or 0) for n in found.groups()) if found else None


def _marimo() -> Any | None:
    """The marimo module if this code runs inside a marimo notebook or app, else None."""
    marimo = sys.modules.get("marimo")  # never imported here: only a marimo kernel has it loaded
    if marimo is None:
        return None
    try:
        return marimo if marimo.running_in_notebook() else None
    except Exception:  # noqa: BLE001 - an unknown marimo: behave as outside it
        return None


def _outside_stacklevel() -> int:
    """The ``stacklevel`` that names the first caller outside hops_widgets (the user's cell)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1  # the caller of this function: warnings.warn's level 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def check_marimo_version(version: str) -> bool:
    """Warn once if ``version`` is below :data:`MARIMO_MIN`; True if it is recent enough (or unknown)."""
    global _warned
    parsed = _version(version)
    if parsed is None or parsed >= MARIMO_MIN:
        return True
    if not _warned:
        _warned = True
        need = ".".join(map(str, MARIMO_MIN))
        warnings.warn(
            f"marimo {version} drops widget updates sent from a background thread: hops-widgets then "
            f"gets them by asking from the view, once per polling interval, so changes show late (the "
            f"first state too). marimo >= {need} delivers them at once: pip install -U 'marimo>={need}'",
            UserWarning,
            stacklevel=_outside_stacklevel(),
        )
    return False


class _CloseWithCell:
    """A marimo cell-lifecycle item: when the cell runs again or is deleted, close the widget."""

    def __init__(self, widget: Any) -> None:
        self._widget = weakref.ref(widget)

    def create(self, context: Any) -> None:
        pass

    def dispose(self, context: Any, deletion: bool) -> bool:
        widget = self._widget()
        if widget is not None:
            try:
                widget.close()
            except Exception:  # the cell must re-run whatever happens here
                log.debug("hops-widgets: close on cell re-run failed", exc_info=True)
        return True


@functools.cache
def _lifecycle_class() -> type:
    from marimo._runtime.cell_lifecycle_item import CellLifecycleItem

    return type("CloseWithCell", (_CloseWithCell, CellLifecycleItem), {})


def adopt(widget: Any) -> None:
    """Called by each widget when it is made: under marimo, close it with its cell; else nothing."""
    marimo = _marimo()
    if marimo is None:
        return
    check_marimo_version(str(getattr(marimo, "__version__", "")))
    try:
        from marimo._runtime.context import get_context

        get_context().cell_lifecycle_registry.add(_lifecycle_class()(widget))
    except Exception:  # private marimo API: without it, close() stays the user's to call
        log.debug("hops-widgets: cannot hook marimo's cell lifecycle", exc_info=True)
