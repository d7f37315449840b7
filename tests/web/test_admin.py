"""The administrator's pages: accounts and office closures, through Flask's test client."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tacase.db.models import AuditEvent, CalendarClosure, User
from tests.api.conftest import PASSWORD
from tests.web.conftest import sign_in

NEW_PASSWORD = "quiet river lantern orchard"
SATURDAY = "2026-03-07"
WORKING_DAY = "2026-03-11"  # a Wednesday with no public holiday at the duty station


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]*)"', page)
    assert found, f"no {name} on the page"
    return found.group(1)


def tokens(client, path: str, prefix: str = "") -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    return {f"{prefix}csrf_token": hidden(page, f"{prefix}csrf_token"),
            f"{prefix}form_token": hidden(page, f"{prefix}form_token")}


@pytest.fixture
def admin(client, seeded, api_clock):
    assert sign_in(client, seeded.admin, totp=seeded.admin.code(api_clock)).status_code == 302
    return client


class Db:
    """Reads in short transactions of their own: SQLite lets one writer in at a time."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions

    def scalar(self, statement):
        with self.sessions() as s:
            return s.scalar(statement)

    def user(self, user_id: int) -> SimpleNamespace:
        with self.sessions() as s:
            u = s.get(User, user_id)
            return SimpleNamespace(roles=u.roles, display_name=u.display_name, locale=u.locale,
                                   state_code=u.state_code, is_active=u.is_active,
                                   mfa_enabled=u.mfa_enabled, mfa_secret=u.mfa_secret)

    def user_id(self, email: str) -> int | None:
        return self.scalar(select(User.id).where(User.email == email))

    def audited(self, action: str) -> int:
        return self.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))

    def count(self, model, *where) -> int:
        return self.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def db(app) -> Db:
    return Db(app.extensions["tacase"]["sessions"])


def is_signed_in(client) -> bool:
    response = client.get("/")
    return not (response.status_code == 302 and response.headers["Location"].startswith("/sign-in"))


def new_user_form(**changes) -> dict:
    return {"email": "new.person@example.org", "display_name": "New Person", "roles": ["reviewer"],
            "state": "", "password": NEW_PASSWORD, "language": "fr", **changes}


# --- who may open them ---------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["fiji", "reviewer", "approver", "board"])
def test_only_administrators_get_the_pages(app, client, seeded, api_clock, db, who):
    person = getattr(seeded, who)
    sign_in(client, person, totp=person.code(api_clock) if person.secret else "")
    target = db.user_id(seeded.reviewer.email)
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{target}", "/admin/closures"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Not open to your account" in text(response)
    for path in ("/admin/users/new", f"/admin/users/{target}", f"/admin/users/{target}/mfa-reset",
                 "/admin/closures", "/admin/closures/1/delete"):
        assert client.post(path, data={"email": "x@example.org"}).status_code == 403, path


def test_anonymous_callers_are_sent_to_sign_in(client, seeded):
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


# --- the list ------------------------------------------------------------------------------------

def test_the_list_shows_every_account_and_filters_by_role_and_state(admin, seeded):
    response = admin.get("/admin/users")
    page = text(response)
    assert response.status_code == 200 and "<script" not in page and "style=" not in page
    for email in (seeded.fiji.email, seeded.samoa.email, seeded.reviewer.email, seeded.admin.email):
        assert email in page
    assert "State focal point" in page and "Fiji" in page and "Active" in page
    assert '<th scope="col">' in page and "<caption>" in page

    page = text(admin.get("/admin/users?role=state_focal_point"))
    assert seeded.fiji.email in page and seeded.samoa.email in page and seeded.reviewer.email not in page
    page = text(admin.get("/admin/users?role=state_focal_point&state=WSM"))
    assert seeded.samoa.email in page and seeded.fiji.email not in page
    assert '<option selected value="WSM">' in page


def test_the_list_is_paged(admin, seeded, monkeypatch):
    from tacase.web.views import admin as admin_views

    monkeypatch.setattr(admin_views, "USERS_PER_PAGE", 3)
    page = text(admin.get("/admin/users"))
    assert seeded.fiji.email in page and seeded.approver.email not in page
    next_url = re.search(r'<a href="([^"]+)">Next page</a>', page).group(1)
    page = text(admin.get(next_url))
    assert seeded.fiji.email not in page and seeded.unenrolled.email in page and "First page" in page


# --- creating an account -------------------------------------------------------------------------

def test_create_a_user(admin, db):
    form = tokens(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={**form, **new_user_form()})
    created = db.user_id("new.person@example.org")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/users/{created}"
    user = db.user(created)
    assert user.roles == {"reviewer"} and user.display_name == "New Person" and user.locale == "fr"
    assert db.audited("user.created") == 8  # the seven seeded, then this one
    page = text(admin.get(response.headers["Location"]))
    assert "The account was created." in page and "new.person@example.org" in page and "Français" in page


def test_a_duplicate_email_is_said_next_to_the_field_and_what_was_typed_is_kept(admin, seeded, db):
    form = tokens(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={**form, **new_user_form(email=seeded.reviewer.email)})
    page = text(response)
    assert response.status_code == 422
    assert 'class="error-summary"' in page and 'id="email-error"' in page
    assert '<a href="#email">An account with this e-mail address exists already.</a>' in page
    assert f'value="{seeded.reviewer.email}"' in page and 'value="New Person"' in page
    assert NEW_PASSWORD not in page  # never sent back
    assert hidden(page, "form_token") == form["form_token"]  # the same form may be sent again
    # Corrected and sent with the same token, it is done.
    response = admin.post("/admin/users/new", data={**form, **new_user_form()})
    assert response.status_code == 303 and db.user_id("new.person@example.org")


def test_a_focal_point_needs_a_state(admin, db):
    form = tokens(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={**form, **new_user_form(roles=["state_focal_point"])})
    page = text(response)
    assert response.status_code == 422 and 'id="state-error"' in page
    assert "A State focal point needs a State: choose one." in page
    assert db.user_id("new.person@example.org") is None
    response = admin.post("/admin/users/new", data={
        **form, **new_user_form(roles=["state_focal_point"], state="TON")})
    assert response.status_code == 303
    assert db.user(db.user_id("new.person@example.org")).state_code == "TON"


def test_a_form_sent_twice_does_it_once(admin, db):
    form = tokens(admin, "/admin/users/new")
    first = admin.post("/admin/users/new", data={**form, **new_user_form()})
    second = admin.post("/admin/users/new", data={**form, **new_user_form()})
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert db.count(User, User.email == "new.person@example.org") == 1
    assert "it was not sent twice" in text(admin.get(second.headers["Location"]))


def test_a_form_without_its_csrf_token_is_refused(admin, db):
    form = tokens(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={"form_token": form["form_token"], **new_user_form()})
    assert response.status_code == 400 and "did not come from this site" in text(response)
    assert db.user_id("new.person@example.org") is None


# --- changing an account -------------------------------------------------------------------------

def edit_form(**changes) -> dict:
    return {"display_name": "Renamed Reviewer", "roles": ["approver"], "state": "", "active": "y", **changes}


def test_edit_roles(admin, seeded, db):
    target = db.user_id(seeded.reviewer.email)
    path = f"/admin/users/{target}"
    page = text(admin.get(path))
    assert ('<input checked class="choice-input" id="roles-1" name="roles" type="checkbox" value="reviewer">'
            in page)
    assert '<label class="choice-label" for="roles-1">Reviewer</label>' in page
    before = db.audited("user.roles_changed")
    response = admin.post(path, data={**tokens(admin, path), **edit_form(roles=["approver", "board"])})
    assert response.status_code == 303 and response.headers["Location"] == path
    user = db.user(target)
    assert user.roles == {"approver", "board"} and user.display_name == "Renamed Reviewer"
    assert db.audited("user.roles_changed") == before + 1
    assert "The changes were saved." in text(admin.get(path))


def test_disabling_ends_the_users_sessions(app, admin, seeded, api_clock, db):
    other = app.test_client()
    assert sign_in(other, seeded.reviewer, totp=seeded.reviewer.code(api_clock)).status_code == 302
    assert is_signed_in(other)
    target = db.user_id(seeded.reviewer.email)
    path = f"/admin/users/{target}"
    data = {**tokens(admin, path), **edit_form(roles=["reviewer"])}
    del data["active"]  # an unticked box is not sent
    assert admin.post(path, data=data).status_code == 303
    assert db.user(target).is_active is False
    assert db.audited("user.disabled") == 1
    assert not is_signed_in(other)  # sent to the sign-in page
    assert "Disabled" in text(admin.get("/admin/users"))


def test_an_administrator_cannot_disable_themselves(admin, seeded, db):
    me = db.user_id(seeded.admin.email)
    path = f"/admin/users/{me}"
    data = {**tokens(admin, path), **edit_form(roles=["admin"])}
    del data["active"]
    response = admin.post(path, data=data)
    page = text(response)
    assert response.status_code == 422 and 'id="active-error"' in page
    assert "You cannot disable your own account or remove your own administrator role" in page
    assert db.user(me).is_active is True
    response = admin.post(path, data={**data, "active": "y", "roles": ["reviewer"]})
    assert response.status_code == 422 and 'id="roles-error"' in text(response)


def test_reset_two_factor_authentication(app, admin, seeded, api_clock, db):
    other = app.test_client()
    assert sign_in(other, seeded.reviewer, totp=seeded.reviewer.code(api_clock)).status_code == 302
    assert is_signed_in(other)
    target = db.user_id(seeded.reviewer.email)
    form = tokens(admin, f"/admin/users/{target}", prefix="mfa-")
    response = admin.post(f"/admin/users/{target}/mfa-reset", data=form)
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/users/{target}"
    user = db.user(target)
    assert user.mfa_enabled is False and user.mfa_secret is None
    assert db.audited("user.mfa_reset") == 1
    assert "sets it up again at the next sign-in" in text(admin.get(response.headers["Location"]))
    assert not is_signed_in(other)  # signed out everywhere
    again = admin.post(f"/admin/users/{target}/mfa-reset", data=form)
    assert again.status_code == 303 and db.audited("user.mfa_reset") == 1


def test_an_unknown_user_is_a_404_page(admin):
    response = admin.get("/admin/users/999999")
    assert response.status_code == 404 and "Page not found" in text(response)


# --- closures ------------------------------------------------------------------------------------

def test_record_and_remove_a_closure(admin, seeded, db):
    form = tokens(admin, "/admin/closures")
    response = admin.post("/admin/closures", data={**form, "day": WORKING_DAY, "reason": "Staff retreat"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/closures"
    page = text(admin.get("/admin/closures"))
    assert "The closure was recorded." in page
    assert "Wednesday, March 11, 2026" in page and "Staff retreat" in page and seeded.admin.email in page
    assert db.audited("calendar.closure_added") == 1

    closure_id = db.scalar(select(CalendarClosure.id))
    path = f"/admin/closures/{closure_id}/delete"
    delete = tokens(admin, "/admin/closures", prefix=f"delete-{closure_id}-")
    response = admin.post(path, data=delete)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/closures"
    page = text(admin.get("/admin/closures"))
    assert "The closure of 2026-03-11 was removed." in page and "Staff retreat" not in page
    assert db.audited("calendar.closure_removed") == 1
    # The same button again: gone already, nothing done, and back to the list.
    again = admin.post(path, data=delete)
    assert again.status_code == 303 and again.headers["Location"] == "/admin/closures"
    assert db.audited("calendar.closure_removed") == 1
    # Without its form, a closure that does not exist is not found.
    assert admin.post(path).status_code == 404


def test_a_weekend_day_is_refused_with_the_reason_next_to_the_date(admin, db):
    form = tokens(admin, "/admin/closures")
    response = admin.post("/admin/closures", data={**form, "day": SATURDAY, "reason": "Staff retreat"})
    page = text(response)
    assert response.status_code == 422 and 'id="day-error"' in page
    assert f"{SATURDAY} is a Saturday, a weekend day already" in page
    assert 'value="Staff retreat"' in page and f'value="{SATURDAY}"' in page
    assert db.count(CalendarClosure) == 0


def test_a_closure_sent_twice_is_recorded_once(admin, db):
    form = tokens(admin, "/admin/closures")
    data = {**form, "day": WORKING_DAY, "reason": "Staff retreat"}
    assert admin.post("/admin/closures", data=data).status_code == 303
    again = admin.post("/admin/closures", data=data)
    assert again.status_code == 303  # not a 422 "already closed": the first answer again
    assert "it was not sent twice" in text(admin.get("/admin/closures"))
    assert db.count(CalendarClosure) == 1


def test_the_closures_page_lists_the_coming_year_only_forward(admin, app, db, api_clock):
    with app.extensions["tacase"]["sessions"]() as s:
        for day, reason in ((dt.date(2026, 2, 4), "Past closure"), (dt.date(2026, 12, 28), "Year end"),
                            (dt.date(2028, 1, 5), "Far ahead")):
            s.add(CalendarClosure(station="CH-GE", day=day, reason=reason, created_at=api_clock()))
        s.commit()
    page = text(admin.get("/admin/closures"))
    assert "Year end" in page and "Past closure" in page and "Far ahead" not in page
    assert page.index("Year end") < page.index("Past closure")
    assert "the system" in page
    assert PASSWORD not in page


def test_a_weak_password_is_refused_in_words_and_not_sent_back(admin, db):
    form = tokens(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={**form, **new_user_form(password="short pw")})
    page = text(response)
    assert response.status_code == 422 and 'id="password-error"' in page
    assert "Use at least 12 characters." in page and "short pw" not in page
    assert db.user_id("new.person@example.org") is None


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/users/{me}", "/admin/closures"])
def test_every_input_is_labelled_and_no_script_is_sent(admin, seeded, db, path):
    page = text(admin.get(path.format(me=db.user_id(seeded.admin.email))))
    assert "<script" not in page and "style=" not in page
    inputs = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert inputs
    for input_id in inputs:
        assert f'for="{input_id}"' in page, input_id


def test_an_administrator_writes_and_changes_a_call(admin):
    from tests.integration.test_call_authoring import text

    client, new, edit = admin, "/admin/calls/new/text", "/admin/calls/needs-test/edit"
    page = client.get(new)
    assert page.status_code == 200 and "key: my-call-2027" in page.get_data(as_text=True)
    refused = client.post(new, data={**tokens(client, new), "definition": "key: [\n"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "not valid YAML" in body and "<title>Error:" in body
    bad = client.post(new, data={**tokens(client, new), "definition": text(kind="poll")})
    assert bad.status_code == 422 and "kind: must be one of" in bad.get_data(as_text=True)
    made = client.post(new, data={**tokens(client, new), "definition": text()})
    assert made.status_code == 303 and made.headers["Location"].endswith("/admin/calls/needs-test")
    shown = client.get("/admin/calls/needs-test").get_data(as_text=True)
    assert "The call was saved." in shown and edit in shown
    assert "/admin/calls/needs-test" in client.get("/admin/calls").get_data(as_text=True)
    again = client.post(new, data={**tokens(client, new), "definition": text()})
    assert again.status_code == 409 and "exists already" in again.get_data(as_text=True)
    assert "key: needs-test" in client.get(edit).get_data(as_text=True)
    changed = client.post(edit, data={**tokens(client, edit), "definition": text(closes_on="2027-02-26")})
    assert changed.status_code == 303
    assert "version 2" in client.get(edit).get_data(as_text=True)
    assert client.get("/admin/calls/nothing-here/edit").status_code == 404


def test_the_list_of_calls_names_each_in_the_readers_language(admin, app, api_clock):
    from tests import calls_seed as seed

    with app.extensions["tacase"]["sessions"]() as s:
        seed.make_call(s, api_clock())
        s.commit()
    english = admin.get("/admin/calls").get_data(as_text=True)
    assert ">Needs questionnaire</a></td>" in english
    assert ">Needs questionnaire (fr)</a></td>" in admin.get("/admin/calls?lang=fr").get_data(as_text=True)
    assert ">Needs questionnaire (es)</a></td>" in admin.get("/admin/calls?lang=es").get_data(as_text=True)


def test_only_administrators_write_calls(client, seeded):
    sign_in(client, seeded.fiji)
    assert client.get("/admin/calls").status_code == 403
    assert client.get("/admin/calls/new").status_code == 403
