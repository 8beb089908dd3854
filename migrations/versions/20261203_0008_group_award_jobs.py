"""group award jobs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:57:23

A group award runs outside the request as a job: `award_job` holds what was observed and the
claim of the instance working on it; `award_job_item` one row per person, with what happened
for them. See docs/decisions/0014-group-award-jobs.md.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('award_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('badge_version_id', sa.Integer(), nullable=False),
    sa.Column('criteria_observed', sa.JSON(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('activity_start', sa.Date(), nullable=True),
    sa.Column('activity_end', sa.Date(), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('awarded', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['badge_version_id'], ['badge_version.id'], name=op.f('fk_award_job_badge_version_id_badge_version')),
    sa.ForeignKeyConstraint(['coach_id'], ['user_account.id'], name=op.f('fk_award_job_coach_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_award_job_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_job')),
    sa.UniqueConstraint('organization_id', 'idempotency_key', name=op.f('uq_award_job_organization_id_idempotency_key'))
    )
    with op.batch_alter_table('award_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_job_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_job_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_job_public_id'), ['public_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_award_job_state'), ['state'], unique=False)

    op.create_table('award_job_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sentence', sa.Text(), server_default='', nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_award_job_item_credential_id_credential')),
    sa.ForeignKeyConstraint(['job_id'], ['award_job.id'], name=op.f('fk_award_job_item_job_id_award_job')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_award_job_item_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_job_item')),
    sa.UniqueConstraint('job_id', 'participant_id', name=op.f('uq_award_job_item_job_id_participant_id'))
    )
    with op.batch_alter_table('award_job_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_job_item_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_award_job_item_next', ['job_id', 'state', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_job_item_participant_id'), ['participant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('award_job_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_job_item_participant_id'))
        batch_op.drop_index('ix_award_job_item_next')
        batch_op.drop_index(batch_op.f('ix_award_job_item_job_id'))

    op.drop_table('award_job_item')
    with op.batch_alter_table('award_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_job_state'))
        batch_op.drop_index(batch_op.f('ix_award_job_public_id'))
        batch_op.drop_index(batch_op.f('ix_award_job_organization_id'))
        batch_op.drop_index(batch_op.f('ix_award_job_coach_id'))

    op.drop_table('award_job')
