"""Contributions of other stakeholders (a national human rights institution, civil society, academia)
to a call that allows them: no account, an e-mailed link instead. The link's secret is the only key
to the draft; only its SHA-256 is stored, so a copy of the database opens no draft."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.call_models import STAKEHOLDER_TYPES
from tacase.db.models import Call, CallDocument, CallResponse, OutboxMessage
from tacase.engine.call_answers import clean_answers
from tacase.engine.calls import CallDefinition
from tacase.reference import all_states
from tacase.services import audit_log, documents, messages
from tacase.services.accounts import normalise_email
from tacase.services.actors import Actor
from tacase.services.calls import registry
from tacase.services.calls.responses import region_of, write_counted_answers
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, NotFound, StaleVersion, UnsupportedType, ValidationFailed

Gettext = Callable[[str], str]
TOKEN_BYTES = 32
MAX_NAME = 200
MAX_TOKEN = 100
MAIL_KIND = "call_contribution"
SUBJECT = messages.N_("Your contribution to \"%(call)s\"")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_DAY = {"en": "d MMMM y", "fr": "d MMMM y", "es": "d 'de' MMMM 'de' y"}


def N_(message: str) -> str:  # babel extracts N_; translated by the caller's gettext
    return message


def _plain(text: str) -> str:
    return text


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def contribution_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/calls/contributions/{token}"


def stakeholder_actor(response: CallResponse) -> Actor:
    """Who the audit log names: the organisation, never the person's address (it is no account)."""
    return Actor(id=None, name=f"stakeholder: {response.organisation}"[:200])


# --- which calls ------------------------------------------------------------------------------------

def open_call(session: Session, call_key: Any, now: dt.datetime) -> tuple[Call, CallDefinition]:
    """A call stakeholders may answer now; any other is not found, so nobody learns of it."""
    call = registry.get_call(session, call_key)
    definition = registry.definition_of(session, call)
    if not definition.stakeholders or now.date() < call.opens_on:
        raise NotFound("there is no such call")
    return call, definition


def accepts_now(call: Call, definition: CallDefinition, now: dt.datetime) -> bool:
    return now <= call.closes_at or definition.late_responses == "accept"


# --- asking for the link -------------------------------------------------------------------------------

def _one_line(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _check(name: Any, organisation: Any, respondent_type: Any, email: Any, country: Any,
           gettext: Gettext) -> tuple[str, str, str, str | None]:
    errors: dict[str, list[str]] = {}
    person, body = _one_line(name), _one_line(organisation)
    if not person:
        errors["name"] = [gettext(N_("Enter your name."))]
    elif len(person) > MAX_NAME:
        errors["name"] = [gettext(N_("Enter at most %(max)s characters.")) % {"max": MAX_NAME}]
    if not body:
        errors["organisation"] = [gettext(N_("Enter the name of your organisation."))]
    elif len(body) > MAX_NAME:
        errors["organisation"] = [gettext(N_("Enter at most %(max)s characters.")) % {"max": MAX_NAME}]
    if respondent_type not in STAKEHOLDER_TYPES:
        errors["respondent_type"] = [gettext(N_("Choose the type of your organisation."))]
    address = normalise_email(email) if isinstance(email, str) else ""
    if not _EMAIL.match(address) or len(address) > 254:
        errors["email"] = [gettext(N_("Enter an e-mail address, such as name@example.org."))]
    code = country.strip().upper() if isinstance(country, str) else None
    if not code:
        code = None
    elif code not in all_states():
        errors["country"] = [gettext(N_("Choose a country from the list, or none."))]
    if errors:
        raise ValidationFailed(errors, "some details are missing or not valid")
    return person, body, address, code


def start(session: Session, clock: Clock, call_key: Any, *, name: Any, organisation: Any,
          respondent_type: Any, email: Any, country: Any = None, base_url: str, language: str = "en",
          gettext: Gettext = _plain) -> tuple[CallResponse, str]:
    """A draft for the stakeholder and the mail with its link (sent through the outbox at commit).
    Nothing is audited yet: until the address is confirmed this is only a request for a link."""
    now = clock()
    call, definition = open_call(session, call_key, now)
    if not accepts_now(call, definition, now):
        raise Conflict("the closing date of this call has passed and it accepts no late contributions")
    person, body, address, code = _check(name, organisation, respondent_type, email, country, gettext)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    response = CallResponse(
        call_id=call.id, call_version=call.version, state_code=code, respondent_kind="stakeholder",
        respondent_type=respondent_type, organisation=body, invitation_id=None, author_id=None,
        contact_name=person, contact_email=address, status="draft", answers={}, consent_to_publish=False,
        late=False, reopened_count=0, confirm_token_hash=token_hash(token), created_at=now, updated_at=now)
    session.add(response)
    session.flush()
    link = contribution_link(base_url, token)
    _queue_mail(session, now, to_address=address, definition=definition, organisation=body, link=link,
                locale=language)
    return response, link


def _queue_mail(session: Session, now: dt.datetime, *, to_address: str, definition: CallDefinition,
                organisation: str, link: str, locale: str | None) -> OutboxMessage:
    language = messages.language(locale)
    values = {"locale": language, "call": definition.title.text(language), "organisation": organisation,
              "closes_on": format_date(definition.closes_on, _DAY[language], locale=language), "link": link}
    subject = messages.translate(language, SUBJECT, call=values["call"])
    values["subject"] = " ".join(subject.split())[:messages.MAX_SUBJECT]
    env = messages._environment(language)
    message = OutboxMessage(
        created_at=now, recipient_id=None, to_address=to_address, subject=values["subject"],
        body_text=env.get_template(f"{MAIL_KIND}.txt").render(values).strip() + "\n",
        body_html=env.get_template(f"{MAIL_KIND}.html").render(values).strip() + "\n",
        kind=MAIL_KIND, case_id=None, status="pending", attempts=0, next_attempt_at=now)
    session.add(message)
    return message


# --- the link -------------------------------------------------------------------------------------------

def _by_token(session: Session, token: Any) -> CallResponse:
    response = None
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN:
        wanted = token_hash(token)
        response = session.scalar(select(CallResponse).where(CallResponse.confirm_token_hash == wanted,
                                                             CallResponse.respondent_kind == "stakeholder"))
        # The index found the row; the comparison that decides takes the same time whatever differs.
        if response is not None and not hmac.compare_digest(response.confirm_token_hash or "", wanted):
            response = None
    if response is None:
        raise NotFound("This link is not valid. Check that you copied the whole link from the mail.")
    return response


def contribution(session: Session, clock: Clock, token: Any) -> tuple[CallResponse, Call, CallDefinition]:
    """The draft the link opens; opening it confirms the address (once, audited)."""
    response = _by_token(session, token)
    call = session.get(Call, response.call_id)
    if call is None:
        raise NotFound("there is no such call")
    definition = registry.definition_of(session, call)
    if not definition.stakeholders:
        raise NotFound("there is no such call")
    if response.confirmed_at is None:
        now = clock()
        response.confirmed_at = now
        session.flush()
        audit_log.record(session, stakeholder_actor(response), now, "call.stakeholder_confirmed", data={
            "call": call.key, "state": response.state_code, "response": response.id,
            "respondent_type": response.respondent_type})
    return response, call, definition


def _check_version(response: CallResponse, expected_version: Any) -> None:
    if expected_version is not None and expected_version != response.version:
        raise StaleVersion("the contribution was changed since you read it (in another window perhaps); "
                           "read it again, then save", current_version=response.version,
                           current_status=response.status)


def _require_draft(response: CallResponse) -> None:
    if response.status != "draft":
        raise Conflict("this contribution was sent already; it can no longer be changed",
                       current_version=response.version, current_status=response.status)


def _cleaned(session: Session, response: CallResponse, definition: CallDefinition, raw: dict[str, Any], *,
             complete: bool, language: str, gettext: Gettext) -> dict[str, Any]:
    cleaned, errors = clean_answers(definition, raw, complete=complete, language=language, gettext=gettext)
    for q in definition.questions:
        # A stakeholder has no account: only a file uploaded through this very link is theirs.
        if q.type == "document" and q.key in cleaned:
            document = session.get(CallDocument, cleaned[q.key])
            if document is None or document.response_id != response.id or document.question != q.key:
                errors[q.key] = [gettext(N_("Upload the document again."))]
    if errors:
        raise ValidationFailed(errors, "some answers are not valid")
    return cleaned


def save_draft(session: Session, clock: Clock, token: Any, answers: Any, *, expected_version: Any = None,
               language: str = "en", gettext: Gettext = _plain) -> CallResponse:
    """Merge the given answers into the draft; only what is given is checked."""
    if not isinstance(answers, dict):
        raise ValidationFailed({"answers": [gettext(N_(
            "The answers must be sent as a mapping of questions to answers."))]})
    response, call, definition = contribution(session, clock, token)
    _check_version(response, expected_version)
    _require_draft(response)
    now = clock()
    first_save = not response.answers
    response.answers = _cleaned(session, response, definition, {**response.answers, **answers},
                                complete=False, language=language, gettext=gettext)
    response.call_version = call.version
    response.updated_at = now
    session.flush()
    if first_save:
        audit_log.record(session, stakeholder_actor(response), now, "call.response_saved", data={
            "call": call.key, "state": response.state_code, "response": response.id})
    return response


def submit(session: Session, clock: Clock, token: Any, *, consent_to_publish: Any = False,
           expected_version: Any = None, language: str = "en", gettext: Gettext = _plain) -> CallResponse:
    """Send the contribution: every answer checked, late marked (or refused as the call says), counted."""
    if not isinstance(consent_to_publish, bool):
        raise ValidationFailed({"consent_to_publish": [gettext(N_("Choose yes or no."))]})
    response, call, definition = contribution(session, clock, token)
    _check_version(response, expected_version)
    _require_draft(response)
    now = clock()
    late = now > call.closes_at
    if late and definition.late_responses == "refuse":
        raise ValidationFailed({"call": [gettext(N_(
            "The closing date of this call has passed and it accepts no late responses."))]},
            "the call has closed")
    response.answers = _cleaned(session, response, definition, dict(response.answers), complete=True,
                                language=language, gettext=gettext)
    response.call_version = call.version
    response.status, response.submitted_at, response.late = "submitted", now, late
    response.consent_to_publish = consent_to_publish
    response.updated_at = now
    session.flush()
    write_counted_answers(session, response, definition, region_of(response.state_code))
    audit_log.record(session, stakeholder_actor(response), now, "call.response_submitted", data={
        "call": call.key, "state": response.state_code, "response": response.id, "late": late,
        "organisation": response.organisation, "respondent_type": response.respondent_type,
        "consent_to_publish": consent_to_publish})
    return response


# --- documents --------------------------------------------------------------------------------------------

def upload_document(session: Session, clock: Clock, token: Any, question: Any, *, filename: str | None,
                    stream: BinaryIO, directory: Path, max_bytes: int,
                    gettext: Gettext = _plain) -> CallDocument:
    """A file for a document question of the draft, with the same checks as case documents. The file
    is in place once this returns: if the transaction then fails, the caller removes it."""
    response, call, definition = contribution(session, clock, token)
    _require_draft(response)
    q = definition.question(question) if isinstance(question, str) else None
    if q is None or q.type != "document":
        raise ValidationFailed({"question": [gettext(N_("This question is not in the call"))]})
    return store_document(session, clock, call, response, q.key, filename=filename, stream=stream,
                          directory=directory, max_bytes=max_bytes, uploaded_by_id=None, gettext=gettext)


def store_document(session: Session, clock: Clock, call: Call, response: CallResponse, question: str, *,
                   filename: str | None, stream: BinaryIO, directory: Path, max_bytes: int,
                   uploaded_by_id: int | None, gettext: Gettext = _plain) -> CallDocument:
    temp, size, sha256 = documents._receive(stream, directory, max_bytes)
    final: Path | None = None
    try:
        if size == 0:
            raise ValidationFailed({question: [gettext(N_("The file is empty."))]})
        content_type = documents.sniff(temp)
        if content_type is None:
            raise UnsupportedType(
                f"the file's content is not {documents.ACCEPTED}, whatever its name says")
        stored_name = secrets.token_hex(24)
        final = directory / stored_name
        temp.replace(final)
        documents._fsync_dir(directory)
        document = CallDocument(
            call_id=call.id, response_id=response.id, question=question,
            filename=documents.named_for_type(documents.clean_filename(filename), content_type),
            content_type=content_type, size=size, sha256=sha256, stored_name=stored_name,
            uploaded_by_id=uploaded_by_id, created_at=clock())
        session.add(document)
        session.flush()
        return document
    except BaseException:
        temp.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise
