"""Which poller a widget shares: project discovery (:func:`project_of`), the project loops, the
registry of running pollers (:func:`acquire`, :func:`release`), and actions asked in code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from . import _actions, _sdk
from ._polling import DeploymentSource, Poller
from ._projectloop import ProjectLoop, loop_for
from ._tablewatch import TableWatch
from .errors import InvalidResponse
from .state import DeploymentState

log = logging.getLogger(__name__)


def _sdk_lister(get_all: Callable[[], Any]) -> Callable[[], list[DeploymentState]]:
    def list_states() -> list[DeploymentState]:
        deployments = get_all() or []
        return [DeploymentState.from_sdk(d, state=_sdk.embedded_state(d)) for d in deployments]

    return list_states


# ---------------------------------------------------------------- an overview's reads (see _sdk, reading states)
def list_deployments(serving: Any) -> list[tuple[Any, Any]]:
    """Every deployment of the project from one list request: ``[(object or None, DeploymentState)]``.

    The object is the SDK's (kept for single reads and actions); the built-in client's list
    gives states only (see :func:`single_state`).
    """
    list_states = getattr(serving, "list_states", None)
    if callable(list_states):
        return [(None, s) for s in list_states()]
    deployments = serving.get_deployments()
    if deployments is None:
        deployments = []
    if not isinstance(deployments, (list, tuple)):
        raise InvalidResponse(f"Expected a list of deployments, got {type(deployments).__name__}.")
    # state=None makes from_sdk ask get_state(): only for objects that came without one
    return [(d, DeploymentState.from_sdk(d, state=_sdk.embedded_state(d))) for d in deployments]


def single_state(serving: Any, deployment: Any, name: str, deployment_id: int | None) -> Any:
    """One deployment's state by a single GET (one state on the backend), through the SDK's own
    ``get_state()``; for the built-in client on a handle made from the listed id and name."""
    if deployment is None:
        if not isinstance(deployment_id, int):
            raise LookupError(f"No id known for {name!r}.")
        deployment = serving.deployment_handle(deployment_id, name)
    return DeploymentState.from_sdk(deployment)


def _serving_lister(serving: Any) -> Callable[[], list[DeploymentState]]:
    list_states = getattr(serving, "list_states", None)
    if callable(list_states):
        return lambda: list(list_states())
    return _sdk_lister(serving.get_deployments)


def project_of(source: Any) -> tuple[Hashable, Callable[[], Any], str] | str:
    """``(key, lister, label)`` of the project a source belongs to, or why none was found.

    Built-in client: a deployment's ``_serving`` (its ``ModelServing``, ``list_states()``).
    hopsworks SDK: what the SDK's objects say of their project (see ``_sdk.project_lister``
    and ``_sdk.serving_project_id``).
    """
    serving = getattr(source, "serving", None)
    if serving is not None:
        key = getattr(serving, "_hops_widgets_key", None)
        if key is not None:
            return ("project", key), _serving_lister(serving), str(getattr(serving, "project_name", "") or "project")
        pid = _sdk.serving_project_id(serving)
        if pid is not None:
            return ("project", "sdk", pid), _serving_lister(serving), str(getattr(serving, "project_name", "") or pid)
        return f"own loop: no project key on {type(serving).__name__}"
    d = getattr(source, "deployment", None)
    if d is None:
        return f"own loop: {type(source).__name__} is not a deployment"
    serving = getattr(d, "_serving", None)
    key = getattr(serving, "_hops_widgets_key", None)
    if key is not None and callable(getattr(serving, "list_states", None)):
        return ("project", key), serving.list_states, str(getattr(serving, "project_name", "") or "project")
    sdk = _sdk.project_lister(d)
    if sdk is not None:
        pid, get_all = sdk
        return ("project", "sdk", pid), _sdk_lister(get_all), str(getattr(d, "project_name", None) or pid)
    return f"own loop: no project list reachable from {type(d).__module__}.{type(d).__name__}"


def _project_loop_for(
    source: Any, *, clock: Callable[[], float], wake: threading.Event | None
) -> tuple[ProjectLoop | None, str]:
    try:
        found = project_of(source)
    except Exception as exc:  # noqa: BLE001 - an odd object polls alone
        found = f"own loop: {type(exc).__name__} while looking for its project"
    if isinstance(found, str):
        log.debug("%s polls alone (%s)", getattr(source, "label", source), found)
        return None, found
    key, lister, label = found
    return loop_for(key, lister, label, clock=clock, wake=wake), f"project loop {label}"


def joined(source: Any, **options: Any) -> Poller:
    """A poller in the shared loop of the source's project where one is found, else on a thread
    of its own (what :func:`acquire` makes by default; ``options`` go to :class:`Poller`)."""
    loop, sharing = _project_loop_for(source, clock=options.get("clock", time.monotonic), wake=options.get("wake"))
    return Poller(source, loop=loop, sharing=sharing, **options)


# ---------------------------------------------------------------- registry
_registry: dict[Hashable, Poller] = {}
_registry_lock = threading.Lock()


def acquire(source: Any, factory: Callable[[], Poller] | None = None) -> Poller:
    """The running poller for ``source.key``, created if there is none (by ``factory``, which
    decides whether it joins its project's loop: :func:`joined`, the default)."""
    with _registry_lock:
        poller = _registry.get(source.key)
        if poller is None or poller.stopped:
            poller = factory() if factory else joined(source)
            _registry[source.key] = poller
        return poller


def release(poller: Poller, token: int) -> None:
    """Drop one subscriber; the last one out stops the thread."""
    with _registry_lock:
        if poller.unsubscribe(token) > 0:
            return
        if _registry.get(poller.source.key) is poller:
            del _registry[poller.source.key]
    # A short join: normally the thread is asleep and ends at once; if a poll
    # hangs on a slow server, close() must not hang with it (the daemon thread
    # ends when that request times out).
    poller.stop(timeout=0.5)


def active_pollers() -> list[Poller]:
    with _registry_lock:
        return [p for p in _registry.values() if not p.stopped]


def _on_action(deployment: Any, action: str) -> None:
    """An action asked in code: every poller showing that deployment, and every overview, polls fast."""
    key = DeploymentSource(deployment).key
    name = str(getattr(deployment, "name", "") or "")
    for poller in active_pollers():
        if poller.source.key == key:
            poller.expect_change()
        elif getattr(poller.source, "lists_deployments", False):
            watch = getattr(poller.source, "watch", None)
            if isinstance(watch, TableWatch) and name:
                watch.touch(name, poller.clock())  # its row is read as a moving one from now
            poller.expect_change()


_actions.listen(_on_action)
