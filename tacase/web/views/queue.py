"""The work queue: every case the signed-in user may see, filtered, sorted and paged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from tacase.db.models import User, UserRole
from tacase.reference import requesting_state, requesting_states
from tacase.services import case_queries, cases
from tacase.services.actors import Actor
from tacase.services.deadline_sweep import step_events
from tacase.web.api.common import case_summary
from tacase.web.context import actor, clock, db, ext, runtime
from tacase.web.i18n import state_name
from tacase.web.views.blueprint import OFFICE, bp
from tacase.web.views.forms import PageForm

# The queue's sorts, by the name the address uses; the first is the default.
SORTS = {"due": "due_at", "updated": "-updated_at", "reference": "reference"}
DEFAULT_SORT = "due"
PER_PAGE_CHOICES = ("10", "25", "50", "100")
DEFAULT_PER_PAGE = "25"
# A deadline this close is flagged, so that it is seen before it is missed.
DUE_SOON = dt.timedelta(days=3)
MAX_QUERY = 200


def _listed(message: Any) -> Any:
    """The value must be one of the field's choices (built per request, so not known to the class)."""
    def check(_form: Any, field: Any) -> None:
        if field.data not in {value for value, _label in field.choices}:
            field.data = field.default
            raise ValidationError(str(message))
    return check


class QueueFilterForm(PageForm):
    """Read from the address: a GET form that changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="", validate_choice=False,
                         validators=[_listed(_l("Choose a status from the list."))])
    type = SelectField(_l("Request type"), default="", validate_choice=False,
                       validators=[_listed(_l("Choose a request type from the list."))])
    state = SelectField(_l("State"), default="", validate_choice=False,
                        validators=[_listed(_l("Choose a State from the list."))])
    assignee = SelectField(_l("Assigned to"), default="", validate_choice=False,
                           validators=[_listed(_l("Choose someone from the list."))])
    q = StringField(_l("Reference or title contains"), validators=[
        Optional(),
        Length(min=case_queries.MIN_QUERY, message=_l("Search for at least %(min)d characters.",
                                                      min=case_queries.MIN_QUERY)),
        Length(max=MAX_QUERY, message=_l("Search for at most %(max)d characters.", max=MAX_QUERY)),
    ])
    overdue = BooleanField(_l("Overdue only"))
    sort = SelectField(_l("Sort by"), default=DEFAULT_SORT, validate_choice=False,
                       validators=[_listed(_l("Choose an order from the list."))])
    per_page = SelectField(_l("Cases per page"), default=DEFAULT_PER_PAGE, validate_choice=False,
                           validators=[_listed(_l("Choose how many cases a page shows from the list."))])


def _status_choices(for_state: bool) -> list[tuple[str, str]]:
    """The statuses of the workflows in force, each once; labels that differ between workflows joined."""
    labels: dict[str, list[str]] = {}
    for definition in runtime().workflows.current.values():
        for state_def in definition.states.values():
            label = state_def.public_label if for_state else state_def.staff_label
            seen = labels.setdefault(state_def.name, [])
            if label not in seen:
                seen.append(label)
    joined = ((name, " / ".join(_(n) for n in names)) for name, names in labels.items())
    return [("", _("Any status")), *joined]


def _type_choices() -> list[tuple[str, str]]:
    named = sorted(((wtype, _(d.title)) for wtype, d in runtime().workflows.current.items()),
                   key=lambda choice: choice[1].casefold())
    return [("", _("Any request type")), *named]


def _state_choices() -> list[tuple[str, str]]:
    named = sorted(((code, state_name(s)) for code, s in requesting_states().items()),
                   key=lambda choice: choice[1].casefold())
    return [("", _("Any State")), *named]


def office_users(session: Session) -> list[tuple[int, str, bool]]:
    """Everyone a case may be assigned to (id, e-mail, active), in one query."""
    rows = session.execute(
        select(User.id, User.email, User.is_active).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(OFFICE)).distinct().order_by(User.email)
    ).all()
    return [(row.id, row.email, row.is_active) for row in rows]


def _assignee_choices(viewer: Actor, people: list[tuple[int, str, bool]]) -> list[tuple[str, str]]:
    choices = [("", _("Anyone"))]
    if viewer.roles & OFFICE:
        choices.append(("me", _("Me")))
    choices.append(("none", _("Nobody (unassigned)")))
    for user_id, email, active in people:
        choices.append((str(user_id), email if active else _("%(email)s (disabled)", email=email)))
    return choices


def _sort_choices() -> list[tuple[str, str]]:
    return [("due", _("Due date, soonest first")), ("updated", _("Last updated, newest first")),
            ("reference", _("Reference"))]


def _page_number(raw: str | None) -> int | None:
    """The page asked for, or None when it is not a page number this queue can show."""
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return None
    number = int(raw)
    return number if 1 <= number <= case_queries.MAX_PAGE else None


def _filter_args(form: QueueFilterForm) -> dict[str, str]:
    """The filters as the address carries them: only those that differ from the defaults."""
    args = {}
    for name in ("status", "type", "state", "assignee", "q"):
        f = getattr(form, name, None)
        if f is not None and f.data:
            args[name] = f.data.strip() if name == "q" else f.data
    if form.overdue.data:
        args["overdue"] = "y"
    if form.sort.data != DEFAULT_SORT:
        args["sort"] = form.sort.data
    if form.per_page.data != DEFAULT_PER_PAGE:
        args["per_page"] = form.per_page.data
    return args


def _case_filter(form: QueueFilterForm) -> case_queries.CaseFilter:
    def one(name: str) -> tuple[str, ...]:
        f = getattr(form, name, None)
        return (f.data,) if f is not None and f.data else ()

    assignee = getattr(form, "assignee", None)
    return case_queries.CaseFilter(
        status=one("status"), type=one("type"), state=one("state"),
        assignee=assignee.data or None if assignee is not None else None,
        overdue=True if form.overdue.data else None,
        q=(form.q.data or "").strip() or None,
    )


def _emails(session: Session, user_ids: set[int]) -> dict[int, str]:
    """The assignees' e-mail addresses, in one query for the whole page."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all()
    return {row.id: row.email for row in rows}


def _deadline(summary: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """How the deadline stands, said in words: overdue by so many days, or due soon."""
    due_at = summary["due_at"]
    overdue_days, due_soon = None, False
    if due_at is not None:
        if summary["overdue"]:
            overdue_days = (now - due_at).days
        else:
            due_soon = due_at - now <= DUE_SOON
    return {"overdue_days": overdue_days, "due_soon": due_soon}


@bp.get("/cases")
def queue() -> Any:
    viewer, now, session = actor(), clock(), db()
    for_state = viewer.is_state_user
    state = requesting_state(viewer.state_code or "") if for_state else None
    form = QueueFilterForm(formdata=request.args)
    form.status.choices = _status_choices(for_state)
    form.type.choices = _type_choices()
    form.sort.choices = _sort_choices()
    form.per_page.choices = [(n, n) for n in PER_PAGE_CHOICES]
    if for_state:
        # A State sees only its own cases, and not who in the office carries them.
        del form.state
        del form.assignee
    else:
        form.state.choices = _state_choices()
        form.assignee.choices = _assignee_choices(viewer, office_users(session))

    page_number = _page_number(request.args.get("page"))
    problem = None
    if page_number is None:
        problem = _("The page number must be a whole number from 1 to %(max)d.", max=case_queries.MAX_PAGE)
    if not form.validate() or problem:
        return render_template("web/queue.html", form=form, problem=problem, rows=None, page=None,
                               for_state=for_state, state=state), 422

    page = case_queries.list_cases(session, viewer, _case_filter(form), now, sort=SORTS[form.sort.data],
                                   page=page_number, per_page=int(form.per_page.data),
                                   memory=ext()["list_memory"])
    events = step_events(session, page.items)
    emails = {} if for_state else _emails(session, {c.assignee_id for c in page.items if c.assignee_id})
    rows = []
    for c in page.items:
        summary = case_summary(c, cases.definition_of_row(session, c), viewer, now, events.get(c.id))
        rows.append({**summary, **_deadline(summary, now),
                     "state_name": state_name(requesting_state(c.state_code)) or c.state_code,
                     "assignee_email": emails.get(summary["assignee_id"] or 0)})

    args = _filter_args(form)
    links = {
        "previous": url_for("web.queue", **args, page=page.page - 1) if page.page > 1 else None,
        "next": url_for("web.queue", **args, page=page.page + 1)
        if page.has_next and page.page < case_queries.MAX_PAGE else None,
        "first": url_for("web.queue", **args) if page.page > page.pages else None,
    }
    return render_template("web/queue.html", form=form, problem=None, rows=rows, page=page, links=links,
                           for_state=for_state, state=state,
                           filtered=bool(set(args) - {"sort", "per_page"}))
