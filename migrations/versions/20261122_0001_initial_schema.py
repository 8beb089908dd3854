"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('badge_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('pathway', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_definition'))
    )
    with op.batch_alter_table('badge_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_definition_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_definition_pathway'), ['pathway'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_definition_slug'), ['slug'], unique=True)

    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('logo_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization'))
    )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_slug'), ['slug'], unique=True)

    op.create_table('qualification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('eperusteet_id', sa.Integer(), nullable=False),
    sa.Column('diaarinumero', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('koulutus_code', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification'))
    )
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_slug'), ['slug'], unique=True)

    op.create_table('badge_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('version_label', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('image_svg', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['badge_definition.id'], name=op.f('fk_badge_version_badge_id_badge_definition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_version')),
    sa.UniqueConstraint('badge_id', 'revision', name=op.f('uq_badge_version_badge_id_revision'))
    )
    with op.batch_alter_table('badge_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_version_badge_id'), ['badge_id'], unique=False)

    op.create_table('qualification_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('osp', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualification.id'], name=op.f('fk_qualification_unit_qualification_id_qualification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_unit')),
    sa.UniqueConstraint('qualification_id', 'code', name=op.f('uq_qualification_unit_qualification_id_code'))
    )
    with op.batch_alter_table('qualification_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_unit_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_qualification_unit_qualification_id'), ['qualification_id'], unique=False)

    op.create_table('signing_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('public_key_multibase', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_signing_key_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_key')),
    sa.UniqueConstraint('organization_id', 'key_id', name=op.f('uq_signing_key_organization_id_key_id'))
    )
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_key_organization_id'), ['organization_id'], unique=False)

    op.create_table('status_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('bits', sa.LargeBinary(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('signed_credential', sa.JSON(), nullable=True),
    sa.Column('signed_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_status_list_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_list')),
    sa.UniqueConstraint('organization_id', 'purpose', 'sequence', name=op.f('uq_status_list_organization_id_purpose_sequence')),
    sa.UniqueConstraint('public_id', name=op.f('uq_status_list_public_id'))
    )
    with op.batch_alter_table('status_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_list_organization_id'), ['organization_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_user_account_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_email'), ['email'], unique=True)
        batch_op.create_index(batch_op.f('ix_user_account_organization_id'), ['organization_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('object_type', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('object_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_user_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_audit_event_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_organization_id'), ['organization_id'], unique=False)

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_participant_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_participant_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participant_public_id'), ['public_id'], unique=True)

    op.create_table('skill_requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['qualification_unit.id'], name=op.f('fk_skill_requirement_unit_id_qualification_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_requirement'))
    )
    with op.batch_alter_table('skill_requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_requirement_key'), ['key'], unique=True)
        batch_op.create_index(batch_op.f('ix_skill_requirement_unit_id'), ['unit_id'], unique=False)

    op.create_table('award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('badge_version_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('criteria_observed', sa.JSON(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('activity_start', sa.Date(), nullable=True),
    sa.Column('activity_end', sa.Date(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['badge_version_id'], ['badge_version.id'], name=op.f('fk_award_badge_version_id_badge_version')),
    sa.ForeignKeyConstraint(['coach_id'], ['user_account.id'], name=op.f('fk_award_coach_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_award_organization_id_organization')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_award_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award')),
    sa.UniqueConstraint('organization_id', 'idempotency_key', name=op.f('uq_award_organization_id_idempotency_key'))
    )
    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_badge_version_id'), ['badge_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_participant_id'), ['participant_id'], unique=False)

    op.create_table('badge_version_requirement',
    sa.Column('badge_version_id', sa.Integer(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['badge_version_id'], ['badge_version.id'], name=op.f('fk_badge_version_requirement_badge_version_id_badge_version')),
    sa.ForeignKeyConstraint(['requirement_id'], ['skill_requirement.id'], name=op.f('fk_badge_version_requirement_requirement_id_skill_requirement')),
    sa.PrimaryKeyConstraint('badge_version_id', 'requirement_id', name=op.f('pk_badge_version_requirement'))
    )
    op.create_table('credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('json_ld', sa.JSON(), nullable=False),
    sa.Column('jwt', sa.Text(), nullable=False),
    sa.Column('status_list_id', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_credential_award_id_award')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_credential_organization_id_organization')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['credential.id'], name=op.f('fk_credential_replaced_by_id_credential')),
    sa.ForeignKeyConstraint(['status_list_id'], ['status_list.id'], name=op.f('fk_credential_status_list_id_status_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential')),
    sa.UniqueConstraint('award_id', name=op.f('uq_credential_award_id')),
    sa.UniqueConstraint('status_list_id', 'status_index', name=op.f('uq_credential_status_list_id_status_index'))
    )
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credential_public_id'), ['public_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_credential_status_list_id'), ['status_list_id'], unique=False)

    op.create_table('share_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('show_evidence', sa.Boolean(), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_share_link_credential_id_credential')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_share_link_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_link'))
    )
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_link_credential_id'), ['credential_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_link_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_link_token_hash'), ['token_hash'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('share_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_link_token_hash'))
        batch_op.drop_index(batch_op.f('ix_share_link_participant_id'))
        batch_op.drop_index(batch_op.f('ix_share_link_credential_id'))

    op.drop_table('share_link')
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_status_list_id'))
        batch_op.drop_index(batch_op.f('ix_credential_public_id'))
        batch_op.drop_index(batch_op.f('ix_credential_organization_id'))

    op.drop_table('credential')
    op.drop_table('badge_version_requirement')
    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_participant_id'))
        batch_op.drop_index(batch_op.f('ix_award_organization_id'))
        batch_op.drop_index(batch_op.f('ix_award_coach_id'))
        batch_op.drop_index(batch_op.f('ix_award_badge_version_id'))

    op.drop_table('award')
    with op.batch_alter_table('skill_requirement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_requirement_unit_id'))
        batch_op.drop_index(batch_op.f('ix_skill_requirement_key'))

    op.drop_table('skill_requirement')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_public_id'))
        batch_op.drop_index(batch_op.f('ix_participant_organization_id'))

    op.drop_table('participant')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_organization_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_organization_id'))
        batch_op.drop_index(batch_op.f('ix_user_account_email'))

    op.drop_table('user_account')
    with op.batch_alter_table('status_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_list_organization_id'))

    op.drop_table('status_list')
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_key_organization_id'))

    op.drop_table('signing_key')
    with op.batch_alter_table('qualification_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_unit_qualification_id'))
        batch_op.drop_index(batch_op.f('ix_qualification_unit_code'))

    op.drop_table('qualification_unit')
    with op.batch_alter_table('badge_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_version_badge_id'))

    op.drop_table('badge_version')
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_slug'))

    op.drop_table('qualification')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_slug'))

    op.drop_table('organization')
    with op.batch_alter_table('badge_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_definition_slug'))
        batch_op.drop_index(batch_op.f('ix_badge_definition_pathway'))
        batch_op.drop_index(batch_op.f('ix_badge_definition_category'))

    op.drop_table('badge_definition')
