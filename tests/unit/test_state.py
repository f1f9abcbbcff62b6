from __future__ import annotations

import json

import pytest

from hops_widgets.errors import InvalidResponse
from hops_widgets.state import _MESSAGES, STATUSES, DeploymentState, condition_message

from .fakes import FakeDeployment, sdk_state

REFERENCE_ROWS = [
    ("STOPPED", None), ("STOPPED", True),
    ("SCHEDULED", None), ("SCHEDULED", False), ("SCHEDULED", True),
    ("INITIALIZED", None), ("INITIALIZED", False), ("INITIALIZED", True),
    ("STARTED", None), ("STARTED", False), ("STARTED", True),
    ("READY", None), ("READY", False), ("READY", True),
]  # fmt: skip


def serving(**over):
    base = {
        "id": 7,
        "name": "fraud",
        "modelName": "fraud_model",
        "modelVersion": 2,
        "status": "Running",
        "condition": {"type": "READY", "status": True, "reason": "all good"},
        "availableInstances": 2,
        "requestedInstances": 2,
        "predictorScalingConfig": {"minInstances": 1, "maxInstances": 2},
    }
    base.update(over)
    return base


def test_every_reference_row_has_its_own_message():
    assert len(REFERENCE_ROWS) == 14
    assert set(REFERENCE_ROWS) <= {(t, s) for t, rows in _MESSAGES.items() for s in rows}
    messages = [condition_message(t, s) for t, s in REFERENCE_ROWS]
    assert len(set(messages)) == 14, "two rows share a message"
    assert all(m.endswith(".") and len(m) > 15 for m in messages)


@pytest.mark.parametrize(("ctype", "cstatus"), REFERENCE_ROWS)
def test_condition_rows_from_json_and_sdk(ctype, cstatus):
    wire = {None: None, True: True, False: False}[cstatus]
    from_json = DeploymentState.from_json(serving(condition={"type": ctype, "status": wire, "reason": "r"}))
    d = FakeDeployment()
    d.next = sdk_state(ctype=ctype, cstatus=cstatus, reason="r")
    from_sdk = DeploymentState.from_sdk(d)
    for s in (from_json, from_sdk):
        assert s.condition.type == ctype
        assert s.condition.status is cstatus
        assert s.condition.message == _MESSAGES[ctype][cstatus]
        assert s.condition.progress == {None: "unknown", True: "true", False: "false"}[cstatus]


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_every_status_normalises_case(status):
    s = DeploymentState.from_json(serving(status=status.capitalize()))
    assert s.status == status
    assert s.known
    assert s.tone == STATUSES[status][0]
    assert s.status_label == status.capitalize()


def test_tones_follow_the_design():
    tones = {k: v[0] for k, v in STATUSES.items()}
    assert tones["RUNNING"] == "ok" and tones["FAILED"] == "error" and tones["STOPPING"] == "warn"
    assert tones["IDLE"] == "idle" and tones["STOPPED"] == "off" and tones["STARTING"] == "info"


def test_transitional_statuses_and_unknown_condition():
    for st in ("Creating", "Starting", "Updating", "Stopping"):
        assert DeploymentState.from_json(serving(status=st)).transitional
    assert not DeploymentState.from_json(serving()).transitional
    unknown_cond = serving(condition={"type": "READY", "status": None, "reason": ""})
    assert DeploymentState.from_json(unknown_cond).transitional


def test_unknown_status_kept_raw_and_neutral():
    s = DeploymentState.from_json(serving(status="Hibernating"))
    assert s.status == "HIBERNATING"
    assert not s.known
    assert s.tone == "unknown"
    assert "HIBERNATING" in s.status_description
    assert s.status_label == "HIBERNATING"


@pytest.mark.parametrize("bad", [None, 42, "", "   ", ["Running"]])
def test_missing_or_odd_status_is_unknown_with_a_note(bad):
    data = serving()
    if bad is None:
        del data["status"]
    else:
        data["status"] = bad
    s = DeploymentState.from_json(data)
    assert s.status == "UNKNOWN"
    assert s.problems


def test_missing_condition_uses_status_sentence():
    data = serving(status="Stopped")
    del data["condition"]
    s = DeploymentState.from_json(data)
    assert s.condition is None
    assert s.message == STATUSES["STOPPED"][1]
    assert s.steps() == []


def test_condition_without_type_is_reported():
    s = DeploymentState.from_json(serving(condition={"status": True, "reason": "x"}))
    assert s.condition.type is None
    assert any("no type" in p for p in s.problems)


@pytest.mark.parametrize(("value", "expected"), [(None, None), (-1, None), ("3", None), (2.0, 2), (True, None)])
def test_instance_counts_validated(value, expected):
    s = DeploymentState.from_json(serving(availableInstances=value))
    assert s.predictor.available == expected
    if value is not None and expected is None:
        assert s.problems


def test_transformer_counts_and_scale_to_zero_from_json():
    s = DeploymentState.from_json(
        serving(
            status="Idle",
            availableInstances=0,
            requestedInstances=1,
            predictorScalingConfig={"minInstances": 0},
            transformer="/Projects/demo/Resources/t.py",
            availableTransformerInstances=0,
            requestedTransformerInstances=1,
            transformerScalingConfig={"minInstances": 0},
        )
    )
    assert s.transformer is not None and str(s.transformer) == "0/1"
    assert s.scale_to_zero
    assert "cold start" in s.message
    assert not s.problems


def test_no_transformer_is_normal():
    s = DeploymentState.from_json(serving())
    assert s.transformer is None and not s.problems


def test_from_sdk_reads_resources_and_transformer():
    d = FakeDeployment(requested=3, min_instances=0, transformer=2)
    d.next = sdk_state(available=3, transformer_available=1)
    s = DeploymentState.from_sdk(d)
    assert (s.predictor.available, s.predictor.requested) == (3, 3)
    assert (s.transformer.available, s.transformer.requested) == (1, 2)
    assert s.scale_to_zero
    assert s.model_name == "mymodel" and s.model_version == 3 and s.deployment_id == 1


def test_from_sdk_with_missing_attributes_does_not_crash():
    class Bare:
        name = "bare"

        def get_state(self):
            return object()

    s = DeploymentState.from_sdk(Bare())
    assert s.status == "UNKNOWN"
    assert s.condition is None
    assert s.predictor.requested is None


@pytest.mark.parametrize("payload", ["{not json", b"[1, 2]", 17, None, ["a"]])
def test_non_objects_raise_a_clear_error(payload):
    with pytest.raises(InvalidResponse) as info:
        DeploymentState.from_json(payload)
    assert "deployment" in str(info.value).lower()


def test_from_json_accepts_text():
    s = DeploymentState.from_json(json.dumps(serving()))
    assert s.status == "RUNNING"


@pytest.mark.parametrize(
    ("status", "ctype", "cstatus", "expected"),
    [
        ("Starting", "SCHEDULED", None, ["active", "pending", "pending", "pending"]),
        ("Starting", "INITIALIZED", True, ["done", "done", "pending", "pending"]),
        ("Starting", "STARTED", None, ["done", "done", "active", "pending"]),
        ("Running", "READY", True, ["done", "done", "done", "done"]),
        ("Failed", "STARTED", False, ["done", "done", "failed", "pending"]),
        ("Stopping", "SCHEDULED", None, ["active", "pending"]),
        ("Stopping", "STOPPED", None, ["done", "active"]),
        ("Stopped", "STOPPED", True, ["done", "done"]),
    ],
)
def test_stepper(status, ctype, cstatus, expected):
    s = DeploymentState.from_json(serving(status=status, condition={"type": ctype, "status": cstatus}))
    assert [step["state"] for step in s.steps()] == expected


def test_describe_and_summary(capsys):
    s = DeploymentState.from_json(
        serving(transformer="t.py", availableTransformerInstances=1, requestedTransformerInstances=1)
    )
    s.describe()
    out = capsys.readouterr().out
    assert "Running" in out and "all good" in out and "transformer  1 of 1 requested pod exists" in out
    assert "serving      ready" in out  # READY/True says so; the counts alone never do
    line = s.summary()
    assert "\n" not in line and line.startswith("fraud: Running")
    assert "predictor 2 of 2 requested pods exist" in line and "(ready)" in line and "available" not in line


def test_action_rules():
    can = {st: (DeploymentState(status=st).can_start, DeploymentState(status=st).can_stop) for st in STATUSES}
    assert can["STOPPED"] == (True, False)
    assert can["CREATED"] == (True, False)
    assert can["RUNNING"] == (False, True)
    assert can["STOPPING"] == (False, False)
    assert can["CREATING"] == (False, False)
    # a real cluster refuses Start on Failed (400 / 240003, "stop it first"): Restart or Stop bring it back
    assert can["FAILED"] == (False, True)
    assert DeploymentState(status="FAILED").can_restart
    assert not DeploymentState(status="STARTING").can_restart


def _failed_with_a_crashing_pod():
    return DeploymentState.from_json(
        serving(
            status="Failed",
            availableInstances=1,
            requestedInstances=1,
            condition={"type": "STARTED", "status": False, "reason": "CrashLoopBackOff"},
        )
    )


def test_a_failed_deployment_with_its_crashing_pod_does_not_read_as_healthy():
    s = _failed_with_a_crashing_pod()
    assert s.predictor.available == s.predictor.requested == 1  # the backend counts the crashing pod
    assert s.readiness == "not serving" and s.tone == "error"
    assert "1 of 1 requested pod exists (not serving)" in s.summary()
    assert "restart it (stop, then start), or stop it" in s.advice
    assert "what to do" in s.report() and "available" not in s.report()


@pytest.mark.parametrize(
    ("status", "ctype", "cstatus", "word"),
    [
        ("Running", "READY", True, "ready"),
        ("Idle", "READY", True, "ready"),
        ("Starting", "SCHEDULED", None, "not ready yet"),  # N of N pods at SCHEDULED is not ready
        ("Starting", "READY", None, "not ready yet"),
        ("Updating", "READY", None, "not ready yet"),
        ("Failed", "SCHEDULED", False, "not serving"),
        ("Stopped", "STOPPED", True, ""),
    ],
)
def test_ready_is_said_only_when_the_condition_says_ready_true(status, ctype, cstatus, word):
    s = DeploymentState.from_json(
        serving(status=status, availableInstances=2, requestedInstances=2, condition={"type": ctype, "status": cstatus})
    )
    assert s.readiness == word


def test_the_real_start_sequence_of_null_conditions_walks_the_steps():
    # the backend never sends SCHEDULED/INITIALIZED/STARTED as True: each done step is replaced by the next
    seen = []
    for ctype, cstatus in [("SCHEDULED", None), ("INITIALIZED", None), ("STARTED", None), ("READY", None)]:
        s = DeploymentState.from_json(serving(status="Starting", condition={"type": ctype, "status": cstatus}))
        seen.append([step["state"] for step in s.steps()])
        assert "in progress" not in s.message and s.message != condition_message(ctype, True)
    assert seen == [
        ["active", "pending", "pending", "pending"],
        ["done", "active", "pending", "pending"],
        ["done", "done", "active", "pending"],
        ["done", "done", "done", "active"],
    ]
    ready = DeploymentState.from_json(serving(status="Running", condition={"type": "READY", "status": True}))
    assert [step["state"] for step in ready.steps()] == ["done"] * 4


def test_starting_with_stopped_unknown_reads_as_a_storage_retry_not_a_stop():
    s = DeploymentState.from_json(
        serving(status="Starting", condition={"type": "STOPPED", "status": None, "reason": "storage initializer"})
    )
    assert s.storage_retry and not s.on_stop_path
    assert "retried" in s.message and "Shutting down" not in s.message
    assert [(step["type"], step["state"]) for step in s.steps()][:2] == [
        ("SCHEDULED", "done"),
        ("INITIALIZED", "active"),
    ]
    stopping = DeploymentState.from_json(serving(status="Stopping", condition={"type": "STOPPED", "status": None}))
    assert stopping.on_stop_path and not stopping.storage_retry and "Shutting down" in stopping.message


def test_stop_path_and_never_started_messages():
    stopping = DeploymentState.from_json(serving(status="Stopping", condition={"type": "SCHEDULED", "status": None}))
    starting = DeploymentState.from_json(serving(status="Starting", condition={"type": "SCHEDULED", "status": None}))
    assert stopping.message != starting.message
    assert "back" in stopping.message and "room" in starting.message
    created = DeploymentState.from_json(serving(status="Created", condition={"type": "STOPPED", "status": True}))
    assert created.message == STATUSES["CREATED"][1]
