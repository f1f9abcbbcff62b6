"""Actions asked and not yet seen to take effect, for the detail widget and the table alike.

An action stays pending until the deployment's status leaves the one it was asked in; a
restart has no such status while it stops (it is held until its start is asked). The
detail keeps one entry (key ``None``), the table one per deployment name. Not thread-safe:
each widget calls it under its own lock.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

__all__ = ["PendingActions"]


class PendingActions:
    def __init__(self) -> None:
        self._action: dict[Hashable, str] = {}
        self._since: dict[Hashable, str] = {}  # the status it was asked in; absent: held

    def __contains__(self, key: Hashable) -> bool:
        return key in self._action

    def get(self, key: Hashable) -> str:
        """The action pending for ``key`` ("" for none)."""
        return self._action.get(key, "")

    def mark(self, key: Hashable, action: str, status: str | None) -> None:
        """``action`` is pending from ``status`` on; with None it is held until marked again."""
        self._action[key] = action
        if status is None:
            self._since.pop(key, None)
        else:
            self._since[key] = status

    def clear(self, key: Hashable) -> None:
        self._action.pop(key, None)
        self._since.pop(key, None)

    def settle(self, statuses: Mapping[Hashable, str | None]) -> list[Hashable]:
        """Forget what took effect: every key whose status now (None: gone) is not the one it was
        asked in. Held actions stay. Returns the keys forgotten."""
        done = [key for key, before in self._since.items() if statuses.get(key) != before]
        for key in done:
            self.clear(key)
        return done
