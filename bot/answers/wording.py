"""What the advisor says in its own code, in English and French.

The responses themselves are in ``domain.yml`` (a French variation of each,
chosen by the ``language`` slot) and the facts in the knowledge base (their
``fr`` wording); this is the little glue between them: list joiners, button
titles, the citation. Button payloads never change with the language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date


@dataclass(frozen=True)
class Wording:
    language: str
    locale: str  # Babel's, for dates: "25 November 2026", "25 novembre 2026"
    and_: str
    colon: str  # French puts a space before it
    anything_else: str
    cite: str  # {section}
    nearby: str  # {text}
    no_pay_there: str  # {name}
    in_country: str  # {name}, {country}, {region}
    asks: dict[str, str]
    overview_titles: dict[str, str]
    ask_admissions: str
    about: str  # {name}

    def listing(self, names: list[str]) -> str:
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + f" {self.and_} " + names[-1]

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.locale)


ENGLISH = Wording(
    language="en",
    locale="en_GB",
    and_="and",
    colon=": ",
    anything_else="that",
    cite="\n\n(From the guide: “{section}”.)",
    nearby=" What it does say nearby: {text}",
    no_pay_there="{name}: the guide says nothing about pay there.",
    in_country="{name} (in {country}, {region})",
    asks={
        "role": "What does an AI PM do?",
        "skills": "Which skills do I need?",
        "degrees": "Which degree?",
        "salary": "Salaries",
        "missions": "Day-to-day missions",
        "beginner": "How do I get there?",
        "programmes": "AI2's programmes",
        "apply": "Apply now",
    },
    overview_titles={
        "role": "The role in short",
        "skills": "All five skill areas",
        "degrees": "All the pathways",
        "salary": "Pay by region",
        "missions": "All five missions",
        "beginner": "The whole route",
        "programmes": "All AI2 programmes",
    },
    ask_admissions="Ask the admissions team",
    about="About {name}",
)

FRENCH = Wording(
    language="fr",
    locale="fr_FR",
    and_="et",
    colon=" : ",
    anything_else="cela",
    cite="\n\n(D'après le guide : « {section} ».)",
    nearby=" Ce qu'il dit à côté : {text}",
    no_pay_there="{name} : le guide ne dit rien de la rémunération là-bas.",
    in_country="{name} ({country}, {region})",
    asks={
        "role": "Que fait un chef de projet IA ?",
        "skills": "Quelles compétences ?",
        "degrees": "Quel diplôme ?",
        "salary": "Les salaires",
        "missions": "Les missions au quotidien",
        "beginner": "Comment y arriver ?",
        "programmes": "Les formations d'AI2",
        "apply": "Candidater",
    },
    overview_titles={
        "role": "Le métier en bref",
        "skills": "Les cinq domaines de compétences",
        "degrees": "Tous les parcours",
        "salary": "La rémunération par région",
        "missions": "Les cinq missions",
        "beginner": "Le parcours complet",
        "programmes": "Toutes les formations d'AI2",
    },
    ask_admissions="Contacter l'équipe des admissions",
    about="À propos de {name}",
)

WORDINGS = {w.language: w for w in (ENGLISH, FRENCH)}


def wording(language: str | None) -> Wording:
    """The wording of ``language``; English for anything else."""
    return WORDINGS.get(language or "", ENGLISH)
