"""Lists of cases: the same rows whether walked by page numbers or by cursor, in every order (cases
without a due date last either way), totals counted up to a bound, bad cursors refused."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tacase.services import case_queries, cases, transitions
from tacase.services.actors import Actor
from tacase.services.case_queries import SORTS, CaseFilter, list_cases
from tacase.services.clock import FixedClock
from tacase.services.errors import ValidationFailed

OFFICE = Actor(id=999_999, name="reader", roles=frozenset({"reviewer"}))


@pytest.fixture
def many(session, make, clock):
    """23 cases: drafts without a due date, and submitted ones due on several days, some on the same."""
    focal = make.focal("FJI")
    for i in range(23):
        when = FixedClock(clock() + dt.timedelta(hours=i % 5))  # updates and due dates that tie
        case = cases.open_draft(session, focal, when, type="upr_fund", fields={
            **make.complete_fields(), "title": f"Case number {i:02d}"})
        if i % 3:
            transitions.fire_transition(session, focal, when, case.reference, "submit")
    session.flush()
    return session


def walk_by_cursor(session, sort: str, per_page: int) -> list[str]:
    seen, cursor = [], None
    while True:
        page = list_cases(session, OFFICE, CaseFilter(), dt.datetime.now(dt.UTC), sort=sort,
                          per_page=per_page, cursor=cursor)
        seen += [c.reference for c in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def walk_by_page(session, sort: str, per_page: int) -> list[str]:
    seen = []
    for number in itertools.count(1):
        page = list_cases(session, OFFICE, CaseFilter(), dt.datetime.now(dt.UTC), sort=sort,
                          per_page=per_page, page=number)
        seen += [c.reference for c in page.items]
        if not page.has_next:
            return seen


@pytest.mark.parametrize("sort", [f"{sign}{name}" for name in SORTS for sign in ("", "-")])
def test_cursor_and_page_numbers_walk_the_same_rows_in_the_same_order(many, sort):
    everything = list_cases(many, OFFICE, CaseFilter(), dt.datetime.now(dt.UTC), sort=sort, per_page=100)
    expected = [c.reference for c in everything.items]
    assert len(expected) == 23 and everything.next_cursor is None
    assert walk_by_cursor(many, sort, 4) == expected
    assert walk_by_page(many, sort, 4) == expected


@pytest.mark.parametrize("sort", ["due_at", "-due_at"])
def test_cases_without_a_due_date_come_last_either_way(many, sort):
    rows = list_cases(many, OFFICE, CaseFilter(), dt.datetime.now(dt.UTC), sort=sort, per_page=100).items
    dues = [c.due_at for c in rows]
    undated = dues.index(None)
    assert all(d is None for d in dues[undated:]) and all(d is not None for d in dues[:undated])


def test_totals_are_counted_up_to_a_bound(many, monkeypatch):
    now = dt.datetime.now(dt.UTC)
    exact = list_cases(many, OFFICE, CaseFilter(), now)
    assert (exact.total, exact.total_exact) == (23, True)
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 10)
    bounded = list_cases(many, OFFICE, CaseFilter(), now)
    assert (bounded.total, bounded.total_exact) == (10, False)


def test_a_cursor_of_another_list_or_no_cursor_at_all_is_refused(many):
    now = dt.datetime.now(dt.UTC)
    cursor = list_cases(many, OFFICE, CaseFilter(), now, sort="reference", per_page=5).next_cursor
    for bad in (cursor + "x", "not a cursor", "e30", cursor[:-3]):
        with pytest.raises(ValidationFailed) as refused:
            list_cases(many, OFFICE, CaseFilter(), now, sort="reference", cursor=bad)
        assert list(refused.value.errors) == ["cursor"]
    with pytest.raises(ValidationFailed):
        list_cases(many, OFFICE, CaseFilter(), now, sort="-created_at", cursor=cursor)


def test_a_text_search_takes_three_characters(many):
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(ValidationFailed) as refused:
        list_cases(many, OFFICE, CaseFilter(q="nu"), now)
    assert list(refused.value.errors) == ["q"]
    found = list_cases(many, OFFICE, CaseFilter(q="number 07"), now).items
    assert [c.title for c in found] == ["Case number 07"]
