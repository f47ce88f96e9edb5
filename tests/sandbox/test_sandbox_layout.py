"""The sandbox stays a set of small modules that stand apart from the bot they test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SANDBOX = Path(__file__).resolve().parents[2] / "bot" / "sandbox"
MAX_LINES = 400
# The only module that runs the bot, and so the only one that may import it.
CHAT_RUNNER = "chat.py"
BOT_PACKAGES = ("bot", "handlers", "storage")
SANDBOX_PACKAGE = "bot.sandbox"

MODULES = sorted(SANDBOX.glob("*.py"))


def _imported(tree: ast.Module, package: str) -> set[str]:
    """Every module an import statement names, relative ones resolved, wherever it stands
    (under TYPE_CHECKING or inside a function too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *filter(None, [node.module])])
            # `from bot import app` imports the module bot.app.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _reaches_the_bot(module: str) -> bool:
    inside_sandbox = module == SANDBOX_PACKAGE or module.startswith(f"{SANDBOX_PACKAGE}.")
    top = module.split(".")[0]
    if top == "bot":
        return not inside_sandbox
    return top in BOT_PACKAGES


def test_the_sandbox_modules_are_found() -> None:
    assert {path.name for path in MODULES} >= {"server.py", CHAT_RUNNER}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_every_sandbox_module_is_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"bot/sandbox/{path.name} has {lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != CHAT_RUNNER], ids=lambda path: path.name
)
def test_only_the_chat_runner_imports_the_bot(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    reaching = sorted(m for m in _imported(tree, SANDBOX_PACKAGE) if _reaches_the_bot(m))
    assert not reaching, f"bot/sandbox/{path.name} imports {reaching}"


@pytest.mark.parametrize(
    ("source", "reaches"),
    [
        ("import bot.app.application", True),
        ("from bot.features import needs", True),
        ("from bot import app", True),
        ("from handlers import needs", True),
        ("import storage.database", True),
        ("from .. import conversation", True),
        ("from ..infra.config import Settings", True),
        ("if TYPE_CHECKING:\n    from storage.models import Need", True),
        ("def f():\n    from bot.app import cli", True),
        ("from bot.sandbox.errors import bad", False),
        ("from bot import sandbox", False),
        ("from . import errors", False),
        ("from .records import SentRecord", False),
        ("import asyncio\nfrom aiohttp import web", False),
    ],
)
def test_the_import_walk_sees_every_way_to_import(source: str, reaches: bool) -> None:
    imported = _imported(ast.parse(source), SANDBOX_PACKAGE)
    assert any(map(_reaches_the_bot, imported)) is reaches, imported
