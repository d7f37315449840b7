"""Words a State official reads: no codes or machine names on the pages, fields named by their labels
in whole sentences, choices by their labels, one name for sending a request."""

from __future__ import annotations

import re

from tests.web.conftest import sign_in
from tests.web.test_case_pages import CSRF, TOKEN, action_form, as_staff, text, tokens

FIELD_CODES = ("objectives", "activities", "expected_results", "channel_reference", "upr_cycle",
               "funding_source", "planned_start")


def _visible(html: str) -> str:
    """The page's text without its tags, attributes and the audit log's raw records."""
    html = re.sub(r'<details class="raw-record">.*?</details>', " ", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _draft_with_a_title_only(client) -> str:
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    saved = client.post("/cases/new/upr_fund",
                        data={**tokens(html), "title": "Only a title", "action": "save"})
    assert saved.status_code == 303, text(saved)
    return saved.headers["Location"].split("/cases/")[1].split("?")[0]


def test_a_refused_send_names_each_missing_field_in_a_sentence(client, seeded):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    response = client.post("/cases/new/upr_fund", data={
        **tokens(html), "title": "Half done", "upr_cycle": "11", "action": "submit"})
    page = text(response)
    assert response.status_code == 422
    # GOV.UK's error messages: a sentence that names the field, the same in the summary and by the field
    assert "“UPR cycle of the recommendations” must be 10 or less." in page
    assert "must be at most" not in page and "UPR cycle of the recommendations: " not in page
    visible = _visible(page)
    for code in FIELD_CODES:
        assert not re.search(rf"\b{code}\b", visible), code


def test_the_case_page_send_button_blocked_names_fields_by_their_labels(client, seeded):
    sign_in(client, seeded.fiji)
    reference = _draft_with_a_title_only(client)
    html = text(client.get(f"/cases/{reference}"))
    # the case page's send goes through the check page, whose button names the act as the form does
    assert "Check and send the request" in html and "Submit the request" not in html
    response = client.post(f"/cases/{reference}/actions/submit", data={
        "csrf_token": CSRF.search(html).group(1), "form_token": TOKEN.search(html).group(1),
        "version": re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', html).group(1)})
    page = text(response)
    assert response.status_code == 409, page
    assert "This cannot be done yet: fill in first: Objectives, Activities, Expected results" in page
    blocked = page.split("This cannot be done yet")[1].split("</")[0]
    for code in FIELD_CODES:
        assert not re.search(rf"\b{code}\b", blocked), code


def test_the_form_and_the_history_name_the_sending_once(client, seeded):
    sign_in(client, seeded.fiji)
    form = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    assert ">Save and check before sending</button>" in form and "Save and send" not in form
    history = text(client.get(f"/cases/{seeded.fiji_returned}"))
    assert "Request sent to OHCHR" in history and "Submit the request" not in history


def test_choices_recorded_with_a_step_show_by_their_labels(app, seeded, api_clock):
    reviewer = app.test_client()
    as_staff(reviewer, seeded.reviewer, api_clock)
    response = action_form(reviewer, seeded.samoa_case, "review",
                           {"assessment": "Sound.", "recommendation": "approve"})
    assert response.status_code == 303, text(response)
    page = text(reviewer.get(f"/cases/{seeded.samoa_case}"))
    history = page[page.index("Recommendation"):]
    assert re.search(r"<dd[^>]*>\s*Approve\s*</dd>", history), history[:400]
    assert not re.search(r">\s*approve\s*<", page)


def test_the_audit_page_shows_no_action_codes(client, seeded, api_clock):
    assert sign_in(client, seeded.board, totp=seeded.board.code(api_clock)).status_code == 302
    html = text(client.get("/audit"))
    visible = _visible(html)
    for code in ("case.transition", "case.created", "auth.login", "return_to_state", "due_at", "trigger:"):
        assert code not in visible, code
    assert "Request opened" in visible and "Step of a request" in visible
    assert "asked Fiji for information on" in visible and "Reply due" in visible
    assert html.count("Show the recorded event") == html.count('<p class="sentence">') > 0
    # the filter offers names, and still takes the recorded code from an older link
    assert '<option value="case.transition">Step of a request</option>' in html
    filtered = text(client.get("/audit?action=case.transition"))
    assert '<option selected value="case.transition">' in filtered or \
        '<option value="case.transition" selected>' in filtered
    assert "Request opened</td>" not in filtered and "Step of a request</td>" in filtered


def test_recommendations_are_written_and_shown_with_the_mechanism_by_its_name(client, seeded, app):
    sign_in(client, seeded.fiji)
    edit = text(client.get(f"/cases/{seeded.fiji_draft}/edit", follow_redirects=True))
    assert "Universal Periodic Review; A/HRC/52/9; 120.1" in edit and "upr; A/HRC" not in edit
    assert "(Universal Periodic Review, Treaty body or Special procedure)" in edit
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    saved = client.post(f"/cases/{seeded.fiji_draft}/edit", data={
        **tokens(edit), "version": version, "action": "save", "title": "Training for judges",
        "recommendations": "Treaty body; CRC/C/FJI/CO/2-4\nupr; A/HRC/43/8; 98.12"})
    assert saved.status_code == 303, text(saved)
    page = text(client.get(f"/cases/{seeded.fiji_draft}"))
    assert "Treaty body · CRC/C/FJI/CO/2-4" in page
    assert "Universal Periodic Review · A/HRC/43/8 · 98.12" in page
    refused = client.post(f"/cases/{seeded.fiji_draft}/edit", data={
        **tokens(text(client.get(f"/cases/{seeded.fiji_draft}/edit"))), "action": "save",
        "version": str(int(version) + 1), "recommendations": "parliament; A/1"})
    assert refused.status_code == 422
    known = "The mechanism is one of: Universal Periodic Review, Treaty body, Special procedure."
    assert known in text(refused)
