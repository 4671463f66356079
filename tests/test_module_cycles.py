"""No import cycle between the wizard's modules, counting every import the source writes: at the
top, inside functions (a deferred import hides a cycle from import-linter's layers, not from
this test) and under TYPE_CHECKING. A package importing its own modules (its __init__) and they
importing the package's other modules is the package's structure, not a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "wizard").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict) -> set[str]:
    """The wizard modules `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
    return {m for m in out if m in known and m != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = {name: imports(name, path, known) for name, path in known.items()}

    def family(a, b):  # a package and its own modules
        return a.startswith(b + ".") or b.startswith(a + ".")
    return {a: {b for b in bs if not family(a, b)} for a, bs in edges.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_back_a_module_that_imports_it():
    assert cycles(graph()) == []


def test_the_check_finds_a_cycle_through_an_in_function_import(tmp_path):
    edges = graph()
    edges["wizard.solutions.format"] = edges["wizard.solutions.format"] | {"wizard.flow.views"}
    assert any("wizard.flow.views" in c and "wizard.solutions.format" in c for c in cycles(edges))
    # and the parser sees imports written inside a function
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from .registry import x\n")
    known = {"wizard.services.m": source, "wizard.services.registry": source}
    assert imports("wizard.services.m", source, known) == {"wizard.services.registry"}


def test_every_module_outside_core_is_held_to_the_core_seam():
    """.importlinter's core-seam contract lists every top-level module and package but core (and
    the factory, wizard/__init__.py): a new one cannot import core.embedded unnoticed."""
    text = (ROOT / ".importlinter").read_text()
    section = text.split("[importlinter:contract:core-seam]", 1)[1].split("forbidden_modules", 1)[0]
    listed = {line.strip() for line in section.splitlines() if line.strip().startswith("wizard.")}
    top = {".".join(name.split(".")[:2]) for name in modules() if name.count(".") >= 1}
    assert listed == top - {"wizard.core"}
