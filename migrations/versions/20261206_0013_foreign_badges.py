"""foreign badges: other issuers' badges kept in the passport

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:18:26

A participant keeps badges from other issuers (a school, a course) in the passport: stored
exactly as given (JSON, VC-JWT or baked image), verified again whenever shown, listed
apart from the service's own badges, included in the data export and erased with the
participant (issue #16). A share link may name one of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('foreign_badge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('issuer_id', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('issuer_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_foreign_badge_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_foreign_badge')),
    sa.UniqueConstraint('participant_id', 'digest', name=op.f('uq_foreign_badge_participant_id_digest'))
    )
    with op.batch_alter_table('foreign_badge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_foreign_badge_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_foreign_badge_public_id'), ['public_id'], unique=True)
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('foreign_badge_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_share_link_foreign_badge_id'), ['foreign_badge_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_share_link_foreign_badge_id_foreign_badge'), 'foreign_badge', ['foreign_badge_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_share_link_foreign_badge_id_foreign_badge'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_share_link_foreign_badge_id'))
        batch_op.drop_column('foreign_badge_id')
    with op.batch_alter_table('foreign_badge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_foreign_badge_public_id'))
        batch_op.drop_index(batch_op.f('ix_foreign_badge_participant_id'))

    op.drop_table('foreign_badge')
