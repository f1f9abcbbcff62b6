"""How often to poll (:class:`Policy`) and what one poll produced (:class:`Snapshot`)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from .state import DeploymentState

# Errors that the next poll will not fix by itself (a rejected key, a deleted deployment):
# polling backs off to the slowest interval at once instead of climbing there.
LASTING_ERRORS = frozenset({"auth", "forbidden", "not_found"})


@dataclass(frozen=True)
class Policy:
    """Polling intervals in seconds. ``hidden_s=None`` pauses polling while no view is visible."""

    fast_s: float = 1.0
    stable_s: float = 5.0
    hidden_s: float | None = 30.0
    after_action_s: float = 30.0
    backoff_min_s: float = 2.0
    backoff_max_s: float = 60.0
    jitter: float = 0.25
    stall_s: float = 20.0  # a poll still unanswered after this long is shown as a fault
    # The overview's whole list (every deployment's state: N states on the backend) is read every
    # max(list_min_s, N × list_per_row_s): 30 s up to 1,000 deployments, then growing with N, so
    # the list never costs the backend more than 2,000 states a minute (list_min_s / list_per_row_s
    # = the N where it starts growing). Rows on screen and rows that move are read one by one.
    list_min_s: float = 30.0
    list_per_row_s: float = 0.03

    @classmethod
    def from_options(cls, base: Policy | None = None, **options: Any) -> Policy:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(
                f"unknown polling option(s) {', '.join(unknown)}; expected some of {', '.join(sorted(names))}"
            )
        for name, value in options.items():
            if value is None and name == "hidden_s":
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"polling option {name} must be a number >= 0, got {value!r}")
        for name in ("fast_s", "stable_s", "backoff_min_s"):
            if name in options and options[name] <= 0:
                raise ValueError(f"polling option {name} must be > 0")
        if options.get("backoff_max_s", float("inf")) < options.get("backoff_min_s", 0):
            raise ValueError("polling option backoff_max_s must be >= backoff_min_s")
        return replace(base or cls(), **options)

    def backoff(self, failures: int, rand: float) -> float:
        """Delay after ``failures`` consecutive errors: doubling from min to max, with jitter."""
        doublings = min(max(0, failures - 1), 30)  # 2**30 s is past any cap; no overflow after days of errors
        base = min(self.backoff_max_s, self.backoff_min_s * 2**doublings)
        spread = base * self.jitter
        return max(self.backoff_min_s, min(self.backoff_max_s, base - spread + 2 * spread * rand))


@dataclass(frozen=True)
class Snapshot:
    """What one poll produced. ``state`` is the last good state, even while erroring."""

    state: DeploymentState | None = None
    error: str = ""
    error_kind: str = ""
    changed_at: float | None = None  # wall time the state last changed
    last_ok_at: float | None = None  # wall time of the last successful poll
    mode: str = "starting"  # fast | stable | hidden | paused | backoff | stopped
    interval_s: float | None = None
    failures: int = 0
    sharing: str = ""  # how this deployment is polled: its project's loop, or alone and why (for support)
    poll: int = 0  # the round that brought it (0: none yet), so a waiter judges what it was handed
