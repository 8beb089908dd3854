"""outbox delivery claims

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:30:00

A delivery run claims an outbox message (`claimed_until`) before sending it outside any
transaction, so that concurrent runs on several instances send each message once; `attempts`
counts the claims so that a message that keeps failing is given up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('claimed_until')
