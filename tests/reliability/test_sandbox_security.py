"""The sandbox's own guards, where tests/integration/test_security.py leaves gaps.

Already covered there (not repeated here): loopback binding by default
(``test_binds_loopback_only``), requests without the key or with a wrong one are 401 on every
endpoint and the admin API (``test_requests_without_the_key_are_401``,
``test_every_endpoint_needs_the_key``, ``test_admin_endpoints_need_the_key``), and the body cap
for bodies that declare their length (``test_body_cap``, ``test_body_cap_is_configurable``).

Added here: the cap for streamed (chunked) bodies, which carry no length, and on the admin API;
near-miss keys and keys in the wrong place; no echo of a presented key; the loopback default of
both the Python API and the CLI, and binding elsewhere only when told.
"""

from __future__ import annotations

import inspect

import pytest
import requests

from hops_widgets import sandbox
from hops_widgets.cli import build_parser

from .conftest import SECRET_KEY

API = "/hopsworks-api/api"
CAP = 1000


@pytest.fixture
def small(clock):
    with sandbox.start(clock=clock, api_key=SECRET_KEY, max_body_bytes=CAP) as handle:
        yield handle


def headers(key: str = SECRET_KEY) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}", "Content-Type": "application/json"}


def chunked(*parts: bytes):
    """A generator body: requests sends it chunked, with no Content-Length."""

    def gen():
        yield from parts

    return gen()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"{API}/project/119/serving"),
        ("POST", f"{API}/project/119/inference/models/frauddetector:predict"),
        ("POST", "/_sandbox/add_deployment"),
    ],
    ids=["serving_update", "predict", "admin"],
)
def test_streamed_body_over_the_cap_is_413(small, method, path):
    body = chunked(b'{"name": "', b"x" * 50_000, b'"}')
    r = requests.request(method, small.url + path, data=body, headers=headers(), timeout=10)
    assert r.status_code == 413, r.text
    assert r.json()["errorCode"] == 120003


def test_streamed_valid_json_padded_past_the_cap_is_not_accepted_cut(small):
    """Cut at the cap, this body would still be valid JSON: it must be refused, not half-read."""
    body = chunked(b'{"name": "sneaky"}', b" " * 50_000)
    r = requests.put(f"{small.url}{API}/project/119/serving", data=body, headers=headers(), timeout=10)
    assert r.status_code == 413
    assert "sneaky" not in small.info()["deployments"]


def test_streamed_body_at_the_cap_is_accepted(small):
    name_len = CAP - len(b'{"name": ""}')
    body = chunked(b'{"name": "', b"y" * (name_len - 1), b'z"}')
    r = requests.put(f"{small.url}{API}/project/119/serving", data=body, headers=headers(), timeout=10)
    assert r.status_code != 413, "a body of exactly the cap was refused"


def test_admin_body_with_length_over_the_cap_is_413(small):
    data = b'{"name": "' + b"y" * 5_000 + b'"}'
    r = requests.post(f"{small.url}/_sandbox/add_deployment", data=data, headers=headers(), timeout=10)
    assert r.status_code == 413
    assert len(small.info()["deployments"]) == 4


@pytest.mark.parametrize(
    "key",
    [SECRET_KEY + "x", SECRET_KEY[:-1], SECRET_KEY.upper(), SECRET_KEY[::-1], SECRET_KEY[:8], "x" + SECRET_KEY],
    ids=["suffix", "truncated", "case", "reversed", "prefix-only", "prefixed"],
)
def test_near_miss_keys_are_refused_and_not_echoed(small, key):
    r = requests.get(f"{small.url}{API}/project/119/serving", headers=headers(key), timeout=5)
    assert r.status_code == 401
    assert key not in r.text and SECRET_KEY not in r.text
    assert not any(key in v or SECRET_KEY in v for v in r.headers.values())


@pytest.mark.parametrize(
    "where",
    [
        {"params": {"api_key": SECRET_KEY}},
        {"headers": {"X-Api-Key": SECRET_KEY}},
        {"headers": {"Authorization": f"Bearer {SECRET_KEY}"}},
        {"headers": {"Authorization": SECRET_KEY}},
        {"cookies": {"apiKey": SECRET_KEY}},
    ],
    ids=["query", "x-api-key", "bearer", "bare", "cookie"],
)
def test_the_key_in_the_wrong_place_is_refused(small, where):
    r = requests.get(f"{small.url}{API}/project/119/serving", timeout=5, **where)
    assert r.status_code == 401
    assert SECRET_KEY not in r.text


def test_loopback_is_the_default_of_the_api_and_the_cli():
    assert inspect.signature(sandbox.start).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(sandbox.Sandbox).parameters["host"].default == "127.0.0.1"
    args = build_parser().parse_args(["sandbox"])
    assert args.host == "127.0.0.1"


def test_other_addresses_only_when_told(clock):
    with sandbox.start(clock=clock, host="0.0.0.0") as everywhere:
        assert everywhere._server.socket.getsockname()[0] == "0.0.0.0"
        assert everywhere.url.startswith("http://127.0.0.1:")  # what a local client should use
        r = requests.get(f"{everywhere.url}{API}/project/119/serving", timeout=5)
        assert r.status_code == 401  # listening wider never means answering without the key
