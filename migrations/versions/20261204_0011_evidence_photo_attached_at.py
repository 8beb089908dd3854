"""evidence photo: when it was attached to its award

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:30:00

A coach can now add a photo to a badge after it was issued (from the results of a group
award, or the badge's page). A share link shows only the photos that were attached before
the participant made it, so a photo nobody showed her is never published by an older link.
Existing photos were attached when their award was made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('evidence_photo') as batch:
        batch.add_column(sa.Column('attached_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE evidence_photo SET attached_at = "
        "(SELECT award.created_at FROM award WHERE award.id = evidence_photo.award_id) "
        "WHERE award_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('evidence_photo') as batch:
        batch.drop_column('attached_at')
