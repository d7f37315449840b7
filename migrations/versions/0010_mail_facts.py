"""mail facts: a notification keeps what it says, and its words are written when it goes out or is read

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages') as batch:
        batch.add_column(sa.Column('facts', _JSON, nullable=True))
        batch.alter_column('body_text', existing_type=sa.Text(), nullable=True)
        batch.alter_column('body_html', existing_type=sa.Text(), nullable=True)
        batch.create_check_constraint(
            op.f('ck_outbox_messages_facts_or_words'),
            'facts IS NOT NULL OR (body_text IS NOT NULL AND body_html IS NOT NULL)')
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('facts', _JSON, nullable=True))
        batch.alter_column('body', existing_type=sa.Text(), nullable=True)
        batch.create_check_constraint(op.f('ck_notifications_facts_or_words'), 'facts IS NOT NULL OR body IS NOT NULL')


def _write_out_facts() -> None:
    """The words of every stored fact, so that the older schema loses nothing."""
    from tacase.services.messages import context_from, render

    bind = op.get_bind()
    outbox = sa.table('outbox_messages', sa.column('id', sa.Integer), sa.column('facts', _JSON),
                      sa.column('status', sa.String), sa.column('body_text', sa.Text),
                      sa.column('body_html', sa.Text))
    for row in bind.execute(sa.select(outbox.c.id, outbox.c.facts, outbox.c.status)
                            .where(outbox.c.facts.is_not(None))).all():
        words = render(context_from(row.facts))
        digest = row.status in ('digest', 'digested')
        bind.execute(outbox.update().where(outbox.c.id == row.id).values(
            body_text=words.fragment_text if digest else words.text,
            body_html=words.fragment_html if digest else words.html))
    notes = sa.table('notifications', sa.column('id', sa.Integer), sa.column('facts', _JSON),
                     sa.column('body', sa.Text))
    for row in bind.execute(sa.select(notes.c.id, notes.c.facts).where(notes.c.body.is_(None))).all():
        bind.execute(notes.update().where(notes.c.id == row.id)
                     .values(body=render(context_from(row.facts)).fragment_text))


def downgrade() -> None:
    _write_out_facts()
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint(op.f('ck_notifications_facts_or_words'), type_='check')
        batch.alter_column('body', existing_type=sa.Text(), nullable=False)
        batch.drop_column('facts')
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_constraint(op.f('ck_outbox_messages_facts_or_words'), type_='check')
        batch.alter_column('body_html', existing_type=sa.Text(), nullable=False)
        batch.alter_column('body_text', existing_type=sa.Text(), nullable=False)
        batch.drop_column('facts')
