"""The console's settings, read from the environment when the web app starts.

``ADVISOR_SECRET_KEY`` signs the session cookie. Without it (``make run`` on a
developer's machine) a random key is generated once into the data folder
(``var/console-secret``, mode 0600) and reused, so that sessions survive a
restart; it is never written into the repository.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.settings import PROJECT_ROOT, get_settings

log = logging.getLogger(__name__)

SECRET_FILE = "console-secret"
DEFAULT_CORRECTIONS_FILE = PROJECT_ROOT / "data" / "nlu" / "corrections.yml"
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ConsoleConfig:
    database_url: str
    secret_key: str
    # Secure cookie flag: set ADVISOR_COOKIE_SECURE=1 when served over HTTPS.
    https_only: bool = False
    corrections_file: Path = DEFAULT_CORRECTIONS_FILE
    session_hours: int = 8

    @classmethod
    def from_environment(cls) -> ConsoleConfig:
        settings = get_settings()
        return cls(
            database_url=settings.database_url,
            secret_key=os.environ.get("ADVISOR_SECRET_KEY")
            or secret_from_file(settings.data_dir / SECRET_FILE),
            https_only=os.environ.get("ADVISOR_COOKIE_SECURE", "").lower() in _TRUE,
            corrections_file=corrections_file(),
        )


def corrections_file() -> Path:
    """Where exported corrections go: ``data/nlu/corrections.yml`` unless
    ``ADVISOR_CORRECTIONS_FILE`` says otherwise (tests write elsewhere)."""
    return Path(os.environ.get("ADVISOR_CORRECTIONS_FILE", DEFAULT_CORRECTIONS_FILE))


def secret_from_file(path: Path) -> str:
    """The key kept in ``path``; created with owner-only permissions if missing."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: a reader never sees a half-written key.
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
        log.warning("generated the console's session key in %s", path)
    except FileExistsError:
        pass  # another process made one first: use that
    finally:
        draft.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it to make a new one")
    return key
