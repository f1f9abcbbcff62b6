"""The Versions section's kernel side: a deployment's versions as rows, and what changed between them.

Hopsworks 5.2 keeps every configuration a deployment had as a numbered version, one
of them active; a rollback makes an earlier one active again. :func:`hops_widgets._sdk.versions`
reads them the same way for every source (the wire JSON of ``GET …/serving/{id}/versions``,
camelCase), or gives None where the SDK or the backend has none.

:func:`rows` turns that list into what the view draws as is: per version its number,
whether it is active, its times (ms) and who made it, and in words what changed from the
version before it (model version, scripts, resources, instances, scaling, environment).
Environment variables are named, never valued: they may hold secrets.

:class:`VersionBook` reads them only while the section is open and on screen: when it is
opened, when the status changes while it is open (an update or a rollback goes through
Updating), and after a rollback asked here. Nothing is read while it is closed. A versions
read costs the backend no deployment state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ._text import sendable, visible
from .errors import explain

__all__ = ["MAX_ROWS", "VersionBook", "changes", "rows"]

log = logging.getLogger(__name__)

MAX_ROWS = 100  # the newest ones shown; the count says how many there are
MAX_CHANGES = 8  # lines of "what changed" per version
MAX_TEXT = 200


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    """Server text fit to send and read: hidden characters written out, bounded."""
    if value is None:
        return ""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - an object whose str raises is named by its type
        text = f"<{type(value).__name__}>"
    text = sendable(visible(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ms(value: Any) -> float | None:
    """An ISO-8601 time (``2026-01-02T03:04:05.678Z``) or epoch milliseconds as epoch ms; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 1e11 else float(value) * 1000.0
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).timestamp() * 1000.0
    except ValueError:
        return None


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value, 40)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _env_name(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("name")
    return _text(value, 80) if value else ""


def _short_pair(old: str, new: str) -> tuple[str, str]:
    """The shortest path tails that tell two paths apart: ``…/3/predictor.py`` vs ``…/4/predictor.py``."""
    a, b = old.split("/"), new.split("/")
    n = 1
    while n < max(len(a), len(b)) and a[-n:] == b[-n:]:
        n += 1
    tail_a, tail_b = "/".join(a[-n:]), "/".join(b[-n:])
    return ("…/" if len(a) > n else "") + tail_a, ("…/" if len(b) > n else "") + tail_b


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] or path


_SCALING = (  # (key, label, unit) of the scaling settings, in the order they are told
    ("scaleMetric", "metric", ""),
    ("target", "target", ""),
    ("autoscaler", "autoscaler", ""),
    ("idleScaleToZero", "scale to zero when idle", ""),
    ("idleCooldownSeconds", "idle cooldown", " s"),
    ("coldStartTimeoutSeconds", "cold start timeout", " s"),
    ("scaleUpStabilizationWindowSeconds", "scale-up window", " s"),
    ("scaleDownStabilizationWindowSeconds", "scale-down window", " s"),
    ("retentionPeriod", "scale-to-zero retention", " s"),
    ("panicWindowPercentage", "panic window", " %"),
    ("stableWindowSeconds", "stable window", " s"),
)
_RESOURCES = (("cores", "cores", ""), ("memory", "memory", " MB"), ("gpus", "GPUs", ""))


def _flag(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    return "–" if value is None else _num(value)


def _instances(scaling: Mapping[str, Any]) -> str:
    low, high = scaling.get("minInstances"), scaling.get("maxInstances")
    if low is None and high is None:
        return ""
    return f"{'?' if low is None else _num(low)}–{'?' if high is None else _num(high)}"


def _component_changes(new: Mapping[str, Any], old: Mapping[str, Any], part: str) -> list[str]:
    out: list[str] = []
    res_new, res_old = _dict(new.get(f"{part}Resources")), _dict(old.get(f"{part}Resources"))
    bits = []
    for side, prefix in (("requests", ""), ("limits", "limit ")):
        now, before = _dict(res_new.get(side)), _dict(res_old.get(side))
        for key, label, unit in _RESOURCES:
            if now.get(key) != before.get(key):
                bits.append(f"{prefix}{label} {_flag(before.get(key))} → {_flag(now.get(key))}{unit}")
    if bits:
        out.append(f"{part} resources: {', '.join(bits)}")
    sc_new, sc_old = _dict(new.get(f"{part}ScalingConfig")), _dict(old.get(f"{part}ScalingConfig"))
    count_new, count_old = _instances(sc_new), _instances(sc_old)
    if count_new != count_old:
        out.append(f"{part} instances {count_old or '–'} → {count_new or '–'}")
    bits = []
    for key, label, unit in _SCALING:
        if sc_new.get(key) != sc_old.get(key):
            bits.append(f"{label} {_flag(sc_old.get(key))} → {_flag(sc_new.get(key))}{unit}")
    if sc_new.get("additionalScaleMetrics") != sc_old.get("additionalScaleMetrics"):
        bits.append("additional metrics changed")
    told = {"minInstances", "maxInstances", "additionalScaleMetrics", *(k for k, _, _ in _SCALING)}
    if any(sc_new.get(k) != sc_old.get(k) for k in set(sc_new) | set(sc_old) if k not in told):
        bits.append("other settings changed")
    if bits:
        out.append(f"{part} scaling: {', '.join(bits)}")
    env_new, env_old = _env_name(new.get(f"{part}Environment")), _env_name(old.get(f"{part}Environment"))
    if env_new != env_old:
        out.append(f"{part} environment {env_old or '–'} → {env_new or '–'}")
    out.extend(_env_var_changes(new.get(f"{part}EnvVars"), old.get(f"{part}EnvVars"), part))
    return out


def _env_vars(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value if isinstance(value, (list, tuple)) else ():
        if isinstance(item, str):
            name, _sep, rest = item.partition("=")
            out[name] = rest
        elif isinstance(item, Mapping) and "name" in item:
            out[str(item["name"])] = str(item.get("value"))
    return out


def _env_var_changes(new: Any, old: Any, part: str) -> list[str]:
    """Which environment variables came, went or changed: names only (a value may be a secret)."""
    now, before = _env_vars(new), _env_vars(old)
    bits = [f"{_text(k, 60)} added" for k in now if k not in before]
    bits += [f"{_text(k, 60)} removed" for k in before if k not in now]
    bits += [f"{_text(k, 60)} changed" for k in now if k in before and now[k] != before[k]]
    return [f"{part} environment variables: {', '.join(bits)}"] if bits else []


def _script_change(label: str, old: Any, new: Any) -> str:
    if old == new:
        return ""
    if not old:
        return f"{label} added: {_text(_basename(str(new)))}"
    if not new:
        return f"{label} removed"
    a, b = _short_pair(str(old), str(new))
    return f"{label} {_text(a)} → {_text(b)}"


def changes(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[str]:
    """What changed from ``old`` (the version before) to ``new``, in words; ``["first version"]`` without one."""
    if old is None:
        return ["first version"]
    out: list[str] = []
    name_new, name_old = new.get("modelName"), old.get("modelName")
    ver_new, ver_old = new.get("modelVersion"), old.get("modelVersion")
    if name_new != name_old:
        out.append(f"model {_model(name_old, ver_old) or '–'} → {_model(name_new, ver_new) or '–'}")
    elif ver_new != ver_old:
        out.append(f"model v{_num(ver_old)} → v{_num(ver_new)}")
    for key, label in (("modelServer", "model server"), ("modelFramework", "framework")):
        if new.get(key) != old.get(key):
            out.append(f"{label} {_text(old.get(key), 40) or '–'} → {_text(new.get(key), 40) or '–'}")
    for key, label in (
        ("predictor", "predictor script"),
        ("transformer", "transformer script"),
        ("configFile", "config file"),
    ):
        line = _script_change(label, old.get(key), new.get(key))
        if line:
            out.append(line)
    for part in ("predictor", "transformer"):
        out.extend(_component_changes(new, old, part))
    for key, label in (
        ("vllmVariant", "vLLM variant"),
        ("vllmImageTag", "vLLM image"),
        ("gitCurrentCommit", "git commit"),
    ):
        if new.get(key) != old.get(key):
            out.append(f"{label} {_text(old.get(key), 60) or '–'} → {_text(new.get(key), 60) or '–'}")
    if not out:
        return ["the same configuration as the version before"]
    if len(out) > MAX_CHANGES:
        out = [*out[: MAX_CHANGES - 1], f"and {len(out) - MAX_CHANGES + 1} more changes"]
    return [_text(line, 300) for line in out]


def _model(name: Any, version: Any) -> str:
    if not name:
        return ""
    return f"{_text(name, 120)}{'' if version is None else f' v{_num(version)}'}"


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def rows(versions: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The versions (any order) as the section's rows, newest first, each with what changed from the one before."""
    found = [v for v in versions if isinstance(v, Mapping) and _whole(v.get("version")) is not None]
    found.sort(key=lambda v: v["version"])
    out = []
    for i, v in enumerate(found):
        older = found[i - 1] if i > 0 else None
        script = v.get("predictor")
        out.append(
            {
                "version": v["version"],
                "active": v.get("active") is True,
                "created_ms": _ms(v.get("created")),
                "created_by": _text(v.get("createdBy"), 80),
                "updated_ms": _ms(v.get("updated")),
                "updated_by": _text(v.get("updatedBy"), 80),
                "model": _model(v.get("modelName"), v.get("modelVersion")),
                "script": _text(_basename(str(script)), 120) if script else "",
                "instances": _instances(_dict(v.get("predictorScalingConfig"))),
                "changes": changes(v, older),
            }
        )
    out.reverse()
    return out[:MAX_ROWS]


class VersionBook:
    """Reads a deployment's versions while its section is open and on screen; publishes the section's value.

    ``fetch()`` gives the wire JSON list, or None where there are no versions (an older SDK or
    backend); ``on_change(value)`` gets ``{"available", "items", "count", "active", "loading",
    "error", "at_ms"}`` whenever it changes. ``available`` is None until known, then True or False
    (False: the section is absent).
    """

    def __init__(
        self,
        fetch: Callable[[], list[Mapping[str, Any]] | None],
        on_change: Callable[[dict[str, Any]], None],
        *,
        available: bool | None = None,
        label: str = "deployment",
        secrets: Callable[[], tuple[str, ...]] = tuple,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._fetch = fetch
        self._on_change = on_change
        self._label = label
        self._secrets = secrets
        self._wall = wall
        self.value: dict[str, Any] = {
            "available": available,
            "items": [],
            "count": 0,
            "active": None,
            "loading": False,
            "error": "",
            "at_ms": None,
        }
        self.open = False
        self.visible = False
        self.status = ""
        self.model_version: Any = None
        self._want = False  # something changed while it could not be read: read when it can
        self._worker: threading.Thread | None = None
        self._again = False
        self._closed = False
        self.reads = 0  # for tests and the benchmark

    @property
    def absent(self) -> bool:
        return self.value["available"] is False

    @property
    def active(self) -> int | None:
        """The active version's number, as last read (None before a read)."""
        return self.value["active"]

    def initial(self) -> dict[str, Any]:
        return dict(self.value)

    def set(
        self,
        *,
        open: bool | None = None,
        visible: bool | None = None,
        status: str | None = None,
        model_version: Any = ...,
    ) -> None:
        """What the section and the deployment do now; a read starts where one is due.

        Every opening reads; a change of status or model version (an update, a rollback) reads
        again if the section is open and on screen, else at the next time it is.
        """
        with self._lock:
            if open is not None:
                if open and not self.open:
                    self._want = True
                self.open = bool(open)
            if visible is not None:
                self.visible = bool(visible)
            if status is not None and status != self.status:
                if self.status:
                    self._want = True
                self.status = status
            if model_version is not ... and model_version != self.model_version:
                if self.model_version is not None:
                    self._want = True
                self.model_version = model_version
            due = self._want and self.open and self.visible
        if due:
            self._kick()

    def reload(self) -> None:
        """After a rollback: read now if the section is open and on screen, else the next time it is."""
        with self._lock:
            self._want = True
            due = self.open and self.visible
        if due:
            self._kick()

    def mark_absent(self) -> None:
        """The cluster said it has no versions (a rollback's 404): the section is absent from now on."""
        self._publish(available=False, loading=False, error="", items=[], count=0, active=None)

    def close(self) -> None:
        self._closed = True

    # ------------------------------------------------------------ reading
    def _kick(self) -> None:
        with self._lock:
            if self.absent or self._closed:
                return
            self._want = False
            if self._worker is not None:
                self._again = True  # one more read once this one is done: it may predate the change
                return
            self._worker = threading.Thread(target=self._run, name=f"hops-widgets-versions[{self._label}]", daemon=True)
            worker = self._worker
        worker.start()  # never published from here: a caller may hold the overview's lock (detail's first)

    def _run(self) -> None:
        while True:
            self._publish(loading=True)
            self.read_once()
            with self._lock:
                if not self._again or self._closed:
                    self._worker = None
                    return
                self._again = False

    def read_once(self) -> None:
        """One read of every version (on the calling thread), published."""
        self.reads += 1
        try:
            found = self._fetch()
        except Exception as exc:  # noqa: BLE001 - shown in the section, never raised
            self._publish(loading=False, error=explain(exc, self._secrets()))
            return
        if found is None:  # this SDK or backend has no versions: the section is absent
            self.mark_absent()
            return
        items = rows(list(found))
        active = next((r["version"] for r in items if r["active"]), None)
        self._publish(
            available=True,
            loading=False,
            error="",
            items=items,
            count=len(found),
            active=active,
            at_ms=round(self._wall() * 1000.0, 1),
        )

    def _publish(self, **changes: Any) -> None:
        with self._lock:
            value = {**self.value, **changes}
            if value == self.value:
                return
            self.value = value
        try:
            self._on_change(dict(value))
        except Exception:
            log.exception("hops-widgets: versions not delivered")
