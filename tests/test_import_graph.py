"""The import graph: layers point one way and modules form no cycle.

Layers, lowest first: ``core`` (settings, errors, data model) <- ``ingest`` <- ``index``
<- ``service`` <- ``eval`` <- ``tools`` (benchmarks and experiments, not shipped). A module may import its own layer and lower ones. The one
allowed exception is the CLI (``service/cli.py``), which imports ``eval`` inside the eval
commands only, so that serving never loads the evaluation code.

Checked statically (``ast``): every import, wherever it sits (module level, inside a
function, under ``if TYPE_CHECKING``), is an edge of the graph. The graph must be acyclic,
and every edge must respect the layers. A package importing its own submodule counts too,
so a package ``__init__`` that re-exports submodules which import the package back is a
cycle. Lazy imports (inside functions) are for start-up time only; they do not hide an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": 0, "ingest": 1, "index": 2, "service": 3, "eval": 4, "tools": 5}
LAZY_ALLOWED = {("service.cli", "eval")}  # (importing module, imported layer), inside functions only


def _modules() -> dict[str, Path]:
    out = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import statement of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` / try blocks at module level count as module level
        if isinstance(node, (ast.If, ast.Try)):
            top |= {id(n) for n in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, id(node) in top))
            found += [(f"{target}.{a.name}", id(node) in top) for a in node.names if f"{target}.{a.name}" in MODULES]
    return [(t, lvl) for t, lvl in found if t.split(".")[0] in LAYERS]


def _resolve(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def test_the_survey_sees_every_layer():
    assert {m.split(".")[0] for m in MODULES} == set(LAYERS)
    assert len(MODULES) > 80


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_respect_the_layers(name):
    layer = name.split(".")[0]
    wrong = []
    for target, module_level in _imports(name, MODULES[name]):
        other = target.split(".")[0]
        if LAYERS[other] <= LAYERS[layer]:
            continue
        if (name, other) in LAZY_ALLOWED and not module_level:
            continue
        wrong.append(f"{target} ({'module level' if module_level else 'inside a function'})")
    assert not wrong, f"{name} ({layer}) imports a higher layer: {', '.join(wrong)}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (module -> modules it imports anywhere), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def import_graph() -> dict[str, set[str]]:
    """module -> project modules it imports, at any depth (module level or inside functions)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        deps = {_resolve(t) for t, _ in _imports(name, path)}
        graph[name] = {d for d in deps if d and d != name}
    return graph


def test_no_import_cycles_counting_imports_inside_functions():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_counts_imports_inside_functions():
    """The survey sees lazy imports: a cycle closed by an import inside a function is found."""
    graph = import_graph()
    assert "index.compounds" in graph["index.analyzer"]  # module level
    assert "eval.cli" in graph["service.cli"]  # inside the eval command


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"pkg": {"pkg.x"}, "pkg.x": {"pkg"}}) == ["pkg", "pkg.x", "pkg"]  # a re-exporting package
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The survey itself works: a made-up index module importing service is caught."""
    fake = tmp_path / "bad.py"
    fake.write_text("from service.application import Application\n\ndef f():\n    import eval.run\n")
    found = _imports("index.bad", fake)
    assert ("service.application", True) in found and ("eval.run", False) in found


def test_a_cycle_through_a_function_level_import_is_caught(tmp_path):
    """index.analyzer importing index.bm25 at module level, and a made-up index.bm25
    importing index.analyzer back inside a function: the survey has both edges, so the
    cycle is found although no module-level import closes it."""
    lazy = tmp_path / "bm25.py"
    lazy.write_text("def f():\n    from index.analyzer import analyze\n")
    graph = {"index.analyzer": {"index.bm25"},
             "index.bm25": {_resolve(t) for t, _ in _imports("index.bm25", lazy)}}
    assert graph["index.bm25"] == {"index.analyzer"}
    assert find_cycle(graph) == ["index.analyzer", "index.bm25", "index.analyzer"]


# -- lazy imports carry their reason ----------------------------------------------------------

# In-function imports without a "# lazy: <reason>" comment (on the import's line or as the line
# above its block of imports): none (issue 24, item 4, brought 106 to 0). A new in-function import
# gives its reason, or sits at module level.
UNREASONED_CEILING = 0


def unreasoned_lazy_imports(root: Path = ROOT) -> list[str]:
    """``path:line`` of every import inside a function of the shipped packages that has no
    ``# lazy:`` reason."""
    out = []
    for pkg in ("core", "ingest", "index", "service", "eval"):
        for path in sorted((root / pkg).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            seen = set()
            for fn in ast.walk(ast.parse("\n".join(lines))):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno not in seen:
                        seen.add(node.lineno)
                        if not _has_reason(lines, node.lineno - 1, node.end_lineno - 1):
                            out.append(f"{path.relative_to(root)}:{node.lineno}")
    return out


def _has_reason(lines: list[str], first: int, last: int) -> bool:
    if any("# lazy:" in lines[i] for i in range(first, last + 1)):
        return True
    i = first - 1
    while i >= 0 and lines[i].strip().startswith(("import ", "from ")):  # the block's comment covers it
        i -= 1
    return i >= 0 and lines[i].strip().startswith("# lazy:")


def test_lazy_imports_give_their_reason():
    missing = unreasoned_lazy_imports()
    assert len(missing) <= UNREASONED_CEILING, (
        f"{len(missing)} in-function imports without a '# lazy: <reason>' comment (at most "
        f"{UNREASONED_CEILING}); give the new ones a reason or move them to module level:\n  " + "\n  ".join(missing))


def test_the_lazy_check_sees_a_missing_reason(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "m.py").write_text("def f():\n    # lazy: costly\n    import json\n    import os\n\n"
                                            "def g():\n    import re\n    return re\n")
    assert unreasoned_lazy_imports(tmp_path) == ["core/m.py:7"]
