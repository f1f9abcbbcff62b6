"""The ``hops-widgets`` command: ``sandbox`` runs a local server, ``demo`` adds JupyterLab, ``dashboard`` Voilà."""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ._supervise import (
    StopOnSignals,
    end_process_tree,
    free_port,
    wait_for_interrupt,
    wait_until_listening,
    wait_until_serving,
)

DEMO_NOTEBOOK = "notebooks/inspect_deployment_state.ipynb"
DASHBOARD_NOTEBOOK = "examples/dashboard.ipynb"
DASHBOARD_EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager7",  # Voilà keeps the one that matches the ipywidgets installed
    "@voila-dashboards/widgets-manager8",
    "anywidget",
)


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the speed factor must be > 0")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("ports go from 0 to 65535")
    return value


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        metavar="FILE_OR_NAME",
        default=None,
        help=(
            "play a scenario from the start: a JSON file (a path with a / or a name ending in .json) or a "
            "built-in name such as 'lesson'; it is checked before anything starts, and each step is printed "
            "as it happens"
        ),
    )
    parser.add_argument(
        "--chapter", metavar="ID", default=None, help="play only the chapter of the scenario with this id"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hops-widgets",
        description="Tools around hops-widgets, the live view of Hopsworks Model Serving deployments.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="run a local Hopsworks-compatible server with demo deployments",
        description=(
            "Run a local server that answers the part of the Hopsworks REST API used by the hopsworks SDK "
            "and by hops-widgets, with a few demo deployments that start, stop, scale to zero and fail on "
            "a clock. It prints the address, project and API key, then serves until Ctrl-C."
        ),
    )
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; other machines cannot reach it unless you change it)",
    )
    sandbox.add_argument("--port", type=_port, default=0, help="port to listen on; 0 picks a free one (default: 0)")
    sandbox.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate from a CA made for this run (the hopsworks SDK only speaks HTTPS)",
    )
    sandbox.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="speed factor for every transition: 10 makes a start take a tenth of the time (default: %(default)s)",
    )
    sandbox.add_argument(
        "--api-key",
        default=None,
        help="API key clients must send (default: a random throwaway key, printed at start)",
    )
    sandbox.add_argument("--project", default="demo", help="name of the sandbox project (default: %(default)s)")
    sandbox.add_argument("--no-seed", action="store_true", help="start with no deployments instead of the demo ones")
    _add_scenario_options(sandbox)

    demo = commands.add_parser(
        "demo",
        help="run a sandbox and open the guide notebook in JupyterLab",
        description=(
            "Start a sandbox in this process (HTTPS, so the hopsworks SDK can use it too), export its address "
            "to JupyterLab through the HOPS_WIDGETS_SANDBOX_* and HOPSWORKS_* environment variables, and run "
            f"JupyterLab on {DEMO_NOTEBOOK}; it prints the notebook's address and opens it. Ctrl-C, SIGTERM or "
            "SIGHUP stops JupyterLab, its kernels and the sandbox, and removes their temporary files."
        ),
    )
    demo.add_argument(
        "--port", type=_port, default=None, help="JupyterLab's port (default: 8888, or a free one if 8888 is taken)"
    )
    demo.add_argument("--sandbox-port", type=_port, default=0, help="the sandbox's port; 0 picks a free one")
    demo.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    demo.add_argument("--speed", type=_speed, default=1.0, help="speed factor of the sandbox (default: %(default)s)")
    demo.add_argument("--notebook", default=DEMO_NOTEBOOK, help="notebook to open (default: %(default)s)")
    _add_scenario_options(demo)

    dashboard = commands.add_parser(
        "dashboard",
        help="run a sandbox and the deployments dashboard in Voilà",
        description=(
            "Start a sandbox in this process, hand its address to Voilà through the environment (as demo does), "
            f"and serve {DASHBOARD_NOTEBOOK} with Voilà: the live overview of every deployment and the open "
            "one's detail, without the code. It prints the dashboard's address and opens it. Ctrl-C, SIGTERM "
            "or SIGHUP stops Voilà, its kernels and the sandbox, and removes their temporary files."
        ),
    )
    dashboard.add_argument("--port", type=_port, default=None, help="Voilà's port (default: a free one)")
    dashboard.add_argument("--sandbox-port", type=_port, default=0, help="the sandbox's port; 0 picks a free one")
    dashboard.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    dashboard.add_argument(
        "--speed", type=_speed, default=1.0, help="speed factor of the sandbox (default: %(default)s)"
    )
    dashboard.add_argument("--notebook", default=DASHBOARD_NOTEBOOK, help="notebook to serve (default: %(default)s)")
    _add_scenario_options(dashboard)
    return parser


def _snippet(sb, out: TextIO) -> None:
    verify = repr(sb.ca_path) if sb.ca_path else "True"
    lines = [
        "hops-widgets sandbox is running",
        f"  URL       {sb.url}",
        f"  project   {sb.project} (id {sb.project_id})",
        "  API keys  (throwaway keys for this local server only)",
        f"    Data Owner      {sb.api_key}   (may do everything, and script the sandbox)",
        f"    Data Scientist  {sb.api_keys['data_scientist']}   (may read, read logs and predict; no start/stop)",
    ]
    if sb.ca_path:
        lines.append(f"  CA file   {sb.ca_path}")
    lines.append(f"  speed     {sb.speed:g}x")
    lines += [
        "",
        "With the built-in client:",
        "    import hops_widgets",
        f"    project = hops_widgets.login(url={sb.url!r}, project={sb.project!r}, api_key={sb.api_key!r}, "
        f"verify={verify})",
        "    hops_widgets.show(project.get_model_serving().get_deployment('frauddetector'))",
    ]
    if sb.tls:
        kw = sb.sdk_login_kwargs()
        lines += [
            "",
            "With the hopsworks SDK:",
            "    import hopsworks",
            f"    project = hopsworks.login(host={kw['host']!r}, port={kw['port']}, project={kw['project']!r}, "
            f"api_key_value={kw['api_key_value']!r}, hostname_verification=True, "
            f"trust_store_path={kw['trust_store_path']!r}, engine='python')",
        ]
    else:
        lines += ["", "(The hopsworks SDK only speaks HTTPS: add --tls to use it.)"]
    lines += ["", "From another process (hops_widgets.sandbox.connect_or_start() reads these):"]
    lines += [f"    export {name}={shlex.quote(value)}" for name, value in sb.env().items()]
    plan = getattr(sb, "scenario", None)
    if plan:
        lines += ["", *_plan_lines(plan, sb.speed)]
    lines += ["", "Press Ctrl-C to stop."]
    print("\n".join(lines), file=out, flush=True)


def _plan_lines(plan: dict[str, Any], speed: float) -> list[str]:
    """The scenario being played: its title and its chapters with their sandbox times."""
    length = plan["end"] - plan["start"]
    real = f", {length / speed:.0f} s at this speed" if speed != 1 else ""
    only = f", chapter {plan['chapter']!r} only" if plan.get("chapter") else ""
    lines = [f"Playing the scenario {plan['title']!r} ({plan['source']}{only}): {length:.0f} s of sandbox time{real}."]
    width = max(len(c["id"]) for c in plan["chapters"])
    for chapter in plan["chapters"]:
        lines.append(
            f"    {chapter['id']:<{width}}  {chapter['start']:5.0f} s to {chapter['end']:5.0f} s  {chapter['title']}"
        )
    lines.append("Each step is printed below as it happens, with its sandbox time.")
    return lines


def _check_scenario(args: argparse.Namespace) -> tuple[Any, int]:
    """The scenario --scenario names, read and checked before anything starts: (it or None, 0),
    or (None, 2) after one line on stderr saying what is wrong."""
    name, chapter = getattr(args, "scenario", None), getattr(args, "chapter", None)
    if name is None:
        if chapter is not None:
            print("hops-widgets: --chapter needs --scenario (the scenario it is a chapter of).", file=sys.stderr)
            return None, 2
        return None, 0
    from .sandbox import ScenarioError, load

    try:
        script = load(name)
        if chapter is not None:
            script.chapter(chapter)
    except ScenarioError as exc:
        print(f"hops-widgets: {exc}", file=sys.stderr)
        return None, 2
    return script, 0


def _warn_about_scenario(sb) -> None:
    for warning in (sb.scenario or {}).get("warnings") or ():
        print(f"hops-widgets: warning: {warning}", file=sys.stderr, flush=True)


def _feed_line(entry: dict[str, Any]) -> str | None:
    """One line for what a playing scenario just did, stamped with its sandbox time."""
    stamp = f"[{entry['time']:6.1f} s]"
    kind = entry["kind"]
    if kind == "play":
        return None  # the plan printed at start-up says it
    if kind == "chapter":
        line = f"{stamp} Chapter {entry['chapter']}: {entry['text']}"
        return line + (f" (could not make its deployments: {entry['error']})" if entry.get("error") else "")
    if kind == "end":
        return f"{stamp} The scenario has ended."
    if kind == "stop":
        return f"{stamp} The scenario stopped ({entry['text']})."
    text = entry.get("say") or (f"{entry['do']}" if entry.get("do") else "")
    line = f"{stamp} {entry['name']}: {text}" if entry.get("name") else f"{stamp} {text}"
    if entry.get("state") == "failed":
        line += f" (failed: {entry['error']})"
    return line


class _ScriptTicker:
    """Prints a playing scenario's steps as they happen.

    The sandbox applies due steps whenever a request arrives; with nobody polling, this
    daemon thread asks it to every ``interval`` real seconds, so the notes come on time.
    """

    def __init__(self, sb, out: TextIO, interval: float = 0.25) -> None:
        self._sb = sb
        self._out = out
        self._interval = interval
        self._seq = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hops-scenario-ticker", daemon=True)

    def start(self) -> _ScriptTicker:
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the thread, then print what happened since its last look (so no step goes unsaid)."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(2)
        if not self._thread.is_alive():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the sandbox is stopping anyway
                pass

    def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - printing must never take the command down
                print(f"hops-widgets: cannot follow the scenario: {exc}", file=sys.stderr, flush=True)
                return
            if self._done.wait(self._interval):
                return

    def tick(self) -> None:
        player = self._sb.admin.player
        player.catch_up()
        for entry in player.feed(self._seq):
            self._seq = entry["seq"] + 1
            line = _feed_line(entry)
            if line is not None:
                print(line, file=self._out, flush=True)


def run_sandbox(args: argparse.Namespace, *, out: TextIO = sys.stdout, stop: threading.Event | None = None) -> int:
    from . import sandbox

    script, code = _check_scenario(args)
    if code:
        return code
    try:
        sb = sandbox.start(
            host=args.host,
            port=args.port,
            tls=args.tls,
            scenario=script,
            chapter=getattr(args, "chapter", None),
            seed=not args.no_seed,
            speed=args.speed,
            api_key=args.api_key,
            project=args.project,
        )
    except OSError as exc:
        print(f"hops-widgets: {exc.strerror or exc}", file=sys.stderr)
        return 1
    ticker = _ScriptTicker(sb, out)

    def ready() -> None:
        _snippet(sb, out)
        _warn_about_scenario(sb)
        ticker.start()

    try:
        wait_for_interrupt(stop or threading.Event(), ready=ready)
    finally:
        ticker.stop()
        sb.stop()
        print("Sandbox stopped.", file=out, flush=True)
    return 0


def _find_notebook(name: str) -> Path | None:
    candidates = [Path(name), Path(__file__).resolve().parent.parent / name]
    return next((p for p in candidates if p.is_file()), None)


def demo_environment(sb, base: dict[str, str] | None = None, cert_dir: str | None = None) -> dict[str, str]:
    """The environment JupyterLab gets: the sandbox's address for hops-widgets and for the SDK."""
    env = dict(os.environ if base is None else base)
    for name in list(env):
        if name.startswith("HOPSWORKS_") or name == "REST_ENDPOINT":
            del env[name]
    env.update(sb.env())
    kw = sb.sdk_login_kwargs()
    env.update(
        {
            # so that the guide's plain ``hopsworks.login()`` reaches the sandbox
            "HOPSWORKS_HOST": kw["host"],
            "HOPSWORKS_PORT": str(kw["port"]),
            "HOPSWORKS_PROJECT": sb.project,
            "HOPSWORKS_API_KEY": sb.api_key,
            "HOPSWORKS_ENGINE": "python",
        }
    )
    if cert_dir:
        env["HOPSWORKS_CERT_FOLDER"] = cert_dir
    # the kernel runs in the notebook's folder: let it import this copy of hops_widgets even if not installed
    source_root = str(Path(__file__).resolve().parent.parent)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*paths, source_root]))
    no_proxy = [h for h in env.get("NO_PROXY", "").split(",") if h]
    env["NO_PROXY"] = ",".join(dict.fromkeys([*no_proxy, "127.0.0.1", "localhost"]))
    return env


@dataclass
class _Beside:
    """What demo and dashboard run: the notebook, the sandbox, its certificate folder, the server process."""

    notebook: Path
    sb: Any = None
    cert_dir: str | None = None
    process: subprocess.Popen | None = None


def _run_beside_sandbox(
    args: argparse.Namespace,
    out: TextIO,
    *,
    what: str,
    server: str,
    cert_prefix: str,
    launch: Callable[[_Beside], int],
) -> int:
    """What demo and dashboard share around their notebook server.

    Find the notebook and check the scenario, start an HTTPS sandbox (playing the scenario),
    print its address, then ``launch`` the server (JupyterLab or Voilà: it sets ``run.process``
    as soon as the process exists and returns its exit status). Whatever happens, and on
    Ctrl-C, SIGTERM or SIGHUP, stop the server and its kernels, then the sandbox, and remove
    the temporary files.
    """
    from . import sandbox

    notebook = _find_notebook(args.notebook)
    if notebook is None:
        print(f"hops-widgets: notebook not found: {args.notebook}", file=sys.stderr)
        return 1
    script, code = _check_scenario(args)
    if code:
        return code
    run = _Beside(notebook.resolve())
    with StopOnSignals() as signals:
        ticker = None
        try:
            run.sb = sandbox.start(
                port=args.sandbox_port, tls=True, speed=args.speed, scenario=script, chapter=args.chapter
            )
            run.cert_dir = tempfile.mkdtemp(prefix=cert_prefix)
            _snippet(run.sb, out)
            _warn_about_scenario(run.sb)
            ticker = _ScriptTicker(run.sb, out).start()
            return launch(run)
        finally:
            if signals.received is not None:
                name = signal.Signals(signals.received).name
                print(f"\n{name} received: stopping the {what}.", file=out, flush=True)
            if run.process is not None:
                end_process_tree(run.process, out, server)
            if ticker is not None:
                ticker.stop()
            if run.sb is not None:
                run.sb.stop()
                print("Sandbox stopped.", file=out, flush=True)
            if run.cert_dir is not None:
                shutil.rmtree(run.cert_dir, ignore_errors=True)
    return 0


def run_demo(args: argparse.Namespace, *, out: TextIO = sys.stdout) -> int:
    def launch(run: _Beside) -> int:
        notebook = run.notebook
        port = args.port if args.port is not None else free_port(8888)
        token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
        base_url = f"http://127.0.0.1:{port}"
        guide_url = f"{base_url}/lab/tree/{urllib.parse.quote(notebook.name)}?token={token}"
        command = [
            sys.executable, "-m", "jupyter", "lab",
            f"--ServerApp.root_dir={notebook.parent}",
            "--ServerApp.ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",  # the URL printed below names this port
            "--no-browser",  # this command opens the guide itself once JupyterLab answers
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # containers often run as root; JupyterLab refuses otherwise
            print("Running as root (a container?): passing --allow-root to JupyterLab.", file=out)
        print(f"\nStarting JupyterLab: {' '.join(shlex.quote(c) for c in command)}", file=out, flush=True)
        env = demo_environment(run.sb, cert_dir=run.cert_dir)
        env["JUPYTER_TOKEN"] = token
        try:
            # a session of its own: signals reach JupyterLab only through this command, which then
            # stops it, its kernels and the sandbox in order
            run.process = subprocess.Popen(command, env=env, start_new_session=True)
        except OSError as exc:
            print(f"hops-widgets: cannot run JupyterLab: {exc}", file=sys.stderr)
            return 1
        if wait_until_serving(run.process, base_url, token):
            _announce(args, out, "guide", guide_url, "JupyterLab")
        return run.process.wait()

    return _run_beside_sandbox(
        args, out, what="demo", server="JupyterLab", cert_prefix="hops-demo-certs-", launch=launch
    )


def _announce(args: argparse.Namespace, out: TextIO, what: str, url: str, server: str) -> None:
    """Say where ``what`` is served, and open it unless ``--no-browser``."""
    print(
        f"\nThe {what} is at\n\n    {url}\n\n"
        f"{'Open it in a browser' if args.no_browser else 'Opening it in your browser'}. "
        f"Press Ctrl-C here to stop {server} and the sandbox.",
        file=out,
        flush=True,
    )
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)


def run_dashboard(args: argparse.Namespace, *, out: TextIO = sys.stdout) -> int:
    """``demo`` with Voilà instead of JupyterLab: the same sandbox, environment and clean-up."""

    def launch(run: _Beside) -> int:
        port = args.port if args.port is not None else free_port(0)
        url = f"http://127.0.0.1:{port}/"
        command = [
            sys.executable, "-m", "voila", str(run.notebook),
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            "--Voila.port_retries=0",  # the URL printed below names this port
            "--no-browser",  # this command opens the dashboard itself once Voilà listens
            # only the frontend extensions a dashboard of widgets needs: Voilà loads every JupyterLab
            # extension it finds, and editor ones (jupytext, notebook's) fail in its page
            *(f"--VoilaConfiguration.extension_allowlist={name}" for name in DASHBOARD_EXTENSIONS),
        ]  # fmt: skip
        print(f"\nStarting Voilà: {' '.join(shlex.quote(c) for c in command)}", file=out, flush=True)
        env = demo_environment(run.sb, cert_dir=run.cert_dir)
        try:
            # a session of its own, as for demo: signals reach Voilà only through this command
            run.process = subprocess.Popen(command, env=env, start_new_session=True)
        except OSError as exc:
            print(f"hops-widgets: cannot run Voilà: {exc}", file=sys.stderr)
            return 1
        if wait_until_listening(run.process, port):
            _announce(args, out, "dashboard", url, "Voilà")
        return run.process.wait()

    return _run_beside_sandbox(
        args, out, what="dashboard", server="Voilà", cert_prefix="hops-dashboard-certs-", launch=launch
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        return run_sandbox(args)
    if args.command == "dashboard":
        return run_dashboard(args)
    return run_demo(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
