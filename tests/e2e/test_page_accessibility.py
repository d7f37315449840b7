"""Every type of page, in its full, empty, error and feedback states, checked in headless Chromium:
axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation, and at 320 CSS pixels wide the page reflows
with no sideways scrolling (WCAG 1.4.10) except inside a table's own scroll box.

One server and one browser for the module; each person signs in once and each page reuses the
session. axe-core comes from npm (package.json, installed by `make test`); without it the axe half
of each check skips, saying so, and the reflow half still runs.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tacase.db.models import User
from tacase.services import accounts, cases, comments, documents, public_record, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.calls import authoring, invitations, responses, stakeholders
from tests.api.conftest import PASSWORD, complete_fields
from tests.e2e.conftest import ROOT, LiveServer, serve, sign_in_as
from tests.integration.call_fixtures import COMPLETE, RAW, make_call
from tests.web.seed import Person

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW = {"width": 320, "height": 800}
WIDE = {"width": 1280, "height": 900}
PDF = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
       b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
       b"trailer <</Root 1 0 R>>\n%%EOF\n")
# Long words and long file names are what push a narrow page sideways.
LONG_NAME = "Budget-breakdown-for-the-outer-islands-legal-aid-workshops-final-version.pdf"
FEEDBACK = "The workshops reached every island; the law was tabled in November."


@dataclass(frozen=True)
class Extra:
    """What the pages need beyond tests/web/seed.py: a case with documents, comments and the State's
    feedback, a published and evaluated one, and a State's focal point with no case at all."""
    delivered: str  # Fiji's, delivered, with a document, comments both ways and Fiji's feedback
    published: str  # Fiji's, evaluated, on the public record with a published document
    empty: Person  # focal point of Kenya, which has no request
    reviewed: str  # Fiji's, reviewed, awaiting the approver's decision
    reviewer_id: int
    calls: CallPages  # a questionnaire Fiji answered and a call for submissions with a contribution


@dataclass(frozen=True)
class CallPages:
    invitation: str  # the path of a colleague's single-use invitation
    contribution: str  # the path of a stakeholder's draft, behind its e-mailed link
    response_id: int  # Fiji's submitted response to the questionnaire
    office_call: str  # a call an administrator wrote in the pages


def _enrich(server: LiveServer, directory: Path) -> Extra:
    app_sessions, clock, s = server.app.extensions["tacase"]["sessions"], server.clock, server.seeded
    with app_sessions() as db:
        def actor(person: Person) -> Actor:
            return Actor.for_user(db.scalar(select(User).where(User.email == person.email)))

        fiji, reviewer, approver = actor(s.fiji), actor(s.reviewer), actor(s.approver)
        accounts.create_user(db, SYSTEM, clock, email="focal.kenya@example.org", roles=["state_focal_point"],
                             password=PASSWORD, state_code="KEN")

        def through_delivery(title: str) -> str:
            reference = cases.open_draft(db, fiji, clock, type="upr_fund", fields={
                **complete_fields(), "title": title}).reference
            for who, trigger, data in (
                (fiji, "submit", None),
                (reviewer, "review", {"assessment": "Sound plan.", "recommendation": "approve"}),
                (approver, "approve", {"approved_amount": {"amount": "45000.00", "currency": "USD"},
                                       "conditions": "A narrative report within 60 days."}),
                (reviewer, "deliver", {"start_date": "2026-03-02", "end_date": "2026-03-02",
                                       "activities": "Six workshops.",
                                       "amount": {"amount": "44000.00", "currency": "USD"}}),
            ):
                transitions.fire_transition(db, who, clock, reference, trigger, data=data)
            document = documents.upload(db, fiji, clock, reference, filename=LONG_NAME,
                                        stream=io.BytesIO(PDF), directory=directory, max_bytes=10_000_000)
            comments.add_comment(db, reviewer, clock, reference, "Please send the attendance lists.", "state")
            comments.add_comment(db, reviewer, clock, reference, "Internal note on the budget.", "internal")
            comments.add_comment(db, fiji, clock, reference, "The lists are attached.")
            comments.give_feedback(db, fiji, clock, reference, FEEDBACK)
            documents.set_publication(db, fiji, clock, reference, document.id, True)
            return reference

        delivered = through_delivery("Legal aid for the outer islands")
        published = through_delivery("Paralegals for the northern division")
        transitions.fire_transition(db, reviewer, clock, published, "evaluate", data={
            "rating": "satisfactory", "findings": "Results achieved.", "state_feedback": FEEDBACK,
            "public_summary": "Paralegals trained on every island."})
        public_record.set_consent(db, fiji, clock, published, True)
        reviewed = cases.open_draft(db, fiji, clock, type="upr_fund", fields={
            **complete_fields(), "title": "Court interpreters"}).reference
        transitions.fire_transition(db, fiji, clock, reviewed, "submit")
        transitions.fire_transition(db, reviewer, clock, reviewed, "review",
                                    data={"assessment": "Sound plan.", "recommendation": "approve"})
        call_pages = _calls(db, server, fiji)
        db.commit()
        return Extra(delivered, published, Person("focal.kenya@example.org"), reviewed, reviewer.id,
                     call_pages)


def _calls(db: Any, server: LiveServer, fiji: Actor) -> CallPages:
    """A questionnaire to Fiji and Kenya that Fiji answered and passed on to a ministry, and a call for
    submissions with a stakeholder's contribution published and another one's draft."""
    clock = server.clock
    make_call(db, clock)
    responses.save_draft(db, fiji, clock, "test-needs", COMPLETE)
    submitted = responses.submit(db, fiji, clock, "test-needs")
    _, invitation = invitations.invite(db, fiji, clock, "test-needs", email="planning@health.gov.fj",
                                       ministry="Ministry of Health", respondent_type="ministry",
                                       base_url=server.url)
    make_call(db, clock, key="test-submissions", kind="submissions", stakeholders=True,
              publish_submissions=True, submitted_by="each")
    paths = []
    for organisation, consent in (("Fiji Human Rights Commission", True), ("Pacific Rights Network", None)):
        _, link = stakeholders.start(db, clock, "test-submissions", name="Ana", organisation=organisation,
                                     respondent_type="nhri", email="ana@example.org", base_url=server.url)
        token = link.rsplit("/", 1)[-1]
        stakeholders.contribution(db, clock, token)
        if consent:
            stakeholders.save_draft(db, clock, token, COMPLETE)
            stakeholders.submit(db, clock, token, consent_to_publish=True)
        paths.append(f"/calls/contributions/{token}")
    admin = Actor.for_user(db.scalar(select(User).where(User.email == server.seeded.admin.email)))
    office, _ = authoring.write_call(db, admin, clock, {**RAW, "key": "office-needs"},
                                     timezone="Europe/Zurich")
    return CallPages(invitation.removeprefix(server.url), paths[1], submitted.id, office.key)


@dataclass
class Site:
    server: LiveServer
    extra: Extra
    browser: Any
    sessions: dict[str, Any] = field(default_factory=dict)  # person's e-mail -> storage state

    def page_for(self, person: Person | None):
        """A page in a new context, signed in as person (once per person for the module)."""
        # bypass_csp: axe is injected as a script the pages' policy would rightly refuse.
        options: dict[str, Any] = {"locale": "en-GB", "bypass_csp": True, "viewport": WIDE}
        if person is not None:
            if person.email not in self.sessions:
                context = self.browser.new_context(**options)
                sign_in_as(context.new_page(), self.server, person)
                self.sessions[person.email] = context.storage_state()
                context.close()
            options["storage_state"] = self.sessions[person.email]
        context = self.browser.new_context(**options)
        return context, context.new_page()


@pytest.fixture(scope="module")
def site(module_db, browser) -> Iterator[Site]:
    for server in serve(module_db):
        directory = Path(server.app.config["DOCUMENTS_DIR"])
        yield Site(server, _enrich(server, directory), browser)


# --- the page types -------------------------------------------------------------------------------

def _fill_nothing_and_send(button: str) -> Callable[[Any], None]:
    def act(page: Any) -> None:
        page.get_by_role("button", name=button, exact=True).click()
        assert page.locator(".error-summary").count() == 1, "the form was expected to show its errors"
    return act


def _wrong_password(page: Any) -> None:
    page.get_by_label("E-mail address").fill("focal.fiji@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".error-summary").count() == 1


def _answer_a_year_in_words(page: Any) -> None:
    page.locator("#q-has_plan-1").check()
    page.locator('[data-question="plan_year"] input').fill("soon")
    page.locator('button[value="save"]').click()
    assert page.locator(".error-summary").count() == 1, "the form was expected to show its errors"


def _write_a_broken_call(page: Any) -> None:
    page.get_by_label("The call").fill("key: needs\nkind: poll\n")
    page.get_by_role("button", name="Save the call").click()
    assert page.locator(".error-summary").count() == 1


def _build_a_broken_call(page: Any) -> None:
    """The form of a new call sent with a bad short name, a date that is none and no question."""
    page.locator("#key").fill("Needs 2027")
    page.locator("#opens_day").fill("31")
    page.locator("#opens_month").fill("2")
    page.locator("#opens_year").fill("2027")
    page.get_by_role("button", name="Save the call").click()
    assert page.locator(".error-summary").count() == 1 and page.locator("#key-error").count() == 1


@dataclass(frozen=True)
class PageType:
    name: str
    who: str | None  # an attribute of Seeded or Extra naming the person; None: nobody signed in
    path: Callable[[Site], str]
    act: Callable[[Any], None] | None = None  # what to do on the page before it is checked
    status: int = 200


PAGES = (
    PageType("sign-in", None, lambda s: "/sign-in"),
    PageType("sign-in-error", None, lambda s: "/sign-in", _wrong_password),
    PageType("dashboard", "fiji", lambda s: "/"),
    PageType("dashboard-empty", "empty", lambda s: "/"),
    PageType("request-types", "fiji", lambda s: "/cases/new"),
    PageType("request-form", "fiji", lambda s: "/cases/new/upr_fund"),
    PageType("request-form-errors", "fiji", lambda s: "/cases/new/upr_fund",
             _fill_nothing_and_send("Save and check before sending")),
    PageType("check-answers", "fiji", lambda s: f"/cases/{s.server.seeded.fiji_draft}/check"),
    PageType("withdraw-confirmation", "fiji",
             lambda s: f"/cases/{s.server.seeded.fiji_returned}/actions/withdraw"),
    PageType("reject-confirmation", "approver", lambda s: f"/cases/{s.extra.reviewed}/actions/reject"),
    PageType("approval", "approver", lambda s: f"/cases/{s.extra.reviewed}/actions/approve"),
    PageType("reply-with-attachment", "fiji",
             lambda s: f"/cases/{s.server.seeded.fiji_returned}/actions/resubmit"),
    PageType("case-state-awaited", "fiji", lambda s: f"/cases/{s.server.seeded.fiji_returned}"),
    PageType("case-state-draft", "fiji", lambda s: f"/cases/{s.server.seeded.fiji_draft}"),
    PageType("case-state-feedback", "fiji", lambda s: f"/cases/{s.extra.delivered}"),
    PageType("case-state-completed", "fiji", lambda s: f"/cases/{s.extra.published}"),
    PageType("case-staff-actions", "reviewer", lambda s: f"/cases/{s.extra.delivered}"),
    PageType("case-staff-submitted", "reviewer", lambda s: f"/cases/{s.server.seeded.samoa_case}"),
    PageType("case-board", "board", lambda s: f"/cases/{s.extra.published}"),
    PageType("case-action", "reviewer", lambda s: f"/cases/{s.server.seeded.samoa_case}/actions/review"),
    PageType("case-action-errors", "reviewer",
             lambda s: f"/cases/{s.server.seeded.samoa_case}/actions/review",
             _fill_nothing_and_send("Record the review")),
    PageType("case-edit", "fiji", lambda s: f"/cases/{s.server.seeded.fiji_draft}/edit"),
    PageType("queue", "reviewer", lambda s: "/cases"),
    PageType("queue-empty", "reviewer", lambda s: "/cases?q=nothing-has-this-title"),
    PageType("queue-error", "reviewer", lambda s: "/cases?status=no-such-status", status=422),
    PageType("audit", "board", lambda s: "/audit"),
    PageType("audit-empty", "board", lambda s: "/audit?case=XXX-0000-000"),
    PageType("audit-error", "board", lambda s: "/audit?since=not-a-date", status=422),
    PageType("admin-users", "admin", lambda s: "/admin/users"),
    PageType("admin-user", "admin", lambda s: f"/admin/users/{s.extra.reviewer_id}"),
    PageType("admin-user-new", "admin", lambda s: "/admin/users/new"),
    PageType("admin-user-new-errors", "admin", lambda s: "/admin/users/new",
             _fill_nothing_and_send("Create the account")),
    PageType("closures", "admin", lambda s: "/admin/closures"),
    PageType("account", "fiji", lambda s: "/account"),
    PageType("mfa", "unenrolled", lambda s: "/account/mfa"),
    PageType("staff-statistics", "board", lambda s: "/statistics"),
    PageType("annual-report", "board", lambda s: "/reports/annual?year=2026"),
    PageType("annual-report-error", "board", lambda s: "/reports/annual?year=abc", status=400),
    PageType("hra-report", "admin", lambda s: "/reports/hra"),
    PageType("admin-iati", "admin", lambda s: "/admin/iati"),
    PageType("public-record", None, lambda s: "/public/record"),
    PageType("public-record-empty", None, lambda s: "/public/record?q=nothing-has-this-title"),
    PageType("public-case", None, lambda s: f"/public/record/{s.extra.published}"),
    PageType("public-state", None, lambda s: "/public/states/FJI"),
    PageType("public-state-empty", None, lambda s: "/public/states/KEN"),
    PageType("public-statistics", None, lambda s: "/public/statistics"),
    PageType("public-statistics-method", None, lambda s: "/public/statistics/method"),
    PageType("public-data", None, lambda s: "/public/data"),
    PageType("call-state", "fiji", lambda s: "/calls/test-needs/state"),
    PageType("call-answer", "empty", lambda s: "/calls/test-needs/respond"),
    PageType("call-answer-errors", "empty", lambda s: "/calls/test-needs/respond", _answer_a_year_in_words),
    PageType("call-check", "empty", lambda s: "/calls/test-needs/check"),
    PageType("call-done", "fiji", lambda s: "/calls/test-needs/done"),
    PageType("call-invitation", None, lambda s: s.extra.calls.invitation),
    PageType("calls-office", "reviewer", lambda s: "/calls"),
    PageType("call-followup", "reviewer", lambda s: "/calls/test-needs/followup"),
    PageType("call-results", "board", lambda s: "/calls/test-needs/results"),
    PageType("call-responses", "reviewer", lambda s: "/calls/test-needs/responses"),
    PageType("call-response", "reviewer",
             lambda s: f"/calls/test-needs/responses/{s.extra.calls.response_id}"),
    PageType("call-contribute", None, lambda s: "/calls/test-submissions/contribute"),
    PageType("call-contribution", None, lambda s: s.extra.calls.contribution),
    PageType("public-calls", None, lambda s: "/public/calls"),
    PageType("public-call", None, lambda s: "/public/calls/test-submissions"),
    PageType("admin-calls", "admin", lambda s: "/admin/calls"),
    PageType("admin-call-new", "admin", lambda s: "/admin/calls/new"),
    PageType("admin-call-new-errors", "admin", lambda s: "/admin/calls/new", _build_a_broken_call),
    PageType("admin-call-new-text", "admin", lambda s: "/admin/calls/new/text"),
    PageType("admin-call-new-text-errors", "admin", lambda s: "/admin/calls/new/text", _write_a_broken_call),
    PageType("admin-call", "admin", lambda s: f"/admin/calls/{s.extra.calls.office_call}"),
    PageType("admin-call-file", "admin", lambda s: "/admin/calls/test-needs"),
    PageType("admin-call-details", "admin", lambda s: f"/admin/calls/{s.extra.calls.office_call}/details"),
    PageType("admin-call-question-new", "admin",
             lambda s: f"/admin/calls/{s.extra.calls.office_call}/questions/new"),
    PageType("admin-call-question-edit", "admin",
             lambda s: f"/admin/calls/{s.extra.calls.office_call}/questions/sectors/edit"),
    PageType("admin-call-question-remove", "admin",
             lambda s: f"/admin/calls/{s.extra.calls.office_call}/questions/notes/remove"),
    PageType("not-found", None, lambda s: "/public/record/XXX-0000-000", status=404),
    PageType("not-found-signed-in", "fiji", lambda s: "/cases/XXX-0000-000", status=404),
)


def _person(site: Site, who: str | None) -> Person | None:
    if who is None:
        return None
    return getattr(site.extra, who, None) or getattr(site.server.seeded, who)


# The outermost elements past the right edge, outside any scroll box: what to fix when a page
# does not reflow.
STICKING_OUT = """() => {
  const edge = document.documentElement.clientWidth, found = [];
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  // Past the edge itself, or its text is (a long word overflows its box without widening it).
  const out = e => Math.max(e.getBoundingClientRect().right,
                            scrolls(e) ? 0 : e.getBoundingClientRect().left + e.scrollWidth) > edge + 0.5;
  for (const e of document.body.querySelectorAll('*')) {
    if (!out(e)) continue;
    // An absolutely placed element is clipped only by a scroll box that places it (position set).
    const placed = ['absolute', 'fixed'].includes(getComputedStyle(e).position);
    let up = e.parentElement, inside = false;
    while (up && up !== document.body) {
      const positioned = getComputedStyle(up).position !== 'static';
      if (placed ? scrolls(up) && positioned : scrolls(up) || out(up)) { inside = true; break; }
      up = up.parentElement;
    }
    if (inside) continue;
    found.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
               + ' ' + Math.round(e.getBoundingClientRect().left + e.scrollWidth) + 'px');
  }
  return found.slice(0, 5);
}"""


# Values of a definition list left in a narrow column beside their labels, a few letters a line:
# on a small screen each label goes above its value.
SQUEEZED = """() => [...document.querySelectorAll('main dd')]
  .filter(dd => dd.offsetParent !== null && dd.textContent.trim().length > 12
          && dd.getBoundingClientRect().width < document.querySelector('main').clientWidth * 0.6)
  .slice(0, 5).map(dd => dd.parentElement.className + ' dd: ' + dd.textContent.trim().slice(0, 30))"""


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(json.dumps(node["target"]) for node in v["nodes"][:5])
            for v in result["violations"]]


@pytest.mark.parametrize("kind", PAGES, ids=[p.name for p in PAGES])
def test_the_page_is_accessible_and_reflows(site, kind, screenshot):
    _check(site, kind, screenshot, kind.path(site), kind.name)


# The pages a State official and the public read, in French and Spanish: longer words must reflow too,
# and the page must say its language (axe: html-has-lang, valid-lang).
TRANSLATED = ("sign-in", "dashboard", "request-types", "request-form", "check-answers",
              "withdraw-confirmation", "reply-with-attachment", "case-state-awaited", "case-state-draft",
              "case-state-feedback",
              "case-state-completed", "account", "public-record", "public-case", "public-state",
              "public-statistics", "public-statistics-method", "public-data", "not-found", "call-state",
              "call-answer", "call-check", "call-contribute", "public-call")
TRANSLATED_PAGES = [(kind, language) for kind in PAGES if kind.name in TRANSLATED
                    for language in ("fr", "es")]


@pytest.mark.parametrize(("kind", "language"), TRANSLATED_PAGES,
                         ids=[f"{k.name}-{lang}" for k, lang in TRANSLATED_PAGES])
def test_the_translated_page_is_accessible_and_reflows(site, kind, language, screenshot):
    path = kind.path(site)
    path += ("&" if "?" in path else "?") + f"lang={language}"
    page_language = _check(site, kind, screenshot, path, f"{kind.name}-{language}")
    assert page_language == language


def _check(site: Site, kind: PageType, screenshot: Any, path: str, name: str) -> str:
    """Check the page at `path` as `kind` says; return the language its html element declares."""
    context, page = site.page_for(_person(site, kind.who))
    try:
        response = page.goto(site.server.url + path)
        if kind.act is None:
            assert response is not None and response.status == kind.status, response and response.status
        else:
            kind.act(page)
        assert "/sign-in" not in page.url or kind.who is None, "the session did not carry"

        page.set_viewport_size(NARROW)
        screenshot(page, f"{name}-320")
        problems = []
        width, viewport = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if width > viewport:
            problems.append(f"at 320 px the page is {width} px wide: it scrolls sideways, because of "
                            + "; ".join(page.evaluate(STICKING_OUT)))
        squeezed = page.evaluate(SQUEEZED)
        if squeezed:
            problems.append("at 320 px these values keep a narrow column beside their labels: "
                            + "; ".join(squeezed))
        if AXE.exists():
            problems += _violations(page)
            page.set_viewport_size(WIDE)
            problems += [v for v in _violations(page) if v not in problems]
        assert not problems, "\n".join(problems)
        if not AXE.exists():
            pytest.skip("the page reflows, but node_modules/axe-core is missing: `make node-tools` "
                        "(npm ci) installs it for the accessibility checks")
        return page.evaluate("document.documentElement.lang")
    finally:
        context.close()
