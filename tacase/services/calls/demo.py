"""Demo answers to the shipped calls: the demo States' focal points answer the needs questionnaire
(some submitted, one a draft, one not opened), two of them pass it on to ministries whose limited
accounts draft answers, and three stakeholders contribute to the call for submissions with consent.

Everything goes through the services, each step at its own moment inside the call's window, with
seeded answers so that every chart of the results shows something. Loading twice adds nothing."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallResponse, User
from tacase.engine.calls import CallDefinition, Question
from tacase.services.actors import Actor
from tacase.services.calls import invitations, registry, responses, stakeholders, uploads
from tacase.services.clock import Clock, FixedClock
from tacase.services.runtime import runtime_of

QUESTIONNAIRE = "escr-needs-2026"
SUBMISSIONS = "hra-programme-2027"
SHIPPED_DIR = Path(__file__).resolve().parents[3] / "questionnaires"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# (State, e-mail, name, ministry, submitted by the focal point on the ministry's behalf)
DEMO_CALL_USERS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("KEN", "health.ken@example.org", "Wanjiru (Ministry of Health, Kenya)", "Ministry of Health", True),
    ("KEN", "education.ken@example.org", "Otieno (Ministry of Education, Kenya)", "Ministry of Education",
     False),
    ("ECU", "labour.ecu@example.org", "Mateo (Ministry of Labour, Ecuador)", "Ministry of Labour", False),
)
# What each focal point does with the questionnaire; PSE has not opened it.
STATE_PLAN = {"ECU": "submitted", "FJI": "submitted", "KEN": "submitted", "MNG": "draft"}
STAKEHOLDERS = (
    ("nhri", "Commission for Human Rights of the Demo Republic", "KEN", "Grace Mutua"),
    ("civil_society", "Pacific Network for Economic and Social Rights", "FJI", "Sione Tupou"),
    ("academia", "University of Andes, Human Rights Centre", None, "Lucía Paredes"),
)
_TEXTS = (
    "Our institutions need sustained training on the justiciability of economic, social and cultural "
    "rights, in particular for judges and local authorities.",
    "Data on access to health care and education are collected by several ministries without common "
    "indicators; support to the statistics office would help most.",
    "The adviser helped the inter-ministerial committee draft its first report to the Committee on "
    "Economic, Social and Cultural Rights and set up a tracking database for recommendations.",
    "Budget constraints limit the follow-up of recommendations at local level; exchanges with other "
    "States of the region would be welcome.",
    "Consultations with civil society were held in three provinces; their results fed the national plan.",
)


def demo_pdf(title: str) -> bytes:
    """A one-page PDF saying `title` (made here so the demo needs no file)."""
    safe = "".join(c for c in title if c.isalnum() or c in " .,-:")[:80]
    stream = f"BT /F1 14 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _answer(q: Question, draw: random.Random, start: dt.date) -> Any:
    """A plausible answer to any question, drawn from the seeded generator."""
    if q.type == "text":
        return "Inter-ministerial committee on human rights" if q.key == "contact" else "Land tenure"
    if q.type == "long_text":
        return " ".join(draw.sample(_TEXTS, 2))
    if q.type == "choice":
        return draw.choice(q.options).value
    if q.type == "choices":
        most = min(q.max_choices or 3, 3, len(q.options))
        return [o.value for o in draw.sample(q.options, draw.randint(1, most))]
    if q.type == "number":
        low = int(q.minimum) if q.minimum is not None else 0
        high = int(q.maximum) if q.maximum is not None else low + 1000
        if high - low > 1_000_000:
            return str(draw.randrange(5, 250) * 1000)  # an amount, not a random nine-digit figure
        return str(draw.randint(max(low, high - 15), high))
    if q.type == "date":
        return (start - dt.timedelta(days=draw.randint(200, 1500))).isoformat()
    if q.type == "scale":
        return draw.randint(int(q.minimum or 1), int(q.maximum or 5))
    if q.type == "yes_no":
        return draw.random() < 0.7
    if q.type == "table":
        rows = []
        for n in range(draw.randint(1, 3)):
            row: dict[str, Any] = {}
            for c in q.columns:
                if c.type == "number":
                    row[c.key] = str(start.year + 1 + n)
                elif c.type == "choice":
                    row[c.key] = draw.choice(c.options).value
                else:
                    row[c.key] = draw.choice(("Training of labour inspectors", "Survey on access to water",
                                              "Review of the social protection law"))
            rows.append(row)
        return rows
    return None  # documents are uploaded, not drawn


def _answers(definition: CallDefinition, draw: random.Random, start: dt.date) -> dict[str, Any]:
    return {q.key: value for q in definition.questions if (value := _answer(q, draw, start)) is not None}


def _window(call: Call, now: dt.datetime) -> tuple[dt.datetime, dt.timedelta]:
    """From a little after opening to now; a call not open yet is answered in its first weeks."""
    start = dt.datetime.combine(call.opens_on, dt.time(9), tzinfo=dt.UTC)
    end = min(now, call.closes_at)
    if end - start < dt.timedelta(days=2):
        end = start + dt.timedelta(days=20)
    return start, end - start


def _attach(session: Session, at: Clock, call: Call, definition: CallDefinition, response: CallResponse,
            answers: dict[str, Any], uploader: int | None, documents_dir: Path | None, title: str) -> None:
    for q in definition.questions:
        if q.type != "document" or documents_dir is None:
            continue
        document = stakeholders.store_document(
            session, at, call, response, q.key, filename=f"{title}.pdf", stream=io.BytesIO(demo_pdf(title)),
            directory=documents_dir, max_bytes=MAX_DOCUMENT_BYTES, uploaded_by_id=uploader)
        answers[q.key] = document.id


def load_demo_calls(session: Session, clock: Clock, focal: dict[str, Actor], password: str, *,
                    questionnaires_dir: str | Path | None = None,
                    documents_dir: str | Path | None = None) -> dict[str, int]:
    """Sync the shipped calls, then answer them as described above (once)."""
    now = clock()
    registry.load_and_sync(session, questionnaires_dir or SHIPPED_DIR, now, runtime_of(session).timezone)
    if session.scalar(select(User.id).where(User.email == DEMO_CALL_USERS[0][1])) is not None:
        return {"responses": 0}
    folder = uploads.directory_of(documents_dir) if documents_dir is not None else None
    draw = random.Random(15)
    count = 0
    keys = set(session.scalars(select(Call.key)))
    if QUESTIONNAIRE in keys:
        count += _questionnaire(session, now, focal, password, draw, folder)
    if SUBMISSIONS in keys:
        count += _submissions(session, now, draw, folder)
    return {"responses": count}


def _questionnaire(session: Session, now: dt.datetime, focal: dict[str, Actor], password: str,
                   draw: random.Random, folder: Path | None) -> int:
    call = registry.get_call(session, QUESTIONNAIRE)
    definition = registry.definition_of(session, call)
    start, span = _window(call, now)
    moment = iter(start + span * (n + 1) / 16 for n in range(15))
    base_url = runtime_of(session).public_url
    ministries: list[tuple[str, Actor, bool]] = []
    for state, email, name, ministry, submitted in DEMO_CALL_USERS:
        if state not in focal:
            continue
        at = FixedClock(next(moment))
        _invitation, link = invitations.invite(session, focal[state], at, QUESTIONNAIRE, email=email,
                                               ministry=ministry, respondent_type="ministry",
                                               base_url=base_url)
        at.advance(hours=3)
        user, _ = invitations.accept(session, at, link.rsplit("/", 1)[1], display_name=name,
                                     password=password)
        ministries.append((state, Actor.for_user(user), submitted))
    count = 0
    for state, target in STATE_PLAN.items():
        if state in focal:
            _answer_as(session, FixedClock(next(moment)), focal[state], call, definition, draw, folder,
                       submit=target == "submitted", title=f"National action plan ({state})")
            count += 1
    for state, invitee, submitted in ministries:
        at = FixedClock(next(moment))
        response = _answer_as(session, at, invitee, call, definition, draw, folder, submit=False,
                              title=f"Ministry action plan ({state})")
        if submitted:  # the call has the focal point submit every response of its State
            at.advance(days=1)
            responses.submit(session, focal[state], at, QUESTIONNAIRE, response_id=response.id)
        count += 1
    return count


def _answer_as(session: Session, at: FixedClock, actor: Actor, call: Call, definition: CallDefinition,
               draw: random.Random, folder: Path | None, *, submit: bool, title: str) -> CallResponse:
    response = responses.my_response(session, actor, at, call.key)
    answers = _answers(definition, draw, call.opens_on)
    _attach(session, at, call, definition, response, answers, actor.id, folder, title)
    at.advance(minutes=40)
    responses.save_draft(session, actor, at, call.key, answers)
    if submit:
        at.advance(days=2)
        responses.submit(session, actor, at, call.key, consent_to_publish=draw.random() < 0.5)
    return response


def _submissions(session: Session, now: dt.datetime, draw: random.Random, folder: Path | None) -> int:
    call = registry.get_call(session, SUBMISSIONS)
    definition = registry.definition_of(session, call)
    start, span = _window(call, now)
    base_url = runtime_of(session).public_url
    for n, (kind, organisation, country, person) in enumerate(STAKEHOLDERS):
        at = FixedClock(start + span * (n + 1) / (len(STAKEHOLDERS) + 1))
        email = f"{kind.replace('_', '-')}@example.org"
        response, link = stakeholders.start(session, at, SUBMISSIONS, name=person, organisation=organisation,
                                            respondent_type=kind, email=email, country=country,
                                            base_url=base_url)
        token = link.rsplit("/", 1)[1]
        at.advance(minutes=20)
        stakeholders.contribution(session, at, token)
        answers = _answers(definition, draw, call.opens_on)
        answers["worked_with_adviser"] = True
        if n != 1:  # one answers in its texts alone
            _attach(session, at, call, definition, response, answers, None, folder,
                    f"Submission of {organisation}")
        at.advance(hours=2)
        stakeholders.save_draft(session, at, token, answers)
        at.advance(days=1)
        stakeholders.submit(session, at, token, consent_to_publish=True)
    return len(STAKEHOLDERS)
