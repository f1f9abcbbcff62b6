"""One version: pyproject.toml, the installed package, `hops-widgets --version`, the docs and the changelog."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import hops_widgets
from hops_widgets import cli

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = (ROOT / "pyproject.toml").read_text()  # read with re: tomllib is 3.11+, and this runs on 3.10 too
VERSION = re.search(r'^version = "([^"]+)"$', PYPROJECT, re.M).group(1)


def test_the_installed_package_has_pyprojects_version():
    # the editable install's metadata: `make` reinstalls when pyproject.toml changes
    assert hops_widgets.__version__ == VERSION


def test_the_command_line_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"hops-widgets {VERSION}"


def test_the_docs_name_the_version():
    footer = re.search(r"^copyright: hops-widgets (\S+) ", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert footer and footer.group(1) == VERSION
    assert f"hops-widgets {VERSION}" in (ROOT / "docs" / "index.md").read_text()


def test_the_changelogs_newest_release_is_the_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert headings[0] == ("Unreleased", "")
    released = [(name, date) for name, date in headings[1:]]
    assert released and released[0][0] == VERSION
    assert all(date for _, date in released), "every released version has its date"


def test_the_classifiers_name_the_versions_ci_tests():
    listed = re.findall(r'^  "Programming Language :: Python :: (3\.\d+)",$', PYPROJECT, re.M)
    assert re.search(r'^requires-python = "(.+)"$', PYPROJECT, re.M).group(1) == f">={listed[0]}"
    minors = [int(v.split(".")[1]) for v in listed]
    assert minors == list(range(minors[0], minors[-1] + 1)), "no gap between the oldest and the newest"
    # make pythons runs the oldest and the newest besides the one running it (.venv's 3.11 runs everything)
    from scripts.pythons import default_choice, supported

    assert supported() == listed
    assert default_choice(listed, here="3.11") == [listed[0], listed[-1]] == ["3.10", "3.13"]
    assert default_choice(["3.10", "3.11"], here="3.11") == ["3.10"]
    assert sys.version_info[:2] >= (3, 10)
