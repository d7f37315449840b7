"""comment kinds: the State's feedback at evaluation is a comment of its own kind

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comments') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='comment'))
        batch.create_check_constraint(op.f('ck_comments_kind_known'), "kind IN ('comment', 'feedback')")


def downgrade() -> None:
    with op.batch_alter_table('comments') as batch:
        batch.drop_constraint(op.f('ck_comments_kind_known'), type_='check')
        batch.drop_column('kind')
