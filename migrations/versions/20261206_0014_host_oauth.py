"""host oauth: clients, authorization codes and tokens of the Open Badges 3.0 Host API

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00

Another service (a wallet, a school's system) registers as an OAuth 2.0 client (RFC 7591),
a participant authorises it on a consent page, and it reads or adds the participant's
badges and profile through the Open Badges 3.0 REST API (issue #16). Secrets, codes and
tokens are stored only as SHA-256 hashes. A kept badge of another issuer remembers its
credential id, by which an upsert replaces it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op



revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('foreign_badge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_uri', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))

    op.create_table('host_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_metadata', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_client'))
    )
    with op.batch_alter_table('host_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_host_client_client_id'), ['client_id'], unique=True)

    op.create_table('host_authorization_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('redirect_uri', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('code_challenge', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('code_challenge_method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['host_client.id'], name=op.f('fk_host_authorization_code_client_id_host_client')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_host_authorization_code_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_authorization_code'))
    )
    with op.batch_alter_table('host_authorization_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_host_authorization_code_code_hash'), ['code_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_host_authorization_code_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_authorization_code_participant_id'), ['participant_id'], unique=False)

    op.create_table('host_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('authorization_code_id', sa.Integer(), nullable=True),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('access_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('refresh_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refresh_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['host_client.id'], name=op.f('fk_host_token_client_id_host_client')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_host_token_participant_id_participant')),
    sa.ForeignKeyConstraint(['authorization_code_id'], ['host_authorization_code.id'], name=op.f('fk_host_token_authorization_code_id_host_authorization_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_token'))
    )
    with op.batch_alter_table('host_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_host_token_access_token_hash'), ['access_token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_host_token_refresh_token_hash'), ['refresh_token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_host_token_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_token_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_token_authorization_code_id'), ['authorization_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_token_grant_id'), ['grant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('host_token')
    op.drop_table('host_authorization_code')
    op.drop_table('host_client')
    with op.batch_alter_table('foreign_badge', schema=None) as batch_op:
        batch_op.drop_column('credential_uri')
