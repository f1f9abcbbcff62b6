"""Integration fixtures: a real sandbox on loopback, and the built-in client talking to it.

Most tests drive a :class:`ManualClock` so state changes happen when the test
says so, with no sleeping. Tests of the client's own waiting (``start(await_running=...)``)
use the real clock at a high speed factor instead.
"""

from __future__ import annotations

import pytest
import requests

from hops_widgets import sandbox
from hops_widgets.sandbox import ManualClock

API = "/hopsworks-api/api"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sb(clock):
    """A seeded HTTP sandbox whose time moves only with ``sb.advance(seconds)``."""
    with sandbox.start(clock=clock, api_key="test-key-0123456789") as handle:
        yield handle


@pytest.fixture
def fast_sb():
    """A seeded HTTP sandbox on the real clock, 200 times faster than life (a start takes ~26 ms)."""
    with sandbox.start(speed=200, api_key="fast-key-0123456789") as handle:
        yield handle


@pytest.fixture
def tls_sb(clock):
    with sandbox.start(tls=True, clock=clock, api_key="tls-key-0123456789") as handle:
        yield handle


@pytest.fixture
def project(sb):
    with sb.login(timeout=5) as proj:
        yield proj


@pytest.fixture
def serving(project):
    return project.get_model_serving()


@pytest.fixture
def http(sb):
    """A raw requests session with the sandbox key, for checking the wire format itself."""
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"ApiKey {sb.api_key}"
    yield RawApi(session, sb.url)
    session.close()


class RawApi:
    def __init__(self, session: requests.Session, url: str) -> None:
        self.session = session
        self.url = url

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, f"{self.url}{API}{path}", **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self("POST", path, **kwargs)
