"""The suite's non-browser part on the other supported Pythons: `make pythons`.

    python scripts/pythons.py              # the oldest and the newest supported, besides this one
    python scripts/pythons.py 3.12         # some versions
    python scripts/pythons.py --list       # what is supported, and where each interpreter is

The supported versions are the classifiers in pyproject.toml (``Programming Language :: Python :: 3.X``).
Each version gets a cached environment, ``.venv-py3.X``, made with uv (its own download cache,
shared by every clone) from the interpreter found on
this machine (pyenv's, else ``python3.X`` on PATH; uv never downloads one) with
``pip install -e ".[dev]"``; it is made again only when pyproject.toml changes. Then
``pytest tests --ignore=tests/e2e -m "not e2e"`` runs in it on two workers, like ``make test``.

A summary line per version says what ran (``Python 3.10.13: 612 passed, 2 skipped in 301 s``) or that
no interpreter was found (absent: not a failure, but said). The exit status is 1 if any version that
ran failed (or could not be installed), 2 for a version that is not supported.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
UV_HOME = ROOT / ".venv-compat" / ".uv"  # shared with scripts/compat.py
PYTEST_ARGS = [
    "-m",
    "pytest",
    "tests",
    "--ignore=tests/e2e",
    "-m",
    "not e2e",
    "-p",
    "no:cacheprovider",
    "-q",
    "-n",
    os.environ.get("TEST_WORKERS", "2"),
    "--dist",
    "loadfile",
]


def supported() -> list[str]:
    """``["3.10", "3.11", ...]`` from the classifiers, in order."""
    found = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT.read_text())
    return sorted(set(found), key=lambda v: tuple(int(p) for p in v.split(".")))


def default_choice(versions: list[str], here: str | None = None) -> list[str]:
    """The oldest and the newest supported version, leaving out ``here`` (the one running this script)."""
    here = here or f"{sys.version_info.major}.{sys.version_info.minor}"
    others = [v for v in versions if v != here]
    return sorted({others[0], others[-1]}, key=versions.index) if others else []


def find_interpreter(version: str) -> Path | None:
    """pyenv's newest 3.X.*, else python3.X on PATH."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    candidates: list[Path] = []
    for root in filter(None, roots):
        for folder in glob.glob(os.path.join(root, "versions", f"{version}.*")):
            python = Path(folder) / "bin" / f"python{version}"
            if python.exists() and re.fullmatch(rf"{re.escape(version)}\.\d+", Path(folder).name):
                candidates.append(python)
    if candidates:
        return max(candidates, key=lambda p: int(p.parent.parent.name.rsplit(".", 1)[1]))
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path else None


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    local = UV_HOME / "bin" / "uv"
    if not local.exists():
        print("pythons: installing uv into .venv-compat/.uv", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(UV_HOME), "uv"], check=True)
    return [str(local)]


def ensure_env(version: str, interpreter: Path) -> tuple[Path, float]:
    """The environment's python, made or reused; and the seconds spent making it."""
    env = ROOT / f".venv-py{version}"
    python = env / "bin" / "python"
    stamp = env / ".hops-widgets-pythons"
    recipe = f"{interpreter.resolve()} seed pip, -e .[dev]".encode()  # change it to remake every environment
    digest = hashlib.sha256(PYPROJECT.read_bytes() + recipe).hexdigest()[:16]
    if stamp.exists() and stamp.read_text().strip() == digest and python.exists():
        return python, 0.0
    started = time.perf_counter()
    uv = _uv()
    # uv's own cache (~/.cache/uv): kept across clones of the repository, so CI's fresh clone reuses it
    environ = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    if env.exists():
        shutil.rmtree(env)
    subprocess.run([*uv, "venv", "--quiet", "--seed", "--python", str(interpreter), str(env)], check=True, env=environ)
    subprocess.run(
        [*uv, "pip", "install", "--quiet", "--python", str(python), "-e", f"{ROOT}[dev]"],
        check=True,
        env=environ,
        cwd=ROOT,
    )
    stamp.write_text(digest + "\n")
    return python, time.perf_counter() - started


def summary(output: str) -> str:
    """pytest's closing counts (``612 passed, 2 skipped``), without its time."""
    for line in reversed(output.strip().splitlines()):
        line = line.strip().strip("=").strip()
        if re.search(r"\d+ (passed|failed|error|errors|skipped|deselected|xfailed)\b", line):
            return re.sub(r"\s+in [\d.]+s.*$", "", line)
    return "no test summary"


def full_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return out.stdout.strip()


def main(argv: list[str]) -> int:
    versions = supported()
    if "--list" in argv:
        for version in versions:
            print(f"{version}: {find_interpreter(version) or 'absent'}")
        return 0
    chosen = [a for a in argv if not a.startswith("-")] or default_choice(versions)
    unknown = [v for v in chosen if v not in versions]
    if unknown:
        print(f"pythons: not a supported version: {', '.join(unknown)} (supported: {', '.join(versions)})")
        return 2
    lines: list[str] = []
    failed = ran = 0
    for version in chosen:
        interpreter = find_interpreter(version)
        if interpreter is None:
            lines.append(f"Python {version}: absent (no interpreter on this machine; not run)")
            continue
        print(f"pythons: Python {version} from {interpreter}", flush=True)
        try:
            python, made_s = ensure_env(version, interpreter)
        except subprocess.CalledProcessError as exc:
            failed += 1
            lines.append(f"Python {version}: FAILED to install ({exc})")
            continue
        started = time.perf_counter()
        proc = subprocess.run([str(python), *PYTEST_ARGS], cwd=ROOT, text=True, capture_output=True)
        took = time.perf_counter() - started
        sys.stdout.write(proc.stdout[-6000:] if proc.returncode else "")
        sys.stdout.write(proc.stderr[-3000:] if proc.returncode else "")
        ran += 1
        counts = summary(proc.stdout)
        verdict = "" if proc.returncode == 0 else f" — FAILED (pytest exit {proc.returncode})"
        setup = f", environment made in {made_s:.0f} s" if made_s else ""
        lines.append(f"Python {full_version(python)}: {counts} in {took:.0f} s{setup}{verdict}")
        failed += proc.returncode != 0
        print(lines[-1], flush=True)
    print(f"\npythons: the suite without the browser on {len(chosen)} of the supported {', '.join(versions)}")
    for line in lines:
        print(line)
    if not ran:
        print("pythons: no other supported interpreter on this machine: nothing ran")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
