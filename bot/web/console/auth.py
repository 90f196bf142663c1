"""Staff accounts, passwords, the lock-out, sessions and CSRF tokens.

Passwords are hashed with argon2id (OWASP's parameters, see ``_hasher``).
After :data:`MAX_FAILURES` failed logins within :data:`LOCK_WINDOW`, an
account is locked for :data:`LOCK_TIME`; unknown
emails lock the same way and cost the same time, so that the login form does
not tell who has an account. An address that failed
:data:`MAX_ADDRESS_FAILURES` times within the window, whatever the accounts,
is refused for :data:`LOCK_TIME` too: one client trying a few passwords on
many accounts stays under every account's limit. A successful login restarts
its account's count, never an address's. The session is Starlette's signed
cookie (HttpOnly, SameSite=Lax, Secure when configured) holding a random
session key, whose hash is kept in ``console_sessions`` (so that logging out
ends it for good), and the CSRF token that every form posts back.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from bot.applications.models import utcnow
from bot.web.console.models import ROLES, LoginAttempt, StaffSession, StaffUser

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20  # a whole team behind one address still gets in
LOCK_WINDOW = dt.timedelta(minutes=15)
LOCK_TIME = dt.timedelta(minutes=15)
KEEP_ATTEMPTS = dt.timedelta(days=1)
PASSWORD_MIN = 12
PASSWORD_MAX = 1024
CSRF_FIELD = "csrf_token"

# argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane): about 0.15 s a
# check on these 2-core machines, where argon2-cffi's defaults (64 MiB, 3 passes,
# 4 lanes) took about 1 s and made each login try a cheap denial of service.
# Hashes made with other parameters are redone at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class StaffError(ValueError):
    """A staff account that cannot be created or changed, and why."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(
            email.strip(), check_deliverability=False
        ).normalized.lower()
    except EmailNotValidError as error:
        raise StaffError(f"not a valid email address: {email!r}") from error


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise StaffError(f"the password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise StaffError(f"the password may have at most {PASSWORD_MAX} characters")


def add_staff(session: Session, email: str, password: str, role: str) -> StaffUser:
    if role not in ROLES:
        raise StaffError(f"the role is one of {', '.join(ROLES)}")
    email = normalise_email(email)
    check_password(password)
    if session.scalars(select(StaffUser).where(StaffUser.email == email)).first():
        raise StaffError(f"{email} already has an account")
    staff = StaffUser(email=email, password_hash=_hasher.hash(password), role=role)
    session.add(staff)
    try:
        session.flush()
    except IntegrityError as error:
        raise StaffError(f"{email} already has an account") from error
    return staff


def remove_staff(session: Session, email: str) -> bool:
    """Delete the account and end its sessions."""
    staff = find_staff(session, email)
    if staff is None:
        return False
    session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
    session.delete(staff)
    return True


def find_staff(session: Session, email: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower())
    ).first()


def list_staff(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Login:
    staff: StaffUser | None
    locked_until: dt.datetime | None = None
    address_locked: bool = False  # the lock is the address's, not the account's


def locked_until(session: Session, email: str, now: dt.datetime) -> dt.datetime | None:
    """When the account's lock ends, if it is locked now."""
    last_success = session.scalar(
        select(LoginAttempt.at)
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True))
        .order_by(LoginAttempt.at.desc())
        .limit(1)
    )
    failures = select(LoginAttempt.at).where(
        LoginAttempt.email == email, LoginAttempt.succeeded.is_(False)
    )
    if last_success is not None:
        failures = failures.where(LoginAttempt.at > last_success)
    recent = list(
        session.scalars(failures.order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES))
    )
    return _lock_end(recent, MAX_FAILURES, now)


def address_locked_until(
    session: Session, address: str, now: dt.datetime
) -> dt.datetime | None:
    """When the address's lock ends, if it is locked now."""
    recent = list(
        session.scalars(
            select(LoginAttempt.at)
            .where(LoginAttempt.address == address, LoginAttempt.succeeded.is_(False))
            .order_by(LoginAttempt.at.desc())
            .limit(MAX_ADDRESS_FAILURES)
        )
    )
    return _lock_end(recent, MAX_ADDRESS_FAILURES, now)


def _lock_end(
    failures: list[dt.datetime], limit: int, now: dt.datetime
) -> dt.datetime | None:
    """The end of a lock, if ``limit`` failures (newest first) fell in the window."""
    if len(failures) < limit or failures[0] - failures[-1] > LOCK_WINDOW:
        return None
    until = failures[0] + LOCK_TIME
    return until if now < until else None


def _refusal(
    session: Session, email: str, address: str | None, now: dt.datetime
) -> Login | None:
    """The refusal for a locked address (checked first) or account, if either is."""
    if address is not None:
        until = address_locked_until(session, address, now)
        if until is not None:
            return Login(None, until, address_locked=True)
    until = locked_until(session, email, now)
    return Login(None, until) if until is not None else None


def authenticate(
    session_factory: sessionmaker,
    email: str,
    password: str,
    now: dt.datetime | None = None,
    address: str | None = None,
) -> Login:
    """Check a login from ``address`` and record it; a locked account or address
    is refused unchecked."""
    now = now or utcnow()
    email = email.strip().lower()[:254]
    address = address[:45] if address else None
    with session_factory() as session, session.begin():
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS)
        )
        refused = _refusal(session, email, address, now)
        if refused is not None:
            return refused
        staff = find_staff(session, email) if email else None
        # An unknown email costs a hash check too: the timing tells nothing.
        ok = _verify(staff.password_hash if staff else _dummy_hash(), password)
        ok = ok and staff is not None and len(password) <= PASSWORD_MAX
        session.add(LoginAttempt(email=email, at=now, succeeded=ok, address=address))
        if not ok:
            session.flush()
            return _refusal(session, email, address, now) or Login(None)
        assert staff is not None
        staff.last_login_at = now
        if _hasher.check_needs_rehash(staff.password_hash):
            staff.password_hash = _hasher.hash(password)
        session.flush()
        session.expunge(staff)
        return Login(staff)


# --- sessions and CSRF ----------------------------------------------------------

SESSION_KEY = "sid"
SESSION_CSRF = "csrf"
KEEP_SESSIONS = dt.timedelta(days=2)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def csrf_ok(request: Request) -> bool:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(SESSION_CSRF)
    return (
        isinstance(sent, str)
        and bool(expected)
        and hmac.compare_digest(sent.encode(), str(expected).encode())
    )


def open_session(session_factory: sessionmaker, staff_id: int) -> str:
    """Record a new login; returns the key for the cookie."""
    key, now = secrets.token_urlsafe(32), utcnow()
    with session_factory.begin() as session:
        session.execute(
            delete(StaffSession).where(StaffSession.created_at < now - KEEP_SESSIONS)
        )
        session.add(StaffSession(id=_digest(key), staff_id=staff_id, created_at=now))
    return key


def start_session(request: Request, key: str) -> None:
    """A fresh cookie session (nothing kept from before the login)."""
    request.session.clear()
    request.session.update({SESSION_KEY: key, SESSION_CSRF: secrets.token_urlsafe(32)})


def end_session(request: Request, session_factory: sessionmaker) -> None:
    key = request.session.get(SESSION_KEY)
    request.session.clear()
    if isinstance(key, str):
        with session_factory.begin() as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.id == _digest(key))
                .values(ended_at=utcnow())
            )


def session_staff(
    request: Request, session_factory: sessionmaker, hours: int
) -> StaffUser | None:
    """The logged-in staff member, read from the database on every request, so
    that a logout, a removed account or a changed role counts at once."""
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    with session_factory() as session:
        staff = session.scalars(
            select(StaffUser)
            .join(StaffSession, StaffSession.staff_id == StaffUser.id)
            .where(
                StaffSession.id == _digest(key),
                StaffSession.ended_at.is_(None),
                StaffSession.created_at > utcnow() - dt.timedelta(hours=hours),
            )
        ).first()
        if staff is not None:
            session.expunge(staff)
        return staff


Handler = Callable[[Request], Awaitable[Response]]


def staff_only(
    role: str | None = None, page: bool = True
) -> Callable[[Handler], Handler]:
    """Refuse the request unless a staff member (of ``role``) is logged in.

    Without a session a page redirects to the login form and anything else
    (an export, a form post) gets 401. Every POST must carry the session's CSRF
    token (403 otherwise); a reviewer asking for an admin's action gets 403.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            console = request.app.state.console
            staff = await run_in_threadpool(
                session_staff,
                request,
                console.session_factory,
                console.config.session_hours,
            )
            if staff is None:
                if page and request.method == "GET":
                    target = quote(
                        request.url.path
                        + (f"?{request.url.query}" if request.url.query else "")
                    )
                    return RedirectResponse(
                        f"/console/login?next={target}", status_code=303
                    )
                return PlainTextResponse("Log in first.", status_code=401)
            if request.method == "POST" and not await csrf_ok(request):
                return PlainTextResponse(
                    "The form had expired: go back and try again.", status_code=403
                )
            if role == "admin" and staff.role != "admin":
                return PlainTextResponse("Only an admin may do this.", status_code=403)
            request.state.staff = staff
            return await handler(request)

        endpoint.required_role = role  # type: ignore[attr-defined]
        return endpoint

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after login: a console path only, never another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/conversations"
