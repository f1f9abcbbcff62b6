"""The state diagrams' layout (complete, readable) and what they highlight for a deployment."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hops_widgets import diagrams
from hops_widgets.diagrams import LAYOUT, NODE_H, NODE_W, marks, svg
from hops_widgets.state import STATUSES, DeploymentState

BY_ID = {d["id"]: d for d in LAYOUT["diagrams"]}
# the rows of the status and condition tables every deployment walks
STATUS_ROWS = {"CREATED", "STARTING", "RUNNING", "IDLE", "FAILED", "UPDATING", "STOPPING", "STOPPED"}
# the condition rows the backend sends: SCHEDULED, INITIALIZED and STARTED are never True (a done
# step is replaced by the next one's Unknown); READY is Unknown, True or False; STOPPED Unknown or True
CONDITION_ROWS = {
    ("STOPPED", "unknown"),
    ("STOPPED", "true"),
    ("READY", "true"),
    *(
        (kind, progress)
        for kind in ("SCHEDULED", "INITIALIZED", "STARTED", "READY")
        for progress in ("unknown", "false")
    ),
}


def state(status: str, ctype: str | None = None, cstatus: bool | None = None) -> DeploymentState:
    data = {"id": 1, "name": "d", "status": status, "availableInstances": 0, "requestedInstances": 1}
    if ctype:
        data["condition"] = {"type": ctype, "status": cstatus, "reason": "r"}
    return DeploymentState.from_json(data)


def test_every_status_and_every_condition_row_has_a_node():
    # every status the client knows, Creating included (a new deployment's first, before the reference's rows)
    assert {n["id"] for n in BY_ID["status"]["nodes"]} == STATUS_ROWS | {"CREATING"} == set(STATUSES)
    condition_nodes = {tuple(n["id"].split("/")) for n in BY_ID["start"]["nodes"] + BY_ID["stop"]["nodes"]}
    assert CONDITION_ROWS == condition_nodes  # no node for a row the backend never sends
    for d in LAYOUT["diagrams"]:
        ids = [n["id"] for n in d["nodes"]]
        assert len(ids) == len(set(ids)), d["id"]
        for e in d["edges"]:
            assert e["from"] in ids and e["to"] in ids, e
        assert all(n["hint"] and n["label"] for n in d["nodes"])  # each node says what it means


def _boxes(d):
    return {
        n["id"]: (n["x"] - NODE_W / 2, n["y"] - NODE_H / 2, n["x"] + NODE_W / 2, n["y"] + NODE_H / 2)
        for n in d["nodes"]
    }


@pytest.mark.parametrize("which", ["status", "start", "stop"])
def test_nodes_fit_the_picture_and_no_line_crosses_another_box(which):
    d = BY_ID[which]
    boxes = _boxes(d)
    lines = [e for e in d["edges"] if e["route"] != "arc"]
    assert len(boxes) > 1 and lines, "nothing to check: the loops below would pass empty"
    for ident, (x0, y0, x1, y1) in boxes.items():
        assert x0 >= 0 and y0 >= 0 and x1 <= d["width"] and y1 <= d["height"], ident
    items = list(boxes.items())
    for i, (a, ba) in enumerate(items):
        for b, bb in items[i + 1 :]:
            apart = ba[2] <= bb[0] or bb[2] <= ba[0] or ba[3] <= bb[1] or bb[3] <= ba[1]
            assert apart, (a, b)
    for e in d["edges"]:
        if e["route"] == "arc":
            continue
        (sx, sy), (ex, ey) = (tuple(map(float, p[1:].split(","))) for p in e["d"].split(" "))
        for k in range(1, 40):
            x, y = sx + (ex - sx) * k / 40, sy + (ey - sy) * k / 40
            for ident, (x0, y0, x1, y1) in boxes.items():
                if ident in (e["from"], e["to"]):
                    continue
                assert not (x0 < x < x1 and y0 < y < y1), f"{e['id']} runs through {ident}"


def test_the_path_of_statuses_is_marked_with_the_last_step_apart():
    m = marks(["STOPPED", "STARTING", "RUNNING"], state("Running", "READY", True))
    assert m["status"]["current"] == "RUNNING"
    assert m["status"]["taken"] == ["STARTING>RUNNING", "STOPPED>STARTING"]
    assert m["status"]["last"] == "STARTING>RUNNING"
    assert m["status"]["visited"] == ["RUNNING", "STARTING", "STOPPED"]
    assert m["text"] == "Now Running. Path: Stopped → Starting → Running. Condition: Ready (True)."


def test_a_start_lights_every_step_before_the_current_one_and_a_failure_its_branch():
    m = marks(["STOPPED", "STARTING"], state("Starting", "STARTED", None))
    assert m["focus"] == "start" and m["start"]["current"] == "STARTED/unknown"
    assert m["start"]["visited"] == ["SCHEDULED/unknown", "INITIALIZED/unknown", "STARTED/unknown"]
    assert m["start"]["taken"] == ["SCHEDULED/unknown>INITIALIZED/unknown", "INITIALIZED/unknown>STARTED/unknown"]
    failed = marks(["STOPPED", "STARTING", "FAILED"], state("Failed", "SCHEDULED", False))
    assert failed["start"]["current"] == "SCHEDULED/false"
    assert failed["start"]["taken"] == ["SCHEDULED/unknown>SCHEDULED/false"]
    assert failed["status"]["last"] == "STARTING>FAILED"


def test_a_stop_uses_the_stop_diagram_even_for_its_scheduled_step():
    releasing = marks(["RUNNING", "STOPPING"], state("Stopping", "SCHEDULED", None))
    assert releasing["focus"] == "stop" and releasing["stop"]["current"] == "SCHEDULED/unknown"
    assert releasing["start"]["current"] is None
    done = marks(["RUNNING", "STOPPING", "STOPPED"], state("Stopped", "STOPPED", True))
    assert done["stop"]["visited"] == ["SCHEDULED/unknown", "STOPPED/unknown", "STOPPED/true"]
    assert "Condition: Stopped (True)" in done["text"]


def test_odd_input_lights_nothing_it_cannot_place():
    assert marks([], None)["text"] == "No state yet."
    odd = marks(["RUNNING", "HIBERNATING"], state("Hibernating", "WARMING", None))
    assert odd["status"]["current"] is None and odd["focus"] is None
    creating = marks([], state("Creating", "STOPPED", None))
    assert creating["status"]["current"] == "CREATING" and creating["focus"] is None
    assert marks(["CREATING"], state("Created"))["status"]["last"] == "CREATING>CREATED"
    created = marks(["CREATED"], state("Created", "STOPPED", True))
    assert created["status"]["current"] == "CREATED" and created["focus"] is None  # never started: no step
    # a transition the diagram has no arrow for (a stop while starting) marks the nodes, not a made-up edge
    jump = marks(["STARTING", "STOPPING"], state("Stopping", "STOPPED", None))
    assert jump["status"]["taken"] == [] and jump["status"]["visited"] == ["STARTING", "STOPPING"]


def test_the_static_picture_is_valid_svg_with_the_same_marks():
    m = marks(["STOPPED", "STARTING", "FAILED"], state("Failed", "INITIALIZED", False))
    markup = svg(m)
    root = ET.fromstring(markup.replace("<figure class='hops-diagrams'>", "<figure>"))
    pictures = root.findall("svg")
    assert [p.get("data-diagram") for p in pictures] == ["status", "start", "stop"]
    current = [g.get("data-id") for p in pictures for g in p.iter("g") if g.get("data-state") == "current"]
    assert current == ["FAILED", "INITIALIZED/false"]
    assert root.find("figcaption").text == m["text"]


def test_the_layout_travels_once_and_is_small():
    import json

    assert len(json.dumps(diagrams.LAYOUT)) < 12_000


def test_a_move_no_poll_saw_is_filled_in_only_where_one_way_leads():
    # a view off screen polls rarely: Created, then Running; it went through Starting
    m = marks(["CREATED", "RUNNING"], state("Running", "READY", True))
    assert m["status"]["taken"] == ["CREATED>STARTING", "STARTING>RUNNING"]
    assert m["status"]["inferred"] == ["CREATED>STARTING", "STARTING>RUNNING"]  # drawn dashed
    assert m["status"]["visited"] == ["CREATED", "RUNNING", "STARTING"]
    assert "Created → Starting → Running" in m["text"]
    missed_stop = marks(["RUNNING", "STOPPED"], state("Stopped", "STOPPED", True))
    assert missed_stop["status"]["inferred"] == ["RUNNING>STOPPING", "STOPPING>STOPPED"]
    # an arrow seen once and filled in another time is drawn as seen
    missed_start = marks(["STOPPED", "RUNNING"], state("Running", "READY", True))
    assert missed_start["status"]["inferred"] == ["STARTING>RUNNING", "STOPPED>STARTING"]
    # two shortest ways (a stop during a start: through Running or through Failed): nothing made up
    stop_while_starting = marks(["STARTING", "STOPPING"], state("Stopping", "STOPPED", None))
    assert stop_while_starting["status"]["taken"] == [] and stop_while_starting["status"]["inferred"] == []


def test_the_real_start_sequence_walks_the_unknown_row_and_ends_ready_true():
    # null SCHEDULED -> null INITIALIZED -> null STARTED -> null READY -> READY True, as the backend sends it
    seen = []
    for ctype, cstatus in [("SCHEDULED", None), ("INITIALIZED", None), ("STARTED", None), ("READY", None)]:
        seen.append(marks(["STOPPED", "STARTING"], state("Starting", ctype, cstatus))["start"]["current"])
    assert seen == ["SCHEDULED/unknown", "INITIALIZED/unknown", "STARTED/unknown", "READY/unknown"]
    ready = marks(["STOPPED", "STARTING", "RUNNING"], state("Running", "READY", True))["start"]
    assert ready["current"] == "READY/true" and ready["taken"][-1] == "READY/unknown>READY/true"
    assert set(ready["taken"]) <= {e["id"] for e in BY_ID["start"]["edges"]}
    # a source that still sends a middle step as True: the next step is under way, the same picture
    assert marks([], state("Starting", "INITIALIZED", True))["start"]["current"] == "STARTED/unknown"


def test_a_cold_start_goes_from_idle_straight_to_running_on_its_own_arrow():
    m = marks(["RUNNING", "IDLE", "RUNNING"], state("Running", "READY", True))
    assert m["status"]["last"] == "IDLE>RUNNING" and "IDLE>RUNNING" in m["status"]["taken"]
    assert m["status"]["inferred"] == [] and "STARTING" not in m["status"]["visited"]  # not filled in through Starting
    assert "Idle → Running" in m["text"]


def test_a_failure_that_ends_by_itself_and_a_restart_have_their_arrows():
    healed = marks(["STARTING", "FAILED", "RUNNING"], state("Running", "READY", True))
    assert healed["status"]["last"] == "FAILED>RUNNING" and healed["status"]["inferred"] == []
    assert marks(["FAILED", "STARTING"], state("Starting", "SCHEDULED", None))["status"]["last"] == "FAILED>STARTING"
    restart = marks(["FAILED", "STOPPING", "STOPPED", "STARTING", "RUNNING"], state("Running", "READY", True))
    assert restart["status"]["taken"] == [
        "FAILED>STOPPING",
        "STARTING>RUNNING",
        "STOPPED>STARTING",
        "STOPPING>STOPPED",
    ]
    start_edges = {e["label"] for e in BY_ID["status"]["edges"] if e["from"] == "FAILED"}
    assert "start" not in start_edges  # the cluster refuses a start of a failed deployment


def test_a_storage_retry_lights_the_start_at_initialized_not_the_stop():
    m = marks(["STOPPED", "STARTING"], state("Starting", "STOPPED", None))
    assert m["focus"] == "start" and m["start"]["current"] == "INITIALIZED/unknown"
    assert m["stop"]["current"] is None
