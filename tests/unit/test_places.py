"""Countries and time zones as people type them."""

from __future__ import annotations

import pytest

from bot.conversation.places import country_name, guess_timezone, parse_country, parse_timezone


@pytest.mark.parametrize(
    ("typed", "code"),
    [("DE", "DE"), ("de", "DE"), ("Germany", "DE"), ("Германия", "DE"), (" georgia ", "GE"),
     ("Грузия", "GE"), ("Россия", "RU"), ("United Kingdom", "GB")],
)
def test_countries_by_code_or_name(typed: str, code: str) -> None:
    assert parse_country(typed) == code


@pytest.mark.parametrize("typed", ["Narnia", "XX", "EU", "ZZ", "", "<b>DE</b>"])
def test_unknown_countries(typed: str) -> None:
    assert parse_country(typed) is None


def test_country_names_in_each_language() -> None:
    assert (country_name("GE", "en"), country_name("GE", "ru")) == ("Georgia", "Грузия")


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"),
     ("Tbilisi", "Asia/Tbilisi"), ("Тбилиси", "Asia/Tbilisi"), ("Москва", "Europe/Moscow"),
     ("new york", "America/New_York")],
)
def test_time_zones_by_name_or_city(typed: str, zone: str) -> None:
    assert parse_timezone(typed) == zone


def test_unknown_time_zone() -> None:
    assert parse_timezone("Mars/Olympus") is None


def test_guess_time_zone_from_city_or_a_country_on_one_clock() -> None:
    assert guess_timezone("Berlin", "DE") == "Europe/Berlin"
    assert guess_timezone("Kutaisi", "GE") == "Asia/Tbilisi"
    # Germany lists Berlin and Busingen, which keep the same time.
    assert guess_timezone("Hamburg", "DE") == "Europe/Berlin"
    assert guess_timezone("Berlin", "GE") == "Asia/Tbilisi"
    assert guess_timezone("Springfield", "US") is None
    assert guess_timezone("Odesa", "UA") is None  # Kyiv and Simferopol keep different times
