"""The sandbox's admin: the operations of :data:`~hops_widgets.sandbox.ops.OPERATIONS`, by name.

The in-process handle calls :meth:`Admin.dispatch` directly; the HTTP admin endpoint
(``POST /_sandbox/<op>``) calls the same method, so both ways of scripting behave the
same. The admin also holds the player of scenario files (:mod:`.script`), whose due
steps run before every operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .faults import FaultBook
from .machine import ScenarioError, World
from .ops import OPERATIONS
from .requestlog import RequestLog
from .script import ScriptPlayer

__all__ = ["Admin"]


class Admin:
    """The scenario operations, by name: what both handles and ``/_sandbox/<op>`` call."""

    def __init__(self, world: World, faults: FaultBook, log: RequestLog, *, seeded: bool = True) -> None:
        self.world = world
        self.faults = faults
        self.log = log
        self.seeded = seeded
        self.initial_timing = world.timing
        self.initial_speed = world.speed
        self.player = ScriptPlayer(world, self._apply)
        self.api_keys: dict[str, str] = {}  # role -> key, set by the handle that serves this sandbox

    @property
    def operations(self) -> list[str]:
        return sorted(OPERATIONS)

    def dispatch(self, op: str, kwargs: Mapping[str, Any] | None = None) -> Any:
        """Run one operation, after the steps of a playing script that are due (so every caller sees them)."""
        if op not in OPERATIONS:
            raise ScenarioError(f"Unknown sandbox operation {op!r}.", status_code=404)
        self.catch_up()
        return self._apply(op, dict(kwargs or {}))

    def catch_up(self) -> int:
        """Apply the due steps of the playing script, each as of its own time (cheap when none is due)."""
        return self.player.catch_up()

    def _apply(self, op: str, kwargs: dict[str, Any]) -> Any:
        operation = OPERATIONS.get(op)
        if operation is None:
            raise ScenarioError(f"Unknown sandbox operation {op!r}.", status_code=404)
        return operation(self, kwargs)
