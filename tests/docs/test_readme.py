"""The README is a front page: short, one picture, the two commands, links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
LINKS = re.findall(r"\]\(([^)\s]+)\)", README)


def test_the_readme_is_about_8_kb():
    assert len(README.encode()) <= 8 * 1024


def test_the_quick_start_is_the_two_commands_ci_runs():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(make \S+)", quick, re.M)
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^(step )?make test$", ci, re.M), ".ci/run runs the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_every_relative_link_and_picture_exists():
    relative = [link for link in LINKS if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert relative
    missing = [link for link in relative if not (ROOT / link.split("#", 1)[0]).exists()]
    assert not missing


def test_one_picture_and_links_into_every_page_of_the_site():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert pictures == ["docs/img/widget-running.png"]
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    pages -= {"docs/index.md", "docs/changelog.md"}  # the README is the front page; it links CHANGELOG.md
    assert pages <= set(LINKS), f"pages the README does not link: {sorted(pages - set(LINKS))}"


def test_the_fidelity_section_links_the_full_table():
    section = README.split("## Fidelity", 1)[1].split("\n## ", 1)[0]
    assert "docs/fidelity.md" in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) >= 6
