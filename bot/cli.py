"""The ``advisor`` command line: database, content, NLP build."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from sqlalchemy.orm import sessionmaker

from bot import migrations
from bot.db import make_engine, make_session_factory
from bot.knowledge.content import ContentError
from bot.knowledge.load import seed as seed_content
from bot.knowledge.queries import KnowledgeBase, KnowledgeBaseUnavailable
from bot.settings import get_settings

app = typer.Typer(
    help="AI Career Advisor: manage the database, the content and the NLP build."
)
db_app = typer.Typer(help="Create or upgrade the project database.")
app.add_typer(db_app, name="db")


@contextmanager
def _database() -> Iterator[sessionmaker]:
    """A session factory on the configured database, disposed of afterwards."""
    engine = make_engine(get_settings().database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _knowledge_base() -> KnowledgeBase:
    return KnowledgeBase(make_session_factory(make_engine(get_settings().database_url)))


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Alembic revision."),
) -> None:
    """Create the tables, or migrate them to the latest schema."""
    url = get_settings().database_url
    migrations.upgrade(url, revision)
    typer.echo(f"database at revision {revision}: {_display_url(url)}")


@app.command()
def seed(
    directory: Optional[Path] = typer.Option(
        None, "--dir", help="Content folder (default: data/knowledge)."
    ),
) -> None:
    """Load the content files into the knowledge base (idempotent)."""
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    try:
        with _database() as session_factory:
            result = seed_content(session_factory, directory or settings.knowledge_dir)
    except ContentError as exc:
        typer.echo(
            f"Content refused, the database keeps its previous content:\n{exc}",
            err=True,
        )
        raise typer.Exit(code=2) from exc
    state = "seeded" if result.changed else "already up to date"
    typer.echo(f"knowledge base {state} (content {result.digest[:12]})")


@app.command()
def show(
    topic: Optional[str] = typer.Argument(None, help="One topic, e.g. skills."),
) -> None:
    """Print what the knowledge base holds."""
    kb = _knowledge_base()
    try:
        snapshot = kb.snapshot()
    except KnowledgeBaseUnavailable as exc:
        typer.echo(
            f"The knowledge base cannot be read: {exc}. Run `advisor seed`.", err=True
        )
        raise typer.Exit(code=1) from exc
    lists = {
        "skills": snapshot.skill_areas,
        "degrees": snapshot.pathways,
        "salary": snapshot.regions,
        "missions": snapshot.missions,
        "programmes": snapshot.programmes,
    }
    slugs = [topic] if topic else list(snapshot.topics)
    for slug in slugs:
        if slug not in snapshot.topics:
            typer.echo(
                f"No topic {slug!r}; topics: {', '.join(snapshot.topics)}", err=True
            )
            raise typer.Exit(code=2)
        item = snapshot.topics[slug]
        typer.echo(f"# {item.title}  [{slug}; from “{item.section.title}”]")
        typer.echo(f"  {item.intro}")
        for point in item.points:
            typer.echo(f"  - {point.name}: {point.text}")
        for entry in lists.get(slug, []):
            typer.echo(f"  * {entry.name}: {entry.summary}")
            for child in getattr(entry, "items", []) or getattr(entry, "places", []):
                typer.echo(f"      · {child.name}")
        if slug == "beginner":
            for step in snapshot.route.steps:
                typer.echo(f"  {step.position}. {step.text}")
            names = ", ".join(b.name for b in snapshot.route.backgrounds)
            typer.echo(f"  backgrounds: {names}")
        typer.echo("")


@app.command("build-nlp")
def build_nlp() -> None:
    """Build the spaCy pipeline and the generated NLU files from the knowledge base."""
    from bot.nlp.build import build_all

    settings = get_settings()
    kb = _knowledge_base()
    report = build_all(kb, settings.spacy_model_dir, settings.generated_nlu_dir)
    typer.echo(report)


def _person(email: str | None, conversation: str | None) -> None:
    if not email and not conversation:
        typer.echo("Name the person: --email or --conversation.", err=True)
        raise typer.Exit(code=2)


@app.command()
def erase(
    email: Optional[str] = typer.Option(None, help="The person's email."),
    conversation: Optional[str] = typer.Option(None, help="A conversation id."),
) -> None:
    """Delete one person's applications, hand-off requests and conversations."""
    from bot.applications.service import erase as erase_person

    _person(email, conversation)
    with _database() as session_factory:
        erased = erase_person(
            session_factory, email=email, conversation_id=conversation
        )
    typer.echo(
        f"erased {erased.applications} application(s), {erased.handoffs} hand-off "
        f"request(s) and {erased.events} conversation event(s)"
    )


@app.command()
def export(
    email: Optional[str] = typer.Option(None, help="The person's email."),
    conversation: Optional[str] = typer.Option(None, help="A conversation id."),
) -> None:
    """Print everything stored about one person, as JSON."""
    import json

    from bot.applications.service import export as export_person

    _person(email, conversation)
    with _database() as session_factory:
        data = export_person(session_factory, email=email, conversation_id=conversation)
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _display_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
