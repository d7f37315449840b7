"""The mail that passes a call on to a colleague: written at once (the invitee has no account yet, so
no stored facts to write it from later) in the inviting focal point's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date
from sqlalchemy.orm import Session

from tacase.db.models import OutboxMessage
from tacase.engine.calls import CallDefinition
from tacase.reference import requesting_state
from tacase.services import messages
from tacase.services.messages import N_

SUBJECT = N_("%(state)s invites you to answer \"%(call)s\" for OHCHR")
KIND = "call_invitation"
_DAY = {"en": "d MMMM y", "fr": "d MMMM y", "es": "d 'de' MMMM 'de' y"}


def _values(definition: CallDefinition, *, state_code: str, ministry: str, inviter: str, link: str,
            expires_at: dt.datetime, locale: str) -> dict[str, Any]:
    state = requesting_state(state_code)
    return {
        "locale": locale,
        "state": state.name(locale) if state is not None else state_code,
        "call": definition.title.text(locale),
        "introduction": definition.introduction.text(locale),
        "closes_on": format_date(definition.closes_on, _DAY[locale], locale=locale),
        "expires_on": format_date(expires_at.date(), _DAY[locale], locale=locale),
        "ministry": ministry,
        "inviter": inviter,
        "link": link,
    }


def render_invitation(definition: CallDefinition, *, state_code: str, ministry: str, inviter: str,
                      link: str, expires_at: dt.datetime, locale: str | None) -> tuple[str, str, str]:
    """(subject, text, html) of the invitation."""
    language = messages.language(locale)
    values = _values(definition, state_code=state_code, ministry=ministry, inviter=inviter, link=link,
                     expires_at=expires_at, locale=language)
    subject = messages.translate(language, SUBJECT, state=values["state"], call=values["call"])
    subject = " ".join(subject.split())[:messages.MAX_SUBJECT]
    env = messages._environment(language)
    values["subject"] = subject
    text = env.get_template(f"{KIND}.txt").render(values).strip() + "\n"
    html = env.get_template(f"{KIND}.html").render(values).strip() + "\n"
    return subject, text, html


def queue_invitation(session: Session, now: dt.datetime, *, to_address: str, definition: CallDefinition,
                     state_code: str, ministry: str, inviter: str, link: str, expires_at: dt.datetime,
                     locale: str | None) -> OutboxMessage:
    subject, text, html = render_invitation(definition, state_code=state_code, ministry=ministry,
                                            inviter=inviter, link=link, expires_at=expires_at, locale=locale)
    message = OutboxMessage(created_at=now, recipient_id=None, to_address=to_address, subject=subject,
                            body_text=text, body_html=html, kind=KIND, case_id=None, status="pending",
                            attempts=0, next_attempt_at=now)
    session.add(message)
    return message
