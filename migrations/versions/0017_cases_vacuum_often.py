"""cases: vacuumed after 2% of its rows change rather than PostgreSQL's 20%

The work queue's totals and deep pages are index-only scans: they read the table's rows only where
the visibility map says a page changed since its last vacuum. With the default thresholds a table of a
million cases goes 200,000 changes between vacuums, and every list walks the heap for what changed in
between. A vacuum of the few pages that changed is cheap; reading them on every request is not.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 00:05:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS = ('autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_insert_scale_factor',
            'autovacuum_analyze_scale_factor')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE cases SET ({', '.join(f'{name} = 0.02' for name in SETTINGS)})")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE cases RESET ({', '.join(SETTINGS)})")
