"""The declarative base shared by every table the project owns.

Rasa's own tables (the tracker store's ``events``) live in the same database
but are not declared here, so migrations never touch them.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import declarative_base

# Named constraints make Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))
