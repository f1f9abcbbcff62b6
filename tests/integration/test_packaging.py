"""`pip install hops-widgets` gives a working widget: the JS and CSS ride inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_the_view_and_only_light_requirements(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(ROOT),
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("hops_widgets-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert z.read("hops_widgets/static/widget.js") == (ROOT / "js/widget.js").read_bytes()
        assert z.read("hops_widgets/static/widget.css") == (ROOT / "js/widget.css").read_bytes()
        scenarios = sorted((ROOT / "hops_widgets" / "sandbox" / "scenarios").glob("*.json"))
        assert scenarios  # the built-in scenarios (the lesson) for `--scenario NAME`
        for path in scenarios:
            assert z.read(f"hops_widgets/sandbox/scenarios/{path.name}") == path.read_bytes()
        assert "hops_widgets/sandbox/script.py" in names
        meta = next(n for n in names if n.endswith("METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in z.read(meta).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
    base = sorted(r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requires)
    assert base == ["anywidget", "ipywidgets", "requests", "traitlets"]
    assert not any(n.startswith(("tests/", "notebooks/", "benchmarks/")) for n in names)
