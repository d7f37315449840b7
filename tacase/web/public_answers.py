"""Public JSON answers kept in the worker's memory until the record changes.

An answer made after reading the audit log's head stays true for as long as the head has not moved
(tacase.services.record_memory). The head is read before the answer is made, so an answer never
outlives a change committed before it was read; one made while a change commits may already show it,
which is merely early.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import DBAPIError

from tacase.audit.checkpoints import chain_end
from tacase.db.audit_models import AuditEvent
from tacase.db.session import normalise_url
from tacase.services.record_memory import RecordMemory
from tacase.web.context import db, ext
from tacase.web.i18n import select_locale

# A larger answer (a long list with many steps) is made each time rather than kept.
LARGEST_KEPT = 512 * 1024


class AnswerCache(RecordMemory[str]):
    """Answers of one generation of the record, at most `budget` characters of them (the least recently
    read go first), each for at most `seconds`; a larger answer is made each time rather than kept."""

    def size_of(self, value: str) -> int:
        return len(value)

    def keeps(self, value: str) -> bool:
        return len(value) <= min(LARGEST_KEPT, self.budget)


HEAD = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)


def install(app: Any) -> None:
    config = app.extensions["tacase"]["config"]
    megabytes = config.PUBLIC_ANSWER_CACHE_MB
    cache = (AnswerCache(megabytes * 1024 * 1024, config.PUBLIC_ANSWER_CACHE_SECONDS)
             if megabytes > 0 else None)
    app.extensions["tacase"]["public_answers"] = cache
    app.extensions["tacase"]["public_head"] = _head_engine(config.DATABASE_URL) if cache else None


def _head_engine(url: str) -> Engine | None:
    """On PostgreSQL the head is read on connections of its own in autocommit, with no ping: one round
    trip, no transaction to begin or end (a dropped connection fails that read, which then goes the
    ordinary way). SQLite reads it in the request's session."""
    url = normalise_url(url)
    if not url.startswith("postgresql"):
        return None
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=6)


def _generation() -> tuple[int, str | None]:
    engine: Engine | None = ext().get("public_head")
    if engine is None:
        return chain_end(db())
    with engine.connect() as connection:
        head = connection.execute(HEAD).first()
    return (head.seq, head.hash) if head else (0, None)


def kept_until_the_record_changes(view: Callable[..., Any]) -> Callable[..., Any]:
    """For a public GET whose answer depends only on the address, the language and the record: answer
    from memory while the audit log's head has not moved. `cacheable` stores what the view makes."""

    @functools.wraps(view)
    def keeping(*args: Any, **kwargs: Any) -> Any:
        cache: AnswerCache | None = ext().get("public_answers")
        if cache is None:
            return view(*args, **kwargs)
        try:
            generation = _generation()
        except DBAPIError:  # the ordinary way says what is wrong
            return view(*args, **kwargs)
        key = (request.path, request.query_string, select_locale())
        body = cache.get(generation, key)
        if body is not None:
            return answer(body)
        g.tacase_public_answer = (cache, generation, key)
        return view(*args, **kwargs)

    return keeping


def keep(body: str) -> None:
    """Called with the body of a successful answer: kept if the view asked for it."""
    pending = g.pop("tacase_public_answer", None)
    if pending is not None:
        cache, generation, key = pending
        cache.put(generation, key, body)


def answer(body: str) -> Any:
    """The public answer for `body`: cacheable by anyone for a while, with an ETag (304 when the client
    has it already)."""
    response = current_app.response_class(body, mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = ext()["config"].PUBLIC_MAX_AGE_SECONDS
    response.add_etag()
    return response.make_conditional(request)
