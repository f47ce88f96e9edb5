"""Paged lists: one message per page, numbered entries, buttons 1…5 open an entry's card."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.conversation.callbacks import CallbackData
from bot.conversation.replies import Button, Reply
from bot.infra.i18n import Html, Texts

T = TypeVar("T")
PAGE_SIZE = 5
# Choices shown as buttons (a dialogue's options, a filter's values) come this many a page:
# fixed sets such as the nine need categories fit on one.
CHOICES_PER_PAGE = 10


@dataclass(frozen=True)
class Entry:
    id: int
    line: Html


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def clamp_page(page: int, total: int, size: int = PAGE_SIZE) -> int:
    return min(max(page, 0), page_count(total, size) - 1)


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[int, Sequence[T]]:
    """The page actually shown (a stale button may ask for one past the end) and its items."""
    page = clamp_page(page, len(items), size)
    return page, items[page * size:(page + 1) * size]


def turning(texts: Texts, page: int, total: int, turn: Callable[[int], CallbackData],
            size: int = PAGE_SIZE, previous: str = "button.back") -> list[Button]:
    """Back and Next under a page, each only when there is a page that way. A menu or question
    that has a Back of its own (leaving it) turns back with `previous="button.previous"`."""
    buttons = []
    if page > 0:
        buttons.append(Button(texts(previous), turn(page - 1)))
    if page + 1 < page_count(total, size):
        buttons.append(Button(texts("button.next"), turn(page + 1)))
    return buttons


def render_page(
    texts: Texts, *, title: str, empty: str, opens: Callable[[int], CallbackData],
    turn: Callable[[int], CallbackData], entries: Sequence[Entry], page: int, total: int,
    extra: Sequence[Sequence[Button]] = (),
) -> Reply:
    """A page of a list; `opens(id)` opens an entry, `turn(n)` turns the page, and `extra` rows
    (filters) follow."""
    if not entries:
        return Reply(empty, [list(row) for row in extra])
    lines = [f"{number}. {entry.line}" for number, entry in enumerate(entries, 1)]
    pages = page_count(total)
    body = "\n".join([title, "", *lines, "", texts("list.page", page=page + 1, pages=pages)])
    rows = [[Button(str(number), opens(entry.id))
             for number, entry in enumerate(entries, 1)]]
    if turned := turning(texts, page, total, turn):
        rows.append(turned)
    rows.extend(list(row) for row in extra)
    return Reply(body, rows)
