"""Fixtures for the conformance suite: a real sandbox on 127.0.0.1, spoken to over real HTTP.

``sb`` runs on a :class:`ManualClock` (states change when a test moves time);
``owner`` and ``scientist`` are raw ``requests`` sessions with the Data Owner's and
the Data Scientist's keys. The SDK fixtures come from ``tests/sdk/conftest.py``.
"""

from __future__ import annotations

import pytest
import requests

from hops_widgets import sandbox
from hops_widgets.sandbox import ManualClock, Timing
from tests.sdk.conftest import hopsworks_sdk, sdk_env, sdk_project, sdk_sandbox  # noqa: F401 - fixtures

API = "/hopsworks-api/api"
PID = 119
T = Timing()


class Rest:
    """A raw session on the sandbox's REST API with one role's key."""

    def __init__(self, sb, key: str | None) -> None:
        self.sb = sb
        self.session = requests.Session()
        self.session.trust_env = False
        if key is not None:
            self.session.headers["Authorization"] = f"ApiKey {key}"

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        base = "" if path.startswith("/v1/") or path.startswith("/_sandbox/") else API
        return self.session.request(method, f"{self.sb.url}{base}{path}", **kwargs)

    def serving(self, name: str) -> dict:
        response = self("GET", f"/project/{PID}/serving", params={"name": name})
        assert response.status_code == 200, response.text
        return response.json()

    def action(self, name: str, action: str) -> requests.Response:
        ident = self.sb.deployment(name)["id"]
        return self("POST", f"/project/{PID}/serving/{ident}", params={"action": action})

    def logs(self, name: str, **params) -> requests.Response:
        ident = self.sb.deployment(name)["id"]
        return self("GET", f"/project/{PID}/serving/{ident}/logs", params=params)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sb(clock):
    with sandbox.start(clock=clock) as handle:
        yield handle


@pytest.fixture
def owner(sb):
    rest = Rest(sb, sb.api_keys["data_owner"])
    yield rest
    rest.close()


@pytest.fixture
def scientist(sb):
    rest = Rest(sb, sb.api_keys["data_scientist"])
    yield rest
    rest.close()


@pytest.fixture
def anonymous(sb):
    rest = Rest(sb, None)
    yield rest
    rest.close()
