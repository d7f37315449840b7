"""The calls the office has issued: the files of questionnaires/ recorded in the database, each version
kept, with one participant row per State of the audience."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallParticipant, CallVersion
from tacase.engine import calls as call_defs
from tacase.engine.calls import CallDefinition
from tacase.services import audit_log
from tacase.services.actors import SYSTEM, Actor
from tacase.services.errors import NotFound


def closing_instant(closes_on: dt.date, timezone: str) -> dt.datetime:
    """The end of the closing day where the office works: an answer after it is late."""
    local = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.UTC)


def _stored(definition: CallDefinition) -> dict:
    return json.loads(json.dumps(call_defs.to_raw(definition), default=str))


def sync_calls(session: Session, definitions: dict[str, CallDefinition], now: dt.datetime, timezone: str,
               actor: Actor = SYSTEM) -> dict[str, int]:
    """Record new calls and changed texts; a call's past versions stay for the responses given under them.
    A State added to an audience joins it; one removed keeps what it has answered."""
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    existing = {c.key: c for c in session.scalars(select(Call).where(Call.key.in_(list(definitions))))}
    for key, definition in sorted(definitions.items()):
        call = existing.get(key)
        if call is not None and call.sha256 == definition.sha256:
            counts["unchanged"] += 1
            _join_audience(session, call, definition)
            continue
        raw = _stored(definition)
        fields = dict(kind=definition.kind, version=definition.version, sha256=definition.sha256,
                      definition=raw, title_en=definition.title.en[:300], opens_on=definition.opens_on,
                      closes_on=definition.closes_on,
                      closes_at=closing_instant(definition.closes_on, timezone), updated_at=now)
        if call is None:
            call = Call(key=key, source="file", created_at=now, **fields)
            session.add(call)
            counts["added"] += 1
        else:
            for name, value in fields.items():
                setattr(call, name, value)
            counts["changed"] += 1
        session.flush()
        version = session.scalar(select(CallVersion).where(CallVersion.call_id == call.id,
                                                           CallVersion.version == definition.version))
        if version is None:
            session.add(CallVersion(call_id=call.id, version=definition.version, sha256=definition.sha256,
                                    definition=raw, created_at=now))
        else:  # the same version number with another text: the file was edited in place
            version.sha256, version.definition = definition.sha256, raw
        _join_audience(session, call, definition)
        audit_log.record(session, actor, now, "call.synced",
                         data={"call": key, "version": definition.version, "sha256": definition.sha256})
    session.flush()
    return counts


def _join_audience(session: Session, call: Call, definition: CallDefinition) -> None:
    present = set(session.scalars(
        select(CallParticipant.state_code).where(CallParticipant.call_id == call.id)))
    for code in definition.audience_states():
        if code not in present:
            session.add(CallParticipant(call_id=call.id, state_code=code, reminders_sent=0))


def load_and_sync(session: Session, directory: str | Path, now: dt.datetime, timezone: str) -> dict[str, int]:
    return sync_calls(session, call_defs.load_dir(directory), now, timezone)


def get_call(session: Session, key: str) -> Call:
    call = None
    if isinstance(key, str) and len(key) <= 64:
        call = session.scalar(select(Call).where(Call.key == key))
    if call is None:
        raise NotFound("there is no such call")
    return call


# Parsed texts by their hash: a page reads the stored JSON only the first time a version is met.
_PARSED: dict[str, CallDefinition] = {}
_PARSED_LIMIT = 256


def _parse_stored(sha256: str, raw: dict) -> CallDefinition:
    found = _PARSED.get(sha256)
    if found is None:
        found = call_defs.parse(raw, source=f"call version {sha256[:12]}")
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[sha256] = found
    return found


def definition_of(session: Session, call: Call, version: int | None = None) -> CallDefinition:
    """The call's text as of `version` (the current one by default), parsed once per text."""
    if version is None or version == call.version:
        if call.sha256 in _PARSED:
            return _PARSED[call.sha256]
        return _parse_stored(call.sha256, call.definition)
    row = session.scalar(select(CallVersion).where(CallVersion.call_id == call.id,
                                                   CallVersion.version == version))
    if row is None:
        raise NotFound("there is no such version of this call")
    return _PARSED.get(row.sha256) or _parse_stored(row.sha256, row.definition)


def list_calls(session: Session) -> list[Call]:
    return list(session.scalars(select(Call).order_by(Call.closes_at.desc(), Call.id.desc())))


def open_calls_for_state(session: Session, state_code: str, now: dt.datetime) -> list[Call]:
    """The calls a State is asked to answer that have opened, newest closing last; closed ones stay
    listed for thirty days so that a late answer can still find them."""
    today = now.date()
    return list(session.scalars(
        select(Call).join(CallParticipant, CallParticipant.call_id == Call.id)
        .where(CallParticipant.state_code == state_code, Call.opens_on <= today,
               Call.closes_at > now - dt.timedelta(days=30))
        .order_by(Call.closes_at, Call.id)
    ))
