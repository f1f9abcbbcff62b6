"""Try it's body from a schema: the generator, the checker (beside the ``jsonschema`` package as a
reference), hostile schemas that must end quickly, and the snippets (no key, correct literals)."""

from __future__ import annotations

import ast
import json
import shlex
import time

import pytest

from hops_widgets import _schema as S
from hops_widgets.sandbox import schemas as sandbox_schemas
from tests.conftest import require

try:
    import jsonschema  # the reference validator (it comes with JupyterLab, a dev requirement)
except ImportError:  # pragma: no cover - then the comparisons skip locally and fail in CI
    jsonschema = None

FRAUD = sandbox_schemas.json_schema(sandbox_schemas.FRAUD_SCHEMA)["request"]
CHURN = sandbox_schemas.json_schema(sandbox_schemas.CHURN_SCHEMA)["request"]


def reference_errors(body, schema) -> bool:
    """Whether the ``jsonschema`` package (draft 2020-12, date formats checked) finds the body invalid."""
    require(jsonschema is not None, "the jsonschema package is not installed")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return any(True for _ in validator.iter_errors(body))


def sdk_request_schema(doc: dict) -> dict:
    """The request schema the hopsworks SDK 5.2 renders (oneOf of object rows and array rows, $ref, $defs)."""
    try:
        from hsml import deployment_schema as hsml
    except ImportError:
        require(False, "the hopsworks SDK 5.2 (hsml.deployment_schema) is not installed")
    return hsml.DeploymentSchema.from_response_json(sandbox_schemas.document(doc)).to_json_schema()["request"]


# ------------------------------------------------------------------- generation
SHAPES = [
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 5}}},
    {"type": "object", "properties": {"a": {"type": "string"}}},  # nothing required: {}
    {"type": "array", "items": {"type": "number"}, "minItems": 3},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "minItems": 2},
    {"type": "string", "enum": ["gold", "silver"]},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "date"},
    {"type": "string", "minLength": 4, "maxLength": 6},
    {"type": "string", "pattern": "^[0-9]+$"},
    {"type": "integer", "minimum": -10, "maximum": -3},
    {"type": "integer", "exclusiveMinimum": 7},
    {"type": "number", "exclusiveMaximum": 0},
    {"type": "integer", "multipleOf": 7, "minimum": 20},
    {"type": "number", "minimum": 0.5, "maximum": 0.75},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["null", "integer"]},
    {"const": {"fixed": [1, 2]}},
    {"oneOf": [{"type": "string", "maxLength": 0}, {"type": "integer"}]},
    {"anyOf": [{"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}}]},
    {
        "allOf": [
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
            {"required": ["b"], "properties": {"b": {"type": "string", "enum": ["z"]}}},
        ]
    },
    {
        "$defs": {"row": {"type": "object", "required": ["k"], "properties": {"k": {"type": "number"}}}},
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/$defs/row"},
    },
    {
        "type": "object",
        "required": ["m"],
        "properties": {"m": {"type": "object", "additionalProperties": {"type": "integer"}}},
    },
    {
        "type": "object",
        "required": ["n"],
        "properties": {
            "n": {
                "type": "object",
                "required": ["deep"],
                "properties": {"deep": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "date"}}},
            }
        },
    },
    FRAUD,
    CHURN,
]


@pytest.mark.parametrize("schema", SHAPES, ids=range(len(SHAPES)))
def test_generated_instances_are_valid_by_the_reference_validator_and_ours(schema):
    schema = {k: v for k, v in schema.items() if k != "examples"}
    body = S.generate(schema)
    assert not reference_errors(body, schema), body
    problems, note = S.check(body, schema)
    assert problems == [] and note == ""


@pytest.mark.parametrize(
    ("schema", "nearest"),
    [
        ({"type": "number", "minimum": 5, "exclusiveMinimum": True}, 6.0),
        ({"type": "integer", "maximum": -3, "exclusiveMaximum": True}, -4),
    ],
)
def test_a_draft4_exclusive_bound_is_kept_by_generation_as_by_the_check(schema, nearest):
    body = S.generate(schema)
    assert body == nearest
    assert S.check(body, schema) == ([], "")


def test_minimal_means_required_fields_only_and_the_smallest_values():
    schema = {
        "type": "object",
        "required": ["id", "amount"],
        "properties": {
            "id": {"type": "integer", "minimum": 100},
            "amount": {"type": "number"},
            "note": {"type": "string"},
        },
    }
    assert S.generate(schema) == {"id": 100, "amount": 0.0}
    assert S.generate({"type": "array", "items": {"type": "integer"}}) == []


def test_generated_from_the_sdk_rendering_of_a_schema():
    schema = sdk_request_schema(sandbox_schemas.FRAUD_SCHEMA)
    body = S.generate(schema)
    assert body == {"instances": [{"cc_num": 0, "amount": 0.0, "category": ""}]}
    assert not reference_errors(body, schema)


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"}, "pattern"),
        ({"type": "integer", "minimum": 5, "maximum": 4}, "bounds"),
        ({"enum": []}, "enum is empty"),
        ({"type": "object", "required": ["a"], "properties": {"a": False}}, "allows no value"),
    ],
)
def test_what_cannot_be_generated_says_where_and_why(schema, where):
    with pytest.raises(S.Ungeneratable) as info:
        S.generate(schema)
    assert where in str(info.value)


def test_prefill_prefers_a_valid_example_and_says_where_it_came_from():
    body, origin, note = S.prefill(CHURN)
    assert origin == "example" and note == ""
    assert body == sandbox_schemas.CHURN_SCHEMA["example"]
    bad_example = {**FRAUD, "examples": [{"instances": [{"cc_num": "not a number"}]}]}
    body, origin, _ = S.prefill(bad_example)
    assert origin == "generated" and body["instances"][0]["cc_num"] == 0
    none, origin, note = S.prefill({"type": "string", "pattern": "^[A-Z]{3}$"})
    assert none is None and origin == "" and "pattern" in note


# ------------------------------------------------------------------- checking
def test_a_wrong_field_is_named_by_its_path_and_why():
    body = {"instances": [{"customer_id": 1, "tenure_months": "long", "monthly_charges": 3.5, "contract": None}]}
    problems, _ = S.check(body, CHURN)
    assert [str(p) for p in problems] == ['instances[0].tenure_months: expected an integer, got the string "long"']


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ({}, "instances", "is required but missing"),
        ({"instances": []}, "instances", "at least 1 item"),
        (
            {"instances": [{"customer_id": 1, "tenure_months": 2, "monthly_charges": 3}]},
            "instances[0].contract",
            "missing",
        ),
        (
            {"instances": [{"customer_id": 1, "tenure_months": 2, "monthly_charges": 3, "contract": "x", "zip": 1}]},
            "instances[0].zip",
            "not a field",
        ),
        (
            {"instances": [{"customer_id": True, "tenure_months": 2, "monthly_charges": 3, "contract": "x"}]},
            "instances[0].customer_id",
            "got true",
        ),
        ({"instances": "all"}, "instances", "expected an array"),
    ],
)
def test_each_kind_of_mistake(body, path, words):
    problems, _ = S.check(body, CHURN)
    assert problems and problems[0].path == path and words in problems[0].message
    assert reference_errors(body, CHURN)


def test_the_sdk_rendering_oneof_reports_the_closest_branch():
    schema = sdk_request_schema(sandbox_schemas.FRAUD_SCHEMA)
    body = {"instances": [{"cc_num": 1, "amount": "seventy", "category": None}]}
    problems, _ = S.check(body, schema)
    assert problems[0].path == "instances[0].amount" and "expected a number" in problems[0].message
    assert reference_errors(body, schema)


CASES = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": "number", "minimum": 0, "exclusiveMaximum": 10}, [0, 10, 9.99, -0.1, "5"]),
    ({"type": "string", "minLength": 2, "maxLength": 3}, ["a", "ab", "abcd", "äöü"]),
    ({"enum": [1, "1", True, None]}, [1, 1.0, "1", True, False, None, 2]),
    ({"const": [1, {"a": True}]}, [[1, {"a": True}], [1, {"a": 1}], [True, {"a": True}]]),
    ({"type": "array", "uniqueItems": True}, [[1, 2], [1, 1], [1, True], [{"a": 1}, {"a": 1}]]),
    ({"type": "array", "prefixItems": [{"type": "integer"}], "items": False}, [[1], [1, 2], ["a"]]),
    ({"type": "object", "minProperties": 1, "maxProperties": 2}, [{}, {"a": 1}, {"a": 1, "b": 2, "c": 3}]),
    ({"not": {"type": "string"}}, ["x", 1]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, [-1, 1, 1.5, "x"]),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, ["a", None, 1]),
    ({"type": "number", "multipleOf": 0.5}, [1.5, 1.25, 2]),
    ({"type": "string", "format": "date-time"}, ["2025-01-31T12:00:00Z", "2025-01-31", "yesterday"]),
    ({"type": "string", "format": "date"}, ["2025-01-31", "2025-02-30", "31/01/2025"]),
    ({"type": "string", "pattern": "^[a-z]+$"}, ["abc", "ABC", ""]),
    (
        {"type": "object", "patternProperties": {"^x_": {"type": "integer"}}, "additionalProperties": False},
        [{"x_a": 1}, {"x_a": "1"}, {"y": 1}],
    ),
]


@pytest.mark.parametrize(("schema", "values"), CASES, ids=range(len(CASES)))
def test_agrees_with_the_jsonschema_package(schema, values):
    for value in values:
        ours, _note = S.check(value, schema)
        assert bool(ours) == reference_errors(value, schema), (schema, value, ours)


# ------------------------------------------------------------------- hostile schemas
HOSTILE = [
    {"$ref": "#"},
    {"anyOf": [{"$ref": "#"}, {"$ref": "#"}]},
    {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
    {"type": "object", "required": ["self"], "properties": {"self": {"$ref": "#"}}},
    {"$ref": "#/$defs/missing"},
    {"$ref": "https://example.com/elsewhere.json"},
    {"type": "string", "pattern": "^(a+)+$"},
    {"type": "array", "minItems": 10**9, "items": {"type": "integer"}},
    {"type": "string", "minLength": 10**9},
    {"type": "integer", "enum": list(range(200_000))},
]


def _deep(levels: int) -> dict:
    schema: dict = {"type": "integer"}
    for _ in range(levels):
        schema = {"type": "object", "required": ["n"], "properties": {"n": schema}}
    return schema


@pytest.mark.parametrize("schema", [*HOSTILE, _deep(5_000)], ids=range(len(HOSTILE) + 1))
def test_hostile_schemas_end_quickly_with_a_clear_answer(schema):
    started = time.perf_counter()
    try:
        body = S.generate(schema)
    except S.Ungeneratable as exc:
        assert str(exc)  # says what
        body = {"instances": [1]}
    problems, note = S.check(body, schema)
    S.check("a" * 50 + "!", schema)  # the classic backtracking input for (a+)+$
    assert isinstance(problems, list) and isinstance(note, str)
    assert time.perf_counter() - started < 3.0


def test_a_self_referring_schema_is_not_checked_and_says_so():
    problems, note = S.check({"x": 1}, {"$ref": "#"})
    assert problems == [] and "loop" in note
    problems, note = S.check("aaaa!", {"type": "string", "pattern": "^(a+)+$"})
    assert problems == [] and "pattern" in note  # a risky pattern is left to the server, said


def test_a_recursive_schema_with_an_end_is_checked_all_the_way_down():
    tree = {
        "type": "object",
        "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#"}}},
    }
    good = {"v": 1, "kids": [{"v": 2, "kids": [{"v": 3}]}]}
    bad = {"v": 1, "kids": [{"v": 2, "kids": [{"v": "3"}]}]}
    assert S.check(good, tree) == ([], "")
    problems, _ = S.check(bad, tree)
    assert problems[0].path == "kids[0].kids[0].v"


def test_many_mistakes_are_capped():
    body = {"instances": [{"customer_id": "x"} for _ in range(500)]}
    problems, _ = S.check(body, CHURN)
    assert len(problems) == S.MAX_PROBLEMS


# ------------------------------------------------------------------- snippets
BODIES = [
    {"instances": [{"cc_num": 4467360740682089, "amount": 72.5, "category": None, "flag": True}]},
    {"inputs": ["it's", 'say "hi"', "back\\slash", "tab\there", "línea\nnueva", "\u202eevil", "🙂"]},
    {"instances": [[1.0, 2.0, 3.0, 4.0]] * 40},
    {},
    [1, 2.5e-8, -0.0, False],
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_python_snippet_carries_the_body_as_python_literals(body):
    text = S.python_predict("fraud'detector", body)
    tree = ast.parse(text)  # valid Python
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "predict")
    (keyword,) = call.keywords
    assert keyword.arg == "data" and ast.literal_eval(keyword.value) == body
    assert S.KEY_PLACEHOLDER in text and "\u202e" not in text  # a hidden character is written out
    assert 'get_deployment("fraud\'detector")' in text


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_curl_snippet_is_one_shell_command_with_the_placeholder(body):
    url = "https://cluster.example.com/hopsworks-api/api/project/119/inference/models/fraud:predict"
    text = S.curl(url, body)
    words = shlex.split(text.replace("\\\n", " "))
    assert words[:4] == ["curl", "-X", "POST", url]
    assert words[words.index("-H") + 1] == "Authorization: ApiKey <YOUR_API_KEY>"
    assert json.loads(words[words.index("--data-raw") + 1]) == body
    assert "\u202e" not in text


def test_chat_snippets_use_the_openai_url_and_no_key():
    body = S.chat_body("chatassistant", "What's new?", "Answer briefly.")
    assert body["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What's new?"},
    ]
    base = "https://cluster.example.com/v1/demo/chatassistant/v1"
    python = S.chat_python(base, body)
    ast.parse(python)
    assert f'base_url="{base}"' in python and S.KEY_PLACEHOLDER in python and "ApiKey" in python
    curl = S.chat_curl(base, body)
    words = shlex.split(curl.replace("\\\n", " "))
    assert words[:5] == ["curl", "-N", "-X", "POST", base + "/chat/completions"]
    assert json.loads(words[-1])["stream"] is True
    assert S.chat_body("m", "hi")["messages"] == [{"role": "user", "content": "hi"}]  # no empty system prompt


# ------------------------------------------------------------------- chat replies
class _Answer:
    def __init__(self, ctype, lines=(), whole=None):
        self.headers = {"Content-Type": ctype}
        self._lines = lines
        self._whole = whole

    def iter_lines(self, decode_unicode=True):
        yield from self._lines

    def json(self):
        if self._whole is None:
            raise ValueError("no JSON")
        return self._whole


def test_a_streamed_reply_is_joined_and_told_as_it_grows():
    chunks = [
        'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}',
        "",
        'data: {"choices":[{"delta":{"content":"Hel"}}]}',
        ": a comment line",
        'data: {"choices":[{"delta":{"content":"lo"}}]}',
        'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}',
        "data: [DONE]",
        'data: {"choices":[{"delta":{"content":"after done"}}]}',
    ]
    seen = []
    assert S.read_chat(_Answer("text/event-stream; charset=utf-8", chunks), seen.append) == "Hello"
    assert seen == ["Hel", "Hello"]


def test_whole_replies_and_errors_in_plain_words():
    whole = {"choices": [{"message": {"role": "assistant", "content": "Hi!"}}]}
    assert S.read_chat(_Answer("application/json", whole=whole)) == "Hi!"
    with pytest.raises(S.ChatError, match="not JSON"):
        S.read_chat(_Answer("text/html"))
    with pytest.raises(S.ChatError, match="context length exceeded"):
        S.read_chat(_Answer("text/event-stream", ['data: {"error": {"message": "context length exceeded"}}']))


# ------------------------------------------------------------------- the panel's traits
def test_the_panel_says_where_the_body_came_from_and_what_was_not_checked():
    from hops_widgets.widget import DeploymentDetail

    from .fakes import FakeDeployment

    widget = DeploymentDetail(FakeDeployment("schemaless"))
    try:
        values = widget._schema_values(CHURN)
        assert values["tryit_info"] == {"mode": "predict", "schema": True, "origin": "example", "note": ""}
        assert json.loads(values["tryit_body"]) == sandbox_schemas.CHURN_SCHEMA["example"]
        risky = {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}},
        }
        info = widget._schema_values(risky)["tryit_info"]
        assert info["origin"] == "" and "No body could be made" in info["note"]
        looping = widget._schema_values({"type": "object", "properties": {"x": {"$ref": "#"}}})["tryit_info"]
        assert looping["origin"] == "generated" and looping["note"] == ""
        assert widget.request_schema is not None
        with pytest.raises(Exception, match="not served by vLLM"):
            widget.chat("hi")
    finally:
        widget.close()


def test_numbers_under_any_bounds_and_step_are_found_when_one_exists():
    """2,000 random numeric schemas: what is generated is valid by the reference validator, and nothing
    is given up where a quarter-step grid from -25 to 25 holds a valid value."""
    import random

    rnd = random.Random(7)
    grid = [i / 4 for i in range(-100, 101)]
    for _ in range(2_000):
        schema: dict = {"type": rnd.choice(["integer", "number"])}
        for word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
            if rnd.random() < 0.4:
                value = rnd.choice([rnd.randint(-20, 20), round(rnd.uniform(-20, 20), 2)])
                schema[word] = rnd.choice([1, 2, 3, 0.5, 0.25, 7, 1.5]) if word == "multipleOf" else value
        try:
            value = S.generate(schema)
        except S.Ungeneratable:
            whole = schema["type"] == "integer"
            possible = [g for g in grid if not whole or g.is_integer()]
            assert all(reference_errors(int(g) if whole else g, schema) for g in possible), schema
            continue
        assert not reference_errors(value, schema), (schema, value)


def test_random_schemas_and_bodies_agree_with_the_jsonschema_package():
    """3,000 random schemas (nested objects, arrays, combinators, bounds, enums) each with a random body:
    our check and the reference agree on valid or not, and whatever is generated is valid."""
    import random

    rnd = random.Random(3)
    kinds = ["integer", "number", "string", "boolean", "null", "object", "array"]

    def value(depth=0):
        r = rnd.random()
        if depth < 3 and r < 0.15:
            return {k: value(depth + 1) for k in rnd.sample("abcde", rnd.randint(0, 3))}
        if depth < 3 and r < 0.3:
            return [value(depth + 1) for _ in range(rnd.randint(0, 3))]
        return rnd.choice([0, 1, -3, 2.5, 1.0, True, False, None, "", "a", "ab1", "ba", "xyz"])

    def schema(depth=0):
        r = rnd.random()
        if depth < 3 and r < 0.15:
            return {rnd.choice(["anyOf", "oneOf", "allOf"]): [schema(depth + 1) for _ in range(rnd.randint(1, 3))]}
        if depth < 3 and r < 0.2:
            return {"not": schema(depth + 1)}
        out: dict = {}
        kind = rnd.choice([*kinds, None])
        if kind:
            out["type"] = kind if rnd.random() < 0.7 else [kind, rnd.choice(kinds)]
        if rnd.random() < 0.1:
            out["enum"] = [value(1) for _ in range(3)]
        if kind in ("integer", "number"):
            for word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if rnd.random() < 0.3:
                    out[word] = rnd.randint(-5, 5)
        if kind == "string":
            for word in ("minLength", "maxLength"):
                if rnd.random() < 0.3:
                    out[word] = rnd.randint(0, 3)
            if rnd.random() < 0.2:
                out["pattern"] = rnd.choice(["^a", "b$", "[0-9]"])
        if kind == "object" and depth < 3:
            out["properties"] = {k: schema(depth + 1) for k in rnd.sample("abcd", rnd.randint(0, 3))}
            if rnd.random() < 0.5:
                out["required"] = rnd.sample("abcd", rnd.randint(0, 2))
            if rnd.random() < 0.3:
                out["additionalProperties"] = rnd.choice([False, schema(depth + 1)])
        if kind == "array" and depth < 3:
            if rnd.random() < 0.6:
                out["items"] = schema(depth + 1)
            if rnd.random() < 0.3:
                out["prefixItems"] = [schema(depth + 1) for _ in range(rnd.randint(1, 2))]
            for word, top in (("minItems", 2), ("maxItems", 3)):
                if rnd.random() < 0.3:
                    out[word] = rnd.randint(0, top)
            if rnd.random() < 0.2:
                out["uniqueItems"] = True
        return out

    disagreements = []
    for _ in range(3_000):
        s, v = schema(), value()
        if bool(S.check(v, s)[0]) != reference_errors(v, s):
            disagreements.append((s, v))
        try:
            made = S.generate(s)
        except S.Ungeneratable:
            continue
        assert not reference_errors(made, s), (s, made)
    assert disagreements == []
