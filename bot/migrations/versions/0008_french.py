"""the French wording of every fact (issue 19)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TRANSLATED_TABLES = (
    "kb_topics",
    "kb_topic_points",
    "kb_skill_areas",
    "kb_skill_items",
    "kb_pathways",
    "kb_regions",
    "kb_places",
    "kb_missions",
    "kb_routes",
    "kb_route_steps",
    "kb_backgrounds",
    "kb_programmes",
    "kb_not_covered",
)


def upgrade() -> None:
    for table in TRANSLATED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("fr", sa.JSON(), nullable=False, server_default="{}")
            )


def downgrade() -> None:
    for table in TRANSLATED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("fr")
