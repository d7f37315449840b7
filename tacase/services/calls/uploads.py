"""Files given as the answer to a call's document question: received and checked as case documents
are (the content decides the type, the size is capped, the name cleaned), stored under a random name."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from tacase.db.models import Call, CallDocument, CallResponse
from tacase.services import audit_log
from tacase.services.actors import Actor
from tacase.services.calls import access, registry, responses
from tacase.services.clock import Clock
from tacase.services.documents import (
    ACCEPTED,
    _fsync_dir,
    _receive,
    clean_filename,
    named_for_type,
    sniff,
)
from tacase.services.errors import Conflict, NotFound, UnsupportedType, ValidationFailed

SUBFOLDER = "calls"  # inside the documents folder: case documents and call documents never mix


def directory_of(documents_dir: str | Path) -> Path:
    return Path(documents_dir) / SUBFOLDER


def upload(session: Session, actor: Actor, clock: Clock, call_key: str, question: Any, *,
           filename: str | None, stream: BinaryIO, directory: Path, max_bytes: int) -> CallDocument:
    """Store the file for the actor's own response; the answer names it (its id) when saved. The file
    is in place once this returns: if the transaction then fails, the caller removes it (`discard`)."""
    response = responses.my_response(session, actor, clock, call_key)
    call = session.get(Call, response.call_id)
    assert call is not None
    definition = registry.definition_of(session, call)
    asked = definition.question(question) if isinstance(question, str) else None
    if asked is None or asked.type != "document":
        raise ValidationFailed({"question": ["Name a document question of this call."]})
    if response.status != "draft":
        raise Conflict("this response was submitted already; the office can reopen it on request")
    temp, size, sha256 = _receive(stream, directory, max_bytes)
    final: Path | None = None
    try:
        if size == 0:
            raise ValidationFailed({asked.key: ["The file is empty."]})
        content_type = sniff(temp)
        if content_type is None:
            raise UnsupportedType(f"the file's content is not {ACCEPTED}, whatever its name says")
        stored_name = secrets.token_hex(24)
        final = directory / stored_name
        os.replace(temp, final)
        _fsync_dir(directory)
        now = clock()
        document = CallDocument(call_id=call.id, response_id=response.id, question=asked.key,
                                filename=named_for_type(clean_filename(filename), content_type),
                                content_type=content_type, size=size, sha256=sha256, stored_name=stored_name,
                                uploaded_by_id=actor.id, created_at=now)
        session.add(document)
        session.flush()
        audit_log.record(session, actor, now, "call.document_uploaded", data={
            "call": call.key, "state": response.state_code, "response": response.id, "document": document.id,
            "question": asked.key, "filename": document.filename, "sha256": sha256})
        return document
    except BaseException:
        temp.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise


def discard(directory: Path, document: CallDocument) -> None:
    """Remove a stored file whose row was never committed."""
    (directory / document.stored_name).unlink(missing_ok=True)


def readable_document(session: Session, actor: Actor, document_id: Any) -> CallDocument:
    """A call document the actor may read: the office and the Board any; the State side its State's."""
    document = session.get(CallDocument, document_id) if isinstance(document_id, int) else None
    if document is None:
        raise NotFound("there is no such document")
    if access.can_read_results(actor):
        return document
    response = session.get(CallResponse, document.response_id) if document.response_id else None
    call = session.get(Call, document.call_id)
    if response is None or call is None:
        raise NotFound("there is no such document")
    state = access.require_state_side(session, actor, call)
    invitation = None if access.is_focal_point(actor) else access.invitation_of(session, actor, call)
    if response.state_code != state or (invitation is not None and response.invitation_id != invitation.id):
        raise NotFound("there is no such document")
    return document
