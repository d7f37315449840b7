"""Nothing reaches a public answer but what a State consented to publish, field by field.

A unique marker is planted in every place that is not public, on cases whose State consents and on
cases whose State does not: the fields the workflow files keep inside, what each step records
(assessments, questions, conditions, findings), comments, documents' names, people's names and
e-mail addresses. Then every GET route under the public prefixes, found from the URL map (a new
public route is covered without editing this test), is fetched for every case (and every document),
and no answer may hold a marker, a staff label or a cookie. One document, named without a marker,
is published by its State on a published case: it alone may be served.
"""

from __future__ import annotations

import itertools
import re

import pytest

from tacase.db.models import User
from tests.api.conftest import complete_fields
from tests.api.test_documents import PDF, upload

API = "/api/v1"
PUBLIC_PREFIXES = (f"{API}/public", "/public")
FOCAL = "state_focal_point"
RULE_VARIABLE = re.compile(r"<(?:[^:>]+:)?(\w+)>")


class Markers(dict):
    """marker -> where it was planted."""

    _serial = itertools.count(1)

    def __call__(self, where: str) -> str:
        token = f"leakmark{next(self._serial):04d}q"
        self[token] = where
        return token


def public_rules(app) -> list[str]:
    rules = [r.rule for r in app.url_map.iter_rules()
             if "GET" in r.methods and r.rule.startswith(PUBLIC_PREFIXES)]
    assert rules, "no public routes found"
    return sorted(rules)


def addresses(rule: str, values: dict[str, list[str]]) -> list[str]:
    names = RULE_VARIABLE.findall(rule)
    unknown = [n for n in names if n not in values]
    if unknown:
        pytest.fail(f"{rule}: the leak test does not know what to put in {unknown}; add them to `values`")
    found = []
    for combination in itertools.product(*(values[n] for n in names)):
        address = rule
        for value in combination:
            address = RULE_VARIABLE.sub(lambda _match, value=value: value, address, count=1)
        found.append(address)
    return found


@pytest.fixture
def planted(world, client):
    mark = Markers()
    people = {}
    documents: list[int] = []
    for role, state in ((FOCAL, "FJI"), (FOCAL, "WSM"), ("reviewer", None), ("approver", None)):
        account = world.account(role, state=state, email=f"{mark(f'{role} e-mail')}@example.org")
        with world.sessions() as s:
            s.get(User, account.id).display_name = mark(f"{role} name")
            s.commit()
        people[(role, state)] = account
    fiji, samoa = people[(FOCAL, "FJI")], people[(FOCAL, "WSM")]
    reviewer, approver = people[("reviewer", None)], people[("approver", None)]

    def case(focal, *, consent: bool) -> str:
        fields = {**complete_fields(), "consent_to_publish": consent,
                  "focal_point_name": mark("focal point name"),
                  "focal_point_email": f"{mark('focal point e-mail')}@example.org",
                  "channel_reference": mark("note verbale reference"),
                  "budget": {"amount": "31415926.00", "currency": "USD"}}
        if not consent:
            fields.update(title=mark("title of an unpublished case"),
                          objectives=mark("objectives of an unpublished case"))
        r = client.post(f"{API}/cases", json={"type": "upr_fund", **fields}, headers=focal.auth)
        assert r.status_code == 201, r.get_json()
        return r.get_json()["reference"]

    def fire(account, ref: str, trigger: str, **data) -> None:
        r = client.post(f"{API}/cases/{ref}/transitions", headers=account.auth,
                        json={"trigger": trigger, "data": data, "comment": mark(f"comment on {trigger}")})
        assert r.status_code == 200, (trigger, r.get_json())

    def comment_and_document(account, ref: str) -> None:
        for visibility in ("state",) if account.state else ("internal", "state"):
            r = client.post(f"{API}/cases/{ref}/comments", headers=account.auth,
                            json={"body": mark(f"{visibility} comment"), "visibility": visibility})
            assert r.status_code == 201, r.get_json()
        r = upload(client, account, ref, PDF, f"{mark('document name')}.pdf")
        assert r.status_code == 201
        documents.append(r.get_json()["id"])

    def through_evaluation(focal, ref: str) -> None:
        fire(focal, ref, "submit")
        fire(reviewer, ref, "return_to_state", questions=mark("questions to the State"))
        fire(focal, ref, "resubmit", reply=mark("the State's reply"))
        fire(reviewer, ref, "review", assessment=mark("assessment"), recommendation="approve")
        fire(approver, ref, "approve", approved_amount={"amount": "45000.00", "currency": "USD"},
             conditions=mark("conditions"))
        fire(reviewer, ref, "deliver", start_date="2026-03-02", end_date="2026-03-02",
             activities=mark("activities carried out"), amount={"amount": "27182818.00", "currency": "USD"})
        fire(reviewer, ref, "evaluate", rating="satisfactory", findings=mark("findings"),
             state_feedback=mark("the State's feedback"), public_summary="Published summary")
        comment_and_document(reviewer, ref)

    published, withheld = case(fiji, consent=True), case(fiji, consent=False)
    through_evaluation(fiji, published)
    through_evaluation(fiji, withheld)
    for ref in (published, withheld):  # published by the State; on the record with `published` alone
        r = upload(client, fiji, ref, PDF, "Workshop agenda.pdf")
        assert r.status_code == 201
        documents.append(r.get_json()["id"])
        r = client.put(f"{API}/cases/{ref}/documents/{documents[-1]}/publication", json={"public": True},
                       headers=fiji.auth)
        assert r.status_code == 200
    shown_document = documents[-2]
    rejected = case(samoa, consent=True)
    fire(samoa, rejected, "submit")
    fire(reviewer, rejected, "review", assessment=mark("assessment"), recommendation="reject")
    fire(approver, rejected, "reject", reason=mark("reason for the rejection"))
    withdrawn = case(samoa, consent=True)
    fire(samoa, withdrawn, "submit")
    fire(samoa, withdrawn, "withdraw", reason=mark("reason for withdrawing"))
    draft = case(samoa, consent=True)  # consented, but a draft: never public
    comment_and_document(samoa, draft)
    once_published = case(samoa, consent=True)
    fire(samoa, once_published, "submit")
    r = client.put(f"{API}/cases/{once_published}/consent", json={"consent": False}, headers=samoa.auth)
    assert r.status_code == 200
    return {"markers": mark, "published": [published, rejected, withdrawn],
            "documents": documents, "shown_document": shown_document,
            "references": [published, withheld, rejected, withdrawn, draft, once_published],
            "unpublished": [withheld, draft, once_published]}


STAFF_LABELS = ("Screening and review", "Reviewed, awaiting decision", "Approved, in delivery",
                "Delivered, awaiting evaluation", "Returned to the State for information")


def test_no_public_answer_holds_anything_not_published(client, planted):
    values = {"reference": planted["references"] + ["UPR-2026-9999"], "code": ["FJI", "WSM"],
              "document_id": [str(i) for i in planted["documents"]] + ["999999"],
              "name": ["stages", "monthly", "nothing"], "key": ["no-such-call", "x" * 65]}
    values["fmt"] = ["csv", "json"]  # the downloads' formats
    fetched, served = 0, set()
    for rule in public_rules(client.application):
        for address in addresses(rule, values):
            for query in ({}, {"per_page": "100"}):
                response = client.get(address, query_string=query)
                assert response.status_code < 500, address
                assert "Set-Cookie" not in response.headers, address
                if "document_id" in rule and response.status_code == 200:
                    served.add(address)
                assert "leakmark" not in response.headers.get("Content-Disposition", ""), address
                text = response.get_data(as_text=True)
                response.close()  # a document is sent from an open file
                leaked = {where for marker, where in planted["markers"].items() if marker in text}
                assert not leaked, f"{address} shows {sorted(leaked)}"
                assert not [label for label in STAFF_LABELS if label in text], address
                for ref in planted["unpublished"]:  # an address may be echoed back, nothing more
                    assert ref in address or ref not in text, f"{address} names the unpublished {ref}"
                fetched += 1
    assert fetched >= 4
    assert served == {f"/public/record/{planted['published'][0]}/documents/{planted['shown_document']}"}
    listing = client.get(f"{API}/public/cases", query_string={"per_page": "100"}).get_data(as_text=True)
    assert all(ref in listing for ref in planted["published"])  # the test would pass on an empty record
    assert "Published summary" in client.get(f"{API}/public/cases/{planted['published'][0]}").get_data(
        as_text=True)
