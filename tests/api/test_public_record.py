"""The public record's API: consent given and withdrawn by the State, and what anyone may read."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from tacase.db.models import AuditEvent
from tests.api.conftest import complete_fields

API = "/api/v1"
FOCAL = "state_focal_point"


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "samoa": world.account(FOCAL, state="WSM"),
            "reviewer": world.account("reviewer"), "approver": world.account("approver")}


def draft(client, focal, **fields) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields(), **fields},
                    headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def fire(client, account, ref: str, trigger: str, **data):
    r = client.post(f"{API}/cases/{ref}/transitions", json={"trigger": trigger, "data": data},
                    headers=account.auth)
    assert r.status_code == 200, r.get_json()


def consent(client, account, ref: str, value, **headers):
    return client.put(f"{API}/cases/{ref}/consent", json={"consent": value},
                      headers={**account.auth, **headers})


def public_references(client, **filters) -> list[str]:
    r = client.get(f"{API}/public/cases", query_string=filters)
    assert r.status_code == 200, r.get_json()
    return [item["reference"] for item in r.get_json()["items"]]


def test_consent_is_the_states_to_give_and_is_recorded(world, client, people):
    ref = draft(client, people["fiji"])
    r = consent(client, people["fiji"], ref, True)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["consent_to_publish"] is True
    assert "Title" in body["public_fields"] and "Focal point" not in body["public_fields"]
    assert r.headers["ETag"] == f'"v{body["version"]}"'
    assert consent(client, people["fiji"], ref, True).get_json()["version"] == body["version"]  # no change
    assert consent(client, people["fiji"], ref, False).get_json()["consent_to_publish"] is False
    with world.sessions() as s:
        events = s.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.at)
                           .where(AuditEvent.action.like("case.consent%")).order_by(AuditEvent.seq)).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("case.consent_given", people["fiji"].id), ("case.consent_withdrawn", people["fiji"].id)]
    assert all(e.at is not None for e in events)


@pytest.mark.parametrize(("who", "status"), [("reviewer", 403), ("approver", 403), ("samoa", 404)])
def test_nobody_else_may_consent_for_a_state(client, people, who, status):
    ref = draft(client, people["fiji"])
    r = consent(client, people[who], ref, True)
    assert r.status_code == status, r.get_json()


@pytest.mark.parametrize("value", ["yes", 1, None, "true"])
def test_consent_is_true_or_false(client, people, value):
    ref = draft(client, people["fiji"])
    r = consent(client, people["fiji"], ref, value)
    assert r.status_code == 422
    assert "consent" in r.get_json()["errors"]


def test_a_stale_version_is_refused(client, people):
    ref = draft(client, people["fiji"])
    assert consent(client, people["fiji"], ref, True, **{"If-Match": '"v99"'}).status_code == 412


def test_a_case_is_public_only_from_submission_and_while_consented(client, people):
    ref = draft(client, people["fiji"], consent_to_publish=True)
    assert ref not in public_references(client)  # a draft never
    assert client.get(f"{API}/public/cases/{ref}").status_code == 404
    fire(client, people["fiji"], ref, "submit")
    assert ref in public_references(client)
    shown = client.get(f"{API}/public/cases/{ref}").get_json()
    assert shown["fields"]["title"] == complete_fields()["title"]
    assert shown["status_label"] == "Under review"
    assert [s["label"] for s in shown["stages"]] == ["Under review"]
    assert not {"channel_reference", "budget", "focal_point_name", "consent_to_publish",
                "upr_cycle"} & set(shown["fields"])
    assert consent(client, people["fiji"], ref, False).status_code == 200
    assert ref not in public_references(client)  # at once: nothing to rebuild first
    assert client.get(f"{API}/public/cases/{ref}").status_code == 404


def test_a_return_to_the_state_is_still_the_review_in_public(client, people):
    ref = draft(client, people["fiji"], consent_to_publish=True)
    fire(client, people["fiji"], ref, "submit")
    fire(client, people["reviewer"], ref, "return_to_state", questions="Please detail the budget.")
    shown = client.get(f"{API}/public/cases/{ref}").get_json()
    assert shown["status"] == "returned" and shown["status_label"] == "Under review"
    assert [s["label"] for s in shown["stages"]] == ["Under review"]
    assert "Please detail" not in json.dumps(shown)


def test_what_a_step_records_in_public_is_shown_and_nothing_else(client, people):
    ref = draft(client, people["fiji"], consent_to_publish=True)
    fire(client, people["fiji"], ref, "submit")
    fire(client, people["reviewer"], ref, "review", assessment="Strong proposal", recommendation="approve")
    fire(client, people["approver"], ref, "approve",
         approved_amount={"amount": "45000.00", "currency": "USD"}, conditions="Report quarterly")
    shown = client.get(f"{API}/public/cases/{ref}").get_json()
    assert [s["label"] for s in shown["stages"]] == ["Under review", "Awaiting decision", "Approved"]
    assert shown["records"] == [{
        "step": "approve", "label": "Approved", "on": "2026-03-02",
        "values": {"approved_amount": {"amount": "45000.00", "currency": "USD"}},
        "value_labels": {"approved_amount": "Approved amount"}}]
    assert "Strong proposal" not in json.dumps(shown) and "quarterly" not in json.dumps(shown)


def test_filters(client, people):
    fiji = draft(client, people["fiji"], consent_to_publish=True)
    samoa = draft(client, people["samoa"], consent_to_publish=True)
    for ref, focal in ((fiji, people["fiji"]), (samoa, people["samoa"])):
        fire(client, focal, ref, "submit")
    assert public_references(client, state="FJI") == [fiji]
    assert set(public_references(client, state=["FJI", "WSM"])) == {fiji, samoa}
    assert set(public_references(client, year=2026, type="upr_fund", fund="upr_fund")) == {fiji, samoa}
    assert public_references(client, year=2025) == []
    assert public_references(client, status="approved") == []


@pytest.mark.parametrize("query", [
    {"colour": "blue"}, {"year": "last"}, {"year": "1999"}, {"page": "100000000"}, {"page": "0"},
    {"per_page": "1000"}, {"state": "XXX"}, {"fund": "piggy_bank"}, {"status": "<script>"},
    {"type": "'; DROP TABLE cases; --"},
])
def test_a_visitors_bad_filters_get_a_clear_answer(client, query):
    r = client.get(f"{API}/public/cases", query_string=query)
    assert r.status_code in (400, 422), r.get_data(as_text=True)
    assert r.get_json()["message"]


def test_public_answers_are_cacheable_and_set_no_cookie(client, people):
    ref = draft(client, people["fiji"], consent_to_publish=True)
    fire(client, people["fiji"], ref, "submit")
    for address in (f"{API}/public/cases", f"{API}/public/cases/{ref}"):
        r = client.get(address)
        assert r.status_code == 200
        assert "public" in r.headers["Cache-Control"] and "max-age=300" in r.headers["Cache-Control"]
        assert r.headers["ETag"]
        assert "Set-Cookie" not in r.headers
        again = client.get(address, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304


def test_an_unknown_reference_is_not_found(client):
    for ref in ("UPR-2026-9999", "x" * 500, "%00", "UPR-2026-0001/../../etc"):
        r = client.get(f"{API}/public/cases/{ref}")
        assert r.status_code in (404, 400), r.get_data(as_text=True)


def test_the_public_record_is_rate_limited_per_address(fresh_db, api_clock):
    from tests.api.conftest import make_app

    app = make_app(fresh_db, api_clock, TACASE_PUBLIC_LIMIT_PER_ADDRESS="3 per minute")
    try:
        client = app.test_client()
        codes = [client.get(f"{API}/public/cases").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get(f"{API}/public/cases", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    finally:
        app.extensions["tacase"]["engine"].dispose()


# --- the pages -------------------------------------------------------------------------------------

def published(client, people, **fields) -> str:
    ref = draft(client, people["fiji"], consent_to_publish=True, **fields)
    fire(client, people["fiji"], ref, "submit")
    return ref


def test_anyone_reads_the_record_without_signing_in(client, people):
    ref = published(client, people, title="Legal aid for the outer islands")
    hidden = draft(client, people["fiji"], title="Not for the public eye")
    fire(client, people["fiji"], hidden, "submit")
    page = client.get("/public/record")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Legal aid for the outer islands" in html and "Not for the public eye" not in html
    assert "Set-Cookie" not in page.headers
    case_page = client.get(f"/public/record/{ref}").get_data(as_text=True)
    assert "Legal aid for the outer islands" in case_page and "Fiji" in case_page
    assert "2 March 2026" in case_page and "Under review" in case_page
    assert "NV/2026/001" not in case_page  # the note verbale is not among the public fields
    state_page = client.get("/public/states/FJI").get_data(as_text=True)
    assert ref in state_page
    assert client.get(f"/public/record/{hidden}").status_code == 404


def test_the_record_speaks_the_visitors_language(client, people):
    ref = published(client, people)
    french = client.get("/public/record", query_string={"lang": "fr"})
    assert 'lang="fr"' in french.get_data(as_text=True) and "Set-Cookie" not in french.headers
    assert "Registre de la coopération internationale" in french.get_data(as_text=True)
    spanish = client.get(f"/public/record/{ref}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Registro de cooperación internacional" in spanish


def test_the_records_filters(client, people):
    ref = published(client, people)
    assert ref in client.get("/public/record", query_string={"state": "FJI", "year": "2026"}).get_data(
        as_text=True)
    assert ref not in client.get("/public/record", query_string={"state": "WSM"}).get_data(as_text=True)


@pytest.mark.parametrize("query", [{"state": "XXX"}, {"year": "1850"}, {"page": "0"}, {"page": "x" * 50},
                                   {"status": "<script>alert(1)</script>"}])
def test_bad_filters_on_the_page_say_what_is_wrong(client, query):
    page = client.get("/public/record", query_string=query)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and "<script>alert" not in html


def test_the_feed_tells_of_published_requests_only(client, people):
    ref = published(client, people, title="Legal aid for the outer islands")
    fire(client, people["reviewer"], ref, "return_to_state", questions="Please detail the budget.")
    hidden = draft(client, people["fiji"], title="Not for the public eye")
    fire(client, people["fiji"], hidden, "submit")
    response = client.get("/public/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.get_data())
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    # A return to the State is no news: the record still says "Under review".
    assert [e.findtext(f"{atom}title") for e in entries] == ["Fiji sent a request to OHCHR"]
    assert entries[0].find(f"{atom}link").get("href").endswith(f"/public/record/{ref}")
    assert "Legal aid for the outer islands" in entries[0].findtext(f"{atom}summary")
    text = response.get_data(as_text=True)
    assert hidden not in text and "Not for the public eye" not in text
    consent(client, people["fiji"], ref, False)
    assert ref not in client.get("/public/feed.atom").get_data(as_text=True)


def test_the_cursor_walks_the_record_as_the_pages_do(client, people):
    refs = [draft(client, people["fiji"], consent_to_publish=True) for _ in range(5)]
    for ref in refs:
        fire(client, people["fiji"], ref, "submit")  # the same instant: the order falls back on the id
    by_page = [public_references(client, per_page=2, page=n) for n in (1, 2, 3)]
    assert [ref for page in by_page for ref in page] == refs[::-1]
    first = client.get(f"{API}/public/cases", query_string={"per_page": 2}).get_json()
    assert first["next_page"] == 2 and first["next_cursor"]
    walked, body = list(first["items"]), first
    while body["next_cursor"]:
        body = client.get(f"{API}/public/cases", query_string={"per_page": 2, "cursor": body["next_cursor"]}
                          ).get_json()
        assert body["page"] is None and body["next_page"] is None
        walked += body["items"]
    assert [item["reference"] for item in walked] == refs[::-1]
    assert walked[0] == first["items"][0]


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0", "x" * 300])
def test_a_cursor_that_is_not_one_is_refused(client, cursor):
    r = client.get(f"{API}/public/cases", query_string={"cursor": cursor})
    assert r.status_code == 422, r.get_data(as_text=True)
    assert "cursor" in json.dumps(r.get_json())


def test_a_page_of_the_record_is_three_statements_whatever_its_length(world, client, people):
    from tests.api.test_statement_counts import counted

    for _ in range(3):
        ref = draft(client, people["fiji"], consent_to_publish=True)
        fire(client, people["fiji"], ref, "submit")
    for address in (f"{API}/public/cases", f"{API}/public/cases/{ref}"):
        with counted(world.app) as seen:
            assert client.get(address).status_code == 200
        # the cases (with their workflow's hash and whether they have a public document), their
        # recommendations, their steps; no query per case, and no documents' query when none is public
        assert len(seen.statements) == 3, seen.statements
        assert "FROM cases" in seen.statements[0]
        assert seen.tables()[1:] == ["SELECT case_recommendations", "SELECT case_transitions"], seen.tables()


def test_a_public_status_finds_every_request_the_public_calls_by_that_name(world, client, people):
    waiting, returned = (draft(client, people["fiji"], consent_to_publish=True) for _ in range(2))
    for ref in (waiting, returned):
        fire(client, people["fiji"], ref, "submit")
    fire(client, people["reviewer"], returned, "return_to_state", questions="Please detail the budget.")
    # "Under review" is one choice of the filter, whichever of its statuses names it.
    assert set(public_references(client, status="submitted")) == {waiting, returned}
    assert set(public_references(client, status="returned")) == {waiting, returned}
    assert public_references(client, status="approved") == []
    from tacase.services import public_record  # the counts the page shows beside each choice
    with world.sessions() as s:
        counts = public_record.count_published(s)
    assert counts["status"] == {"submitted": 2}


def test_past_the_last_numbered_page_the_record_goes_on_from_the_last_one_shown(client, people, monkeypatch):
    from tacase.services import public_record
    from tacase.web.views import public_pages
    monkeypatch.setattr(public_pages, "PER_PAGE", 1)
    monkeypatch.setattr(public_record, "MAX_PAGE", 2)
    refs = [draft(client, people["fiji"], consent_to_publish=True) for _ in range(4)]
    for ref in refs:
        fire(client, people["fiji"], ref, "submit")
    seen, url = [], "/public/record"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [ref for ref in refs if f"/public/record/{ref}" in html]
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert "Page None" not in html
    assert seen == refs[::-1]
    assert "cursor=" in client.get("/public/record?page=2").get_data(as_text=True)
    damaged = client.get("/public/record", query_string={"cursor": "nonsense"})
    assert damaged.status_code == 422 and "damaged" in damaged.get_data(as_text=True)
