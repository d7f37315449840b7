"""How values and history read on a page: money, dates, choices and lists; one line per event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask
from flask_babel import format_date, format_decimal, gettext
from flask_babel import lazy_gettext as _l

from tacase.engine.definitions import WorkflowDefinition
from tacase.reference import requesting_state
from tacase.web.i18n import due, state_name
from tacase.web.views.case_forms import field_errors, field_labels, humanise


def show_value(value: Any) -> str:
    """A field's value as text for people; "—" when there is none."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        try:
            amount = format_decimal(Decimal(str(value["amount"])), format="#,##0.00")
        except (InvalidOperation, ValueError):
            amount = str(value["amount"])
        return f"{amount} {value['currency']}"
    if isinstance(value, dict) and "result" in value:
        indicators = "; ".join(value.get("indicators") or [])
        return f"{value['result']}" + (f" ({gettext('indicators')}: {indicators})" if indicators else "")
    if isinstance(value, dict) and "document_symbol" in value:
        mechanism = value.get("mechanism") or ""
        parts = [gettext(humanise(mechanism)) if mechanism else "", value["document_symbol"],
                 value.get("paragraph")]
        return " · ".join(p for p in parts if p)
    if isinstance(value, list):
        return "\n".join(show_value(v) for v in value)
    if isinstance(value, dt.datetime):
        return due(value)
    if isinstance(value, dt.date):  # as deadlines are written: one format for dates everywhere
        return format_date(value, "d MMMM y")
    if isinstance(value, str) and value.replace("_", "").isalpha() and value.islower() and "_" in value:
        return gettext(humanise(value))  # a choice such as highly_satisfactory
    return str(value)


def _record_specs(definition: WorkflowDefinition) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for t in definition.transitions:
        out.setdefault(t.trigger, {}).update({f.name: f for f in t.record})
    return out


def show_recorded(spec: Any, value: Any) -> str:
    """A value recorded with a step: a choice by its label ('Approve', not 'approve'), dates as people
    write them."""
    if spec is not None and spec.type == "choice" and isinstance(value, str):
        return gettext(humanise(value))
    return show_value(value)


# A step's event in the history, named as the State would say it happened (the button says the act).
EVENT_TITLES = {
    "submit": _l("Request sent to OHCHR"),
    "resubmit": _l("Reply sent to OHCHR"),
}


def _labels(definition: WorkflowDefinition, for_state: bool) -> dict[str, str]:
    return {name: (s.public_label if for_state else s.staff_label) for name, s in definition.states.items()}


def _who(person: dict[str, Any] | None) -> str:
    if not person or person.get("kind") == "system":
        return gettext("tacase (scheduled check)")
    return person.get("name") or gettext("OHCHR")


ACTION_TEXT = {
    "case.created": _l("Request opened"),
    "case.updated": _l("Request edited"),
    "case.assigned": _l("Assignment changed"),
    "comment.added": _l("Comment"),
    "document.uploaded": _l("Document added"),
    "document.downloaded": _l("Document downloaded"),
    "document.published": _l("Document published with the request"),
    "document.unpublished": _l("Document no longer published"),
    "deadline.reminder": _l("Reminder sent"),
    "deadline.overdue": _l("Marked overdue"),
    "deadline.escalation": _l("Escalated to the approvers"),
    "deadline.state_reminder": _l("Reminder sent to the State"),
    "deadline.last_notice": _l("Last notice sent to the State"),
}


def timeline(events: list[dict[str, Any]], definition: WorkflowDefinition, for_state: bool,
             people: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Each event of a case's history as a heading and its details, in the reader's terms."""
    records = _record_specs(definition)
    labels = _labels(definition, for_state)
    rows = []
    for event in events:
        data, action = event["data"], event["action"]
        details: list[tuple[str, str]] = []  # (label, value): a definition list needs both
        text = ""  # a comment's words, shown as they are under the event's title
        if action == "case.transition":
            trigger = data.get("trigger")
            label = next((t.label for t in definition.transitions if t.trigger == trigger), trigger)
            title = (str(EVENT_TITLES[trigger]) if trigger in EVENT_TITLES
                     else gettext(label) if label else action)
            to = data.get("to")
            details.append((gettext("Status"), gettext(labels.get(to, to or ""))))
            specs = records.get(trigger, {})
            for name, value in (data.get("record") or {}).items():
                spec = specs.get(name)
                details.append((gettext(spec.label) if spec else humanise(name), show_recorded(spec, value)))
            if data.get("comment"):
                details.append((gettext("Comment"), data["comment"]))
        else:
            title = str(ACTION_TEXT.get(action, action))
            if action == "case.updated":
                names = field_labels(definition)
                changed = ", ".join(names.get(n, n.replace("_", " ")) for n in (data.get("changes") or {}))
                details.append((gettext("Fields changed"), changed))
            elif action == "comment.added":
                if data.get("kind") == "feedback":
                    title = gettext("The State's feedback")
                elif data.get("visibility") == "internal":
                    title = gettext("Internal comment")
                text = data.get("body", "")
            elif action in ("document.uploaded", "document.downloaded", "document.published",
                            "document.unpublished"):
                details.append((gettext("File"), data.get("filename", "")))
            elif action == "case.assigned" and people is not None:
                details.append((gettext("Assigned to"), people.get(data.get("to"), gettext("nobody"))))
        rows.append({"seq": event["seq"], "at": event["at"], "who": _who(event.get("actor")),
                     "title": title, "details": details, "text": text})
    return rows


DOCUMENT_KINDS = {
    "application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.oasis.opendocument.text": "ODT",
}


def file_size(size: int) -> str:
    if size < 1024:
        return gettext("%(n)d bytes", n=size)
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, format='#,##0.#')} KB"
    return f"{format_decimal(size / (1024 * 1024), format='#,##0.#')} MB"


def state_by_code(code: str | None) -> str:
    found = requesting_state(code or "")
    return state_name(found) if found is not None else (code or "")


def init_presenters(app: Flask) -> None:
    app.jinja_env.filters["show"] = show_value
    app.jinja_env.filters["form_errors"] = field_errors
    app.jinja_env.filters["doc_kind"] = lambda t: DOCUMENT_KINDS.get(t, t)
    app.jinja_env.filters["filesize"] = file_size
    app.jinja_env.filters["state_by_code"] = state_by_code
