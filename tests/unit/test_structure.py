"""The package's import graph runs one way: no circle, counting imports inside functions.

Every module under ``hops_widgets`` is parsed with :mod:`ast`; every ``import`` and
``from ... import`` anywhere in it (module level, inside functions, under
``TYPE_CHECKING``) is an edge, relative or absolute, ``from . import x`` resolving to the
module ``x`` when there is one. A deferred import that closes a circle is still a circle.

And no module reaches into another module's objects: ``x._name`` where ``x`` is not
``self``/``cls`` and ``_name`` belongs to a class of a module it imports (directly or not) is
a private read across modules; each such pair is listed (see :func:`foreign_private_reads`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import hops_widgets

PACKAGE = "hops_widgets"
ROOT = Path(hops_widgets.__file__).resolve().parent

# Modules that draw the widgets (anywidget, traitlets): the sandbox never imports them.
WIDGET_MODULES = frozenset(
    f"{PACKAGE}.{name}"
    for name in ("widget", "overview", "display", "snapshot", "_base", "_channel", "_ipython", "_pending")
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join([PACKAGE, *parts])] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an import of ``name`` executes last: ``name`` itself or its nearest package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    here = module if is_package else module.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # ``from pkg import name``: the submodule ``pkg.name`` when there is one, else ``pkg``.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                target = _resolve(name, modules)
                if target and target != module:
                    targets.add(target)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {module: _imports(module, path, modules) for module, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def circular_pairs(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges a -> b where b also reaches a: the imports that close a circle."""

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return False

    return sorted((a, b) for a in graph for b in graph[a] if reaches(b, a))


def test_the_graph_sees_imports_inside_functions_and_from_dot_imports():
    graph = import_graph()
    assert f"{PACKAGE}.widget" in graph
    # display.show imports the widgets only when called; the graph still has the edge.
    assert f"{PACKAGE}.widget" in graph[f"{PACKAGE}.display"]
    # ``from . import errors as _errors`` is an edge to the module errors, not to the package.
    assert f"{PACKAGE}.errors" in graph[f"{PACKAGE}.widget"]


def test_the_cycle_finder_finds_a_circle_closed_by_a_deferred_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert circular_pairs(graph) == [("a", "b"), ("b", "c"), ("c", "a")]


def test_no_import_circle_among_the_package_modules():
    graph = import_graph()
    found = cycles(graph)
    pairs = circular_pairs(graph)
    report = "\n".join(" <-> ".join(component) for component in found)
    report += "\nimports closing a circle:\n" + "\n".join(f"  {a} -> {b}" for a, b in pairs)
    print(report)
    assert not found, f"{len(found)} import circle(s), {len(pairs)} circular import(s):\n{report}"


def test_the_sandbox_imports_no_widget_module():
    graph = import_graph()
    sandbox = {m: targets for m, targets in graph.items() if m.startswith(f"{PACKAGE}.sandbox")}
    assert sandbox
    wrong = {m: sorted(targets & WIDGET_MODULES) for m, targets in sandbox.items() if targets & WIDGET_MODULES}
    assert not wrong


def test_the_tone_palette_is_declared_once_for_the_view_and_the_snapshots():
    from hops_widgets import snapshot

    css = (ROOT.parent / "js" / "widget.css").read_text(encoding="utf-8")
    for line in snapshot.css_tokens():
        assert line in css, f"js/widget.css does not declare {line}"
    for root in (".hops-snapshot", ".hops-snapshot-overview"):
        rules = snapshot.tone_css(root)
        assert rules.count("[data-tone=") == len(snapshot.TONES)
        assert f"{root} [data-tone=ok]{{color:var(--jp-success-color1,#2e7d32)}}" in rules


# ---------------------------------------------------------------- private attributes stay home
# Friends on purpose: ``show()`` is the widgets' own helper, waiting for their first poll and
# marking the cell that displayed them (so their ``_ipython_display_`` does not show them twice).
FRIENDS = frozenset(
    {
        ("hops_widgets.display", "_await_first_update"),
        ("hops_widgets.display", "_mark_shown"),
    }
)


def _privates_defined(tree: ast.AST) -> set[str]:
    """Private names a module's classes own: methods and class attributes, ``self._x = …``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(item.name)
                targets = item.targets if isinstance(item, ast.Assign) else [getattr(item, "target", None)]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                names.add(node.attr)
    return {n for n in names if n.startswith("_") and not n.endswith("__")}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def foreign_private_reads() -> list[tuple[str, int, str, list[str]]]:
    """``(module, line, expression, owners)`` for every ``x._name`` (``x`` not self/cls) whose
    ``_name`` the module does not define itself but a module it imports does."""
    modules = _modules()
    graph = import_graph()
    trees = {m: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for m, path in modules.items()}
    defined = {m: _privates_defined(tree) for m, tree in trees.items()}
    found = []
    for module, tree in trees.items():
        imported = _reachable(graph, module)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.endswith("__"):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr in defined[module] or (module, node.attr) in FRIENDS:
                continue
            owners = sorted(o for o in imported if node.attr in defined[o])
            if owners:
                found.append((module, node.lineno, ast.unparse(node), owners))
    return found


def test_the_private_read_finder_knows_what_a_class_owns():
    tree = ast.parse("class Poller:\n    def __init__(self):\n        self._due = None\n")
    assert "_due" in _privates_defined(tree)
    assert "__init__" not in _privates_defined(tree)


def test_no_module_reads_another_modules_private_attributes():
    found = foreign_private_reads()
    report = "\n".join(f"  {m}:{line}  {expr}  (private to {', '.join(owners)})" for m, line, expr, owners in found)
    assert not found, f"private attributes read across modules:\n{report}"
