"""Settings read from the environment.

Nothing happens at import time: call :func:`get_settings` where a value is needed,
so tests can point the code at a temporary folder by setting the environment first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    knowledge_dir: Path
    spacy_model_dir: Path
    generated_nlu_dir: Path


def _default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'advisor.db'}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("ADVISOR_DATA_DIR", PROJECT_ROOT / "var")).resolve()
    return Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or _default_database_url(data_dir),
        knowledge_dir=Path(
            env.get("ADVISOR_KNOWLEDGE_DIR", PROJECT_ROOT / "data" / "knowledge")
        ),
        spacy_model_dir=Path(
            env.get("ADVISOR_SPACY_DIR", PROJECT_ROOT / "build" / "spacy-en")
        ),
        generated_nlu_dir=Path(
            env.get(
                "ADVISOR_GENERATED_NLU_DIR", PROJECT_ROOT / "data" / "nlu" / "generated"
            )
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
