"""Try it over real HTTP with the built-in client: the body from the deployment's schema, bodies
checked before anything is sent, snippets that work once a key is put in, and a vLLM chat."""

from __future__ import annotations

import itertools
import json
import shlex
import time

import pytest
import requests

from hops_widgets import _schema
from hops_widgets.sandbox import schemas as sandbox_schemas
from hops_widgets.widget import NO_OPENAI_URL, DeploymentDetail


def wait(condition, limit_s: float = 10.0):
    deadline = time.monotonic() + limit_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def detail():
    made: list[DeploymentDetail] = []

    def make(deployment, *, opened: bool = True, **options) -> DeploymentDetail:
        widget = DeploymentDetail(deployment, **options)
        made.append(widget)
        if opened:  # what the view sends when its Try it panel is opened
            wait(lambda: widget.state is not None)
            widget.commands()["tryit_open"]({})
            wait(lambda: widget.tryit_info)
        return widget

    yield make
    for widget in made:
        widget.close()


def _all_traits(widget) -> str:
    return json.dumps({name: getattr(widget, name) for name in widget.trait_names(sync=True)}, default=str)


def test_the_body_starts_from_the_schemas_example_and_the_schema_is_read_once(fast_sb, detail):
    with fast_sb.login(timeout=5) as project:
        fast_sb.clear_log()
        churn = project.get_model_serving().get_deployment("churnmodel")
        first = detail(churn)
        assert first.tryit_info == {"mode": "predict", "schema": True, "origin": "example", "note": ""}
        assert json.loads(first.tryit_body) == sandbox_schemas.CHURN_SCHEMA["example"]
        second = detail(churn)  # another widget of the same deployment and version
        time.sleep(0.3)  # several polls
        assert second.tryit_info["origin"] == "example"
        reads = fast_sb.requests(endpoint="serving_schema")
        assert len(reads) == 1 and "format=jsonschema" in reads[0]["query"]
        assert reads[0]["status"] == 200


def test_a_panel_never_opened_reads_no_schema_until_predict_needs_it(fast_sb, detail):
    with fast_sb.login(timeout=5) as project:
        fast_sb.clear_log()
        churn = project.get_model_serving().get_deployment("churnmodel")
        widget = detail(churn, opened=False)
        wait(lambda: widget.state is not None)
        time.sleep(0.3)  # several polls
        assert fast_sb.requests(endpoint="serving_schema") == []
        assert widget.tryit_info == {}
        # a body sent in code is still checked: the schema is read then, once
        with pytest.raises(RuntimeError, match="does not match the deployment's schema"):
            widget.predict({"instances": [{"tenure_months": "fourteen"}]})
        assert len(fast_sb.requests(endpoint="serving_schema")) == 1


def test_without_an_example_a_minimal_body_is_generated(fast_sb, detail):
    doc = {k: v for k, v in sandbox_schemas.FRAUD_SCHEMA.items() if k != "example"}
    fast_sb.set_schema("frauddetector", doc)
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("frauddetector"))
        assert widget.tryit_info["origin"] == "generated"
        assert json.loads(widget.tryit_body) == {"instances": [{"cc_num": 0, "amount": 0.0, "category": ""}]}
        answer = widget.predict(widget.tryit_body).result(10)
        assert answer["ok"], answer  # the generated body is one the model server takes


def test_an_invalid_body_is_refused_before_sending_naming_the_field(fast_sb, detail):
    fast_sb.start_deployment("churnmodel")
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("churnmodel"))
        wait(lambda: widget.status == "RUNNING")
        fast_sb.clear_log()
        body = {
            "instances": [{"customer_id": 10482, "tenure_months": "fourteen", "monthly_charges": 59.9, "contract": "x"}]
        }
        with pytest.raises(Exception) as info:
            widget.predict(json.dumps(body))
        assert "instances[0].tenure_months" in str(info.value) and "expected an integer" in str(info.value)
        assert "Not sent" in str(info.value)
        assert fast_sb.requests(endpoint="predict") == []  # nothing reached the server
        assert widget.tryit_pending is False
        # the panel's path: the channel's reply carries the same words
        handler = widget.commands()["predict"]
        with pytest.raises(Exception, match="tenure_months"):
            handler({"body": json.dumps(body)})
        good = widget.predict(json.dumps(sandbox_schemas.CHURN_SCHEMA["example"])).result(10)
        assert good["ok"] and len(fast_sb.requests(endpoint="predict")) == 1
        # asked for in code: sent anyway, and the server is the judge
        unchecked = widget.predict(body, check_schema=False).result(10)
        assert len(fast_sb.requests(endpoint="predict")) == 2 and unchecked["seq"] == good["seq"] + 1


def test_no_schema_is_no_error_and_nothing_is_checked(fast_sb, detail):
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("recommender"))
        assert widget.tryit_info == {"mode": "predict", "schema": False, "origin": "", "note": ""}
        assert widget.error == "" and widget.request_schema is None
        assert json.loads(widget.tryit_body) == {"instances": [[1.0, 2.0, 3.0, 4.0]]}
        (read,) = fast_sb.requests(endpoint="serving_schema")
        assert read["status"] == 404


def test_an_older_backend_has_no_schema_endpoint(fast_sb, detail):
    fast_sb.app.hopsworks_version = "5.1.0"
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("churnmodel"))
        assert widget.tryit_info["schema"] is False and widget.error == ""
        assert "instances" in json.loads(widget.tryit_body)


def test_a_body_sent_before_wins_over_the_schema_prefill(fast_sb, detail):
    fast_sb.start_deployment("churnmodel")
    with fast_sb.login(timeout=5) as project:
        churn = project.get_model_serving().get_deployment("churnmodel")
        first = detail(churn)
        wait(lambda: first.status == "RUNNING")
        mine = {"instances": [{"customer_id": 7, "tenure_months": 1, "monthly_charges": 9.5, "contract": None}]}
        assert first.predict(mine).result(10)["ok"]
        later = detail(churn)
        assert json.loads(later.tryit_body) == mine and later.tryit_info["origin"] == ""


def _run_curl(text: str, key: str, ca) -> requests.Response:
    """Do what the cURL snippet says, with the placeholder replaced by a real key."""
    words = shlex.split(text.replace("\\\n", " "))
    headers = dict(w.split(": ", 1) for i, w in enumerate(words) if i and words[i - 1] == "-H")
    headers = {k: v.replace(_schema.KEY_PLACEHOLDER, key) for k, v in headers.items()}
    url = next(w for w in words if w.startswith(("https://", "http://")))
    data = words[words.index("--data-raw") + 1]
    return requests.post(url, data=data.encode(), headers=headers, verify=ca, timeout=10)


def test_snippets_carry_no_key_and_work_once_one_is_put_in(tls_sb, detail):
    tls_sb.start_deployment("churnmodel")
    tls_sb.advance(60)
    with tls_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("churnmodel"))
        python = widget.snippet("python")
        curl = widget.commands()["snippet"]({"kind": "curl"})["text"]
        for text in (python, curl):
            assert tls_sb.api_key not in text and _schema.KEY_PLACEHOLDER in text
        assert "deployment.predict(data=" in python and "10482" in python
        compile(python, "snippet", "exec")
        answer = _run_curl(curl, tls_sb.api_key, tls_sb.ca_path)
        assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1
        edited = widget.snippet("curl", '{"instances": [{"customer_id": 1}, {"customer_id": 2}]}')
        assert '"customer_id":2' in edited
        with pytest.raises(Exception, match="not valid JSON"):
            widget.snippet("python", "{nope")
        with pytest.raises(Exception, match="'python' or 'curl'"):
            widget.snippet("powershell")
        assert tls_sb.api_key not in _all_traits(widget)


def test_a_vllm_deployment_gets_a_streamed_chat(fast_sb, detail):
    fast_sb.app.load_balancer = True
    fast_sb.add_llm_deployment()
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("chatassistant"))
        assert widget.tryit_info["mode"] == "chat" and widget.tryit_info["openai"] is True
        assert widget.tryit_info["model"] == "chatassistant"
        assert widget.links["openai"].endswith("/v1/demo/chatassistant/v1")
        seen: list[str] = []
        widget.observe(lambda change: seen.append(change["new"]), "tryit_stream")
        result = widget.chat("hello there", system="Answer briefly.").result(10)
        assert result["ok"] and result["text"] == "Sandbox reply from chatassistant: you said 'hello there'."
        assert widget.tryit_stream == result["text"] and seen[-1] == result["text"]
        (sent,) = fast_sb.requests(endpoint="gateway_chat")
        assert sent["status"] == 200
        # the chat snippets: the OpenAI URL, the model, the messages, and the placeholder only
        python = widget.snippet("python", message="hello there", system="Answer briefly.")
        curl = widget.snippet("curl", message="hello there")
        for text in (python, curl):
            assert fast_sb.api_key not in text and _schema.KEY_PLACEHOLDER in text and widget.links["openai"] in text
        assert "client.chat.completions.create(" in python and "'Answer briefly.'" not in python
        assert '"Answer briefly."' in python
        reply = _run_curl(curl, fast_sb.api_key, None)
        assert reply.status_code == 200 and "data: [DONE]" in reply.text
        assert fast_sb.api_key not in _all_traits(widget)


def test_chat_errors_in_plain_words(fast_sb, detail):
    fast_sb.app.load_balancer = True
    fast_sb.add_llm_deployment()
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("chatassistant"))
        wrong = widget.chat("hi", model="gpt-nothing").result(10)
        assert not wrong["ok"] and "does not exist" in wrong["error"] and "HTTP 404" in wrong["error"]
        with pytest.raises(Exception, match="Write a message first"):
            widget.chat("   ")
        fast_sb.stop_deployment("chatassistant")
        wait(lambda: widget.status in ("STOPPING", "STOPPED"))
        gone = widget.chat("anyone there?").result(10)
        assert not gone["ok"] and "is the deployment running" in gone["error"]


def test_without_an_ingress_gateway_the_chat_says_why(fast_sb, detail):
    fast_sb.app.load_balancer = False
    fast_sb.add_llm_deployment()
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("chatassistant"))
        assert widget.tryit_info["mode"] == "chat" and widget.tryit_info["openai"] is False
        assert widget.tryit_info["note"] == NO_OPENAI_URL and "openai" not in widget.links
        with pytest.raises(Exception, match="no OpenAI-compatible URL"):
            widget.snippet("python", message="hi")
        failed = widget.chat("hi").result(10)
        assert not failed["ok"] and "no OpenAI-compatible URL" in failed["error"]
        assert fast_sb.requests(endpoint="gateway_chat") == []
        with pytest.raises(Exception, match="not served by vLLM"):
            fraud = detail(project.get_model_serving().get_deployment("frauddetector"))
            fraud.chat("hi")


def test_a_slow_reply_reaches_the_view_as_it_grows(fast_sb, detail, monkeypatch):
    """The model writes for a second: the view sees the reply grow, in a few messages, not one per token."""
    from hops_widgets import _models

    fast_sb.app.load_balancer = True
    fast_sb.add_llm_deployment()
    real_chat = _models.Deployment.chat

    def slow(self, body, *, on_text=None, timeout_s=120.0):
        def told(text):
            time.sleep(0.01)  # a token every 10 ms
            on_text(text)

        return real_chat(self, body, on_text=told, timeout_s=timeout_s)

    monkeypatch.setattr(_models.Deployment, "chat", slow)
    question = " ".join(f"word{i}" for i in range(60))
    with fast_sb.login(timeout=5) as project:
        widget = detail(project.get_model_serving().get_deployment("chatassistant"))
        seen: list[str] = []
        widget.observe(lambda change: seen.append(change["new"]), "tryit_stream")
        result = widget.chat(question).result(20)
        assert result["ok"]
        grown = [text for text in seen if text]
        assert len(grown) >= 3, grown  # the reply arrived in parts
        assert all(a != b and b.startswith(a) for a, b in itertools.pairwise(grown)), grown
        assert grown[-1] == result["text"]
        assert len(grown) < 60  # throttled: far fewer messages than tokens
