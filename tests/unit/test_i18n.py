"""Catalogs: every text in both languages, same placeholders, correct Russian plurals."""

from __future__ import annotations

import pytest

from bot.infra.config import LANGUAGES
from bot.infra.i18n import catalog, placeholders, texts


def _messages(language: str) -> dict[str, tuple[str, ...]]:
    found = {}
    for message in catalog(language):
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found[key] = tuple(strings)
    return found


def test_every_key_is_translated_in_every_language() -> None:
    catalogs = {language: _messages(language) for language in LANGUAGES}
    keys = set().union(*(set(messages) for messages in catalogs.values()))
    for language, messages in catalogs.items():
        assert keys - set(messages) == set(), f"missing in {language}"
        empty = [key for key, strings in messages.items() if not all(strings)]
        assert empty == [], f"untranslated in {language}"


def test_placeholders_are_the_same_in_every_language() -> None:
    english = _messages("en")
    for language in LANGUAGES:
        for key, strings in _messages(language).items():
            for string in strings:
                assert placeholders(string) == placeholders(english[key][0]), (language, key)


@pytest.mark.parametrize(
    ("count", "word"),
    [(1, "символ,"), (2, "символа,"), (4, "символа,"), (5, "символов,"), (11, "символов,"),
     (12, "символов,"), (21, "символ,"), (22, "символа,"), (111, "символов,"), (101, "символ,")],
)
def test_russian_plural_forms(count: int, word: str) -> None:
    assert f" {count} {word}" in texts("ru").plural("invalid.too_long", count, limit=80)


def test_inserted_values_are_escaped_and_unknown_keys_fail() -> None:
    assert texts("en")("help.line", command="/x", description="<b>&") == "/x — &lt;b&gt;&amp;"
    with pytest.raises(KeyError):
        texts("en")("no.such.key")
