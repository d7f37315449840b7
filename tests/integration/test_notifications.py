"""Who hears what, written with the change: in-app notifications and outbox mails (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tacase.db.models import Case, Notification, OutboxMessage, User
from tacase.services import accounts, assignment, cases, messages, notifications, outbox, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.errors import NotFound, ValidationFailed
from tacase.services.runtime import runtime_of
from tests.conftest import Factory

QUESTIONS = "Please send the detailed budget and the ministry's letter."
SECRET = "SECRET-ASSESSMENT: the ministry's plan is weak"
INTERNAL = "INTERNAL-COMMENT: call the desk officer first"


class Mail:
    """A stored message with its words written out, as its recipient will read them."""

    def __init__(self, row: OutboxMessage) -> None:
        self.row, self.words = row, outbox.written(row)

    subject = property(lambda self: self.words.subject)
    body_text = property(lambda self: self.words.body_text)
    body_html = property(lambda self: self.words.body_html)

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def mails(session, user: Actor, *statuses: str) -> list[Mail]:
    query = select(OutboxMessage).where(OutboxMessage.recipient_id == user.id).order_by(OutboxMessage.id)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    return [Mail(row) for row in session.scalars(query)]


def notes(session, user: Actor) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id)))


def staff_only_labels(session, case: Case) -> set[str]:
    definition = cases.definition_of(session, case)
    return {s.staff_label for s in definition.states.values() if s.staff_label != s.public_label}


@pytest.fixture
def people(make):
    return {
        "fji": make.focal("FJI"), "fji2": make.focal("FJI"), "wsm": make.focal("WSM"),
        "reviewer": make.user("reviewer"), "reviewer2": make.user("reviewer"),
        "approver": make.user("approver"), "board": make.user("board"),
    }


def submitted(session, make, people, clock) -> Case:
    case = make.draft(people["fji"])
    return transitions.fire_transition(session, people["fji"], clock, case.reference, "submit")


def test_the_change_stores_the_facts_and_no_template_runs_in_its_transaction(session, make, people, clock,
                                                                            monkeypatch):
    def no_words(*args, **kwargs):
        raise AssertionError("a mail was written out inside the transaction of the change")

    monkeypatch.setattr(messages, "_write", no_words)
    case = submitted(session, make, people, clock)
    [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == people["fji2"].id))
    assert row.facts["reference"] == case.reference and row.body_text is None and row.body_html is None
    assert row.subject == f"{case.reference}: Under review"  # kept for lists; it needs no template
    [note] = notes(session, people["fji2"])
    assert note.facts == row.facts and note.body is None
    monkeypatch.undo()
    assert 'changed from "Draft" to "Under review"' in notifications.notification_body(note)


def test_the_state_hears_of_its_submission_but_not_the_one_who_submitted(session, make, people, clock):
    case = submitted(session, make, people, clock)
    [mail] = mails(session, people["fji2"])
    assert mail.status == "pending" and mail.kind == "status_change" and mail.case_id == case.id
    assert mail.subject == f"{case.reference}: Under review"
    assert mail.next_attempt_at == clock() and mail.attempts == 0
    assert mail.to_address == session.get(User, people["fji2"].id).email
    assert 'changed from "Draft" to "Under review"' in mail.body_text
    assert f"http://127.0.0.1:5000/cases/{case.reference}" in mail.body_text
    assert f'href="http://127.0.0.1:5000/cases/{case.reference}"' in mail.body_html
    [note] = notes(session, people["fji2"])
    assert note.title == mail.subject and note.case_id == case.id and note.read_at is None
    for nobody in ("fji", "wsm", "reviewer", "approver", "board"):
        assert mails(session, people[nobody]) == [] and notes(session, people[nobody]) == []


def test_an_information_request_carries_the_questions_and_the_reply_date(session, make, people, clock):
    case = submitted(session, make, people, clock)
    clock.advance(hours=2)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "return_to_state",
                                data={"questions": QUESTIONS}, comment=INTERNAL)
    for focal in ("fji", "fji2"):
        mail = mails(session, people[focal])[-1]
        assert mail.kind == "information_request"
        assert mail.subject == f"{case.reference}: OHCHR asks for information"
        assert QUESTIONS in mail.body_text and "What the State is asked to provide" in mail.body_text
        # 30 calendar days from Monday 2 March 2026, 11:00 UTC: noon in Geneva on 1 April.
        due = "Wednesday 1 April 2026, 13:00 (Europe/Zurich)"
        assert case.due_at == dt.datetime(2026, 4, 1, 11, 0, tzinfo=dt.UTC)
        assert f"Your reply is due by: {due}" in mail.body_text and due in mail.body_html
        assert INTERNAL not in mail.body_text and INTERNAL not in mail.body_html
    assert mails(session, people["wsm"]) == [] and mails(session, people["reviewer2"]) == []


def test_a_whole_journey_never_shows_the_state_staff_labels_internal_fields_or_comments(
        session, make, people, clock):
    fji, reviewer, approver = people["fji"], people["reviewer"], people["approver"]
    case = submitted(session, make, people, clock)
    ref = case.reference
    steps = [
        (reviewer, "return_to_state", {"questions": QUESTIONS}, INTERNAL),
        (fji, "resubmit", {"reply": "Here is the budget."}, None),
        (people["reviewer2"], "review", {"assessment": SECRET, "recommendation": "approve"}, INTERNAL),
        (approver, "approve", {"approved_amount": {"amount": "45000", "currency": "USD"},
                               "conditions": "Report within six months"}, INTERNAL),
        (reviewer, "deliver", {"start_date": "2026-06-01", "end_date": "2026-12-31",
                               "activities": "Two workshops",
                               "amount": {"amount": "44000", "currency": "USD"}}, INTERNAL),
        (reviewer, "evaluate", {"rating": "satisfactory", "findings": "Law drafted"}, INTERNAL),
    ]
    for who, trigger, data, comment in steps:
        clock.advance(days=1)
        transitions.fire_transition(session, who, clock, ref, trigger, data=data, comment=comment)
    received = mails(session, people["fji2"])
    assert [m.kind for m in received] == ["status_change", "information_request"] + ["status_change"] * 5
    approved = received[4]
    assert "USD 45,000.00" in approved.body_text and "Report within six months" in approved.body_text
    hidden = staff_only_labels(session, case) | {SECRET, INTERNAL, "Assessment and recommendation"}
    texts = [t for m in received for t in (m.subject, m.body_text, m.body_html)]
    body = notifications.notification_body
    texts += [t for n in notes(session, people["fji2"]) for t in (n.title, body(n), str(n.facts))]
    for text in texts:
        for secret in hidden:
            assert secret not in text
    # The one who fired each State step heard only of the office's steps.
    assert [m.kind for m in mails(session, fji)] == ["information_request"] + ["status_change"] * 4


def test_a_step_inside_the_office_that_the_state_cannot_see_tells_nobody(session, make, clock, registry):
    """A transition whose public label stays the same is no news to the State."""
    focal, other = make.focal("FJI"), make.focal("FJI")
    case = make.draft(focal)
    definition = cases.definition_of(session, case)
    sent = notifications.notify_transition(session, case, definition, "submit", "submitted", "submitted",
                                           {}, clock())
    assert sent == 0 and mails(session, other) == []


def test_assignment_tells_the_new_assignee_unless_they_took_it_themselves(session, make, people, clock):
    case = submitted(session, make, people, clock)
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer2"].id)
    [mail] = mails(session, people["reviewer2"])
    assert mail.kind == "assignment" and mail.subject == f"{case.reference} is assigned to you"
    assert "Status: Under review (staff: Screening and review)" in mail.body_text
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer"].id)
    assert mails(session, people["reviewer"]) == []
    assert all(m.kind != "assignment" for m in mails(session, people["fji2"]))


def test_reminders_and_overdue_go_to_the_assignee(session, make, people, clock):
    case = submitted(session, make, people, clock)
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer2"].id)
    for kind in ("reminder", "overdue"):
        assert notifications.notify_deadline(session, case, kind, clock()) == 1
    assert [m.kind for m in mails(session, people["reviewer2"])] == ["assignment", "reminder", "overdue"]
    assert mails(session, people["reviewer"]) == [] and mails(session, people["approver"]) == []
    reminder = mails(session, people["reviewer2"])[1]
    assert reminder.subject.startswith(f"Reminder: {case.reference} is due ")
    assert "because the case is assigned to you" in reminder.body_text


def test_an_unassigned_steps_reminder_goes_to_everyone_who_may_act_on_it(session, make, people, clock):
    case = submitted(session, make, people, clock)
    retired = make.user("reviewer")
    session.get(User, retired.id).is_active = False
    notifications.notify_deadline(session, case, "reminder", clock())
    # Screening is the reviewers' step; an inactive reviewer hears nothing.
    assert len(mails(session, people["reviewer"])) == len(mails(session, people["reviewer2"])) == 1
    assert mails(session, people["approver"]) == [] and mails(session, retired) == []
    assert "nobody is assigned" in mails(session, people["reviewer"])[0].body_text
    # Awaiting decision: approvers decide, reviewers may still ask the State.
    clock.advance(days=1)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "review",
                                data={"assessment": "Fine", "recommendation": "approve"})
    notifications.notify_deadline(session, case, "overdue", clock())
    assert [m.kind for m in mails(session, people["approver"])] == ["overdue"]
    assert [m.kind for m in mails(session, people["reviewer2"])] == ["reminder", "overdue"]


def test_escalation_goes_to_the_approvers_and_names_the_assignee(session, make, people, clock):
    case = submitted(session, make, people, clock)
    second = make.user("approver")
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer2"].id)
    assert notifications.notify_deadline(session, case, "escalation", clock()) == 2
    for approver in (people["approver"], second):
        [mail] = mails(session, approver)
        assert mail.kind == "escalation" and mail.subject == f"Escalated: {case.reference} is overdue"
        assignee = session.get(User, people["reviewer2"].id)
        assert f"It is assigned to {assignee.display_name}." in mail.body_text
    assert [m.kind for m in mails(session, people["reviewer2"])] == ["assignment"]


def test_the_states_own_deadlines_go_to_its_focal_points_only(session, make, people, clock):
    case = submitted(session, make, people, clock)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "return_to_state",
                                data={"questions": QUESTIONS})
    for kind in ("state_reminder", "last_notice"):
        assert notifications.notify_deadline(session, case, kind, clock()) == 2
    kinds = [m.kind for m in mails(session, people["fji"])]
    assert kinds == ["information_request", "state_reminder", "last_notice"]
    notice = mails(session, people["fji"])[-1]
    assert notice.subject == f"Last notice: your reply on {case.reference} was due 1 April 2026"
    for text in (notice.body_text, notice.body_html):
        assert "Returned to the State" not in text and "Awaiting your reply" in text
    assert mails(session, people["wsm"]) == [] and mails(session, people["reviewer"]) == []
    with pytest.raises(ValueError, match="unknown deadline event"):
        notifications.notify_deadline(session, case, "birthday", clock())


def test_links_use_the_public_url(session, make, people, clock):
    runtime = runtime_of(session)
    original = runtime.public_url
    runtime.public_url = "https://tacase.ohchr.example/"
    try:
        case = submitted(session, make, people, clock)
    finally:
        runtime.public_url = original
    [mail] = mails(session, people["fji2"])
    assert f"https://tacase.ohchr.example/cases/{case.reference}\n" in mail.body_text


# --- the daily digest ------------------------------------------------------------------------------

def test_digest_users_get_one_mail_a_day_with_everything(session, make, people, clock):
    session.get(User, people["fji2"].id).daily_digest = True
    case = submitted(session, make, people, clock)
    clock.advance(hours=1)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "return_to_state",
                                data={"questions": QUESTIONS})
    waiting = mails(session, people["fji2"])
    assert [m.status for m in waiting] == ["digest", "digest"]
    assert not waiting[0].body_text.startswith("Dear")  # a fragment: the digest greets once
    assert len(notes(session, people["fji2"])) == 2  # in the app at once all the same
    assert [m.status for m in mails(session, people["fji"])] == ["pending"]

    clock.advance(hours=20)
    assert outbox.send_digests(session, clock) == {"digests": 1, "messages": 2}
    gathered = mails(session, people["fji2"])
    assert [m.status for m in gathered] == ["digested", "digested", "pending"]
    digest = gathered[-1]
    assert digest.kind == "digest" and digest.case_id is None and digest.next_attempt_at == clock()
    assert digest.subject == "tacase: your daily summary (2 updates)"
    assert digest.body_text.count("Dear ") == 1 and QUESTIONS in digest.body_text
    assert all(m.subject in digest.body_text for m in waiting)
    assert outbox.send_digests(session, clock) == {"digests": 0, "messages": 0}


def test_a_digest_gathers_only_what_was_written_before_its_time(session, make, people, clock):
    session.get(User, people["fji2"].id).daily_digest = True
    submitted(session, make, people, clock)
    assert outbox.send_digests(session, clock, now=clock() - dt.timedelta(seconds=1))["messages"] == 0
    assert outbox.send_digests(session, clock, now=clock())["messages"] == 1


def test_turning_the_digest_off_sends_what_was_waiting_now(session, make, people, clock):
    fji2 = people["fji2"]
    assert notifications.set_preferences(session, fji2, clock, daily_digest=True) == {"daily_digest": True}
    submitted(session, make, people, clock)
    assert notifications.preferences(session, fji2) == {"daily_digest": True}
    notifications.set_preferences(session, fji2, clock, daily_digest=False)
    assert [(m.status, m.kind) for m in mails(session, fji2)] == [("digested", "status_change"),
                                                                    ("pending", "digest")]
    with pytest.raises(ValidationFailed):
        notifications.set_preferences(session, fji2, clock, daily_digest="yes")


# --- reading them ---------------------------------------------------------------------------------

def test_users_read_and_mark_only_their_own(session, make, people, clock):
    case = submitted(session, make, people, clock)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "return_to_state",
                                data={"questions": QUESTIONS})
    items, more = notifications.list_notifications(session, people["fji2"])
    assert [i["kind"] for i in items] == ["information_request", "status_change"] and more is None
    assert items[0]["case"] == case.reference
    first, more = notifications.list_notifications(session, people["fji2"], limit=1)
    assert more == first[0]["id"]
    rest, more = notifications.list_notifications(session, people["fji2"], before=more, limit=1)
    assert rest[0]["kind"] == "status_change" and more is None
    with pytest.raises(NotFound):
        notifications.mark_read(session, people["reviewer"], clock, items[0]["id"])
    clock.advance(minutes=5)
    read = notifications.mark_read(session, people["fji2"], clock, items[0]["id"])
    assert read["read_at"] == clock()
    clock.advance(minutes=5)
    again = notifications.mark_read(session, people["fji2"], clock, items[0]["id"])
    assert again["read_at"] == read["read_at"]
    unread, _ = notifications.list_notifications(session, people["fji2"], unread=True)
    assert [i["id"] for i in unread] == [items[1]["id"]]
    with pytest.raises(ValidationFailed):
        notifications.list_notifications(session, people["fji2"], limit=1000)


# --- one transaction ----------------------------------------------------------------------------------

def test_the_change_and_its_messages_commit_together(fresh_sessions, clock):
    with fresh_sessions() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="a@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        accounts.create_user(s, SYSTEM, clock, email="b@example.org", roles=["state_focal_point"],
                             state_code="FJI", password=None)
        reviewer = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="r@example.org",
                                                       roles=["reviewer"], password=None))
        case = cases.open_draft(s, focal, clock, type="upr_fund", fields=Factory(s, clock).complete_fields())
        transitions.fire_transition(s, focal, clock, case.reference, "submit")
        s.commit()
        reference = case.reference

    def counts() -> tuple[int, int, str]:
        with fresh_sessions() as s:
            return (s.scalar(select(func.count()).select_from(OutboxMessage)),
                    s.scalar(select(func.count()).select_from(Notification)),
                    s.scalar(select(Case.status).where(Case.reference == reference)))

    assert counts() == (1, 1, "submitted")
    with fresh_sessions() as s:
        transitions.fire_transition(s, reviewer, clock, reference, "return_to_state",
                                    data={"questions": QUESTIONS})
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 3  # written, not committed
        s.rollback()
    assert counts() == (1, 1, "submitted")
    with fresh_sessions() as s:
        transitions.fire_transition(s, reviewer, clock, reference, "return_to_state",
                                    data={"questions": QUESTIONS})
        s.commit()
    assert counts() == (3, 3, "returned")


# --- in the reader's language ------------------------------------------------------------------------

def speaking(session, who: Actor, locale: str) -> Actor:
    session.get(User, who.id).locale = locale
    session.flush()
    return who


def test_each_focal_point_reads_in_their_own_language(session, make, people, clock):
    french, spanish = speaking(session, make.focal("FJI"), "fr"), speaking(session, make.focal("FJI"), "es")
    case = submitted(session, make, people, clock)
    ref = case.reference
    [fr], [es], [en] = mails(session, french), mails(session, spanish), mails(session, people["fji2"])
    assert fr.subject == f"{ref} : En cours d'examen" and es.subject == f"{ref}: En examen"
    assert en.subject == f"{ref}: Under review"
    assert f"Le statut du dossier {ref} est passé de « Projet » à « En cours d'examen »." in fr.body_text
    assert f"La situación del expediente {ref} pasó de «Borrador» a «En examen»." in es.body_text
    assert 'changed from "Draft" to "Under review"' in en.body_text
    assert "point focal de votre État (Fidji)" in fr.body_text and "(Fidji)" in fr.body_html
    assert "punto focal de su Estado (Fiji)" in es.body_text
    assert "as a focal point of Fiji for its requests to OHCHR" in en.body_text
    assert '<html lang="fr">' in fr.body_html and '<html lang="es">' in es.body_html
    [note] = notes(session, french)
    assert note.title == fr.subject
    assert notifications.notification_body(note).startswith("Le statut du dossier")

    clock.advance(hours=2)
    transitions.fire_transition(session, people["reviewer"], clock, ref, "return_to_state",
                                data={"questions": QUESTIONS}, comment=INTERNAL)
    fr, es, en = mails(session, french)[-1], mails(session, spanish)[-1], mails(session, people["fji2"])[-1]
    assert fr.subject == f"{ref} : le HCDH demande des informations"
    assert "Date limite de votre réponse : mercredi 1 avril 2026, 13:00 (Europe/Zurich)" in fr.body_text
    assert "mercredi 1 avril 2026" in fr.body_html and "April" not in fr.body_text + fr.body_html
    assert "Plazo para su respuesta: miércoles, 1 de abril de 2026, 13:00 (Europe/Zurich)" in es.body_text
    assert "Wednesday 1 April 2026, 13:00 (Europe/Zurich)" in en.body_text
    for mail in (fr, es):
        assert QUESTIONS in mail.body_text and "What the State is asked to provide" not in mail.body_text
        assert INTERNAL not in mail.body_text and INTERNAL not in mail.body_html
        assert "ministry&#39;s letter" in mail.body_html  # escaped as ever

    for kind in ("state_reminder", "last_notice"):
        notifications.notify_deadline(session, case, kind, clock())
    assert mails(session, french)[-1].subject == (
        f"Dernier avis : votre réponse concernant {ref} était attendue au plus tard le 1 avril 2026")
    assert mails(session, spanish)[-2].subject.startswith(f"Recordatorio: su respuesta sobre {ref}")
    english = mails(session, people["fji2"])[-1]
    assert english.subject == f"Last notice: your reply on {ref} was due 1 April 2026"


def test_office_mails_follow_the_readers_language_too(session, make, people, clock):
    speaking(session, people["reviewer2"], "fr")
    speaking(session, people["approver"], "es")
    case = submitted(session, make, people, clock)
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer2"].id)
    notifications.notify_deadline(session, case, "escalation", clock())
    [assigned] = mails(session, people["reviewer2"])
    assert assigned.subject == f"{case.reference} vous est attribué"
    assert "Statut : En cours d'examen (personnel : Tri et examen)" in assigned.body_text
    [escalated] = mails(session, people["approver"])
    assert escalated.subject == f"Remitido a los aprobadores: {case.reference} está vencido"
    assert "Recibe este mensaje como aprobador" in escalated.body_text


def test_a_digest_is_written_in_its_readers_language(session, make, people, clock):
    french = speaking(session, make.focal("FJI"), "fr")
    session.get(User, french.id).daily_digest = True
    session.get(User, people["fji2"].id).daily_digest = True
    case = submitted(session, make, people, clock)
    clock.advance(hours=1)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "return_to_state",
                                data={"questions": QUESTIONS})
    clock.advance(hours=20)
    assert outbox.send_digests(session, clock) == {"digests": 2, "messages": 4}
    digest = mails(session, french)[-1]
    assert digest.subject == "tacase : votre résumé quotidien (2 mises à jour)"
    assert digest.body_text.startswith("Bonjour ")
    assert "Votre résumé tacase : 2 mises à jour." in digest.body_text
    assert f"{case.reference} : le HCDH demande des informations" in digest.body_text
    assert '<html lang="fr">' in digest.body_html and "Dear" not in digest.body_text + digest.body_html
    assert mails(session, people["fji2"])[-1].subject == "tacase: your daily summary (2 updates)"
