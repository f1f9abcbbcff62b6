"""Try it with the real hopsworks SDK (5.2.1) on the sandbox: the schema through ``deployment.schema``,
bodies checked before the SDK sends them, and a vLLM deployment's chat through the SDK's own client."""

from __future__ import annotations

import json
import time

import pytest

from hops_widgets import _schema, _sdk
from hops_widgets.widget import DeploymentDetail


def _sdk_has(name: str) -> None:
    from hsml.deployment import Deployment

    if not hasattr(Deployment, name):
        pytest.skip(f"this hopsworks SDK has no Deployment.{name}")


def wait(condition, limit_s: float = 10.0):
    deadline = time.monotonic() + limit_s
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def test_the_schema_read_through_the_sdk_is_its_own_rendering(sdk_project):
    _sdk_has("schema")
    serving = sdk_project.get_model_serving()
    churn = serving.get_deployment("churnmodel")
    schema = _sdk.request_schema(churn)
    assert schema == churn.schema.to_json_schema()["request"]
    assert "oneOf" in schema["properties"]["instances"]  # rows as objects or as arrays, the SDK's contract
    assert _sdk.request_schema(serving.get_deployment("recommender")) is None  # no schema: None, no error


def test_the_widget_on_an_sdk_deployment_prefills_and_refuses_before_the_sdk_sends(sdk_project, sdk_sandbox):
    _sdk_has("schema")
    sdk_sandbox.start_deployment("churnmodel")
    churn = sdk_project.get_model_serving().get_deployment("churnmodel")
    widget = DeploymentDetail(churn)
    try:
        wait(lambda: widget.status == "RUNNING")
        widget.commands()["tryit_open"]({})  # what the view sends when its Try it panel opens
        wait(lambda: widget.tryit_info)
        # the SDK's schema document carries no example: the body is generated from its JSON Schema
        assert widget.tryit_info == {"mode": "predict", "schema": True, "origin": "generated", "note": ""}
        body = json.loads(widget.tryit_body)
        assert body == {"instances": [{"customer_id": 0, "tenure_months": 0, "monthly_charges": 0.0, "contract": ""}]}
        sdk_sandbox.clear_log()
        bad = {"instances": [{"customer_id": 1, "tenure_months": 2, "monthly_charges": "cheap", "contract": None}]}
        with pytest.raises(Exception, match=r"instances\[0\]\.monthly_charges: expected a number"):
            widget.predict(bad)
        assert sdk_sandbox.requests(path_contains=":predict") == []
        answer = widget.predict(body).result(30)
        assert answer["ok"], answer
        assert len(sdk_sandbox.requests(path_contains=":predict")) == 1
        python = widget.snippet("python")
        assert 'get_deployment("churnmodel")' in python and _schema.KEY_PLACEHOLDER in python
        assert sdk_sandbox.api_key not in python + widget.snippet("curl")
    finally:
        widget.close()


def test_a_vllm_chat_through_the_sdks_own_client(hopsworks_sdk, sdk_sandbox):
    _sdk_has("get_openai_url")
    sdk_sandbox.app.load_balancer = True  # the SDK builds the URL from the ingress gateway it is given
    sdk_sandbox.add_llm_deployment()
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    llm = project.get_model_serving().get_deployment("chatassistant")
    widget = DeploymentDetail(llm)
    try:
        wait(lambda: widget.tryit_info.get("mode") == "chat")
        assert widget.links["openai"] == llm.get_openai_url()
        sdk_sandbox.clear_log()
        result = widget.chat("how are you?", system="Be brief.").result(30)
        assert result["ok"] and "how are you?" in result["text"], result
        (sent,) = sdk_sandbox.requests(endpoint="gateway_chat")
        assert sent["status"] == 200 and sent["role"] == "data_owner"  # the SDK's key went with it
        traits = json.dumps({n: getattr(widget, n) for n in widget.trait_names(sync=True)}, default=str)
        assert sdk_sandbox.api_key not in traits
        snippet = widget.snippet("python", message="how are you?")
        assert llm.get_openai_url() in snippet and sdk_sandbox.api_key not in snippet
    finally:
        widget.close()


def test_the_sdk_chat_checks_the_gateways_certificate(hopsworks_sdk, sdk_sandbox):
    """The SDK's istio client reads hostname_verification only as the string "true"; the chat must not
    inherit that: it verifies with the CA given at login, and fails on an untrusted certificate."""
    _sdk_has("get_openai_url")
    import warnings

    from urllib3.exceptions import InsecureRequestWarning

    sdk_sandbox.app.load_balancer = True
    sdk_sandbox.add_llm_deployment()
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    llm = project.get_model_serving().get_deployment("chatassistant")
    body = _schema.chat_body("chatassistant", "hi", stream=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureRequestWarning)
        assert "you said 'hi'" in _sdk.chat(llm, body)
    from hopsworks_common import client

    rest = client._get_instance()
    trusted = rest._verify
    rest._verify = True  # the system's CAs only: the sandbox's own CA is not among them
    try:
        with pytest.raises(Exception, match=r"(?i)certificate"):
            _sdk.chat(llm, body)
    finally:
        rest._verify = trusted
