"""passport access sign-in links and outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Down revision 0002: another branch adds 0003; the chain is set again when they merge.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_outbox_message_organization_id_organization')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_outbox_message_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_participant_id'), ['participant_id'], unique=False)

    op.create_table('sign_in_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_sign_in_token_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_token'))
    )
    with op.batch_alter_table('sign_in_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_token_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_token_token_hash'), ['token_hash'], unique=True)

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passport_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('passport_token_created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pin_hash', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('pin_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('pin_failures_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_participant_passport_token_hash'), ['passport_token_hash'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_passport_token_hash'))
        batch_op.drop_column('pin_failures_since')
        batch_op.drop_column('pin_failures')
        batch_op.drop_column('pin_hash')
        batch_op.drop_column('passport_token_created_at')
        batch_op.drop_column('passport_token_hash')

    with op.batch_alter_table('sign_in_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_token_token_hash'))
        batch_op.drop_index(batch_op.f('ix_sign_in_token_participant_id'))

    op.drop_table('sign_in_token')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_participant_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_organization_id'))

    op.drop_table('outbox_message')
