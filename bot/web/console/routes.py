"""The console's pages and forms, mounted at ``/console``.

Handlers are thin: they read the request, call :mod:`.queries`, :mod:`.queues`,
:mod:`.unanswered`, :mod:`.corrections` or :mod:`.auth` in a worker thread
(database work must not block the site's event loop), and render a template.
Every route but the login form is wrapped in :func:`.auth.staff_only`;
``tests/integration/test_console_auth.py`` checks that none is left out.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from bot import language
from bot.applications.models import utcnow
from bot.db import session_factory_for
from bot.settings import PROJECT_ROOT
from bot.web.console import (
    auth,
    corrections,
    queries,
    queues,
    transcript,
    unanswered,
)
from bot.web.console.config import ConsoleConfig
from bot.web.console.models import QUEUE_STATUSES, ROLES, TAGS, Correction, Review, Tag
from bot.web.console.summary import FALLBACK_INTENT, PURGE_EVERY, events, refresh

log = logging.getLogger(__name__)

T = TypeVar("T")
NOTE_MAX = 4000
SESSION_COOKIE = "advisor_console"


@dataclass(frozen=True)
class ConsoleState:
    config: ConsoleConfig
    session_factory: sessionmaker
    templates: Jinja2Templates


def _state(request: Request) -> ConsoleState:
    return request.app.state.console


async def _in_session(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a worker thread with a session, committed if it succeeds."""

    def run() -> T:
        with _state(request).session_factory() as session, session.begin():
            return work(session)

    return await run_in_threadpool(run)


def _refresh(request: Request) -> None:
    refresh(_state(request).session_factory, every=PURGE_EVERY)


def _flash(request: Request, message: str) -> None:
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], message][-5:]


def render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> Response:
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    return _state(request).templates.TemplateResponse(
        request,
        f"console/{template}",
        {
            "staff": getattr(request.state, "staff", None),
            "csrf_token": auth.csrf_token(request),
            "flashes": flashes,
            **context,
        },
        status_code=status_code,
    )


def _back(path: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(path, status_code=status_code)


def _field(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


# --- login and logout -----------------------------------------------------------


async def login_form(request: Request) -> Response:
    return render(
        request, "login.html", next=auth.safe_next(request.query_params.get("next"))
    )


async def login(request: Request) -> Response:
    if not await auth.csrf_ok(request):
        return PlainTextResponse(
            "The form had expired: reload the page.", status_code=403
        )
    form = await request.form()
    email, password = _field(form, "email", 254), form.get("password")
    target = auth.safe_next(_field(form, "next"))
    address = request.client.host if request.client else None
    result = await run_in_threadpool(
        auth.authenticate,
        _state(request).session_factory,
        email,
        password if isinstance(password, str) else "",
        None,
        address,
    )
    if result.staff is None:
        if result.address_locked:
            error = (
                "Too many failed attempts from this address: try again after "
                f"{result.locked_until:%H:%M} UTC."
            )
            log.warning("console: logins locked for address %s", address)
        elif result.locked_until is not None:
            error = (
                "Too many failed attempts: this account is locked until "
                f"{result.locked_until:%H:%M} UTC."
            )
            log.warning("console: login locked for %s", email)
        else:
            error = "Wrong email or password."
        return render(
            request,
            "login.html",
            status_code=401,
            error=error,
            email=email,
            next=target,
        )
    key = await run_in_threadpool(
        auth.open_session, _state(request).session_factory, result.staff.id
    )
    auth.start_session(request, key)
    log.info("console: %s logged in", result.staff.email)
    return _back(target)


@auth.staff_only(page=False)
async def logout(request: Request) -> Response:
    await run_in_threadpool(auth.end_session, request, _state(request).session_factory)
    log.info("console: %s logged out", request.state.staff.email)
    return _back("/console/login")


@auth.staff_only()
async def home(request: Request) -> Response:
    return _back("/console/conversations")


# --- conversations ---------------------------------------------------------------


@auth.staff_only()
async def conversation_list(request: Request) -> Response:
    chosen = queries.ConversationFilter.from_query(request.query_params)
    page = _int(request.query_params.get("page")) or 1
    await run_in_threadpool(_refresh, request)
    found = await _in_session(
        request, lambda s: queries.list_conversations(s, chosen, page)
    )
    return render(
        request,
        "conversations.html",
        active="conversations",
        page=found,
        filter=chosen,
        query=chosen.query_string(),
        intents=sorted({FALLBACK_INTENT} | corrections.domain_names().intents),
        tags=TAGS,
    )


@auth.staff_only()
async def conversation(request: Request) -> Response:
    sender_id = request.query_params.get("id", "")
    found = await _in_session(request, lambda s: transcript.transcript(s, sender_id))
    if found is None:
        return render(request, "missing.html", status_code=404, what="conversation")
    markup = {
        line.event_id: (
            corrections.annotate(line.correction.text, line.correction.entities)
            if line.correction
            else corrections.annotate(
                corrections.clean(line.text),
                corrections.predicted_entities(line.text, line.entities),
            )
        )
        for line in found.lines
        if line.kind == "visitor"
    }
    return render(
        request,
        "conversation.html",
        active="conversations",
        t=found,
        markup=markup,
        tags=TAGS,
        intents=sorted(corrections.domain_names().intents),
        entities=sorted(corrections.domain_names().entities),
    )


def _conversation_url(sender_id: str) -> str:
    return "/console/conversation?" + urlencode({"id": sender_id})


@auth.staff_only(page=False)
async def review(request: Request) -> Response:
    form = await request.form()
    sender_id = _field(form, "sender_id", 255)
    chosen = {tag for tag in form.getlist("tag") if tag in TAGS}
    note = _field(form, "note", NOTE_MAX) or None
    reviewed = form.get("reviewed") == "yes"
    email = request.state.staff.email

    def save(session: Session) -> bool:
        if (
            session.scalar(
                select(events.c.id).where(events.c.sender_id == sender_id).limit(1)
            )
            is None
        ):
            return False  # reviews only of conversations that exist
        row = session.get(Review, sender_id) or Review(sender_id=sender_id)
        row.reviewed, row.note, row.updated_by = reviewed, note, email
        row.updated_at = utcnow()
        session.add(row)
        existing = {
            t.tag: t
            for t in session.scalars(select(Tag).where(Tag.sender_id == sender_id))
        }
        for tag in set(existing) - chosen:
            session.delete(existing[tag])
        for tag in chosen - set(existing):
            session.add(Tag(sender_id=sender_id, tag=tag))
        return True

    if not await _in_session(request, save):
        return PlainTextResponse("No such conversation.", status_code=404)
    _flash(request, "Review saved.")
    return _back(_conversation_url(sender_id))


@auth.staff_only(page=False)
async def correct(request: Request) -> Response:
    form = await request.form()
    sender_id = _field(form, "sender_id", 255)
    event_id = _int(_field(form, "event_id"))
    intent = _field(form, "intent", 255)
    markup = _field(form, "text", 2000)
    email = request.state.staff.email
    try:
        await _in_session(
            request,
            lambda s: corrections.save_correction(
                s,
                sender_id=sender_id,
                event_id=event_id or 0,
                intent=intent,
                markup=markup,
                staff_email=email,
            ),
        )
    except corrections.CorrectionError as error:
        _flash(request, f"Correction not saved: {error}")
    else:
        _flash(request, f"Correction saved: {intent}.")
    return _back(_conversation_url(sender_id) + f"#m{event_id}")


# --- corrections -------------------------------------------------------------------


@auth.staff_only()
async def correction_list(request: Request) -> Response:
    rows = await _in_session(
        request,
        lambda s: list(
            s.scalars(select(Correction).order_by(Correction.corrected_at.desc()))
        ),
    )
    return render(
        request,
        "corrections.html",
        active="corrections",
        corrections=rows,
        annotate=corrections.annotate,
        out=_state(request).config.corrections_file,
        out_fr=corrections.language_file(
            _state(request).config.corrections_file, language.FRENCH
        ),
    )


def _project_path(path: Path) -> str:
    """A path as staff know it: from the project's root when it is inside."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)


@auth.staff_only(page=False)
async def export(request: Request) -> Response:
    state = _state(request)
    result = await run_in_threadpool(
        corrections.export_corrections,
        state.session_factory,
        state.config.corrections_file,
    )
    log.info(
        "console: %s exported %d corrections",
        request.state.staff.email,
        result.examples,
    )
    written = ", ".join(
        f"{result.by_language[lang]} to {_project_path(path)}"
        for lang, path in result.paths.items()
    )
    _flash(
        request,
        f"Wrote {result.examples} example(s): {written}; "
        f"{len(result.skipped)} left out."
        + "".join(f" “{text[:60]}”: {reason}." for text, reason in result.skipped[:5]),
    )
    return _back("/console/corrections")


@auth.staff_only(page=False)
async def export_download(request: Request) -> Response:
    """One language's corrections (``?language=fr``; English by default)."""
    state = _state(request)
    lang = request.query_params.get("language", language.ENGLISH)
    if lang not in language.LANGUAGES:
        return PlainTextResponse("Unknown language.", status_code=400)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "corrections.yml"
        result = await run_in_threadpool(
            corrections.export_corrections, state.session_factory, out
        )
        content = result.paths[lang].read_text()
    name = "corrections.yml" if lang == language.ENGLISH else f"corrections.{lang}.yml"
    return Response(
        content,
        media_type="application/x-yaml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@auth.staff_only(page=False)
async def correction_delete(request: Request) -> Response:
    form = await request.form()
    correction_id = _int(_field(form, "id")) or 0
    await _in_session(
        request, lambda s: corrections.delete_correction(s, correction_id)
    )
    _flash(request, "Correction removed.")
    return _back("/console/corrections")


# --- applications and hand-off requests ---------------------------------------------


def _queue_page(name: str) -> Callable[[Request], Any]:
    @auth.staff_only()
    async def page(request: Request) -> Response:
        status = request.query_params.get("status")
        status = status if status in QUEUE_STATUSES else None
        entries = await _in_session(request, lambda s: queues.queue(s, name, status))
        return render(
            request,
            "queue.html",
            active=name,
            title="Applications" if name == "applications" else "Hand-off requests",
            name=name,
            entries=entries,
            status=status,
            statuses=QUEUE_STATUSES,
            conversation_url=_conversation_url,
        )

    page.__name__ = f"{name}_page"
    return page


def _queue_csv(name: str) -> Callable[[Request], Any]:
    @auth.staff_only(page=False)
    async def export_csv(request: Request) -> Response:
        status = request.query_params.get("status")
        status = status if status in QUEUE_STATUSES else None
        content = await _in_session(
            request, lambda s: queues.to_csv(name, queues.queue(s, name, status))
        )
        log.info("console: %s exported the %s queue", request.state.staff.email, name)
        return Response(
            content,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )

    export_csv.__name__ = f"{name}_csv"
    return export_csv


def _queue_status(name: str) -> Callable[[Request], Any]:
    @auth.staff_only(page=False)
    async def set_status(request: Request) -> Response:
        form = await request.form()
        entry_id, status = _int(_field(form, "id")) or 0, _field(form, "status")
        if status not in QUEUE_STATUSES:
            return PlainTextResponse("Unknown status.", status_code=400)
        changed = await _in_session(
            request, lambda s: queues.set_status(s, name, entry_id, status)
        )
        _flash(request, "Status changed." if changed else "No such entry.")
        return _back(f"/console/{name}")

    set_status.__name__ = f"{name}_status"
    return set_status


@auth.staff_only(role="admin", page=False)
async def erase_person(request: Request) -> Response:
    form = await request.form()
    email = _field(form, "email", 254) or None
    conversation_id = _field(form, "conversation_id", 255) or None
    if not email and not conversation_id:
        _flash(request, "Name an email or a conversation id.")
        return _back(_field(form, "back") or "/console/applications")
    erased = await run_in_threadpool(
        lambda: queues.erase_person(
            _state(request).session_factory,
            email=email,
            conversation_id=conversation_id,
        )
    )
    log.warning(
        "console: %s erased the data of %s: %s",
        request.state.staff.email,
        email or conversation_id,
        erased,
    )
    _flash(
        request,
        f"Erased {erased.applications} application(s), {erased.handoffs} hand-off "
        f"request(s) and {erased.events} conversation event(s).",
    )
    return _back("/console/applications")


# --- unanswered questions -----------------------------------------------------------


def _show(value: object) -> str:
    """Which groups: "open" (not handled, the default) or "all"."""
    return "all" if value == "all" else "open"


def _unanswered_url(show: str) -> str:
    return "/console/unanswered" + ("?show=all" if show == "all" else "")


@auth.staff_only()
async def unanswered_page(request: Request) -> Response:
    show = _show(request.query_params.get("show"))
    await run_in_threadpool(_refresh, request)
    found = await _in_session(request, lambda s: unanswered.groups(s, show))
    return render(
        request,
        "unanswered.html",
        active="unanswered",
        groups=found,
        show=show,
        conversation_url=_conversation_url,
    )


@auth.staff_only(page=False)
async def unanswered_csv(request: Request) -> Response:
    show = _show(request.query_params.get("show"))
    await run_in_threadpool(_refresh, request)
    content = await _in_session(
        request, lambda s: unanswered.to_csv(unanswered.groups(s, show))
    )
    log.info("console: %s exported the unanswered questions", request.state.staff.email)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="unanswered.csv"'},
    )


@auth.staff_only(page=False)
async def unanswered_status(request: Request) -> Response:
    form = await request.form()
    keys = unanswered.parse_keys(form.get("messages"))
    handled = form.get("handled") == "yes"
    back = _unanswered_url(_show(form.get("show")))
    if keys is None:
        return PlainTextResponse("No messages named.", status_code=400)
    email = request.state.staff.email
    changed = await _in_session(
        request, lambda s: unanswered.set_handled(s, keys, handled, email)
    )
    state = "handled" if handled else "not handled"
    _flash(
        request,
        f"{changed} message(s) marked {state}." if changed else "No such messages.",
    )
    return _back(back)


# --- overview ----------------------------------------------------------------------


@auth.staff_only()
async def overview(request: Request) -> Response:
    days = min(max(_int(request.query_params.get("days")) or 30, 1), 366)
    await run_in_threadpool(_refresh, request)
    found = await _in_session(request, lambda s: queries.overview(s, days))
    return render(request, "overview.html", active="overview", o=found, days=days)


# --- staff (admins) ----------------------------------------------------------------


@auth.staff_only(role="admin")
async def staff_page(request: Request) -> Response:
    people = await _in_session(request, auth.list_staff)
    return render(request, "staff.html", active="staff", people=people, roles=ROLES)


@auth.staff_only(role="admin", page=False)
async def staff_add(request: Request) -> Response:
    form = await request.form()
    email, role = _field(form, "email", 254), _field(form, "role")
    password = form.get("password")
    try:
        await _in_session(
            request,
            lambda s: auth.add_staff(
                s, email, password if isinstance(password, str) else "", role
            ),
        )
    except auth.StaffError as error:
        _flash(request, f"Not added: {error}.")
    else:
        log.warning("console: %s added %s (%s)", request.state.staff.email, email, role)
        _flash(request, f"{email} can now log in as {role}.")
    return _back("/console/staff")


@auth.staff_only(role="admin", page=False)
async def staff_remove(request: Request) -> Response:
    form = await request.form()
    email = _field(form, "email", 254)
    if email.lower() == request.state.staff.email:
        _flash(request, "You cannot remove your own account.")
        return _back("/console/staff")
    removed = await _in_session(request, lambda s: auth.remove_staff(s, email))
    log.warning("console: %s removed staff %s", request.state.staff.email, email)
    _flash(request, f"{email} removed." if removed else f"No account {email}.")
    return _back("/console/staff")


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/", home, methods=["GET"]),
    Route("/conversations", conversation_list, methods=["GET"]),
    Route("/conversation", conversation, methods=["GET"]),
    Route("/conversation/review", review, methods=["POST"]),
    Route("/conversation/correct", correct, methods=["POST"]),
    Route("/corrections", correction_list, methods=["GET"]),
    Route("/corrections/export", export, methods=["POST"]),
    Route("/corrections.yml", export_download, methods=["GET"]),
    Route("/corrections/delete", correction_delete, methods=["POST"]),
    *(
        route
        for name in queues.QUEUES
        for route in (
            Route(f"/{name}", _queue_page(name), methods=["GET"]),
            Route(f"/{name}.csv", _queue_csv(name), methods=["GET"]),
            Route(f"/{name}/status", _queue_status(name), methods=["POST"]),
        )
    ),
    Route("/unanswered", unanswered_page, methods=["GET"]),
    Route("/unanswered.csv", unanswered_csv, methods=["GET"]),
    Route("/unanswered/status", unanswered_status, methods=["POST"]),
    Route("/people/erase", erase_person, methods=["POST"]),
    Route("/overview", overview, methods=["GET"]),
    Route("/staff", staff_page, methods=["GET"]),
    Route("/staff/add", staff_add, methods=["POST"]),
    Route("/staff/remove", staff_remove, methods=["POST"]),
]
PUBLIC = {("/login", "GET"), ("/login", "POST")}


def create_console(config: ConsoleConfig, templates: Jinja2Templates) -> Starlette:
    """The console as an app of its own, with its session cookie."""
    console = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=config.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=config.session_hours * 3600,
                path="/console",
                same_site="lax",
                https_only=config.https_only,
            )
        ],
    )
    console.state.console = ConsoleState(
        config=config,
        session_factory=session_factory_for(config.database_url),
        templates=templates,
    )
    return console
