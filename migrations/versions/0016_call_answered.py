# ruff: noqa: E501  (generated table definitions, one constraint a line)
"""call_answered: each question a submitted response answered, for the results' counts and lists;
an index of the numbers given

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 20:10:00
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tacase.db.types
from tacase.reference import all_states

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
_NUMBERS = {
    'postgresql_where': sa.text('number IS NOT NULL AND choice IS NULL'),
    'sqlite_where': sa.text('number IS NOT NULL AND choice IS NULL'),
}


def upgrade() -> None:

    op.create_table('call_answered',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', tacase.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('respondent_type', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_answered_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['call_responses.id'], name=op.f('fk_call_answered_response_id_call_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question', name=op.f('pk_call_answered'))
    )
    with op.batch_alter_table('call_answered', schema=None) as batch_op:
        batch_op.create_index('ix_call_answered_call_id_question_submitted_at', ['call_id', 'question', 'submitted_at', 'response_id', 'region', 'respondent_type'], unique=False)

    op.create_index('ix_call_answers_call_id_question_number', 'call_answers', ['call_id', 'question', 'number'],
                    **_NUMBERS)
    _mark_submitted_responses()


def _blank(value: Any) -> bool:
    """As the answers are checked: no value, blank text, no choice, no row."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


def _question_keys(definition: Any) -> set[str]:
    questions = definition.get('questions') if isinstance(definition, dict) else None
    return {q['key'] for q in questions or () if isinstance(q, dict) and isinstance(q.get('key'), str)}


def _mark_submitted_responses() -> None:
    """Every question a submitted response answered (its answers were checked when submitted: a
    question of the version it answered, not blank), in batches of responses."""
    bind = op.get_bind()
    json = tacase.db.types.JSONType
    calls = sa.table('calls', sa.column('id', sa.Integer), sa.column('version', sa.Integer),
                     sa.column('definition', json))
    versions = sa.table('call_versions', sa.column('call_id', sa.Integer), sa.column('version', sa.Integer),
                        sa.column('definition', json))
    responses = sa.table('call_responses', sa.column('id', sa.Integer), sa.column('call_id', sa.Integer),
                         sa.column('call_version', sa.Integer), sa.column('state_code', sa.String),
                         sa.column('respondent_type', sa.String), sa.column('status', sa.String),
                         sa.column('submitted_at', tacase.db.types.UTCDateTime()), sa.column('answers', json))
    answered = sa.table('call_answered', sa.column('response_id', sa.Integer), sa.column('question', sa.String),
                        sa.column('call_id', sa.Integer), sa.column('submitted_at', tacase.db.types.UTCDateTime()),
                        sa.column('region', sa.String), sa.column('respondent_type', sa.String))
    keys: dict[tuple[int, int], set[str]] = {}
    for call_id, version, definition in bind.execute(sa.select(calls.c.id, calls.c.version, calls.c.definition)):
        keys[(call_id, version)] = _question_keys(definition)
    for call_id, version, definition in bind.execute(
            sa.select(versions.c.call_id, versions.c.version, versions.c.definition)):
        keys.setdefault((call_id, version), _question_keys(definition))
    states = all_states()
    last = 0
    while True:
        batch = bind.execute(
            sa.select(responses.c.id, responses.c.call_id, responses.c.call_version, responses.c.state_code,
                      responses.c.respondent_type, responses.c.submitted_at, responses.c.answers)
            .where(responses.c.status == 'submitted', responses.c.submitted_at.is_not(None),
                   responses.c.id > last)
            .order_by(responses.c.id).limit(BATCH)).all()
        if not batch:
            return
        rows = []
        for r in batch:
            state = states.get(r.state_code or '')
            questions = keys.get((r.call_id, r.call_version), set())
            answers = r.answers if isinstance(r.answers, dict) else {}
            rows += [{'response_id': r.id, 'question': key, 'call_id': r.call_id, 'submitted_at': r.submitted_at,
                      'region': state.region if state is not None else None,
                      'respondent_type': r.respondent_type}
                     for key, value in answers.items() if key in questions and not _blank(value)]
        if rows:
            bind.execute(sa.insert(answered), rows)
        last = batch[-1].id


def downgrade() -> None:

    op.drop_index('ix_call_answers_call_id_question_number', table_name='call_answers')
    with op.batch_alter_table('call_answered', schema=None) as batch_op:
        batch_op.drop_index('ix_call_answered_call_id_question_submitted_at')

    op.drop_table('call_answered')
