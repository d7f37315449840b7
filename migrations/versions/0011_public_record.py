"""public record: indexes of the published cases, newest first, for all States and for one, and of
the steps of all cases by time (the record's feed)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUBLISHED = {
    'postgresql_where': sa.text('consent_to_publish AND submitted_at IS NOT NULL'),
    'sqlite_where': sa.text('consent_to_publish = 1 AND submitted_at IS NOT NULL'),
}


def upgrade() -> None:
    op.create_index('ix_cases_published_submitted_at_id', 'cases', ['submitted_at', 'id'], **_PUBLISHED)
    op.create_index('ix_cases_published_state_code_submitted_at_id', 'cases',
                    ['state_code', 'submitted_at', 'id'], **_PUBLISHED)
    op.create_index('ix_case_transitions_at_id', 'case_transitions', ['at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_case_transitions_at_id', table_name='case_transitions')
    op.drop_index('ix_cases_published_state_code_submitted_at_id', table_name='cases')
    op.drop_index('ix_cases_published_submitted_at_id', table_name='cases')
