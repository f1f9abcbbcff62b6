"""What a user gets from `pip install hops-widgets`: `make release-check`.

1. ``python -m build`` makes the sdist and the wheel (into artifacts/release/dist);
2. ``twine check --strict`` passes on both (the README renders on PyPI, the metadata is complete);
3. the sdist carries the sources, the view, the README and the changelog; the wheel no tests;
4. the wheel goes into a fresh venv with the ``[sandbox]`` extra only (no dev tools, no source tree on
   the path): it imports, reports the version that pyproject.toml, mkdocs.yml and CHANGELOG.md name,
   ``hops-widgets --version`` says the same, a widget shown on a sandbox deployment gets its state,
   and its JS and CSS are read from the installed package.

Exit status 0 when every check passed; the last line says what was checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "artifacts" / "release"
DIST = OUT / "dist"
VENV = OUT / "venv"

# runs inside the fresh venv, from a folder outside the source tree
SMOKE = r"""
import json, pathlib
import hops_widgets
from hops_widgets import sandbox
from hops_widgets._base import STATIC
from hops_widgets.widget import DeploymentWidget

where = pathlib.Path(hops_widgets.__file__).resolve().parent
assert "site-packages" in where.parts, f"imported from {where}, not from the installed wheel"
assert STATIC.resolve() == (where / "static").resolve(), f"the view is read from {STATIC}"
esm, css = STATIC / "widget.js", STATIC / "widget.css"
assert DeploymentWidget._esm == esm.read_text(encoding="utf-8") and "export default" in DeploymentWidget._esm
assert DeploymentWidget._css == css.read_text(encoding="utf-8") and ".hops" in DeploymentWidget._css
with sandbox.start(speed=50) as sb:
    deployment = sb.login().get_model_serving().get_deployment("frauddetector")
    widget = hops_widgets.show(deployment, display=False)
    try:
        status = widget.wait_for("RUNNING", timeout=30).status
    finally:
        widget.close()
print(json.dumps({"version": hops_widgets.__version__, "status": status, "where": str(where),
                  "esm": esm.name, "css": css.name, "esm_bytes": esm.stat().st_size}))
"""


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def expected_version() -> str:
    version = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    docs = re.search(r"^copyright: hops-widgets (\S+) ", (ROOT / "mkdocs.yml").read_text(), re.M)
    named = docs and docs.group(1)
    assert named == version, f"mkdocs.yml's copyright line names {named}, not {version}"
    released = re.findall(r"^## \[(\d[^\]]*)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert released and released[0] == version, f"CHANGELOG.md's newest release {released[:1]} != {version}"
    return version


def check_archives(version: str) -> tuple[Path, Path]:
    (wheel,) = DIST.glob(f"hops_widgets-{version}-py3-none-any.whl")
    (sdist,) = DIST.glob(f"hops_widgets-{version}.tar.gz")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for name in ("hops_widgets/static/widget.js", "hops_widgets/static/widget.css", "hops_widgets/cli.py"):
        assert name in names, f"{name} missing from the wheel"
    assert not any(n.startswith(("tests/", "notebooks/", "docs/")) for n in names), "the wheel carries no tests"
    with tarfile.open(sdist) as t:
        members = {m.split("/", 1)[1] for m in t.getnames() if "/" in m}
    for name in ("README.md", "CHANGELOG.md", "pyproject.toml", "js/widget.js", "hops_widgets/__init__.py"):
        assert name in members, f"{name} missing from the sdist"
    return wheel, sdist


def fresh_venv(wheel: Path) -> Path:
    if VENV.exists():
        shutil.rmtree(VENV)
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    run([str(base if base.exists() else sys.executable), "-m", "venv", str(VENV)])
    python = VENV / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{wheel}[sandbox]"])
    return python


def main() -> int:
    started = time.perf_counter()
    version = expected_version()
    if OUT.exists():
        shutil.rmtree(OUT)
    DIST.mkdir(parents=True)
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(DIST), str(ROOT)], stdout=subprocess.DEVNULL)
    wheel, sdist = check_archives(version)
    run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    python = fresh_venv(wheel)
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], text=True, capture_output=True)
    dev_tools = [n for n in ("pytest", "hopsworks", "jupyterlab", "mkdocs") if f"\n{n}==" in "\n" + listed.stdout]
    assert not dev_tools, f"the fresh venv has dev tools: {dev_tools}"
    cli = subprocess.run([str(VENV / "bin" / "hops-widgets"), "--version"], text=True, capture_output=True, check=True)
    assert cli.stdout.strip() == f"hops-widgets {version}", cli.stdout
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    smoke = subprocess.run(
        [str(python), "-c", SMOKE], text=True, capture_output=True, cwd=OUT, env=env, timeout=120, check=False
    )
    if smoke.returncode:
        print(smoke.stdout, smoke.stderr, sep="\n")
        raise SystemExit("release-check: the installed wheel failed its smoke test")
    seen = json.loads(smoke.stdout.strip().splitlines()[-1])
    assert seen["version"] == version, seen
    assert seen["status"] == "RUNNING", seen
    print(
        f"release-check: hops-widgets {version}: sdist and wheel built, twine check passed, "
        f"wheel in a fresh venv with [sandbox] only: imports, --version {version}, "
        f"frauddetector shown as {seen['status']}, {seen['esm']} ({seen['esm_bytes']} B) and {seen['css']} "
        f"from the installed package ({time.perf_counter() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
