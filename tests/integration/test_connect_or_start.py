"""connect_or_start: which sandbox a notebook gets, and what it says about options it cannot apply."""

from __future__ import annotations

import pytest

from hops_widgets import sandbox
from hops_widgets.sandbox import ENV_CA, ENV_KEY, ENV_PROJECT, ENV_URL, RemoteSandbox, Sandbox


@pytest.fixture
def no_env(monkeypatch):
    for name in (ENV_URL, ENV_KEY, ENV_PROJECT, ENV_CA):
        monkeypatch.delenv(name, raising=False)


def test_options_a_running_sandbox_cannot_take_are_named(sb, monkeypatch, capsys):
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    handle = sandbox.connect_or_start(speed=5, project="demo", port=1234)
    try:
        assert isinstance(handle, RemoteSandbox) and handle.speed == sb.speed == 1
        out = capsys.readouterr().out
        assert f"Using the sandbox at {sb.url}" in out and "(speed 1x)" in out
        assert "Not applied" in out and "speed=5 (it runs with 1.0)" in out and "port=1234" in out
        assert "project=" not in out  # it matches: nothing to report
        assert sb.api_key not in out
    finally:
        handle.stop()


def test_nothing_to_report_when_the_options_match(sb, monkeypatch, capsys):
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    sandbox.connect_or_start(speed=1).stop()
    assert "Not applied" not in capsys.readouterr().out


def test_quiet_prints_nothing(sb, monkeypatch, capsys):
    for name, value in sb.env().items():
        monkeypatch.setenv(name, value)
    sandbox.connect_or_start(speed=5, quiet=True).stop()
    assert capsys.readouterr().out == ""


def test_a_second_call_in_one_process_reuses_the_sandbox(no_env, capsys):
    first = sandbox.connect_or_start(speed=5)
    try:
        assert isinstance(first, Sandbox) and first.speed == 5
        assert "Started a sandbox in this process" in capsys.readouterr().out
        assert sandbox.connect_or_start(speed=5) is first  # a notebook run twice in one kernel
        assert "started earlier in this process" in capsys.readouterr().out
        other = sandbox.connect_or_start(speed=10)  # other options: a sandbox of its own
        try:
            assert other is not first and other.speed == 10
        finally:
            other.stop()
    finally:
        first.stop()
    again = sandbox.connect_or_start(speed=5)  # the first one stopped: a new one
    try:
        assert again is not first and again.running
    finally:
        again.stop()
