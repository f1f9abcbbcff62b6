"""The demo deployments a sandbox starts with (and goes back to on ``reset``)."""

from __future__ import annotations

from .machine import Blueprint, World

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
        Blueprint("churnmodel", model_name="churn", model_version=2, description="Trained, deployed, never started"),
        status="Created",
    )
