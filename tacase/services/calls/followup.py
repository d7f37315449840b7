"""The office's follow-up of a call: for each State of the audience, how far it has come (invited
colleagues, opened, drafted, submitted, late) and the reminders it was sent; totals by region; and the
office's one-click reminders."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallInvitation, CallParticipant, CallResponse
from tacase.reference import all_states
from tacase.services.actors import Actor
from tacase.services.calls import access, registry, reminders
from tacase.services.clock import Clock
from tacase.services.errors import ValidationFailed

# How far a State has come, furthest first: a State is counted at its furthest step only.
STATUSES = ("submitted", "drafted", "opened", "invited", "not_started")
MAX_REMINDED = 250


@dataclass(frozen=True)
class StateRow:
    state: str
    name: str
    region: str
    status: str
    invited: int
    opened_at: dt.datetime | None
    first_draft_at: dt.datetime | None
    submitted_at: dt.datetime | None
    late: bool
    responses_submitted: int
    responses_draft: int
    reminders_sent: int
    last_reminded_at: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Followup:
    call: Call
    rows: list[StateRow]  # after the filters
    regions: list[dict[str, Any]]  # totals by region (whatever the filters)
    totals: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"call": self.call.key, "closes_at": self.call.closes_at.isoformat(),
                "totals": self.totals, "regions": self.regions, "states": [r.as_json() for r in self.rows]}


def _status(p: CallParticipant, invited: int) -> str:
    if p.submitted_at is not None:
        return "submitted"
    if p.first_draft_at is not None:
        return "drafted"
    if p.opened_at is not None:
        return "opened"
    return "invited" if invited else "not_started"


def followup(session: Session, actor: Actor, call_key: str, *, region: str | None = None,
             status: str | None = None, language: str = "en") -> Followup:
    """One row per State of the call's audience; three queries whatever the number of States."""
    access.require_office(actor)
    call = registry.get_call(session, call_key)
    problems: dict[str, list[str]] = {}
    if status is not None and status not in STATUSES:
        problems["status"] = ["Choose a status from the list."]
    if region is not None and region not in {s.region for s in all_states().values()}:
        problems["region"] = ["Choose a region from the list."]
    if problems:
        raise ValidationFailed(problems)

    invited = dict(session.execute(
        select(CallInvitation.state_code, func.count())
        .where(CallInvitation.call_id == call.id, CallInvitation.revoked_at.is_(None))
        .group_by(CallInvitation.state_code)).all())
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"submitted": 0, "draft": 0, "late": 0})
    for code, state, late, n in session.execute(
            select(CallResponse.state_code, CallResponse.status, CallResponse.late, func.count())
            .where(CallResponse.call_id == call.id, CallResponse.state_code.is_not(None))
            .group_by(CallResponse.state_code, CallResponse.status, CallResponse.late)):
        counts[code]["submitted" if state == "submitted" else "draft"] += n
        if late and state == "submitted":
            counts[code]["late"] += n

    states = all_states()
    rows: list[StateRow] = []
    for p in session.scalars(select(CallParticipant).where(CallParticipant.call_id == call.id)):
        reference = states.get(p.state_code)
        c = counts.get(p.state_code, {"submitted": 0, "draft": 0, "late": 0})
        rows.append(StateRow(
            state=p.state_code, name=reference.name(language) if reference else p.state_code,
            region=reference.region if reference else "", status=_status(p, invited.get(p.state_code, 0)),
            invited=invited.get(p.state_code, 0), opened_at=p.opened_at, first_draft_at=p.first_draft_at,
            submitted_at=p.submitted_at, late=c["late"] > 0, responses_submitted=c["submitted"],
            responses_draft=c["draft"], reminders_sent=p.reminders_sent or 0,
            last_reminded_at=p.last_reminded_at))
    rows.sort(key=lambda r: (r.region, r.name))

    by_region: dict[str, dict[str, Any]] = {}
    for r in rows:
        total = by_region.setdefault(r.region, {"region": r.region, "states": 0, **dict.fromkeys(STATUSES, 0),
                                                "late": 0})
        total["states"] += 1
        total[r.status] += 1
        total["late"] += int(r.late)
    totals: dict[str, int] = {"states": len(rows), **dict.fromkeys(STATUSES, 0), "late": 0}
    for r in rows:
        totals[r.status] += 1
        totals["late"] += int(r.late)

    shown = [r for r in rows
             if (region is None or r.region == region) and (status is None or r.status == status)]
    return Followup(call=call, rows=shown, regions=[by_region[k] for k in sorted(by_region)], totals=totals)


def remind(session: Session, actor: Actor, clock: Clock, call_key: str, state_codes: Any) -> dict[str, Any]:
    """The office's reminder, now, to the chosen States of the audience that have not submitted."""
    access.require_office(actor)
    call = registry.get_call(session, call_key)
    if (not isinstance(state_codes, list | tuple) or not state_codes or len(state_codes) > MAX_REMINDED
            or not all(isinstance(c, str) for c in state_codes)):
        raise ValidationFailed({"states": ["Choose at least one State to remind."]})
    codes = sorted(set(state_codes))
    participants = {p.state_code: p for p in session.scalars(
        select(CallParticipant).where(CallParticipant.call_id == call.id,
                                      CallParticipant.state_code.in_(codes)))}
    unknown = [c for c in codes if c not in participants]
    if unknown:
        listed = ", ".join(c[:3] for c in unknown[:10])
        raise ValidationFailed({"states": [f"These States are not asked to answer this call: {listed}."]})
    now = clock()
    definition = registry.definition_of(session, call)
    reminded, skipped, mails = [], [], 0
    for code in codes:
        participant = participants[code]
        if participant.submitted_at is not None:
            skipped.append(code)
            continue
        mails += reminders.remind_state(session, actor, call, definition, participant, now)
        reminded.append(code)
    session.flush()
    return {"call": call.key, "reminded": reminded, "already_submitted": skipped, "mails": mails}
