"""Actions called in code on the real SDK's objects reach the widgets once ``enable()`` ran."""

from __future__ import annotations

import time

import pytest

import hops_widgets

pytestmark = pytest.mark.sdk


def wait_until(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout_s} s"
        time.sleep(0.01)


def test_sdk_start_in_code_makes_the_widget_poll_fast(sdk_project, sdk_sandbox):
    hops_widgets.enable()
    sdk_sandbox.set_speed(2)  # a start of a few seconds: long enough to see Starting
    ms = sdk_project.get_model_serving()
    shown = ms.get_deployment("churnmodel")
    w = shown.show(display=False, stable_s=60, hidden_s=60)  # no poll of its own for a minute
    try:
        assert w.status == "CREATED" and w.polling == "hidden"
        polls = w.poller.polls
        other = ms.get_deployment("churnmodel")  # another SDK object of the same deployment
        other.start(await_running=0)
        wait_until(lambda: w.status == "STARTING", 5, "the widget showing Starting")
        assert w.polling == "fast" and w.poller.polls > polls
        assert sdk_sandbox.status("churnmodel") in ("Starting", "Running")
    finally:
        w.close()


def test_enable_wraps_each_sdk_action_once_and_keeps_its_signature():
    from hsml.deployment import Deployment

    hops_widgets.enable()
    hops_widgets.enable()  # twice: still one wrapper
    for name in ("start", "stop"):
        method = getattr(Deployment, name)
        inner = method._hops_widgets_wraps
        assert not hasattr(inner, "_hops_widgets_wraps")
        assert method.__wrapped__ is inner and method.__name__ == name
