"""each conversation's language, for the console (issue 19)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(2), nullable=False, server_default="en")
        )
        batch_op.create_index("ix_console_conversations_language", ["language"])


def downgrade() -> None:
    with op.batch_alter_table("console_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_console_conversations_language")
        batch_op.drop_column("language")
