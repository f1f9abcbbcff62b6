"""Test kernels for the simulated hosts, and a JupyterLab whose comms do not go over subshells.

- :func:`install_kernelspec` writes a kernelspec into a server's private data directory: any
  Python, with IPython extensions loaded at start (``tests.hosts.colab_shim``,
  ``tests.hosts.vscode_shim``). The server's environment puts the working tree first on the path,
  so the shims and hops_widgets come from here.
- :func:`kernel_venv` builds (once, cached under ``.venv-kernels/``, git-ignored) a venv with an
  older ipykernel and the package installed editable, for the ipykernel 6.29 kernel.
- :class:`HostLab` is the suite's JupyterLab with ``commsOverSubshells`` set as asked: JupyterLab
  >= 4.4 sends comm messages to kernel subshells by default, so with ipykernel >= 7 frontend
  handlers run on subshell threads; ``subshells=False`` makes them run on the main thread, as they
  do in Colab, VS Code and with ipykernel 6.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.e2e_servers import REPO_ROOT, JupyterServer

KERNEL_VENVS = REPO_ROOT / ".venv-kernels"
SUBSHELLS_SETTING = "@jupyterlab/apputils-extension/kernels-settings.jupyterlab-settings"


def install_kernelspec(
    data_dir: Path, name: str, *, python: str | Path = sys.executable, extensions: tuple[str, ...] = ()
) -> str:
    """Write kernelspec ``name`` under ``data_dir/kernels``; returns its name."""
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    argv += [f"--IPKernelApp.extensions={ext}" for ext in extensions]
    spec = {"argv": argv, "display_name": f"Python 3 ({name})", "language": "python", "metadata": {}}
    folder = data_dir / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return name


def kernel_venv(ipykernel: str) -> Path:
    """The python of ``.venv-kernels/ipykernel-<ipykernel>``, built if missing or stale (~20 s).

    The stamp holds the requirement and a hash of pyproject.toml: a dependency change rebuilds it.
    Raises RuntimeError with pip's output if the build fails.
    """
    venv = KERNEL_VENVS / f"ipykernel-{ipykernel}"
    python = venv / "bin" / "python"
    pyproject = (REPO_ROOT / "pyproject.toml").read_bytes()
    want = f"ipykernel=={ipykernel} {hashlib.sha256(pyproject).hexdigest()[:16]}"
    stamp = venv / ".hops-stamp"
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    KERNEL_VENVS.mkdir(exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", f"ipykernel=={ipykernel}", "-e", f"{REPO_ROOT}[sandbox]"],
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for cmd in steps:
        done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stamp.write_text(want)
    return python


class HostLab(JupyterServer):
    """JupyterLab like the suite's ``lab_server``, with comms over subshells on or off."""

    def __init__(self, workdir: Path, log_dir: Path, *, subshells: bool):
        super().__init__("lab", workdir, log_dir)
        self.subshells = subshells
        self.log_path = log_dir / f"jupyter-lab-subshells-{'on' if subshells else 'off'}.log"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def _write_settings(self) -> None:
        super()._write_settings()
        path = self.workdir / "config" / "lab" / "user-settings" / SUBSHELLS_SETTING
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"commsOverSubshells": "perCommTarget" if self.subshells else "disabled"}))
