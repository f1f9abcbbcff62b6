"""Fixtures for running the real hopsworks SDK against a fresh TLS sandbox.

``sdk_project`` yields a logged-in SDK project (certificate verified against
the sandbox's own CA) and logs out afterwards; ``sdk_sandbox`` is the handle
to script it. The environment is pinned so the tests behave the same on any
machine and in parallel: no proxies, no ``HOPSWORKS_*`` or ``REST_ENDPOINT``
from outside, the python engine, and a certificate folder of the test's own.
"""

from __future__ import annotations

import os
import time

import pytest

from hops_widgets import sandbox
from tests.conftest import require

SDK_SPEED = 200.0  # a start takes ~26 ms, a stop ~10 ms
SDK_MAX_SLEEP_S = 0.05  # the SDK's await loops sleep 5 s between polls; here they nap


class _NappingTime:
    """Stands in for the ``time`` module inside the SDK's serving engine: short sleeps, real clocks."""

    def __init__(self, max_sleep_s: float) -> None:
        self.max_sleep_s = max_sleep_s
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(min(seconds, self.max_sleep_s))

    def __getattr__(self, name: str):
        return getattr(time, name)


@pytest.fixture
def sdk_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("HOPSWORKS_") or name in ("REST_ENDPOINT", "DEPLOYMENT_NAME"):
            monkeypatch.delenv(name)
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("HOPSWORKS_ENGINE", "python")
    cert_folder = tmp_path / "hopsworks-certs"
    monkeypatch.setenv("HOPSWORKS_CERT_FOLDER", str(cert_folder))
    return cert_folder


def import_sdk():
    """``(hopsworks, serving_engine)``; skips the test locally if the SDK is missing, fails it in CI."""
    try:
        import hopsworks
        from hsml.engine import serving_engine
    except ImportError as exc:
        require(False, f"the hopsworks SDK cannot be imported: {exc}")
    return hopsworks, serving_engine


@pytest.fixture
def hopsworks_sdk(sdk_env, monkeypatch):
    """The ``hopsworks`` module, its await loops made quick; logs out afterwards."""
    hopsworks, serving_engine = import_sdk()
    napping = _NappingTime(SDK_MAX_SLEEP_S)
    monkeypatch.setattr(serving_engine, "time", napping)
    hopsworks.sdk_naps = napping  # for tests that check the SDK really polled
    yield hopsworks
    try:
        hopsworks.logout()
    except Exception:  # noqa: BLE001 - a test that failed half-way must not hide its own error
        pass


@pytest.fixture
def sdk_sandbox():
    """A fresh seeded TLS sandbox, fast enough that the SDK sees Running at its first poll."""
    with sandbox.start(tls=True, speed=SDK_SPEED) as handle:
        yield handle


@pytest.fixture
def sdk_project(hopsworks_sdk, sdk_sandbox):
    """A project logged in with the real SDK, verifying the sandbox certificate with its CA."""
    project = hopsworks_sdk.login(**sdk_sandbox.sdk_login_kwargs())
    yield project
    hopsworks_sdk.logout()
