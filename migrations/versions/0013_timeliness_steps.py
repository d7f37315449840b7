"""timeliness steps: the office's completed steps, kept so that refreshing the published processing
times reads only what changed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:40:00
"""
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tacase.db.types

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'timeliness_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('state_code', sa.String(length=3), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('ended_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('hundredths', sa.Integer(), nullable=False),
        sa.Column('within_deadline', sa.Boolean(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_timeliness_steps_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_timeliness_steps')),
    )
    op.create_index('ix_timeliness_steps_case_id', 'timeliness_steps', ['case_id'])
    op.create_index('ix_timeliness_steps_month', 'timeliness_steps', ['month'])
    # As in 0012: the rows exist from the start, so that two first refreshes queue on their lock.
    snapshots = sa.table('public_snapshots', sa.column('name', sa.String),
                         sa.column('built_at', tacase.db.types.UTCDateTime(timezone=True)),
                         sa.column('body', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')))
    never = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    op.bulk_insert(snapshots, [{'name': name, 'built_at': never, 'body': {}}
                               for name in ('timeliness_staff', 'timeliness_steps')])


def downgrade() -> None:
    op.execute("DELETE FROM public_snapshots WHERE name IN ('timeliness_staff', 'timeliness_steps')")
    op.drop_index('ix_timeliness_steps_month', table_name='timeliness_steps')
    op.drop_index('ix_timeliness_steps_case_id', table_name='timeliness_steps')
    op.drop_table('timeliness_steps')
