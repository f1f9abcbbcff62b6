"""hops-widgets: the live state of Hopsworks Model Serving deployments in Jupyter.

    import hops_widgets
    hops_widgets.show(deployment)        # any SDK-shaped deployment
    hops_widgets.diagram(deployment)     # its live state diagrams
    hops_widgets.enable()                # adds .show() to the hopsworks SDK classes

Heavy modules (the widget, the sandbox, the client) load on first use, so
``import hops_widgets`` stays cheap and never imports the hopsworks SDK.
``hops_widgets.__version__`` is the installed distribution's version, read from
its metadata on first use (the one ``hops-widgets --version`` prints).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "DeploymentState",
    "DeploymentWidget",
    "DeploymentsWidget",
    "OverviewWidget",
    "diagram",
    "enable",
    "load_ipython_extension",
    "login",
    "sandbox",
    "show",
]

_LAZY = {
    "show": ("hops_widgets.display", "show"),
    "diagram": ("hops_widgets.display", "diagram"),
    "DeploymentWidget": ("hops_widgets.widget", "DeploymentWidget"),
    "OverviewWidget": ("hops_widgets.overview", "OverviewWidget"),
    "DeploymentsWidget": ("hops_widgets.overview", "OverviewWidget"),  # its old name
    "DeploymentState": ("hops_widgets.state", "DeploymentState"),
    "login": ("hops_widgets.client", "login"),
    "enable": ("hops_widgets._ipython", "enable"),
    "load_ipython_extension": ("hops_widgets._ipython", "load_ipython_extension"),
    "sandbox": ("hops_widgets.sandbox", None),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hops-widgets")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'hops_widgets' has no attribute {name!r}") from None
    module = import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | {"__version__"})
