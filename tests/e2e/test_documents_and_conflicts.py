"""Documents, languages and the cases where a person acts on a page that is no longer current:
a page open in two tabs, a form sent twice, and the keyboard alone on the request form."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import fill_request_form, sign_in_as

# A small but well-formed PDF: what a State attaches is read by its content, not by its name.
PDF = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
       b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
       b"trailer <</Root 1 0 R>>\n%%EOF\n")


def documents_table(page):
    return page.locator("#documents table")


def test_a_document_uploaded_by_the_state_reaches_the_reviewer_intact(open_page, live_server, screenshot):
    s = live_server.seeded
    state = open_page()
    sign_in_as(state, live_server, s.fiji)
    state.goto(f"{live_server.url}/cases/{s.fiji_returned}")
    state.get_by_label("Document", exact=True).set_input_files(
        files=[{"name": "budget-details.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    state.get_by_role("button", name="Upload").click()
    assert state.url.endswith(f"/cases/{s.fiji_returned}#documents")
    row = documents_table(state).locator("tbody tr", has_text="budget-details.pdf")
    assert row.count() == 1
    screenshot(state, "uploaded")

    reviewer = open_page()
    sign_in_as(reviewer, live_server, s.reviewer)
    reviewer.goto(f"{live_server.url}/cases/{s.fiji_returned}")
    screenshot(reviewer, "listed-for-reviewer")
    with reviewer.expect_download() as download_info:
        documents_table(reviewer).get_by_role("link", name="budget-details.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "budget-details.pdf"
    assert Path(download.path()).read_bytes() == PDF


def test_a_file_that_is_not_what_its_name_says_is_refused(page, live_server, screenshot):
    s = live_server.seeded
    sign_in_as(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/{s.fiji_draft}")
    page.get_by_label("Document", exact=True).set_input_files(
        files=[{"name": "report.pdf", "mimeType": "application/pdf",
                "buffer": b"Minutes of the meeting, typed as plain text.\n"}])
    page.get_by_role("button", name="Upload").click()
    message = "This file is not a PDF, DOCX, XLSX, ODT, PNG or JPEG document"
    assert message in page.locator(".error-summary").inner_text()
    # Said next to the file input too, and tied to it for screen readers.
    upload = page.get_by_label("Document", exact=True)
    assert upload.get_attribute("aria-invalid") == "true"
    assert message in page.locator(f"#{upload.get_attribute('id')}-error").inner_text()
    assert documents_table(page).count() == 0
    assert "No documents yet." in page.locator("#documents").inner_text()
    screenshot(page, "refused")


def test_a_french_speaking_focal_point_sees_its_case_and_the_form_in_french(open_page, live_server,
                                                                              screenshot):
    s = live_server.seeded
    page = open_page("en-GB")  # the account's language (fr) wins over the browser's
    sign_in_as(page, live_server, s.samoa)
    page.goto(f"{live_server.url}/cases/{s.samoa_case}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert "Statut" in page.locator("dl.summary").inner_text()
    assert "Observatoire des droits de l'homme" in page.get_by_role("heading", level=1).inner_text()
    screenshot(page, "dossier")
    page.goto(f"{live_server.url}/cases/new/upr_fund")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert page.get_by_label("Titre", exact=True).is_visible()
    screenshot(page, "formulaire")


def test_a_page_left_open_while_the_case_changed_saves_nothing(open_page, live_server, screenshot):
    s = live_server.seeded
    first = open_page()
    sign_in_as(first, live_server, s.fiji)
    # A draft saved early, with a title only.
    first.goto(f"{live_server.url}/cases/new/upr_fund")
    first.get_by_label("Title", exact=True).fill("Training for judges on the Convention")
    first.get_by_role("button", name="Save draft").click()
    reference = first.locator("h1 .reference").inner_text()
    edit = f"{live_server.url}/cases/{reference}/edit"
    second = first.context.new_page()  # another tab of the same browser, signed in the same
    first.goto(edit)
    second.goto(edit)

    first.get_by_label("Title", exact=True).fill("Training for judges and prosecutors")
    first.get_by_role("button", name="Save draft").click()
    assert first.get_by_role("heading", level=1).inner_text().endswith("Training for judges and prosecutors")

    typed = "Training for judges in the Northern Division"
    second.get_by_label("Title", exact=True).fill(typed)
    second.get_by_label("Objectives", exact=True).fill("Typed in the second tab")
    second.get_by_role("button", name="Save draft").click()
    assert "This case changed while you had the page open" in second.locator(".error-summary").inner_text()
    assert second.get_by_label("Title", exact=True).input_value() == typed
    assert second.get_by_label("Objectives", exact=True).input_value() == "Typed in the second tab"
    screenshot(second, "changed-meanwhile")

    first.goto(f"{live_server.url}/cases/{reference}")
    assert first.get_by_role("heading", level=1).inner_text().endswith("Training for judges and prosecutors")

    # Sending again from the page that showed the message is a deliberate choice, and it saves.
    second.get_by_role("button", name="Save draft").click()
    assert second.get_by_role("heading", level=1).inner_text().endswith(typed)


def test_a_complete_draft_can_be_edited_and_saved(page, live_server, screenshot):
    s = live_server.seeded
    sign_in_as(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/{s.fiji_draft}/edit")
    # The form shows the draft's recommendations and sends them back with the change.
    assert "A/HRC/52/9" in page.get_by_label("Human-rights recommendations addressed").input_value()
    page.get_by_label("Title", exact=True).fill("Training for judges and prosecutors")
    page.get_by_role("button", name="Save draft").click()
    screenshot(page, "saved")
    assert page.url == f"{live_server.url}/cases/{s.fiji_draft}"
    assert "Draft saved" in page.locator(".notification-banner").inner_text()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Training for judges and prosecutors")
    assert "A/HRC/52/9" in page.locator("dl.fields").inner_text()


def test_a_form_sent_twice_opens_one_request(page, live_server, screenshot):
    s = live_server.seeded
    title = "Human rights training for the police"
    sign_in_as(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/new/upr_fund")
    fill_request_form(page, title)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data) if r.method == "POST" else None)
    page.get_by_role("button", name="Save draft").click()
    reference = page.locator("h1 .reference").inner_text()
    assert len(sent) == 1

    # The same form again, as a second click or a resent page sends it: the same one-time token.
    again = page.context.request.post(
        f"{live_server.url}/cases/new/upr_fund", data=sent[0], max_redirects=0,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Origin": live_server.url, "Referer": f"{live_server.url}/cases/new/upr_fund"})
    assert again.status == 303
    assert again.headers["location"].startswith(f"/cases/{reference}")
    page.goto(live_server.url + again.headers["location"])
    assert "That form had already been sent; it was not sent twice." in page.locator(".notice").inner_text()
    screenshot(page, "sent-twice")

    page.goto(f"{live_server.url}/")
    assert page.locator("table.cases tbody tr", has_text=title).count() == 1


def test_going_back_and_saving_again_opens_one_request(page, live_server, screenshot):
    s = live_server.seeded
    title = "Human rights training for prison staff"
    sign_in_as(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/new/upr_fund")
    fill_request_form(page, title)
    page.get_by_role("button", name="Save draft").click()
    assert page.locator("h1 .reference").count() == 1
    page.go_back()
    # The form's one-time token is in its address: the page opened again knows it was sent.
    if page.locator("h1 .reference").count() == 0:  # a browser that showed the old page from its cache
        page.get_by_role("button", name="Save draft").click()
    assert "That form had already been sent; it was not sent twice." in page.locator(".notice").inner_text()
    screenshot(page, "saved-again")
    page.goto(f"{live_server.url}/")
    assert page.locator("table.cases tbody tr", has_text=title).count() == 1


def test_the_request_form_is_reached_and_shown_with_the_keyboard(page, live_server, screenshot):
    s = live_server.seeded
    sign_in_as(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/new/upr_fund")
    title = page.get_by_label("Title", exact=True)
    for _press in range(30):
        page.keyboard.press("Tab")
        if title.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the first field of the request form")
    assert title.evaluate("e => e.matches(':focus-visible')")
    assert title.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.type("Typed without a mouse")
    assert title.input_value() == "Typed without a mouse"
    screenshot(page, "focus")


def test_a_form_sent_after_the_session_ended_is_sent_after_signing_in_again(page, live_server, screenshot):
    from tests.api.conftest import PASSWORD

    s = live_server.seeded
    title = "Typed while the session ran out"
    sign_in_as(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/new/upr_fund")
    fill_request_form(page, title)
    page.context.clear_cookies()  # the session ends while the person is still typing
    page.get_by_role("button", name="Save draft").click()
    assert "Your session had ended, so nothing was sent" in page.locator(".error-summary").inner_text()
    screenshot(page, "session-ended")
    page.get_by_label("E-mail address").fill(s.fiji.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Send what you typed").click()
    screenshot(page, "sent-after-sign-in")
    assert page.get_by_role("heading", level=1).inner_text().endswith(title)
    fields = page.locator("dl.fields").inner_text()
    assert "Legal aid law adopted" in fields and "40 paralegals certified" in fields  # lines kept
