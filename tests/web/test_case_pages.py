"""The case pages: opening, editing and sending a request, acting on it, comments, assignment."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tacase.db.models import AuditEvent, Case, Comment
from tests.api.conftest import PASSWORD
from tests.web.conftest import sign_in

TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def tokens(html: str, index: int = 0) -> dict[str, str]:
    return {"csrf_token": CSRF.findall(html)[index], "form_token": TOKEN.findall(html)[index]}


def as_staff(client, person, api_clock):
    response = sign_in(client, person, totp=person.code(api_clock))
    assert response.status_code == 302, text(response)


def test_a_focal_point_opens_a_draft_then_sends_it(client, seeded):
    sign_in(client, seeded.fiji)
    types = client.get("/cases/new")
    assert types.status_code == 200 and "/cases/new/upr_fund" in text(types)
    page = client.get("/cases/new/upr_fund", follow_redirects=True)
    html = text(page)
    assert page.status_code == 200
    assert 'for="title"' in html and 'for="upr_cycle"' in html and 'id="budget-amount"' in html
    data = {**tokens(html), "title": "Shelters", "budget-amount": "1000", "budget-currency": "usd",
            "upr_cycle": "4", "action": "save"}
    saved = client.post("/cases/new/upr_fund", data=data)
    assert saved.status_code == 303, text(saved)
    case_page = client.get(saved.headers["Location"])
    assert "Shelters" in text(case_page) and "1,000.00 USD" in text(case_page)
    # the same form again: nothing twice
    again = client.post("/cases/new/upr_fund", data=data)
    assert again.status_code == 303 and again.headers["Location"] == saved.headers["Location"]


def test_sending_an_incomplete_request_names_the_missing_fields_and_keeps_the_typing(client, seeded, app):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    response = client.post("/cases/new/upr_fund", data={**tokens(html), "title": "Half done",
                                                        "upr_cycle": "11", "action": "submit"})
    page = text(response)
    assert response.status_code == 422
    assert 'value="Half done"' in page and 'value="11"' in page
    assert 'id="upr_cycle-error"' in page
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalar(select(Case).where(Case.title == "Half done")) is None


def post_form(client, path: str, data: dict[str, str], *, form_index: int = 0, page: str | None = None):
    html = text(client.get(page or path))
    return client.post(path, data={**tokens(html, form_index), **data})


def action_form(client, reference: str, trigger: str, data: dict[str, str]):
    path = f"/cases/{reference}/actions/{trigger}"
    html = text(client.get(path))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    return client.post(path, data={**tokens(html), "version": version, **data})


def button(client, reference: str, trigger: str):
    """Press the case page's button for a trigger that records nothing."""
    html = text(client.get(f"/cases/{reference}"))
    form = re.search(rf'action="/cases/{reference}/actions/{trigger}"(.*?)</form>', html, re.S).group(1)
    return client.post(f"/cases/{reference}/actions/{trigger}", data={
        "csrf_token": CSRF.search(form).group(1), "form_token": TOKEN.search(form).group(1),
        "version": re.search(r'name="version" value="(\d+)"', form).group(1)})


def send_checked(client, reference: str):
    """Send a draft the way the case page leads: through its "check your answers" page."""
    html = text(client.get(f"/cases/{reference}/check"))
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    return client.post(f"/cases/{reference}/check", data={**tokens(html), "version": version})


def test_the_whole_journey_through_the_pages(app, seeded, api_clock):
    fiji, reviewer, approver = app.test_client(), app.test_client(), app.test_client()
    sign_in(fiji, seeded.fiji)
    as_staff(reviewer, seeded.reviewer, api_clock)
    as_staff(approver, seeded.approver, api_clock)
    ref = seeded.fiji_draft
    assert send_checked(fiji, ref).status_code == 303
    # the reviewer asks for information; the State answers it
    response = action_form(reviewer, ref, "return_to_state", {"questions": "Which islands?"})
    assert response.status_code == 303, text(response)
    page = text(fiji.get(f"/cases/{ref}"))
    assert "OHCHR is waiting for your reply" in page and "Which islands?" in page
    assert action_form(fiji, ref, "resubmit", {"reply": "Three outer islands."}).status_code == 303
    # review, then the four-eyes approval by someone else
    response = action_form(reviewer, ref, "review", {"assessment": "Sound.", "recommendation": "approve"})
    assert response.status_code == 303
    assert "Sound." not in text(fiji.get(f"/cases/{ref}"))  # internal record fields stay inside
    response = action_form(approver, ref, "approve", {"approved_amount-amount": "5000",
                                                      "approved_amount-currency": "USD"})
    assert response.status_code == 303, text(response)
    response = action_form(reviewer, ref, "deliver", {
        "start_date": "2026-03-02", "end_date": "2026-03-01", "activities": "Workshops",
        "amount-amount": "5000", "amount-currency": "USD"})
    assert response.status_code == 422 and "must not be before" in text(response)
    response = action_form(reviewer, ref, "deliver", {
        "start_date": "2026-03-02", "end_date": "2026-03-20", "activities": "Workshops",
        "amount-amount": "5000", "amount-currency": "USD"})
    assert response.status_code == 303
    # the State's feedback is offered to the evaluation
    response = post_form(fiji, f"/cases/{ref}/feedback", {"body": "Very useful workshops."},
                         page=f"/cases/{ref}", form_index=_form_index(fiji, ref, "feedback"))
    assert response.status_code == 303, text(response)
    evaluation = text(reviewer.get(f"/cases/{ref}/actions/evaluate"))
    assert "Very useful workshops." in evaluation
    response = action_form(reviewer, ref, "evaluate", {"rating": "satisfactory", "findings": "Done well.",
                                                       "state_feedback": "Very useful workshops."})
    assert response.status_code == 303
    final = text(fiji.get(f"/cases/{ref}"))
    assert "Completed" in final and "What you can do now" not in final


def _form_index(client, reference: str, suffix: str) -> int:
    html = text(client.get(f"/cases/{reference}"))
    actions = re.findall(r'<form method="post"[^>]*action="([^"]+)"', html)
    forms_with_tokens = [a for a in actions]
    return forms_with_tokens.index(f"/cases/{reference}/{suffix}")


def test_a_stale_page_says_the_case_changed_and_saves_nothing(app, seeded, api_clock):
    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    ref = seeded.fiji_returned
    old = text(fiji.get(f"/cases/{ref}/edit"))
    other = app.test_client()
    sign_in(other, seeded.fiji)
    first = post_form(other, f"/cases/{ref}/edit", {"title": "Changed elsewhere", "action": "save",
                                                    "version": _version(old)})
    assert first.status_code == 303
    version = re.search(r'name="version" type="hidden" value="(\d+)"', old).group(1)
    stale = fiji.post(f"/cases/{ref}/edit", data={**tokens(old), "version": version,
                                                   "title": "My older edit", "action": "save"})
    html = text(stale)
    assert stale.status_code == 409
    assert "This case changed while you had the page open" in html and 'value="My older edit"' in html
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalar(select(Case.title).where(Case.reference == ref)) == "Changed elsewhere"


def test_comments_internal_and_to_the_state(app, seeded, api_clock):
    reviewer, fiji = app.test_client(), app.test_client()
    as_staff(reviewer, seeded.reviewer, api_clock)
    sign_in(fiji, seeded.fiji)
    ref = seeded.fiji_returned
    index = _form_index(reviewer, ref, "comments")
    sent = post_form(reviewer, f"/cases/{ref}/comments",
                     {"body": "Budget looks high", "visibility": "internal"},
                     page=f"/cases/{ref}", form_index=index)
    assert sent.status_code == 303
    index = _form_index(reviewer, ref, "comments")
    sent = post_form(reviewer, f"/cases/{ref}/comments",
                     {"body": "Please add a timeline", "visibility": "state"},
                     page=f"/cases/{ref}", form_index=index)
    assert sent.status_code == 303
    state_page = text(fiji.get(f"/cases/{ref}"))
    assert "Please add a timeline" in state_page and "Budget looks high" not in state_page
    index = _form_index(fiji, ref, "comments")
    empty = post_form(fiji, f"/cases/{ref}/comments", {"body": ""}, page=f"/cases/{ref}", form_index=index)
    assert empty.status_code == 422 and "Write the comment." in text(empty)


def test_assignment_and_the_board_reads_only(app, seeded, api_clock):
    reviewer, board = app.test_client(), app.test_client()
    as_staff(reviewer, seeded.reviewer, api_clock)
    as_staff(board, seeded.board, api_clock)
    ref = seeded.samoa_case
    index = _form_index(reviewer, ref, "assignee")
    html = text(reviewer.get(f"/cases/{ref}"))
    reviewer_id = re.search(r'<option value="(\d+)">[^<]*&lt;reviewer@example.org&gt;', html).group(1)
    response = post_form(reviewer, f"/cases/{ref}/assignee", {"assignee": reviewer_id,
                                                              "version": _version(html)},
                         page=f"/cases/{ref}", form_index=index)
    assert response.status_code == 303, text(response)
    assert "reviewer@example.org" not in text(board.get(f"/cases/{ref}")).split("Assigned to")[0]
    page = text(board.get(f"/cases/{ref}"))
    assert "<form method=\"post\" action=\"/cases" not in page
    assert board.post(f"/cases/{ref}/comments", data={"body": "x"}).status_code == 403
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "case.assigned")) is not None
        assert s.scalar(select(Comment)) is None


def _version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def upload(client, reference: str, content: bytes, name: str):
    import io

    index = _form_index(client, reference, "documents")
    html = text(client.get(f"/cases/{reference}"))
    return client.post(f"/cases/{reference}/documents", content_type="multipart/form-data",
                       data={**tokens(html, index), "file": (io.BytesIO(content), name)})


def test_upload_and_download_a_document(app, seeded, api_clock):
    fiji, reviewer = app.test_client(), app.test_client()
    sign_in(fiji, seeded.fiji)
    as_staff(reviewer, seeded.reviewer, api_clock)
    ref = seeded.fiji_returned
    response = upload(fiji, ref, PDF, "Budget détaillé.pdf")
    assert response.status_code == 303, text(response)
    page = text(reviewer.get(f"/cases/{ref}"))
    link = re.search(rf'href="(/cases/{ref}/documents/\d+)"', page).group(1)
    assert "Budget détaillé.pdf" in page and "PDF" in page
    download = reviewer.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Budget%20d%C3%A9taill%C3%A9.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()  # sent from an open file
    with app.extensions["tacase"]["sessions"]() as s:
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("document.%"))))
    assert actions == {"document.uploaded", "document.downloaded"}
    other = app.test_client()
    sign_in(other, seeded.samoa)
    assert other.get(link).status_code == 404


def test_a_bad_upload_is_refused_with_a_reason(app, seeded, api_clock):
    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    ref = seeded.fiji_returned
    response = upload(fiji, ref, b"MZ\x90\x00 not really a pdf", "report.pdf")
    assert response.status_code == 415
    assert "is not a PDF, DOCX, XLSX, ODT, PNG or JPEG document" in text(response)
    empty = upload(fiji, ref, b"", "empty.pdf")
    assert empty.status_code in (422, 415)
    assert "No documents yet." in text(fiji.get(f"/cases/{ref}"))


def test_an_office_document_with_macros_is_refused_with_the_reason(app, seeded):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/vbaProject.bin", "Attribute VB_Name")
    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    response = upload(fiji, seeded.fiji_returned, buffer.getvalue(), "plan.docm")
    assert response.status_code == 422
    assert "This file contains macros" in text(response)


def test_an_upload_above_the_limit_is_refused_with_413(fresh_db, api_clock):
    from tests.api.conftest import make_app
    from tests.web.seed import populate

    app = make_app(fresh_db, api_clock, TACASE_MAX_UPLOAD_BYTES="2048")
    try:
        seeded = populate(app.extensions["tacase"]["sessions"], api_clock)
        fiji = app.test_client()
        sign_in(fiji, seeded.fiji)
        response = upload(fiji, seeded.fiji_returned, PDF + b"0" * 4096, "big.pdf")
        assert response.status_code == 413
        assert "larger than the limit" in text(response)
    finally:
        app.extensions["tacase"]["engine"].dispose()


def test_pages_are_html_errors_not_json(client, seeded):
    sign_in(client, seeded.fiji)
    missing = client.get("/cases/NOPE-1")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Page not found" in text(missing)
    other = client.get(f"/cases/{seeded.samoa_case}")
    assert other.status_code == 404  # another State's case does not exist for Fiji
    assert client.get("/api/v1/cases/NOPE-1").mimetype == "application/json"


def test_the_request_form_opened_again_after_sending_goes_to_the_request(client, seeded):
    sign_in(client, seeded.fiji)
    first = client.get("/cases/new/upr_fund")
    assert first.status_code == 302 and "?form=" in first.headers["Location"]
    form_url = first.headers["Location"]
    html = text(client.get(form_url))
    saved = client.post("/cases/new/upr_fund", data={**tokens(html), "title": "Once only", "action": "save"})
    back = client.get(form_url)  # Back, or a reload of the form page
    assert back.status_code == 303 and back.headers["Location"] == saved.headers["Location"]
    assert "already been sent" in text(client.get(back.headers["Location"]))
    assert client.get("/cases/new/nope?form=abc").status_code == 404


def test_the_case_page_reads_the_same_number_of_rows_whatever_its_history(app, seeded, api_clock):
    """No per-row queries: comments, documents, history and the people named in them load in bulk."""
    from sqlalchemy import event

    from tacase.db.models import User
    from tacase.services import comments as comment_service
    from tacase.services.actors import Actor

    reviewer = app.test_client()
    as_staff(reviewer, seeded.reviewer, api_clock)
    engine = app.extensions["tacase"]["engine"]

    def statements(path: str) -> int:
        seen: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert reviewer.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    ref = seeded.fiji_returned

    def comment(count: int) -> None:
        with app.extensions["tacase"]["sessions"]() as s:
            people = [Actor.for_user(u) for u in s.scalars(select(User).where(User.email.in_(
                [seeded.reviewer.email, seeded.approver.email, seeded.fiji.email])))]
            for i in range(count):
                comment_service.add_comment(s, people[i % 3], api_clock, ref, f"Comment {i}",
                                            "state" if people[i % 3].is_state_user else "internal")
            s.commit()

    comment(1)
    few = statements(f"/cases/{ref}")
    comment(12)
    assert statements(f"/cases/{ref}") == few


def test_a_form_still_being_handled_answers_409(app, seeded, api_clock):
    """The second of two quick clicks, while the first still holds the token."""
    import datetime as dt

    from tacase.db.models import IdempotencyKey, User

    fiji = app.test_client()
    sign_in(fiji, seeded.fiji)
    ref = seeded.fiji_returned
    index = _form_index(fiji, ref, "comments")
    html = text(fiji.get(f"/cases/{ref}"))
    sent = tokens(html, index)
    with app.extensions["tacase"]["sessions"]() as s:
        user_id = s.scalar(select(User.id).where(User.email == seeded.fiji.email))
        now = api_clock()
        s.add(IdempotencyKey(user_id=user_id, key="form:" + sent["form_token"], endpoint="web.case_comment",
                             request_hash="in flight", created_at=now,
                             locked_until=now + dt.timedelta(minutes=1)))
        s.commit()
    response = fiji.post(f"/cases/{ref}/comments", data={**sent, "body": "Quick second click"})
    assert response.status_code == 409 and "being sent already" in text(response)
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalar(select(Comment)) is None


def test_a_step_not_possible_yet_says_which_fields_by_their_labels(client, seeded):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    saved = client.post("/cases/new/upr_fund",
                        data={**tokens(html), "title": "Only a title", "action": "save"})
    page = text(client.get(saved.headers["Location"]))
    assert "Not possible yet: fill in first: Objectives, Activities, Expected results" in page
    assert "UPR cycle of the recommendations" in page.split("Not possible yet")[1].split("</p>")[0]


def test_a_form_sent_after_the_session_ended_keeps_what_was_typed(client, seeded, app):
    sign_in(client, seeded.fiji)
    html = text(client.get("/cases/new/upr_fund", follow_redirects=True))
    client.post("/sign-out", data={"csrf_token": CSRF.search(html).group(1)})  # as an idle timeout would
    typed = {**tokens(html), "title": "Typed <before> the timeout", "objectives": "Line one\nLine two",
             "action": "save"}
    answer = client.post("/cases/new/upr_fund", data=typed)
    page = text(answer)
    assert answer.status_code == 401 and "Your session had ended, so nothing was sent" in page
    assert 'name="resume:title" value="Typed &lt;before&gt; the timeout"' in page
    carried = dict(re.findall(r'name="(resume:[^"]+|resume_path)" value="([^"]*)"', page))
    signed_in = client.post("/sign-in", data={
        "csrf_token": CSRF.search(page).group(1), "email": seeded.fiji.email,
        "password": PASSWORD,
        **{k: v.replace("&lt;", "<").replace("&gt;", ">") for k, v in carried.items()}})
    resend = text(signed_in)
    assert signed_in.status_code == 200 and "Send what you typed" in resend
    assert 'action="/cases/new/upr_fund"' in resend
    fields = dict(re.findall(r'<input type="hidden" name="(?!csrf_token|form_token)([^"]+)" value="([^"]*)"',
                             resend))
    sent = client.post("/cases/new/upr_fund", data={**tokens(resend), **{
        k: v.replace("&lt;", "<").replace("&gt;", ">") for k, v in fields.items()}})
    assert sent.status_code == 303
    with app.extensions["tacase"]["sessions"]() as s:
        case = s.scalar(select(Case).where(Case.title == "Typed <before> the timeout"))
        assert case is not None and case.objectives == "Line one\nLine two"


def test_only_paths_on_this_site_are_resumed(client, seeded):
    html = text(client.get("/sign-in"))
    answer = client.post("/sign-in", data={
        "csrf_token": CSRF.search(html).group(1), "email": seeded.fiji.email,
        "password": PASSWORD, "resume_path": "//evil.example/x", "resume:title": "x"})
    assert answer.status_code == 302  # signed in, nothing offered to send anywhere


def test_the_state_publishes_a_request_and_stops_publishing_it(app, client, seeded, api_clock):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_returned  # sent to OHCHR, back with the State for a reply
    page = text(client.get(f"/cases/{ref}"))
    assert "This request is not published." in page
    panel = page.split('id="publication"')[1].split("</section>")[0]
    assert "<li>Title</li>" in panel and "Focal point" not in panel
    index = _form_index(client, ref, "consent")
    response = post_form(client, f"/cases/{ref}/consent", {"consent": "yes", "version": _version(page)},
                         page=f"/cases/{ref}", form_index=index)
    assert response.status_code == 303, text(response)
    assert response.headers["Location"].endswith("#publication")
    assert ref in client.get("/api/v1/public/cases").get_data(as_text=True)
    page = text(client.get(f"/cases/{ref}"))
    assert "You agreed to publish this request." in page and "Stop publishing this request" in page
    response = post_form(client, f"/cases/{ref}/consent", {"consent": "no", "version": _version(page)},
                         page=f"/cases/{ref}", form_index=_form_index(client, ref, "consent"))
    assert response.status_code == 303
    assert ref not in client.get("/api/v1/public/cases").get_data(as_text=True)
    with app.extensions["tacase"]["sessions"]() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.case_id.is_not(None))
                            .where(AuditEvent.action.like("case.consent%")).order_by(AuditEvent.seq)).all()
    assert actions == ["case.consent_given", "case.consent_withdrawn"]


def test_only_the_state_sees_the_publication_choice(app, seeded, api_clock):
    reviewer = app.test_client()
    as_staff(reviewer, seeded.reviewer, api_clock)
    page = text(reviewer.get(f"/cases/{seeded.samoa_case}"))
    assert 'id="publication"' not in page
    refused = reviewer.post(f"/cases/{seeded.samoa_case}/consent", data={"consent": "yes"})
    assert refused.status_code in (400, 403)


def test_the_form_says_what_consent_publishes(client, seeded):
    sign_in(client, seeded.fiji)
    html = text(client.get(f"/cases/{seeded.fiji_draft}/edit"))
    assert "If you agree, anyone can read these on the public record once the request is sent: Title," in html


def _publication_form(html: str, reference: str) -> tuple[str, dict[str, str]]:
    """The first document's publication form on a case page: its address and what it sends."""
    found = re.search(rf'action="(/cases/{reference}/documents/\d+/publication)"(.*?)</form>', html, re.S)
    form = found.group(2)
    return found.group(1), {"csrf_token": CSRF.search(form).group(1),
                            "form_token": TOKEN.search(form).group(1),
                            "public": re.search(r'name="public" type="hidden" value="(\w+)"', form).group(1)}


def test_the_state_publishes_a_document_with_the_request(app, client, seeded, api_clock):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_returned
    assert upload(client, ref, PDF, "Workshop agenda.pdf").status_code == 303
    page = text(client.get(f"/cases/{ref}"))
    assert "Not published" in page and "only while you agree to publish the request" in page
    action, data = _publication_form(page, ref)
    assert data["public"] == "yes" and "Publish with the request" in page
    response = client.post(action, data=data)
    assert response.status_code == 303, text(response)
    assert response.headers["Location"].endswith("#documents")
    page = text(client.get(response.headers["Location"]))
    assert "“Workshop agenda.pdf” is published with the request." in page
    assert "Published with the request" in page and "Stop publishing" in page
    assert client.post(action, data=data).status_code == 303  # the same form again does nothing more
    public_page = app.test_client()
    assert public_page.get(f"/public/record/{ref}").status_code == 404  # the State has not consented
    response = post_form(client, f"/cases/{ref}/consent", {"consent": "yes", "version": _version(page)},
                         page=f"/cases/{ref}", form_index=_form_index(client, ref, "consent"))
    assert response.status_code == 303
    shown = text(public_page.get(f"/public/record/{ref}"))
    link = re.search(rf'href="(/public/record/{ref}/documents/\d+)"', shown).group(1)
    assert "Workshop agenda.pdf" in shown and f"PDF, {len(PDF)} bytes" in shown
    download = public_page.get(link)
    assert download.status_code == 200 and download.data == PDF and "Set-Cookie" not in download.headers
    download.close()

    action, data = _publication_form(text(client.get(f"/cases/{ref}")), ref)
    assert data["public"] == "no"
    page = text(client.get(client.post(action, data=data).headers["Location"]))
    assert "“Workshop agenda.pdf” is no longer published." in page and "Publish with the request" in page
    assert "Workshop agenda.pdf" not in text(public_page.get(f"/public/record/{ref}"))
    assert public_page.get(link).status_code == 404
    with app.extensions["tacase"]["sessions"]() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("document.%published"))
                            .order_by(AuditEvent.seq)).all()
    assert actions == ["document.published", "document.unpublished"]


def test_the_office_sees_what_is_published_and_cannot_change_it(app, seeded, api_clock):
    fiji, reviewer = app.test_client(), app.test_client()
    sign_in(fiji, seeded.fiji)
    ref = seeded.fiji_returned
    assert upload(fiji, ref, PDF, "Workshop agenda.pdf").status_code == 303
    action, data = _publication_form(text(fiji.get(f"/cases/{ref}")), ref)
    assert fiji.post(action, data=data).status_code == 303
    as_staff(reviewer, seeded.reviewer, api_clock)
    page = text(reviewer.get(f"/cases/{ref}"))
    assert "Published with the request" in page and "The State chooses which documents" in page
    assert "Document published with the request" in page  # the history says it in words
    assert "/publication" not in page and "Stop publishing" not in page
    assert reviewer.post(action, data={"public": "no"}).status_code == 403
    samoa = app.test_client()
    sign_in(samoa, seeded.samoa)
    assert samoa.post(action, data={"public": "no"}).status_code == 404


@pytest.mark.parametrize("value", ["maybe", "", "YES"])
def test_a_publication_form_with_another_value_is_refused(client, seeded, value):
    sign_in(client, seeded.fiji)
    ref = seeded.fiji_returned
    upload(client, ref, PDF, "Workshop agenda.pdf")
    action, data = _publication_form(text(client.get(f"/cases/{ref}")), ref)
    assert client.post(action, data={**data, "public": value}).status_code == 400
    assert client.post(action.replace("/documents/", "/documents/9"), data=data).status_code == 404
    assert "Not published" in text(client.get(f"/cases/{ref}"))


def test_the_states_case_page_speaks_plainly(client, seeded, app, api_clock):
    """No case version, no SHA-256 column, no clock jargon, and a deadline that ends with a day is a
    date: the last day to reply, not midnight of the next."""
    import datetime as dt
    import io
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from tacase.db.models import User
    from tacase.services import documents
    from tacase.services.actors import Actor

    zone = ZoneInfo(app.extensions["tacase"]["runtime"].timezone)
    with app.extensions["tacase"]["sessions"]() as s:
        fiji = Actor.for_user(s.scalar(select(User).where(User.email == seeded.fiji.email)))
        sha256 = documents.upload(s, fiji, api_clock, seeded.fiji_returned, filename="budget.pdf",
                                  stream=io.BytesIO(b"%PDF-1.4\n%%EOF\n"),
                                  directory=Path(app.config["DOCUMENTS_DIR"]), max_bytes=1_000_000).sha256
        case = s.scalar(select(Case).where(Case.reference == seeded.fiji_returned))
        case.due_at = dt.datetime(2026, 3, 13, tzinfo=zone)  # midnight starting 13 March
        s.commit()
    sign_in(client, seeded.fiji)
    page = text(client.get(f"/cases/{seeded.fiji_returned}"))
    for jargon in ("Case version", "SHA-256", "clock is paused", "13 March", "00:00 ("):
        assert jargon not in page, jargon
    assert "12 March 2026" in page and "Please reply by 12 March 2026." in page
    assert "We are waiting for your reply; the time you take does not count against the office" in page
    assert "Check this file" in page and sha256 in page
