"""Countries, cities and time zones as people type them, resolved with Babel and tzdata data."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import get_timezone_location

from bot.infra.config import LANGUAGES

# Babel's territory list also holds groupings and private-use codes that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "XK", "ZZ"})


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").replace("_", " ").split())


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for language in LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                index[_fold(name)] = code
                index[code.casefold()] = code
    return index


def parse_country(text: str) -> str | None:
    """ISO 3166 alpha-2 code for a code or a name in English or Russian; None if unknown."""
    return _country_index().get(_fold(text))


def country_name(code: str, language: str) -> str:
    return Locale.parse(language).territories.get(code, code)


@cache
def _zone_table() -> list[tuple[str, str]]:
    """(country, zone) pairs from tzdata's zone.tab."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    rows = []
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_ = line.split("\t")
            rows.append((country, zone))
    return rows


@cache
def _zone_index() -> dict[str, str]:
    """Folded IANA names and the cities Babel names them by, in each language, to zones."""
    index = {_fold(zone): zone for zone in zoneinfo.available_timezones()}
    for _country, zone in _zone_table():
        for language in LANGUAGES:
            city = get_timezone_location(zone, locale=language, return_city=True)
            index.setdefault(_fold(city), zone)
    return index


def parse_timezone(text: str) -> str | None:
    """An IANA zone from its name or its main city's name (English or Russian); None if unknown."""
    return _zone_index().get(_fold(text))


def guess_timezone(city: str | None, country: str | None) -> str | None:
    """The zone a city is probably in: by the city's name, else the country's only zone."""
    if city:
        zone = parse_timezone(city)
        if zone and (country is None or (country, zone) in _zone_table()):
            return zone
    return _country_zone(country) if country else None


@cache
def _country_zone(country: str) -> str | None:
    """A country's zone when all its zones keep the same time (Germany: Berlin and Busingen):
    the first listed, its main one. None when the clocks differ (the USA, Russia)."""
    zones = [zone for code, zone in _zone_table() if code == country]
    year = datetime.now(UTC).year
    probes = (datetime(year, 1, 15, tzinfo=UTC), datetime(year, 7, 15, tzinfo=UTC))
    clocks = {tuple(probe.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() for probe in probes)
              for zone in zones}
    return zones[0] if len(clocks) == 1 else None


def names_city(text: str, city: str) -> bool:
    """Whether a text is the city's name or begins or ends with it as a whole word
    ("Berlin", "Berlin, Alexanderplatz", "Names — Berlin"; not "Berliner Platz")."""
    text, city = _fold(text), _fold(city)
    if not city or text == city:
        return bool(city)
    return ((text.startswith(city) and not text[len(city)].isalnum())
            or (text.endswith(city) and not text[-len(city) - 1].isalnum()))


def place(language: str, *, city: str | None, country: str | None = None,
          first: tuple[str | None, ...] = (), beside: tuple[str | None, ...] = ()) -> str:
    """Where something is, each name said once: the names that come first (a venue, an
    organisation), the city, the country. Every card, list, digest and calendar file composes
    a place here, so none says "Berlin, Berlin": the city is left out when one of those names,
    or a text shown beside the place (a title), already names it."""
    named = any(names_city(text, city) for text in (*first, *beside) if text) if city else True
    parts = [*first, None if named else city, country_name(country, language) if country else None]
    return ", ".join(part for part in parts if part)
