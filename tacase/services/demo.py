"""Demo data: an account for every role and cases in every state across several States.

Everything goes through the same services as real work, in time order, so the audit chain,
deadlines and history look as they would after a few months of use. Loading twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import User
from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.fields import FieldSpec
from tacase.services import accounts, assignment, cases, comments, timeliness, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.auth import mfa_required
from tacase.services.clock import Clock, FixedClock
from tacase.services.runtime import runtime_of

DEMO_PASSWORD = "tacase-demo-2026!"  # noqa: S105 - printed for newcomers, development only
ADMIN_EMAIL = "admin@example.org"

DEMO_USERS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    (ADMIN_EMAIL, "Alex Admin", ("admin",), None),
    ("board@example.org", "Beatriz Board", ("board",), None),
    ("reviewer@example.org", "Rania Reviewer", ("reviewer",), None),
    ("reviewer2@example.org", "Rui Reviewer", ("reviewer",), None),
    ("approver@example.org", "Amadou Approver", ("approver",), None),
    ("approver2@example.org", "Anna Approver", ("approver",), None),
    ("focal.ecu@example.org", "Elena (Ecuador)", ("state_focal_point",), "ECU"),
    ("focal.fji@example.org", "Filipo (Fiji)", ("state_focal_point",), "FJI"),
    ("focal.ken@example.org", "Kamau (Kenya)", ("state_focal_point",), "KEN"),
    ("focal.mng@example.org", "Bolormaa (Mongolia)", ("state_focal_point",), "MNG"),
    ("focal.pse@example.org", "Layla (State of Palestine)", ("state_focal_point",), "PSE"),
)

# trigger path to reach each state, and who fires each trigger
PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "submitted": ("submit",),
    "returned": ("submit", "return_to_state"),
    "resubmitted": ("submit", "return_to_state", "resubmit"),
    "reviewed": ("submit", "review"),
    "approved": ("submit", "review", "approve"),
    "delivered": ("submit", "review", "approve", "deliver"),
    "evaluated": ("submit", "review", "approve", "deliver", "evaluate"),
    "rejected": ("submit", "review", "reject"),
    "withdrawn": ("submit", "withdraw"),
}

PLAN: tuple[tuple[str, str, str, str, int], ...] = (
    # (State, request type, target, title, days ago it was opened)
    ("ECU", "upr_fund", "evaluated", "Follow-up of UPR recommendations on indigenous peoples' rights", 400),
    ("ECU", "advisory", "submitted", "Review of the draft law on freedom of expression", 40),
    ("ECU", "capacity_building", "draft", "Training of judges on the rights of persons with disabilities", 5),
    ("FJI", "upr_fund", "reviewed", "National mechanism for reporting and follow-up", 60),
    ("FJI", "tc_project", "approved", "Climate displacement and human rights in the Pacific", 200),
    ("FJI", "capacity_building", "returned", "Police training on the prevention of torture", 35),
    ("KEN", "hra_deployment", "delivered", "Human rights adviser to the UN country team", 300),
    ("KEN", "advisory", "rejected", "Advice on the national human rights institution law", 90),
    ("KEN", "upr_fund", "resubmitted", "National action plan on business and human rights", 70),
    ("MNG", "tc_project", "withdrawn", "Data collection on gender-based violence", 50),
    ("MNG", "upr_fund", "submitted", "Implementing recommendations on the rights of herders", 12),
    ("PSE", "capacity_building", "approved", "Training for the independent commission for human rights", 150),
    # The human rights adviser programme: positions in every standing, with their funding (HRA_FUNDING).
    ("FJI", "hra_deployment", "approved", "Human rights adviser for the Pacific multi-country office", 120),
    ("ECU", "hra_deployment", "evaluated", "Human rights adviser to the UN country team in Ecuador", 330),
    ("MNG", "hra_deployment", "approved", "Human rights adviser for the transition to a development setting",
     100),
    ("PSE", "hra_deployment", "reviewed", "Human rights adviser to the humanitarian country team", 45),
    ("ECU", "hra_deployment", "rejected", "Second human rights adviser for the border provinces", 80),
    ("MNG", "hra_deployment", "withdrawn", "Human rights adviser on business and human rights", 65),
)

DEMO_RATINGS = ("satisfactory", "highly_satisfactory", "satisfactory", "partly_satisfactory", "satisfactory",
                "unsatisfactory")
# How each approved adviser position is funded, recorded at approval (the others are funded).
HRA_FUNDING = {"Human rights adviser for the Pacific multi-country office": "partly_funded",
               "Human rights adviser for the transition to a development setting": "unfunded"}

# States that have not (yet) agreed to publish these on the public record; the others have.
NOT_PUBLISHED = frozenset({"Police training on the prevention of torture",
                           "Advice on the national human rights institution law"})


# Older requests that went their whole way, so that the published processing times have something
# to show for every stage: (State, type, title, days ago it was sent, returned to the State first).
_HISTORY_TOPICS = (
    ("ECU", "advisory", "Review of the draft code of criminal procedure"),
    ("FJI", "capacity_building", "Training of prison staff on the Nelson Mandela Rules"),
    ("KEN", "upr_fund", "National recommendations tracking database"),
    ("MNG", "advisory", "Advice on the draft law on assembly"),
    ("PSE", "upr_fund", "Reporting to the treaty bodies: a national calendar"),
    ("ECU", "capacity_building", "Human rights indicators for the statistics office"),
    ("FJI", "advisory", "Review of the draft public order amendment"),
    ("KEN", "capacity_building", "Training of election officials on the right to vote"),
    ("MNG", "upr_fund", "Follow-up of recommendations on the rights of persons with disabilities"),
    ("PSE", "advisory", "Advice on the draft law on associations"),
    ("ECU", "upr_fund", "Consultation of civil society on the UPR mid-term report"),
    ("FJI", "tc_project", "Access to justice in rural areas"),
    ("KEN", "advisory", "Review of the draft data protection regulations"),
    ("MNG", "capacity_building", "Training of lawyers on international human rights law"),
    ("PSE", "capacity_building", "Documenting violations: a course for the national institution"),
    ("ECU", "advisory", "Advice on the draft law on the rights of migrants"),
    ("FJI", "upr_fund", "National mechanism for reporting: terms of reference"),
    ("KEN", "upr_fund", "Human rights education in the school curriculum"),
    ("MNG", "advisory", "Review of the draft law on the ombudsperson"),
    ("PSE", "upr_fund", "Follow-up of recommendations on the rights of the child"),
    ("ECU", "capacity_building", "Training of the police on the use of force"),
    ("KEN", "advisory", "Advice on the draft policy on internally displaced persons"),
)
_HISTORY_PHASES = ("", "Follow-up: ", "Second phase: ", "Extension: ")
HISTORY: tuple[tuple[str, str, str, int, bool], ...] = tuple(
    (state, wtype, _HISTORY_PHASES[n // len(_HISTORY_TOPICS)] + title, 420 - 4 * n, n % 4 == 1)
    for n, (state, wtype, title) in enumerate(_HISTORY_TOPICS * len(_HISTORY_PHASES)))
# Calendar days each step of the history took, in turn (the same every time the demo is loaded).
HISTORY_DAYS = {"return_to_state": (3, 9), "resubmit": (6, 25), "review": (4, 24), "approve": (2, 30),
                "reject": (5, 20), "deliver": (40, 150), "evaluate": (10, 70)}


@dataclass(order=True)
class _Step:
    at: dt.datetime
    order: int
    case_index: int = field(compare=False)
    trigger: str | None = field(compare=False)  # None: open the draft


def load_demo(session: Session, clock: Clock, *, questionnaires_dir: str | Path | None = None,
              documents_dir: str | Path | None = None) -> dict[str, Any]:
    """Create the demo users and cases unless they exist, then the answers to the calls; return what
    was done."""
    if session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is not None:
        # A database loaded before the calls existed gets their demo answers now.
        called = _load_calls(session, clock, questionnaires_dir, documents_dir)
        return {"loaded": False, "users": len(DEMO_USERS), "cases": 0, "call_responses": called}
    now = clock()
    users = {
        email: accounts.create_user(
            session, SYSTEM, clock, email=email, display_name=name, roles=list(roles),
            state_code=state, password=DEMO_PASSWORD,
        )
        for email, name, roles, state in DEMO_USERS
    }
    for user in users.values():
        if mfa_required(user):
            # Staff sign in with a code; `tacase demo totp EMAIL` prints the current one.
            user.mfa_secret, user.mfa_enabled = pyotp.random_base32(), True
    actors = {email: Actor.for_user(user) for email, user in users.items()}
    focal = {u.state_code: actors[e] for e, u in users.items() if u.state_code}
    who = {
        "review": actors["reviewer@example.org"], "return_to_state": actors["reviewer@example.org"],
        "deliver": actors["reviewer2@example.org"], "evaluate": actors["reviewer2@example.org"],
        "approve": actors["approver@example.org"], "reject": actors["approver2@example.org"],
    }
    steps: list[_Step] = []
    for index, (_state, _type, target, _title, days_ago) in enumerate(PLAN):
        start = now - dt.timedelta(days=days_ago)
        steps.append(_Step(start, len(steps), index, None))
        path = PATHS[target]
        gap = dt.timedelta(days=days_ago) / (len(path) + 1) if path else dt.timedelta(0)
        for n, trigger in enumerate(path, start=1):
            steps.append(_Step(start + gap * n, len(steps), index, trigger))
    plan = list(PLAN)
    steps += _history_steps(now, plan)
    references: dict[int, str] = {}
    workflows = runtime_of(session).workflows
    for step in sorted(steps):
        state, wtype, target, title, _ = plan[step.case_index]
        definition = workflows.get(wtype)
        at = FixedClock(step.at)
        if step.trigger is None:
            case = cases.open_draft(session, focal[state], at, type=wtype,
                                    fields=_case_fields(definition, title, step.at.date()))
            references[step.case_index] = case.reference
            continue
        reference = references[step.case_index]
        actor = who.get(step.trigger, focal[state])
        if step.trigger == "review":
            assignment.assign(session, actor, at, reference, actor.id)
            comments.add_comment(session, actor, at, reference,
                                 "Checked against the fund's criteria; budget in line.", "internal")
        transition = next(t for t in definition.transitions if t.trigger == step.trigger)
        data = sample_record(transition.record, step.at.date())
        if "funding_status" in data and title in HRA_FUNDING:
            data["funding_status"] = HRA_FUNDING[title]
        if "rating" in data:  # evaluations of every kind, for the annual report
            data["rating"] = DEMO_RATINGS[step.case_index % len(DEMO_RATINGS)]
        transitions.fire_transition(session, actor, at, reference, step.trigger, data=data)
    timeliness.refresh(session, now)
    called = _load_calls(session, clock, questionnaires_dir, documents_dir)
    return {"loaded": True, "users": len(users), "cases": len(references), "call_responses": called}


def _load_calls(session: Session, clock: Clock, questionnaires_dir: str | Path | None,
                documents_dir: str | Path | None) -> int:
    from tacase.services.calls.demo import load_demo_calls  # the calls' demo builds on the users above

    emails = [e for e, _n, roles, _s in DEMO_USERS if "state_focal_point" in roles]
    focal = {u.state_code: Actor.for_user(u)
             for u in session.scalars(select(User).where(User.email.in_(emails))) if u.state_code}
    return load_demo_calls(session, clock, focal, DEMO_PASSWORD, questionnaires_dir=questionnaires_dir,
                           documents_dir=documents_dir)["responses"]


def _history_steps(now: dt.datetime, plan: list[tuple[str, str, str, str, int]]) -> list[_Step]:
    """The steps of the older requests, each as long as a seeded draw says, up to today; their plan
    rows are added to `plan`."""
    draw = random.Random(2026)
    steps: list[_Step] = []
    for state, wtype, title, days_ago, returned in HISTORY:
        index = len(plan)
        outcome = "reject" if index % 7 == 3 else "approve"
        path = ["submit", *(["return_to_state", "resubmit"] if returned else []), "review", outcome]
        if outcome == "approve":
            path += ["deliver", "evaluate"]
        at = now - dt.timedelta(days=days_ago)
        steps.append(_Step(at - dt.timedelta(days=3), 0, index, None))
        taken = []
        for trigger in path:
            low, high = HISTORY_DAYS.get(trigger, (1, 1))
            at += dt.timedelta(days=draw.randint(low, high), hours=draw.randint(0, 6))
            if at >= now:
                break
            steps.append(_Step(at, 0, index, trigger))
            taken.append(trigger)
        target = "draft" if not taken else taken[-1]
        plan.append((state, wtype, target, title, days_ago))
    return steps


def _case_fields(definition: WorkflowDefinition, title: str, today: dt.date) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": title,
        "objectives": f"{title}: to strengthen national capacity in line with international standards.",
        "activities": "Needs assessment; two workshops; expert review; final report.",
        "expected_results": [{"result": "National actors apply the standards in their work",
                              "indicators": ["Number of officials trained", "Plan adopted"]}],
        "channel_reference": f"NV/{today.year}/{sum(map(ord, title)) % 900 + 100}",
        "channel_date": today.isoformat(),
        "focal_point_name": "Focal point of the Permanent Mission",
        "focal_point_email": "mission@example.org",
        "recipient_institutions": ["Ministry of Justice", "National Human Rights Institution"],
        "planned_start": (today + dt.timedelta(days=60)).isoformat(),
        "planned_end": (today + dt.timedelta(days=240)).isoformat(),
        "budget": {"amount": "85000.00", "currency": "USD"},
        "funding_source": "upr_fund" if definition.type == "upr_fund" else "vftc",
        "recommendations": [{"mechanism": "upr", "document_symbol": "A/HRC/52/9",
                             "paragraph": "120.15"}],
        "sdg_targets": ["16.3", "16.a"],
        "themes": ["rule of law"],
        "consent_to_publish": title not in NOT_PUBLISHED,
    }
    fields.update({spec.name: _sample(spec, today) for spec in definition.fields})
    return fields


def sample_record(specs: tuple[FieldSpec, ...], today: dt.date) -> dict[str, Any]:
    """What a step records: what it must, and what the public record would show."""
    return {spec.name: _sample(spec, today) for spec in specs if spec.required or spec.public}


def _sample(spec: FieldSpec, today: dt.date) -> Any:
    if spec.type == "date":
        return (today - dt.timedelta(days=30 if spec.not_before is None else 1)).isoformat()
    if spec.type == "money":
        return {"amount": "80000.00", "currency": "USD"}
    if spec.type in ("integer", "decimal"):
        low = spec.min if spec.min is not None else Decimal(1)
        return int(max(low, min(Decimal(12), spec.max or Decimal(12))))
    if spec.type == "boolean":
        return True
    if spec.type == "choice":
        return spec.choices[0]
    if spec.public:
        return "The activities took place as planned; the institutions concerned now apply what was learnt."
    return f"{spec.label}: recorded for the demonstration."


def current_totp(session: Session, email: str, at: dt.datetime) -> str | None:
    """The code a demo user's authenticator would show now (development only)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.mfa_secret:
        return None
    return pyotp.TOTP(user.mfa_secret).at(at)
