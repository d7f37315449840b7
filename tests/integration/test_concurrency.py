"""Several people acting on one case at the same moment: exactly one wins, the others get a
conflict, and the audit chain stays whole. Real commits, one session per thread."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tacase.audit.store import verify_chain
from tacase.db.models import AuditEvent, Case
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import utcnow
from tacase.services.errors import Conflict, TransitionNotAllowed

THREADS = 6
TRIALS = 15


def run_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on below
            results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def setup(fresh_sessions):
    with fresh_sessions.begin() as s:
        focal = Actor.for_user(accounts.create_user(
            s, SYSTEM, utcnow, email="focal@example.org", roles=["state_focal_point"],
            state_code="FJI", password=None))
        reviewers = [
            Actor.for_user(accounts.create_user(
                s, SYSTEM, utcnow, email=f"reviewer{i}@example.org", roles=["reviewer"],
                password=None))
            for i in range(THREADS)
        ]
    return fresh_sessions, focal, reviewers


def submitted_case(sessions, focal) -> str:
    with sessions.begin() as s:
        case = cases.open_draft(s, focal, utcnow, type="advisory", fields={
            "title": "Advice", "objectives": "o", "activities": "a",
            "expected_results": [{"result": "r", "indicators": []}], "channel_reference": "NV/1",
            "channel_date": "2026-01-05", "planned_start": "2026-05-01",
            "planned_end": "2026-06-01", "advice_kind": "policy_advice"})
        transitions.fire_transition(s, focal, utcnow, case.reference, "submit")
        return case.reference


def review(sessions, actor, reference, version=None):
    with sessions.begin() as s:
        case = transitions.fire_transition(
            s, actor, utcnow, reference, "review",
            data={"assessment": "fine", "recommendation": "approve"}, expected_version=version)
        return case.version


@pytest.mark.slow
def test_same_transition_fired_at_once_one_wins(setup):
    sessions, focal, reviewers = setup
    for _ in range(TRIALS):
        reference = submitted_case(sessions, focal)
        with sessions() as s:
            version = s.scalar(select(Case.version).where(Case.reference == reference))
        results = run_threads(THREADS, lambda i, ref=reference, v=version:
                              review(sessions, reviewers[i], ref, v))
        wins = [r for r in results if isinstance(r, int)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1, results
        assert len(losses) == THREADS - 1, results
    with sessions() as s:
        transitions_logged = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.transition"))
        assert transitions_logged == TRIALS * 2  # submit + one review per trial
        assert verify_chain(s).ok


@pytest.mark.slow
def test_without_a_version_the_losers_still_lose_cleanly(setup):
    sessions, focal, reviewers = setup
    for _ in range(5):
        reference = submitted_case(sessions, focal)
        results = run_threads(THREADS, lambda i, ref=reference: review(sessions, reviewers[i], ref))
        assert sum(isinstance(r, int) for r in results) == 1, results
        assert all(isinstance(r, int | Conflict | TransitionNotAllowed) for r in results), results
    with sessions() as s:
        assert verify_chain(s).ok


@pytest.mark.slow
def test_drafts_opened_at_once_get_distinct_references(setup):
    sessions, focal, _ = setup

    def open_one(_i):
        with sessions.begin() as s:
            return cases.open_draft(s, focal, utcnow, type="upr_fund", fields={}).reference

    results = run_threads(THREADS * 2, open_one)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == len(results)
    with sessions() as s:
        assert verify_chain(s).ok
