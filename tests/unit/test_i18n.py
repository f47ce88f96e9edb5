"""Catalogs: every text in both languages, same placeholders, correct Russian plurals."""

from __future__ import annotations

import re

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


# --- Russian that reads as written by a native speaker (issue 15) --------------------------

# Placeholders that insert a number. A text showing one needs plural forms (a noun next to a
# number agrees with it), unless the number stands where no word agrees with it.
NUMBERS = {"count", "days", "hours", "years", "window", "total", "sent", "blocked", "failed",
           "going", "maybe", "waiting", "minimum", "maximum", "capacity", "approvals",
           "required", "limit", "page", "pages", "number", "id", "tg_id", "position", "rate"}
NUMBER_EXCEPTIONS = {
    "list.page": "«Страница 2 из 5»: no word agrees with the numbers",
    "person.coordinator": "«№{number}» is an identifier",
    "person.organiser": "«№{number}» is an identifier",
    "person.member": "«№{number}» is an identifier",
    "audit.forgotten": "«№{number}» is an identifier",
    "coordinators.line": "a list number",
    "coordinators.account": "an identifier",
    "elections.line": "a list number",
    "campaign.site": "a list number",
    "org.card": "«Одобрений: 1 из 2»: label form, the label does not agree",
    "event.capacity": "«Мест: 50»: label form",
    "event.counts": "«Идут: 3 · Возможно: 1»: label form",
    "event.own_line": "label form, as event.counts",
    "overview.site": "label form, as event.counts",
    "overview.site_came": "label form, as event.counts",
    "event.ask.hours": "a bare range of numbers",
    "event.ask.capacity": "a bare range of numbers",
    "attendance.ask.people": "a bare range of numbers",
    "invalid.hours": "a bare range after «число часов»",
    "invalid.capacity": "a bare range of numbers",
    "rsvp.waiting": "«ваш номер … — 3»: a position, no word agrees",
    "audience.event.going": "«№{id}» is an identifier",
    "audience.event.answered": "«№{id}» is an identifier",
    "audience.shift": "«№{id}» is an identifier",
    "shift.waiting": "as rsvp.waiting",
    "shift.yours.waiting": "as rsvp.waiting",
    "shift.ask.length": "a bare range of numbers",
    "shift.ask.every": "a bare range of numbers",
    "shift.ask.places": "a bare range of numbers",
    "shift.invalid.number": "a bare range of numbers",
    "announce.ask.send_at": "{window} with the unit symbol «с», the same for every number",
    "announce.ask.send_at.four_eyes": "as announce.ask.send_at",
    "announce.status.awaiting": "«№{id}», and «получателей: 5» in label form",
    "announce.status.scheduled": "as announce.status.awaiting",
    "announce.status.sending": "label forms («доставлено: 3 из 5»), a rate with a unit symbol",
    "announce.status.done": "label forms, as announce.status.sending",
    "announce.status.cancelled": "label forms, as announce.status.sending",
    "broadcasts.line": "label forms, as announce.status.sending",
    "broadcasts.name.announcement": "«Объявление 3» is a name by number",
}
# Titles and names in running Russian text stand in «ёлочки»; list lines and cards set them
# apart by layout instead (bold, a line of their own, a dash).
NAMES = {"name", "organisation", "title", "campaign", "election"}
NAME_LAYOUT = {"campaign.line", "campaign.site", "digest.event_line", "digest.need_line",
               "digest.countdown", "digest.election_day", "elections.line", "elections.preview",
               "elections.added", "elections.removed", "event.details", "event.line",
               "event.own_line", "need.details", "need.line", "need.own_line", "org.line",
               "myoffers.line", "event.campaign_line", "overview.site", "overview.site_came",
               # A broadcast's own name («Объявление 3») heads its status line.
               "announce.status.awaiting", "announce.status.scheduled",
               "announce.status.sending", "announce.status.done", "announce.status.cancelled",
               "broadcasts.line"}
# Latin words a Russian reader meets anyway: the platform's name and sample answers that are
# codes or English names the bot understands; the schemes of a web address.
LATIN_ALLOWED = {"Telegram", "DE", "RU", "Germany", "Europe", "http", "https"}


def _plural_keys(language: str) -> set[str]:
    return {message.id[0] for message in catalog(language)
            if message.id and isinstance(message.id, tuple)}


def test_every_text_showing_a_number_has_plural_forms() -> None:
    for language in LANGUAGES:
        plural = _plural_keys(language)
        for key, strings in _messages(language).items():
            if placeholders(strings[0]) & NUMBERS and key not in NUMBER_EXCEPTIONS:
                assert key in plural, f"{language} {key} shows a number without plural forms"
    assert set(NUMBER_EXCEPTIONS) <= set(_messages("en")), "an exception names no text"


def test_plural_entries_have_every_form_of_their_language() -> None:
    forms = {"en": 2, "ru": 3}
    for language in LANGUAGES:
        assert _plural_keys(language) == _plural_keys("en"), language
        for key in _plural_keys(language):
            assert len(_messages(language)[key]) == forms[language], (language, key)


def _russian() -> list[tuple[str, str]]:
    return [(key, string) for key, strings in _messages("ru").items() for string in strings]


def test_russian_quotes_names_in_guillemets() -> None:
    for key, string in _russian():
        assert not re.search("[\"„“”]", string), f"{key}: use «ёлочки»"
        if key in NAME_LAYOUT:
            continue
        for before, _, after in re.findall(r"(.?)\{(" + "|".join(NAMES) + r")\}(.?)", string):
            assert (before, after) in {("«", "»"), (">", "<")}, f"{key}: a name without «»"


def test_russian_has_no_english_words() -> None:
    for key, string in _russian():
        text = re.sub(r"<code>.*?</code>|https?://\S*|\b[\w-]+(?:\.[\w-]+)+\S*|[/@]\w+|\{\w+\}"
                      r"|<[^>]+>", " ", string)
        latin = set(re.findall(r"[A-Za-z]+", text)) - LATIN_ALLOWED
        assert latin == set(), f"{key}: {latin}"


def test_russian_gives_one_example_per_sentence() -> None:
    for key, string in _russian():
        assert string.count("например") <= 1, f"{key}: «например» twice"


# Every question for a date says what people may type: the everyday words, a day and month.
DATE_QUESTIONS = ("need.ask.deadline", "campaign.ask.starts_on", "campaign.ask.ends_on",
                  "elections.ask.date", "event.ask.start", "announce.ask.send_at",
                  "announce.ask.send_at.four_eyes")


def test_date_questions_name_the_everyday_forms() -> None:
    words = {"en": ("tomorrow", "December|September"), "ru": ("завтра", "декабря|сентября")}
    for language, (tomorrow, month) in words.items():
        for key in DATE_QUESTIONS:
            [string] = _messages(language)[key]
            assert tomorrow in string, f"{language} {key}"
            assert re.search(r"<i>\d{2}\.\d{2}(?: \d\d:\d\d)?</i>", string), f"{language} {key}"
            assert re.search(rf"\d ({month})", string), f"{language} {key}"
            assert "YYYY" not in string and "ГГГГ" not in string, f"{language} {key}"
