"""list indexes: every order a case list offers is read from an index; trigram search on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = {'ix_cases_status': ['status'], 'ix_cases_created_at': ['created_at'],
       'ix_cases_updated_at': ['updated_at'], 'ix_cases_due_at': ['due_at'],
       'ix_cases_state_code_status': ['state_code', 'status']}
SORTED = ('updated_at', 'created_at', 'due_at', 'status')


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name in OLD:
        op.drop_index(name, table_name='cases')
    for scope in ((), ('state_code',)):
        prefix = 'ix_cases_' + ''.join(f'{c}_' for c in scope)
        for column in SORTED:
            op.create_index(f'{prefix}{column}_id', 'cases', [*scope, column, 'id'])
        if postgresql:
            op.create_index(f'{prefix}due_at_desc', 'cases',
                            [*scope, sa.text('due_at DESC NULLS LAST'), sa.text('id DESC')])
    op.create_index('ix_cases_state_code_reference', 'cases', ['state_code', 'reference'])
    if postgresql:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in ('reference', 'title'):
            op.create_index(f'ix_cases_{column}_trgm', 'cases', [sa.text(f'lower({column}) gin_trgm_ops')],
                            postgresql_using='gin')


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        for column in ('reference', 'title'):
            op.drop_index(f'ix_cases_{column}_trgm', table_name='cases')
    op.drop_index('ix_cases_state_code_reference', table_name='cases')
    for scope in ((), ('state_code',)):
        prefix = 'ix_cases_' + ''.join(f'{c}_' for c in scope)
        if postgresql:
            op.drop_index(f'{prefix}due_at_desc', table_name='cases')
        for column in SORTED:
            op.drop_index(f'{prefix}{column}_id', table_name='cases')
    for name, columns in OLD.items():
        op.create_index(name, 'cases', columns)
