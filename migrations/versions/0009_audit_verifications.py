"""audit verifications: each run is kept, and one that found the chain whole is where the next starts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 22:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_verifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('full', sa.Boolean(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('events', sa.BigInteger(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('first_bad_seq', sa.BigInteger(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.CheckConstraint('events >= 0', name=op.f('ck_audit_verifications_events_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_verifications')),
    )
    op.create_index('ix_audit_verifications_ok_events', 'audit_verifications', ['ok', 'events'])
    op.create_index('ix_audit_verifications_full_id', 'audit_verifications', ['full', 'id'])


def downgrade() -> None:
    op.drop_index('ix_audit_verifications_full_id', table_name='audit_verifications')
    op.drop_index('ix_audit_verifications_ok_events', table_name='audit_verifications')
    op.drop_table('audit_verifications')
