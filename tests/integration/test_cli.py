"""The ``hops-widgets`` command: help text, the sandbox command end to end, and the demo wiring."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest

from hops_widgets import cli
from hops_widgets.client import login
from hops_widgets.sandbox import ENV_CA, ENV_KEY, ENV_PROJECT, ENV_URL


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["sandbox", "demo"])
def test_help_documents_every_option(command):
    sub = _subparsers(cli.build_parser())[command]
    text = sub.format_help()
    options = [opt for action in sub._actions for opt in action.option_strings if opt.startswith("--")]
    assert len(options) >= 5
    for action in sub._actions:
        assert action.help, f"{action.option_strings} has no help"
        for opt in action.option_strings:
            assert opt in text


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "sandbox" in out and "demo" in out


@pytest.mark.parametrize(
    "argv",
    [["sandbox", "--speed", "0"], ["sandbox", "--speed", "fast"], ["sandbox", "--port", "70000"], []],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2


def _run_in_thread(args):
    out = io.StringIO()
    stop = threading.Event()
    codes = []
    thread = threading.Thread(target=lambda: codes.append(cli.run_sandbox(args, out=out, stop=stop)))
    thread.start()
    deadline = time.monotonic() + 5
    while "Press Ctrl-C" not in out.getvalue() and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    return out, stop, thread, codes


def test_sandbox_command_prints_what_is_needed_to_connect():
    args = cli.build_parser().parse_args(["sandbox", "--speed", "4", "--api-key", "cli-key-123456", "--tls"])
    out, stop, thread, codes = _run_in_thread(args)
    try:
        text = out.getvalue()
        url = re.search(r"URL\s+(https://127\.0\.0\.1:\d+)", text).group(1)
        ca = re.search(r"CA file\s+(\S+)", text).group(1)
        assert "cli-key-123456" in text
        assert "project   demo (id 119)" in text
        assert "hopsworks.login(" in text and "hops_widgets.login(" in text
        assert f"export {ENV_URL}={url}" in text
        with login(url=url, project="demo", api_key="cli-key-123456", verify=ca) as project:
            assert project.get_model_serving().get_deployment("frauddetector") is not None
    finally:
        stop.set()
        thread.join(5)
    assert codes == [0]
    assert out.getvalue().rstrip().endswith("Sandbox stopped.")


def test_sandbox_command_reports_a_busy_port(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = cli.build_parser().parse_args(["sandbox", "--port", str(port)])
        assert cli.run_sandbox(args, out=io.StringIO()) == 1
    assert "Cannot listen" in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_real_command_stops_on_ctrl_c_and_signals(signum, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPS_WIDGETS_SANDBOX", "HOPSWORKS_"))}
    env["TMPDIR"] = str(tmp_path)  # where --tls puts its CA: must be gone afterwards
    process = subprocess.Popen(
        [sys.executable, "-m", "hops_widgets.cli", "sandbox", "--no-seed", "--tls"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        assert any(line.strip().startswith("URL") for line in lines)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("hops-sandbox-")]
        process.send_signal(signum)
        rest = process.communicate(timeout=10)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Sandbox stopped." in rest
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_the_sandbox_even_when_started_with_sigint_ignored(tmp_path):
    """A shell's background job inherits SIGINT ignored; the command must still stop on it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPS_WIDGETS_SANDBOX", "HOPSWORKS_"))}
    env["TMPDIR"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "hops_widgets.cli", "sandbox", "--no-seed"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # what a shell does to a background job
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    try:
        for line in process.stdout:
            if "Press Ctrl-C" in line:
                break
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=10)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Sandbox stopped." in rest


class FakeJupyter:
    instances: ClassVar[list[FakeJupyter]] = []
    pid = 2**22 + 12345  # above Linux's pid_max: no such process, and none below it

    def __init__(self, command, env=None, **kwargs):
        self.command = command
        self.env = env
        self.terminated = False
        self.interrupt = FakeJupyter.interrupt_next
        self.sandbox_url = env[ENV_URL]
        FakeJupyter.instances.append(self)

    interrupt_next = False

    def wait(self, timeout=None):
        # the sandbox must be up while JupyterLab runs
        with login(
            url=self.env[ENV_URL], project=self.env[ENV_PROJECT], api_key=self.env[ENV_KEY], verify=self.env[ENV_CA]
        ) as project:
            self.seen = [s.name for s in project.get_model_serving().list_states()]
        if self.interrupt and not self.terminated:
            raise KeyboardInterrupt
        return 0

    def poll(self):
        return 0 if self.terminated or not self.interrupt else None

    def terminate(self):
        self.terminated = True


@pytest.fixture
def fake_jupyter(monkeypatch, tmp_path):
    FakeJupyter.instances = []
    FakeJupyter.interrupt_next = False
    monkeypatch.setattr(cli.subprocess, "Popen", FakeJupyter)
    monkeypatch.setattr(cli, "wait_until_serving", lambda *args, **kwargs: True)
    notebook = tmp_path / "guide.ipynb"
    notebook.write_text("{}")
    return notebook


@pytest.mark.parametrize("interrupt", [False, True])
def test_demo_runs_jupyter_with_the_sandbox_in_its_env(fake_jupyter, interrupt, monkeypatch):
    FakeJupyter.interrupt_next = interrupt
    monkeypatch.setenv("HOPSWORKS_API_KEY", "someone-elses-real-key")
    args = cli.build_parser().parse_args(["demo", "--notebook", str(fake_jupyter), "--no-browser", "--port", "8899"])
    out = io.StringIO()
    assert cli.run_demo(args, out=out) == 0
    (proc,) = FakeJupyter.instances
    assert proc.command[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={fake_jupyter.parent}" in proc.command
    assert "--no-browser" in proc.command and "--port=8899" in proc.command
    token = proc.env["JUPYTER_TOKEN"]
    assert len(token) >= 32 and token not in " ".join(proc.command)  # in the environment, not in `ps`
    assert f"http://127.0.0.1:8899/lab/tree/guide.ipynb?token={token}" in out.getvalue()
    assert proc.seen == ["frauddetector", "recommender", "bigllm", "churnmodel"]
    env = proc.env
    assert env[ENV_URL].startswith("https://127.0.0.1:")
    assert env["HOPSWORKS_HOST"] == "127.0.0.1"
    assert env["HOPSWORKS_API_KEY"] == env[ENV_KEY] != "someone-elses-real-key"
    assert env["HOPSWORKS_ENGINE"] == "python"
    assert "127.0.0.1" in env["NO_PROXY"]
    import hops_widgets

    assert os.path.dirname(os.path.dirname(hops_widgets.__file__)) in env["PYTHONPATH"].split(os.pathsep)
    assert proc.terminated is interrupt
    port = int(env[ENV_URL].rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):  # the sandbox stopped with JupyterLab
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert not os.path.exists(env[ENV_CA])


def test_demo_without_the_notebook(capsys, fake_jupyter):
    args = cli.build_parser().parse_args(["demo", "--notebook", "no/such.ipynb"])
    assert cli.run_demo(args, out=io.StringIO()) == 1
    assert "not found" in capsys.readouterr().err
    assert FakeJupyter.instances == []


# ------------------------------------------------------------------ the real demo: address, signals, cleanup
def _real_demo(tmp_path, **options):
    pytest.importorskip("jupyterlab")
    from tests.e2e.e2e_servers import DemoProcess

    guide = os.path.join(os.path.dirname(cli.__file__), os.pardir, cli.DEMO_NOTEBOOK)
    demo = DemoProcess(tmp_path / "demo", tmp_path / "logs", [Path(guide).resolve()], Path(guide).name)
    demo.start(**options)
    return demo


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_demo_ends_everything_on_a_signal(tmp_path, signum):
    # a stand-in browser ($BROWSER): it writes down the address it is asked to open
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    demo = _real_demo(tmp_path, browser=f"{browser} %s")
    try:
        # the printed address opens the guide itself, not the Launcher, and it is the one opened
        assert demo.guide_url.startswith(f"http://127.0.0.1:{demo.port}/lab/tree/inspect_deployment_state.ipynb?token=")
        status, _ = demo.rest.request("GET", "/lab/tree/inspect_deployment_state.ipynb", timeout=30)
        assert status == 200
        deadline = time.monotonic() + 20
        while not (opened.exists() and opened.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text().strip() == demo.guide_url
        # a kernel, as a reader's Run All starts one; JupyterLab starts it in a session of its own
        status, body = demo.rest.request("POST", "/api/kernels", timeout=60)
        assert status == 201, body
        kernel_id = json.loads(body)["id"]
        deadline = time.monotonic() + 60
        while len(demo.processes()) < 3 and time.monotonic() < deadline:  # demo, JupyterLab, kernel
            time.sleep(0.2)
        time.sleep(2)  # let the kernel get past its imports (a signal during them is handled too, more noisily)
        before = demo.processes()
        assert len(before) >= 3, demo.output
        assert any(name.startswith("hops-demo-certs-") for name in demo.temp_folders())
        assert any(name.startswith("hops-sandbox-") for name in demo.temp_folders())
        code = demo.signal(signum)
        leftover = demo.processes()
        folders = [n for n in demo.temp_folders() if n.startswith("hops-")]
    finally:
        demo.stop()
    assert code == 0, demo.output
    assert leftover == [], f"still running after {signum.name}: {leftover} (kernel {kernel_id})"
    assert folders == [], f"left behind after {signum.name}: {folders}"
    assert f"{signum.name} received" in demo.output and "Sandbox stopped." in demo.output


# ------------------------------------------------------------------ --scenario
def _cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOPS_WIDGETS_SANDBOX", "HOPSWORKS_"))}
    env["TMPDIR"] = str(tmp_path)
    return env


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_sandbox_command_plays_a_scenario_and_prints_each_step(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "hops_widgets.cli", "sandbox", "--no-seed", "--scenario", "lesson", "--speed", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_cli_env(tmp_path),
        cwd=_REPO,
    )
    watchdog = threading.Timer(30, process.kill)  # a line that never comes must not hang the test
    watchdog.start()
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "lessonidle:" in line:  # the first note of the second chapter's request, at 40 s
                break
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=10)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
    text = "\n".join(lines)
    assert process.returncode == 0, err
    assert "Playing the scenario 'Every status and condition of a deployment' (lesson.json)" in text
    for chapter in ("start", "scale-to-zero", "update", "stop", "failures"):
        assert re.search(rf"^    {re.escape(chapter)} +\d+ s to +\d+ s  \S", text, re.M), chapter
    assert text.index("Playing the scenario") < text.index("Press Ctrl-C") < text.index("[   0.0 s]")
    assert "[   6.0 s] lessonstart: Start it: SCHEDULED in progress" in text
    assert "[  24.0 s] Chapter scale-to-zero: Scale to zero, and a cold start" in text
    assert re.search(r"^\[  40\.0 s\] lessonidle: A request arrives", text, re.M)
    stamps = [float(m) for m in re.findall(r"^\[ *([\d.]+) s\]", text, re.M)]
    assert stamps == sorted(stamps) and len(stamps) >= 10
    assert "Sandbox stopped." in rest and err == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scenario", "lessn"], r"^hops-widgets: No built-in scenario named 'lessn'; the built-in ones are: lesson"),
        (["--scenario", "BROKEN"], r"^hops-widgets: .*broken\.json: not valid JSON at line 2, column \d+: "),
        (["--scenario", "UNKNOWN_OP"], r"^hops-widgets: .*op\.json, step 1 \(teleport\): unknown operation"),
        (["--scenario", "lesson", "--chapter", "nope"], r"^hops-widgets: lesson\.json: no chapter 'nope'"),
        (["--chapter", "start"], r"^hops-widgets: --chapter needs --scenario"),
        (["--scenario", "missing/file.json"], r"^hops-widgets: No scenario file at missing/file\.json"),
    ],
)
def test_a_bad_scenario_exits_2_with_one_line_and_starts_nothing(tmp_path, arguments, message):
    (tmp_path / "broken.json").write_text('{"title": "x",\n  "steps": [1,,]}')
    (tmp_path / "op.json").write_text('{"steps": [{"at": 1, "do": "teleport", "name": "x"}]}')
    paths = {"BROKEN": str(tmp_path / "broken.json"), "UNKNOWN_OP": str(tmp_path / "op.json")}
    arguments = [paths.get(a, a) for a in arguments]
    for command in ("sandbox", "demo", "dashboard"):
        result = subprocess.run(
            [sys.executable, "-m", "hops_widgets.cli", command, *arguments],
            capture_output=True,
            text=True,
            env=_cli_env(tmp_path),
            cwd=_REPO,
            timeout=60,
        )
        assert result.returncode == 2, (command, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert re.search(message, result.stderr), result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""  # no address: nothing was started
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("hops-")]


def test_demo_plays_the_scenario_beside_the_demo_deployments(fake_jupyter):
    args = cli.build_parser().parse_args(
        ["demo", "--notebook", str(fake_jupyter), "--no-browser", "--scenario", "lesson", "--chapter", "stop"]
    )
    out = io.StringIO()
    assert cli.run_demo(args, out=out) == 0
    (proc,) = FakeJupyter.instances
    assert proc.seen == ["frauddetector", "recommender", "bigllm", "churnmodel", "lessonstop"]
    text = out.getvalue()
    assert (
        "Playing the scenario 'Every status and condition of a deployment' (lesson.json, chapter 'stop' only)" in text
    )
    assert text.rstrip().endswith("Sandbox stopped.")


def test_dashboard_shares_the_demo_start_up(fake_jupyter, monkeypatch):
    monkeypatch.setattr(cli, "wait_until_listening", lambda *args, **kwargs: True)
    args = cli.build_parser().parse_args(
        ["dashboard", "--notebook", str(fake_jupyter), "--no-browser", "--port", "8901", "--scenario", "lesson"]
    )
    out = io.StringIO()
    assert cli.run_dashboard(args, out=out) == 0
    (proc,) = FakeJupyter.instances
    assert proc.command[:4] == [sys.executable, "-m", "voila", str(fake_jupyter.resolve())]
    assert "--port=8901" in proc.command
    assert "lessonstart" in proc.seen
    text = out.getvalue()
    assert "The dashboard is at\n\n    http://127.0.0.1:8901/" in text
    assert "[   0.0 s] Chapter start: From Creating to Running" in text
    port = int(proc.env[ENV_URL].rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert not os.path.exists(proc.env[ENV_CA])


@pytest.mark.parametrize("command", ["sandbox", "demo", "dashboard"])
def test_scenario_options_are_documented(command):
    text = _subparsers(cli.build_parser())[command].format_help()
    assert "--scenario FILE_OR_NAME" in text and "--chapter ID" in text and "'lesson'" in text
