"""catalog provenance, unit status, requirement codes, version mappings and sync findings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00

Qualifications imported from ePerusteet carry their provenance; others await import (no
peruste id or osp needed). Requirements carry their Koodisto code where the peruste format
has one. A badge version keeps the mapping it was made with, so that credentials issued from
it carry what it said even after the catalog changes. `catalog_finding` holds what
`osaamispassi eperusteet sync` found for an admin to confirm.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.alter_column('eperusteet_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column(
            'diaarinumero', existing_type=sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True
        )
        batch_op.add_column(sa.Column(
            'status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
            server_default='awaiting-import',
        ))
        batch_op.add_column(sa.Column('provenance', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_modified', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('qualification_unit', schema=None) as batch_op:
        batch_op.alter_column('osp', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column(
            'status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
            server_default='imported',
        ))
        batch_op.add_column(sa.Column('koodisto_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaces', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('skill_requirement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.add_column(sa.Column('osa_alue', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('area', sa.JSON(), nullable=True))
    with op.batch_alter_table('badge_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mapping', sa.JSON(), nullable=True))
    op.create_table('catalog_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('qualification_slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('unit_code', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('requirement_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('badges', sa.JSON(), nullable=False),
    sa.Column('peruste_modified', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_user_id'], ['user_account.id'], name=op.f('fk_catalog_finding_confirmed_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_finding'))
    )
    with op.batch_alter_table('catalog_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_finding_fingerprint'), ['fingerprint'], unique=True)
        batch_op.create_index(batch_op.f('ix_catalog_finding_qualification_slug'), ['qualification_slug'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalog_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_finding_qualification_slug'))
        batch_op.drop_index(batch_op.f('ix_catalog_finding_fingerprint'))
    op.drop_table('catalog_finding')
    with op.batch_alter_table('badge_version', schema=None) as batch_op:
        batch_op.drop_column('mapping')
    with op.batch_alter_table('skill_requirement', schema=None) as batch_op:
        batch_op.drop_column('area')
        batch_op.drop_column('osa_alue')
        batch_op.drop_column('code')
    with op.batch_alter_table('qualification_unit', schema=None) as batch_op:
        batch_op.drop_column('replaces')
        batch_op.drop_column('koodisto_version')
        batch_op.drop_column('status')
        batch_op.alter_column('osp', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.drop_column('confirmed_modified')
        batch_op.drop_column('provenance')
        batch_op.drop_column('status')
        batch_op.alter_column(
            'diaarinumero', existing_type=sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False
        )
        batch_op.alter_column('eperusteet_id', existing_type=sa.Integer(), nullable=False)
