"""trust registry: known issuers and their key documents

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('trusted_issuer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_issuer'))
    )
    with op.batch_alter_table('trusted_issuer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_issuer_issuer_id'), ['issuer_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('trusted_issuer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_issuer_issuer_id'))

    op.drop_table('trusted_issuer')
