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


# ---------------------------------------------------------------- the code layout
def _layout() -> list[str]:
    """The modules the README's code layout lists, top to bottom (``sandbox/machine``, ``__init__``)."""
    section = README.split("## Code layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def _module(entry: str) -> str:
    """``sandbox/machine`` -> ``hops_widgets.sandbox.machine``; ``__init__`` -> ``hops_widgets``."""
    parts = ["hops_widgets", *entry.split("/")]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_the_code_layout_lists_every_module_once_and_nothing_else():
    from tests.unit.test_structure import _modules

    listed = [_module(entry) for entry in _layout()]
    assert len(listed) == len(set(listed)), "a module listed twice"
    modules = set(_modules())
    assert not modules - set(listed), f"modules the README's code layout does not list: {sorted(modules - set(listed))}"
    assert not set(listed) - modules, f"listed, but no such module: {sorted(set(listed) - modules)}"


def test_the_code_layout_runs_one_way_each_module_imports_only_those_above_it():
    from tests.unit.test_structure import import_graph

    graph = import_graph()
    listed = [_module(entry) for entry in _layout()]
    above: set[str] = set()
    wrong = []
    for module in listed:
        wrong += [
            f"{module} imports {target}, listed below it"
            for target in sorted(graph.get(module, ()))
            if target not in above
        ]
        above.add(module)
    assert not wrong, "\n".join(wrong)


def test_how_it_works_names_every_module_in_an_order_that_runs_one_way():
    from tests.unit.test_structure import _modules, import_graph

    page = (ROOT / "docs" / "how-it-works.md").read_text()
    table = page.split("| module | job |", 1)[1].split("\n\n", 1)[0]
    top = {m for m in _modules() if m.count(".") == 1}  # the sandbox has its own row
    first: dict[str, int] = {}  # a module's row (a row may name a few, in either column)
    for row, line in enumerate(table.splitlines()):
        for name in re.findall(r"`(?:hops_widgets/)?(_?\w+)(?:\.py|/)`", line):  # `errors.py`, `sandbox/`
            first.setdefault(f"hops_widgets.{name}", row)
    assert not top - set(first), f"modules the module table does not name: {sorted(top - set(first))}"
    graph = import_graph()
    wrong = [
        f"{module} imports {target}, named below it"
        for module in top
        for target in graph[module]
        if target in first and first[target] > first[module]
    ]
    assert not wrong, "\n".join(sorted(wrong))
