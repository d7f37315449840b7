"""The IATI activity file over HTTP: a request made through the API, approved and published appears
in /public/data/iati-activities.xml; an unpublished one never does, a withdrawal takes it out at
once; the scheduler's build and the administrators' page of the requests left out."""

from __future__ import annotations

from sqlalchemy import select, update

from tacase.db.models import Case, PublicFile, User
from tacase.jobs import tasks
from tests.api.test_public_data import consent, job_context, published
from tests.iati_schema import assert_valid

API = "/api/v1"
FOCAL = "state_focal_point"
FILE = "/public/data/iati-activities.xml"


def fire(client, account, ref: str, trigger: str, **data) -> None:
    r = client.post(f"{API}/cases/{ref}/transitions", json={"trigger": trigger, "data": data},
                    headers=account.auth)
    assert r.status_code == 200, r.get_json()


def approved(world, client, focal, *, consent: bool = True) -> str:
    ref = published(client, focal, consent=consent)
    reviewer, approver = world.account("reviewer"), world.account("approver")
    fire(client, reviewer, ref, "review", assessment="Strong", recommendation="approve")
    fire(client, approver, ref, "approve", approved_amount={"amount": "45000.00", "currency": "USD"},
         conditions="Report quarterly")
    return ref


def identifiers(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    document = assert_valid(response.get_data())
    return {e.text.removeprefix("XM-DAC-41313-") for e in document.iter("iati-identifier")}


def test_an_approved_published_request_appears_and_a_withdrawal_takes_it_out(world, client):
    fiji = world.account(FOCAL, state="FJI")
    shown, withheld = approved(world, client, fiji), approved(world, client, fiji, consent=False)
    submitted_only = published(client, fiji)
    r = client.get(FILE)  # not built yet: made on request
    assert identifiers(r) == {shown}
    assert "public" in r.headers["Cache-Control"] and "ETag" not in r.headers
    assert r.headers["Content-Disposition"] == 'attachment; filename="iati-activities.xml"'
    body = r.get_data(as_text=True)
    assert withheld not in body and submitted_only not in body
    assert "Strong" not in body and "Report quarterly" not in body  # the office's words stay inside

    tasks.build_iati_file(job_context(world))
    r = client.get(FILE)
    assert identifiers(r) == {shown} and r.headers["ETag"] and r.headers["Last-Modified"]
    assert client.get(FILE, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304

    consent(client, fiji, shown, False)
    with world.sessions() as s:
        assert s.get(PublicFile, "iati-activities.xml") is None  # deleted with the change of consent
    assert shown not in client.get(FILE).get_data(as_text=True)


def test_the_open_data_files_still_know_when_they_were_built(world, client):
    approved(world, client, world.account(FOCAL, state="FJI"))
    tasks.build_open_data(job_context(world))
    tasks.build_iati_file(job_context(world))
    assert client.get("/public/data").status_code == 200
    with world.sessions() as s:
        assert {f.name for f in s.scalars(select(PublicFile))} == {"cases.csv", "cases.json",
                                                                   "iati-activities.xml"}


def test_the_administrators_see_what_was_left_out_and_why(world, client):
    fiji = world.account(FOCAL, state="FJI")
    good, bad = approved(world, client, fiji), approved(world, client, fiji)
    with world.sessions() as s:
        s.execute(update(Case).where(Case.reference == bad).values(title=" "))
        s.commit()
    tasks.build_iati_file(job_context(world))
    assert identifiers(client.get(FILE)) == {good}

    admin = world.account("admin")
    world.login(client, admin)
    page = client.get("/admin/iati")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert bad in html and "it has no public title" in html and good not in html
    with world.sessions() as s:
        s.get(User, admin.id).locale = "fr"
        s.commit()
    french = client.get("/admin/iati").get_data(as_text=True)
    assert "it has no public title" not in french and "pas de titre public" in french

    reviewer = world.account("reviewer")
    other = world.app.test_client()
    world.login(other, reviewer)
    assert other.get("/admin/iati").status_code == 403


def test_before_the_first_build_the_page_says_so(world, client):
    world.login(client, world.account("admin"))
    html = client.get("/admin/iati").get_data(as_text=True)
    assert "has not been built yet" in html
