"""Every serving shape a Hopsworks SDK knows is parsed, field by field, by our parsers.

The shapes are ours (``serving_shapes.json``, written by ``make_serving_shapes.py`` after
the kinds of body in the SDK's own test fixtures): wire camelCase and decamelized
snake_case, three model servers, REST and gRPC, transformers, both spellings of the
environment, scaling or none, every status with the conditions the backend sends.
Each is read by the REST parser (the built-in client's path) and checked against the
values it was built from; with the SDK installed, the SDK's own parse of the same body
must give our SDK-object parser the very same state, resources and endpoint.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from hops_widgets import _logformat
from hops_widgets import client as client_mod
from hops_widgets.state import DeploymentState
from tests.conftest import require

SHAPES = json.loads(Path(__file__).with_name("serving_shapes.json").read_text())
SERVINGS = SHAPES["servings"]


def _flat(state: DeploymentState) -> dict:
    cond = state.condition
    return {
        "name": state.name,
        "status": state.status,
        "condition": None if cond is None else [cond.type, cond.status, cond.reason],
        "predictor": [state.predictor.available, state.predictor.requested, state.predictor.min_instances],
        "transformer": None
        if state.transformer is None
        else [state.transformer.available, state.transformer.requested, state.transformer.min_instances],
        "model_name": state.model_name,
        "model_version": state.model_version,
        "deployment_id": state.deployment_id,
        "endpoint": state.endpoint,
    }


def _checks(expected, got, path="") -> list[str]:
    """Every leaf of ``expected`` compared with ``got``; the differences, by path."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {got!r}"]
        return [d for k, v in expected.items() for d in _checks(v, got.get(k), f"{path}.{k}")]
    return [] if expected == got else [f"{path}: expected {expected!r}, got {got!r}"]


def _leaves(value) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return max(1, sum(_leaves(v) for v in value))
    return 1


def test_the_shapes_cover_what_the_sdk_fixtures_cover():
    ids = [s["id"] for s in SERVINGS]
    assert len(ids) == len(set(ids))
    bodies = [s["body"] for s in SERVINGS]
    keys = {k for b in bodies for k in b}
    # both spellings of every kind of body, and both environment keys
    for key in ("environmentDto", "environment_dto", "predictorEnvironment", "predictor_environment"):
        assert key in keys, key
    servers = {b.get("modelServer", b.get("model_server")) for b in bodies}
    assert servers == {"PYTHON", "TENSORFLOW_SERVING", "VLLM"}
    statuses = {s["expect"]["status"] for s in SERVINGS}
    assert statuses == {
        "CREATING",
        "CREATED",
        "STARTING",
        "RUNNING",
        "IDLE",
        "FAILED",
        "UPDATING",
        "STOPPING",
        "STOPPED",
    }
    assert sum(_leaves(s["expect"]) for s in SERVINGS) > 1500  # field checks


@pytest.mark.parametrize("shape", SERVINGS, ids=[s["id"] for s in SERVINGS])
def test_rest_parser_reads_every_field(shape):
    state = DeploymentState.from_json(copy.deepcopy(shape["body"]))
    expect = shape["expect"]
    got = _flat(state)
    got["resources"] = state.resources
    assert _checks(expect, got) == []
    assert state.problems == ()


def test_a_backend_before_per_component_environments_still_shows_the_environment():
    # hsml 5.2.1 predictor.py falls back to environment_dto; so must the built-in client
    body = {"id": 1, "name": "old", "status": "Running", "environmentDto": {"name": "pandas-inference-pipeline"}}
    assert DeploymentState.from_json(body).endpoint["environment"] == "pandas-inference-pipeline"


# SDK 5.2.1 talks to 5.x backends, which always send a scaling configuration
FOR_THE_SDK = [s for s in SERVINGS if "predictorScalingConfig" in s["body"] or "predictor_scaling_config" in s["body"]]


class _Connection:
    """What the SDK's parsers ask of the connection while building objects: not a serverless host."""

    _host = "cluster.example"
    _project_id = 119


@pytest.mark.sdk
@pytest.mark.parametrize("shape", FOR_THE_SDK, ids=[s["id"] for s in FOR_THE_SDK])
def test_the_sdk_and_our_rest_parser_agree(shape, monkeypatch):
    try:
        from hopsworks_common import client as sdk_client
        from hsml import deployment as sdk_deployment
    except ImportError as exc:
        require(False, f"the hopsworks SDK cannot be imported: {exc}")
    monkeypatch.setattr(sdk_client, "_get_instance", _Connection)
    body = shape["body"]
    deployment = sdk_deployment.Deployment.from_response_json(copy.deepcopy(body))
    ours = DeploymentState.from_json(copy.deepcopy(body))
    theirs = DeploymentState.from_sdk(deployment, deployment._predictor._state)
    assert _flat(theirs) == _flat(ours)
    assert theirs.resources == ours.resources


@pytest.mark.parametrize("shape", SHAPES["logs"], ids=[s["id"] for s in SHAPES["logs"]])
def test_log_entries_of_every_shape(shape):
    lines = _logformat.log_lines(copy.deepcopy(shape["body"]))
    assert [[line["instance"], line["content"]] for line in lines] == shape["expect"]


class _OneAnswer:
    def __init__(self, answer):
        self.answer = answer

    def get(self, path, **_kwargs):
        return copy.deepcopy(self.answer)


@pytest.mark.parametrize("shape", SHAPES["lists"], ids=[s["id"] for s in SHAPES["lists"]])
def test_lists_of_every_shape(shape):
    items = [s["body"] for s in SERVINGS[: shape["take"]]]
    answer = items if shape["wrap"] == "plain" else {"count": len(items), **({"items": items} if items else {})}
    serving = client_mod.ModelServing.__new__(client_mod.ModelServing)
    serving._client, serving._project_id = _OneAnswer(answer), 119
    states = serving.list_states()
    assert [s.name for s in states] == [s["expect"]["name"] for s in SERVINGS[: shape["take"]]]
