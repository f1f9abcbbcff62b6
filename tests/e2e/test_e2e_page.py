"""The deployment page in real JupyterLab: resources and endpoints with and without a transformer,
Restart walking stop then start, Try it on an idle deployment showing its cold start and the
response, and the done-while-elsewhere title and notification, only while the page is hidden."""

from __future__ import annotations

import re

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView

pytestmark = pytest.mark.e2e

LONG_NAME = "customerLifetimeValueForecasterEuWestProductionV2release0001"  # 60 characters
PLAIN_NAME = "fraud-scoring-without-transformer-eu-west-production-v2-0001"  # 60 characters
LONG_MODEL = "customer_lifetime_value_gradient_boosting_v2"
IDLE_NAME = "recommendations-scale-to-zero-eu-west-production-cold-v2-001"  # 60 characters


def accept_dialogs(nb) -> list[str]:
    seen: list[str] = []

    def on_dialog(dialog):
        seen.append(dialog.message)
        dialog.accept()

    nb.page.on("dialog", on_dialog)
    return seen


def no_empty_words(text: str) -> None:
    for word in ("None", "undefined", "null", "NaN"):
        assert not re.search(rf"\b{word}\b", text), f"{word!r} shown: {text}"


def test_resources_and_endpoints_with_and_without_a_transformer(open_lab):
    assert len(LONG_NAME) == len(PLAIN_NAME) == 60
    nb = open_lab(
        [
            SETUP.replace("speed=1", "speed=4")
            + f"sb.add_deployment({LONG_NAME!r}, model_name={LONG_MODEL!r}, model_version=12, "
            "requested_instances=3, min_instances=0, max_instances=4, transformer=True, status='Running')\n"
            f"sb.add_deployment({PLAIN_NAME!r}, model_name={LONG_MODEL!r}, model_version=3, status='Running')",
            f"d = serving.get_deployment({LONG_NAME!r})\nw = hops_widgets.show(d, {POLL})",
            f"p = serving.get_deployment({PLAIN_NAME!r})\npw = hops_widgets.show(p, {POLL})",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 900})
    nb.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    for i in range(3):
        nb.run_cell(i)
    view = DeploymentView.wait(nb, 1)
    plain = DeploymentView.wait(nb, 2)
    view.wait_status("RUNNING")
    plain.wait_status("RUNNING")

    # resource allocation: collapsed by default, a column per component
    box = view.part(".hops-resources")
    assert box.is_visible() and box.get_attribute("open") is None
    assert not view.part(".hops-resources-table").is_visible()
    assert "0.5 cores, 512 MB" in box.locator("summary").text_content()
    box.locator("summary").click()
    heads = view.part(".hops-resources-table thead th").all_text_contents()
    assert heads == ["", "Predictor", "Transformer"], heads
    rows = {
        r.locator("th").text_content(): r.locator("td").all_text_contents()
        for r in view.part(".hops-resources-table tbody tr").all()
    }
    assert rows["Pods (exist / requested)"] == ["3 exist / 3 requested", "1 exist / 1 requested"], rows
    assert rows["Min – max instances"] == ["0 – 4", "1 – 1"]
    assert rows["Scale on"] == ["CONCURRENCY, target 100", ""]  # the transformer sends no metric: empty, not None
    assert rows["Scale to zero after"][0].endswith("s without requests")
    assert rows["Cores (request / limit)"] == ["0.5 / 2", "0.25 / 1"]
    assert rows["Memory (request / limit)"] == ["512 / 2048 MB", "256 / 1024 MB"]
    no_empty_words(view.root.text_content())

    plain.part(".hops-resources summary").click()
    assert plain.part(".hops-resources-table thead th").all_text_contents() == ["", "Predictor"]
    plain_rows = plain.part(".hops-resources-table tbody th").all_text_contents()
    assert "Scale to zero after" not in plain_rows  # min 1: the server sends no retention
    no_empty_words(plain.root.text_content())

    # endpoints and identity
    kernel = nb.kernel_json("dict(ui=d.get_url(), inference=d.get_inference_url(), id=d.id)")
    ui = view.part("a.hops-open-ui")
    assert ui.get_attribute("href") == kernel["ui"] and kernel["ui"].endswith(f"/p/119/deployments/{kernel['id']}")
    assert ui.get_attribute("target") == "_blank" and "noopener" in ui.get_attribute("rel")
    assert view.part(".hops-inference-url").text_content() == kernel["inference"]
    model = view.part("a.hops-model-link")
    assert model.text_content() == f"{LONG_MODEL} v12"
    assert model.get_attribute("href").endswith(f"/p/119/models/{LONG_MODEL}/12")
    fields = dict(
        zip(
            view.part(".hops-endpoints dt:not([hidden])").all_text_contents(),
            view.part(".hops-endpoints dd:not([hidden])").all_text_contents(),
            strict=True,
        )
    )
    assert fields["Model server"] == "PYTHON" and fields["Serving tool"] == "KSERVE"
    assert fields["API protocol"] == "REST" and fields["Environment"] == "pandas-inference-pipeline"
    view.part('button[data-action="copy-url"]').click()
    assert nb.page.evaluate("() => navigator.clipboard.readText()") == kernel["inference"]
    sizes = view.root.evaluate("(el) => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert sizes["scroll"] <= sizes["client"] + 1, sizes
    nb.screenshot(view.root, "page-resources", docs=True)

    from .e2e_notebook import DARK_THEME

    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "page-resources-dark", docs=True)


def test_restart_walks_stop_then_start(open_lab):
    nb = open_lab([SETUP, f'w = hops_widgets.show(serving.get_deployment("frauddetector"), {POLL})'])
    dialogs = accept_dialogs(nb)
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("RUNNING")
    restart = view.button("restart")
    assert restart.is_enabled() and restart.text_content() == "Restart"
    view.record()
    restart.click()
    view.wait_status("STOPPING", timeout_s=20)
    assert not restart.is_enabled()
    view.wait_until(lambda s: s.status == "RUNNING" and "READY:done" in s.steps, "running again", timeout_s=60)
    log = view.stop_recording()
    assert len(dialogs) == 1 and "Restart frauddetector?" in dialogs[0], dialogs
    statuses = [s.status for i, s in enumerate(log) if i == 0 or log[i - 1].status != s.status]
    assert statuses[0] == "RUNNING" and "STOPPING" in statuses and "STARTING" in statuses, statuses
    assert statuses.index("STOPPING") < statuses.index("STARTING") and statuses[-1] == "RUNNING"
    # the stepper showed the stop path, then the start path
    stop_steps = [s.steps for s in log if "SCHEDULED" in s.steps and "STOPPED:" in s.steps]
    start_steps = [s.steps for s in log if "READY:" in s.steps]
    assert stop_steps and start_steps, [s.steps for s in log]
    actions = nb.kernel_json('[r["query"] for r in sb.requests(endpoint="serving_action")]')
    assert actions == ["action=STOP", "action=START"], actions
    assert restart.is_enabled()


def test_try_it_on_an_idle_deployment_shows_the_cold_start(open_lab):
    nb = open_lab(
        [
            SETUP + f"sb.add_deployment({IDLE_NAME!r}, model_name='recsys', status='Idle', min_instances=0)",
            f"w = hops_widgets.show(serving.get_deployment({IDLE_NAME!r}), {POLL})",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 900})
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    idle = view.wait_status("IDLE")
    assert idle.predictor == "0 of 1 pod"
    panel = view.part(".hops-tryit")
    assert panel.get_attribute("open") is None  # collapsed until asked for
    panel.locator("summary").click()
    body = view.part(".hops-tryit-body")
    assert body.input_value() == '{"instances": [[1.0, 2.0, 3.0, 4.0]]}'
    body.fill('{"instances": [[5, 6, 7, 8], [1, 2, 3, 4]]}')
    view.record()
    view.button("send").click()
    note = view.part(".hops-tryit-note")
    waiting = note.text_content()
    assert "cold start" in waiting, waiting
    # a cold start goes Idle -> Running (the service stays ready; no Starting): the request waits meanwhile
    assert not view.button("send").is_enabled()
    nb.screenshot(view.root, "page-try-it-cold", docs=True)  # the request waits while the instance wakes
    nb.page.wait_for_function("(el) => el.dataset.state === 'ok'", arg=note.element_handle(), timeout=30_000)
    log = view.stop_recording()
    response = view.part(".hops-tryit-response").text_content()
    assert '"predictions"' in response and response.count("0.5") == 2, response
    done = note.text_content()
    assert done.startswith("answered in") and "including the cold start" in done, done
    latency = nb.kernel_json("w.tryit_result['latency_ms']")
    assert latency >= 1500, latency  # 3 sandbox seconds of cold start at speed 1
    predictors = [s.predictor for s in log]
    assert "0 of 1 pod" in predictors and "1 of 1 pod" in predictors
    assert predictors.index("0 of 1 pod") < predictors.index("1 of 1 pod")
    assert "STARTING" not in [s.status for s in log]  # a cold start: Idle straight to Running
    view.wait_status("RUNNING")
    nb.screenshot(view.root, "page-try-it", docs=True)
    # the last body sent is the next widget's prefill
    assert nb.kernel_json("w.tryit_body") == '{"instances": [[5, 6, 7, 8], [1, 2, 3, 4]]}'

    from .e2e_notebook import DARK_THEME

    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "page-try-it-dark", docs=True)


HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
SHOW = """() => {
  delete document.visibilityState; delete document.hidden;
  document.dispatchEvent(new Event('visibilitychange'));
}"""
FAKE_NOTIFICATION = """() => {
  window.__notes = [];
  class FakeNotification {
    constructor(title, options) { window.__notes.push({title, body: options && options.body}); }
    static requestPermission() { FakeNotification.permission = 'granted'; return Promise.resolve('granted'); }
  }
  FakeNotification.permission = 'default';
  window.Notification = FakeNotification;
}"""


def test_done_while_elsewhere_only_when_hidden(open_lab):
    nb = open_lab([SETUP, f'w = hops_widgets.show(serving.get_deployment("frauddetector"), {POLL})'])
    accept_dialogs(nb)
    nb.run_cell(0)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("RUNNING")
    nb.page.evaluate(FAKE_NOTIFICATION)
    title = nb.page.title()

    # visible: an action ends, nothing is said (a slow stop, so the opt-in is clicked while it runs)
    nb.kernel_json("sb.set_speed(0.25)")
    view.button("stop").click()
    view.wait_status("STOPPING", timeout_s=20)
    opt_in = view.part('button[data-action="notify"]')
    assert opt_in.is_visible()
    opt_in.click()  # the user allows notifications once
    view.wait_until(lambda s: s.status == "STOPPED", "stopped", timeout_s=30)
    nb.kernel_json("sb.set_speed(1)")
    nb.page.wait_for_timeout(500)
    assert nb.page.title() == title
    assert nb.page.evaluate("() => window.__notes") == []

    # hidden: the next one is told in the title and a notification
    view.button("start").click()
    view.wait_status("STARTING", timeout_s=20)
    nb.page.evaluate(HIDE)
    view.wait_until(lambda s: s.status == "RUNNING" and "READY:done" in s.steps, "running", timeout_s=60)
    nb.page.wait_for_function("() => document.title.startsWith('✓ frauddetector: Running')", timeout=10_000)
    notes = nb.page.evaluate("() => window.__notes")
    assert notes == [{"title": "Start ended", "body": "frauddetector: Running"}], notes
    nb.page.evaluate(SHOW)
    nb.page.wait_for_function("(t) => document.title === t", arg=title, timeout=10_000)
