"""Write ``serving_shapes.json``: every serving JSON shape a Hopsworks SDK knows, with what it must parse to.

The SDK's own test fixtures (hopsworks-api ``python/tests/fixtures``) show which shapes
exist: camelCase from the wire and snake_case after ``humps.decamelize``; Python, TensorFlow
and vLLM model servers; REST and gRPC; with and without a transformer; the environment as
``predictorEnvironment`` or as the older ``environmentDto``; scaling configurations, or none
(before 4.6); batching, inference logging; states in every status. This generator builds
such bodies from its own parameters and writes, beside each, the fields our parsers must
read from it. Run it again only when a new shape is added:

    python -m tests.conformance.make_serving_shapes
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("serving_shapes.json")

# (status, condition) as the backend sends them: SCHEDULED/INITIALIZED/STARTED only null or false
STATES = [
    ("Created", {"type": "STOPPED", "status": True, "reason": "Deployment has not been started yet"}),
    ("Creating", {"type": "STOPPED", "status": None, "reason": "Artifact is being prepared"}),
    ("Starting", {"type": "SCHEDULED", "status": None, "reason": "Waiting for a node"}),
    ("Starting", {"type": "INITIALIZED", "status": None, "reason": "Pulling the image"}),
    ("Starting", {"type": "STARTED", "status": None, "reason": "Loading the model"}),
    ("Starting", {"type": "READY", "status": None, "reason": "Routing traffic"}),
    ("Starting", {"type": "STOPPED", "status": None, "reason": "Storage initializer is retrying"}),
    ("Running", {"type": "READY", "status": True, "reason": "Serving"}),
    ("Idle", {"type": "READY", "status": True, "reason": "Scaled to zero"}),
    ("Updating", {"type": "STARTED", "status": None, "reason": "Rolling out a revision"}),
    ("Stopping", {"type": "STOPPED", "status": None, "reason": "Terminating the pods"}),
    ("Stopped", {"type": "STOPPED", "status": True, "reason": "Stopped"}),
    ("Failed", {"type": "SCHEDULED", "status": False, "reason": "0/3 nodes are available: insufficient gpu"}),
    ("Failed", {"type": "INITIALIZED", "status": False, "reason": "Back-off pulling image"}),
    ("Failed", {"type": "STARTED", "status": False, "reason": "CrashLoopBackOff: exit code 1"}),
    ("Failed", {"type": "READY", "status": False, "reason": "Ingress not ready"}),
    ("Running", None),
]
SERVERS = {
    "PYTHON": {"modelFramework": "PYTHON", "predictor": "predictor.py"},
    "TENSORFLOW_SERVING": {"modelFramework": "TENSORFLOW"},
    "VLLM": {"modelFramework": "LLM", "predictor": "vllmconfig.yaml", "vllmVariant": "DEFAULT"},
}


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _snaked(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): _snaked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snaked(v) for v in value]
    return value


def _resources(cores: float, memory: int, gpus: int) -> dict[str, Any]:
    return {
        "requests": {"cores": cores, "memory": memory, "gpus": gpus},
        "limits": {"cores": cores * 2, "memory": memory * 2, "gpus": gpus},
    }


def serving(n: int, server: str, protocol: str, transformer: bool, env_key: str | None, scaling: str, state) -> tuple:
    status, condition = state
    name = f"shape{n:03d}"
    min_p = {"none": None, "zero": 0, "one": 1}[scaling]
    requested = 0 if scaling == "none" and n % 2 else 2
    body: dict[str, Any] = {
        "id": 1000 + n,
        "name": name,
        "description": f"shape number {n}",
        "version": 1 + n % 3,
        "created": "2026-11-30T10:00:00.000Z",
        "creator": "Data Owner",
        "modelName": f"model{n % 7}",
        "modelPath": f"/Projects/p/Models/model{n % 7}",
        "modelVersion": 1 + n % 5,
        "modelServer": server,
        "servingTool": "KSERVE",
        "apiProtocol": protocol,
        "projectNamespace": "p",
        "requestedInstances": requested,
        "predictorResources": _resources(0.5 + n % 3, 512 * (1 + n % 4), n % 2),
        "inferenceLogging": "ALL" if n % 3 == 0 else "NONE",
        "batchingConfiguration": {"batchingEnabled": n % 2 == 0, "maxBatchSize": 32, "maxLatency": 5, "timeout": 10},
        "status": status,
        "availableInstances": (n % 3),
        "hopsworksInferencePath": f"/project/119/inference/models/{name}",
        "modelServerInferencePath": f"/v1/models/{name}:predict",
        "internalPort": 8080 if n % 4 == 0 else None,
        "revision": f"{10000000 + n}",
        **SERVERS[server],
    }
    if n % 3 == 0:
        body["kafkaTopicDto"] = {"name": f"topic{n}"}
    if condition is not None:
        body["condition"] = dict(condition)
    if env_key:
        body[env_key] = {"name": f"env-{n % 4}"}
    if scaling != "none":
        body["predictorScalingConfig"] = {
            "minInstances": min_p,
            "maxInstances": 4,
            "scaleMetric": "CONCURRENCY" if n % 2 else "RPS",
            "target": 100,
            "scaleToZeroRetentionSeconds": 60,
        }
    if transformer:
        body.update(
            {
                "transformer": "transformer.py",
                "requestedTransformerInstances": 1,
                "transformerResources": _resources(0.25, 256, 0),
                "availableTransformerInstances": n % 2,
            }
        )
        if scaling != "none":
            body["transformerScalingConfig"] = {"minInstances": min_p, "maxInstances": 2}
    body = {k: v for k, v in body.items() if v is not None}  # the backend omits null fields

    expect: dict[str, Any] = {
        "name": name,
        "status": status.upper(),
        "condition": None if condition is None else [condition["type"], condition["status"], condition["reason"]],
        "predictor": [n % 3, requested, min_p],
        "transformer": [n % 2, 1, min_p] if transformer else None,
        "model_name": f"model{n % 7}",
        "model_version": 1 + n % 5,
        "deployment_id": 1000 + n,
        "endpoint": {
            k: v
            for k, v in {
                "model_server": server,
                "serving_tool": "KSERVE",
                "api_protocol": protocol,
                "environment": f"env-{n % 4}" if env_key else None,
                "inference_path": f"/project/119/inference/models/{name}",
                "model_server_path": f"/v1/models/{name}:predict",
            }.items()
            if v is not None
        },
        "resources": {"predictor": {"requests": body["predictorResources"]["requests"]}},
    }
    if scaling != "none":
        expect["resources"]["predictor"].update({"min_instances": min_p, "max_instances": 4, "retention_s": 60})
    return body, expect


def shapes() -> list[dict[str, Any]]:
    out = []
    combos = itertools.product(
        SERVERS,
        ("REST", "GRPC"),
        (False, True),
        ("predictorEnvironment", "environmentDto", None),
        ("one", "zero", "none"),
    )
    for n, (server, protocol, transformer, env_key, scaling) in enumerate(combos):
        if server == "VLLM" and (protocol == "GRPC" or transformer):
            continue  # vLLM serves REST only and has no transformer
        state = STATES[n % len(STATES)]
        body, expect = serving(n, server, protocol, transformer, env_key, scaling, state)
        case = "snake" if n % 2 else "camel"
        out.append(
            {
                "id": f"{server.lower()}-{protocol.lower()}-{'trans' if transformer else 'pred'}-"
                f"{env_key or 'noenv'}-{scaling}-{case}",
                "body": _snaked(body) if case == "snake" else body,
                "expect": expect,
            }
        )
    return out


LOGS = [
    {"id": "logs-empty", "body": [], "expect": []},
    {
        "id": "logs-one-pod-camel",
        "body": [{"instanceName": "shape-predictor-00001-abc", "content": "line one\nline two\n"}],
        "expect": [["shape-predictor-00001-abc", "line one"], ["shape-predictor-00001-abc", "line two"]],
    },
    {
        "id": "logs-two-pods-snake",
        "body": [
            {"instance_name": "pod-a", "content": "a1"},
            {"instance_name": "pod-b", "content": "b1\nb2"},
        ],
        "expect": [["pod-a", "a1"], ["pod-b", "b1"], ["pod-b", "b2"]],
    },
    {
        "id": "logs-5x-entry-fields",
        "body": [
            {
                "instanceName": "pod-c",
                "content": "c1\n",
                "podUid": "0f3c",
                "restartCount": 4,
                "timestamp": "2026-11-30T10:00:00Z",
                "truncated": False,
                "readFailed": False,
            }
        ],
        "expect": [["pod-c", "c1"]],
    },
    {"id": "logs-null-content", "body": [{"instanceName": "pod-d", "content": None}], "expect": []},
]

# how a list of servings arrives: a plain array, or the older {count, items} envelope
# ("take": how many of the serving shapes above it holds)
LISTS = [
    {"id": "list-empty", "wrap": "plain", "take": 0},
    {"id": "list-plain", "wrap": "plain", "take": 3},
    {"id": "list-count-zero", "wrap": "count", "take": 0},
    {"id": "list-count-items", "wrap": "count", "take": 2},
]


def main() -> None:
    data = {"servings": shapes(), "logs": LOGS, "lists": LISTS}
    # one shape per line: a diff shows which shapes changed
    lines = [
        f"  {json.dumps(group)}: [\n"
        + ",\n".join("    " + json.dumps(item, sort_keys=True) for item in items)
        + "\n  ]"
        for group, items in data.items()
    ]
    OUT.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"{len(data['servings'])} serving shapes, {len(LOGS)} log shapes, {len(LISTS)} list shapes -> {OUT}")


if __name__ == "__main__":
    main()
