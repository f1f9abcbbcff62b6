"""Arbitrary JSON in, a state or a clear error out: never anything else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hops_widgets.errors import InvalidResponse, explain
from hops_widgets.state import DeploymentState

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
FIELDS = [
    "id", "name", "status", "condition", "availableInstances", "requestedInstances", "predictorScalingConfig",
    "transformer", "availableTransformerInstances", "requestedTransformerInstances", "transformerScalingConfig",
    "modelName", "modelVersion",
]  # fmt: skip
servings = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS))
conditions = st.fixed_dictionaries({}, optional={"type": json_values, "status": json_values, "reason": json_values})


def check(state: DeploymentState) -> None:
    # everything the widget reads must be computable without raising
    assert isinstance(state.status, str) and state.status
    assert isinstance(state.message, str)
    assert isinstance(state.summary(), str) and "\n" not in state.summary()
    state.report()
    state.steps()
    for n in (state.predictor.available, state.predictor.requested):
        assert n is None or (isinstance(n, int) and n >= 0)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_gives_state_or_invalid_response(value):
    try:
        state = DeploymentState.from_json(value)
    except InvalidResponse as exc:
        assert str(exc)
    else:
        check(state)


@settings(max_examples=300, deadline=None)
@given(servings, conditions)
def test_serving_shaped_objects_always_parse(data, condition):
    data = dict(data)
    data["condition"] = condition
    check(DeploymentState.from_json(data))
    check(DeploymentState.from_json(json.dumps(data, allow_nan=True)))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_gives_state_or_invalid_response(text):
    try:
        check(DeploymentState.from_json(text))
    except InvalidResponse:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=8, max_size=40, alphabet=st.characters(min_codepoint=33, max_codepoint=126)))
def test_explain_never_leaks_the_key(key):
    message = explain(RuntimeError(f"request failed: Authorization: ApiKey {key} on url"), secrets=(key,))
    assert key not in message
