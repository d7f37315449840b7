"""case engine schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import tacase.db.types

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_audit_events_seq_positive')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_events_prev_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action_seq', ['action', 'seq'], unique=False)
        batch_op.create_index('ix_audit_events_actor_id_seq', ['actor_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_case_id_seq', ['case_id', 'seq'], unique=False)

    op.create_table('reference_counters',
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_reference_counters'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('state_code', sa.String(length=3), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('mfa_secret', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lower')),
    sa.CheckConstraint('state_code IS NULL OR length(state_code) = 3', name=op.f('ck_users_state_code_iso3')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_state_code'), ['state_code'], unique=False)

    op.create_table('workflow_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_versions')),
    sa.UniqueConstraint('sha256', name=op.f('uq_workflow_versions_sha256'))
    )
    with op.batch_alter_table('workflow_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_versions_type'), ['type'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('workflow_version_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('activities', sa.Text(), nullable=False),
    sa.Column('expected_results', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('channel_reference', sa.String(length=100), nullable=True),
    sa.Column('channel_date', sa.Date(), nullable=True),
    sa.Column('focal_point_name', sa.String(length=200), nullable=True),
    sa.Column('focal_point_email', sa.String(length=254), nullable=True),
    sa.Column('recipient_institutions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=True),
    sa.Column('budget_amount', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('budget_currency', sa.String(length=3), nullable=True),
    sa.Column('funding_source', sa.String(length=32), nullable=True),
    sa.Column('sdg_targets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('themes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('consent_to_publish', sa.Boolean(), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('step_started_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('remind_at', tacase.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_party', sa.String(length=8), nullable=True),
    sa.Column('paused_state', sa.String(length=64), nullable=True),
    sa.Column('paused_remaining_s', sa.Float(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("funding_source IS NULL OR funding_source IN ('vftc', 'upr_fund', 'regular_budget', 'extrabudgetary', 'other')", name=op.f('ck_cases_funding_source_known')),
    sa.CheckConstraint('(budget_amount IS NULL) = (budget_currency IS NULL)', name=op.f('ck_cases_budget_has_currency')),
    sa.CheckConstraint('budget_amount IS NULL OR budget_amount >= 0', name=op.f('ck_cases_budget_not_negative')),
    sa.CheckConstraint('length(state_code) = 3', name=op.f('ck_cases_state_code_iso3')),
    sa.CheckConstraint('planned_start IS NULL OR planned_end IS NULL OR planned_end >= planned_start', name=op.f('ck_cases_planned_dates_ordered')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_cases_version_positive')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cases_created_by_id_users')),
    sa.ForeignKeyConstraint(['workflow_version_id'], ['workflow_versions.id'], name=op.f('fk_cases_workflow_version_id_workflow_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_remind_at'), ['remind_at'], unique=False)
        batch_op.create_index('ix_cases_state_code_status', ['state_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.create_index('ix_cases_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_workflow_version_id'), ['workflow_version_id'], unique=False)

    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.CheckConstraint("role IN ('state_focal_point', 'reviewer', 'approver', 'board', 'admin')", name=op.f('ck_user_roles_role_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_roles_role'), ['role'], unique=False)

    op.create_table('case_recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('mechanism', sa.String(length=32), nullable=False),
    sa.Column('document_symbol', sa.String(length=100), nullable=False),
    sa.Column('paragraph', sa.String(length=40), nullable=True),
    sa.CheckConstraint("mechanism IN ('upr', 'treaty_body', 'special_procedure')", name=op.f('ck_case_recommendations_mechanism_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_recommendations_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_recommendations')),
    sa.UniqueConstraint('case_id', 'position', name=op.f('uq_case_recommendations_case_id_position'))
    )
    with op.batch_alter_table('case_recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_recommendations_case_id'), ['case_id'], unique=False)

    op.create_table('case_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=64), nullable=False),
    sa.Column('to_state', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('record', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('seconds_in_state', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transitions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transitions'))
    )
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_transitions_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_case_transitions_case_id_at', ['case_id', 'at'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("visibility IN ('internal', 'state')", name=op.f('ck_comments_visibility_known')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_comments_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_case_id_created_at', ['case_id', 'created_at'], unique=False)


    _protect_audit_log()

def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS tacase_audit_append_only()")
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_case_id_created_at')

    op.drop_table('comments')
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_case_transitions_case_id_at')
        batch_op.drop_index(batch_op.f('ix_case_transitions_actor_id'))

    op.drop_table('case_transitions')
    with op.batch_alter_table('case_recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_recommendations_case_id'))

    op.drop_table('case_recommendations')
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_roles_role'))

    op.drop_table('user_roles')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_workflow_version_id'))
        batch_op.drop_index(batch_op.f('ix_cases_updated_at'))
        batch_op.drop_index(batch_op.f('ix_cases_type'))
        batch_op.drop_index('ix_cases_status_due_at')
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index('ix_cases_state_code_status')
        batch_op.drop_index(batch_op.f('ix_cases_remind_at'))
        batch_op.drop_index(batch_op.f('ix_cases_due_at'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.drop_index(batch_op.f('ix_cases_assignee_id'))

    op.drop_table('cases')
    with op.batch_alter_table('workflow_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_versions_type'))

    op.drop_table('workflow_versions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_state_code'))

    op.drop_table('users')
    op.drop_table('reference_counters')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_case_id_seq')
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor_id_seq')
        batch_op.drop_index('ix_audit_events_action_seq')

    op.drop_table('audit_events')


def _protect_audit_log() -> None:
    """On PostgreSQL the audit log is append-only for everyone who does not drop the triggers."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION tacase_audit_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION tacase_audit_append_only()
    """)
    op.execute("""
        CREATE TRIGGER audit_events_no_truncate
        BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION tacase_audit_append_only()
    """)
