"""wallet offers: a badge offered once to the participant's own wallet app

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:00:00

A participant (or the coach, on the tablet) can offer a badge to a wallet app such as the
Learner Credential Wallet: a one-time link for a quarter of an hour, by which the wallet
proves its DID and receives a copy bound to it (issue #15, decision 0019), by the VC-API
exchange or by OpenID4VCI (pre-authorized code, access token, proof nonce). The copy is not
kept; the row says which wallet received one and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wallet_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('challenge', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('made_by', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('protocol', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('holder_did', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('copy_id', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('pre_auth_code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('access_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proof_nonce', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_wallet_offer_credential_id_credential')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_wallet_offer_organization_id_organization')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_wallet_offer_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_offer')),
    sa.UniqueConstraint('proof_nonce', name=op.f('uq_wallet_offer_proof_nonce'))
    )
    with op.batch_alter_table('wallet_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_offer_credential_id'), ['credential_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_offer_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_offer_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_offer_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_wallet_offer_pre_auth_code_hash'), ['pre_auth_code_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_wallet_offer_access_token_hash'), ['access_token_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('wallet_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_offer_access_token_hash'))
        batch_op.drop_index(batch_op.f('ix_wallet_offer_pre_auth_code_hash'))
        batch_op.drop_index(batch_op.f('ix_wallet_offer_token_hash'))
        batch_op.drop_index(batch_op.f('ix_wallet_offer_participant_id'))
        batch_op.drop_index(batch_op.f('ix_wallet_offer_organization_id'))
        batch_op.drop_index(batch_op.f('ix_wallet_offer_credential_id'))
    op.drop_table('wallet_offer')
