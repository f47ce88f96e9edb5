"""The project's import graph: no cycles, and every layer and wing imports only what it may.

Read from the source with `ast`, so imports under `if TYPE_CHECKING:` and inside functions
count too: a type-only import is still a dependency between two modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage")

# What each wing of `bot` may import besides itself (as its __init__ docstring says).
WINGS = {
    "bot.infra": ("storage",),
    "bot.conversation": ("bot.infra", "storage"),
    "bot.features": ("bot.conversation", "bot.infra", "storage"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """Every name `module` imports, the project's resolved to the module they name."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            # `from package import module` depends on that module, not only on the package.
            names.update(f"{base}.{alias.name}" for alias in node.names
                         if f"{base}.{alias.name}" in known)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {module: _imported(module, path, known) for module, path in modules.items()}


def _project_graph() -> dict[str, set[str]]:
    graph = _graph()
    return {module: {name for name in names if name in graph and name != module}
            for module, names in graph.items()}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each group of modules that import each other in a loop (Tarjan's algorithm): its
    members, and one cycle through them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [f"{' -> '.join(_cycle_in(graph, group))} (in a loop of {len(group)}: "
            f"{', '.join(sorted(group))})" for group in groups]


def _cycle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way from the group's first module back to itself, within the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle in {group}")


def test_the_graph_sees_type_checking_and_function_level_imports() -> None:
    graph = _project_graph()
    assert "bot.app.services" in graph["bot.app.cli"]  # imported inside a function
    assert "bot.conversation.session" in graph["bot.conversation.menu"]
    assert "handlers.announcements" in graph["handlers"]  # `from handlers import announcements`


def test_no_module_imports_itself_through_others() -> None:
    cycles = _cycles(_project_graph())
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_only_the_application_assembly_imports_handlers() -> None:
    wrong = sorted(f"{module} imports {name}" for module, names in _graph().items()
                   if _within(module, "bot") and not _within(module, "bot.app")
                   for name in names if _within(name, "handlers"))
    assert not wrong, "\n".join(wrong)


def test_storage_knows_nothing_above_it() -> None:
    wrong = sorted(f"{module} imports {name}" for module, names in _graph().items()
                   if _within(module, "storage")
                   for name in names
                   if any(_within(name, top) for top in ("bot", "handlers", "telegram")))
    assert not wrong, "\n".join(wrong)


def test_each_wing_imports_only_what_its_docstring_allows() -> None:
    graph = _project_graph()
    wrong = sorted(
        f"{module} imports {name}"
        for wing, allowed in WINGS.items()
        for module, names in graph.items() if _within(module, wing)
        for name in names
        if not any(_within(name, target) for target in (wing, *allowed))
    )
    assert not wrong, "\n".join(wrong)
