"""The layering rules of docs/internals.md, read from the source: the core does no I/O, and the
hand-written modules import each other without a cycle (imports under TYPE_CHECKING count)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "aioamqp"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module path imports, at any depth of the file (TYPE_CHECKING blocks included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            if node.level:
                module = f"{base}.{module}" if module else base
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def hand_written() -> dict[str, set[str]]:
    """The package's own modules, outside _generated, and which of them each imports."""
    paths = [p for p in PACKAGE.rglob("*.py") if "_generated" not in p.parts]
    names = {module_name(p) for p in paths}
    return {module_name(p): {i for i in imports(p) if i in names} - {module_name(p)} for p in paths}


def test_the_core_imports_neither_asyncio_nor_socket():
    for path in (PACKAGE / "core").glob("*.py"):
        used = {name.split(".")[0] for name in imports(path)}
        assert not used & {"asyncio", "socket", "selectors", "ssl"}, path.name
        assert "asyncio" not in path.read_text(), path.name


def test_no_import_cycle_among_hand_written_modules():
    graph = hand_written()
    assert "aioamqp.channel" in graph and "aioamqp.core.connection" in graph
    # A package's __init__ runs before its modules: an edge into a package is not a cycle of
    # the modules, so packages are left out as targets except through their modules.
    edges = {name: {t for t in targets if t != "aioamqp"} for name, targets in graph.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name) :] + [name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for target in sorted(edges.get(name, ())):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
