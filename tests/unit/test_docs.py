"""The user-facing documentation stands on its own: no pointer outside the project, and the
guides cover every command the bot has."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.roles import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GUIDES = [ROOT / "docs" / "guide.md", ROOT / "docs" / "guide.ru.md"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_no_reference_outside_the_project(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    for outside in ("../shared", "SPEC.md"):
        assert outside not in text, f"{document.name} mentions {outside}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_guide_covers_every_command(guide: Path) -> None:
    text = guide.read_text(encoding="utf-8")
    missing = [command.name for command in COMMANDS
               if not any(f"/{command.name}{after}" in text for after in " ,.*)\n")]
    assert not missing, f"{guide.name} does not mention /{', /'.join(missing)}"


def test_readme_links_both_guides() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/guide.md)" in readme and "(docs/guide.ru.md)" in readme
