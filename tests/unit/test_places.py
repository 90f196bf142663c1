"""The place resolver: any country or large city of the world, and nonsense."""

from __future__ import annotations

import pytest

from bot.knowledge.places import resolve


@pytest.mark.parametrize(
    ("text", "country_code", "continent"),
    [
        ("Dakar", "SN", "AF"),
        ("Munich", "DE", "EU"),
        ("München", "DE", "EU"),
        ("germany", "DE", "EU"),
        ("the US", "US", "NA"),
        ("UK", "GB", "EU"),
        ("Toronto", "CA", "NA"),
        ("Casablanca", "MA", "AF"),
        ("Bombay", "IN", "AS"),
        ("  tokyo ", "JP", "AS"),
        ("São Paulo", "BR", "SA"),
        ("Sydney", "AU", "OC"),
        ("California", "US", "NA"),
        # In French (issue 19): Babel's country names, French city names.
        ("Allemagne", "DE", "EU"),
        ("les États-Unis", "US", "NA"),
        ("au Maroc", "MA", "AF"),
        ("l'Allemagne", "DE", "EU"),
        ("Sénégal", "SN", "AF"),
        ("senegal", "SN", "AF"),
        ("la Suisse", "CH", "EU"),
        ("Royaume-Uni", "GB", "EU"),
        ("Côte d’Ivoire", "CI", "AF"),
        ("Londres", "GB", "EU"),
        ("Genève", "CH", "EU"),
        ("Bruxelles", "BE", "EU"),
        ("Pékin", "CN", "AS"),
    ],
)
def test_places_resolve_to_their_country_and_continent(
    text: str, country_code: str, continent: str
) -> None:
    place = resolve(text)
    assert place is not None, text
    assert (place.country_code, place.continent) == (country_code, continent)


def test_the_largest_city_of_a_name_wins() -> None:
    place = resolve("Paris")
    assert place is not None and place.country == "France"


@pytest.mark.parametrize("text", ["", "asdfgh", "the", "x" * 500, "<script>", "42"])
def test_nonsense_resolves_to_nothing(text: str) -> None:
    assert resolve(text) is None


def test_french_place_names_are_tagged_by_the_pipeline() -> None:
    """The entity ruler knows the French names too (bot/nlp/build.py)."""
    import spacy

    from bot.settings import get_settings

    nlp = spacy.load(get_settings().spacy_model_dir)
    doc = nlp("combien gagne un chef de projet IA en Allemagne ou à Londres ?")
    places = [e.text for e in doc.ents if e.label_ == "location"]
    assert places == ["Allemagne", "Londres"]
