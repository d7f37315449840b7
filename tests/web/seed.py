"""People and cases for the web page tests, made through the services as the app would make them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyotp
from sqlalchemy import select

from tacase.db.models import User
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tests.api.conftest import PASSWORD, complete_fields


@dataclass(frozen=True)
class Person:
    email: str
    secret: str | None = None  # the TOTP secret of an account with two-factor authentication

    def code(self, clock: FixedClock) -> str:
        """The next sign-in code: each is accepted once, so move to the next 30-second step first."""
        assert self.secret is not None
        clock.advance(seconds=30)
        return pyotp.TOTP(self.secret).at(clock())


@dataclass(frozen=True)
class Seeded:
    fiji: Person  # focal point of Fiji (FJI), English
    samoa: Person  # focal point of Samoa (WSM), French
    reviewer: Person  # two-factor authentication on
    unenrolled: Person  # a reviewer who has not set up two-factor authentication yet
    approver: Person  # two-factor authentication on, as for the Board member and the administrator
    board: Person
    admin: Person
    fiji_returned: str  # a Fiji case awaiting Fiji's reply
    fiji_draft: str
    samoa_case: str


def _user(s: Any, clock: FixedClock, email: str, role: str, *, state: str | None = None,
          locale: str = "en", mfa: bool = False) -> Person:
    user = accounts.create_user(s, SYSTEM, clock, email=email, roles=[role], password=PASSWORD,
                                state_code=state)
    user.locale = locale  # no service sets it yet: the API's user schema has it read-only
    secret = None
    if mfa:
        secret = pyotp.random_base32()
        user.mfa_secret, user.mfa_enabled = secret, True
    s.flush()
    return Person(email, secret)


def populate(sessions: Any, clock: FixedClock) -> Seeded:
    with sessions() as s:
        fiji = _user(s, clock, "focal.fiji@example.org", "state_focal_point", state="FJI")
        samoa = _user(s, clock, "focal.samoa@example.org", "state_focal_point", state="WSM", locale="fr")
        reviewer = _user(s, clock, "reviewer@example.org", "reviewer", mfa=True)
        unenrolled = _user(s, clock, "new.reviewer@example.org", "reviewer")
        approver = _user(s, clock, "approver@example.org", "approver", mfa=True)
        board = _user(s, clock, "board@example.org", "board", mfa=True)
        admin = _user(s, clock, "admin@example.org", "admin", mfa=True)

        def actor(person: Person) -> Actor:
            return Actor.for_user(s.scalar(select(User).where(User.email == person.email)))

        fiji_actor, samoa_actor, reviewer_actor = actor(fiji), actor(samoa), actor(reviewer)
        returned = cases.open_draft(s, fiji_actor, clock, type="upr_fund", fields={
            **complete_fields(), "title": "Legal aid for remote islands"}).reference
        transitions.fire_transition(s, fiji_actor, clock, returned, "submit")
        transitions.fire_transition(s, reviewer_actor, clock, returned, "return_to_state",
                                    data={"questions": "Please detail the budget."})
        draft = cases.open_draft(s, fiji_actor, clock, type="upr_fund", fields={
            **complete_fields(), "title": "Training for judges"}).reference
        samoa_case = cases.open_draft(s, samoa_actor, clock, type="upr_fund", fields={
            **complete_fields(), "title": "Observatoire des droits de l'homme"}).reference
        transitions.fire_transition(s, samoa_actor, clock, samoa_case, "submit")
        s.commit()
    return Seeded(fiji, samoa, reviewer, unenrolled, approver, board, admin, returned, draft, samoa_case)
