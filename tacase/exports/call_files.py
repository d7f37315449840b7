"""A call's responses as files for the office: CSV, XLSX (responses and a data dictionary) and a zip
of the CSV with its dictionary as CSV. One row per response, one column per question.

A cell that a spreadsheet would read as a formula gets an apostrophe first: answers are typed by
people outside the office, and a file opened in a spreadsheet must never run what they typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallDocument, CallResponse
from tacase.engine.calls import CallDefinition, Question
from tacase.reference import all_states

FORMATS = ("csv", "xlsx", "zip")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "zip": "application/zip"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIXED_COLUMNS = ("response", "state", "state_name", "region", "respondent_type", "organisation", "status",
                 "late", "submitted_at", "call_version")
DICTIONARY_COLUMNS = ("column", "question", "type", "options", "required", "condition", "section")
_FIXED_MEANING = {
    "response": "the response's number", "state": "the State's ISO alpha-3 code (empty for a stakeholder)",
    "state_name": "the State's name", "region": "the State's region",
    "respondent_type": "state, ministry, local_government, parliament, judiciary, other_state_body, nhri, "
                       "civil_society, academia or other",
    "organisation": "the body that answered", "status": "draft or submitted",
    "late": "yes when submitted after the closing date", "submitted_at": "when it was submitted (UTC)",
    "call_version": "the version of the call the response answered",
}


def safe(value: Any) -> Any:
    """A cell as text a spreadsheet shows and never runs."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(question: Question, value: Any, documents: dict[int, str]) -> Any:
    if value is None or value == "" or value == []:
        return ""
    if question.type == "choices" and isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if question.type == "yes_no":
        return "yes" if value is True else "no" if value is False else str(value)
    if question.type == "table":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if question.type == "document":
        ids = value if isinstance(value, list) else [value]
        return "; ".join(documents.get(i, str(i)) if isinstance(i, int) else str(i) for i in ids)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def header(definition: CallDefinition) -> list[str]:
    return [*FIXED_COLUMNS, *(q.key for q in definition.questions)]


def rows(session: Session, call: Call, definition: CallDefinition) -> Iterator[list[Any]]:
    """Every response of the call (drafts too, marked), oldest first, as cells ready to write."""
    documents = dict(session.execute(select(CallDocument.id, CallDocument.filename)
                                     .where(CallDocument.call_id == call.id)).all())
    states = all_states()
    query = (select(CallResponse.id, CallResponse.state_code, CallResponse.respondent_type,
                    CallResponse.organisation, CallResponse.status, CallResponse.late,
                    CallResponse.submitted_at, CallResponse.call_version, CallResponse.answers)
             .where(CallResponse.call_id == call.id).order_by(CallResponse.id))
    for r in session.execute(query).yield_per(500):
        state = states.get(r.state_code) if r.state_code else None
        answers = r.answers if isinstance(r.answers, dict) else {}
        fixed = [r.id, r.state_code or "", state.name("en") if state else "", state.region if state else "",
                 r.respondent_type, r.organisation or "", r.status, "yes" if r.late else "no",
                 r.submitted_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if r.submitted_at else "",
                 r.call_version]
        yield [safe(v) for v in fixed] + [safe(_cell(q, answers.get(q.key), documents))
                                          for q in definition.questions]


def _options(question: Question, language: str) -> str:
    if question.type == "yes_no":
        return "yes; no"
    if question.type == "scale":
        return f"{question.minimum} to {question.maximum}"
    if question.type == "table":
        return "; ".join(f"{c.key} ({c.type}): {c.label.text(language)}" for c in question.columns)
    return "; ".join(f"{o.value} = {o.label.text(language)}" for o in question.options)


def _condition(question: Question) -> str:
    if question.when is None:
        return ""
    values = ", ".join("yes" if v is True else "no" if v is False else str(v) for v in question.when.values)
    return f"asked when {question.when.question} is {values}" if len(question.when.values) == 1 else (
        f"asked when {question.when.question} is one of {values}")


def dictionary(definition: CallDefinition, language: str = "en") -> list[list[Any]]:
    """What each column holds: the fixed columns, then each question with its type, options and condition."""
    out: list[list[Any]] = [[name, _FIXED_MEANING[name], "", "", "", "", ""] for name in FIXED_COLUMNS]
    for q in definition.questions:
        section = q.section.text(language) if q.section else ""
        out.append([q.key, q.label.text(language), q.type, _options(q, language),
                    "yes" if q.required else "no", _condition(q), section])
    return [[safe(v) for v in row] for row in out]


def _csv(head: list[str] | tuple[str, ...], body: Any) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(head)
    writer.writerows(body)
    return ("\ufeff" + text.getvalue()).encode("utf-8")  # the mark makes spreadsheets read UTF-8


def render_csv(session: Session, call: Call, definition: CallDefinition) -> bytes:
    return _csv(header(definition), rows(session, call, definition))


def render_zip(session: Session, call: Call, definition: CallDefinition, language: str = "en") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("responses.csv", render_csv(session, call, definition))
        archive.writestr("data_dictionary.csv", _csv(DICTIONARY_COLUMNS, dictionary(definition, language)))
    return out.getvalue()


def render_xlsx(session: Session, call: Call, definition: CallDefinition, language: str = "en") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(row: list[Any]) -> list[Any]:
        # Control characters a workbook cannot hold (a pasted text may carry them) are left out.
        return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]

    # Written row by row: a call's thousands of responses never sit in memory as cells.
    book = Workbook(write_only=True)
    responses = book.create_sheet("Responses")
    responses.freeze_panes = "A2"
    responses.append(header(definition))
    for row in rows(session, call, definition):
        responses.append(clean(row))
    data = book.create_sheet("Data dictionary")
    data.append(list(DICTIONARY_COLUMNS))
    for row in dictionary(definition, language):
        data.append(clean(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(session: Session, call: Call, definition: CallDefinition, fmt: str, language: str = "en") -> bytes:
    if fmt == "csv":
        return render_csv(session, call, definition)
    if fmt == "xlsx":
        return render_xlsx(session, call, definition, language)
    if fmt == "zip":
        return render_zip(session, call, definition, language)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
