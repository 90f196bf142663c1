"""the words visitors use for each fact (keywords), and names for points and steps

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KEYWORD_TABLES = (
    "kb_topics",
    "kb_topic_points",
    "kb_skill_areas",
    "kb_skill_items",
    "kb_pathways",
    "kb_regions",
    "kb_places",
    "kb_missions",
    "kb_route_steps",
    "kb_backgrounds",
    "kb_programmes",
)
SYNONYM_TABLES = ("kb_topic_points", "kb_route_steps")


def upgrade() -> None:
    for table in KEYWORD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("keywords", sa.JSON(), nullable=False, server_default="[]")
            )
            if table in SYNONYM_TABLES:
                batch_op.add_column(
                    sa.Column(
                        "synonyms", sa.JSON(), nullable=False, server_default="[]"
                    )
                )


def downgrade() -> None:
    for table in KEYWORD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in SYNONYM_TABLES:
                batch_op.drop_column("synonyms")
            batch_op.drop_column("keywords")
