"""The serving log endpoint's wire format: lines, instants, components, and what is new.

What the built-in client, the SDK adapter (:mod:`hops_widgets._sdk`) and the log book
(:mod:`hops_widgets.logs`) share about log lines. It imports only the text and error
helpers, so every layer above may use it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from ._text import sendable
from .errors import InvalidResponse

__all__ = [
    "LOG_COMPONENTS",
    "LOG_SOURCES",
    "LogDeduper",
    "by_instance",
    "format_log_entries",
    "log_component",
    "log_instant",
    "log_lines",
    "log_pods",
]

LOG_COMPONENTS = ("predictor", "transformer")
LOG_SOURCES = ("kubernetes", "opensearch")


def log_component(component: Any) -> str:
    if component not in LOG_COMPONENTS:
        raise ValueError(f"component must be one of {', '.join(LOG_COMPONENTS)}, not {component!r}")
    return component


def log_instant(value: Any, name: str) -> str:
    """An ISO-8601 instant for the wire: datetimes become UTC with a ``Z``; text is checked and kept."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO-8601 time or a datetime, not {type(value).__name__}")
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO-8601 time such as 2025-01-31T12:00:00Z, not {value!r}") from None
    return value.strip()


def log_lines(data: Any) -> list[dict[str, Any]]:
    """The endpoint's answer as one dict per line (live blocks split on newlines, stored documents kept)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise InvalidResponse(f"Expected a list of log entries, got {type(data).__name__}.")
    out: list[dict[str, Any]] = []
    for item in data:
        if not isinstance(item, Mapping):
            raise InvalidResponse("A log entry is not an object.")
        instance = item.get("instanceName", item.get("instance_name"))
        content = item.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str) or (instance is not None and not isinstance(instance, str)):
            raise InvalidResponse("A log entry has no text content or a bad instance name.")
        stamp = item.get("timestamp")
        doc = item.get("docId", item.get("doc_id"))
        stamp = sendable(stamp) if isinstance(stamp, str) else None
        doc = sendable(str(doc)) if isinstance(doc, (str, int)) and not isinstance(doc, bool) else None
        lines = content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        instance = sendable(instance or "")  # a lone surrogate (valid JSON) cannot be printed or sent
        restarts = _restart_count(item)
        extra = {} if restarts is None else {"restarts": restarts}  # 5.2 backends: the container's restart count
        for line in lines:
            out.append({"instance": instance, "content": sendable(line), "timestamp": stamp, "id": doc, **extra})
    return out


def _restart_count(item: Mapping[str, Any]) -> int | None:
    value = item.get("restartCount", item.get("restart_count"))
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        return None
    return value


def log_pods(data: Any) -> list[dict[str, Any]]:
    """One dict per instance of a log read, what a 5.2 backend says of its pod beside the lines.

    ``{"instance", "restarts", "pod_uid", "truncated", "read_failed"}``; ``restarts`` is None where
    the backend sends no count (before 5.2), the flags False where it sends none. An instance
    that printed nothing is listed too (its count is what matters here, not its lines).
    """
    if not isinstance(data, list):
        return []
    out = []
    for item in data:
        if not isinstance(item, Mapping):
            continue
        instance = item.get("instanceName", item.get("instance_name"))
        if not isinstance(instance, str) or not instance:
            continue
        uid = item.get("podUid", item.get("pod_uid"))
        out.append(
            {
                "instance": sendable(instance),
                "restarts": _restart_count(item),
                "pod_uid": sendable(uid) if isinstance(uid, str) else None,
                "truncated": item.get("truncated") is True,
                "read_failed": item.get("readFailed", item.get("read_failed")) is True,
            }
        )
    return out


def by_instance(entries: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry.get("instance") or "", []).append(entry)
    return list(groups.items())


def format_log_entries(entries: Iterable[Mapping[str, Any]]) -> str:
    """Lines as text, each ending in a newline; a ``==> name <==`` line before each instance when there are several."""
    groups = by_instance(entries)
    if len(groups) <= 1:
        return "".join(f"{e['content']}\n" for _, lines in groups for e in lines)
    return "".join(f"==> {name} <==\n" + "".join(f"{e['content']}\n" for e in lines) for name, lines in groups)


class LogDeduper:
    """Keeps, of successive log reads, only the lines not returned before.

    Stored documents (an ``id``) are seen or not by id; the last ``max_ids`` ids are
    kept. Live lines have no id, so each instance's previous window is kept as
    hashes of its lines, and of a new window only what follows its longest
    overlap with the end of the previous one is new. That keeps repeated
    identical lines (the same access log line twice) when they are really new;
    what it cannot tell apart is a window made of one line repeated end to end.
    """

    def __init__(self, max_ids: int = 4096, max_instances: int = 256) -> None:
        self.max_ids = max_ids
        self.max_instances = max_instances
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._windows: OrderedDict[str, list[int]] = OrderedDict()

    def new(self, entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        entries = [dict(e) for e in entries]
        fresh: list[dict[str, Any]] = []
        live: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            ident = entry.get("id")
            if ident is None:
                live.setdefault(entry.get("instance") or "", []).append(entry)
                continue
            if ident in self._ids:
                continue
            self._ids[ident] = None
            if len(self._ids) > self.max_ids:
                self._ids.popitem(last=False)
            fresh.append(entry)
        for instance, lines in live.items():
            hashes = [hash(line.get("content")) for line in lines]
            previous = self._windows.pop(instance, None)
            skip = _overlap(previous, hashes) if previous is not None else 0
            fresh.extend(lines[skip:])
            self._windows[instance] = hashes
            while len(self._windows) > self.max_instances:
                self._windows.popitem(last=False)
        return fresh


def _overlap(previous: list[int], current: list[int]) -> int:
    """The length of the longest end of ``previous`` that ``current`` starts with."""
    for size in range(min(len(previous), len(current)), 0, -1):
        if previous[-size:] == current[:size]:
            return size
    return 0
