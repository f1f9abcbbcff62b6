"""Versions and rollback in real JupyterLab (Hopsworks 5.2): the Versions section lists every version,
newest first, the active one marked and what changed from the one before; Roll back on an older one
asks first and is followed live, Updating then Running, with the active version moving; a Data
Scientist's rollback and one the cluster refuses while starting are said in plain words."""

from __future__ import annotations

import re

import pytest

from .e2e_hops import POLL, SETUP, DeploymentView, runs, save_trace
from .e2e_notebook import DARK_THEME

pytestmark = pytest.mark.e2e

LONG_NAME = "customerLifetimeValueForecasterEuWestProductionV2release0001"  # 60 characters
LONG_MODEL = "customer_lifetime_value_gradient_boosting_v2"
# three versions: the first, a new model version, then more instances, a GPU and another scale metric
VERSIONS = (
    f"sb.add_deployment({LONG_NAME!r}, model_name={LONG_MODEL!r}, model_version=12, requested_instances=2, "
    "max_instances=4, transformer=True, status='Stopped')\n"
    f"sb.update_deployment({LONG_NAME!r}, new_version=True, model_version=13)\n"
    f"sb.update_deployment({LONG_NAME!r}, new_version=True, max_instances=6, gpus=1, "
    "scaling={'scaleMetric': 'RPS', 'target': 200})\n"
    f"settle({LONG_NAME!r}, 'start', 'Running', speed=2)"
)


def accept_dialogs(nb) -> list[str]:
    seen: list[str] = []

    def on_dialog(dialog):
        seen.append(dialog.message)
        dialog.accept()

    nb.page.on("dialog", on_dialog)
    return seen


def versions_read(nb) -> int:
    return nb.kernel_json("len(sb.requests(endpoint='serving_versions'))")


def no_empty_words(text: str) -> None:
    for word in ("None", "undefined", "null", "NaN"):
        assert not re.search(rf"\b{word}\b", text), f"{word!r} shown: {text}"


def test_versions_listed_and_a_rollback_followed_live_light_and_dark(open_lab):
    assert len(LONG_NAME) == 60
    nb = open_lab(
        [
            SETUP.replace("speed=1", "speed=2") + VERSIONS,
            f"d = serving.get_deployment({LONG_NAME!r})\nw = hops_widgets.show(d, {POLL})",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 1100})
    nb.run_cell(0)
    nb.wait_cells_done(timeout_s=60)
    nb.run_cell(1)
    view = DeploymentView.wait(nb, 1)
    view.wait_status("RUNNING")

    # the section is there, closed, and nothing is read while it stays closed
    box = view.part(".hops-versions")
    assert box.is_visible() and box.get_attribute("open") is None
    assert view.part(".hops-versions summary").text_content() == "Versions"
    assert versions_read(nb) == 0

    view.part(".hops-versions summary").click()
    view.part(".hops-version").nth(2).wait_for(timeout=20_000)
    assert view.part(".hops-version-number").all_text_contents() == ["v3", "v2", "v1"]
    active = view.part('.hops-version[data-active="true"]')
    assert active.count() == 1 and active.get_attribute("data-version") == "3"
    assert active.locator(".hops-version-active").text_content() == "active"
    assert view.part(".hops-versions-brief").text_content() == " · v3 active · 3 versions"
    v3 = view.part('.hops-version[data-version="3"] .hops-version-changes li').all_text_contents()
    assert "predictor instances 1–4 → 1–6" in v3 and "predictor resources: GPUs 0 → 1, limit GPUs 0 → 1" in v3, v3
    assert any(line.startswith("predictor scaling: metric CONCURRENCY → RPS, target 100 → 200") for line in v3), v3
    v2 = view.part('.hops-version[data-version="2"] .hops-version-changes li').all_text_contents()
    assert v2[0] == "model v12 → v13", v2
    assert view.part('.hops-version[data-version="1"] .hops-version-changes li').all_text_contents() == [
        "first version"
    ]
    assert "created" in view.part('.hops-version[data-version="1"] .hops-version-time').text_content()
    assert view.part('.hops-version[data-version="2"] .hops-version-model').text_content() == f"{LONG_MODEL} v13"
    # Roll back on the older ones only
    assert view.part('.hops-version[data-version="3"] button').count() == 0
    assert view.part("button[data-action=rollback]").count() == 2
    assert versions_read(nb) == 1
    no_empty_words(view.part(".hops-versions").text_content())
    sizes = view.root.evaluate("(el) => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert sizes["scroll"] <= sizes["client"] + 1, sizes
    nb.screenshot(view.root, "versions", docs=True)

    # Roll back to v1: asked first, then followed live through Updating to Running, v1 active
    said = accept_dialogs(nb)
    view.record()
    view.part('.hops-version[data-version="1"] button[data-action=rollback]').click()
    view.wait_until(lambda s: s.status == "UPDATING", "Updating", timeout_s=20)
    view.wait_status("RUNNING", timeout_s=30)
    log = view.stop_recording()
    trace = save_trace("lab-versions-rollback", log)
    assert runs(s.status for s in log)[-3:] == ["RUNNING", "UPDATING", "RUNNING"], trace
    assert len(said) == 1 and said[0].startswith(f"Roll {LONG_NAME} back to version 1?"), said
    nb.wait_attr(view.part('.hops-version[data-version="1"]'), "data-active", "true", timeout_s=20)
    assert view.part('.hops-version[data-version="3"]').get_attribute("data-active") == "false"
    assert view.part(".hops-versions-brief").text_content() == " · v1 active · 3 versions"
    assert view.part(".hops-model").first.text_content() == f"{LONG_MODEL} v12"  # the header follows the version
    posts = '[(r["method"], r["status"]) for r in sb.requests(endpoint="serving_rollback")]'
    assert nb.kernel_json(posts) == [["POST", 200]]
    assert nb.kernel_json("w.action_error") == ""

    # a rollback the cluster refuses (500 / 240002: it starts or stops) is said in plain words
    nb.kernel_json(
        "sb.http_error(500, endpoint='serving_rollback', error_code=240002, times=1, "
        "message='The deployment is starting and cannot be rolled back yet.') and 1"
    )
    view.part('.hops-version[data-version="2"] button[data-action=rollback]').click()
    notice = view.part(".hops-action-error")
    notice.wait_for(state="visible", timeout=20_000)
    text = view.part(".hops-action-error .hops-action-text").text_content()
    assert text.startswith("Rollback refused. The cluster does not roll back a deployment while it"), text
    assert notice.get_attribute("data-kind") == "lifecycle"
    assert view.snapshot().status == "RUNNING"
    assert view.part('.hops-version[data-version="2"] button[data-action=rollback]').is_enabled()

    nb.set_theme(DARK_THEME)
    nb.screenshot(view.root, "versions-dark", docs=True)


def test_a_data_scientists_rollback_is_refused_in_plain_words(open_lab):
    nb = open_lab(
        [
            SETUP
            + VERSIONS.replace("speed=2", "speed=1")
            + "\nds = sb.login(role='data_scientist').get_model_serving()",
            f"w = hops_widgets.show(ds.get_deployment({LONG_NAME!r}), {POLL})",
        ]
    )
    nb.page.set_viewport_size({"width": 1000, "height": 1400})
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done(timeout_s=60)
    view.wait_status("RUNNING")
    view.part(".hops-versions summary").click()  # reading is allowed to the role
    view.part(".hops-version").nth(2).wait_for(timeout=20_000)

    said = accept_dialogs(nb)
    view.part('.hops-version[data-version="2"] button[data-action=rollback]').click()
    notice = view.part(".hops-action-error")
    notice.wait_for(state="visible", timeout=20_000)
    text = view.part(".hops-action-error .hops-action-text").text_content()
    assert "Your role in this project cannot start or stop deployments" in text and "Rollback" in text, text
    assert notice.get_attribute("data-kind") == "forbidden" and len(said) == 1
    # every action of the project is off, the Roll back buttons too; the deployment did not move
    for b in view.part("button[data-action=rollback]").all():
        assert b.is_disabled() and "cannot change deployments" in b.get_attribute("title")
    assert view.button("stop").is_disabled()
    posts = '[r["status"] for r in sb.requests(endpoint="serving_rollback")]'
    assert nb.kernel_json(posts) == [403]
    assert view.snapshot().status == "RUNNING"
    assert view.part('.hops-version[data-active="true"]').get_attribute("data-version") == "3"
    nb.screenshot(view.root, "versions-forbidden")
