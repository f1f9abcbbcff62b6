"""Try it in real JupyterLab, Hopsworks 5.x: the body from the deployment's schema, a mismatching
body refused before Send names the field (and nothing reaches the sandbox), Copy as Python / cURL
through the clipboard or the fallback box with the key placeholder only, and a vLLM chat."""

from __future__ import annotations

import re

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView
from .e2e_notebook import DARK_THEME

pytestmark = pytest.mark.e2e

READ_CLIPBOARD = "() => navigator.clipboard.readText()"
NO_CLIPBOARD = """() => {
  // as in a page that is not a secure context, or an iframe without clipboard rights (Colab)
  Object.defineProperty(navigator, 'clipboard', {configurable: true, get: () => undefined});
}"""


def _wait_clipboard(nb, start: str) -> str:
    """The clipboard's text once it starts with ``start`` (the copy goes through the kernel first)."""
    nb.page.wait_for_function(
        "(start) => navigator.clipboard.readText().then((t) => t.startsWith(start), () => false)",
        arg=start,
        timeout=10_000,
    )
    return nb.page.evaluate(READ_CLIPBOARD)


def _labels_back(nb, view) -> None:
    """Wait until the Copy buttons read their labels again (after "Copied"), for the pictures."""
    for action, label in (("copy-python", "Copy as Python"), ("copy-curl", "Copy as cURL")):
        nb.wait_text(view.button(action), label, timeout_s=5)


def _running(open_lab, setup: str, name: str):
    """A notebook whose widget shows ``name`` Running, the clipboard allowed; and the sandbox's key."""
    nb = open_lab([SETUP + setup, f"w = hops_widgets.show(serving.get_deployment('{name}'), {POLL})"])
    nb.page.set_viewport_size({"width": 1000, "height": 1000})
    nb.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("RUNNING")
    return nb, view, nb.kernel_json("sb.api_key")


def test_try_it_from_the_schema_refuses_before_send_and_copies_without_the_key(open_lab):
    nb, view, key = _running(open_lab, "settle('churnmodel', 'start', 'Running')", "churnmodel")
    view.part(".hops-tryit summary").click()
    origin = view.part(".hops-tryit-origin")
    nb.wait_text(origin, re.compile("example from the schema"))
    assert "Checked against the deployment's schema" in origin.text_content()
    body = view.part(".hops-tryit-body")
    prefill = body.input_value()
    assert '"customer_id": 10482' in prefill and '"contract": "monthly"' in prefill, prefill
    body.evaluate("(el) => { el.rows = 11; }")  # the whole example in view for the picture
    nb.screenshot(view.root, "tryit-schema", docs=True)

    # a field of the wrong type: refused in the kernel before anything is sent, the field named
    nb.kernel_json("sb.clear_log() or 0")
    body.fill(prefill.replace('"tenure_months": 14', '"tenure_months": "fourteen"'))
    view.button("send").click()
    note = view.part(".hops-tryit-note")
    nb.page.wait_for_function("(el) => el.dataset.state === 'error'", arg=note.element_handle(), timeout=10_000)
    said = note.text_content()
    assert "instances[0].tenure_months" in said and "expected an integer" in said and "Not sent" in said, said
    assert nb.kernel_json("len(sb.requests(endpoint='predict'))") == 0
    assert '"fourteen"' in body.input_value()  # the edit stays, to be fixed
    nb.screenshot(view.root, "tryit-schema-refused", docs=True)

    # Copy as Python and as cURL: the clipboard gets the snippet with the placeholder, never the key
    nb.page.evaluate("() => navigator.clipboard.writeText('')")
    view.button("copy-python").click()
    python = _wait_clipboard(nb, "import hopsworks")
    assert "deployment.predict(data=" in python and '"tenure_months": "fourteen"' in python, python
    assert "<YOUR_API_KEY>" in python and key not in python
    view.button("copy-curl").click()
    curl = _wait_clipboard(nb, "curl ")
    assert curl.startswith("curl -X POST 'http") and ":predict'" in curl, curl
    assert "Authorization: ApiKey <YOUR_API_KEY>" in curl and key not in curl
    assert view.part(".hops-tryit-snippet").is_hidden()

    # no clipboard (not a secure context, a sandboxed iframe): the snippet in a box to select
    nb.page.evaluate(NO_CLIPBOARD)
    view.button("copy-curl").click()
    box = view.part(".hops-tryit-snippet-text")
    box.wait_for(state="visible", timeout=10_000)
    assert "clipboard is not available" in view.part(".hops-tryit-snippet-note").text_content()
    shown = box.input_value()
    assert shown == curl and key not in shown
    selected = box.evaluate("(el) => el.value.substring(el.selectionStart, el.selectionEnd)")
    assert selected == shown  # selected, ready for Ctrl+C

    # fixed: sent, answered
    body.fill(prefill)
    view.button("send").click()
    nb.page.wait_for_function("(el) => el.dataset.state === 'ok'", arg=note.element_handle(), timeout=30_000)
    assert '"predictions"' in view.part(".hops-tryit-response").text_content()
    assert nb.kernel_json("len(sb.requests(endpoint='predict'))") == 1
    _labels_back(nb, view)
    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "tryit-schema-dark", docs=True)


def test_a_vllm_deployment_chats_and_shows_its_openai_url(open_lab):
    setup = "sb.app.load_balancer = True\nsb.add_llm_deployment('chatassistant')"
    nb, view, key = _running(open_lab, setup, "chatassistant")
    openai = view.part("dd[data-field=openai] .hops-openai-url")
    nb.wait_text(openai, re.compile(r"/v1/demo/chatassistant/v1$"))
    assert openai.text_content() == nb.kernel_json("w.links['openai']")
    view.part(".hops-tryit summary").click()
    chat = view.part(".hops-tryit-chat")
    chat.wait_for(state="visible", timeout=10_000)
    assert view.part(".hops-tryit-body").is_hidden()
    assert view.part(".hops-tryit-model").input_value() == "chatassistant"
    assert "Chat (OpenAI-compatible API" in view.part(".hops-tryit-origin").text_content()
    view.part(".hops-tryit-system").fill("You are the support assistant of a bank. Answer in one sentence.")
    question = "Which documents do I need to open a savings account as a non-resident?"
    view.part(".hops-tryit-message").fill(question)
    nb.kernel_json("sb.clear_log() or 0")
    view.button("send").click()
    note = view.part(".hops-tryit-note")
    nb.page.wait_for_function("(el) => el.dataset.state === 'ok'", arg=note.element_handle(), timeout=30_000)
    reply = view.part(".hops-tryit-response").text_content()
    assert reply.startswith("Sandbox reply from chatassistant") and question[:40] in reply, reply
    assert nb.kernel_json("[r['status'] for r in sb.requests(endpoint='gateway_chat')]") == [200]
    nb.screenshot(view.root, "tryit-chat", docs=True)

    nb.page.evaluate("() => navigator.clipboard.writeText('')")
    view.button("copy-python").click()
    python = _wait_clipboard(nb, "from openai")
    assert "from openai import OpenAI" in python and openai.text_content() in python, python
    assert "non-resident" in python and "<YOUR_API_KEY>" in python and key not in python
    view.button("copy-curl").click()
    curl = _wait_clipboard(nb, "curl ")
    assert "/chat/completions'" in curl and "ApiKey <YOUR_API_KEY>" in curl and key not in curl

    # a wrong model name: the model server's refusal in plain words
    view.part(".hops-tryit-model").fill("gpt-4o")
    view.button("send").click()
    nb.page.wait_for_function("(el) => el.dataset.state === 'error'", arg=note.element_handle(), timeout=30_000)
    assert "does not exist" in note.text_content(), note.text_content()
    view.part(".hops-tryit-model").fill("chatassistant")
    view.button("send").click()
    nb.page.wait_for_function("(el) => el.dataset.state === 'ok'", arg=note.element_handle(), timeout=30_000)
    _labels_back(nb, view)
    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "tryit-chat-dark", docs=True)
