"""Try it's request body from a deployment's schema, and the snippets its Copy buttons give.

Three jobs over JSON Schema (the ``request`` part of ``GET …/schema?format=jsonschema``, or the
SDK's ``DeploymentSchema.to_json_schema()``), none of which sends anything:

* :func:`prefill`: the body the panel starts from, the schema's own example when it has one
  (and it is valid), else a minimal valid instance made by :func:`generate`;
* :func:`check`: what is wrong with a body, each problem with the path of the field
  (``instances[0].amount``) and why, before anything is sent;
* the snippets: ``deployment.predict(data=...)`` as Python, the request as cURL, and for a
  vLLM deployment the OpenAI client and cURL of a chat request. The API key is never known
  here: every snippet carries the placeholder :data:`KEY_PLACEHOLDER`.

The checker covers the keywords Hopsworks' schemas use (``type``, ``properties``, ``required``,
``additionalProperties``, ``items``/``prefixItems``, ``minItems``/``maxItems``, ``oneOf``/``anyOf``/
``allOf``/``not``, ``$ref`` into the same document, ``enum``/``const``, numeric bounds, string
lengths, ``pattern``, the ``date``/``date-time`` formats) and leaves others unchecked. It is its own
small walker rather than the ``jsonschema`` package, which is not among the widget's requirements
(nor anywidget's) and brings four more: the tests compare the two on many schemas. A hostile schema
cannot hang the kernel: the walk is bounded in depth and in steps, ``$ref`` loops are cut, long
enums cost nothing, and patterns prone to catastrophic backtracking are not run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

__all__ = [
    "KEY_PLACEHOLDER",
    "ChatError",
    "Problem",
    "Ungeneratable",
    "chat_body",
    "chat_curl",
    "chat_python",
    "check",
    "curl",
    "generate",
    "prefill",
    "python_literal",
    "python_predict",
    "request_schema",
]

KEY_PLACEHOLDER = "<YOUR_API_KEY>"
MAX_DEPTH = 40  # schema levels walked at most (a $ref counts as one)
MAX_STEPS = 50_000  # subschemas visited per check or generation
MAX_PROBLEMS = 20
_PATTERN_MAX = 256  # a pattern, and a string it is tried on, longer than this is not run
# a quantified group that itself holds a quantifier, such as (a+)+ or (x*y)*: may backtrack for ever
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Problem(NamedTuple):
    """One reason a body does not match: where (``instances[0].amount``, "" for the whole body) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or 'the body'}: {self.message}"


class Ungeneratable(ValueError):
    """The schema asks for something the generator cannot make (a pattern, a loop, an impossible range)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path or 'the body'}: {why}")
        self.path = path
        self.why = why


class _TooComplex(Exception):
    """The walk went deeper or longer than allowed (a hostile or looping schema)."""


def request_schema(doc: Any) -> dict[str, Any] | None:
    """The request's JSON Schema in what a source gave: ``{"request": …, "response": …}`` or a bare schema."""
    if not isinstance(doc, Mapping):
        return None
    request = doc.get("request")
    if isinstance(request, Mapping):
        return dict(request)
    if any(k in doc for k in ("type", "properties", "$ref", "oneOf", "anyOf", "allOf", "items")):
        return dict(doc)
    return None


# --------------------------------------------------------------------- walking
def _path(base: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    if _IDENT.match(key):
        return f"{base}.{key}" if base else key
    return f"{base}[{json.dumps(key)}]"


class _Walk:
    """One check or generation: the root (for ``$ref``), the step budget, the refs being followed."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.steps = 0
        self.unchecked: set[str] = set()

    def tick(self, depth: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooComplex(f"it needs more than {MAX_STEPS} steps to walk")
        if depth > MAX_DEPTH:
            raise _TooComplex(f"it nests deeper than {MAX_DEPTH} levels (or refers to itself in a loop)")

    def resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            self.unchecked.add("$ref outside the document")
            return {}
        node = self.root
        for part in ref[1:].split("/")[1:] if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise _TooComplex(f"its $ref {ref[:80]!r} points at nothing")
        return node


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _is_type(value: Any, kind: Any) -> bool:
    actual = _json_type(value)
    if kind == "number":
        return actual in ("integer", "number")
    if kind == "integer":
        return actual == "integer" or (actual == "number" and math.isfinite(value) and float(value).is_integer())
    return actual == kind


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, objects and arrays by content."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _shown(value: Any) -> str:
    kind = _json_type(value)
    if kind == "string":
        text = value if len(value) <= 40 else value[:40] + "…"
        return f"the string {json.dumps(text)}"
    if kind in ("object", "array"):
        return f"an {kind}" if kind == "object" else "an array"
    if kind == "null":
        return "null"
    return f"{kind} {json.dumps(value)}" if kind != "boolean" else json.dumps(value)


def _type_words(kinds: list[Any]) -> str:
    words = {"null": "null", "boolean": "true or false", "object": "an object", "array": "an array"}
    names = [words.get(k, f"a {k}" if k != "integer" else "an integer") for k in kinds]
    return " or ".join(names)


def _safe_pattern(pattern: Any, text: str, walk: _Walk) -> bool | None:
    """Whether ``text`` matches; None when the pattern is not run (too long, risky or invalid)."""
    if not isinstance(pattern, str) or len(pattern) > _PATTERN_MAX or len(text) > _PATTERN_MAX:
        walk.unchecked.add("pattern")
        return None
    if _NESTED_QUANTIFIER.search(pattern):
        walk.unchecked.add("pattern")
        return None
    try:
        return re.search(pattern, text) is not None
    except re.error:
        walk.unchecked.add("pattern")
        return None


def _format_ok(fmt: Any, text: str) -> bool:
    try:
        if fmt == "date-time":
            if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", text):
                return False
            datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
        elif fmt == "date":
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
                return False
            date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------- check
def check(body: Any, schema: Any) -> tuple[list[Problem], str]:
    """What is wrong with ``body`` under ``schema``: ``(problems, note)``.

    ``problems`` is empty when it matches (at most :data:`MAX_PROBLEMS`, the first ones);
    ``note`` says what could not be checked ("" when everything was), such as a schema
    too deep to walk: then the body is let through, and the server is the judge.
    """
    if not isinstance(schema, (Mapping, bool)):
        return [], "the schema is not a JSON Schema object, so nothing was checked"
    walk = _Walk(schema)
    problems: list[Problem] = []
    try:
        _check(body, schema, "", 0, walk, problems, frozenset())
    except _TooComplex as exc:
        return [], f"the schema could not be checked: {exc}"
    note = f"not checked: {', '.join(sorted(walk.unchecked))}" if walk.unchecked else ""
    return problems[:MAX_PROBLEMS], note


def _check(value: Any, schema: Any, path: str, depth: int, walk: _Walk, out: list[Problem], refs: frozenset) -> None:
    walk.tick(depth)
    if len(out) >= MAX_PROBLEMS:
        return
    if schema is True or (isinstance(schema, Mapping) and not schema):
        return
    if schema is False:
        out.append(Problem(path, "no value is allowed here"))
        return
    if not isinstance(schema, Mapping):
        return
    if "$ref" in schema:
        ref = schema["$ref"]
        key = (ref, id(value))
        if key in refs:  # the same ref on the same value again, without a step into it: a loop
            raise _TooComplex("it refers to itself in a loop")
        _check(value, walk.resolve(ref), path, depth + 1, walk, out, refs | {key})
    kinds = schema.get("type")
    if kinds is not None:
        listed = kinds if isinstance(kinds, list) else [kinds]
        if schema.get("nullable") is True:
            listed = [*listed, "null"]
        if not any(_is_type(value, k) for k in listed):
            out.append(Problem(path, f"expected {_type_words(listed)}, got {_shown(value)}"))
            return
    if "const" in schema and not _equal(value, schema["const"]):
        out.append(Problem(path, f"must be {json.dumps(schema['const'])[:60]}, got {_shown(value)}"))
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(_equal(value, option) for option in enum):
        shown = ", ".join(json.dumps(o)[:30] for o in enum[:5]) + (
            f" (or {len(enum) - 5} more)" if len(enum) > 5 else ""
        )
        out.append(Problem(path, f"must be one of {shown}, got {_shown(value)}"))
    for sub in schema.get("allOf") or []:
        _check(value, sub, path, depth + 1, walk, out, frozenset())
    for word in ("anyOf", "oneOf"):
        branches = schema.get(word)
        if isinstance(branches, list) and branches:
            results = []
            for sub in branches:
                found: list[Problem] = []
                _check(value, sub, path, depth + 1, walk, found, frozenset())
                results.append(found)
            matched = sum(1 for r in results if not r)
            if matched == 0:
                # the branch that got furthest (its first problem deepest) explains it best
                best = max(results, key=lambda r: (len(r[0].path), -len(r)))
                out.extend(best[: MAX_PROBLEMS - len(out)])
            elif word == "oneOf" and matched > 1:
                out.append(Problem(path, f"matches {matched} of the alternatives the schema allows, not exactly one"))
    if "not" in schema:
        found = []
        _check(value, schema["not"], path, depth + 1, walk, found, frozenset())
        if not found:
            out.append(Problem(path, "matches what the schema forbids here"))
    kind = _json_type(value)
    if kind == "object":
        _check_object(value, schema, path, depth, walk, out)
    elif kind == "array":
        _check_array(value, schema, path, depth, walk, out)
    elif kind in ("integer", "number"):
        _check_number(value, schema, path, out)
    elif kind == "string":
        _check_string(value, schema, path, walk, out)
    for word in ("if", "dependentSchemas", "unevaluatedProperties", "contains", "propertyNames"):
        if word in schema:
            walk.unchecked.add(word)


def _check_object(value: Mapping, schema: Mapping, path: str, depth: int, walk: _Walk, out: list[Problem]) -> None:
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    for name in schema.get("required") or []:
        if isinstance(name, str) and name not in value:
            out.append(Problem(_path(path, name), "is required but missing"))
    patterns = schema.get("patternProperties") if isinstance(schema.get("patternProperties"), Mapping) else {}
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        where = _path(path, str(name))
        if name in props:
            _check(item, props[name], where, depth + 1, walk, out, frozenset())
            continue
        matched = False
        for pattern, sub in patterns.items():
            if _safe_pattern(pattern, str(name), walk):
                matched = True
                _check(item, sub, where, depth + 1, walk, out, frozenset())
        if matched:
            continue
        if extra is False:
            known = ", ".join(list(props)[:8])
            out.append(
                Problem(where, f"is not a field of this schema (it has: {known})" if known else "is not allowed")
            )
        elif isinstance(extra, Mapping):
            _check(item, extra, where, depth + 1, walk, out, frozenset())
    for word, fits, says in (
        ("minProperties", lambda n, m: n >= m, "at least"),
        ("maxProperties", lambda n, m: n <= m, "at most"),
    ):
        limit = schema.get(word)
        if isinstance(limit, int) and not fits(len(value), limit):
            out.append(Problem(path, f"needs {says} {limit} fields, has {len(value)}"))


def _check_array(value: list, schema: Mapping, path: str, depth: int, walk: _Walk, out: list[Problem]) -> None:
    prefix = schema.get("prefixItems")
    items = schema.get("items")
    if isinstance(items, list):  # the older tuple form
        prefix, items = items, schema.get("additionalItems", True)
    prefix = prefix if isinstance(prefix, list) else []
    for i, item in enumerate(value):
        if len(out) >= MAX_PROBLEMS:
            return
        where = _path(path, i)
        if i < len(prefix):
            _check(item, prefix[i], where, depth + 1, walk, out, frozenset())
        elif items is False:
            out.append(Problem(where, f"is one item too many: at most {len(prefix)} are allowed"))
            break
        elif isinstance(items, Mapping):
            _check(item, items, where, depth + 1, walk, out, frozenset())
    low, high = schema.get("minItems"), schema.get("maxItems")
    if isinstance(low, int) and len(value) < low:
        out.append(Problem(path, f"needs at least {low} item{'s' if low != 1 else ''}, has {len(value)}"))
    if isinstance(high, int) and len(value) > high:
        out.append(Problem(path, f"allows at most {high} item{'s' if high != 1 else ''}, has {len(value)}"))
    if schema.get("uniqueItems") is True and len(value) <= 1000:
        for i in range(len(value)):
            if any(_equal(value[i], value[j]) for j in range(i)):
                out.append(Problem(_path(path, i), "repeats an earlier item; items must be unique"))
                break


def _limit(schema: Mapping, word: str, finite: bool = False) -> float | None:
    """The number a schema gives at ``word``, or None (a bool is none; with ``finite``, an infinity or NaN)."""
    value = schema.get(word)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return None if finite and not math.isfinite(value) else value


def _bounds(schema: Mapping, finite: bool = False) -> tuple[float | None, float | None, float | None, float | None]:
    """A number schema's (minimum, maximum, exclusive minimum, exclusive maximum), each a number or None."""
    low, high = _limit(schema, "minimum", finite), _limit(schema, "maximum", finite)
    xlow, xhigh = _limit(schema, "exclusiveMinimum", finite), _limit(schema, "exclusiveMaximum", finite)
    if schema.get("exclusiveMinimum") is True:  # draft 4: a flag on minimum
        xlow, low = low, None
    if schema.get("exclusiveMaximum") is True:
        xhigh, high = high, None
    return low, high, xlow, xhigh


def _check_number(value: float, schema: Mapping, path: str, out: list[Problem]) -> None:
    low, high, xlow, xhigh = _bounds(schema)
    if low is not None and value < low:
        out.append(Problem(path, f"must be at least {low}, got {value}"))
    if high is not None and value > high:
        out.append(Problem(path, f"must be at most {high}, got {value}"))
    if xlow is not None and value <= xlow:
        out.append(Problem(path, f"must be more than {xlow}, got {value}"))
    if xhigh is not None and value >= xhigh:
        out.append(Problem(path, f"must be less than {xhigh}, got {value}"))
    step = _limit(schema, "multipleOf")
    if step and step > 0:
        quotient = value / step
        if not (math.isfinite(quotient) and abs(quotient - round(quotient)) < 1e-9):
            out.append(Problem(path, f"must be a multiple of {step}, got {value}"))


def _check_string(value: str, schema: Mapping, path: str, walk: _Walk, out: list[Problem]) -> None:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        out.append(Problem(path, f"needs at least {low} characters, has {len(value)}"))
    if isinstance(high, int) and len(value) > high:
        out.append(Problem(path, f"allows at most {high} characters, has {len(value)}"))
    if "pattern" in schema and _safe_pattern(schema["pattern"], value, walk) is False:
        out.append(Problem(path, f"must match the pattern {str(schema['pattern'])[:60]}, got {_shown(value)}"))
    fmt = schema.get("format")
    if fmt in ("date-time", "date") and not _format_ok(fmt, value):
        example = "2025-01-31T12:00:00Z" if fmt == "date-time" else "2025-01-31"
        out.append(Problem(path, f"must be a {fmt} such as {example}, got {_shown(value)}"))


# --------------------------------------------------------------------- generate
_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}


def generate(schema: Any) -> Any:
    """A minimal instance valid under ``schema``: required fields only, the smallest arrays, the
    lowest allowed numbers, the first enum value. Raises :class:`Ungeneratable` (with the path and
    why) for what it cannot make: a string pattern it cannot satisfy, a loop, an empty range."""
    walk = _Walk(schema)
    try:
        value = _generate(schema, "", 0, walk, frozenset())
    except _TooComplex as exc:
        raise Ungeneratable("", f"the schema cannot be walked: {exc}") from None
    problems, _note = check(value, schema)
    if problems:
        raise Ungeneratable(problems[0].path, f"what it generated does not fit: {problems[0].message}")
    return value


def _merged(schema: Mapping, walk: _Walk, depth: int) -> dict[str, Any]:
    """``schema`` with its ``allOf`` parts folded in (properties and required joined)."""
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for sub in schema.get("allOf") or []:
        walk.tick(depth)
        while isinstance(sub, Mapping) and "$ref" in sub:
            depth += 1
            walk.tick(depth)
            sub = walk.resolve(sub["$ref"])
        if not isinstance(sub, Mapping):
            continue
        sub = _merged(sub, walk, depth + 1)
        for key, value in sub.items():
            if key == "properties" and isinstance(value, Mapping):
                out["properties"] = {**(out.get("properties") or {}), **value}
            elif key == "required" and isinstance(value, list):
                out["required"] = [*(out.get("required") or []), *value]
            else:
                out.setdefault(key, value)
    return out


def _generate(schema: Any, path: str, depth: int, walk: _Walk, refs: frozenset) -> Any:
    walk.tick(depth)
    if schema is True or schema is None:
        return None
    if schema is False:
        raise Ungeneratable(path, "the schema allows no value here")
    if not isinstance(schema, Mapping):
        return None
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in refs:
            raise Ungeneratable(path, f"the schema refers to itself ({str(ref)[:60]}) with nothing to end it")
        try:
            target = walk.resolve(ref)
        except _TooComplex as exc:
            raise Ungeneratable(path, str(exc)) from None
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        if rest and isinstance(target, Mapping):
            target = {**target, **rest}
        return _generate(target, path, depth + 1, walk, refs | {ref})
    if "allOf" in schema:
        schema = _merged(schema, walk, depth)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list):
        if not schema["enum"]:
            raise Ungeneratable(path, "the schema's enum is empty")
        return schema["enum"][0]
    for word in ("oneOf", "anyOf"):
        branches = schema.get(word)
        if isinstance(branches, list) and branches:
            rest = {k: v for k, v in schema.items() if k != word}
            last: Ungeneratable | None = None
            for sub in branches:
                candidate = {**rest, **sub} if isinstance(sub, Mapping) and "$ref" not in sub else sub
                try:
                    value = _generate(candidate, path, depth + 1, walk, refs)
                except Ungeneratable as exc:
                    last = exc
                    continue
                problems: list[Problem] = []
                _check(value, schema, path, depth, _Walk(walk.root), problems, frozenset())
                if not problems:
                    return value
            raise last or Ungeneratable(path, f"none of the {word} alternatives could be generated")
    kinds = schema.get("type")
    listed = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    listed = [k for k in listed if k != "null"] or (["null"] if listed else [])
    if not listed:
        if "properties" in schema or "required" in schema:
            listed = ["object"]
        elif "items" in schema or "prefixItems" in schema:
            listed = ["array"]
        elif any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            listed = ["number"]
        elif any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
            listed = ["string"]
        else:
            return schema["default"] if "default" in schema else None
    last_error: Ungeneratable | None = None
    for kind in listed:
        try:
            return _generate_kind(kind, schema, path, depth, walk, refs)
        except Ungeneratable as exc:
            last_error = exc
    raise last_error or Ungeneratable(path, "no type to generate")


def _generate_kind(kind: Any, schema: Mapping, path: str, depth: int, walk: _Walk, refs: frozenset) -> Any:
    if kind == "null":
        return None
    if kind == "boolean":
        return False
    if kind == "object":
        props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        out: dict[str, Any] = {}
        for name in schema.get("required") or []:
            if not isinstance(name, str) or name in out:
                continue
            sub = props.get(name, schema.get("additionalProperties", True))
            out[name] = _generate(
                sub if isinstance(sub, (Mapping, bool)) else True, _path(path, name), depth + 1, walk, refs
            )
        return out
    if kind == "array":
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        low = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        if low > 10_000:
            raise Ungeneratable(path, f"the schema asks for at least {low} items, too many to write out")
        out_list = [_generate(sub, _path(path, i), depth + 1, walk, refs) for i, sub in enumerate(prefix)]
        while len(out_list) < low:
            if items is False:
                raise Ungeneratable(path, "the schema asks for more items than it allows")
            sub = items if isinstance(items, (Mapping, bool)) else True
            out_list.append(_generate(sub, _path(path, len(out_list)), depth + 1, walk, refs))
        return out_list
    if kind in ("number", "integer"):
        return _number(kind, schema, path)
    if kind == "string":
        return _string(schema, path, walk)
    raise Ungeneratable(path, f"the type {str(kind)[:30]!r} is not a JSON type")


def _number(kind: str, schema: Mapping, path: str) -> float | int:
    """The number nearest 0 that the bounds and ``multipleOf`` allow (an integer for ``integer``)."""
    low, high, xlow, xhigh = _bounds(schema, finite=True)

    def fits(v: float) -> bool:
        return (
            (low is None or v >= low)
            and (high is None or v <= high)
            and (xlow is None or v > xlow)
            and (xhigh is None or v < xhigh)
            and (not step or abs(v / step - round(v / step)) < 1e-9)
        )

    step = _limit(schema, "multipleOf", finite=True)
    step = step if step and step > 0 else None
    if kind == "integer":  # the smallest multiple of the step that is a whole number
        base = step or 1
        step = next((base * k for k in range(1, 101) if float(base * k).is_integer()), None)
        if step is None:
            return _checked(0, fits, kind, path)
    floor_ = max((b for b in (low, xlow) if b is not None), default=None)
    ceil_ = min((b for b in (high, xhigh) if b is not None), default=None)
    if floor_ is not None and floor_ >= 0:
        if step:
            first = math.ceil(floor_ / step) * step
            candidates = [first, first + step]
        else:
            room = 1.0 if ceil_ is None else min(1.0, (ceil_ - floor_) / 2)
            candidates = [floor_, floor_ + room]
    elif ceil_ is not None and ceil_ <= 0:
        if step:
            last = math.floor(ceil_ / step) * step
            candidates = [last, last - step]
        else:
            room = 1.0 if floor_ is None else min(1.0, (ceil_ - floor_) / 2)
            candidates = [ceil_, ceil_ - room]
    else:
        candidates = [0]
    for value in candidates:
        if fits(value):
            return _checked(value, fits, kind, path)
    raise Ungeneratable(path, f"no {kind} fits the schema's bounds and step")


def _checked(value: float, fits: Any, kind: str, path: str) -> float | int:
    value = round(value, 12)
    value = int(value) if kind == "integer" and float(value).is_integer() else float(value)
    if not fits(value):
        raise Ungeneratable(path, f"no {kind} fits the schema's bounds and step")
    return value


def _string(schema: Mapping, path: str, walk: _Walk) -> str:
    low = schema.get("minLength") if isinstance(schema.get("minLength"), int) else 0
    high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    if low > 100_000:
        raise Ungeneratable(path, f"the schema asks for a string of at least {low} characters")
    base = _FORMATS.get(schema.get("format"), "")
    candidates = [base, base + "x" * max(0, low - len(base)), "x" * low, "0" * max(low, 1), "a" * max(low, 1)]
    pattern = schema.get("pattern")
    for text in candidates:
        if high is not None and len(text) > high:
            continue
        if len(text) < low:
            continue
        if pattern is not None and _safe_pattern(pattern, text, walk) is not True:
            continue
        return text
    if pattern is not None:
        raise Ungeneratable(path, f"a string matching the pattern {str(pattern)[:60]} (write one in)")
    raise Ungeneratable(path, f"no string fits between {low} and {high} characters")


# --------------------------------------------------------------------- prefill
def prefill(schema: Any) -> tuple[Any, str, str]:
    """``(body, origin, note)``: the schema's example when it has a valid one (origin ``"example"``),
    else a generated minimal body (``"generated"``); ``(None, "", why)`` when neither can be had."""
    if not isinstance(schema, Mapping):
        return None, "", "the schema is not a JSON Schema object"
    examples = schema.get("examples")
    candidates = list(examples[:5]) if isinstance(examples, list) else []
    if "example" in schema:
        candidates.append(schema["example"])
    for example in candidates:
        problems, _note = check(example, schema)
        if not problems:
            return example, "example", ""
    try:
        return generate(schema), "generated", ""
    except Ungeneratable as exc:
        return None, "", f"no body could be made from the schema ({exc})"


# --------------------------------------------------------------------- snippets
def python_literal(value: Any, indent: int = 0, width: int = 88) -> str:
    """``value`` (parsed JSON) as Python source: ``True``/``False``/``None``, strings via ``repr``
    (hidden characters escaped), short containers on one line, long ones one item a line."""
    flat = _py_flat(value)
    if len(flat) + indent <= width or not isinstance(value, (Mapping, list, tuple)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, Mapping):
        items = [f"{pad}{_py_str(str(k))}: {python_literal(v, indent + 4, width)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{python_literal(v, indent + 4, width)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _py_str(text: str) -> str:
    r = repr(text)
    if r.startswith("'") and '"' not in text:
        r = '"' + r[1:-1] + '"'
    return r


def _py_flat(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _py_str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_py_str(str(k))}: {_py_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py_flat(v) for v in value) + "]"
    return _py_str(str(value))


def _sh(text: str) -> str:
    """One single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _one_line(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isprintable())[:300]


def python_predict(name: str, body: Any) -> str:
    """``deployment.predict(data=...)`` with ``body`` through the hopsworks SDK."""
    return (
        "import hopsworks\n\n"
        "# outside Hopsworks: hopsworks.login(host=..., project=..., "
        f'api_key_value="{KEY_PLACEHOLDER}")\n'
        "project = hopsworks.login()\n"
        f"deployment = project.get_model_serving().get_deployment({_py_str(_one_line(name))})\n"
        f"response = deployment.predict(data={python_literal(body, 0)})\n"
        "print(response)\n"
    )


def curl(url: str, body: Any) -> str:
    """The inference request as cURL, the key as a placeholder."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=True)
    return (
        f"curl -X POST {_sh(_one_line(url))} \\\n"
        f"  -H {_sh('Authorization: ApiKey ' + KEY_PLACEHOLDER)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  --data-raw {_sh(data)}\n"
    )


def chat_body(model: str, message: str, system: str = "", *, stream: bool = True) -> dict[str, Any]:
    """An OpenAI chat completions request: an optional system prompt, then the user's message."""
    messages = [{"role": "system", "content": system}] if system.strip() else []
    messages.append({"role": "user", "content": message})
    body: dict[str, Any] = {"model": model, "messages": messages}
    if stream:
        body["stream"] = True
    return body


def chat_python(base_url: str, body: Mapping[str, Any]) -> str:
    """The same chat request through the ``openai`` client, pointed at the deployment's OpenAI URL."""
    return (
        "from openai import OpenAI\n\n"
        f'API_KEY = "{KEY_PLACEHOLDER}"  # a Hopsworks API key: keep it out of notebooks you share\n'
        "client = OpenAI(\n"
        f"    base_url={_py_str(_one_line(base_url))},\n"
        "    api_key=API_KEY,\n"
        '    default_headers={"Authorization": f"ApiKey {API_KEY}"},  # Hopsworks reads ApiKey, not Bearer\n'
        ")\n"
        "reply = client.chat.completions.create(\n"
        f"    model={_py_str(str(body.get('model', '')))},\n"
        f"    messages={python_literal(body.get('messages', []), 4)},\n"
        ")\n"
        "print(reply.choices[0].message.content)\n"
    )


def chat_curl(base_url: str, body: Mapping[str, Any]) -> str:
    """The chat request as cURL (``-N``: print the streamed reply as it comes)."""
    url = base_url.rstrip("/") + "/chat/completions"
    text = curl(url, dict(body))
    return text.replace("curl -X POST", "curl -N -X POST", 1) if body.get("stream") else text


# --------------------------------------------------------------------- chat replies
MAX_REPLY_CHARS = 20_000


class ChatError(RuntimeError):
    """A chat request the model refused or answered with an error; the message is for a person."""


def read_chat(response: Any, on_text: Any = None) -> str:
    """The text of an OpenAI chat completions answer (a ``requests`` response, streamed or whole).

    Server-sent events (``data: {...}`` lines, ``data: [DONE]`` at the end) are joined as they
    come and ``on_text(text_so_far)`` is told; a whole answer is read from ``choices[0].message``.
    A refusal (not 2xx) and an ``error`` object in the stream raise :class:`ChatError` in plain words.
    """
    status = getattr(response, "status_code", 200)
    if not 200 <= status < 300:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        raise ChatError(chat_refusal(status, payload))
    ctype = str(response.headers.get("Content-Type", "")).lower()
    if "text/event-stream" not in ctype:
        try:
            whole = response.json()
        except ValueError:
            raise ChatError("The chat endpoint answered something that is not JSON.") from None
        _raise_chat_error(whole)
        try:
            text = whole["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise ChatError("The chat endpoint's answer has no choices[0].message.content.") from None
        text = str(text)[:MAX_REPLY_CHARS]
        if on_text is not None:
            on_text(text)
        return text
    parts: list[str] = []
    size = 0
    for line in response.iter_lines(decode_unicode=True):
        if not line or not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            event = json.loads(data)
        except ValueError:
            continue
        _raise_chat_error(event)
        try:
            piece = event["choices"][0].get("delta", {}).get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
        if piece and size < MAX_REPLY_CHARS:
            piece = str(piece)[: MAX_REPLY_CHARS - size]
            parts.append(piece)
            size += len(piece)
            if on_text is not None:
                on_text("".join(parts))
    return "".join(parts)


def _raise_chat_error(event: Any) -> None:
    if isinstance(event, Mapping) and isinstance(event.get("error"), Mapping):
        message = event["error"].get("message") or "the chat endpoint reported an error"
        raise ChatError(f"The model answered with an error: {str(message)[:300]}")


def chat_refusal(status: int, payload: Any) -> str:
    """A refused chat request in plain words, from its HTTP status and (OpenAI-shaped) JSON body."""
    error = payload.get("error") if isinstance(payload, Mapping) else None
    detail = error.get("message") if isinstance(error, Mapping) else None
    if not isinstance(detail, str) or not detail.strip():
        detail = "no route to it: is the deployment running, and served by vLLM?" if status == 404 else ""
    return f"The model refused the request (HTTP {status})" + (f": {detail.strip()[:300]}" if detail else "")
