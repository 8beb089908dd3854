"""share link: made for a printout or shared by hand

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 22:30:00

Printing the passport makes a link per badge. The participant's list now says which links
belong to a printout, and printing again can stop the codes of earlier printouts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('share_link') as batch:
        batch.add_column(
            sa.Column(
                'made_for', sa.String(length=10), nullable=False, server_default='share'
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('share_link') as batch:
        batch.drop_column('made_for')
