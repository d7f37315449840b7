"""next attention: each case says when the deadline sweep must next look at its step

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# From the events already recorded for the current step: nothing more after its escalation (or the
# State's last notice); its due time, after a reminder or an overdue flag (the sweep then works out
# the escalation's time itself); its reminder, before anything.
BACKFILL = """
UPDATE cases SET next_attention_at = CASE
    WHEN EXISTS (SELECT 1 FROM deadline_events e WHERE e.case_id = cases.id
                 AND e.step_started_at = cases.step_started_at AND e.kind IN ('escalation', 'last_notice'))
        THEN NULL
    WHEN EXISTS (SELECT 1 FROM deadline_events e WHERE e.case_id = cases.id
                 AND e.step_started_at = cases.step_started_at)
        THEN due_at
    ELSE COALESCE(remind_at, due_at)
END
WHERE due_at IS NOT NULL AND closed_at IS NULL
"""


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('next_attention_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_cases_next_attention_at', ['next_attention_at'])
        batch.drop_index('ix_cases_status_due_at')
        batch.drop_index('ix_cases_remind_at')
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.create_index('ix_cases_remind_at', ['remind_at'])
        batch.create_index('ix_cases_status_due_at', ['status', 'due_at'])
        batch.drop_index('ix_cases_next_attention_at')
        batch.drop_column('next_attention_at')
