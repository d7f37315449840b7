"""Hypothesis drives random people firing random triggers at a case, and checks after every step
that the rules hold: failures change nothing, successes change exactly one step, the audit chain
verifies, and the deadline fields agree with the state."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from tacase.audit.store import verify_chain
from tacase.db.base import Base
from tacase.db.models import AuditEvent
from tacase.db.session import make_engine, make_session_factory
from tacase.engine.registry import WorkflowRegistry
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tacase.services.demo import sample_record
from tacase.services.errors import ServiceError
from tacase.services.runtime import Runtime
from tests.conftest import WORKFLOWS, Factory

REGISTRY = WorkflowRegistry.from_dir(WORKFLOWS)
TYPES = sorted(REGISTRY.current)
PEOPLE = ("focal", "other_focal", "reviewer", "reviewer_approver", "approver", "board")
TRIGGERS = sorted({t for d in REGISTRY.current.values() for t in d.triggers()} | {"bogus"})


class CaseLifecycle(RuleBasedStateMachine):
    @initialize(wtype=st.sampled_from(TYPES))
    def open_case(self, wtype):
        self.engine = make_engine("sqlite://")
        Base.metadata.create_all(self.engine)
        self.session = make_session_factory(self.engine, Runtime(workflows=REGISTRY))()
        self.clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
        roles = {
            "focal": (["state_focal_point"], "FJI"), "other_focal": (["state_focal_point"], "KEN"),
            "reviewer": (["reviewer"], None), "reviewer_approver": (["reviewer", "approver"], None),
            "approver": (["approver"], None), "board": (["board"], None),
        }
        self.people = {
            name: Actor.for_user(accounts.create_user(
                self.session, SYSTEM, self.clock, email=f"{name}@example.org", roles=r,
                state_code=s, password=None))
            for name, (r, s) in roles.items()
        }
        factory = Factory(self.session, self.clock)
        self.definition = REGISTRY.get(wtype)
        self.case = cases.open_draft(self.session, self.people["focal"], self.clock, type=wtype,
                                     fields=factory.complete_fields(wtype))
        self.session.commit()
        self.fired = 0

    def teardown(self):
        if hasattr(self, "session"):
            self.session.close()
            self.engine.dispose()

    def _events(self) -> int:
        return self.session.scalar(select(func.count()).select_from(AuditEvent))

    @rule(who=st.sampled_from(PEOPLE), trigger=st.sampled_from(TRIGGERS),
          days=st.integers(min_value=0, max_value=40))
    def fire(self, who, trigger, days):
        self.clock.advance(days=days)
        before = (self.case.status, self.case.version, self._events())
        transition = self.definition.transition(trigger, self.case.status)
        data = {}
        if transition is not None:
            data = sample_record(transition.record, self.clock().date())
        try:
            transitions.fire_transition(self.session, self.people[who], self.clock,
                                        self.case.reference, trigger, data=data)
        except ServiceError:
            self.session.rollback()
            self.session.expire_all()
            assert (self.case.status, self.case.version, self._events()) == before
            return
        self.session.commit()
        self.fired += 1
        assert transition is not None, "a trigger not declared from this state went through"
        assert self.case.status == transition.dest
        assert self.case.version == before[1] + 1
        assert self._events() == before[2] + 1
        if who in ("other_focal", "board"):
            raise AssertionError(f"{who} should never be able to fire {trigger}")

    @invariant()
    def rules_hold(self):
        if not hasattr(self, "case"):
            return
        state = self.definition.states[self.case.status]
        assert (self.case.due_at is None) == (state.deadline is None)
        if self.case.paused_state is not None:
            assert state.office_clock_paused
        assert (self.case.closed_at is not None) == (self.case.status in self.definition.final_states())
        assert verify_chain(self.session).ok


CaseLifecycle.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseLifecycle = CaseLifecycle.TestCase
