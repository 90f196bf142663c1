"""unanswered messages and their status

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_unanswered',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.String(length=255), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ['sender_id'],
            ['console_conversations.sender_id'],
            name=op.f('fk_console_unanswered_sender_id_console_conversations'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_unanswered')),
    )
    with op.batch_alter_table('console_unanswered', schema=None) as batch_op:
        batch_op.create_index(
            'ix_console_unanswered_sender_at', ['sender_id', 'at'], unique=False
        )

    op.create_table(
        'console_unanswered_status',
        sa.Column('sender_id', sa.String(length=255), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('handled', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sa.String(length=254), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            'sender_id', 'at', name=op.f('pk_console_unanswered_status')
        ),
    )


def downgrade() -> None:
    op.drop_table('console_unanswered_status')
    with op.batch_alter_table('console_unanswered', schema=None) as batch_op:
        batch_op.drop_index('ix_console_unanswered_sender_at')
    op.drop_table('console_unanswered')
