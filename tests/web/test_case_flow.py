"""The flow of a request through the pages: what each step says it did, the check page before
sending, optional fields, steps that end a request, refused sends, replies with a document, and
what an approver sees before deciding."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from tacase.db.models import Case, Document, User
from tacase.services import transitions
from tacase.services.actors import Actor
from tests.web.conftest import sign_in
from tests.web.test_case_pages import PDF, as_staff, send_checked, text, tokens, upload

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')

def fire(app, email: str, clock, reference: str, trigger: str, data=None) -> None:
    with app.extensions["tacase"]["sessions"]() as s:
        who = Actor.for_user(s.scalar(select(User).where(User.email == email)))
        transitions.fire_transition(s, who, clock, reference, trigger, data=data)
        s.commit()

def reviewed(app, seeded, clock) -> str:
    """Fiji's draft, sent and reviewed: awaiting the approver's decision."""
    fire(app, seeded.fiji.email, clock, seeded.fiji_draft, "submit")
    fire(app, seeded.reviewer.email, clock, seeded.fiji_draft, "review",
         {"assessment": "Sound plan, costed per island.", "recommendation": "approve"})
    return seeded.fiji_draft

def test_saving_a_draft_says_it_is_not_sent_and_what_comes_next(client, seeded):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    saved = client.post("/cases/new/upr_fund", data={**tokens(html), "title": "Shelters", "action": "save"})
    assert saved.status_code == 303
    page = text(client.get(saved.headers["Location"]))
    reference = re.search(r'<span class="reference">([^<]+)</span>', page).group(1)
    assert 'class="notification-banner success"' in page
    assert f"Your draft {reference} was saved. It has not been sent: OHCHR cannot see it yet." in page

def test_the_form_marks_optional_fields_and_says_what_sending_needs(client, seeded):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    assert re.search(r'<label[^>]*for="themes"[^>]*>Themes \(optional\)</label>', html)
    assert re.search(r'<label[^>]*for="title"[^>]*>Title</label>', html)  # needed to send: no mark
    needed = re.search(r'id="needed-to-send">(.*?)</details>', html, re.S).group(1)
    assert "<li>UPR cycle of the recommendations</li>" in needed and "Themes" not in needed
    # the budget has its hint, and the focal point is the person opening the request
    assert 'id="budget-hint"' in html and "three-letter" in html
    assert re.search(r'id="focal_point_email"[^>]*value="focal.fiji@example.org"', html) or \
        'value="focal.fiji@example.org"' in html
    # a UPR Fund grant is paid from the UPR Fund (`fund:` in its workflow): its form does not ask;
    # a type paid from several sources does
    assert 'for="funding_source"' not in html
    other = text(client.get("/cases/new/tc_project", follow_redirects=True))
    assert 'for="funding_source"' in other

def test_the_check_page_lists_every_answer_with_a_change_link(client, seeded):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_draft
    page = text(client.get(f"/cases/{ref}"))
    assert f'href="/cases/{ref}/check"' in page and "Check and send the request" in page
    check = client.get(f"/cases/{ref}/check")
    html = text(check)
    assert check.status_code == 200 and "Check your answers before sending" in html
    assert "Training for judges" in html
    assert f'href="/cases/{ref}/edit#title"' in html and f'href="/cases/{ref}/edit#budget-amount"' in html
    assert f'href="/cases/{ref}/edit#upr_cycle"' in html
    assert html.count(">Change<") >= 15
    assert re.search(r'<button type="submit" class="button">Send the request to OHCHR</button>', html)
    sent = send_checked(client, ref)
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/cases/{ref}")
    page = text(client.get(sent.headers["Location"]))
    assert f"Your request {ref} was sent to OHCHR." in page
    banner = page[page.index("notification-banner"):]
    assert re.search(r"We will review it by \d+ \w+ \d{4}", banner[:600]), banner[:600]
    # once sent, the check page leads back to the case
    assert client.get(f"/cases/{ref}/check").status_code == 303

def test_save_and_check_with_fields_missing_marks_them_and_says_error_first(client, seeded, app):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    response = client.post("/cases/new/upr_fund", data={**tokens(html), "title": "Half done",
                                                        "action": "check"}, follow_redirects=True)
    page = text(response)
    assert response.status_code == 200
    assert re.search(r"<title>Error: Edit UPR-\d{4}-\d{4} · tacase</title>", page)
    body = page[page.index("<main"):]
    assert body.index('class="error-summary"') < body.index("<h1>")
    assert 'href="#upr_cycle"' in body and 'src="/static/web/tacase.js"' in page
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalar(select(Case.status).where(Case.title == "Half done")) == "draft"

def test_a_refused_send_from_the_check_page_shows_the_form_with_its_errors(client, seeded, app):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_draft
    html = text(client.get(f"/cases/{ref}/check"))
    with app.extensions["tacase"]["sessions"]() as s:  # someone clears a field meanwhile
        found = s.scalar(select(Case).where(Case.reference == ref))
        found.budget_amount = found.budget_currency = None
        s.commit()
        version = str(found.version)
    refused = client.post(f"/cases/{ref}/check", data={**tokens(html), "version": version})
    page = text(refused)
    assert refused.status_code == 422
    assert "<title>Error: " in page and 'href="#budget-amount"' in page

def test_withdraw_is_a_warning_behind_a_confirmation_page(client, seeded):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_returned
    page = text(client.get(f"/cases/{ref}"))
    link = re.search(rf'<a class="button ([^"]*)" href="/cases/{ref}/actions/withdraw"', page)
    assert link and link.group(1).strip() == "warning"
    actions = page[page.index('id="actions-title"'):]
    assert actions.index("Send the reply") < actions.index("Withdraw the request")  # not first
    confirm = text(client.get(f"/cases/{ref}/actions/withdraw"))
    assert "This ends the request: it cannot be undone." in confirm
    assert re.search(r'<button type="submit" class="button warning">Withdraw the request</button>', confirm)
    response = client.post(f"/cases/{ref}/actions/withdraw",
                           data={**tokens(confirm), "version": VERSION.search(confirm).group(1)})
    assert response.status_code == 303
    done = text(client.get(response.headers["Location"]))
    assert "“Withdraw the request” was done on" in done and "Withdrawn" in done

def test_the_approver_sees_what_is_decided_and_reject_is_a_warning(app, seeded, api_clock):
    approver = app.test_client()
    as_staff(approver, seeded.approver, api_clock)
    ref = reviewed(app, seeded, api_clock)
    page = text(approver.get(f"/cases/{ref}"))
    assert re.search(rf'<a class="button warning" href="/cases/{ref}/actions/reject"', page)
    for trigger in ("approve", "reject"):
        html = text(approver.get(f"/cases/{ref}/actions/{trigger}"))
        start = html.index('id="decision-title"')
        decision = html[start:html.index("</section>", start)]
        assert "Budget requested" in decision and "USD" in decision
        assert "Sound plan, costed per island." in decision and "Approve" in decision
        assert "A/HRC" in decision  # the linked recommendations
        assert "Record the review" in decision  # the history
    reject = text(approver.get(f"/cases/{ref}/actions/reject"))
    assert re.search(r'class="button warning">Reject</button>', reject)
    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    assert "Sound plan" not in text(fiji.get(f"/cases/{ref}"))

def test_a_blocked_step_is_not_the_main_action_and_says_why_first(client, seeded, app):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_returned
    with app.extensions["tacase"]["sessions"]() as s:
        found = s.scalar(select(Case).where(Case.reference == ref))
        found.budget_amount = found.budget_currency = None
        s.commit()
    page = text(client.get(f"/cases/{ref}"))
    item = re.search(r'<p class="hint" id="blocked-resubmit">(.*?)</p>\s*<a class="button ([^"]*)"',
                     page, re.S)
    assert item and "Budget requested" in item.group(1) and item.group(2).strip() == "secondary"

def test_the_feedback_form_is_among_what_you_can_do_now(app, seeded, api_clock):
    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    ref = reviewed(app, seeded, api_clock)
    fire(app, seeded.approver.email, api_clock, ref, "approve",
         {"approved_amount": {"amount": "5000", "currency": "USD"}})
    fire(app, seeded.reviewer.email, api_clock, ref, "deliver", {
        "start_date": "2026-03-02", "end_date": "2026-03-20", "activities": "Workshops",
        "amount": {"amount": "5000", "currency": "USD"}})
    page = text(fiji.get(f"/cases/{ref}"))
    actions = re.search(r'aria-labelledby="actions-title".*?</section>\s*</section>', page, re.S).group(0)
    assert f'action="/cases/{ref}/feedback"' in actions and "Your feedback" in actions

def test_a_reply_can_attach_a_document(app, seeded, api_clock):
    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    ref = seeded.fiji_returned
    html = text(fiji.get(f"/cases/{ref}/actions/resubmit"))
    assert 'enctype="multipart/form-data"' in html and 'name="attachment"' in html
    data = {**tokens(html), "version": VERSION.search(html).group(1), "reply": "Budget attached."}
    refused = fiji.post(f"/cases/{ref}/actions/resubmit", content_type="multipart/form-data",
                        data={**data, "attachment": (io.BytesIO(b"MZ not a pdf"), "budget.pdf")})
    page = text(refused)
    assert refused.status_code == 415 and 'href="#attachment"' in page and "<title>Error: " in page
    with app.extensions["tacase"]["sessions"]() as s:  # nothing done: no reply, no document
        assert s.scalar(select(Case.status).where(Case.reference == ref)) == "returned"
    html = text(fiji.get(f"/cases/{ref}/actions/resubmit"))
    data = {**tokens(html), "version": VERSION.search(html).group(1), "reply": "Budget attached."}
    sent = fiji.post(f"/cases/{ref}/actions/resubmit", content_type="multipart/form-data",
                     data={**data, "attachment": (io.BytesIO(PDF), "budget.pdf")})
    assert sent.status_code == 303, text(sent)
    page = text(fiji.get(sent.headers["Location"]))
    assert f"Your reply on request {ref} was sent to OHCHR." in page and "budget.pdf" in page
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalar(select(Document.filename).join(Case).where(Case.reference == ref)) == "budget.pdf"

def test_an_upload_error_links_to_the_file_field(client, seeded):
    sign_in(client, seeded.fiji)
    response = upload(client, seeded.fiji_returned, b"MZ\x90\x00 not really a pdf", "report.pdf")
    page = text(response)
    assert response.status_code == 415
    summary = page[page.index('class="error-summary"'):]
    assert re.search(r'<a href="#file">This file is not a PDF', summary)
    assert "<title>Error: " in page

def test_a_step_named_in_the_address_shows_no_panel(client, seeded):
    sign_in(client, seeded.fiji)
    page = client.get(f"/cases/{seeded.fiji_returned}?done=resubmit&saved=save")
    assert page.status_code == 200 and "notification-banner" not in text(page)

def test_the_confirmation_is_shown_once(client, seeded):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_draft
    sent = send_checked(client, ref)
    assert f"Your request {ref} was sent to OHCHR." in text(client.get(sent.headers["Location"]))
    again = text(client.get(sent.headers["Location"]))
    assert "was sent to OHCHR" not in again and "notification-banner" not in again

def test_only_the_states_focal_points_reach_the_check_page(app, seeded, api_clock):
    reviewer, samoa = app.test_client(), app.test_client()
    as_staff(reviewer, seeded.reviewer, api_clock)
    sign_in(samoa, seeded.samoa)
    assert reviewer.get(f"/cases/{seeded.fiji_draft}/check").status_code == 403
    assert samoa.get(f"/cases/{seeded.fiji_draft}/check").status_code == 404

