"""Shared test settings: CI turns skips of browser and SDK tests into failures."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("HOPS_WIDGETS_CI") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip locally when ``condition`` is false; fail in CI, where nothing may silently skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    """Loopback traffic must never go through a proxy from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
