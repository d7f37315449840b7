"""The public record as open data: one row per published request, in CSV and JSON, with the same
columns in both, and the list of those columns (the data dictionary).

A row is made from `public_record.public_view` alone, so that no file can hold more than the pages
show. The columns come from the workflow files: the common fields they make public, their own
public fields and what their steps record in public; a money value is two columns (amount and
currency). In CSV a list is one cell, its values separated by "; ", and a cell a spreadsheet would
read as a formula starts with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tacase.audit.canonical import jsonable
from tacase.engine.definitions import WorkflowDefinition
from tacase.services.report_tables import N_

# What a column holds; the dictionary says it in words.
TEXT, CODE, DATE, NUMBER, INTEGER, BOOLEAN, LIST = (
    "text", "code", "date", "number", "integer", "boolean", "list")
KINDS = (TEXT, CODE, DATE, NUMBER, INTEGER, BOOLEAN, LIST)
LIST_SEPARATOR = "; "
# Cells a spreadsheet reads as a formula (OWASP, CSV injection): they get an apostrophe first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    label: str  # English words; a field's label from its workflow file
    source: str = "record"  # "record" (the request as a whole), "field" (a field), "step" (a step records it)
    steps: tuple[str, ...] = ()  # for a step's record: the labels of the steps that record it
    currency_of: str | None = None  # for a money value's currency: the amount's column


# Every published request has these, whatever its type.
BASE_COLUMNS: tuple[Column, ...] = (
    Column("reference", CODE, N_("Reference")),
    Column("state_code", CODE, N_("State code")),
    Column("state_name", TEXT, N_("State")),
    Column("type", CODE, N_("Type of request (code)")),
    Column("type_title", TEXT, N_("Type of request")),
    Column("status", CODE, N_("Status (code)")),
    Column("status_label", TEXT, N_("Status")),
    Column("submitted_on", DATE, N_("Sent to OHCHR")),
    Column("closed_on", DATE, N_("Closed on")),
    Column("stages", LIST, N_("Stages reached")),
)

# The common fields a workflow file may make public, with what they hold.
COMMON_FIELD_COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("title", TEXT, N_("Title"), "field"),
    Column("objectives", TEXT, N_("Objectives"), "field"),
    Column("activities", TEXT, N_("Activities"), "field"),
    Column("expected_results", LIST, N_("Expected results"), "field"),
    Column("channel_reference", TEXT, N_("Reference of the official channel"), "field"),
    Column("channel_date", DATE, N_("Date of the official channel"), "field"),
    Column("recipient_institutions", LIST, N_("Recipient institutions"), "field"),
    Column("planned_start", DATE, N_("Planned start"), "field"),
    Column("planned_end", DATE, N_("Planned end"), "field"),
    Column("budget", NUMBER, N_("Budget"), "field"),
    Column("funding_source", CODE, N_("Fund"), "field"),
    Column("recommendations", LIST, N_("Recommendations"), "field"),
    Column("sdg_targets", LIST, N_("Sustainable Development Goal targets"), "field"),
    Column("themes", LIST, N_("Themes"), "field"),
)}

_SPEC_KINDS = {"string": TEXT, "text": TEXT, "integer": INTEGER, "decimal": NUMBER, "money": NUMBER,
               "date": DATE, "boolean": BOOLEAN, "choice": CODE}


def currency_column(column: Column) -> Column:
    return Column(f"{column.name}_currency", CODE, f"{column.label} (currency)", column.source, column.steps,
                  currency_of=column.name)


def _money_names(definitions: Iterable[WorkflowDefinition]) -> set[str]:
    names = {"budget"}
    for d in definitions:
        names |= {f.name for f in d.fields if f.type == "money"}
        names |= {s.name for t in d.transitions for s in t.record if s.type == "money"}
    return names


def columns(definitions: Iterable[WorkflowDefinition]) -> tuple[Column, ...]:
    """The files' columns for these workflows: the same for every row, in a stable order."""
    definitions = list(definitions)
    money = _money_names(definitions)
    found: dict[str, Column] = {c.name: c for c in BASE_COLUMNS}

    def add(column: Column) -> None:
        if column.name in found:
            return  # a name two workflows share is one column, as the first declares it
        found[column.name] = column
        if column.name in money:
            found.setdefault(f"{column.name}_currency", currency_column(column))

    for d in definitions:
        specs = {f.name: f for f in d.fields}
        for name in d.public_fields():
            if name in COMMON_FIELD_COLUMNS:
                add(COMMON_FIELD_COLUMNS[name])
            elif name in specs:
                add(Column(name, _SPEC_KINDS.get(specs[name].type, TEXT), specs[name].label, "field"))
    recorded: dict[str, tuple[Any, list[str]]] = {}  # name -> (its first spec, the steps' labels)
    for d in definitions:
        for t in d.transitions:
            for spec in t.record:
                if spec.public:
                    labels = recorded.setdefault(spec.name, (spec, []))[1]
                    if t.label not in labels:
                        labels.append(t.label)
    for name, (spec, labels) in recorded.items():
        add(Column(name, _SPEC_KINDS.get(spec.type, TEXT), spec.label, "step", tuple(labels)))
    return tuple(found.values())


def row(view: dict[str, Any], cols: Sequence[Column]) -> dict[str, Any]:
    """One published request (public_view's answer) as a row: a value per column, None when empty.
    Only the columns' names are read; what a column does not name is not in the row."""
    values: dict[str, Any] = {
        "reference": view["reference"], "state_code": view["state"]["code"],
        "state_name": view["state"]["name"],
        "type": view["type"], "type_title": view["type_title"], "status": view["status"],
        "status_label": view["status_label"], "submitted_on": view["submitted_on"],
        "closed_on": view["closed_on"],
        "stages": [{"label": s["label"], "entered_on": s["entered_on"]} for s in view["stages"]],
    }
    found = dict(view["fields"])
    for record in view["records"]:  # in order: a value recorded again later wins
        found.update(record["values"])
    names = {c.name for c in cols}
    for name, value in found.items():
        if name not in names or name in values:
            continue
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            values[name] = value["amount"]
            values[f"{name}_currency"] = value["currency"]
        else:
            values[name] = value
    return {c.name: _empty_is_none(jsonable(values.get(c.name))) for c in cols}


def _empty_is_none(value: Any) -> Any:
    return None if value in ("", [], {}) else value


# --- CSV ---------------------------------------------------------------------------------------

def safe_cell(text: str) -> str:
    """Text a spreadsheet will show, never run: a formula's first character is preceded by '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """A row's value as one CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return safe_cell(LIST_SEPARATOR.join(_item(v) for v in value))
    if isinstance(value, dict):
        return safe_cell(_item(value))
    return safe_cell(str(value))


def _item(value: Any) -> str:
    """One value of a list, in words: a stage with its date, a result with its indicators, a
    recommendation with its document and paragraph."""
    if isinstance(value, dict):
        if "entered_on" in value:
            return f"{value.get('label')} ({value.get('entered_on')})"
        if "result" in value:
            indicators = ", ".join(str(i) for i in value.get("indicators") or [])
            return f"{value['result']}" + (f" (indicators: {indicators})" if indicators else "")
        if "document_symbol" in value:
            parts = [value.get("mechanism"), value.get("document_symbol"), value.get("paragraph")]
            return " ".join(str(p) for p in parts if p)
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    return "" if value is None else str(value)


def csv_chunks(rows: Iterable[dict[str, Any]], cols: Sequence[Column], *, batch: int = 200) -> Iterator[str]:
    """The CSV text (RFC 4180: a header row, CRLF line ends) in pieces of `batch` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in cols])
    for count, r in enumerate(rows, 1):
        writer.writerow([cell(r[c.name]) for c in cols])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- JSON --------------------------------------------------------------------------------------

def json_chunks(rows: Iterable[dict[str, Any]], metadata: dict[str, Any], *, key: str = "cases",
                batch: int = 200) -> Iterator[str]:
    """{...metadata, key: [row, ...]} as JSON text in pieces, written as the rows come."""
    head = json.dumps(jsonable(metadata), ensure_ascii=False, indent=1)
    yield head[:-2] + f',\n "{key}": [' if metadata else '{\n "' + key + '": ['
    parts: list[str] = []
    first = True
    for r in rows:
        parts.append(("\n  " if first else ",\n  ") + json.dumps(r, ensure_ascii=False, default=_default))
        first = False
        if len(parts) >= batch:
            yield "".join(parts)
            parts = []
    parts.append("\n ]\n}\n")
    yield "".join(parts)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
