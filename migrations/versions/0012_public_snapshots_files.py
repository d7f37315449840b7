"""public record, second part: the snapshot of its figures, the open-data files as last built, and
the State's choice to publish a document

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:30:00
"""
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tacase.db.types

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SNAPSHOTS = ('record_counts', 'timeliness')
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'public_snapshots',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('built_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('body', _JSON, nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_public_snapshots')),
    )
    op.create_table(
        'public_files',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('built_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('media_type', sa.String(length=64), nullable=False),
        sa.Column('etag', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_public_files')),
    )
    # The rows exist from the start, so that the first two refreshes queue on a lock, not race to insert.
    snapshots = sa.table('public_snapshots', sa.column('name', sa.String),
                         sa.column('built_at', tacase.db.types.UTCDateTime(timezone=True)), sa.column('body', _JSON))
    never = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    op.bulk_insert(snapshots, [{'name': name, 'built_at': never, 'body': {}} for name in _SNAPSHOTS])
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('public')
    op.drop_table('public_files')
    op.drop_table('public_snapshots')
