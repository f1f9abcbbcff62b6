"""Scenario files: what a bad one is told, and a player whose results do not depend on when anyone looks."""

from __future__ import annotations

import json
import threading

import pytest

from hops_widgets.sandbox import script
from hops_widgets.sandbox.admin import Admin
from hops_widgets.sandbox.faults import FaultBook
from hops_widgets.sandbox.machine import ManualClock, ScenarioError, World
from hops_widgets.sandbox.requestlog import RequestLog


def make_admin() -> Admin:
    return Admin(World(clock=ManualClock()), FaultBook(), RequestLog(), seeded=False)


def one_chapter(*steps, deployments=None, **top):
    chapter = {"id": "a", "deployments": deployments or [{"name": "d", "status": "Created"}], "steps": list(steps)}
    return {"title": "t", **top, "chapters": [chapter]}


# ------------------------------------------------------------------ the format
def test_a_file_without_chapters_is_one_chapter():
    parsed = script.parse(
        {"title": "Solo", "deployments": [{"name": "d"}], "steps": [{"at": 1, "do": "start_deployment", "name": "d"}]}
    )
    (chapter,) = parsed.chapters
    assert (chapter.id, chapter.title, chapter.deployments[0]["status"]) == ("main", "Solo", "Stopped")
    assert chapter.steps[0].offset == 1


def test_after_counts_from_the_previous_step_and_the_first_from_the_chapter_start():
    parsed = script.parse(
        one_chapter(
            {"after": 2, "do": "start_deployment", "name": "d"},
            {"after": 3, "say": "later"},
            {"at": 10, "do": "stop_deployment", "name": "d"},
            {"after": 0, "say": "at once"},
        )
    )
    assert [s.offset for s in parsed.chapters[0].steps] == [2, 5, 10, 10]
    assert parsed.chapters[0].length == 10


def test_hold_adds_to_the_chapter_length():
    data = one_chapter({"at": 4, "say": "x"})
    data["chapters"][0]["hold"] = 6
    assert script.parse(data).chapters[0].length == 10


def test_builtin_names_resolve_in_the_package_and_paths_do_not(tmp_path, monkeypatch):
    assert "lesson" in script.builtin_names()
    assert script.load("lesson").origin == "lesson.json"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lesson.json").write_text(json.dumps({"title": "Mine", "steps": [{"at": 0, "say": "hello"}]}))
    assert script.load("lesson.json").title == "Mine"  # a .json ending: a file
    assert script.load("./lesson.json").title == "Mine"
    assert script.load("lesson").title != "Mine"


BAD_SCENARIOS = [
    ({"titel": "x"}, r"t\.json: at the top level: unknown key 'titel'; allowed here: title, about, timing"),
    ([1, 2], r"t\.json: a scenario is a JSON object"),
    (
        {"chapters": [{"id": "a"}], "steps": []},
        r"t\.json: has both chapters and top-level deployments/steps",
    ),
    ({"chapters": []}, r"chapters must be a non-empty list"),
    ({"chapters": [{"title": "no id"}]}, r"t\.json: chapter 1: id must be a short name"),
    ({"chapters": [{"id": "a"}, {"id": "a"}]}, r"two chapters have the id 'a'"),
    ({"chapters": [{"id": "a", "stepz": []}]}, r"t\.json: chapter 'a': unknown key 'stepz'; allowed here: id, title"),
    ({"chapters": [{"id": "a", "hold": -1}]}, r"chapter 'a': hold cannot be negative \(-1\)"),
    ({"timing": {"step": 4}}, r"t\.json: timing: unknown key 'step'; allowed here: step_s, stop_step_s"),
    ({"timing": {"step_s": "slow"}}, r"timing: step_s must be a number of seconds, not 'slow'"),
    (
        one_chapter(deployments=[{"name": "d", "replicas": 2}]),
        r"chapter 'a', deployment 1: unknown key 'replicas'; allowed here: name, status, model_name",
    ),
    (one_chapter(deployments=[{"name": "d", "status": "Sleeping"}]), r"deployment 1 \(d\): status must be one of"),
    (one_chapter(deployments=[{"name": "d", "min_instances": -1}]), r"deployment 1 \(d\): min_instances must be"),
    (
        one_chapter(deployments=[{"name": "d"}, {"name": "d"}]),
        r"chapter 'a': the deployment 'd' is listed twice",
    ),
    (
        one_chapter({"at": 1, "do": "start_deploymnt", "name": "d"}),
        r"chapter 'a', step 1 \(start_deploymnt\): unknown operation 'start_deploymnt'; "
        r"a step can do: add_deployment, .*start_deployment, stop_deployment",
    ),
    (one_chapter({"at": 1, "do": "reset"}), r"step 1 \(reset\): 'reset' cannot be used in a scenario; a step can do"),
    (one_chapter({"at": 1, "do": "advance", "seconds": 3}), r"'advance' cannot be used in a scenario"),
    (one_chapter({"at": 1, "do": "play", "script": "lesson"}), r"'play' cannot be used in a scenario"),
    (
        one_chapter({"at": 1, "do": "start_deployment", "nmae": "d"}),
        r"step 1 \(start_deployment\): needs 'name'",
    ),
    (
        one_chapter({"at": 1, "do": "start_deployment", "name": "d", "wait": True}),
        r"step 1 \(start_deployment\): unknown key 'wait'; start_deployment takes name \(plus at/after, say\)",
    ),
    (
        one_chapter({"at": 1, "do": "update_deployment", "name": "d", "instances": 3}),
        r"unknown key 'instances'; update_deployment takes name, model_name, .*requested_instances",
    ),
    (one_chapter({"at": 1, "do": "add_fault", "kind": "meteor"}), r"step 1 \(add_fault\): unknown fault kind 'meteor'"),
    (one_chapter({"at": 1, "do": "add_fault", "kind": "latency", "secs": 2}), r"Fault 'latency' takes no \['secs'\]"),
    (
        one_chapter({"at": 1, "after": 2, "do": "start_deployment", "name": "d"}),
        r"step 1 \(start_deployment\): give exactly one of at .* or after .*, not both\.",
    ),
    (one_chapter({"do": "start_deployment", "name": "d"}), r"step 1 \(start_deployment\): give exactly one of at"),
    (one_chapter({"at": -1, "say": "x"}), r"step 1: at cannot be negative \(-1\)"),
    (one_chapter({"after": -0.5, "say": "x"}), r"step 1: after cannot be negative \(-0.5\)"),
    (one_chapter({"at": "soon", "say": "x"}), r"step 1: at must be a number of seconds, not 'soon'"),
    (one_chapter({"at": True, "say": "x"}), r"step 1: at must be a number of seconds, not True"),
    (
        one_chapter({"at": 5, "say": "x"}, {"at": 3, "say": "y"}),
        r"step 2: at 3 s comes before the previous step \(5 s\); steps must be in time order",
    ),
    (one_chapter({"at": 1}), r"step 1: needs do \(an operation\) or say \(a note\)"),
    (one_chapter({"at": 1, "say": "x", "name": "d"}), r"step 1: a note without do takes no 'name'"),
    (one_chapter({"at": 1, "say": 3}), r"step 1: say must be text"),
    (one_chapter("start it"), r"step 1 must be an object"),
]


@pytest.mark.parametrize(("data", "message"), BAD_SCENARIOS, ids=[m[:40] for _, m in BAD_SCENARIOS])
def test_a_bad_scenario_is_told_what_and_where(data, message):
    with pytest.raises(ScenarioError, match=message):
        script.parse(data, "t.json")


def test_invalid_json_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "title": "x",\n  "steps": [}\n')
    with pytest.raises(ScenarioError, match=r"broken\.json: not valid JSON at line 3, column 13: "):
        script.load(str(path))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("no/such/file.json", r"No scenario file at no/such/file\.json"),
        ("lessn", r"No built-in scenario named 'lessn'; the built-in ones are: .*lesson"),
        ("lesson.yaml", r"A file needs a path with a / or a name ending in \.json"),
        (42, r"A scenario is a dict, a file path or a built-in name, not int"),
    ],
)
def test_sources_that_cannot_be_read(source, message):
    with pytest.raises(ScenarioError, match=message):
        script.load(source)


def test_an_unknown_chapter_lists_the_ids():
    parsed = script.load("lesson")
    with pytest.raises(ScenarioError, match=r"lesson\.json: no chapter 'nope'; its chapters are: start, scale-to-zero"):
        parsed.chapter("nope")
    admin = make_admin()
    with pytest.raises(ScenarioError, match="no chapter 'nope'"):
        admin.dispatch("play", {"script": "lesson", "chapter": "nope"})


def test_a_step_on_a_deployment_nobody_makes_is_a_warning():
    data = one_chapter({"at": 1, "do": "start_deployment", "name": "ghost"}, {"at": 2, "do": "predict", "name": "d"})
    parsed = script.parse(data, "t.json")
    assert parsed.missing_deployments() == ["ghost"]
    assert parsed.missing_deployments(existing=["ghost"]) == []
    (warning,) = parsed.warnings()
    assert "t.json: a step acts on 'ghost', which no chapter creates and the sandbox does not have" in warning
    admin = make_admin()
    plan = admin.dispatch("play", {"script": data})
    assert plan["warnings"] == [warning.replace("t.json", "scenario")]
    admin.dispatch("advance", {"seconds": 3})
    states = [(s["name"], s["state"]) for s in admin.dispatch("script_progress")["steps"]]
    assert states == [("ghost", "failed"), ("d", "failed")]  # d is Created: it cannot serve a request


def test_a_deployment_made_by_a_step_counts_as_made():
    data = one_chapter(
        {"at": 0, "do": "add_deployment", "name": "late", "status": "Stopped"},
        {"at": 1, "do": "start_deployment", "name": "late"},
    )
    assert script.parse(data).missing_deployments() == []


def test_the_play_op_does_not_open_files():
    admin = make_admin()
    with pytest.raises(ScenarioError, match="does not open files"):
        admin.dispatch("play", {"script": "/etc/hostname"})
    with pytest.raises(ScenarioError, match="does not open files"):
        admin.dispatch("play", {"script": "mine.json"})


# ------------------------------------------------------------------ World.as_of
def test_as_of_fixes_now_for_the_lock_holder_and_others_wait():
    clock = ManualClock()
    world = World(clock=clock)
    clock.advance(10)
    seen = []
    inside = threading.Event()
    with world.as_of(4):
        assert world.now() == 4
        other = threading.Thread(target=lambda: (inside.wait(), seen.append(world.now())))
        other.start()
        inside.set()
        other.join(0.2)
        assert other.is_alive() and seen == []  # waiting for the lock: it never sees the fixed moment
    other.join(5)
    assert seen == [10] and world.now() == 10


def test_set_speed_inside_as_of_keeps_the_clock():
    clock = ManualClock()
    world = World(clock=clock)
    clock.advance(10)
    with world.as_of(2):
        world.set_speed(2)
    clock.advance(1)
    assert world.now() == 12


# ------------------------------------------------------------------ playing
def _comparable(admin: Admin) -> dict:
    """The serving JSON without wall-clock fields and the opaque revision (it differs between worlds, as
    pod names do), the progress, and when each log line was printed."""
    servings = []
    for serving in admin.dispatch("deployments"):
        servings.append({k: v for k, v in serving.items() if k not in ("created", "deployed", "revision")})
    logs = {
        s["name"]: [(line["component"], line["at"]) for line in admin.dispatch("log_lines", {"name": s["name"]})]
        for s in servings
    }
    progress = admin.dispatch("script_progress")
    return {"servings": servings, "logs": logs, "progress": progress}


def test_one_big_advance_gives_the_same_states_as_many_small_ones():
    patient, eager = make_admin(), make_admin()
    for admin in (patient, eager):
        admin.dispatch("play", {"script": "lesson"})
    patient.dispatch("advance", {"seconds": 100})
    for _ in range(400):
        eager.dispatch("advance", {"seconds": 0.25})
        eager.dispatch("deployments")
    big, small = _comparable(patient), _comparable(eager)
    assert big["progress"]["now"] == small["progress"]["now"] == 100
    assert big == small
    assert {s["state"] for s in big["progress"]["steps"]} == {"done"}
    # the request at 40 s found lessonidle Idle and woke it; 12 quiet seconds later it slept again
    idle = next(s for s in big["servings"] if s["name"] == "lessonidle")
    assert idle["status"] == "Idle"


def test_a_late_look_does_not_move_a_step():
    """A start due at 5 s, first looked at 30 s later, began at 5 s: Running, not Starting."""
    admin = make_admin()
    admin.dispatch("play", {"script": one_chapter({"at": 5, "do": "start_deployment", "name": "d"})})
    admin.world.clock.advance(35)
    assert admin.dispatch("deployment", {"name": "d"})["status"] == "Running"
    (step,) = admin.dispatch("script_progress")["steps"]
    assert (step["at"], step["state"], step["result"]) == (5.0, "done", "starting")


def test_a_failing_step_is_recorded_and_the_rest_runs():
    admin = make_admin()
    data = one_chapter(
        {"at": 1, "do": "stop_deployment", "name": "d", "say": "stop"},
        {"at": 1.5, "do": "start_deployment", "name": "d", "say": "too early"},
        {"at": 2, "do": "fail", "name": "d", "step": "BOGUS"},
        {"at": 4, "do": "start_deployment", "name": "d", "say": "once stopped"},
        deployments=[{"name": "d", "status": "Running"}],
    )
    admin.dispatch("play", {"script": data})
    admin.dispatch("advance", {"seconds": 10})
    steps = admin.dispatch("script_progress")["steps"]
    assert [s["state"] for s in steps] == ["done", "failed", "failed", "done"]
    assert "stopping" in steps[1]["error"] and steps[1]["result"] is None
    assert "Unknown step 'BOGUS'" in steps[2]["error"]
    assert steps[3]["result"] == "starting"
    assert admin.dispatch("deployment", {"name": "d"})["status"] == "Running"  # started at 4 s, 5.25 s to run


def test_a_chapter_makes_its_deployments_afresh_and_keeps_their_ids():
    admin = make_admin()
    data = one_chapter({"at": 1, "do": "start_deployment", "name": "d"})
    admin.dispatch("play", {"script": data})
    admin.dispatch("advance", {"seconds": 30})
    first = admin.dispatch("deployment", {"name": "d"})
    assert first["status"] == "Running"
    admin.dispatch("play", {"script": data})
    again = admin.dispatch("deployment", {"name": "d"})
    assert (again["id"], again["status"]) == (first["id"], "Created")


def test_steps_at_zero_run_when_played_and_chapters_follow_each_other():
    admin = make_admin()
    data = {
        "title": "Two",
        "chapters": [
            {
                "id": "a",
                "hold": 3,
                "deployments": [{"name": "x"}],
                "steps": [{"at": 0, "do": "start_deployment", "name": "x"}],
            },
            {"id": "b", "deployments": [{"name": "y"}], "steps": [{"at": 2, "do": "start_deployment", "name": "y"}]},
        ],
    }
    plan = admin.dispatch("play", {"script": data})
    assert [(c["id"], c["start"], c["end"]) for c in plan["chapters"]] == [("a", 0, 3), ("b", 3, 5)]
    assert plan["deployments"] == ["x", "y"]
    assert admin.dispatch("deployment", {"name": "x"})["status"] == "Starting"
    assert "y" not in admin.dispatch("info")["deployments"]  # chapter b has not begun
    admin.dispatch("advance", {"seconds": 3})
    assert admin.dispatch("deployment", {"name": "y"})["status"] == "Stopped"
    assert admin.dispatch("script_progress")["chapter"] == "b"
    admin.dispatch("advance", {"seconds": 2})
    progress = admin.dispatch("script_progress")
    assert progress["playing"] is False and progress["chapter"] is None
    assert [s["state"] for s in progress["steps"]] == ["done", "done"]


def test_timing_is_applied_when_played_and_reset_restores_it():
    admin = make_admin()
    admin.dispatch("play", {"script": {"timing": {"step_s": 4}, "steps": [{"at": 0, "say": "hi"}]}})
    assert admin.dispatch("info")["timing"]["step_s"] == 4
    admin.dispatch("reset")
    assert admin.dispatch("info")["timing"]["step_s"] == 1.5


def test_stop_and_a_new_play_skip_what_is_left():
    admin = make_admin()
    data = one_chapter(
        {"at": 1, "do": "start_deployment", "name": "d"},
        {"at": 9, "do": "stop_deployment", "name": "d"},
    )
    admin.dispatch("play", {"script": data})
    admin.dispatch("advance", {"seconds": 2})
    progress = admin.dispatch("stop_script")
    assert [(s["state"], s["error"]) for s in progress["steps"]] == [("done", None), ("skipped", "stopped")]
    assert progress["playing"] is False
    admin.dispatch("advance", {"seconds": 20})
    assert admin.dispatch("deployment", {"name": "d"})["status"] == "Running"  # the stop never came

    admin.dispatch("play", {"script": data})
    admin.dispatch("play", {"script": {"title": "Other", "steps": [{"at": 0, "say": "x"}]}})
    assert admin.dispatch("script_progress")["title"] == "Other"
    admin.dispatch("advance", {"seconds": 20})
    assert admin.dispatch("deployment", {"name": "d"})["status"] == "Created"  # the first script's start skipped


def test_reset_stops_the_script():
    admin = make_admin()
    admin.dispatch("play", {"script": "lesson"})
    admin.dispatch("reset")
    admin.dispatch("advance", {"seconds": 100})
    assert admin.dispatch("info")["deployments"] == []
    assert {s["state"] for s in admin.dispatch("script_progress")["steps"]} <= {"done", "skipped"}


def test_catch_up_costs_nothing_without_a_due_step():
    admin = make_admin()
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with admin.world.lock:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(5)
    try:
        assert admin.catch_up() == 0  # no script: not even the lock is asked for
    finally:
        release.set()
        holder.join(5)
    admin.dispatch("play", {"script": one_chapter({"at": 5, "do": "start_deployment", "name": "d"})})
    assert admin.catch_up() == 0
    admin.world.clock.advance(5)
    assert admin.catch_up() == 2  # the step, and the end of the script
    assert admin.catch_up() == 0


def test_the_feed_tells_chapters_steps_and_the_end_in_order():
    admin = make_admin()
    admin.dispatch("play", {"script": one_chapter({"at": 1, "do": "start_deployment", "name": "d", "say": "go"})})
    admin.dispatch("advance", {"seconds": 2})
    assert [e["kind"] for e in admin.player.feed()] == ["play", "chapter"]  # nobody has looked since
    admin.catch_up()
    feed = admin.player.feed()
    assert [(e["kind"], e["time"]) for e in feed] == [("play", 0), ("chapter", 0), ("step", 1), ("end", 1)]
    assert feed[2]["say"] == "go" and feed[2]["name"] == "d"
    assert admin.player.feed(since=feed[-1]["seq"]) == [feed[-1]]


def test_many_threads_catching_up_apply_each_step_once():
    admin = make_admin()
    steps = [{"at": i * 0.01, "do": "append_log", "name": "d", "text": f"line {i}"} for i in range(50)]
    admin.dispatch("play", {"script": one_chapter(*steps, deployments=[{"name": "d", "status": "Running"}])})
    admin.world.clock.advance(1)
    threads = [threading.Thread(target=lambda: [admin.dispatch("info") for _ in range(20)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    lines = [line["text"] for line in admin.dispatch("log_lines", {"name": "d"}) if line["text"].startswith("line ")]
    assert lines == [f"line {i}" for i in range(50)]
