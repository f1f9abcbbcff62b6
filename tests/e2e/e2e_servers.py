"""Start and stop an isolated JupyterLab or Jupyter Notebook 7 server for the browser tests.

Each server gets its own config, data, runtime, IPython, settings and workspace directories
under a temporary directory, so nothing from the developer's own Jupyter setup leaks in and
nothing the tests do (theme switches, open tabs) leaks out. It keeps the venv's kernel spec
and its prebuilt labextensions (jupyterlab_widgets, anywidget): they live under
``sys.prefix/share/jupyter``, which stays on the Jupyter path.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


# Settings written into the isolated user-settings directory of each server.
_USER_SETTINGS = {
    # Never ask about, or fetch, the Jupyter news feed and update checks: no network, no toast.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    # Attach every cell to the DOM, so locators find outputs of cells scrolled out of view.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RestClient:
    """Minimal REST client for the local server: no proxy, keeps cookies, sends the XSRF token.

    Jupyter Server refuses POST/DELETE without the ``_xsrf`` cookie echoed in a header, even
    with token auth off; the cookie is set on the first page GET.
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # loopback, whatever proxy the environment sets
            urllib.request.HTTPCookieProcessor(self._jar),
        )

    def _xsrf(self) -> str | None:
        for cookie in self._jar:
            if cookie.name == "_xsrf":
                return cookie.value
        return None

    def request(self, method: str, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        headers = {}
        if method != "GET":
            if self._xsrf() is None:
                self.request("GET", "/")  # redirects to the app page, which sets the cookie
            token = self._xsrf()
            if token:
                headers["X-XSRFToken"] = token
        req = urllib.request.Request(self.base_url + path, method=method, headers=headers)
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


class JupyterServer:
    """One ``jupyter lab`` or ``jupyter notebook`` process on a free loopback port."""

    def __init__(self, kind: str, workdir: Path, log_dir: Path):
        if kind not in ("lab", "notebook"):
            raise ValueError(kind)
        self.kind = kind
        self.workdir = workdir
        self.root_dir = workdir / "root"
        self.log_path = log_dir / f"jupyter-{kind}.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.rest = RestClient("")
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        dirs = {
            "JUPYTER_CONFIG_DIR": self.workdir / "config",
            "JUPYTER_DATA_DIR": self.workdir / "data",
            "JUPYTER_RUNTIME_DIR": self.workdir / "runtime",
            "IPYTHONDIR": self.workdir / "ipython",
            "JUPYTERLAB_SETTINGS_DIR": self.workdir / "config" / "lab" / "user-settings",
            "JUPYTERLAB_WORKSPACES_DIR": self.workdir / "config" / "lab" / "workspaces",
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update({k: str(v) for k, v in dirs.items()})
        # The kernel runs with root_dir as its cwd: make the package under test importable
        # from the working tree, ahead of anything else.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        no_proxy = "127.0.0.1,localhost"
        env["NO_PROXY"] = env["no_proxy"] = no_proxy
        env.pop("ANYWIDGET_HMR", None)
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silences a debugger warning in kernel stderr
        return env

    def _write_settings(self) -> None:
        base = self.workdir / "config" / "lab" / "user-settings"
        for rel, value in _USER_SETTINGS.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))

    def start(self, timeout: float = 60.0) -> None:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self._write_settings()
        self.port = free_port()
        self.rest = RestClient(self.url)
        app_class = "LabApp" if self.kind == "lab" else "JupyterNotebookApp"
        cmd = [
            sys.executable, "-m", "jupyter", self.kind,
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--allow-root",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--{app_class}.expose_app_in_browser=True",
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root_dir,
            env=self._env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() can end it and its children
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter {self.kind} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _ = self.rest.request("GET", "/api/status", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter {self.kind} did not answer /api/status in {timeout} s; see {self.log_path}")

    def api_json(self, path: str):
        status, body = self.rest.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status}")
        return json.loads(body)

    def shutdown_kernels(self) -> None:
        """End every session and kernel of this server (each test starts its own)."""
        try:
            for session in self.api_json("/api/sessions"):
                self.rest.request("DELETE", f"/api/sessions/{session['id']}", timeout=15)
            for kernel in self.api_json("/api/kernels"):
                self.rest.request("DELETE", f"/api/kernels/{kernel['id']}", timeout=15)
        except (OSError, RuntimeError):
            pass

    def _kernel_pids(self) -> list[int]:
        """Kernels launched by this server: their command line names our private runtime dir.

        jupyter_client starts kernels in their own session, so killing the server's process
        group does not reach them; this finds exactly ours and nothing else.
        """
        marker = str(self.workdir / "runtime").encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and b"ipykernel" in cmdline:
                pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.shutdown_kernels()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        for pid in self._kernel_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
        self.proc = None


# -- `hops-widgets demo`, run as a newcomer runs it ---------------------------------------------


class TokenRestClient(RestClient):
    """A RestClient for a server with token auth (token-authenticated requests need no XSRF cookie)."""

    def __init__(self, base_url: str, token: str):
        super().__init__(base_url)
        self.token = token

    def request(self, method: str, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        headers = {"Authorization": f"token {self.token}"}
        req = urllib.request.Request(self.base_url + path, method=method, headers=headers)
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def processes_with_env(name: str, value: str) -> list[int]:
    """Live (non-zombie) processes whose environment has ``name=value``: a marker set on one
    process is inherited by all it starts, even by those that left its session or were reparented."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_bytes().rpartition(b")")[2].split()[0]
        except OSError:
            continue
        if state != b"Z":
            found.append(int(entry.name))
    return found


class DemoProcess(JupyterServer):
    """``hops-widgets demo`` in a subprocess: its own sandbox, its own JupyterLab on a free port.

    Isolated like JupyterServer (private Jupyter dirs and settings) and more: a private TMPDIR,
    so the temporary folders of this demo (and only of this one) can be checked, and a marker in
    the environment that every process of the demo inherits. ``guide_url`` is the address the
    demo printed; ``output`` what it printed so far.
    """

    MARKER = "HOPS_WIDGETS_E2E_DEMO"

    def __init__(self, workdir: Path, log_dir: Path, notebooks: list[Path], open_name: str):
        super().__init__("lab", workdir, log_dir)
        self.log_path = log_dir / f"demo-{workdir.name}.log"
        self.notebooks = notebooks
        self.open_name = open_name
        self.tmp_dir = workdir / "tmp"
        self.marker = f"{os.getpid()}-{time.monotonic_ns()}"
        self.guide_url = ""
        self.token = ""
        self.lines: list[str] = []
        self._reader = None

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with open(self.log_path, "w", encoding="utf-8") as log:
            for line in self.proc.stdout:
                self.lines.append(line)
                log.write(line)
                log.flush()

    def start(self, timeout: float = 120.0, speed: float | None = None, browser: str | None = None) -> None:
        """Run the demo; ``browser`` (a ``$BROWSER`` command with ``%s``) lets it open the guide."""
        import re
        import shutil
        import threading

        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        for source in self.notebooks:
            shutil.copyfile(source, self.root_dir / source.name)
        self._write_settings()
        env = self._env()
        # window.jupyterapp for NotebookPage; the demo's own command line is left as it is
        config = self.workdir / "config" / "jupyter_lab_config.json"
        config.write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))
        foreign = ("HOPS_WIDGETS_SANDBOX_", "HOPSWORKS_", "JUPYTER_TOKEN")  # the demo sets its own
        env = {k: v for k, v in env.items() if not k.startswith(foreign)}
        env.update({"TMPDIR": str(self.tmp_dir), self.MARKER: self.marker, "PYTHONUNBUFFERED": "1"})
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "hops_widgets.cli", "demo",
            "--port", str(self.port),
            "--notebook", str(self.root_dir / self.open_name),
        ]  # fmt: skip
        if browser is None:
            cmd.append("--no-browser")
        else:
            env["BROWSER"] = browser
        if speed is not None:
            cmd += ["--speed", str(speed)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, name="demo-output", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        pattern = re.compile(r"(http://127\.0\.0\.1:\d+/lab/tree/\S+)")
        while time.monotonic() < deadline:
            found = pattern.search(self.output)
            if found:
                self.guide_url = found.group(1)
                self.token = self.guide_url.partition("token=")[2]
                self.rest = TokenRestClient(self.url, self.token)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"hops-widgets demo exited with {self.proc.returncode}:\n{self.output}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"hops-widgets demo printed no guide address in {timeout} s:\n{self.output}")

    def processes(self) -> list[int]:
        """Every live process of this demo: the command, JupyterLab, kernels."""
        return processes_with_env(self.MARKER, self.marker)

    def temp_folders(self) -> list[str]:
        return sorted(p.name for p in self.tmp_dir.iterdir()) if self.tmp_dir.exists() else []

    def signal(self, signum: int, timeout: float = 60.0) -> int:
        """Send ``signum`` to the demo command alone (not its group) and wait for it; its exit code."""
        assert self.proc is not None
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(5)
        return code

    def stop(self) -> None:
        """End the demo however it is (SIGTERM, then SIGKILL for anything of it that is left)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.signal(signal.SIGTERM, timeout=60)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None


# -- other hosts: marimo apps and Voilà dashboards ----------------------------------------------


def require_tool(module: str, what: str) -> None:
    """Skip the test if ``module`` cannot be imported; fail instead in CI (HOPS_WIDGETS_CI=1)."""
    import importlib.util

    import pytest

    if importlib.util.find_spec(module) is not None:
        return
    message = f"{what} is not installed (pip install -e '.[dev]')"
    if os.environ.get("HOPS_WIDGETS_CI") == "1":
        pytest.fail(message + "; HOPS_WIDGETS_CI=1 forbids skipping browser tests", pytrace=False)
    pytest.skip(message)


def _wait_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float, what: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log_path}")
        try:
            with opener.open(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer {url} in {timeout} s; see {log_path}")


class MarimoApp:
    """``marimo run <app>`` (headless, no token) on a free loopback port, in its own process group.

    ``env`` is added to the environment (the sandbox's ``HOPS_WIDGETS_SANDBOX_*``); the working tree's
    hops_widgets comes first on the path. marimo runs every browser session's kernel inside this
    process (``run`` mode), so ending the group ends the kernels and their poller threads too.
    """

    def __init__(self, app: Path, log_dir: Path, env: dict[str, str] | None = None):
        self.app = app
        self.log_path = log_dir / f"marimo-{app.stem}.log"
        self.extra_env = dict(env or {})
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env.pop("ANYWIDGET_HMR", None)
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "marimo", "-q", "run", str(self.app),
            "--headless", "--no-token",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--no-skew-protection", "--no-sandbox",
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=self.app.parent, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_http(self.url + "/health", self.proc, self.log_path, timeout, "marimo")
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is None:
            return
        for signum, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, signum)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        if self._log is not None:
            self._log.close()
        self.proc = None


class DashboardProcess(DemoProcess):
    """``hops-widgets dashboard`` in a subprocess: its own sandbox and Voilà on a free port.

    Isolated like DemoProcess (private Jupyter dirs, TMPDIR and an inherited marker); ``dashboard_url``
    is the address it printed.
    """

    MARKER = "HOPS_WIDGETS_E2E_DASHBOARD"

    def __init__(self, workdir: Path, log_dir: Path, notebook: Path | None = None):
        super().__init__(workdir, log_dir, [], "")
        self.log_path = log_dir / f"dashboard-{workdir.name}.log"
        self.notebook = notebook
        self.dashboard_url = ""

    def start(self, timeout: float = 120.0, speed: float | None = None, browser: str | None = None) -> None:
        import re
        import threading

        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        foreign = ("HOPS_WIDGETS_SANDBOX_", "HOPSWORKS_", "JUPYTER_TOKEN")
        env = {k: v for k, v in env.items() if not k.startswith(foreign)}
        env.update({"TMPDIR": str(self.tmp_dir), self.MARKER: self.marker, "PYTHONUNBUFFERED": "1"})
        self.port = free_port()
        cmd = [sys.executable, "-m", "hops_widgets.cli", "dashboard", "--port", str(self.port), "--no-browser"]
        if self.notebook is not None:
            cmd += ["--notebook", str(self.notebook)]
        if speed is not None:
            cmd += ["--speed", str(speed)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, name="dashboard-output", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        pattern = re.compile(rf"(http://127\.0\.0\.1:{self.port}/\S*)")
        while time.monotonic() < deadline:
            found = pattern.search(self.output)
            if found:
                self.dashboard_url = found.group(1)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"hops-widgets dashboard exited with {self.proc.returncode}:\n{self.output}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"hops-widgets dashboard printed no address in {timeout} s:\n{self.output}")
