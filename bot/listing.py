"""Paged lists: one message per page, numbered entries, buttons 1…5 open an entry's card."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.dialogue import Button, Reply
from bot.i18n import Html, Texts

PAGE_SIZE = 5


@dataclass(frozen=True)
class Entry:
    id: int
    line: Html


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def clamp_page(page: int, total: int) -> int:
    return min(max(page, 0), page_count(total) - 1)


def render_page(
    texts: Texts, *, title: str, empty: str, prefix: str, entries: Sequence[Entry], page: int,
    total: int, extra: Sequence[Sequence[Button]] = (), turn: Callable[[int], str] | None = None,
) -> Reply:
    """A page of a list; `prefix:o:<id>` opens an entry, `prefix:p:<n>` (or `turn(n)`) turns
    the page, and `extra` rows (filters) follow."""
    turn = turn or (lambda number: f"{prefix}:p:{number}")
    if not entries:
        return Reply(empty, [list(row) for row in extra])
    lines = [f"{number}. {entry.line}" for number, entry in enumerate(entries, 1)]
    pages = page_count(total)
    body = "\n".join([title, "", *lines, "", texts("list.page", page=page + 1, pages=pages)])
    rows = [[Button(str(number), f"{prefix}:o:{entry.id}")
             for number, entry in enumerate(entries, 1)], *turning_rows(texts, page, pages, turn)]
    rows.extend(list(row) for row in extra)
    return Reply(body, rows)


def turning_rows(
    texts: Texts, page: int, pages: int, turn: Callable[[int], str]
) -> list[list[Button]]:
    """Back and Next, as far as there are pages before and after this one."""
    turning = []
    if page > 0:
        turning.append(Button(texts("button.back"), turn(page - 1)))
    if page + 1 < pages:
        turning.append(Button(texts("button.next"), turn(page + 1)))
    return [turning] if turning else []
