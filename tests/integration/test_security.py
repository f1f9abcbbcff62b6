"""API key checks, body cap, loopback binding, TLS with the run's own CA, and keys kept out of sight."""

from __future__ import annotations

import socket
import warnings

import pytest
import requests

from hops_widgets import errors, sandbox
from hops_widgets.client import InsecureConnectionWarning, login

API = "/hopsworks-api/api"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 200003),
        ({"Authorization": "Bearer test-key-0123456789"}, 200003),
        ({"Authorization": "ApiKey wrong-key"}, 320012),
        ({"Authorization": "ApiKey "}, 320012),
    ],
)
def test_requests_without_the_key_are_401(sb, headers, code):
    r = requests.get(f"{sb.url}{API}/project/119/serving", headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.json()["errorCode"] == code
    assert r.headers["WWW-Authenticate"].startswith("ApiKey")
    assert sb.api_key not in r.text


def test_every_endpoint_needs_the_key(sb):
    paths = ["/variables/versions", "/project", "/project/getProjectInfo/demo", "/project/119/serving/1"]
    for path in paths:
        assert requests.get(f"{sb.url}{API}{path}", timeout=5).status_code == 401, path


def test_admin_endpoints_need_the_key(sb):
    r = requests.post(f"{sb.url}/_sandbox/reset", timeout=5)
    assert r.status_code == 401
    r = requests.post(f"{sb.url}/_sandbox/http_error", headers={"Authorization": "ApiKey nope"}, timeout=5)
    assert r.status_code == 401
    assert sb.faults() == []


def test_wrong_key_login_is_authentication_error_without_the_key(sb):
    secret = "definitely-wrong-key-987654"
    with pytest.raises(errors.AuthenticationError) as info:
        login(url=sb.url, project="demo", api_key=secret)
    assert info.value.status_code == 401
    assert info.value.error_code == 320012
    assert secret not in str(info.value)
    assert secret not in repr(info.value)
    assert secret not in str(info.value.response.request.headers)


def test_key_never_in_reprs_or_errors(sb, serving, project):
    d = serving.get_deployment("frauddetector")
    for obj in (sb, project, serving, d, d.resources, d.transformer, project._client):
        assert sb.api_key not in repr(obj)
    sb.http_error(500, message=f"leaked ApiKey {sb.api_key} here", times=1)
    with pytest.raises(errors.ServerError) as info:
        d.get_state()
    assert sb.api_key not in str(info.value)
    assert d._hops_widgets_secrets == (sb.api_key,)
    assert errors.explain(info.value, d._hops_widgets_secrets).count(sb.api_key) == 0


def test_body_cap(sb):
    headers = {"Authorization": f"ApiKey {sb.api_key}", "Content-Type": "application/json"}
    big = b'{"name": "' + b"x" * (sandbox.app.MAX_BODY_BYTES + 10) + b'"}'
    r = requests.put(f"{sb.url}{API}/project/119/serving", data=big, headers=headers, timeout=10)
    assert r.status_code == 413
    assert r.json()["errorCode"] == 120003
    small = requests.put(f"{sb.url}{API}/project/119/serving", json={"name": "okone"}, headers=headers, timeout=5)
    assert small.status_code == 201


def test_body_cap_is_configurable(clock):
    with sandbox.start(clock=clock, max_body_bytes=100) as sb:
        headers = {"Authorization": f"ApiKey {sb.api_key}"}
        r = requests.put(f"{sb.url}{API}/project/119/serving", json={"name": "y" * 200}, headers=headers, timeout=5)
        assert r.status_code == 413


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_binds_loopback_only(sb):
    assert sb.host == "127.0.0.1"
    assert sb._server.socket.getsockname()[0] == "127.0.0.1"
    assert sb.url.startswith("http://127.0.0.1:")
    other = _non_loopback_address()
    if other is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError), socket.create_connection((other, sb.port), timeout=1):
        pass


def test_port_zero_picks_distinct_free_ports(clock):
    with sandbox.start(clock=clock) as a, sandbox.start(clock=clock) as b:
        assert a.port != b.port and a.port > 0


def test_tls_verified_with_the_run_ca(tls_sb):
    assert tls_sb.url.startswith("https://")
    with open(tls_sb.ca_path, "rb") as handle:
        assert handle.read().startswith(b"-----BEGIN CERTIFICATE-----")
    with tls_sb.login(verify=tls_sb.ca_path) as project:
        assert project.get_model_serving().get_deployment("frauddetector").get_state().status == "RUNNING"


def test_tls_without_the_ca_is_certificate_error(tls_sb):
    with pytest.raises(errors.CertificateError) as info:
        login(url=tls_sb.url, project="demo", api_key=tls_sb.api_key, verify=True)
    assert "verify=" in str(info.value)
    assert isinstance(info.value, errors.ConnectionFailed)


def test_verify_false_is_explicit_and_warns(tls_sb):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with login(url=tls_sb.url, project="demo", api_key=tls_sb.api_key, verify=False) as project:
            serving = project.get_model_serving()
            assert serving.get_deployment("recommender") is not None
            assert len(serving.list_states()) == 4
    ours = [w for w in caught if issubclass(w.category, InsecureConnectionWarning)]
    assert len(ours) == 1
    assert "verification is off" in str(ours[0].message)
    assert [w for w in caught if "Unverified HTTPS" in str(w.message)] == []  # not repeated per request


def test_a_failed_handshake_does_not_block_other_clients(tls_sb):
    stalled = socket.create_connection(("127.0.0.1", tls_sb.port), timeout=2)
    try:
        stalled.sendall(b"GET / HTTP/1.1\r\n\r\n")  # plain HTTP to a TLS port
        with tls_sb.login() as project:
            assert project.name == "demo"
    finally:
        stalled.close()


def test_plain_http_client_to_tls_port(tls_sb):
    with pytest.raises(errors.HopsError):
        login(url=tls_sb.url.replace("https", "http"), project="demo", api_key=tls_sb.api_key, timeout=2)


def test_connection_refused_is_connection_failed(clock):
    sb = sandbox.start(clock=clock)
    url = sb.url
    sb.stop()
    with pytest.raises(errors.ConnectionFailed) as info:
        login(url=url, project="demo", api_key="whatever-key", timeout=2)
    assert "refused" in str(info.value)


def test_stop_joins_every_thread(clock):
    import threading

    before = set(threading.enumerate())
    sb = sandbox.start(clock=clock, tls=True)
    with sb.login() as project:
        project.get_model_serving().list_states()
    ca_path = sb.ca_path
    sb.stop()
    sb.stop()  # twice is fine
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == []
    assert not sb.running
    import os

    assert not os.path.exists(ca_path)
