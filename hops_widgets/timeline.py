"""A deployment's timeline: one entry per status, its condition steps inside, and the instance series.

Kept by the poller (one per deployment), so every widget of a deployment shows
the same history, whenever it was opened. It is bounded, and it travels as
changes: each entry and point carries ``seq`` (its place) and ``rev`` (the round
that last touched it), and :meth:`Timeline.since` gives what changed after a
round, so a view receives appended entries and, for an entry it already has,
a patch of the changed fields only (``"patch": true``), not the whole list again.
"""

from __future__ import annotations

import threading
from typing import Any

from .state import DeploymentState, step_label

__all__ = ["Timeline"]

_PROGRESS = {None: "in progress", True: "done", False: "failed"}
_MADE = "_made"  # the round that appended an entry
_FIELDS = "_fields"  # field -> the round that last changed it, after the entry was appended


def _touch(entry: dict[str, Any], rev: int, **changes: Any) -> dict[str, Any]:
    """The entry with ``changes`` applied in round ``rev`` (remembered, so deltas carry only them)."""
    return {**entry, **changes, "rev": rev, _FIELDS: {**entry[_FIELDS], **dict.fromkeys(changes, rev)}}


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in (_MADE, _FIELDS)}


def _entry_since(entry: dict[str, Any], rev: int) -> dict[str, Any]:
    """An entry for a view that has round ``rev``: in full if it is newer, else a patch of what changed.

    A patch (``"patch": true``) carries ``seq``, ``rev`` and the changed fields only (a closed
    entry's ``duration_s``, a step added to the open one), so bytes per change stay flat.
    """
    if entry[_MADE] > rev:
        return _public(entry)
    changed = {k: entry[k] for k, r in entry[_FIELDS].items() if r > rev}
    return {"seq": entry["seq"], "rev": entry["rev"], "patch": True, **changed}


class Timeline:
    HISTORY_LIMIT = 50  # statuses kept
    STEPS_LIMIT = 12  # condition steps kept inside one status
    SERIES_LIMIT = 120  # points of the available-instances series

    def __init__(self) -> None:
        self.rev = 0
        self._history: list[dict[str, Any]] = []
        self._series: list[list[Any]] = []  # [seq, rev, at_ms, available]
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, s: DeploymentState, at_ms: float) -> bool:
        """Add what ``s`` shows at ``at_ms``; returns whether anything changed."""
        cond = s.condition
        step = (
            {"label": f"{step_label(cond.type, s.on_stop_path)}: {_PROGRESS[cond.status]}", "at_ms": at_ms}
            if cond and cond.type
            else None
        )
        if step and s.storage_retry:  # STOPPED/Unknown while starting: not a stop, the model files again
            step["label"] = f"{step_label('INITIALIZED')}: loading the model files again"
        with self._lock:
            rev = self.rev + 1
            changed = False
            last = self._history[-1] if self._history else None
            if last is None or last["status"] != s.status:
                if last is not None:
                    duration = round((at_ms - last["at_ms"]) / 1000, 1)
                    self._history[-1] = _touch(last, rev, duration_s=duration)
                self._seq += 1
                self._history.append(
                    {
                        "seq": self._seq,
                        "rev": rev,
                        "status": s.status,
                        "label": s.status_label,
                        "message": s.message,
                        "at_ms": at_ms,
                        "duration_s": None,
                        "steps": [step] if step else [],
                        _MADE: rev,
                        _FIELDS: {},
                    }
                )
                del self._history[: -self.HISTORY_LIMIT]
                changed = True
            elif step and (not last["steps"] or last["steps"][-1]["label"] != step["label"]):
                steps = [*last["steps"], step][-self.STEPS_LIMIT :]
                self._history[-1] = _touch(last, rev, steps=steps, message=s.message)
                changed = True
            available = s.predictor.available
            if not self._series or self._series[-1][3] != available:
                self._seq += 1
                self._series.append([self._seq, rev, at_ms, available])
                del self._series[: -self.SERIES_LIMIT]
                changed = True
            if changed:
                self.rev = rev
            return changed

    def since(self, rev: int) -> dict[str, Any] | None:
        """What changed after round ``rev`` (everything for 0), or None if nothing did."""
        with self._lock:
            if rev >= self.rev:
                return None
            return {
                "rev": self.rev,
                "history": [_entry_since(e, rev) for e in self._history if e["rev"] > rev],
                "series": [[seq, at, v] for seq, r, at, v in self._series if r > rev],
            }

    def whole(self) -> dict[str, Any]:
        """Every entry in full (for a view built later)."""
        with self._lock:
            return {
                "rev": self.rev,
                "history": [_public(e) for e in self._history],
                "series": [[seq, at, v] for seq, _r, at, v in self._series],
            }

    @property
    def history(self) -> list[dict[str, Any]]:
        """The entries, oldest first, without their bookkeeping keys."""
        with self._lock:
            return [{k: v for k, v in _public(e).items() if k not in ("seq", "rev")} for e in self._history]

    @property
    def series(self) -> list[list[Any]]:
        """``[at_ms, available]`` pairs, oldest first."""
        with self._lock:
            return [[at, v] for _, _, at, v in self._series]
