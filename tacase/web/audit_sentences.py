"""Each audit event told in a sentence of the reader's language, for the Board's audit page.

The services record events with machine names and raw fields (`case.transition`, `due_at`, `trigger`);
the page says what happened ("Reviewer Ana Ruiz asked Fiji for information on UPR-2026-0001; reply
due 19 December 2026.") and keeps the recorded fields a click away. The sentences are built here, in the
web layer, from the event's fields and `audit_queries.EventContext` (who the accounts and the cases'
States are), so the services stay free of Flask and of languages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tacase.engine.definitions import WorkflowDefinition
from tacase.services.audit_queries import EventContext
from tacase.web.i18n import deadline
from tacase.web.views.case_forms import choice_label, field_labels
from tacase.web.views.present import show_value, state_by_code

# Every action the application records, by its human name (the audit filter offers these).
ACTION_NAMES: dict[str, Any] = {
    "case.created": _l("Request opened"),
    "case.updated": _l("Request edited"),
    "case.transition": _l("Step of a request"),
    "case.assigned": _l("Request assigned"),
    "case.consent_given": _l("Consent to publish given"),
    "case.consent_withdrawn": _l("Consent to publish withdrawn"),
    "comment.added": _l("Comment added"),
    "document.uploaded": _l("Document added"),
    "document.downloaded": _l("Document downloaded"),
    "document.published": _l("Document published"),
    "document.unpublished": _l("Document no longer published"),
    "deadline.reminder": _l("Reminder to OHCHR"),
    "deadline.overdue": _l("Step overdue"),
    "deadline.escalation": _l("Escalation to the approvers"),
    "deadline.state_reminder": _l("Reminder to the State"),
    "deadline.last_notice": _l("Last notice to the State"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Sign-in refused"),
    "auth.logout": _l("Signed out"),
    "auth.mfa_enabled": _l("Two-factor authentication turned on"),
    "auth.password_changed": _l("Password changed"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "user.created": _l("Account created"),
    "user.updated": _l("Account changed"),
    "user.roles_changed": _l("Roles changed"),
    "user.disabled": _l("Account disabled"),
    "user.enabled": _l("Account enabled again"),
    "user.mfa_reset": _l("Two-factor authentication reset"),
    "calendar.closure_added": _l("Office closure added"),
    "calendar.closure_removed": _l("Office closure removed"),
    "audit.exported": _l("Audit log downloaded"),
}

# Groups the filter offers as well: the query string takes "auth." for every sign-in event.
ACTION_GROUPS: dict[str, Any] = {
    "case.": _l("Any event of a request"),
    "deadline.": _l("Any deadline event"),
    "auth.": _l("Any sign-in event"),
    "user.": _l("Any account event"),
}

ROLE_WORDS: dict[str, Any] = {
    "admin": _l("Administrator %(name)s"),
    "board": _l("Board member %(name)s"),
    "approver": _l("Approver %(name)s"),
    "reviewer": _l("Reviewer %(name)s"),
    "state_focal_point": _l("Focal point %(name)s"),
}


def action_name(action: str) -> str:
    named = ACTION_NAMES.get(action) or ACTION_GROUPS.get(action)
    return str(named) if named is not None else action


@dataclass(frozen=True)
class Telling:
    """One event and what is known around it, with the words a sentence needs."""

    event: dict[str, Any]
    context: EventContext
    definitions: dict[str, WorkflowDefinition]

    @property
    def data(self) -> dict[str, Any]:
        return self.event.get("data") or {}

    @property
    def case(self) -> str:
        return (self.event.get("case") or {}).get("reference") or ""

    @property
    def state(self) -> str:
        found = self.context.cases.get((self.event.get("case") or {}).get("id"))
        return state_by_code(found[0]) if found else _("the State")

    @property
    def definition(self) -> WorkflowDefinition | None:
        found = self.context.cases.get((self.event.get("case") or {}).get("id"))
        return self.definitions.get(found[1]) if found else None

    def person(self, user_id: Any) -> str:
        known = self.context.people.get(user_id) if isinstance(user_id, int) else None
        if known is None:
            return _("account %(id)s", id=user_id) if user_id is not None else _("nobody")
        name, roles = known
        for role, words in ROLE_WORDS.items():  # the highest role names the person
            if role in roles:
                return str(words) % {"name": name}
        return name

    @property
    def who(self) -> str:
        label = self.event.get("actor") or {}
        if label.get("type") == "system":
            return _("The system")
        return self.person(label.get("id")) if label.get("id") is not None else (label.get("email") or "")

    def status(self, name: Any) -> str:
        definition = self.definition
        if definition is not None and name in definition.states:
            return _(definition.states[name].staff_label)
        return str(name or "")

    def step(self, trigger: Any) -> str:
        definition = self.definition
        steps = definition.transitions if definition is not None else ()
        found = next((t for t in steps if t.trigger == trigger), None)
        return _(found.label) if found is not None else str(trigger or "")

    def record_label(self, trigger: Any, name: str) -> str:
        definition = self.definition
        for t in definition.transitions if definition else ():
            if t.trigger == trigger:
                spec = next((f for f in t.record if f.name == name), None)
                if spec is not None:
                    return _(spec.label)
        return name.replace("_", " ").capitalize()


def when(value: Any) -> str:
    """A recorded instant (JSON text) or day as people read it; '' when there is none."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return deadline(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if isinstance(value, dt.date):
        return format_date(value, "d MMMM y")
    return ""


def _transition(t: Telling) -> str:
    d = t.data
    trigger, record = d.get("trigger"), d.get("record") or {}
    args = {"who": t.who, "state": t.state, "case": t.case}
    sentences: dict[str, Callable[[], str]] = {
        "submit": lambda: _("%(who)s sent %(state)s's request %(case)s to OHCHR.", **args),
        "return_to_state": lambda: _("%(who)s asked %(state)s for information on %(case)s.", **args),
        "resubmit": lambda: _("%(who)s sent %(state)s's reply on %(case)s to OHCHR.", **args),
        "review": lambda: _("%(who)s recorded the review of %(case)s, recommending “%(choice)s”.",
                            choice=str(choice_label(str(record.get("recommendation") or ""))), **args)
        if record.get("recommendation") else _("%(who)s recorded the review of %(case)s.", **args),
        "approve": lambda: _("%(who)s approved %(case)s for %(amount)s.", amount=show_value(
            record["approved_amount"]), **args) if record.get("approved_amount") else
        _("%(who)s approved %(case)s.", **args),
        "reject": lambda: _("%(who)s rejected %(case)s.", **args),
        "deliver": lambda: _("%(who)s recorded the delivery of %(case)s.", **args),
        "evaluate": lambda: _("%(who)s recorded the evaluation of %(case)s, rated “%(choice)s”.",
                              choice=str(choice_label(str(record.get("rating") or ""))), **args)
        if record.get("rating") else _("%(who)s recorded the evaluation of %(case)s.", **args),
        "withdraw": lambda: _("%(who)s withdrew %(state)s's request %(case)s.", **args),
    }
    make = sentences.get(trigger)
    text = make() if make else _("%(who)s took the step “%(step)s” on %(case)s; it is now “%(status)s”.",
                                  step=t.step(trigger), status=t.status(d.get("to")), **args)
    due = when(d.get("due_at"))
    if due and d.get("due_party") == "state":
        text += " " + _("Reply due %(date)s.", date=due)
    elif due:
        text += " " + _("Next step due %(date)s.", date=due)
    return text


def _deadline(t: Telling) -> str:
    args = {"case": t.case, "state": t.state, "status": t.status(t.data.get("status")),
            "date": when(t.data.get("due_at"))}
    return {
        "deadline.reminder": lambda: _("The system reminded OHCHR that %(case)s (“%(status)s”) is due "
                                       "%(date)s.", **args),
        "deadline.overdue": lambda: _("The system marked %(case)s overdue: “%(status)s” was due %(date)s.",
                                      **args),
        "deadline.escalation": lambda: _("The system told the approvers that %(case)s is overdue since "
                                         "%(date)s.", **args),
        "deadline.state_reminder": lambda: _("The system reminded %(state)s that its reply on %(case)s is "
                                             "due %(date)s.", **args),
        "deadline.last_notice": lambda: _("The system sent %(state)s a last notice: its reply on %(case)s "
                                          "was due %(date)s.", **args),
    }.get(t.event["action"], lambda: _("The system recorded a deadline event on %(case)s.", **args))()


def _changed_fields(t: Telling) -> str:
    changes = t.data.get("changes") or {}
    labels = field_labels(t.definition) if t.definition is not None else {}
    return ", ".join(labels.get(n, n.replace("_", " ")) for n in changes)


def _comment(t: Telling) -> str:
    args = {"who": t.who, "case": t.case}
    if t.data.get("kind") == "feedback":
        return _("%(who)s gave the State's feedback on %(case)s.", **args)
    if t.data.get("visibility") == "internal":
        return _("%(who)s wrote an internal comment on %(case)s.", **args)
    return _("%(who)s wrote a comment on %(case)s that the State reads.", **args)


def _roles(value: Any) -> str:
    from tacase.web.views.admin import ROLE_LABELS  # the admin pages' names of roles
    return ", ".join(str(ROLE_LABELS.get(r, r)) for r in value) if isinstance(value, list) else ""


def _user_changed(t: Telling) -> str:
    d, args = t.data, {"who": t.who, "user": t.person(t.data.get("user_id"))}
    if isinstance(d.get("locale"), dict):
        return _("%(who)s changed the language of their pages.", **args)
    return _("%(who)s changed the name of the account of %(user)s.", **args)


SENTENCES: dict[str, Callable[[Telling], str]] = {
    "case.created": lambda t: _("%(who)s opened the request %(case)s for %(state)s.", who=t.who, case=t.case,
                                state=t.state),
    "case.updated": lambda t: _("%(who)s edited %(case)s: %(fields)s.", who=t.who, case=t.case,
                                fields=_changed_fields(t)),
    "case.transition": _transition,
    "case.assigned": lambda t: _("%(who)s assigned %(case)s to %(person)s.", who=t.who, case=t.case,
                                 person=t.person(t.data.get("to")))
    if t.data.get("to") is not None else _("%(who)s left %(case)s unassigned.", who=t.who, case=t.case),
    "case.consent_given": lambda t: _("%(who)s agreed that %(case)s is published on the public record.",
                                      who=t.who, case=t.case),
    "case.consent_withdrawn": lambda t: _("%(who)s withdrew the consent to publish %(case)s.", who=t.who,
                                          case=t.case),
    "comment.added": _comment,
    "document.uploaded": lambda t: _("%(who)s added the document “%(file)s” to %(case)s.", who=t.who,
                                     case=t.case, file=t.data.get("filename", "")),
    "document.downloaded": lambda t: _("%(who)s downloaded the document “%(file)s” of %(case)s.", who=t.who,
                                       case=t.case, file=t.data.get("filename", "")),
    "document.published": lambda t: _("%(who)s published the document “%(file)s” with %(case)s.", who=t.who,
                                      case=t.case, file=t.data.get("filename", "")),
    "document.unpublished": lambda t: _("%(who)s withdrew the document “%(file)s” of %(case)s from the "
                                        "public record.", who=t.who, case=t.case,
                                        file=t.data.get("filename", "")),
    "deadline.reminder": _deadline,
    "deadline.overdue": _deadline,
    "deadline.escalation": _deadline,
    "deadline.state_reminder": _deadline,
    "deadline.last_notice": _deadline,
    "auth.login": lambda t: _("%(who)s signed in.", who=t.who),
    "auth.login_failed": lambda t: _("A sign-in as %(email)s was refused.", email=t.data.get("email", "")),
    "auth.logout": lambda t: _("%(who)s signed out.", who=t.who),
    "auth.mfa_enabled": lambda t: _("%(who)s turned on two-factor authentication.", who=t.who),
    "auth.password_changed": lambda t: _("%(who)s changed their password.", who=t.who),
    "token.created": lambda t: _("%(who)s created the API token “%(name)s”, valid until %(date)s.", who=t.who,
                                 name=t.data.get("name", ""), date=when(t.data.get("expires_at"))),
    "token.revoked": lambda t: _("%(who)s revoked an API token of %(user)s.", who=t.who,
                                 user=t.person(t.data.get("owner_id"))),
    "user.created": lambda t: _("%(who)s created the account of %(email)s (%(roles)s).", who=t.who,
                                email=t.data.get("email", ""), roles=_roles(t.data.get("roles"))),
    "user.updated": _user_changed,
    "user.roles_changed": lambda t: _("%(who)s changed the roles of %(user)s to: %(roles)s.", who=t.who,
                                      user=t.person(t.data.get("user_id")), roles=_roles(t.data.get("roles")))
    if "roles" in t.data else _("%(who)s changed the State of the account of %(user)s.", who=t.who,
                                user=t.person(t.data.get("user_id"))),
    "user.disabled": lambda t: _("%(who)s disabled the account of %(user)s.", who=t.who,
                                 user=t.person(t.data.get("user_id"))),
    "user.enabled": lambda t: _("%(who)s enabled the account of %(user)s again.", who=t.who,
                                user=t.person(t.data.get("user_id"))),
    "user.mfa_reset": lambda t: _("%(who)s reset the two-factor authentication of %(user)s.", who=t.who,
                                  user=t.person(t.data.get("user_id"))),
    "calendar.closure_added": lambda t: _("%(who)s closed the office on %(date)s.", who=t.who,
                                          date=when(t.data.get("day"))),
    "calendar.closure_removed": lambda t: _("%(who)s opened the office again on %(date)s.", who=t.who,
                                            date=when(t.data.get("day"))),
    "audit.exported": lambda t: _("%(who)s downloaded events of the audit log.", who=t.who),
}


def tell(event: dict[str, Any], context: EventContext, definitions: dict[str, WorkflowDefinition]) -> str:
    """The event in a sentence; an action no sentence knows yet is named by its human name."""
    telling = Telling(event, context, definitions)
    make = SENTENCES.get(event.get("action", ""))
    if make is None:
        return _("%(who)s: %(action)s.", who=telling.who, action=action_name(event.get("action", "")))
    return make(telling)
