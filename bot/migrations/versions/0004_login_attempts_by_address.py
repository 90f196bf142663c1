"""login attempts keep the client's address

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('console_login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))
        batch_op.create_index('ix_console_login_attempts_address_at', ['address', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('console_login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_console_login_attempts_address_at')
        batch_op.drop_column('address')
