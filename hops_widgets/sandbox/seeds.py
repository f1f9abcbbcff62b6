"""The demo deployments a sandbox starts with (and goes back to on ``reset``)."""

from __future__ import annotations

import copy

from .machine import Blueprint, World
from .schemas import CHURN_SCHEMA

__all__ = ["BIGLLM_REASON", "seed"]

BIGLLM_REASON = "Failed to be scheduled: insufficient GPUs, 4 requested per instance and none free on any node"


def seed(world: World) -> None:
    """The four demo deployments."""
    world.add(
        Blueprint(
            "frauddetector",
            model_name="fraud_model",
            model_version=3,
            requested_instances=2,
            transformer=True,
            requested_transformer_instances=1,
            description="Scores card transactions; a transformer looks up account features",
            scaling={
                "autoscaler": "KEDA",
                "scaleMetric": "CPU",
                "target": 70,
                "scaleUpStabilizationWindowSeconds": 30,
                "scaleDownStabilizationWindowSeconds": 300,
            },
        ),
        status="Running",
    )
    world.add(
        Blueprint(
            "recommender",
            model_name="recsys",
            model_version=7,
            requested_instances=1,
            min_instances=0,
            max_instances=3,
            description="Product suggestions; scales to zero when nobody asks",
            scaling={"scaleMetric": "RPS", "target": 200, "coldStartTimeoutSeconds": 120},
        ),
        status="Running",
    )
    world.add(
        Blueprint(
            "bigllm",
            model_name="llm_chat",
            model_version=1,
            requested_instances=1,
            model_server="VLLM",
            gpus=4,
            description="A large language model asking for more GPUs than the cluster has",
        ),
        status="Failed",
        failure=("SCHEDULED", BIGLLM_REASON),
    )
    world.fail("bigllm", "SCHEDULED", BIGLLM_REASON, sticky=True)
    world.add(
        Blueprint(
            "churnmodel",
            model_name="churn",
            model_version=2,
            description="Trained, deployed, never started",
            # the seeded schema: on a deployment nobody predicts with yet, since the SDK
            # checks every prediction against a deployment's schema before sending it
            schema=copy.deepcopy(CHURN_SCHEMA),
        ),
        status="Created",
    )
