"""The work queue page: filters, order, deadlines in words, paging, bad input and a bounded query count."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from tacase.db.models import Case, User
from tacase.services import assignment, cases, transitions
from tacase.services.actors import Actor
from tests.api.conftest import complete_fields
from tests.web.conftest import sign_in

REFERENCE = re.compile(r'<td class="reference"><a href="/cases/([^"]+)">')
PAGER = re.compile(r'<a href="([^"]+)" rel="(prev|next)">')


def text(response) -> str:
    return response.get_data(as_text=True)


def references(response) -> list[str]:
    """The cases a queue page lists, in order."""
    return REFERENCE.findall(text(response))


def pager(response) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in PAGER.findall(text(response))}


def staff_in(client, person, clock) -> None:
    assert sign_in(client, person, totp=person.code(clock)).status_code == 302


def focal_in(client, person) -> None:
    assert sign_in(client, person).status_code == 302


@contextmanager
def services(app) -> Iterator[Any]:
    with app.extensions["tacase"]["sessions"]() as s:
        yield s
        s.commit()


def actor_of(s, email: str) -> Actor:
    return Actor.for_user(s.scalar(select(User).where(User.email == email)))


def user_id(app, email: str) -> int:
    with services(app) as s:
        return s.scalar(select(User.id).where(User.email == email))


def open_cases(app, clock, email: str, n: int, *, wtype: str = "upr_fund", title: str = "Queue case",
               submit: bool = True, assign_to: list[str] | None = None, by: str = "") -> list[str]:
    """n cases of the focal point's State, opened (and submitted) through the services as the app would;
    assigned in turn to the people named, by the reviewer `by`."""
    made = []
    with services(app) as s:
        focal = actor_of(s, email)
        for i in range(n):
            reference = cases.open_draft(s, focal, clock, type=wtype, fields={
                **complete_fields(wtype), "title": f"{title} {i + 1}"}).reference
            if submit:
                transitions.fire_transition(s, focal, clock, reference, "submit")
            if assign_to:
                assignee = actor_of(s, assign_to[i % len(assign_to)])
                assignment.assign(s, actor_of(s, by), clock, reference, assignee.id)
            made.append(reference)
    return made


def due_of(app, reference: str):
    with services(app) as s:
        return s.scalar(select(Case.due_at).where(Case.reference == reference))


# --- who sees what ------------------------------------------------------------------------------

def test_anonymous_callers_are_sent_to_sign_in(client, seeded):
    response = client.get("/cases?status=submitted")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/cases")


def test_the_office_sees_every_case_by_due_date_with_no_due_date_last(client, seeded, api_clock):
    staff_in(client, seeded.reviewer, api_clock)
    response = client.get("/cases")
    html = text(response)
    assert response.status_code == 200
    # Samoa's case waits on the office (15 working days), Fiji's on Fiji (30 days), the draft on nobody.
    assert references(response) == [seeded.samoa_case, seeded.fiji_returned, seeded.fiji_draft]
    assert "3 cases." in html
    assert "Screening and review" in html and "Returned to the State for information" in html
    assert "Waiting for OHCHR" in html and "Waiting for the State" in html and "No deadline" in html
    assert '<td>Samoa</td>' in html and '<td>Fiji</td>' in html
    for name in ("status", "type", "state", "assignee", "q", "sort", "per_page", "overdue"):
        assert f'<label class="label" for="{name}">' in html or f'<label for="{name}">' in html
    assert '<option value="me">' in html
    assert f'<a href="/cases/{seeded.samoa_case}">' in html
    assert '<th scope="col">Reference</th>' in html and "<caption>" in html
    assert "<script" not in html and "style=" not in html


def test_other_sorts_can_be_chosen(client, seeded, api_clock):
    staff_in(client, seeded.reviewer, api_clock)
    by_reference = references(client.get("/cases?sort=reference"))
    assert by_reference == sorted(by_reference) and len(by_reference) == 3
    with services(client.application) as s:  # the draft changes last: it comes first
        fiji = actor_of(s, seeded.fiji.email)
        api_clock.advance(minutes=5)
        cases.update_case(s, fiji, api_clock, seeded.fiji_draft, {"title": "Training for judges, revised"})
    assert references(client.get("/cases?sort=updated"))[0] == seeded.fiji_draft


def test_the_board_reads_all_with_staff_labels(client, seeded, api_clock):
    staff_in(client, seeded.board, api_clock)
    response = client.get("/cases")
    html = text(response)
    assert set(references(response)) == {seeded.samoa_case, seeded.fiji_returned, seeded.fiji_draft}
    assert "Returned to the State for information" in html
    assert 'id="state"' in html
    assert '<option value="me">' not in html  # nothing is assigned to the Board


def test_a_focal_point_sees_only_its_state_without_state_or_assignee_filters(client, seeded):
    focal_in(client, seeded.fiji)
    response = client.get("/cases")
    html = text(response)
    assert response.status_code == 200
    assert references(response) == [seeded.fiji_returned, seeded.fiji_draft]
    assert seeded.samoa_case not in html
    assert 'id="state"' not in html and 'id="assignee"' not in html
    assert "Requests from Fiji" in html
    assert "Awaiting your reply" in html and "Returned to the State" not in html  # public labels
    assert "Waiting for your State" in html
    # The filters a State does not have are not read either.
    assert references(client.get("/cases?state=WSM&assignee=none")) == references(response)
    refused = client.get("/cases?status=nonsense")
    assert refused.status_code == 422 and "Requests from Fiji" in text(refused)


# --- each filter narrows the rows ---------------------------------------------------------------

def test_status_type_state_and_text_filters(client, seeded, api_clock):
    advisory = open_cases(client.application, api_clock, seeded.samoa.email, 1, wtype="advisory")[0]
    staff_in(client, seeded.reviewer, api_clock)
    assert references(client.get("/cases?status=returned")) == [seeded.fiji_returned]
    assert references(client.get("/cases?status=draft")) == [seeded.fiji_draft]
    assert references(client.get("/cases?type=advisory")) == [advisory]
    assert set(references(client.get("/cases?type=upr_fund"))) == {
        seeded.samoa_case, seeded.fiji_returned, seeded.fiji_draft}
    assert set(references(client.get("/cases?state=WSM"))) == {seeded.samoa_case, advisory}
    assert references(client.get("/cases?state=WSM&type=upr_fund")) == [seeded.samoa_case]
    assert references(client.get("/cases?q=JUDGES")) == [seeded.fiji_draft]
    assert references(client.get(f"/cases?q={seeded.fiji_returned}")) == [seeded.fiji_returned]
    response = client.get("/cases?q=no+such+thing")
    assert references(response) == [] and "No cases match." in text(response)
    assert "0 cases match the filters." in text(response)


def test_assignee_filter(client, seeded, api_clock):
    app = client.application
    mine = open_cases(app, api_clock, seeded.fiji.email, 2, assign_to=[seeded.reviewer.email],
                      by=seeded.reviewer.email)
    theirs = open_cases(app, api_clock, seeded.samoa.email, 1, assign_to=[seeded.approver.email],
                        by=seeded.reviewer.email)
    staff_in(client, seeded.reviewer, api_clock)
    assert set(references(client.get("/cases?assignee=me"))) == set(mine)
    approver = user_id(app, seeded.approver.email)
    response = client.get(f"/cases?assignee={approver}")
    assert references(response) == theirs
    assert seeded.approver.email in text(response)  # the assignee's e-mail on the row
    assert set(references(client.get("/cases?assignee=none"))) == {
        seeded.samoa_case, seeded.fiji_returned, seeded.fiji_draft}
    # Only office people are offered: a focal point's id is not a choice.
    fiji = user_id(app, seeded.fiji.email)
    assert client.get(f"/cases?assignee={fiji}").status_code == 422


def test_overdue_only_and_deadlines_said_in_words(client, seeded, api_clock):
    app = client.application
    samoa_due, fiji_due = due_of(app, seeded.samoa_case), due_of(app, seeded.fiji_returned)
    # Two days before Fiji's reply is due, Samoa's case is a week late.
    api_clock.now = fiji_due - dt.timedelta(days=2)
    days_late = (api_clock() - samoa_due).days
    assert days_late >= 2
    staff_in(client, seeded.reviewer, api_clock)
    response = client.get("/cases")
    html = text(response)
    assert f"Overdue by {days_late} days" in html
    assert "Due soon" in html
    assert references(client.get("/cases?overdue=y")) == [seeded.samoa_case]
    assert references(client.get("/cases?overdue=y&state=FJI")) == []


def test_overdue_by_one_day_and_not_yet_due_soon(client, seeded, api_clock):
    samoa_due = due_of(client.application, seeded.samoa_case)
    api_clock.now = samoa_due + dt.timedelta(days=1, hours=1)
    staff_in(client, seeded.reviewer, api_clock)
    html = text(client.get("/cases"))
    assert "Overdue by 1 day<" in html
    assert "Due soon" not in html  # Fiji's reply is due more than three days later


# --- paging -------------------------------------------------------------------------------------

def test_pages_keep_the_filters_and_do_not_overlap(client, seeded, api_clock):
    made = open_cases(client.application, api_clock, seeded.samoa.email, 23)
    staff_in(client, seeded.reviewer, api_clock)
    expected = {seeded.samoa_case, *made}  # 24 submitted cases
    seen: list[str] = []
    address = "/cases?status=submitted&per_page=10&q=upr"
    pages = 0
    while address:
        response = client.get(address)
        assert response.status_code == 200
        assert "24 cases match the filters." in text(response)
        rows = references(response)
        assert len(rows) <= 10
        seen += rows
        pages += 1
        links = pager(response)
        if pages > 1:
            assert "prev" in links
        address = links.get("next")
        for link in links.values():
            assert "status=submitted" in link and "per_page=10" in link and "q=upr" in link
    assert pages == 3
    assert len(seen) == len(set(seen)) == 24 and set(seen) == expected
    assert "Page 3 of 3." in text(response)


def test_the_default_page_holds_25(client, seeded, api_clock):
    open_cases(client.application, api_clock, seeded.fiji.email, 25)
    staff_in(client, seeded.approver, api_clock)
    first = client.get("/cases")
    assert len(references(first)) == 25 and "28 cases." in text(first)
    assert pager(first) == {"next": "/cases?page=2"}
    second = client.get("/cases?page=2")
    assert len(references(second)) == 3 and not set(references(first)) & set(references(second))
    assert pager(second) == {"prev": "/cases?page=1"}
    beyond = client.get("/cases?page=9")
    assert beyond.status_code == 200 and references(beyond) == []
    assert 'href="/cases"' in text(beyond) and "Go to the first page" in text(beyond)


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "field", "message"), [
    ("status=nonsense", "status", "Choose a status from the list."),
    ("type=visa", "type", "Choose a request type from the list."),
    ("state=XXX", "state", "Choose a State from the list."),
    ("assignee=abc", "assignee", "Choose someone from the list."),
    ("sort=title", "sort", "Choose an order from the list."),
    ("per_page=1000", "per_page", "Choose how many cases a page shows from the list."),
    ("q=" + "x" * 201, "q", "Search for at most 200 characters."),
    ("q=ab", "q", "Search for at least 3 characters."),
])
def test_a_bad_filter_is_a_422_named_next_to_its_field(client, seeded, api_clock, query, field, message):
    staff_in(client, seeded.reviewer, api_clock)
    response = client.get(f"/cases?{query}")
    html = text(response)
    assert response.status_code == 422
    assert f'<a href="#{field}">{message}</a>' in html
    assert f'id="{field}-error"' in html and f'aria-describedby="{field}-error"' in html
    assert references(response) == []


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1001", "1.5", "٣"])
def test_a_bad_page_number_is_a_422(client, seeded, api_clock, value):
    staff_in(client, seeded.reviewer, api_clock)
    response = client.get("/cases", query_string={"page": value, "status": "submitted"})
    assert response.status_code == 422
    assert "The page number must be a whole number from 1 to 1000." in text(response)
    assert '<option selected value="submitted">' in text(response)  # what was chosen is kept


# --- no query per row ---------------------------------------------------------------------------

def count_statements(app, client, address: str) -> tuple[int, int, Any]:
    """The statements the page sends, and the most parameters one of them has."""
    engine = app.extensions["tacase"]["engine"]
    statements: list[str] = []
    widest = [0]

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append(statement)
        widest[0] = max(widest[0], len(parameters or ()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(address)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements), widest[0], response


def test_the_number_of_queries_does_not_grow_with_the_rows(client, seeded, api_clock, backend):
    app = client.application
    people = [seeded.reviewer.email, seeded.approver.email, seeded.unenrolled.email]
    open_cases(app, api_clock, seeded.fiji.email, 2, assign_to=people, by=seeded.reviewer.email)
    staff_in(client, seeded.reviewer, api_clock)
    few, few_parameters, response = count_statements(app, client, "/cases?per_page=50")
    assert len(references(response)) == 5
    open_cases(app, api_clock, seeded.samoa.email, 13, assign_to=people, by=seeded.reviewer.email)
    open_cases(app, api_clock, seeded.fiji.email, 12, wtype="advisory", assign_to=people,
               by=seeded.reviewer.email)
    many, many_parameters, response = count_statements(app, client, "/cases?per_page=50")
    assert len(references(response)) == 30
    assert many == few
    if backend == "postgresql":
        # Nor do their parameters grow a pair per row (the page's steps go as two arrays): psycopg
        # parses a statement of more than 50 parameters anew on every call.
        assert few_parameters <= many_parameters <= 50
