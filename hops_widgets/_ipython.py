"""``%load_ext hops_widgets`` and :func:`enable`: add ``.show()`` to the SDK classes.

The SDK is patched only if it is already importable; nothing here imports it
when it is absent, and the classes are found lazily by module name.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from typing import Any

from ._actions import announce

__all__ = ["enable", "load_ipython_extension"]

# (module, class) pairs of the SDK's deployment and model serving handles.
_DEPLOYMENT_CLASSES = (("hsml.deployment", "Deployment"),)
_SERVING_CLASSES = (("hsml.model_serving", "ModelServing"),)


def _show(self: Any, **options: Any):
    """Show a live hops-widgets view of this object and return the widget."""
    from .display import show

    return show(self, **options)


# SDK methods that change a deployment's state: widgets showing it poll fast when one is called.
_ACTION_METHODS = {
    "start": "start",
    "stop": "stop",
    "restart": "restart",
    "save": "update",
    "update": "update",
    "rollback": "rollback",
}


def _announcing(method: Any, action: str) -> Any:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        announce(self, action)  # before: a call that waits for Running is followed live meanwhile
        try:
            return method(self, *args, **kwargs)
        finally:
            announce(self, action)  # after: the POST has landed, look again at once

    wrapper._hops_widgets_wraps = method  # type: ignore[attr-defined]
    return wrapper


def _classes(pairs: tuple[tuple[str, str], ...]) -> list[type]:
    found = []
    for module_name, class_name in pairs:
        root = module_name.split(".")[0]
        if importlib.util.find_spec(root) is None:
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, class_name, None)
        if isinstance(cls, type):
            found.append(cls)
    return found


def enable() -> list[str]:
    """Give the hopsworks SDK's Deployment and ModelServing a ``.show()`` method.

    Also lets the SDK's ``start``/``stop``/``restart``/``save``/``rollback`` tell the widgets
    showing that deployment to poll fast at once, as the widget's own buttons do.

    Returns the names of the classes that were patched (empty without the SDK).
    An existing ``show`` attribute of the SDK's own is left alone.
    """
    patched = []
    for cls in _classes(_DEPLOYMENT_CLASSES) + _classes(_SERVING_CLASSES):
        current = getattr(cls, "show", None)
        if current is None or current is _show:
            cls.show = _show
            patched.append(f"{cls.__module__}.{cls.__qualname__}")
    for cls in _classes(_DEPLOYMENT_CLASSES):
        for name, action in _ACTION_METHODS.items():
            method = cls.__dict__.get(name)
            if callable(method) and not hasattr(method, "_hops_widgets_wraps"):
                setattr(cls, name, _announcing(method, action))
    return patched


def load_ipython_extension(ipython: Any) -> None:
    enable()
