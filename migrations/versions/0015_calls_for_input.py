# ruff: noqa: E501  (generated table definitions, one constraint a line)
"""calls for input: questionnaires, invitations, responses, counted answers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tacase.db.types

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('definition', tacase.db.types.JSONType, nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('closes_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('questionnaire', 'submissions')", name=op.f('ck_calls_kind_known')),
    sa.CheckConstraint("source IN ('file', 'office')", name=op.f('ck_calls_source_known')),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_calls_dates_ordered')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_calls_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('key', name=op.f('uq_calls_key'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_closes_at_id', ['closes_at', 'id'], unique=False)

    op.create_table('call_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=3), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ministry', sa.String(length=200), nullable=False),
    sa.Column('respondent_type', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opened_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("respondent_type IN ('ministry', 'local_government', 'parliament', 'judiciary', 'other_state_body')", name=op.f('ck_call_invitations_respondent_type_known')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_call_invitations_email_lower')),
    sa.CheckConstraint('length(state_code) = 3', name=op.f('ck_call_invitations_state_code_iso3')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_invitations_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_call_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_call_invitations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_call_invitations_token_hash'))
    )
    with op.batch_alter_table('call_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_call_invitations_call_id_state_code', ['call_id', 'state_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_invitations_user_id'), ['user_id'], unique=False)

    op.create_table('call_participants',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=3), nullable=False),
    sa.Column('opened_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_draft_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_reminded_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(state_code) = 3', name=op.f('ck_call_participants_state_code_iso3')),
    sa.CheckConstraint('reminders_sent >= 0', name=op.f('ck_call_participants_reminders_not_negative')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_participants_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'state_code', name=op.f('pk_call_participants'))
    )
    with op.batch_alter_table('call_participants', schema=None) as batch_op:
        batch_op.create_index('ix_call_participants_state_code_call_id', ['state_code', 'call_id'], unique=False)

    op.create_table('call_reminders',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=3), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_reminders_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'state_code', 'days_before', name=op.f('pk_call_reminders'))
    )
    op.create_table('call_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('definition', tacase.db.types.JSONType, nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_versions_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_versions')),
    sa.UniqueConstraint('call_id', 'sha256', name=op.f('uq_call_versions_call_id_sha256')),
    sa.UniqueConstraint('call_id', 'version', name=op.f('uq_call_versions_call_id_version'))
    )
    op.create_table('call_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('call_version', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=3), nullable=True),
    sa.Column('respondent_kind', sa.String(length=16), nullable=False),
    sa.Column('respondent_type', sa.String(length=32), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answers', tacase.db.types.JSONType, nullable=False),
    sa.Column('consent_to_publish', sa.Boolean(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reopened_count', sa.Integer(), nullable=False),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'submitted') = (submitted_at IS NOT NULL)", name=op.f('ck_call_responses_submitted_has_time')),
    sa.CheckConstraint("respondent_kind = 'stakeholder' OR state_code IS NOT NULL", name=op.f('ck_call_responses_state_answers_for_state')),
    sa.CheckConstraint("respondent_kind IN ('state', 'ministry', 'stakeholder')", name=op.f('ck_call_responses_respondent_kind_known')),
    sa.CheckConstraint("respondent_type IN ('state', 'ministry', 'local_government', 'parliament', 'judiciary', 'other_state_body', 'nhri', 'civil_society', 'academia', 'other')", name=op.f('ck_call_responses_respondent_type_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_call_responses_status_known')),
    sa.CheckConstraint('state_code IS NULL OR length(state_code) = 3', name=op.f('ck_call_responses_state_code_iso3')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_call_responses_version_positive')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_call_responses_author_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_responses_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invitation_id'], ['call_invitations.id'], name=op.f('fk_call_responses_invitation_id_call_invitations')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_call_responses_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_responses')),
    sa.UniqueConstraint('confirm_token_hash', name=op.f('uq_call_responses_confirm_token_hash')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_call_responses_invitation_id'))
    )
    with op.batch_alter_table('call_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_responses_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_call_responses_call_id_state_code', ['call_id', 'state_code'], unique=False)
        batch_op.create_index('ix_call_responses_call_id_status_submitted_at', ['call_id', 'status', 'submitted_at', 'id'], unique=False)

    op.create_table('call_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('choice', sa.String(length=64), nullable=True),
    sa.Column('number', sa.Numeric(precision=24, scale=6), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('respondent_type', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_answers_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['call_responses.id'], name=op.f('fk_call_answers_response_id_call_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_answers'))
    )
    with op.batch_alter_table('call_answers', schema=None) as batch_op:
        batch_op.create_index('ix_call_answers_call_id_question_choice', ['call_id', 'question', 'choice'], unique=False)
        batch_op.create_index('ix_call_answers_response_id', ['response_id'], unique=False)

    op.create_table('call_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_documents_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['call_responses.id'], name=op.f('fk_call_documents_response_id_call_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_call_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_call_documents_stored_name'))
    )
    with op.batch_alter_table('call_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_documents_response_id'), ['response_id'], unique=False)

    op.create_table('call_response_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('answers', tacase.db.types.JSONType, nullable=False),
    sa.Column('submitted_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('reopened_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'], name=op.f('fk_call_response_versions_reopened_by_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['call_responses.id'], name=op.f('fk_call_response_versions_response_id_call_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_call_response_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_response_versions')),
    sa.UniqueConstraint('response_id', 'number', name=op.f('uq_call_response_versions_response_id_number'))
    )



def downgrade() -> None:

    op.drop_table('call_response_versions')
    with op.batch_alter_table('call_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_documents_response_id'))

    op.drop_table('call_documents')
    with op.batch_alter_table('call_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_call_answers_response_id')
        batch_op.drop_index('ix_call_answers_call_id_question_choice')

    op.drop_table('call_answers')
    with op.batch_alter_table('call_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_call_responses_call_id_status_submitted_at')
        batch_op.drop_index('ix_call_responses_call_id_state_code')
        batch_op.drop_index(batch_op.f('ix_call_responses_author_id'))

    op.drop_table('call_responses')
    op.drop_table('call_versions')
    op.drop_table('call_reminders')
    with op.batch_alter_table('call_participants', schema=None) as batch_op:
        batch_op.drop_index('ix_call_participants_state_code_call_id')

    op.drop_table('call_participants')
    with op.batch_alter_table('call_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_invitations_user_id'))
        batch_op.drop_index('ix_call_invitations_call_id_state_code')

    op.drop_table('call_invitations')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_closes_at_id')

    op.drop_table('calls')

