"""share link show_foreign: a whole-passport link may show the badges from other issuers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 03:30:00

The participant chooses, for each whole-passport link, whether the badges of other issuers
kept in her passport are shown with hers (issue #16); links made before show only hers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('share_link') as batch:
        batch.add_column(
            sa.Column('show_foreign', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('share_link') as batch:
        batch.drop_column('show_foreign')
