"""Scenario files: timed scripts of sandbox operations, grouped in chapters, and their player.

A scenario is JSON (or the same structure as a Python dict)::

    {
      "title": "...", "about": "...",
      "timing": {"step_s": 4},                   # Timing overrides, applied when played
      "chapters": [
        {"id": "start", "title": "...", "hold": 2,
         "deployments": [{"name": "d1", "status": "Created", "min_instances": 1}],
         "steps": [
           {"at": 2, "do": "start_deployment", "name": "d1", "say": "a note"},
           {"after": 20, "do": "stop_deployment", "name": "d1"}
         ]}
      ]
    }

Top-level ``deployments``/``steps`` without ``chapters`` make one chapter.
:func:`load` reads and checks one (every problem is a :class:`ScenarioError`
naming the file and the place in it); :class:`ScriptPlayer` plays it on a
:class:`~hops_widgets.sandbox.machine.World`.

The world is lazy (states are worked out when somebody reads them), so the
player applies each due step *as of its own sandbox time*
(:meth:`World.as_of`) rather than at the moment somebody looks: one read
after a long pause gives the same states as many reads along the way.
"""

from __future__ import annotations

import collections
import copy
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from .faults import FAULT_KINDS, check_params
from .machine import _STATUS_TO_PHASE, Blueprint, ScenarioError, Timing, World
from .ops import OPERATIONS, SCRIPT_OPS, SPEC_FIELDS

__all__ = [
    "SCRIPT_OPS",
    "Chapter",
    "Script",
    "ScriptPlayer",
    "Step",
    "builtin_names",
    "is_builtin_name",
    "load",
    "parse",
    "read",
]

log = logging.getLogger("hops_widgets.sandbox")

# ops whose ``name`` argument is an existing deployment (add_deployment makes one instead)
_NAMES_A_DEPLOYMENT = frozenset(name for name, op in OPERATIONS.items() if op.script and op.names_deployment)

_TOP_KEYS = ("title", "about", "timing", "chapters", "deployments", "steps")
_CHAPTER_KEYS = ("id", "title", "about", "hold", "deployments", "steps")
_STEP_KEYS = ("at", "after", "do", "say")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BUILTIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
FEED_LIMIT = 5000  # entries kept for the command's live printing


# ---------------------------------------------------------------------- the parsed form
@dataclass(frozen=True)
class Step:
    """One timed operation: ``offset`` seconds after its chapter starts, ``do`` with ``args``."""

    offset: float
    do: str | None  # None: a note only (``say``), nothing is done
    args: Mapping[str, Any]
    say: str | None
    number: int  # 1-based, within its chapter

    @property
    def deployment(self) -> str | None:
        """The deployment the step is about, if any (for progress and printing)."""
        value = self.args.get("name", self.args.get("deployment"))
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    about: str
    deployments: tuple[Mapping[str, Any], ...]  # add_deployment arguments, made fresh when the chapter starts
    steps: tuple[Step, ...]
    hold: float = 0.0  # seconds after the last step before the next chapter

    @property
    def length(self) -> float:
        """Sandbox seconds from the chapter's start to the next chapter's."""
        return (self.steps[-1].offset if self.steps else 0.0) + self.hold

    def created_names(self) -> set[str]:
        made = {d["name"] for d in self.deployments}
        for step in self.steps:
            if step.do == "add_deployment" and isinstance(step.args.get("name"), str):
                made.add(step.args["name"])
        return made

    def named(self) -> set[str]:
        """The deployments the steps act on."""
        out = set()
        for step in self.steps:
            if step.do in _NAMES_A_DEPLOYMENT or step.do == "add_fault":
                if step.deployment is not None:
                    out.add(step.deployment)
        return out


@dataclass(frozen=True)
class Script:
    title: str
    about: str
    timing: Mapping[str, float]
    chapters: tuple[Chapter, ...]
    origin: str  # where it came from, for messages
    data: Mapping[str, Any] = field(repr=False, default_factory=dict)  # the checked source, to send elsewhere

    def chapter(self, ident: str) -> Chapter:
        for chapter in self.chapters:
            if chapter.id == ident:
                return chapter
        ids = ", ".join(c.id for c in self.chapters)
        raise ScenarioError(f"{self.origin}: no chapter {ident!r}; its chapters are: {ids}.", status_code=404)

    def select(self, chapter: str | None = None) -> tuple[Chapter, ...]:
        return self.chapters if chapter is None else (self.chapter(chapter),)

    def missing_deployments(self, existing: Iterable[str] = (), chapter: str | None = None) -> list[str]:
        """Deployments the steps name that neither these chapters create nor ``existing`` holds."""
        chosen = self.select(chapter)
        made = set(existing).union(*(c.created_names() for c in chosen))
        return sorted(set().union(*(c.named() for c in chosen)) - made)

    def warnings(self, existing: Iterable[str] = (), chapter: str | None = None) -> list[str]:
        return [
            f"{self.origin}: a step acts on {name!r}, which no chapter creates and the sandbox does not have; "
            "that step will fail."
            for name in self.missing_deployments(existing, chapter)
        ]


# ---------------------------------------------------------------------- reading
def builtin_names() -> list[str]:
    """The scenarios shipped with the package (``hops_widgets/sandbox/scenarios/*.json``)."""
    folder = resources.files(__package__) / "scenarios"
    try:
        return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def is_builtin_name(text: str) -> bool:
    """A name without a ``/`` or a ``.json`` ending means a built-in scenario, not a file."""
    return "/" not in text and os.sep not in text and not text.endswith(".json")


def read(source: Any) -> tuple[dict[str, Any], str]:
    """The raw scenario and a label for messages, from a dict, a file path or a built-in name."""
    if isinstance(source, Script):
        return copy.deepcopy(dict(source.data)), source.origin
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source)), "scenario"
    if not isinstance(source, (str, os.PathLike)):
        raise ScenarioError(f"A scenario is a dict, a file path or a built-in name, not {type(source).__name__}.")
    text = os.fspath(source)
    if isinstance(source, str) and is_builtin_name(text):
        known = builtin_names()
        if not _BUILTIN_NAME.fullmatch(text) or text not in known:
            raise ScenarioError(
                f"No built-in scenario named {text!r}; the built-in ones are: {', '.join(known) or 'none'}. "
                "(A file needs a path with a / or a name ending in .json, such as ./my-scenario.json.)"
            )
        label = f"{text}.json"
        raw = (resources.files(__package__) / "scenarios" / label).read_text(encoding="utf-8")
    else:
        label = text
        try:
            raw = Path(text).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(f"No scenario file at {text}.") from None
        except IsADirectoryError:
            raise ScenarioError(f"{text} is a folder, not a scenario file.") from None
        except UnicodeDecodeError:
            raise ScenarioError(f"{text}: not a text file in UTF-8.") from None
        except OSError as exc:
            raise ScenarioError(f"Cannot read the scenario file {text}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{label}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    return data, label


def load(source: Any) -> Script:
    """Read and check a scenario: a dict, a path, or a built-in name such as ``"lesson"``."""
    if isinstance(source, Script):
        return source
    data, origin = read(source)
    return parse(data, origin)


# ---------------------------------------------------------------------- checking
def parse(data: Any, origin: str = "scenario") -> Script:
    """Check a scenario's structure; every problem is a ScenarioError saying where it is."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{origin}: a scenario is a JSON object ({{...}}), not {_kind(data)}.")
    _no_unknown_keys(
        data, _TOP_KEYS, f"{origin}: at the top level", "title, about, timing, and chapters (or deployments and steps)"
    )
    title = _text(data.get("title"), f"{origin}: title") or _default_title(origin)
    about = _text(data.get("about"), f"{origin}: about") or ""
    timing = _timing(data.get("timing"), origin)
    if "chapters" in data:
        if "deployments" in data or "steps" in data:
            raise ScenarioError(
                f"{origin}: has both chapters and top-level deployments/steps; "
                "put them in a chapter, or leave chapters out for a single one."
            )
        raw_chapters = data["chapters"]
        if not isinstance(raw_chapters, list) or not raw_chapters:
            raise ScenarioError(f"{origin}: chapters must be a non-empty list of chapters.")
        chapters = []
        for index, raw in enumerate(raw_chapters, 1):
            chapters.append(_chapter(raw, index, origin))
        seen: set[str] = set()
        for chapter in chapters:
            if chapter.id in seen:
                raise ScenarioError(f"{origin}: two chapters have the id {chapter.id!r}; ids must differ.")
            seen.add(chapter.id)
    else:
        single = {"id": "main", "title": title, **{k: data[k] for k in ("deployments", "steps") if k in data}}
        chapters = [_chapter(single, 1, origin, where=origin)]
    return Script(title, about, timing, tuple(chapters), origin, copy.deepcopy(dict(data)))


def _chapter(raw: Any, index: int, origin: str, where: str | None = None) -> Chapter:
    where = where or f"{origin}: chapter {index}"
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{where} must be an object with id, title, deployments and steps, not {_kind(raw)}.")
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise ScenarioError(
            f"{where}: id must be a short name of letters, digits, '-', '_' or '.', not {ident!r} "
            "(it is how one chapter is played alone)."
        )
    if where != origin:
        where = f"{origin}: chapter {ident!r}"
    _no_unknown_keys(raw, _CHAPTER_KEYS, where, ", ".join(_CHAPTER_KEYS))
    title = _text(raw.get("title"), f"{where}: title") or ident
    about = _text(raw.get("about"), f"{where}: about") or ""
    hold = _seconds(raw.get("hold", 0), "hold", where)
    deployments = _list(raw.get("deployments", []), "deployments", where)
    specs = []
    names: set[str] = set()
    for number, spec in enumerate(deployments, 1):
        checked = _deployment(spec, f"{where}, deployment {number}")
        if checked["name"] in names:
            raise ScenarioError(f"{where}: the deployment {checked['name']!r} is listed twice.")
        names.add(checked["name"])
        specs.append(checked)
    steps = []
    previous = 0.0
    for number, step in enumerate(_list(raw.get("steps", []), "steps", where), 1):
        parsed = _step(step, number, previous, where)
        steps.append(parsed)
        previous = parsed.offset
    return Chapter(ident, title, about, tuple(specs), tuple(steps), hold)


def _deployment(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ScenarioError(f'{where} must be an object such as {{"name": "my-model", "status": "Running"}}.')
    allowed = ("name", "status", *SPEC_FIELDS)
    _no_unknown_keys(raw, allowed, where, ", ".join(allowed))
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{where}: needs a name.")
    where = f"{where} ({name})"
    status = raw.get("status", "Stopped")
    if not isinstance(status, str) or status.lower() not in _STATUS_TO_PHASE:
        choices = ", ".join(s.capitalize() for s in _STATUS_TO_PHASE)
        raise ScenarioError(f"{where}: status must be one of {choices}, not {status!r}.")
    spec = {k: v for k, v in raw.items() if k not in ("name", "status")}
    try:
        Blueprint(name=name, **spec).check()
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    return {"name": name, "status": status.capitalize(), **spec}


def _step(raw: Any, number: int, previous: float, chapter_where: str) -> Step:
    where = f"{chapter_where}, step {number}"
    if not isinstance(raw, Mapping):
        raise ScenarioError(f'{where} must be an object such as {{"at": 2, "do": "start_deployment", ...}}.')
    do = raw.get("do")
    if do is not None:
        where = f"{where} ({do})" if isinstance(do, str) else where
        _check_op(do, where)
    has_at, has_after = "at" in raw, "after" in raw
    if has_at == has_after:
        raise ScenarioError(
            f"{where}: give exactly one of at (seconds from the chapter's start) "
            "or after (seconds after the previous step)" + (", not both." if has_at else ".")
        )
    if has_at:
        offset = _seconds(raw["at"], "at", where)
        if offset < previous:
            raise ScenarioError(
                f"{where}: at {offset:g} s comes before the previous step ({previous:g} s); "
                "steps must be in time order (use after to count from the previous step)."
            )
    else:
        offset = previous + _seconds(raw["after"], "after", where)
    say = _text(raw.get("say"), f"{where}: say")
    args = {k: v for k, v in raw.items() if k not in _STEP_KEYS}
    if do is None:
        if not say:
            raise ScenarioError(f"{where}: needs do (an operation) or say (a note), or both.")
        if args:
            raise ScenarioError(f"{where}: a note without do takes no {_names(args)}.")
    else:
        _check_args(do, args, where)
    return Step(offset, do, copy.deepcopy(args), say, number)


def _check_op(do: Any, where: str) -> None:
    if isinstance(do, str) and do in SCRIPT_OPS:
        return
    valid = ", ".join(SCRIPT_OPS)
    if isinstance(do, str) and do in OPERATIONS:
        raise ScenarioError(f"{where}: {do!r} cannot be used in a scenario; a step can do: {valid}.")
    raise ScenarioError(f"{where}: unknown operation {do!r}; a step can do: {valid}.")


def _check_args(do: str, args: Mapping[str, Any], where: str) -> None:
    """The step's other keys must be the operation's arguments, with the required ones present."""
    op = OPERATIONS[do]
    params = list(op.signature.parameters.values())
    named = [p.name for p in params if p.kind is not p.VAR_KEYWORD]
    required = [p.name for p in params if p.default is p.empty and p.kind is not p.VAR_KEYWORD]
    extra = op.extra
    missing = [name for name in required if name not in args]
    if missing:
        raise ScenarioError(f"{where}: needs {_names(missing)}.")
    if extra is None:  # add_fault: the fault book knows what each kind takes
        kind = args.get("kind")
        if kind not in FAULT_KINDS:
            raise ScenarioError(f"{where}: unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}.")
        where_keys = ("deployment", "endpoint", "path", "method", "times")
        try:
            check_params(kind, {k: v for k, v in args.items() if k not in (*named, *where_keys)})
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        return
    unknown = [key for key in args if key not in named and key not in extra]
    if unknown:
        takes = ", ".join([*named, *extra]) or "nothing else"
        raise ScenarioError(f"{where}: unknown key {_names(unknown)}; {do} takes {takes} (plus at/after, say).")


def _timing(raw: Any, origin: str) -> dict[str, float]:
    if raw is None:
        return {}
    where = f"{origin}: timing"
    if not isinstance(raw, Mapping):
        raise ScenarioError(f'{where} must be an object of durations such as {{"step_s": 4}}.')
    allowed = tuple(f.name for f in fields(Timing))
    _no_unknown_keys(raw, allowed, where, ", ".join(allowed))
    return {key: _seconds(value, key, where) for key, value in raw.items()}


def _no_unknown_keys(raw: Mapping[str, Any], allowed: Iterable[str], where: str, listing: str) -> None:
    unknown = [key for key in raw if key not in allowed]
    if unknown:
        raise ScenarioError(f"{where}: unknown key {_names(unknown)}; allowed here: {listing}.")


def _seconds(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScenarioError(f"{where}: {what} must be a number of seconds, not {value!r}.")
    if value < 0:
        raise ScenarioError(f"{where}: {what} cannot be negative ({value:g}).")
    return float(value)


def _text(value: Any, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"{where} must be text, not {_kind(value)}.")
    return value


def _list(value: Any, what: str, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: {what} must be a list, not {_kind(value)}.")
    return value


def _names(keys: Iterable[str]) -> str:
    return ", ".join(repr(k) for k in keys)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _default_title(origin: str) -> str:
    stem = Path(origin).stem if origin != "scenario" else ""
    return stem or "Untitled scenario"


# ---------------------------------------------------------------------- playing
@dataclass
class _Event:
    time: float
    kind: str  # "chapter" (its deployments made fresh), "step", or "end"
    chapter: Chapter | None = None
    step: Step | None = None
    entry: dict[str, Any] | None = None  # the step's line in the progress


class ScriptPlayer:
    """Plays one script at a time on a world, step by step as their sandbox times come.

    Nothing runs on its own: :meth:`catch_up` applies every step due by now, in
    order, each as of its own time. The sandbox calls it before every API
    request and admin operation; a ticker may call it too. It is cheap when
    nothing is due (no lock), and safe from any thread (the world's lock).
    ``apply(op, kwargs)`` runs one admin operation.
    """

    def __init__(self, world: World, apply: Callable[[str, dict[str, Any]], Any]) -> None:
        self.world = world
        self._apply = apply
        self._script: Script | None = None
        self._summary: dict[str, Any] | None = None
        self._events: list[_Event] = []
        self._entries: list[dict[str, Any]] = []
        self._cursor = 0
        self._next_due = math.inf
        self._busy = False
        self._current: str | None = None
        self._feed: collections.deque[dict[str, Any]] = collections.deque(maxlen=FEED_LIMIT)
        self._seq = 0

    # ------------------------------------------------------------ control
    def play(self, script: Script, chapter: str | None = None) -> dict[str, Any]:
        """Start ``script`` (or one chapter of it) now, replacing whatever was playing; returns its plan."""
        chosen = script.select(chapter)
        world = self.world
        with world.lock:
            self.catch_up()
            self._skip_rest("replaced by another script")
            warnings = script.warnings(world.names(), chapter)
            if script.timing:
                world.set_timing(**script.timing)
            start = world.now()
            events: list[_Event] = []
            entries: list[dict[str, Any]] = []
            plan = []
            t = start
            for part in chosen:
                events.append(_Event(t, "chapter", part))
                for step in part.steps:
                    entry = {
                        "chapter": part.id,
                        "step": step.number,
                        "at": t + step.offset,
                        "offset": step.offset,
                        "do": step.do,
                        "name": step.deployment,
                        "say": step.say,
                        "state": "pending",
                        "result": None,
                        "error": None,
                    }
                    entries.append(entry)
                    events.append(_Event(t + step.offset, "step", part, step, entry))
                plan.append(
                    {
                        "id": part.id,
                        "title": part.title,
                        "about": part.about,
                        "start": t,
                        "end": t + part.length,
                        "deployments": [d["name"] for d in part.deployments],
                        "steps": len(part.steps),
                    }
                )
                t += part.length
            events.append(_Event(t, "end"))
            self._script = script
            self._events, self._entries, self._cursor = events, entries, 0
            self._current = None
            self._summary = {
                "title": script.title,
                "about": script.about,
                "source": script.origin,
                "chapter": chapter,
                "start": start,
                "end": t,
                "timing": dict(script.timing),
                "chapters": plan,
                "deployments": sorted(set().union(*(p.created_names() for p in chosen))),
                "warnings": warnings,
            }
            self._post(start, "play", text=script.title, chapter=chapter)
            self._next_due = start
            self.catch_up()  # the first chapter's deployments and its steps at 0 happen at once
            return copy.deepcopy(self._summary)

    def play_sent(self, script: Any, chapter: str | None = None, source: str | None = None) -> dict[str, Any]:
        """Play a scenario sent as a JSON object (``source`` names it in messages) or a built-in name.

        A path is refused: over HTTP the sandbox would be opening files for its callers. The
        handles read files themselves and send what they hold.
        """
        if isinstance(script, str):
            if not is_builtin_name(script):
                raise ScenarioError(
                    f"The sandbox does not open files ({script!r}): send the scenario itself as a JSON object, "
                    "or name a built-in one. The handles' play() reads a file for you."
                )
            parsed = load(script)
        elif isinstance(script, Mapping):
            parsed = parse(script, source if isinstance(source, str) and source else "scenario")
        else:
            raise ScenarioError("script must be a scenario object or the name of a built-in scenario.")
        if chapter is not None and not isinstance(chapter, str):
            raise ScenarioError("chapter must be a chapter id (text).")
        return self.play(parsed, chapter)

    @staticmethod
    def builtin_names() -> list[str]:
        """The built-in scenario names."""
        return builtin_names()

    def stop(self) -> dict[str, Any]:
        """Stop the script: steps not yet run are skipped (what they already did stays)."""
        with self.world.lock:
            self.catch_up()
            self._skip_rest("stopped")
            return self.progress()

    def catch_up(self) -> int:
        """Apply every step due by now, each as of its own time; returns how many events ran."""
        if self._next_due == math.inf:
            return 0
        world = self.world
        if world.now() < self._next_due:
            return 0
        fired = 0
        with world.lock:
            if self._busy:  # a step's own operation reading the world: no nesting
                return 0
            self._busy = True
            try:
                now = world.now()
                while self._cursor < len(self._events) and self._events[self._cursor].time <= now:
                    event = self._events[self._cursor]
                    self._cursor += 1
                    with world.as_of(event.time):
                        self._fire(event)
                    fired += 1
                self._next_due = self._events[self._cursor].time if self._cursor < len(self._events) else math.inf
            finally:
                self._busy = False
        return fired

    # ------------------------------------------------------------ reading
    @property
    def summary(self) -> dict[str, Any] | None:
        with self.world.lock:
            return copy.deepcopy(self._summary)

    def progress(self) -> dict[str, Any]:
        """Where the script is: every step with its state (pending, done, failed, skipped)."""
        with self.world.lock:
            summary = self._summary or {}
            return {
                "title": summary.get("title"),
                "source": summary.get("source"),
                "now": self.world.now(),
                "start": summary.get("start"),
                "end": summary.get("end"),
                "playing": self._cursor < len(self._events),
                "chapter": self._current,
                "steps": copy.deepcopy(self._entries),
            }

    def feed(self, since: int = 0) -> list[dict[str, Any]]:
        """What happened, oldest first, from sequence number ``since`` on (for live printing)."""
        with self.world.lock:
            return [dict(e) for e in self._feed if e["seq"] >= since]

    # ------------------------------------------------------------ internals
    def _fire(self, event: _Event) -> None:
        if event.kind == "chapter":
            chapter = event.chapter
            assert chapter is not None
            self._current = chapter.id
            problems = []
            for spec in chapter.deployments:
                try:
                    self._fresh(spec)
                except ScenarioError as exc:
                    problems.append(f"{spec['name']}: {exc}")
            self._post(event.time, "chapter", chapter=chapter.id, text=chapter.title, error="; ".join(problems) or None)
        elif event.kind == "step":
            step, entry = event.step, event.entry
            assert step is not None and entry is not None
            if step.do is not None:
                try:
                    entry["result"] = _brief(self._apply(step.do, dict(copy.deepcopy(step.args))))
                    entry["state"] = "done"
                except ScenarioError as exc:
                    entry["state"], entry["error"] = "failed", str(exc)
                except Exception as exc:
                    log.exception("scenario step %s failed", step.do)
                    entry["state"], entry["error"] = "failed", f"internal error: {type(exc).__name__}: {exc}"
            else:
                entry["state"] = "done"
            self._post(event.time, "step", **{k: entry[k] for k in ("chapter", "do", "name", "say", "state", "error")})
        else:
            self._current = None
            self._post(event.time, "end", text=self._summary["title"] if self._summary else None)

    def _fresh(self, spec: Mapping[str, Any]) -> None:
        """Make a chapter's deployment anew, so the chapter always starts from the same state.

        One of that name is deleted first; the new one keeps its id, so a widget open on it
        follows the chapter played again rather than losing its deployment.
        """
        fields_ = {k: copy.deepcopy(v) for k, v in spec.items() if k not in ("name", "status")}
        blueprint = Blueprint(name=spec["name"], **fields_)
        old = self.world.find(spec["name"])
        if old is not None:
            self.world.delete(old)
        self.world.add(blueprint, status=spec["status"], ident=old)

    def _skip_rest(self, why: str) -> None:
        for event in self._events[self._cursor :]:
            if event.entry is not None and event.entry["state"] == "pending":
                event.entry["state"], event.entry["error"] = "skipped", why
        if self._cursor < len(self._events) and self._summary is not None:
            self._post(self.world.now(), "stop", text=why)
        self._cursor = len(self._events)
        self._next_due = math.inf
        self._current = None

    def _post(self, at: float, kind: str, **details: Any) -> None:
        self._feed.append({"seq": self._seq, "time": at, "kind": kind, **details})
        self._seq += 1


def _brief(result: Any) -> Any:
    """What a step's operation answered, short: a serving object becomes its status."""
    if isinstance(result, Mapping) and "status" in result and "name" in result:
        return result["status"]
    return result
