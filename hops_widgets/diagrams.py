"""The state diagrams: how a deployment moves between statuses, and the condition steps of a start and a stop.

One description serves every drawing: :data:`LAYOUT` holds each diagram's
nodes (an id, a label, a place, a sentence) and edges; the view draws it as
SVG (``js/widget.js``, section ``diagram``) and :func:`svg` draws the same
thing as static markup for the saved notebook. :func:`marks` says what to
highlight for one deployment: its current status and condition step, and
the path it took (statuses from the timeline; a start or stop walks its steps
in one order, so the path to the current step is known from the step alone).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from .state import STATUSES, STEP_LABELS, STOP_STEP_LABELS, DeploymentState, visible

__all__ = ["LAYOUT", "marks", "svg"]

NODE_W, NODE_H = 112, 36

# status -> (x, y) of the node's centre; the order is the reading order of the accessible text
_STATUS_PLACES = {
    "CREATING": (70, 150),
    "CREATED": (70, 60),
    "STARTING": (250, 60),
    "RUNNING": (430, 60),
    "IDLE": (610, 60),
    "FAILED": (250, 150),
    "UPDATING": (430, 150),
    "STOPPED": (70, 240),
    "STOPPING": (610, 240),
}
_STATUS_WORDS = {
    "CREATING": "Creating",
    "CREATED": "Created",
    "STARTING": "Starting",
    "RUNNING": "Running",
    "IDLE": "Idle",
    "FAILED": "Failed",
    "UPDATING": "Updating",
    "STOPPING": "Stopping",
    "STOPPED": "Stopped",
}
# (from, to, label, route): route "line", "arc" (over the top row) or "left"/"right" (one of a pair)
_STATUS_EDGES = (
    ("CREATING", "CREATED", "prepared", "line"),
    ("CREATED", "STARTING", "start", "line"),
    ("STOPPED", "STARTING", "start", "line"),
    ("STARTING", "RUNNING", "ready", "line"),
    ("STARTING", "FAILED", "a step fails", "left"),
    # no "start" from Failed: the cluster refuses it (stop it first, or restart). A failure can end by itself
    # when its cause goes away (a pod finally placed): the next poll reports Starting, or Running.
    ("FAILED", "STARTING", "cause gone", "right"),
    ("FAILED", "RUNNING", "", "line"),
    ("RUNNING", "IDLE", "no requests", "line"),
    # a cold start: the service stays Ready while idle, so the first pod makes it Running (no Starting)
    ("IDLE", "RUNNING", "a request wakes it", "arc"),
    ("RUNNING", "UPDATING", "update", "left"),
    ("UPDATING", "RUNNING", "rolled out", "right"),
    ("RUNNING", "STOPPING", "stop", "line"),
    ("IDLE", "STOPPING", "stop", "line"),
    ("UPDATING", "STOPPING", "stop", "line"),
    ("FAILED", "STOPPING", "stop", "line"),
    ("STOPPING", "STOPPED", "instances gone", "line"),
)

_PROGRESS_WORDS = {"unknown": "Unknown", "true": "True", "false": "False"}
_PROGRESS_MEANING = {"unknown": "in progress", "true": "done", "false": "failed"}
_START_COLUMNS = {"SCHEDULED": 90, "INITIALIZED": 260, "STARTED": 430, "READY": 600}
_START_ROWS = {"false": 35, "unknown": 110, "true": 185}
_START_HINTS = {
    "SCHEDULED": "finding room on the cluster and reserving resources",
    "INITIALIZED": "pulling the container images and mounting volumes",
    "STARTED": "booting the model server and running the predictor/transformer scripts",
    "READY": "routing network traffic to the instances",
}
_STOP_PATH = (("SCHEDULED", "unknown"), ("STOPPED", "unknown"), ("STOPPED", "true"))
_STOP_HINTS = {
    ("SCHEDULED", "unknown"): "giving the instances' place on the cluster back",
    ("STOPPED", "unknown"): "shutting the instances down",
    ("STOPPED", "true"): "no instance runs and nothing is allocated",
}


def _node(ident: str, label: str, sub: str, x: float, y: float, hint: str) -> dict[str, Any]:
    return {"id": ident, "label": label, "sub": sub, "x": x, "y": y, "hint": hint}


def _status_diagram() -> dict[str, Any]:
    nodes = [_node(s, _STATUS_WORDS[s], "", x, y, STATUSES[s][1]) for s, (x, y) in _STATUS_PLACES.items()]
    edges = [
        {"id": f"{a}>{b}", "from": a, "to": b, "label": label, "route": route} for a, b, label, route in _STATUS_EDGES
    ]
    return {"id": "status", "title": "Status", "width": 680, "height": 270, "nodes": nodes, "edges": edges}


def _start_diagram() -> dict[str, Any]:
    """The conditions of a start as the backend sends them: each step in progress (Unknown) or failed
    (False); a done step is never sent as True but replaced by the next step's Unknown. Only READY is True."""
    nodes, edges = [], []
    types = list(_START_COLUMNS)
    for i, kind in enumerate(types):
        x = _START_COLUMNS[kind]
        for progress, y in _START_ROWS.items():
            if progress == "true" and kind != "READY":
                continue  # never sent: the next step's Unknown says this one is done
            hint = f"{kind} {_PROGRESS_WORDS[progress]}: {_START_HINTS[kind]}, {_PROGRESS_MEANING[progress]}"
            nodes.append(_node(f"{kind}/{progress}", STEP_LABELS[kind], _PROGRESS_WORDS[progress], x, y, hint))
        edges.append({"id": f"{kind}/unknown>{kind}/false", "from": f"{kind}/unknown", "to": f"{kind}/false"})
        if i + 1 < len(types):
            nxt = types[i + 1]
            edges.append({"id": f"{kind}/unknown>{nxt}/unknown", "from": f"{kind}/unknown", "to": f"{nxt}/unknown"})
    edges.append({"id": "READY/unknown>READY/true", "from": "READY/unknown", "to": "READY/true"})
    for edge in edges:
        edge.update(label="", route="line")
    return {
        "id": "start",
        "title": "Conditions while starting",
        "width": 680,
        "height": 215,
        "nodes": nodes,
        "edges": edges,
    }


def _stop_diagram() -> dict[str, Any]:
    nodes = [
        _node(
            f"{kind}/{progress}",
            STOP_STEP_LABELS[kind] if (kind, progress) != ("STOPPED", "unknown") else "Shutting down",
            _PROGRESS_WORDS[progress],
            110 + i * 230,
            40,
            f"{kind} {_PROGRESS_WORDS[progress]}: {_STOP_HINTS[(kind, progress)]}",
        )
        for i, (kind, progress) in enumerate(_STOP_PATH)
    ]
    ids = [n["id"] for n in nodes]
    edges = [{"id": f"{a}>{b}", "from": a, "to": b, "label": "", "route": "line"} for a, b in itertools.pairwise(ids)]
    return {
        "id": "stop",
        "title": "Conditions while stopping",
        "width": 680,
        "height": 80,
        "nodes": nodes,
        "edges": edges,
    }


def _status_path(statuses: Iterable[str]) -> tuple[list[str], set[str]]:
    """The statuses in order, with the ones a poll missed put back where only one way leads through them.

    A view off screen polls rarely, so a deployment may be seen Created and then Running; it cannot have
    got there but through Starting. Such a move is filled in when the diagram has exactly one shortest way
    for it (of at most three arrows); the arrows filled in are returned too (drawn dashed). A move with
    no single way (a stop during a start) is left as seen: its statuses are marked, no arrow is.
    """
    path: list[str] = []
    seen: set[str] = set()
    inferred: set[str] = set()
    for status in statuses:
        if status not in _STATUS_PLACES or (path and path[-1] == status):
            continue
        move = f"{path[-1]}>{status}" if path else ""
        if move in _EDGES["status"]:
            seen.add(move)
        elif path and (between := _only_way(path[-1], status)):
            inferred |= {f"{a}>{b}" for a, b in itertools.pairwise([path[-1], *between, status])}
            path += between
        path.append(status)
    return path, inferred - seen


def _only_way(a: str, b: str, limit: int = 3) -> list[str] | None:
    """The statuses between ``a`` and ``b`` on the single shortest way of at most ``limit`` arrows, or None."""
    ways = [[a]]
    for _ in range(limit):
        ways = [[*w, nxt] for w in ways for nxt in _NEXT.get(w[-1], ()) if nxt not in w]
        done = [w for w in ways if w[-1] == b]
        if done:
            return done[0][1:-1] if len(done) == 1 else None
    return None


def _start_marks(kind: str, progress: str) -> tuple[list[str], list[str]]:
    """Nodes and edges a start has walked to reach ``kind``/``progress`` (one order, so no history is needed).

    Each step done is the next one's Unknown, as the backend sends them. A True on a step before READY
    (which the backend never sends; another source might) means the same: the next step is under way.
    """
    if progress == "true" and kind != "READY":
        kind, progress = _START_ORDER[_START_ORDER.index(kind) + 1], "unknown"
    visited = [f"{before}/unknown" for before in _START_ORDER[: _START_ORDER.index(kind)]]
    visited.append(f"{kind}/unknown")
    if progress != "unknown":
        visited.append(f"{kind}/{progress}")
    return visited, [f"{a}>{b}" for a, b in itertools.pairwise(visited)]


def _stop_marks(kind: str, progress: str) -> tuple[list[str], list[str]]:
    here = _STOP_PATH.index((kind, progress))
    visited = [f"{k}/{p}" for k, p in _STOP_PATH[: here + 1]]
    return visited, [f"{a}>{b}" for a, b in itertools.pairwise(visited)]


def marks(statuses: Sequence[str], state: DeploymentState | None) -> dict[str, Any]:
    """What to highlight: per diagram the current node, the nodes visited and the edges taken, plus a sentence.

    ``statuses``: the deployment's statuses, oldest first (the timeline's entries); ``state``: now.
    """
    empty = {"current": None, "visited": [], "taken": []}
    out: dict[str, Any] = {"status": dict(empty), "start": dict(empty), "stop": dict(empty), "focus": None}
    path, inferred = _status_path([*statuses, state.status] if state is not None else statuses)
    if path:
        taken = [f"{a}>{b}" for a, b in itertools.pairwise(path) if f"{a}>{b}" in _EDGES["status"]]
        current = path[-1] if state is not None and state.status in _STATUS_PLACES else None
        out["status"] = {
            "current": current,
            "visited": sorted(set(path)),
            "taken": sorted(set(taken)),
            "inferred": sorted(inferred),  # taken, by the only way there, though no poll saw it
            "last": taken[-1] if taken and current and taken[-1].endswith(f">{current}") else None,
        }
    cond = state.condition if state is not None else None
    if cond is not None and cond.type and state.status not in ("CREATED", "CREATING"):
        key = (cond.type, cond.progress)
        if state.on_stop_path and key in _STOP_PATH:
            visited, taken = _stop_marks(*key)
            out["stop"] = {"current": visited[-1], "visited": visited, "taken": taken}
            out["focus"] = "stop"
        elif state.storage_retry or (not state.on_stop_path and cond.type in _START_COLUMNS):
            # Starting with STOPPED/Unknown: the model files are loaded again, the start is at INITIALIZED
            visited, taken = _start_marks(*(("INITIALIZED", "unknown") if state.storage_retry else key))
            out["start"] = {"current": visited[-1], "visited": visited, "taken": taken}
            out["focus"] = "start"
    out["text"] = describe(out, path)
    if state is not None and not out["status"]["current"] and state.status not in _STATUS_PLACES:
        # a status the diagram has no place for: say it, rather than "No state yet." beside its badge
        unknown = f"Now {visible(state.status)}, a status the diagram does not show (shown as reported)."
        out["text"] = f"{unknown} {out['text']}" if out["text"] != "No state yet." else unknown
    return out


def _word(diagram: str, node: str | None) -> str:
    for d in LAYOUT["diagrams"]:
        if d["id"] == diagram:
            for n in d["nodes"]:
                if n["id"] == node:
                    return f"{n['label']} ({n['sub']})" if n["sub"] else n["label"]
    return ""


def describe(m: dict[str, Any], path: Sequence[str]) -> str:
    """The diagrams' highlights in words (the accessible text of the figure, and the snapshot's caption)."""
    parts = []
    if m["status"]["current"]:
        parts.append(f"Now {_STATUS_WORDS[m['status']['current']]}.")
    if len(path) > 1:
        parts.append("Path: " + " → ".join(_STATUS_WORDS[s] for s in path[-8:]) + ".")
    focus = m.get("focus")
    if focus:
        parts.append(f"Condition: {_word(focus, m[focus]['current'])}.")
    return " ".join(parts) or "No state yet."


# ---------------------------------------------------------------- static drawing
def _edge_path(diagram: dict[str, Any], edge: dict[str, Any]) -> tuple[str, list[float], str]:
    """An SVG path from one node's border to the other's, where its label goes and how it is anchored."""
    at = {n["id"]: (n["x"], n["y"]) for n in diagram["nodes"]}
    (x1, y1), (x2, y2) = at[edge["from"]], at[edge["to"]]
    w, h = NODE_W / 2, NODE_H / 2
    if edge["route"] == "arc":
        top = min(y1, y2) - h
        return f"M{x1},{top} C{x1 - 40},{top - 36} {x2 + 40},{top - 36} {x2},{top}", [(x1 + x2) / 2, top - 30], "middle"
    shift = {"left": -12, "right": 12}.get(edge["route"], 0)
    if shift:
        x1, x2 = x1 + shift, x2 + shift
    dx, dy = x2 - x1, y2 - y1
    # leave each box where the straight line crosses its border
    t = min(w / abs(dx) if dx else 1e9, h / abs(dy) if dy else 1e9)
    sx, sy, ex, ey = x1 + dx * t, y1 + dy * t, x2 - dx * t, y2 - dy * t
    # a label beside its line: a pair's labels go outwards, left and right of the two lines
    side = -8 if shift < 0 else 8 if shift > 0 or not dx else 0
    label_at = [round((sx + ex) / 2 + side, 1), round((sy + ey) / 2 + (3 if not dx else -4), 1)]
    anchor = "end" if shift < 0 else "start" if shift > 0 or not dx else "middle"
    return f"M{sx:.1f},{sy:.1f} L{ex:.1f},{ey:.1f}", label_at, anchor


def svg(m: dict[str, Any]) -> str:
    """The three diagrams as static SVG markup (for the static snapshot): same layout, same marks."""
    e = html.escape
    figures = []
    for d in LAYOUT["diagrams"]:
        mk = m.get(d["id"], {})
        visited, taken, inferred = (set(mk.get(k, ())) for k in ("visited", "taken", "inferred"))
        items = [f"<title>{e(d['title'])}</title>"]
        for edge in d["edges"]:
            state = "taken" if edge["id"] in taken else ""
            dashed = " stroke-dasharray='6 4'" if edge["id"] in inferred else ""
            items.append(f"<path class='hops-dia-edge' data-state='{state}' d='{edge['d']}'{dashed}/>")
            if edge["label"]:
                x, y = edge["at"]
                items.append(
                    f"<text class='hops-dia-sub' x='{x}' y='{y}' style='text-anchor:{edge['anchor']}'>"
                    f"{e(edge['label'])}</text>"
                )
        for n in d["nodes"]:
            state = "current" if n["id"] == mk.get("current") else "visited" if n["id"] in visited else ""
            x, y = n["x"] - NODE_W / 2, n["y"] - NODE_H / 2
            label = f"<text x='{n['x']}' y='{n['y'] + (-3 if n['sub'] else 4)}'>{e(n['label'])}</text>"
            sub = f"<text class='hops-dia-sub' x='{n['x']}' y='{n['y'] + 12}'>{e(n['sub'])}</text>" if n["sub"] else ""
            items.append(
                f"<g class='hops-dia-node' data-id='{e(n['id'])}' data-state='{state}'><title>{e(n['hint'])}</title>"
                f"<rect x='{x}' y='{y}' width='{NODE_W}' height='{NODE_H}' rx='8'/>{label}{sub}</g>"
            )
        figures.append(
            f"<svg class='hops-dia' data-diagram='{d['id']}' viewBox='0 0 {d['width']} {d['height']}' role='img' "
            f"aria-label='{e(d['title'])}'>{''.join(items)}</svg>"
        )
    return f"<figure class='hops-diagrams'>{''.join(figures)}<figcaption>{e(m.get('text', ''))}</figcaption></figure>"


def _routed(diagram: dict[str, Any]) -> dict[str, Any]:
    """The diagram with each edge's SVG path and label place worked out (once, here, for every drawing)."""
    for edge in diagram["edges"]:
        edge["d"], edge["at"], edge["anchor"] = _edge_path(diagram, edge)
    return diagram


LAYOUT: dict[str, Any] = {
    "size": [NODE_W, NODE_H],
    "diagrams": [_routed(_status_diagram()), _routed(_start_diagram()), _routed(_stop_diagram())],
}
_EDGES = {d["id"]: {e["id"] for e in d["edges"]} for d in LAYOUT["diagrams"]}
_NEXT: dict[str, list[str]] = {}
for _a, _b, *_ in _STATUS_EDGES:
    _NEXT.setdefault(_a, []).append(_b)
_START_ORDER = list(_START_COLUMNS)
