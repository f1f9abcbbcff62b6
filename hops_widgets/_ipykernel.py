"""ipykernel versions the widgets cannot stay live on, and the warning that says what to do.

ipykernel 7.0.0 and 7.0.1 raise ``LookupError: ContextVar 'shell_parent'`` when a comm message is
sent from a thread other than the kernel's own (ipywidgets#4001, fixed in 7.1): the poller thread's
updates never leave the kernel. :func:`check_ipykernel` warns once, from ``show()``.
"""

from __future__ import annotations

import re
import sys
import warnings

__all__ = ["BROKEN", "check_ipykernel"]

BROKEN = ((7, 0, 0), (7, 0, 1))
_warned = False


def _version(text: str) -> tuple[int, int, int] | None:
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return (int(found[1]), int(found[2]), int(found[3] or 0)) if found else None


def check_ipykernel(version: str | None = None) -> bool:
    """Warn once if the running ipykernel (or ``version``) is 7.0.0 or 7.0.1; False then, else True.

    ipykernel is not imported here: outside a kernel (a script, marimo) there is nothing to check.
    """
    global _warned
    if version is None:
        module = sys.modules.get("ipykernel")
        if module is None:
            return True
        version = str(getattr(module, "__version__", ""))
    if _version(version) not in BROKEN:
        return True
    if not _warned:
        _warned = True
        warnings.warn(
            f"ipykernel {version} drops messages sent from background threads (LookupError: ContextVar "
            "'shell_parent', ipywidgets#4001), so hops-widgets cannot update the widget while it polls. "
            "Upgrade ipykernel to 7.1 or later: pip install -U 'ipykernel>=7.1', then restart the kernel.",
            UserWarning,
            stacklevel=3,
        )
    return False
