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
staff_app = typer.Typer(help="Staff accounts of the review console (/console).")
app.add_typer(staff_app, name="staff")


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
    output_format: str = typer.Option(
        "json",
        "--format",
        help="json, or csv (a row per field; cells a spreadsheet would run as a "
        "formula start with ').",
    ),
) -> None:
    """Print everything stored about one person, as JSON or CSV."""
    import json

    from bot.applications.service import export as export_person
    from bot.applications.service import export_csv

    _person(email, conversation)
    if output_format not in ("json", "csv"):
        typer.echo("--format is json or csv.", err=True)
        raise typer.Exit(code=2)
    with _database() as session_factory:
        data = export_person(session_factory, email=email, conversation_id=conversation)
    if output_format == "csv":
        typer.echo(export_csv(data), nl=False)
    else:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def purge(
    older_than: Optional[int] = typer.Option(
        None,
        "--older-than",
        metavar="DAYS",
        help="Retention period in days (default: ADVISOR_RETENTION_DAYS, else 365).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count."),
) -> None:
    """Delete applications, hand-off requests and conversations older than DAYS."""
    from bot.retention import purge as purge_old
    from bot.retention import retention_days

    try:
        days = older_than if older_than is not None else retention_days()
        if days < 1:
            raise ValueError("the retention period must be at least one day")
    except ValueError as exc:
        typer.echo(f"Nothing purged: {exc}.", err=True)
        raise typer.Exit(code=2) from exc
    with _database() as session_factory:
        purged = purge_old(session_factory, days, dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    typer.echo(
        f"{verb} {purged.applications} application(s), {purged.handoffs} hand-off "
        f"request(s) and {purged.conversations} conversation(s) "
        f"({purged.events} event(s)) older than {days} days "
        f"(before {purged.cutoff:%Y-%m-%d %H:%M} UTC)"
    )


@staff_app.command("add")
def staff_add(
    email: str = typer.Argument(..., help="The staff member's email (their login)."),
    role: str = typer.Option(
        "reviewer", "--role", help="reviewer (read, tag, correct) or admin."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create a console account; asks for the password (hidden, twice)."""
    from bot.web.console.auth import StaffError, add_staff

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    migrations.upgrade(get_settings().database_url)
    try:
        with _database() as session_factory, session_factory.begin() as session:
            add_staff(session, email, password, role)
    except StaffError as exc:
        typer.echo(f"Not added: {exc}.", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"{email.strip().lower()} can log in at /console as {role}")


@staff_app.command("list")
def staff_list() -> None:
    """List the console accounts."""
    from bot.applications.models import utcnow
    from bot.web.console.auth import list_staff, locked_until

    with _database() as session_factory, session_factory() as session:
        for staff in list_staff(session):
            last = (
                f"{staff.last_login_at:%Y-%m-%d %H:%M}"
                if staff.last_login_at
                else "never"
            )
            locked = locked_until(session, staff.email, utcnow())
            lock = f", locked until {locked:%H:%M} UTC" if locked else ""
            typer.echo(f"{staff.email}  {staff.role}  last login {last}{lock}")


@staff_app.command("remove")
def staff_remove(email: str = typer.Argument(..., help="The account's email.")) -> None:
    """Delete a console account (its sessions end at their next request)."""
    from bot.web.console.auth import remove_staff

    with _database() as session_factory, session_factory.begin() as session:
        removed = remove_staff(session, email)
    if not removed:
        typer.echo(f"No account {email}.", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"removed {email}")


@app.command("export-corrections")
def export_corrections(
    out: Optional[Path] = typer.Option(
        None,
        "--out",
        help="The English NLU file to write (default: data/nlu/corrections.yml);"
        " French corrections go to fr/ beside it.",
    ),
) -> None:
    """Write the console's NLU corrections as Rasa training data."""
    from bot.web.console.config import corrections_file
    from bot.web.console.corrections import export_corrections as export_all

    with _database() as session_factory:
        result = export_all(session_factory, out or corrections_file())
    for lang, path in result.paths.items():
        typer.echo(f"wrote {result.by_language[lang]} example(s) to {path}")
    for text, reason in result.skipped:
        typer.echo(f"  left out “{text}”: {reason}")


def _display_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
