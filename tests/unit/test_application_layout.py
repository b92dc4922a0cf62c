"""The application layer stays readable: modules of a sitting's length, no import cycles, and
the event store's table read in one module only."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
APPLICATION = SRC / "ejournal" / "application"


def _module(path: Path) -> str:
    name = ".".join(path.relative_to(SRC).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The ejournal modules this one imports at module level (``from package import module``
    imports that module, not the package's others)."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                      for a in node.names}
    return found & modules


def test_no_module_of_the_application_is_over_400_lines() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in APPLICATION.rglob("*.py")}
    assert sizes
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_the_modules_of_ejournal_import_one_another_without_a_cycle() -> None:
    modules = {_module(p): p for p in (SRC / "ejournal").rglob("*.py")}
    graph = {m: _imports(p, set(modules)) for m, p in modules.items()}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join((*path, module)))
        if module in done:
            return
        for imported in sorted(graph[module]):
            if imported != module:
                visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())


def test_only_the_event_store_module_reads_the_event_store_table() -> None:
    readers = sorted(str(p.relative_to(SRC)) for p in (SRC / "ejournal").rglob("*.py")
                     if "events_table_name" in p.read_text())
    assert readers == ["ejournal/application/eventstore.py"]
