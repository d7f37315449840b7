"""audit checkpoints: the chain's head signed with a key kept outside the database, append-only

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tacase.db.types

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_checkpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.BigInteger(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('signed_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.CheckConstraint('sequence >= 1', name=op.f('ck_audit_checkpoints_sequence_positive')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
        sa.UniqueConstraint('sequence', 'key_id', name=op.f('uq_audit_checkpoints_sequence_key_id')),
    )
    op.create_index('ix_audit_checkpoints_signed_at', 'audit_checkpoints', ['signed_at'])
    _protect_checkpoints()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION IF EXISTS tacase_audit_checkpoints_append_only()")
    op.drop_index('ix_audit_checkpoints_signed_at', table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')


def _protect_checkpoints() -> None:
    """As the audit events (0001): kept for good by everyone who does not drop the triggers."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION tacase_audit_checkpoints_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_checkpoints_append_only
        BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION tacase_audit_checkpoints_append_only()
    """)
    op.execute("""
        CREATE TRIGGER audit_checkpoints_no_truncate
        BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION tacase_audit_checkpoints_append_only()
    """)
