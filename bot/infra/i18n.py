"""Message catalogs (gettext .po per language, compiled with Babel at load) and rendering."""

from __future__ import annotations

import gettext
import html
import io
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.infra.config import LANGUAGES

LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


class Html(str):
    """Markup that is already safe to insert (rendered by another function of this module)."""


def _escape(value: object) -> str:
    if isinstance(value, Html):
        return value
    return html.escape(str(value), quote=False)


@cache
def catalog(language: str):
    """The language's .po file, parsed once (Babel)."""
    source = resources.files("bot") / "locales" / language / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as po:
        return read_po(po, locale=language)


@cache
def _translations(language: str) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog(language))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Texts:
    """All user-visible text in one language; every inserted value is HTML-escaped."""

    language: str

    def __call__(self, key: str, /, **values: object) -> str:
        return self._render(_translations(self.language).gettext(key), key, values)

    def plural(self, key: str, count: int, /, **values: object) -> str:
        template = _translations(self.language).ngettext(key, key, count)
        return self._render(template, key, {"count": count, **values})

    def _render(self, template: str, key: str, values: dict[str, object]) -> str:
        if template == key:
            raise KeyError(f"no text {key!r} in {self.language}")
        return template.format_map({name: _escape(value) for name, value in values.items()})


def texts(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else LANGUAGES[0])


def placeholders(template: str) -> set[str]:
    """The {names} a template inserts, for checking catalogs against each other."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
