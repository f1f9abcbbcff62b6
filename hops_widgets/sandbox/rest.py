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

from .machine import Report, World

__all__ = ["serving", "serving_json", "servings"]


def serving(world: World, key: int | str) -> dict[str, Any]:
    """The serving JSON of one deployment, as the REST API sends it."""
    return serving_json(world, world.report(key))


def servings(world: World, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The serving JSON of every deployment (or of those in ``names``), all at one moment."""
    return [serving_json(world, report) for report in world.reports(names)]


def serving_json(world: World, report: Report) -> dict[str, Any]:
    """One deployment's serving JSON: the fields the backend sends, its state from ``report.view``."""
    spec, view = report.spec, report.view
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
    scaling = {
        "minInstances": spec.min_instances,
        "maxInstances": spec.max_instances if spec.max_instances is not None else max(spec.requested_instances, 1),
        "scaleMetric": "CONCURRENCY",
        "target": 100,
    }
    if spec.min_instances == 0:
        scaling["scaleToZeroRetentionSeconds"] = int(world.timing.retention_s)
    body: dict[str, Any] = {
        "id": report.id,
        "name": spec.name,
        "description": spec.description,
        "version": 1,
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
        "predictorEnvironment": {"name": "pandas-inference-pipeline"},
        "batchingConfiguration": {"batchingEnabled": False},
        "hopsworksInferencePath": f"/project/{pid}/inference/models/{spec.name}",
        "modelServerInferencePath": f"/v1/models/{spec.name}:predict",
        "internalPort": None,
        "revision": report.revision,
        "deployed": report.deployed,
        "missingMandatoryTags": [],
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
