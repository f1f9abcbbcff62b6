"""Deployment schemas (Hopsworks 5.2): the documents ``GET .../serving/{id}/schema`` answers.

A deployment's schema is kept as one document in the SDK's own format (``servingKeys``,
``passedFeatures``, ``requestParameters``, ``extraLoggingFeatures``, ``output``...) plus,
for the sandbox, an ``example``: one request body that satisfies it. Three renderings:

* ``format=schema``: the document itself with its ``schemaId`` (a content hash, so equal
  schemas have equal ids, as the SDK computes them);
* ``format=jsonschema``: ``{"request": <JSON Schema>, "response": <JSON Schema>}``, the
  request's with the example under ``examples``;
* ``format=openapi``: an OpenAPI 3.1 document of the ``:predict`` route, the example on
  the request body.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

__all__ = ["BUILTIN", "CHURN_SCHEMA", "FORMATS", "FRAUD_SCHEMA", "document", "json_schema", "openapi", "schema_id"]

FORMATS = ("schema", "jsonschema", "openapi")
_GROUPS = ("servingKeys", "passedFeatures", "requestParameters", "extraLoggingFeatures")
_MAX_BATCH_ROWS = 512  # the SDK's default batch limit, part of the contract


def _seeded(
    keys: list[dict[str, Any]],
    passed: list[dict[str, Any]],
    view: tuple[str, int],
    output: str,
    example: dict[str, Any],
) -> dict[str, Any]:
    """A seeded model's schema: ``keys`` looked up in the feature ``view`` (name, version), ``passed``
    sent with them, one probability ``output`` column, and ``example`` as the one instance to send."""
    return {
        "servingKeys": keys,
        "passedFeatures": passed,
        "requestParameters": [],
        "extraLoggingFeatures": [],
        "featureView": {"name": view[0], "version": view[1]},
        "trainingDatasetVersion": 1,
        "output": {"kind": "predictions", "columns": [{"name": output, "type": "double"}]},
        "inferred": False,
        "example": {"instances": [example]},
    }


# frauddetector's: the card number is looked up in the online store, the amount and place are sent
FRAUD_SCHEMA = _seeded(
    keys=[{"name": "cc_num", "type": "bigint", "nullable": False}],
    passed=[
        {"name": "amount", "type": "double", "nullable": False, "description": "Amount of the transaction"},
        {"name": "category", "type": "string", "nullable": True},
    ],
    view=("transactions_view", 1),
    output="fraud_probability",
    example={"cc_num": 4467360740682089, "amount": 72.5, "category": "grocery"},
)

# churnmodel's (seeded): the customer is looked up, the contract's terms are sent
CHURN_SCHEMA = _seeded(
    keys=[{"name": "customer_id", "type": "bigint", "nullable": False}],
    passed=[
        {"name": "tenure_months", "type": "int", "nullable": False},
        {"name": "monthly_charges", "type": "double", "nullable": False, "description": "In EUR"},
        {"name": "contract", "type": "string", "nullable": True},
    ],
    view=("customers_view", 2),
    output="churn_probability",
    example={"customer_id": 10482, "tenure_months": 14, "monthly_charges": 59.9, "contract": "monthly"},
)
BUILTIN = {"fraud": FRAUD_SCHEMA, "churn": CHURN_SCHEMA}  # by name, for set_schema

_JSON_TYPES = {
    "tinyint": "integer",
    "smallint": "integer",
    "int": "integer",
    "integer": "integer",
    "bigint": "integer",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "string": "string",
    "timestamp": "string",
    "date": "string",
}


def _content(doc: dict[str, Any]) -> dict[str, Any]:
    """The hashed part of a schema document, every key present (nulls included)."""

    def fields(group: str, nullable_default: bool) -> list[dict[str, Any]]:
        out = []
        for item in doc.get(group) or []:
            one = {
                "name": item["name"],
                "type": (item.get("type") or None) and str(item["type"]).lower(),
                "nullable": bool(item.get("nullable", nullable_default)),
            }
            if item.get("description") is not None:
                one["description"] = item["description"]
            out.append(one)
        return out

    output = doc.get("output") or {}
    columns = output.get("columns")
    return {
        "schemaVersion": 1,
        "servingKeys": fields("servingKeys", False),
        "passedFeatures": fields("passedFeatures", True),
        "requestParameters": fields("requestParameters", True),
        "extraLoggingFeatures": fields("extraLoggingFeatures", True),
        "featureView": doc.get("featureView"),
        "trainingDatasetVersion": doc.get("trainingDatasetVersion"),
        "output": {
            "kind": output.get("kind") or "predictions",
            "columns": None
            if columns is None
            else [{"name": c["name"], "type": (c.get("type") or None) and str(c["type"]).lower()} for c in columns],
        },
        "inferred": bool(doc.get("inferred", False)),
        "maxBatchRows": doc.get("maxBatchRows") or _MAX_BATCH_ROWS,
    }


def schema_id(doc: dict[str, Any]) -> str:
    """The schema's id: a hash of its canonical content (16 hex digits)."""
    canonical = json.dumps(_content(doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def document(doc: dict[str, Any]) -> dict[str, Any]:
    """``format=schema``: the document with its id."""
    out = _content(doc)
    out["schemaId"] = schema_id(doc)
    return out


def _columns(doc: dict[str, Any]) -> list[dict[str, Any]]:
    content = _content(doc)
    return [f for group in _GROUPS for f in content[group]]


def _property(field: dict[str, Any]) -> dict[str, Any]:
    kind = _JSON_TYPES.get(field.get("type") or "")
    prop: dict[str, Any] = {}
    if kind is not None:
        prop["type"] = [kind, "null"] if field.get("nullable") else kind
        if field.get("type") == "timestamp":
            prop["format"] = "date-time"
        elif field.get("type") == "date":
            prop["format"] = "date"
    if field.get("description"):
        prop["description"] = field["description"]
    return prop


def json_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """``format=jsonschema``: the request and response contracts (draft 2020-12)."""
    content = _content(doc)
    columns = _columns(doc)
    required = [f["name"] for g in _GROUPS[:3] for f in content[g]]
    row = {
        "type": "object",
        "properties": {f["name"]: _property(f) for f in columns},
        "required": required,
        "additionalProperties": False,
    }
    request: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["instances"],
        "properties": {
            "instances": {"type": "array", "minItems": 1, "maxItems": content["maxBatchRows"], "items": row}
        },
    }
    if doc.get("example") is not None:
        request["examples"] = [copy.deepcopy(doc["example"])]
    out_columns = content["output"]["columns"] or []
    item: dict[str, Any] = {}
    if len(out_columns) == 1:
        item = _property({**out_columns[0], "nullable": True})
    elif out_columns:
        item = {"type": "object", "properties": {c["name"]: _property({**c, "nullable": True}) for c in out_columns}}
    response = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["predictions"],
        "properties": {"predictions": {"type": "array", "items": item}},
    }
    return {"request": request, "response": response}


def openapi(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """``format=openapi``: the ``:predict`` route of deployment ``name`` as OpenAPI 3.1."""
    schemas = json_schema(doc)
    request = {k: v for k, v in schemas["request"].items() if k not in ("$schema", "examples")}
    response = {k: v for k, v in schemas["response"].items() if k != "$schema"}
    body: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/PredictRequest"}}
    if doc.get("example") is not None:
        body["example"] = copy.deepcopy(doc["example"])
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Deployment {name}", "version": schema_id(doc)},
        "components": {
            "schemas": {"PredictRequest": request, "PredictResponse": response},
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{"ApiKey": []}],
        "paths": {
            f"/v1/models/{name}:predict": {
                "post": {
                    "summary": f"Predict with {name}",
                    "requestBody": {"required": True, "content": {"application/json": body}},
                    "responses": {
                        "200": {
                            "description": "One prediction per instance, in order",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/PredictResponse"}}
                            },
                        }
                    },
                }
            }
        },
    }
