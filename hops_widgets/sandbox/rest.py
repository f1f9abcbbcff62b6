"""The serving JSON of the REST API: how the backend renders a deployment's state.

:func:`serving_json` turns one :class:`~hops_widgets.sandbox.machine.Report` into the
object ``GET .../serving`` sends (null fields left out, as the backend does; a state
pinned by a scenario sent as given); :func:`serving` and :func:`servings` read the
world and render. The HTTP app and the admin operations both answer with these.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from . import schemas
from .machine import Blueprint, Report, World

__all__ = ["SCALING_52", "VERSION_KEYS", "scaling_json", "serving", "serving_json", "servings", "version_json"]

# the scaling fields a 5.2 backend added (KEDA, idle scale-to-zero): absent before
SCALING_52 = (
    "autoscaler",
    "scaleUpStabilizationWindowSeconds",
    "scaleDownStabilizationWindowSeconds",
    "additionalScaleMetrics",
    "idleScaleToZero",
    "idleCooldownSeconds",
    "coldStartTimeoutSeconds",
)
# what belongs to a deployment version (the rest lives on the deployment itself)
VERSION_KEYS = (
    "modelName",
    "modelVersion",
    "modelPath",
    "modelFramework",
    "modelServer",
    "predictor",
    "configFile",
    "predictorResources",
    "predictorScalingConfig",
    "predictorEnvVars",
    "predictorEnvironment",
    "transformer",
    "transformerResources",
    "transformerScalingConfig",
    "transformerEnvironment",
    "vllmVariant",
    "vllmImageTag",
)
# the scale metrics of backends before 5.2 (CPU, MEMORY and the vLLM ones came with KEDA)
METRICS_BEFORE_52 = ("CONCURRENCY", "RPS")


def scaling_json(world: World, spec: Blueprint) -> dict[str, Any]:
    """The predictor's scaling configuration as a 5.2 backend sends it (null fields left out)."""
    vllm = spec.model_server.upper() == "VLLM"
    scaling: dict[str, Any] = {
        "minInstances": spec.min_instances,
        "maxInstances": spec.max_instances if spec.max_instances is not None else max(spec.requested_instances, 1),
        "scaleMetric": "QUEUE_DEPTH" if vllm else "CONCURRENCY",
        "target": 5 if vllm else 100,
        "autoscaler": "KEDA",
    }
    if spec.min_instances == 0:
        scaling["scaleToZeroRetentionSeconds"] = int(world.timing.retention_s)
        scaling["idleScaleToZero"] = True
        scaling["idleCooldownSeconds"] = int(world.timing.retention_s)
    if spec.scaling:
        scaling.update(copy.deepcopy(spec.scaling))
    return {k: v for k, v in scaling.items() if v is not None}


def serving(world: World, key: int | str) -> dict[str, Any]:
    """The serving JSON of one deployment, as the REST API sends it."""
    return serving_json(world, world.report(key))


def servings(world: World, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The serving JSON of every deployment (or of those in ``names``), all at one moment."""
    return [serving_json(world, report) for report in world.reports(names)]


def serving_json(world: World, report: Report) -> dict[str, Any]:
    """One deployment's serving JSON: the fields the backend sends, its state from ``report.view``."""
    spec, view = report.spec, report.view
    vllm = spec.model_server.upper() == "VLLM"
    project, pid = world.project, world.project_id
    model = spec.model_name or spec.name.replace("-", "_")
    version = spec.model_version
    model_dir = f"/Projects/{project}/Models/{model}"
    condition: Any
    if view.extra and "condition" in view.extra:
        condition = copy.deepcopy(view.extra["condition"])
    elif view.condition is None:
        condition = None
    else:
        ctype, cstatus, reason = view.condition
        condition = {"type": ctype, "status": cstatus, "reason": reason}
    scaling = scaling_json(world, spec)
    body: dict[str, Any] = {
        "id": report.id,
        "name": spec.name,
        "description": spec.description,
        "version": report.version,
        "created": report.created,
        "creator": "Sandbox User",
        "modelName": model,
        "modelPath": model_dir,
        "modelVersion": version,
        "modelFramework": "PYTHON",
        "artifactVersion": 1,
        "predictor": f"{model_dir}/{version}/predictor.py",
        "configFile": None,
        "modelServer": spec.model_server,
        "servingTool": "KSERVE",
        "apiProtocol": "REST",
        "knativeMode": False,
        "projectNamespace": world.namespace,
        "requestedInstances": spec.requested_instances,
        "predictorResources": {
            "requests": {"cores": 0.5, "memory": 512, "gpus": spec.gpus},
            "limits": {"cores": 2.0, "memory": 2048, "gpus": spec.gpus},
        },
        "predictorScalingConfig": scaling,
        "predictorEnvironment": {"name": "vllm-inference-pipeline" if vllm else "pandas-inference-pipeline"},
        "predictorEnvVars": [f"SERVING_SCHEMA_ID={schemas.schema_id(spec.schema)}"] if spec.schema else None,
        "vllmVariant": "default" if vllm else None,
        "vllmImageTag": "0.10.1" if vllm else None,
        "batchingConfiguration": {"batchingEnabled": False},
        "hopsworksInferencePath": f"/project/{pid}/inference/models/{spec.name}",
        "modelServerInferencePath": f"/v1/models/{spec.name}:predict",
        "internalPort": None,
        "revision": report.revision,
        "deployed": report.deployed,
        "missingMandatoryTags": [copy.deepcopy(dict(t)) for t in report.missing_tags],
        "status": view.status,
        "condition": condition,
        "availableInstances": view.available,
    }
    if spec.transformer:
        body.update(
            {
                "transformer": f"/Projects/{project}/Resources/{spec.name}_transformer.py",
                "requestedTransformerInstances": spec.requested_transformer_instances,
                "transformerResources": {
                    "requests": {"cores": 0.25, "memory": 256, "gpus": 0},
                    "limits": {"cores": 1.0, "memory": 1024, "gpus": 0},
                },
                "transformerScalingConfig": {
                    "minInstances": spec.transformer_min_instances,
                    "maxInstances": max(spec.requested_transformer_instances, 1),
                },
                "transformerEnvironment": {"name": "pandas-inference-pipeline"},
                "availableTransformerInstances": view.available_transformer,
            }
        )
    else:
        body["availableTransformerInstances"] = view.available_transformer
    # the backend leaves null fields out; a state pinned by a scenario is sent as given
    pinned = set(view.extra) if view.extra else set()
    return {k: v for k, v in body.items() if v is not None or k in pinned}


def version_json(world: World, report: Report, entry: dict[str, Any]) -> dict[str, Any]:
    """One item of ``GET .../serving/{id}/versions``: a version's number, times and configuration.

    ``entry`` is one of :meth:`World.versions`; the configuration is rendered as the
    serving JSON renders the deployment's, keeping only what belongs to a version."""
    from dataclasses import replace

    as_deployed = replace(report, spec=entry["spec"], version=entry["number"])
    body = serving_json(world, as_deployed)
    out: dict[str, Any] = {
        "version": entry["number"],
        "active": entry["active"],
        "created": entry["created"],
        "createdBy": "Sandbox User",
    }
    if entry.get("updated"):
        out["updated"] = entry["updated"]
        out["updatedBy"] = "Sandbox User"
    out.update({k: body[k] for k in VERSION_KEYS if k in body})
    return out
