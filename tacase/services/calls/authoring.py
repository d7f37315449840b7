"""Calls written by the office's administrators in the pages or through the API, in the same format as
the files of questionnaires/ and checked by the same rules. Each change of the text is a new version,
kept as a file's would be; the version number is the office's to count, not the author's."""

from __future__ import annotations

import json
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Call
from tacase.engine import calls as call_defs
from tacase.engine.calls import CallDefinition, CallDefinitionError
from tacase.engine.roles import ADMIN
from tacase.services.actors import Actor
from tacase.services.calls import registry
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, Forbidden, NotFound, ValidationFailed

FIELD = "definition"


class _PlainDumper(yaml.SafeDumper):
    """Writes every value out: the texts of a call are read back without aliases (see parse_text)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def require_author(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden("only an administrator may write a call")


def _problems(exc: CallDefinitionError, source: str) -> ValidationFailed:
    # The source named in each problem is the author's own text: say where in it, not its name again.
    prefix = f"{source}: "
    return ValidationFailed({FIELD: [p.removeprefix(prefix) for p in exc.problems]},
                            "the call is not valid")


def _definition(raw: Any, source: str) -> CallDefinition:
    try:
        if isinstance(raw, str):
            return call_defs.parse_text(raw, source)
        return call_defs.parse(raw, source=source)
    except CallDefinitionError as exc:
        raise _problems(exc, source) from None


def _numbered(definition: CallDefinition, version: int) -> CallDefinition:
    """The definition again with the office's version number (it is part of the hashed text)."""
    raw = call_defs.to_raw(definition)
    raw["version"] = version
    return call_defs.parse(json.loads(json.dumps(raw, default=str)), source="the call")


def write_call(session: Session, actor: Actor, clock: Clock, text_or_mapping: Any, *, timezone: str,
               key: str | None = None) -> tuple[Call, str]:
    """Create a call (key None) or change the call `key`; returns the call and "added", "changed" or
    "unchanged". A call defined by a file is changed in its file, never here."""
    require_author(actor)
    definition = _definition(text_or_mapping, "the call")
    if key is not None and definition.key != key:
        raise ValidationFailed({FIELD: [f"key: is {definition.key!r}, but this is the call {key!r}; "
                                        "a call's key cannot change"]}, "the call is not valid")
    existing = session.scalar(select(Call).where(Call.key == definition.key))
    if key is None and existing is not None:
        raise Conflict(f"a call with the key {definition.key!r} exists already; choose another key or "
                       "change that call")
    if key is not None and existing is None:
        raise NotFound("there is no such call")
    if existing is not None and existing.source == "file":
        raise Conflict(f"the call {definition.key!r} is defined by the file questionnaires/"
                       f"{definition.key}.yaml; change the file instead")
    if existing is None:
        definition = _numbered(definition, 1)
    else:
        same = _numbered(definition, existing.version)
        definition = same if same.sha256 == existing.sha256 else _numbered(definition, existing.version + 1)
    now = clock()
    outcome = registry.record(session, definition, now, timezone, actor, call=existing, source="office")
    session.flush()
    return registry.get_call(session, definition.key), outcome


def call_text(session: Session, actor: Actor, key: str) -> str:
    """The current text of a call as YAML, to edit."""
    require_author(actor)
    call = registry.get_call(session, key)
    raw = call_defs.to_raw(registry.definition_of(session, call))
    return yaml.dump(raw, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100)
