"""The SDK compatibility matrix: the guide workflow on every hopsworks SDK a cluster runs.

    python scripts/compat.py                    # every version in VERSIONS
    python scripts/compat.py 3.7.0 5.2.1        # some of them
    python scripts/compat.py --list             # the versions and what each installs

Each version gets a virtual environment of its own under ``.venv-compat/<version>``
(made with uv, cached: remade only when its requirements change), with the SDK
from PyPI and hops-widgets' light requirements; this checkout is put on its path.
In it a worker starts a TLS sandbox, runs the guide workflow with the real SDK
(login through wait_for, actions through the widget's own buttons' path), and
reports each step. The table goes to stdout; the exit code is 1 if any step of
any version failed, so CI can run it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".venv-compat"
RESULT_MARK = "HOPS_WIDGETS_COMPAT_RESULT "

# pyarrow 18.1 is the last release that works with the NumPy 1.26 these SDKs pin, and
# hopsworks 4.x cannot log in without it; hsfs 3.7 imports nest_asyncio without declaring it.
_ARROW = "pyarrow==18.1.0"
VERSIONS: dict[str, list[str]] = {
    "3.7.0": ["hopsworks==3.7.0", "hsml==3.7.2", "nest_asyncio", _ARROW],
    "4.1.8": ["hopsworks==4.1.8", _ARROW],
    "4.2.10": ["hopsworks==4.2.10", _ARROW],
    "4.3.7": ["hopsworks==4.3.7", _ARROW],
    "4.4.5": ["hopsworks==4.4.5", _ARROW],
    "4.6.8": ["hopsworks==4.6.8", _ARROW],
    "4.7.7": ["hopsworks==4.7.7", _ARROW],
    "4.8.8": ["hopsworks==4.8.8", _ARROW],
    "5.0.11": ["hopsworks==5.0.11", _ARROW],
    "5.1.2": ["hopsworks==5.1.2", _ARROW],
    "5.2.1": ["hopsworks==5.2.1"],
}
# what hops-widgets and its sandbox need besides the SDK (pyproject.toml's requirements and extra)
WIDGET_REQUIREMENTS = [
    "anywidget>=0.9",
    "ipywidgets>=8",
    "traitlets>=5.9",
    "requests>=2.31",
    "werkzeug>=3",
    "trustme>=1.1",
]
STEPS = (
    "login",
    "get_model_serving",
    "get_deployments",
    "get_deployment",
    "get_state/describe",
    "resources/describe",
    "state parsed",
    "widget stop/start",
    "restart",
    "page fields",
    "refused start shown",
    "overview start/stop",
    "wait_for",
    "diagram",
    "logs",
    "versions/rollback",
    "schema",
    "scaling fields",
    "restart counts",
)


# ---------------------------------------------------------------- driver (any Python)
def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    local = CACHE / ".uv" / "bin" / "uv"
    if not local.exists():
        print("compat: installing uv into .venv-compat/.uv", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(CACHE / ".uv"), "uv"], check=True
        )
    return [str(local)]


def _base_python() -> str:
    """The interpreter each environment is built on: this one's base (uv must not download one)."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in (Path(sys.base_prefix) / "bin", Path(sys.base_exec_prefix) / "bin"):
        if (folder / name).exists():
            return str(folder / name)
    return os.path.realpath(sys.executable)


def ensure_env(version: str) -> tuple[Path, float]:
    """The environment's python, made or reused; and the seconds spent making it."""
    requirements = [*VERSIONS[version], *WIDGET_REQUIREMENTS]
    base = _base_python()
    digest = hashlib.sha256(json.dumps([requirements, base]).encode()).hexdigest()[:16]
    env = CACHE / version
    stamp = env / ".hops-widgets-compat"
    python = env / "bin" / "python"
    if stamp.exists() and stamp.read_text().strip() == digest and python.exists():
        return python, 0.0
    started = time.perf_counter()
    uv = _uv()
    environ = {**os.environ, "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(CACHE / ".uv-cache"))}
    environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
    if env.exists():
        shutil.rmtree(env)
    subprocess.run([*uv, "venv", "--quiet", "--python", base, str(env)], check=True, env=environ)
    subprocess.run([*uv, "pip", "install", "--quiet", "--python", str(python), *requirements], check=True, env=environ)
    stamp.write_text(digest + "\n")
    return python, time.perf_counter() - started


def _worker_env() -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOPSWORKS_")
        and k not in ("REST_ENDPOINT", "DEPLOYMENT_NAME", "PYTHONPATH", "VIRTUAL_ENV")
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    keep.update({"PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", "HOPSWORKS_ENGINE": "python"})
    return keep


def run_version(version: str, timeout_s: float = 300.0) -> dict:
    try:
        python, setup_s = ensure_env(version)
    except (subprocess.CalledProcessError, OSError) as exc:
        return {"version": version, "setup_error": f"environment not made: {exc}", "steps": [], "setup_s": 0.0}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hops-compat-") as home:
        try:
            done = subprocess.run(
                [str(python), str(Path(__file__).resolve()), "--worker"],
                cwd=home,
                env={**_worker_env(), "HOME": home},
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            return {"version": version, "setup_error": f"worker ran over {timeout_s:g} s", "steps": []}
    result = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
    if result is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {"version": version, "setup_error": "worker gave no result: " + " | ".join(tail), "steps": []}
    result.update(version=version, setup_s=round(setup_s, 1), run_s=round(time.perf_counter() - started, 1))
    return result


def table(results: list[dict]) -> str:
    """A markdown table, versions down, steps across."""
    head = ["SDK", "backend", "endpoints", "start path", "restart path", "logs path", *STEPS, "run s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        by_step = {s["step"]: s for s in r.get("steps", [])}
        endpoints = {True: "load balancer", False: "none"}.get(r.get("load_balancer"), "?")
        cells = [r["version"], r.get("backend", "?"), endpoints, r.get("start_plan", "?")]
        cells += [r.get("restart_plan", "?"), r.get("logs_plan", "?")]
        for step in STEPS:
            s = by_step.get(step)
            cells.append("–" if s is None else ("✘" if not s["ok"] else "absent" if s.get("absent") else "✔"))
        cells.append(f"{r.get('run_s', 0):.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failures(results: list[dict]) -> list[str]:
    found = []
    for r in results:
        if r.get("setup_error"):
            found.append(f"{r['version']}: {r['setup_error']}")
        steps = {s["step"] for s in r.get("steps", [])}
        for s in r.get("steps", []):
            if not s["ok"]:
                found.append(f"{r['version']} {s['step']}: {s['detail']}")
        missing = [step for step in STEPS if step not in steps]
        if missing and not r.get("setup_error"):
            found.append(f"{r['version']}: steps not run: {', '.join(missing)}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", help="SDK versions (default: all)")
    parser.add_argument("--list", action="store_true", help="print the versions and what each installs")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker()
    if args.list:
        for version, requirements in VERSIONS.items():
            print(f"{version:8} {' '.join(requirements)}")
        return 0
    unknown = [v for v in args.versions if v not in VERSIONS]
    if unknown:
        parser.error(f"unknown version(s) {', '.join(unknown)}; known: {', '.join(VERSIONS)}")
    results = []
    started = time.perf_counter()
    for version in args.versions or list(VERSIONS):
        result = run_version(version)
        results.append(result)
        status = "ok" if not failures([result]) else "FAILED"
        print(
            f"compat: {version:8} {status:6} setup {result.get('setup_s', 0):5.1f} s,"
            f" run {result.get('run_s', 0):5.1f} s",
            file=sys.stderr,
            flush=True,
        )
    print(table(results))
    problems = failures(results)
    for line in problems:
        print(f"FAILED {line}")
    total = time.perf_counter() - started
    print(f"compat: {len(results)} SDK versions in {total:.1f} s; {len(problems)} failure(s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "seconds": round(total, 1)}, indent=1) + "\n")
    return 1 if problems else 0


# ---------------------------------------------------------------- worker (inside a version's env)
class _Steps:
    def __init__(self) -> None:
        self.done: list[dict] = []

    @contextlib.contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        entry = {"step": name, "ok": False, "detail": "", "seconds": 0.0}
        self.done.append(entry)
        try:
            yield entry
            entry["ok"] = True
        except Exception as exc:  # every failure is a cell of the table
            frames = traceback.extract_tb(exc.__traceback__)
            where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
            entry["detail"] = f"{type(exc).__name__}: {str(exc)[:300]}{where}"
            raise _Stop from exc
        finally:
            entry["seconds"] = round(time.perf_counter() - started, 3)


class _Stop(Exception):
    pass


def _until(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _stopped_by(widget) -> None:
    """Wait for Running, then stop through the widget and wait for Stopped."""
    widget.wait_for("RUNNING", timeout=20)
    widget.stop().result(timeout=20)
    widget.wait_for("STOPPED", timeout=20)


def _login(hopsworks, sb):
    import inspect

    kwargs = sb.sdk_login_kwargs()
    accepted = inspect.signature(hopsworks.login).parameters
    # 3.7's login() has no TLS or engine arguments (and its client never verifies the certificate)
    return hopsworks.login(**{k: v for k, v in kwargs.items() if k in accepted})


def worker() -> int:
    import comm
    from comm import DummyComm

    comm.create_comm = DummyComm  # widgets without a kernel
    os.environ["HOPSWORKS_CERT_FOLDER"] = tempfile.mkdtemp(prefix="hopsworks-certs-")
    steps = _Steps()
    info: dict = {}
    with contextlib.suppress(_Stop), contextlib.redirect_stdout(io.StringIO()) as out:
        _workflow(steps, info, out)
    print(RESULT_MARK + json.dumps({"steps": steps.done, **info}))
    return 0


def _workflow(steps: _Steps, info: dict, out: io.StringIO) -> None:
    import hops_widgets
    from hops_widgets import _sdk, sandbox
    from hops_widgets.errors import DeploymentFailed
    from hops_widgets.state import DeploymentState
    from hops_widgets.widget import snapshot_html

    fast = {"fast_s": 0.05, "stable_s": 0.05, "hidden_s": 0.05}
    with sandbox.start(tls=True, speed=50) as sb:
        info["backend"] = sb.app.hopsworks_version
        info["load_balancer"] = sb.app.load_balancer
        with steps.step("login"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                import hopsworks

                project = _login(hopsworks, sb)
            assert project.name == "demo", project.name
            mismatch = [str(w.message) for w in caught if "compatible" in str(w.message)]
            assert not mismatch, mismatch[0]
            info["sdk"] = getattr(hopsworks, "__version__", "?")
        with steps.step("get_model_serving"):
            ms = project.get_model_serving()
        with steps.step("get_deployments"):
            names = [d.name for d in ms.get_deployments()]
            assert names == sb.world.names(), names
        with steps.step("get_deployment"):
            deployment = ms.get_deployment("frauddetector")
            assert deployment.name == "frauddetector"
            _missing_is_none(ms)
        with steps.step("get_state/describe"):
            state = deployment.get_state()
            assert state.status == "Running", state.status
            out.seek(0)
            out.truncate()
            state.describe()
            assert '"status": "Running"' in out.getvalue(), out.getvalue()[:200]
        with steps.step("resources/describe"):
            out.seek(0)
            out.truncate()
            deployment.resources.describe()
            deployment.transformer.resources.describe()
            text = out.getvalue()
            assert "requested_instances" in text or "num_instances" in text, text[:200]
        with steps.step("state parsed"):
            # what the widget makes of each SDK object equals what it makes of the wire JSON
            for d in ms.get_deployments():
                from_sdk = DeploymentState.from_sdk(ms.get_deployment(d.name))
                from_wire = DeploymentState.from_json(sb.app._shaped(_NoPlan(), sandbox.rest.serving(sb.world, d.name)))
                assert from_sdk == from_wire, f"{d.name}: {from_sdk.summary()} != {from_wire.summary()}"
            assert DeploymentState.from_sdk(ms.get_deployment("recommender")).scale_to_zero
        info["start_plan"] = _sdk.start_plan(deployment)
        with steps.step("widget stop/start"):
            widget = hops_widgets.show(deployment, display=False, **fast)
            try:
                widget.wait_for("RUNNING", timeout=20)
                sb.clear_log()
                widget.stop().result(timeout=20)
                widget.wait_for("STOPPED", timeout=20)
                widget.start().result(timeout=20)
                assert widget.action_error == "", widget.action_error
                running = widget.wait_for("RUNNING", timeout=20)
                assert widget.action_error == "" and widget.error == "", (widget.action_error, widget.error)
                posts = [r["query"] for r in sb.requests(method="POST", endpoint="serving_action")]
                assert posts == ["action=STOP", "action=START"], posts
            finally:
                widget.close()
        info["restart_plan"] = _sdk.restart_plan(deployment)
        with steps.step("restart"):
            # the Restart button: the SDK's restart (5.2+) or stop, wait, start; the stop is seen, then the start
            widget = hops_widgets.show(deployment, display=False, **fast)
            try:
                widget.wait_for("RUNNING", timeout=20)
                sb.clear_log()
                seen = []
                widget.observe(lambda change: seen.append(change["new"]), names="status")
                widget.restart().result(timeout=60)
                widget.wait_for("RUNNING", timeout=20)
                assert widget.action_error == "", widget.action_error
                posts = [r["query"] for r in sb.requests(method="POST", endpoint="serving_action")]
                assert posts == ["action=STOP", "action=START"], posts
                assert "STOPPED" in seen or "STOPPING" in seen, seen
            finally:
                widget.close()
        with steps.step("page fields"):
            # resources and endpoint read from the SDK's objects: what the wire JSON says, where the version has it
            missing = {}
            for d in ms.get_deployments():
                from_sdk = DeploymentState.from_sdk(ms.get_deployment(d.name))
                from_wire = DeploymentState.from_json(sb.app._shaped(_NoPlan(), sandbox.rest.serving(sb.world, d.name)))
                for part in ("resources", "endpoint"):
                    got, want = getattr(from_sdk, part), getattr(from_wire, part)
                    flat_got, flat_want = _flat(got), _flat(want)
                    wrong = {k: v for k, v in flat_got.items() if flat_want.get(k) != v}
                    assert not wrong, f"{d.name} {part}: {wrong} (wire: {flat_want})"
                    missing.update({k: True for k in flat_want if k not in flat_got})
            assert "predictor.requests.memory" not in missing, sorted(missing)
            info["page_missing"] = sorted(missing)
        with steps.step("refused start shown"):
            widget = hops_widgets.show(deployment, display=False, **fast)
            try:
                _stopped_by(widget)
                sb.http_error(500, endpoint="serving_action", times=1)
                future = widget.start()
                with contextlib.suppress(Exception):
                    future.result(timeout=20)
                _until(lambda: widget.action_error, what="the error on screen")
                assert "500" in widget.action_error, widget.action_error
                assert sb.api_key not in widget.action_error
                assert sb.status("frauddetector") == "Stopped"
            finally:
                widget.close()
        with steps.step("overview start/stop"):
            overview = hops_widgets.show(ms, display=False, **fast)
            try:

                def row(name):
                    return next((s for s in overview.states if s.name == name), None)

                _until(lambda: row("churnmodel") is not None, what="the overview's first round")
                overview.start("churnmodel").result(timeout=20)
                _until(lambda: row("churnmodel").status == "RUNNING", what="churnmodel RUNNING")
                assert overview.table.action_error == "", overview.table.action_error
                overview.stop("churnmodel").result(timeout=20)
                _until(lambda: row("churnmodel").status == "STOPPED", what="churnmodel STOPPED")
                assert overview.table.action_error == "", overview.table.action_error
            finally:
                overview.close()
        with steps.step("wait_for"):
            widget = hops_widgets.show(deployment, display=False, **fast)
            try:
                widget.start().result(timeout=20)
                running = widget.wait_for("RUNNING", timeout=20)
                assert running.predictor.available == running.predictor.requested == 2, running.summary()
                sb.fail("churnmodel", "STARTED", "Failed to run: the predictor script raised ImportError")
                failing = hops_widgets.show(ms.get_deployment("churnmodel"), display=False, **fast)
                try:
                    failing.start()
                    try:
                        failing.wait_for("RUNNING", timeout=20)
                    except DeploymentFailed as exc:
                        assert "ImportError" in str(exc), str(exc)
                    else:
                        raise AssertionError("wait_for did not raise on FAILED")
                finally:
                    failing.close()
            finally:
                widget.close()
        with steps.step("diagram"):
            # hops_widgets.diagram() on the SDK's object: a stop and a start lit and marked, as in the browser
            dia = hops_widgets.diagram(deployment, display=False, **fast)
            try:
                _stopped_by(dia)
                dia.start().result(timeout=20)
                dia.wait_for("RUNNING", timeout=20)
                _until(lambda: dia.diagram.get("start", {}).get("current") == "READY/true", what="READY lit")
                marks = dia.diagram["status"]
                assert marks["current"] == "RUNNING" and marks["last"] == "STARTING>RUNNING", marks
                assert {"RUNNING>STOPPING", "STOPPING>STOPPED", "STOPPED>STARTING"} <= set(marks["taken"]), marks
                assert "data-id='RUNNING' data-state='current'" in snapshot_html(dia)
            finally:
                dia.close()
        info["logs_plan"] = _sdk.logs_plan(deployment)
        with steps.step("logs"):
            # the widget's read: plain dicts, nothing printed, one block per live instance
            out.seek(0)
            out.truncate()
            lines = _sdk.logs(deployment, "predictor", 5)
            assert out.getvalue() == "", out.getvalue()[:200]
            fields = {"instance", "content", "timestamp", "id"}  # (5.2 log objects add the restart count)
            assert all(set(line) - {"restarts"} == fields for line in lines), lines[:1]
            assert len({line["instance"] for line in lines}) == 2 and len(lines) == 10, len(lines)
            # churnmodel failed at STARTED above: its predictor log ends in the script's traceback
            broken = _sdk.logs(ms.get_deployment("churnmodel"), "predictor", 20)
            assert broken and broken[-1]["content"].startswith("ModuleNotFoundError"), broken[-1:]
            # and the SDK's own get_logs prints the same instances
            deployment.get_logs(component="predictor", tail=3)
            assert out.getvalue().count("frauddetector-predictor-") >= 2, out.getvalue()[:300]
        info["versions_plan"] = _sdk.versions_plan(deployment)
        with steps.step("versions/rollback") as entry:
            _versions_and_rollback(entry, sb, deployment, fast)
        with steps.step("schema") as entry:
            _schema_step(entry, sb, ms, fast)
        with steps.step("scaling fields") as entry:
            _scaling_step(entry, sb, ms)
        with steps.step("restart counts") as entry:
            _restarts_step(entry, sb, ms, fast)
        with contextlib.suppress(Exception):
            hopsworks.logout()


def _versions_and_rollback(entry: dict, sb, deployment, fast: dict) -> None:
    """5.2+: a save as a new version, the versions listed, a rollback through the widget (the SDK's own
    call) followed to Running. Before 5.2 the SDK has no versions: "absent", and nothing is asked."""
    import hops_widgets
    from hops_widgets import _sdk

    if _sdk.versions_plan(deployment) == "none":
        sb.clear_log()
        assert _sdk.versions(deployment) is None and _sdk.rollback(deployment, 1) is None
        widget = hops_widgets.show(deployment, display=False, **fast)
        try:
            widget.wait_for("RUNNING", timeout=20)
            assert widget.versions["available"] is False, widget.versions  # the section is absent
            assert widget.rollback(1) is None and "not available" in widget.action_error, widget.action_error
        finally:
            widget.close()
        assert not sb.requests(endpoint="serving_versions") and not sb.requests(endpoint="serving_rollback")
        entry.update(absent=True, detail="absent: this SDK has no deployment versions (5.2+)")
        return
    deployment.predictor.scaling_configuration.max_instances = 5
    deployment.save(await_update=30, new_version=True)  # the update, as a new version
    found = _sdk.versions(deployment)
    assert [(v["version"], v["active"]) for v in found] == [(2, True), (1, False)], found
    widget = hops_widgets.show(deployment, display=False, **fast)
    try:
        widget.wait_for("RUNNING", timeout=20)
        widget.set_visible(True)
        widget.commands()["versions"]({"open": True})
        _until(lambda: widget.versions.get("active") == 2, what="the versions in the section")
        assert "predictor instances 1–2 → 1–5" in widget.versions["items"][0]["changes"], widget.versions
        sb.clear_log()
        widget.rollback(1).result(timeout=20)
        widget.wait_for("RUNNING", timeout=20)
        _until(lambda: widget.versions.get("active") == 1, what="version 1 active")
        assert widget.action_error == "", widget.action_error
        assert [r["status"] for r in sb.requests(endpoint="serving_rollback")] == [200]
    finally:
        widget.close()
    assert [v.version for v in deployment.get_versions() if v.active] == [1]


_SCALING_52 = ("autoscaler", "scale_up_window_s", "scale_down_window_s", "additional_metrics", "cold_start_timeout_s")


def _scaling_step(entry: dict, sb, ms) -> None:
    """The 5.2 scaling configuration read from the SDK's objects as from the wire (a vLLM deployment
    with KEDA); before 5.2 the SDK has none of those fields: "absent", and the widget shows none."""
    from hops_widgets.state import DeploymentState

    name = "compatllm"
    sb.add_llm_deployment(name=name)
    try:
        from_sdk = DeploymentState.from_sdk(ms.get_deployment(name)).resources.get("predictor", {})
    finally:
        sb.delete_deployment(name)
    has = [k for k in _SCALING_52 if k in from_sdk]
    if not has:
        entry.update(absent=True, detail="absent: this SDK reads no 5.2 scaling fields (min/max/metric only)")
        return
    assert from_sdk["autoscaler"] == "KEDA" and from_sdk["scale_metric"] == "QUEUE_DEPTH", from_sdk
    assert from_sdk["additional_metrics"] == [["KV_CACHE_USAGE", 80], ["TIME_TO_FIRST_TOKEN", 500]], from_sdk
    assert (from_sdk["scale_up_window_s"], from_sdk["scale_down_window_s"]) == (0, 600), from_sdk
    assert from_sdk["cold_start_timeout_s"] == 900, from_sdk
    entry["detail"] = f"{len(has)} of {len(_SCALING_52)} 5.2 fields"


def _restarts_step(entry: dict, sb, ms, fast: dict) -> None:
    """5.2+: each instance's restart count through the SDK's log objects, and the widget's watch naming
    the instance that keeps restarting while the status reads Running. Older: "absent", at most one read."""
    import hops_widgets
    from hops_widgets import _sdk
    from hops_widgets._restarts import pods_reader
    from hops_widgets.poller import DeploymentSource

    deployment = ms.get_deployment("frauddetector")
    pods = _sdk.log_pods(deployment, "predictor")
    if pods is None or all(p["restarts"] is None for p in pods):
        widget = hops_widgets.show(deployment, display=False, **fast)
        try:
            widget.wait_for("RUNNING", timeout=20)
            widget.set_visible(True)
            if pods_reader(DeploymentSource(deployment)) is not None:  # 5.0/5.1: one read says "no counts"
                _until(lambda: not widget._restarts.supported, what="the watch to stop")
            assert widget.restarts == {} and widget._restarts.requests <= 1, widget._restarts.requests
        finally:
            widget.close()
        entry.update(absent=True, detail="absent: this SDK's log objects carry no restart counts (5.2+)")
        return
    widget = hops_widgets.show(deployment, display=False, **fast)
    try:
        widget.wait_for("RUNNING", timeout=20)
        widget.set_visible(True)
        _until(lambda: widget.restarts.get("instances"), what="the first restart check")
        looping = sb.crash_loop("frauddetector", instance=0, every_s=10)
        time.sleep(1.0)  # 50 sandbox seconds: about five restarts
        widget._restarts.check()
        names = [r["instance"] for r in widget.restarts["looping"]]
        assert names == [looping], widget.restarts
        assert widget.status == "RUNNING", widget.status
    finally:
        widget.close()
    entry["detail"] = f"{len(pods)} instances counted, the crash loop named"


def _schema_step(entry: dict, sb, ms, fast: dict) -> None:
    """5.2+: churnmodel's request schema read through the SDK's ``deployment.schema``; Try it starts from
    it and refuses a body that does not match before anything is sent. Before 5.2 the SDK has no
    schema: "absent", nothing is asked, and Try it works as before."""
    import hops_widgets
    from hops_widgets import _sdk

    churn = ms.get_deployment("churnmodel")
    sb.clear_log()
    schema = _sdk.request_schema(churn)
    widget = hops_widgets.show(churn, display=False, **fast)
    try:
        _until(lambda: widget.state is not None, what="the first state")
        assert not widget.tryit_info, "the schema was read before the Try it panel was opened"
        widget.commands()["tryit_open"]({})  # what the view sends when the panel is opened
        _until(lambda: widget.tryit_info, what="Try it set up")
        if schema is None:
            assert not isinstance(getattr(type(churn), "schema", None), property), "a 5.2 SDK read no schema"
            assert widget.tryit_info["schema"] is False, widget.tryit_info
            assert not sb.requests(endpoint="serving_schema"), "a schema read on an SDK without schemas"
            entry.update(absent=True, detail="absent: this SDK has no deployment schema (5.2+)")
            return
        assert schema == churn.schema.to_json_schema()["request"]
        assert widget.tryit_info["schema"] is True and widget.tryit_info["origin"] == "generated", widget.tryit_info
        sb.clear_log()
        try:
            widget.predict({"instances": [{"customer_id": "not a number"}]})
        except Exception as exc:  # noqa: BLE001 - the refusal is the point
            assert "instances[0]" in str(exc), exc
        else:
            raise AssertionError("a body that does not match the schema was not refused")
        assert not sb.requests(path_contains=":predict"), "the refused body reached the server"
    finally:
        widget.close()


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _missing_is_none(ms) -> None:
    """``get_deployment`` of a name nobody deployed: None, or (SDKs before 4.2) the backend's 404 raised."""
    try:
        found = ms.get_deployment("missing")
    except Exception as exc:
        if getattr(exc, "error_code", None) != 240000:
            raise
        return
    assert found is None, found


class _NoPlan:
    """Stands in for a fault plan with nothing to inject."""

    @staticmethod
    def transform(serving):
        return serving


if __name__ == "__main__":
    sys.exit(main())
