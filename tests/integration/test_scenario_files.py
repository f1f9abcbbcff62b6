"""Scenario files on a served sandbox: the lesson shows everything, chapters replay, HTTP and packaging."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import pytest
import requests

from hops_widgets import sandbox
from hops_widgets.sandbox import ENV_CA, ENV_KEY, ENV_PROJECT, ENV_URL, ManualClock, RemoteSandbox, ScenarioError
from hops_widgets.sandbox.script import load

ROOT = Path(__file__).resolve().parents[2]
API = "/hopsworks-api/api"

# every status Hopsworks reports a deployment in (Creating comes first in the lesson too)
STATUSES = {"Created", "Starting", "Running", "Idle", "Failed", "Updating", "Stopping", "Stopped"}
# every condition row the backend sends (KubeServingUtils): SCHEDULED, INITIALIZED and STARTED are only
# ever in progress (None) or failed (False), never True; STOPPED is never False
ROWS = {
    ("STOPPED", None), ("STOPPED", True),
    ("SCHEDULED", None), ("SCHEDULED", False),
    ("INITIALIZED", None), ("INITIALIZED", False),
    ("STARTED", None), ("STARTED", False),
    ("READY", None), ("READY", False), ("READY", True),
}  # fmt: skip
FALSE_ROWS = {row for row in ROWS if row[1] is False}
LESSON = load("lesson")


@pytest.fixture
def bare():
    """An HTTP sandbox with no deployments on a clock moved by hand."""
    with sandbox.start(clock=ManualClock(), seed=False, api_key="scenario-key-0123456789") as handle:
        yield handle


def _row(serving: dict) -> tuple:
    condition = serving.get("condition")
    return (condition["type"], condition["status"]) if condition else None


def watch(handle, seconds: float, every: float = 0.25, read=None) -> dict[str, set[tuple]]:
    """(status, condition type, condition status) seen per deployment, reading every ``every`` s."""
    read = read or handle.deployments
    seen: dict[str, set[tuple]] = {}
    for _ in range(round(seconds / every) + 1):
        for serving in read():
            seen.setdefault(serving["name"], set()).add((serving["status"], *(_row(serving) or (None, None))))
        handle.advance(every)
    return seen


def statuses_and_rows(seen: dict[str, set[tuple]]) -> tuple[set[str], set[tuple]]:
    every = set().union(*seen.values()) if seen else set()
    return {s for s, _, _ in every}, {(t, c) for _, t, c in every if t is not None}


def _without(chapter_id: str) -> dict:
    data = copy.deepcopy(dict(LESSON.data))
    data["chapters"] = [c for c in data["chapters"] if c["id"] != chapter_id]
    return data


# ------------------------------------------------------------------ the lesson
def test_the_lesson_drives_every_status_and_every_condition_row(bare):
    plan = bare.play("lesson")
    assert plan["title"] == LESSON.title and plan["warnings"] == []
    assert [c["id"] for c in plan["chapters"]] == ["start", "scale-to-zero", "update", "stop", "failures"]
    seen = watch(bare, plan["end"] + 1)
    statuses, rows = statuses_and_rows(seen)
    assert statuses >= STATUSES, f"never seen: {STATUSES - statuses}"
    assert rows == ROWS, f"never seen: {ROWS - rows}"
    assert set(seen) == set(plan["deployments"])
    progress = bare.script_progress()
    assert progress["playing"] is False
    assert {s["state"] for s in progress["steps"]} == {"done"}


@pytest.mark.parametrize("phase", [0.0, 0.3, 0.6, 0.9])
def test_every_row_lasts_long_enough_for_a_view_refreshing_each_second(bare, phase):
    """What a widget polling the real API once a second at speed 1 sees, whatever its phase."""
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"ApiKey {bare.api_key}"

    def read():
        response = session.get(f"{bare.url}{API}/project/119/serving", timeout=5)
        response.raise_for_status()
        return response.json()

    plan = bare.play("lesson")
    bare.advance(phase)  # in or out of step with the scenario's whole seconds
    statuses, rows = statuses_and_rows(watch(bare, plan["end"], every=1.0, read=read))
    assert statuses >= STATUSES and rows == ROWS
    session.close()


# "stop" is left out: the failures chapter recovers its failed deployment the real way, by a stop and
# then a start, so it passes through Stopping and Stopped as well (checked just below)
@pytest.mark.parametrize("chapter", [c.id for c in LESSON.chapters if c.id != "stop"])
def test_without_any_one_chapter_something_is_never_seen(bare, chapter):
    plan = bare.play(_without(chapter))
    statuses, rows = statuses_and_rows(watch(bare, plan["end"] + 1, every=0.5))
    assert not (statuses >= STATUSES and rows == ROWS), f"chapter {chapter!r} adds nothing"
    if chapter == "failures":
        assert "Failed" not in statuses and not rows & FALSE_ROWS


def test_the_failures_chapter_recovers_by_stop_then_start(bare):
    plan = bare.play("lesson", chapter="failures")
    seen = watch(bare, plan["end"] - plan["start"] + 1, every=0.5)
    recovered = seen["lessonfailready"]
    assert {s for s, _, _ in recovered} >= {"Failed", "Stopping", "Stopped", "Starting", "Running"}
    steps = [(s["do"], s["name"]) for s in bare.script_progress()["steps"] if s["name"] == "lessonfailready"]
    assert steps[-2:] == [("stop_deployment", "lessonfailready"), ("start_deployment", "lessonfailready")]
    assert {s["state"] for s in bare.script_progress()["steps"]} == {"done"}  # nothing refused


def _trace(handle, chapter) -> list:
    names = {d["name"] for d in chapter.deployments}
    trace = []
    for _ in range(round(chapter.length / 0.5) + 1):
        for s in handle.deployments():
            if s["name"] in names:
                trace.append((s["id"], s["name"], s["status"], _row(s), s["availableInstances"], s.get("revision")))
        handle.advance(0.5)
    return trace


@pytest.mark.parametrize("chapter", LESSON.chapters, ids=lambda c: c.id)
def test_each_chapter_alone_starts_from_the_same_state_and_plays_twice(bare, chapter):
    first_plan = bare.play("lesson", chapter=chapter.id)
    assert [c["id"] for c in first_plan["chapters"]] == [chapter.id]
    first = _trace(bare, chapter)
    assert {s["state"] for s in bare.script_progress()["steps"]} == {"done"}
    bare.play("lesson", chapter=chapter.id)
    again = _trace(bare, chapter)
    assert again == first
    assert {s["state"] for s in bare.script_progress()["steps"]} == {"done"}
    assert len({t[2] for t in first}) >= 2, "the chapter moves something"


def test_the_real_api_sees_the_steps_without_any_admin_read(bare):
    with bare.login(timeout=5) as project:
        bare.play("lesson", chapter="stop")
        bare.advance(3)  # the stop came at 2 s; nobody has read since
        deployment = project.get_model_serving().get_deployment("lessonstop")
        state = deployment.get_state()
        assert (state.status, state.condition.type, state.condition.status) == ("STOPPING", "SCHEDULED", None)
        bare.advance(10)
        assert deployment.get_state().status == "STOPPED"


# ------------------------------------------------------------------ from outside the process
@pytest.fixture
def remote(bare):
    handle = RemoteSandbox(bare.url, bare.api_key)
    yield handle
    handle.stop()


def test_remote_play_reads_a_local_file_and_reports_progress(remote, bare, tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "title": "Mine",
                "deployments": [{"name": "far", "status": "Stopped"}],
                "steps": [
                    {"at": 1, "do": "start_deployment", "name": "far", "say": "go"},
                    {"after": 1, "do": "start_deployment", "name": "nowhere"},
                ],
            }
        )
    )
    plan = remote.play(str(path))
    assert (plan["title"], plan["source"], plan["deployments"]) == ("Mine", str(path), ["far"])
    assert "nowhere" in plan["warnings"][0]
    assert [s["state"] for s in remote.script_progress()["steps"]] == ["pending", "pending"]
    remote.advance(2)
    steps = remote.script_progress()["steps"]
    assert [(s["name"], s["at"], s["say"], s["state"]) for s in steps] == [
        ("far", 1.0, "go", "done"),
        ("nowhere", 2.0, None, "failed"),
    ]
    assert "No deployment 'nowhere'" in steps[1]["error"]
    assert bare.status("far") == "Starting"
    assert remote.stop_script()["playing"] is False
    assert "lesson" in remote.scenarios()


def test_remote_play_checks_the_file_before_sending_it(remote, bare, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"title": "x", "steps": [{"at": 1, "do": "explode"}]}')
    with pytest.raises(ScenarioError, match=r"broken\.json, step 1 \(explode\): unknown operation 'explode'"):
        remote.play(str(path))
    with pytest.raises(ScenarioError, match="no chapter 'nope'"):
        remote.play("lesson", chapter="nope")
    assert bare.script_progress()["title"] is None  # nothing reached the sandbox


def test_over_http_the_sandbox_refuses_to_open_files(bare):
    headers = {"Authorization": f"ApiKey {bare.api_key}"}
    r = requests.post(f"{bare.url}/_sandbox/play", json={"script": "/etc/hostname"}, headers=headers, timeout=5)
    assert r.status_code == 400 and "does not open files" in r.json()["errorMsg"]
    r = requests.post(f"{bare.url}/_sandbox/play", json={"script": "lesson", "chapter": "stop"}, headers=headers)
    assert r.status_code == 200 and r.json()["result"]["chapters"][0]["id"] == "stop"


# ------------------------------------------------------------------ start and connect_or_start
def _server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("hops-sandbox:")]


def test_start_plays_the_scenario_from_time_zero():
    with sandbox.start(clock=ManualClock(), scenario="lesson", chapter="failures") as sb:
        assert sb.scenario["chapters"][0]["id"] == "failures" and sb.scenario["start"] == 0
        assert sb.status("lessonfailready") == "Stopped"
        assert {"frauddetector", "lessonfailready"} <= set(sb.info()["deployments"])  # beside the demo ones


def test_a_bad_scenario_starts_nothing():
    before = _server_threads()
    with pytest.raises(ScenarioError, match="unknown key 'chapterz'"):
        sandbox.start(scenario={"chapterz": []})
    with pytest.raises(ScenarioError, match="no chapter 'nope'"):
        sandbox.start(scenario="lesson", chapter="nope")
    assert _server_threads() == before


def test_connect_or_start_plays_on_the_sandbox_named_by_the_env(bare, monkeypatch, capsys):
    for name, value in bare.env().items():
        monkeypatch.setenv(name, value)
    handle = sandbox.connect_or_start(scenario="lesson", chapter="update")
    try:
        assert isinstance(handle, RemoteSandbox)
        out = capsys.readouterr().out
        assert "Not applied" not in out
        assert f"Playing the scenario {LESSON.title!r} (chapter 'update') from the start" in out
        assert bare.status("lessonupdate") == "Running"
        assert bare.script_progress()["steps"][0]["chapter"] == "update"
    finally:
        handle.stop()


def test_connect_or_start_in_process_reuses_the_sandbox_and_plays_again(monkeypatch, capsys):
    for name in (ENV_URL, ENV_KEY, ENV_PROJECT, ENV_CA):
        monkeypatch.delenv(name, raising=False)
    # real time at speed 1: the chapter's stop comes 2 s after each play, long after these calls
    first = sandbox.connect_or_start(speed=1, seed=False, scenario="lesson", chapter="stop")
    try:
        assert "Playing the scenario" in capsys.readouterr().out
        first.stop_deployment("lessonstop")
        assert sandbox.connect_or_start(speed=1, seed=False, scenario="lesson", chapter="stop") is first
        assert "started earlier in this process" in capsys.readouterr().out
        assert first.status("lessonstop") == "Running"  # played again from the top
        assert sandbox.connect_or_start(speed=1, seed=False) is first  # the scenario is not compared
        with pytest.raises(ScenarioError, match="lessn"):
            sandbox.connect_or_start(speed=1, seed=False, scenario="lessn")
    finally:
        first.stop()
