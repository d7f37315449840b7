"""document names follow their content: each ends in the extension of the type its bytes showed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule of tacase.services.documents.named_for_type, as it stood when this ran.
EXTENSIONS = {
    'application/pdf': ('pdf',), 'image/png': ('png',), 'image/jpeg': ('jpg', 'jpeg'),
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ('docx',),
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ('xlsx',),
    'application/vnd.oasis.opendocument.text': ('odt',),
}
MAX_FILENAME = 255


def upgrade() -> None:
    documents = sa.table('documents', sa.column('id', sa.Integer), sa.column('filename', sa.String),
                         sa.column('content_type', sa.String))
    conn = op.get_bind()
    for row in conn.execute(sa.select(documents.c.id, documents.c.filename, documents.c.content_type)):
        allowed = EXTENSIONS.get(row.content_type)
        if not allowed or ('.' in row.filename and row.filename.rpartition('.')[2].lower() in allowed):
            continue
        suffix = '.' + allowed[0]
        conn.execute(documents.update().where(documents.c.id == row.id)
                     .values(filename=row.filename[:MAX_FILENAME - len(suffix)].rstrip('.') + suffix))


def downgrade() -> None:
    pass  # the longer names stay: they are still the documents' names
