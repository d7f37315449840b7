"""Pages: the audit log for the Board of Trustees and administrators, filtered, verified, exported."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, render_template, request, stream_with_context, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional, Regexp
from wtforms.widgets import DateInput

from tacase.audit.canonical import canonical_bytes, format_instant
from tacase.audit.chain import Verification
from tacase.services import audit_queries
from tacase.services.runtime import runtime_of
from tacase.web import audit_sentences
from tacase.web.context import actor, clock, commit, db
from tacase.web.i18n import select_timezone
from tacase.web.views.blueprint import AUDITORS, bp, error_page, require_role
from tacase.web.views.forms import PageForm

# Rows per page: enough to scan, few enough that the page stays quick to read and to render.
PAGE_SIZE = 50
# Events the CSV export reads from the database at a time.
EXPORT_BATCH = audit_queries.MAX_LIMIT
# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("seq", "occurred_at", "actor_id", "actor_email", "action", "case_reference", "data",
               "hash", "prev_hash")


# --- the filter form ---------------------------------------------------------------------------------

def _parse_day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _a_day(_form: Any, field: Any) -> None:
    if field.data and _parse_day(field.data) is None:
        raise ValidationError(_("Enter a date as year-month-day, for example 2026-03-02."))


class AuditFilterForm(PageForm):
    """Read from the query string: a filter changes nothing, so it needs no CSRF token and its
    address can be bookmarked and shared."""

    class Meta:
        csrf = False

    case = StringField(_l("Case reference"), validators=[
        Optional(), Length(max=32, message=_l("A case reference has at most 32 characters."))])
    actor = StringField(_l("Who acted"), validators=[
        Optional(), Length(max=254, message=_l("An e-mail address has at most 254 characters."))],
        description=_l("The e-mail address or the number of an account."))
    # A list of what happened, by name; the address keeps the recorded codes (action=case.transition,
    # or a group such as action=auth.), so older links and scripts still work.
    action = SelectField(_l("What happened"), validate_choice=False, validators=[
        Optional(), Length(max=64, message=_l("Choose what happened from the list.")),
        Regexp(r"^[a-z0-9_.]+$", message=_l("Choose what happened from the list."))])
    since = StringField(_l("From (date)"), widget=DateInput(), validators=[Optional(), _a_day],
                        description=_l("Year-month-day, on the duty station's clock."))
    until = StringField(_l("Until (date, included)"), widget=DateInput(), validators=[Optional(), _a_day],
                        description=_l("Year-month-day, on the duty station's clock."))

    def validate_until(self, field: Any) -> None:
        since, until = _parse_day(self.since.data), _parse_day(field.data)
        if since and until and since > until:
            raise ValidationError(_("The end date is before the start date."))


def _start_of(day: dt.date | None) -> dt.datetime | None:
    """The first instant of a day on the duty station's clock, in UTC; None when the day is the
    first or last a calendar has (no bound is then needed)."""
    if day is None:
        return None
    try:
        return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(select_timezone())).astimezone(dt.UTC)
    except OverflowError:
        return None


def _filter_of(form: AuditFilterForm) -> audit_queries.AuditFilter | None:
    """The service's filter, or None with the error placed on the field that caused it."""
    actor_id = None
    if form.actor.data and form.actor.data.strip():
        actor_id = audit_queries.actor_id_for(db(), form.actor.data)
        if actor_id is None:
            form.actor.errors = [_("No account has this e-mail address or number.")]
            return None
    until = _parse_day(form.until.data)
    return audit_queries.AuditFilter(
        case=(form.case.data or "").strip() or None, actor_id=actor_id,
        action=(form.action.data or "").strip() or None, at_from=_start_of(_parse_day(form.since.data)),
        at_to=_start_of(until + dt.timedelta(days=1)) if until and until < dt.date.max else None)


def _filter_args(form: AuditFilterForm) -> dict[str, str]:
    """The filters as typed, for links that keep them (the next page, the CSV)."""
    return {name: form[name].data.strip() for name in ("case", "actor", "action", "since", "until")
            if form[name].data and form[name].data.strip()}


def _action_choices(chosen: str | None) -> list[tuple[str, str]]:
    named = sorted(((code, str(name)) for code, name in audit_sentences.ACTION_NAMES.items()),
                   key=lambda item: item[1].casefold())
    groups = [(code, str(name)) for code, name in audit_sentences.ACTION_GROUPS.items()]
    choices = [("", _("Anything")), *groups, *named]
    if chosen and chosen not in {code for code, _name in choices}:
        choices.append((chosen, chosen))  # a code from an older link: shown as it was asked
    return choices


def _read_filters() -> tuple[AuditFilterForm, audit_queries.AuditFilter | None]:
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = _action_choices(form.action.data)
    if not form.validate():
        return form, None
    return form, _filter_of(form)


# --- what a row shows ----------------------------------------------------------------------------------

def actor_label(label: dict[str, Any]) -> str:
    if label.get("type") == "system":
        return _("the system")
    return label.get("email") or str(label.get("id", ""))


def _raw(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The recorded fields as they are in the log, for whoever checks a sentence against the record."""
    return [(key, canonical_bytes(value).decode("utf-8") if not isinstance(value, str) else value)
            for key, value in data.items()]


def _rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    context = audit_queries.event_context(db(), actor(), events)
    definitions = dict(runtime_of(db()).workflows.current)
    return [{"seq": e["seq"], "at": format_datetime(e["at"], "d MMMM y, HH:mm:ss"),
             "actor": actor_label(e["actor"]), "action": e["action"],
             "action_name": audit_sentences.action_name(e["action"]),
             "sentence": audit_sentences.tell(e, context, definitions),
             "case": (e["case"] or {}).get("reference"), "raw": _raw(e["data"])}
            for e in events]


# Why a link breaks, as the chain's verifier words it, in the page's language.
def _reason(result: Verification) -> str:
    reasons = {
        "does not point at the previous event": _("it does not point at the event before it"),
        "its hash does not match its content": _("its content no longer matches its hash"),
        "its body is not JSON": _("its content cannot be read"),
        "its body names another sequence number": _("its content names another sequence number"),
        "its columns disagree with its body": _("its searchable columns disagree with its content"),
    }
    reason = result.reason or ""
    if reason in reasons:
        return reasons[reason]
    if "missing" in reason:
        return _("it is missing")
    if "out of order" in reason:
        return _("an event is out of order there")
    return reason


def _signed_words(status: audit_queries.SignedStatus) -> dict[str, Any]:
    """The latest signed checkpoint in plain words: what it covers, and whether it still holds."""
    checkpoint = status.checkpoint
    if checkpoint is None:
        return {"signed": None}
    problem = status.problem
    if problem is None:
        verdict = None
    elif problem.startswith("the chain ends at"):
        verdict = _("The log now ends at event %(end)d, but the signed checkpoint covers event %(seq)d: "
                    "events were removed from its end.", end=status.chain_end, seq=checkpoint.sequence)
    elif problem.startswith("event "):
        verdict = _("Event %(seq)d is no longer the event that was signed: the log was changed up to it.",
                    seq=checkpoint.sequence)
    else:
        verdict = _("Its signature does not verify: the checkpoint was altered or not signed by the key it "
                    "names.")
    return {"signed": checkpoint, "signed_at": format_datetime(checkpoint.signed_at, "d MMMM y, HH:mm"),
            "signed_problem": verdict}


# --- the pages --------------------------------------------------------------------------------------

def _page(form: AuditFilterForm, **shown: Any) -> str:
    status = audit_queries.verify(db(), actor())
    verification = status.verification
    full = status.last_full
    context: dict[str, Any] = {
        "form": form, "verification": verification, "timezone": select_timezone(),
        "reason": _reason(verification) if not verification.ok else None,
        "full": full, "full_at": format_datetime(full.verified_at, "d MMMM y, HH:mm") if full else None,
        "full_reason": _reason(Verification(False, full.events, full.head, full.first_bad_seq, full.reason))
        if full is not None and not full.ok else None,
        "rows": [], "next_url": None, "first_url": None, "csv_url": None, "filtered": False, "after": 0}
    context.update(_signed_words(audit_queries.signed_checkpoint(db(), actor())))
    context.update(shown)
    return render_template("web/audit.html", **context)


@bp.get("/audit")
def audit_log() -> Any:
    require_role(AUDITORS)
    after_text = request.args.get("after", "0")
    if not (after_text.isascii() and after_text.isdigit()) or len(after_text) > 18:
        return error_page(_("The request could not be understood"),
                          _("The page link is not valid. Go back to the first page of the audit log."), 400)
    form, flt = _read_filters()
    if flt is None:
        return _page(form), 422
    args, after = _filter_args(form), int(after_text)
    events, cursor = audit_queries.list_events(db(), actor(), flt, after=after, limit=PAGE_SIZE)
    return _page(
        form, rows=_rows(events), filtered=bool(args), after=after,
        next_url=url_for("web.audit_log", **args, after=cursor) if cursor is not None else None,
        first_url=url_for("web.audit_log", **args) if after else None,
        csv_url=url_for("web.audit_csv", **args))


def csv_cell(value: Any) -> str:
    """A value as a CSV cell no spreadsheet takes for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([csv_cell(v) for v in values])
    return out.getvalue()


def _csv_rows(flt: audit_queries.AuditFilter, before: int) -> Iterator[str]:
    yield _csv_line(list(CSV_COLUMNS))
    lines: list[str] = []
    for event in audit_queries.export_events(db(), actor(), flt, before=before, batch=EXPORT_BATCH):
        who = event["actor"]
        lines.append(_csv_line([
            event["seq"], format_instant(event["at"]), who.get("id"), who.get("email"), event["action"],
            (event["case"] or {}).get("reference"), canonical_bytes(event["data"]).decode("utf-8"),
            event["hash"], event["prev_hash"]]))
        if len(lines) >= EXPORT_BATCH:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


@bp.get("/audit.csv")
def audit_csv() -> Any:
    require_role(AUDITORS)
    form, flt = _read_filters()
    if flt is None:
        return _page(form), 422
    now = clock()
    # Recorded and committed before the first row leaves: the export covers the log up to its own
    # event, and the chain is not held locked while the file streams.
    before = audit_queries.record_export(db(), actor(), now, flt)
    commit()
    name = f"tacase-audit-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.csv"
    response = Response(stream_with_context(_csv_rows(flt, before)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
