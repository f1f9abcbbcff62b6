"""The ``hops-widgets`` command: ``sandbox`` runs a local server, ``demo`` adds JupyterLab."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

DEMO_NOTEBOOK = "notebooks/inspect_deployment_state.ipynb"


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hops-widgets",
        description="Tools around hops-widgets, the live view of Hopsworks Model Serving deployments.",
    )
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

    demo = commands.add_parser(
        "demo",
        help="run a sandbox and open the guide notebook in JupyterLab",
        description=(
            "Start a sandbox in this process (HTTPS, so the hopsworks SDK can use it too), export its address "
            "to JupyterLab through the HOPS_WIDGETS_SANDBOX_* and HOPSWORKS_* environment variables, and run "
            f"JupyterLab on {DEMO_NOTEBOOK} until Ctrl-C; then stop both."
        ),
    )
    demo.add_argument("--port", type=_port, default=8888, help="JupyterLab's port (default: %(default)s)")
    demo.add_argument("--sandbox-port", type=_port, default=0, help="the sandbox's port; 0 picks a free one")
    demo.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    demo.add_argument("--speed", type=_speed, default=1.0, help="speed factor of the sandbox (default: %(default)s)")
    demo.add_argument("--notebook", default=DEMO_NOTEBOOK, help="notebook to open (default: %(default)s)")
    return parser


def _snippet(sb, out: TextIO) -> None:
    verify = repr(sb.ca_path) if sb.ca_path else "True"
    lines = [
        "hops-widgets sandbox is running",
        f"  URL       {sb.url}",
        f"  project   {sb.project} (id {sb.project_id})",
        f"  API key   {sb.api_key}   (a throwaway key for this local server only)",
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
        "    hops_widgets.show(project.get_model_serving().get_deployment('fraud-detector'))",
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
    lines += ["", "Press Ctrl-C to stop."]
    print("\n".join(lines), file=out, flush=True)


def _wait_for_interrupt(stop: threading.Event) -> None:
    def on_term(signum, frame):
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_sandbox(args: argparse.Namespace, *, out: TextIO = sys.stdout, stop: threading.Event | None = None) -> int:
    from . import sandbox

    try:
        sb = sandbox.start(
            host=args.host,
            port=args.port,
            tls=args.tls,
            speed=args.speed,
            api_key=args.api_key,
            project=args.project,
            seed=not args.no_seed,
        )
    except OSError as exc:
        print(f"hops-widgets: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        _snippet(sb, out)
        _wait_for_interrupt(stop or threading.Event())
    finally:
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


def run_demo(args: argparse.Namespace, *, out: TextIO = sys.stdout) -> int:
    from . import sandbox

    notebook = _find_notebook(args.notebook)
    if notebook is None:
        print(f"hops-widgets: notebook not found: {args.notebook}", file=sys.stderr)
        return 1
    sb = sandbox.start(port=args.sandbox_port, tls=True, speed=args.speed)
    cert_dir = tempfile.mkdtemp(prefix="hops-demo-certs-")
    try:
        _snippet(sb, out)
        command = [sys.executable, "-m", "jupyter", "lab", str(notebook), f"--port={args.port}"]
        if args.no_browser:
            command.append("--no-browser")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # containers often run as root; JupyterLab refuses otherwise
            print("Running as root (a container?): passing --allow-root to JupyterLab.", file=out)
        print(f"\nStarting JupyterLab: {' '.join(shlex.quote(c) for c in command)}", file=out, flush=True)
        try:
            process = subprocess.Popen(command, env=demo_environment(sb, cert_dir=cert_dir))
        except OSError as exc:
            print(f"hops-widgets: cannot run JupyterLab: {exc}", file=sys.stderr)
            return 1
        try:
            code = process.wait()
        except KeyboardInterrupt:
            code = 0
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        return code
    finally:
        sb.stop()
        import shutil

        shutil.rmtree(cert_dir, ignore_errors=True)
        print("Sandbox stopped.", file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        return run_sandbox(args)
    return run_demo(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
