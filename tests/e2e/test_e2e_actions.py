"""The detail widget's buttons in JupyterLab: what a click shows, and what it sends.

One notebook, one sandbox in the kernel; the sandbox's request log (read from the kernel) is the
truth about what reached the server. An in-page recorder keeps every picture of the stepper and
of the buttons, so short-lived states (a step that is active for 0.75 s, a pending button) count.
"""

from __future__ import annotations

import re

import pytest

from .e2e_hops import (
    POLL,
    SETUP,
    START_PICTURES,
    STOP_PICTURES,
    ButtonRecorder,
    DeploymentView,
    assert_matches_kernel,
    runs,
    save_trace,
    traits_of,
)

pytestmark = pytest.mark.e2e

NAME = "frauddetector"
# What reached the server: the action of every POST .../serving/<id>?action=...
ACTIONS = f'[r["query"] for r in sb.requests(endpoint="serving_action", deployment="{NAME}")]'


def test_start_stop_buttons_confirm_double_click_history(open_lab):
    nb = open_lab(
        [
            SETUP + f'settle("{NAME}", "stop", "Stopped")',
            # hidden_s: extra cells below must not slow the widget down if it scrolls away
            f'd = serving.get_deployment("{NAME}")\nw = hops_widgets.show(d, {POLL}, hidden_s=0.5)',
        ]
    )
    nb.run_all()
    view = DeploymentView.wait(nb, 1)
    nb.wait_cells_done()
    view.wait_status("STOPPED")
    assert view.button("start").is_enabled() and view.button("stop").is_disabled()
    assert nb.kernel_json(ACTIONS) == [], "settle() goes through the scenario API, not the REST API"

    dialogs: list[tuple[str, str]] = []
    answer = {"accept": False}

    def on_dialog(dialog):
        dialogs.append((dialog.type, dialog.message))
        if answer["accept"]:
            dialog.accept()
        else:
            dialog.dismiss()

    nb.page.on("dialog", on_dialog)

    # -- Start: every step of the stepper, in order; the button is pending until the state moves
    view.record()
    buttons = ButtonRecorder(view)
    view.button("start").click()
    running = view.wait_status("RUNNING", timeout_s=30)
    log, blog = view.stop_recording(), buttons.stop()
    trace = save_trace("lab-actions-start", log)
    assert runs(s.steps for s in log) == list(START_PICTURES), f"stepper sequence:\n{trace}"
    assert runs(s.badge for s in log) == ["Stopped", "Starting", "Running"], trace
    assert runs(s.status for s in log) == ["STOPPED", "STARTING", "RUNNING"], trace
    assert all(s.tone == "info" for s in log if s.status == "STARTING"), trace
    assert running.tone == "ok" and running.badge == "Running"
    assert dialogs == [], "Start must not ask for confirmation"

    assert blog[0]["status"] == "STOPPED" and blog[0]["start"]["disabled"] is False, blog
    clicked = next(i for i, b in enumerate(blog) if b["start"]["disabled"])
    assert blog[clicked]["status"] == "STOPPED", f"the click did not disable Start at once: {blog}"
    # From the click on, Start is never clickable again (a second START cannot be sent) ...
    assert all(b["start"]["disabled"] for b in blog[clicked:]), blog
    # ... it is marked pending (dashed, aria-busy) while the status has not moved yet ...
    pending = [b for b in blog if b["start"]["pending"]]
    assert pending, f"Start never showed hops-pending: {blog}"
    assert all(b["status"] == "STOPPED" and b["start"]["busy"] == "true" for b in pending), blog
    # ... and no longer once it has: no pending picture after the first STARTING one.
    moved = next(i for i, b in enumerate(blog) if b["status"] != "STOPPED")
    assert not any(b["start"]["pending"] for b in blog[moved:]), blog
    assert nb.kernel_json(ACTIONS) == ["action=START"]
    assert_matches_kernel(view, nb.kernel_json(traits_of("w")))

    # -- Stop, dismissed in the confirm dialog: nothing is sent, nothing changes --------------
    view.record()
    view.button("stop").click()
    assert len(dialogs) == 1 and dialogs[0][0] == "confirm" and NAME in dialogs[0][1], dialogs
    nb.page.wait_for_timeout(1000)  # polls every 0.2 s: a stop would show by now
    log = view.stop_recording()
    assert {s.status for s in log} == {"RUNNING"}, save_trace("lab-actions-dismissed", log)
    assert view.button("stop").is_enabled(), "a dismissed Stop must leave the button usable"
    assert "hops-pending" not in (view.button("stop").get_attribute("class") or "")
    assert nb.kernel_json(ACTIONS) == ["action=START"], "a dismissed confirm dialog sent a request"
    assert nb.kernel_json("w.pending_action") == ""

    # -- Stop, accepted: the stop path to Stopped -----------------------------------------
    answer["accept"] = True
    view.record()
    view.button("stop").click()
    stopped = view.wait_status("STOPPED", timeout_s=20)
    log = view.stop_recording()
    trace = save_trace("lab-actions-stop", log)
    assert len(dialogs) == 2 and NAME in dialogs[1][1], dialogs
    assert runs(s.steps for s in log) == list(STOP_PICTURES), f"stop path:\n{trace}"
    assert runs(s.badge for s in log) == ["Running", "Stopping", "Stopped"], trace
    assert stopped.tone == "off" and stopped.predictor == "0 of 2 pods" and stopped.transformer == "0 of 1 pod"
    assert nb.kernel_json(ACTIONS) == ["action=START", "action=STOP"]

    # -- A fast double click on Start sends one START -------------------------------------
    nb.kernel_json("sb.set_speed(4)")
    view.record()
    view.button("start").dblclick()
    view.wait_status("RUNNING", timeout_s=20)
    log = view.stop_recording()
    trace = save_trace("lab-actions-double-click", log)
    assert runs(s.status for s in log) == ["STOPPED", "STARTING", "RUNNING"], trace
    nb.page.wait_for_timeout(300)
    assert nb.kernel_json(ACTIONS) == ["action=START", "action=STOP", "action=START"], "double click"
    assert len(dialogs) == 2

    # -- History: the timeline of phases with durations, and the sparkline ------------------
    history = view.part("details.hops-history")
    assert history.evaluate("d => d.open") is False, "History starts closed"
    assert not view.part(".hops-timeline").is_visible()
    history.locator("summary").click()
    assert history.evaluate("d => d.open") is True
    kernel = nb.kernel_json(
        "dict(history=[dict(status=h['status'], label=h['label'], d=h['duration_s']) for h in w.history], "
        "series=[v for _, v in w.instance_series])"
    )
    phases = kernel["history"]
    events = view.part(".hops-timeline > .hops-event")
    assert events.first.is_visible()
    shown = events.evaluate_all(
        """els => els.map(e => ({status: e.dataset.status,
                               label: e.querySelector('.hops-event-label').textContent,
                               duration: e.querySelector('.hops-event-duration').textContent,
                               time: e.querySelector('.hops-event-time').textContent}))"""
    )
    # Newest first, one entry per status (start, stop, start): the condition steps sit inside each.
    assert [e["status"] for e in shown] == [p["status"] for p in reversed(phases)], shown
    walk = ["STOPPED", "STARTING", "RUNNING", "STOPPING", "STOPPED", "STARTING", "RUNNING"]
    assert [p["status"] for p in phases] == walk, phases
    assert shown[0]["duration"] == "so far" and phases[-1]["d"] is None
    for event, phase in zip(shown[1:], list(reversed(phases))[1:], strict=True):
        assert re.fullmatch(r"\d+(\.\d)? s", event["duration"]), event
        assert abs(float(event["duration"][:-2]) - phase["d"]) <= 0.5, (event, phase)  # 1 decimal under 10 s
        assert re.search(r"\d{1,2}:\d{2}:\d{2}", event["time"]), event
    # A start walks four steps: each Starting entry lists them, with the time the status lasted.
    starting = view.part('.hops-timeline > .hops-event[data-status="STARTING"]')
    assert starting.count() == 2
    for i in range(2):
        labels = starting.nth(i).locator(".hops-event-step").all_inner_texts()
        assert len(labels) >= 4 and any("Ready" in t for t in labels), labels  # four Unknowns (no True before READY)
    assert all(p["d"] > 0 for p in phases if p["status"] == "STARTING"), phases
    stopping = view.part('.hops-timeline > .hops-event[data-status="STOPPING"]').first.inner_text()
    assert "Releasing resources" in stopping and "Scheduled" not in stopping, stopping
    summary = history.locator("summary").inner_text()
    assert summary == f"History ({len(phases)} statuses)", summary

    spark = view.part(".hops-sparkline")
    assert spark.is_visible()
    points = spark.locator("polyline.hops-chart-line").get_attribute("points") or ""
    coords = [tuple(float(v) for v in p.split(",")) for p in points.split()]
    assert len(coords) >= 2 * len(kernel["series"]) - 1, (points, kernel["series"])
    assert all(0 <= x <= 200 and 0 <= y <= 40 for x, y in coords), points
    assert [x for x, _ in coords] == sorted(x for x, _ in coords), "time must run left to right"
    # One height per instance count: 0, 1 and 2 instances were all seen.
    assert len({y for _, y in coords}) == len(set(kernel["series"])) >= 3, (points, kernel["series"])
    label = spark.get_attribute("aria-label") or ""
    assert label.endswith(", ".join(str(v) for v in kernel["series"])), (label, kernel["series"])
    nb.screenshot(view.root, "widget-history-open")
