"""share link: the photo as a choice of its own

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 22:10:00

A share link showed the coach's evidence photos together with what the coach wrote
(`show_evidence`). The participant now chooses each on its own (`show_photo`, off by
default). Links made before keep showing what they showed: their form said that the choice
included the photo.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('share_link') as batch:
        batch.add_column(
            sa.Column('show_photo', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE share_link SET show_photo = show_evidence")


def downgrade() -> None:
    with op.batch_alter_table('share_link') as batch:
        batch.drop_column('show_photo')
