"""A call's results: the submitted answers counted per question, for the office and the Board.

Counted values come from `call_answers` as grouped counts, one query for the choices and scales'
points and one for the numbers, never one per question or per response. How many responses answered
each several-choice question, text, date and table is counted from `call_answered` in one statement,
and the answers listed are read in one statement that takes the first of each question from its
index and reads only those responses' answers: no response is read that is not listed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallAnswer, CallAnswered, CallDocument, CallResponse
from tacase.engine.calls import CallDefinition, Question
from tacase.reference import requesting_states

CHOICE_TYPES = ("choice", "choices", "yes_no")
LISTED_TYPES = ("text", "long_text", "date", "table")
# Texts listed per question; the count of all answers is given beside them.
LISTED_LIMIT = 50
HISTOGRAM_BINS = 6
CENT = Decimal("0.01")
YES_NO = ("yes", "no")


def regions() -> tuple[str, ...]:
    """The regions a result may be filtered by (those of the Member and observer States)."""
    return tuple(sorted({s.region for s in requesting_states().values() if s.region}))


def region_states(region: str) -> list[str]:
    return sorted(code for code, s in requesting_states().items() if s.region == region)


def _answer_filters(call: Call, region: str | None, respondent_type: str | None) -> list[Any]:
    clauses: list[Any] = [CallAnswer.call_id == call.id]
    if region is not None:
        clauses.append(CallAnswer.region == region)
    if respondent_type is not None:
        clauses.append(CallAnswer.respondent_type == respondent_type)
    return clauses


def _answered_filters(call: Call, region: str | None, respondent_type: str | None) -> list[Any]:
    clauses: list[Any] = [CallAnswered.call_id == call.id]
    if region is not None:
        clauses.append(CallAnswered.region == region)
    if respondent_type is not None:
        clauses.append(CallAnswered.respondent_type == respondent_type)
    return clauses


def _response_filters(call: Call, region: str | None, respondent_type: str | None) -> list[Any]:
    clauses: list[Any] = [CallResponse.call_id == call.id, CallResponse.status == "submitted"]
    if region is not None:
        clauses.append(CallResponse.state_code.in_(region_states(region)))
    if respondent_type is not None:
        clauses.append(CallResponse.respondent_type == respondent_type)
    return clauses


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def N_(message: str) -> str:
    return message


def _option_rows(question: Question, counts: dict[str, int], answered: int, language: str,
                 gettext: Callable[[str], str]) -> list[dict]:
    if question.type == "yes_no":
        labels = {"yes": gettext(N_("Yes")), "no": gettext(N_("No"))}
        values = list(YES_NO)
    else:
        labels = {o.value: o.label.text(language) for o in question.options}
        values = [o.value for o in question.options]
    # Answers given under an earlier version, to an option since removed, are still counted.
    values += sorted(v for v in counts if v not in values)
    return [{"value": v, "label": labels.get(v, v), "count": counts.get(v, 0),
             "share": _share(counts.get(v, 0), answered)} for v in values]


def _scale_rows(question: Question, counts: dict[Decimal, int], answered: int, language: str) -> list[dict]:
    low = int(question.minimum) if question.minimum is not None else 0
    high = int(question.maximum) if question.maximum is not None else low
    points: list[Decimal] = [Decimal(v) for v in range(low, high + 1)]
    points += sorted(v for v in counts if v not in points)
    rows = []
    for point in points:
        label = _decimal_text(point)
        if point == low and question.min_label is not None:
            label = f"{label} ({question.min_label.text(language)})"
        elif point == high and question.max_label is not None:
            label = f"{label} ({question.max_label.text(language)})"
        count = counts.get(point, 0)
        rows.append({"value": int(point) if point == point.to_integral_value() else _decimal_text(point),
                     "label": label, "count": count, "share": _share(count, answered)})
    return rows


def _median(values: list[tuple[Decimal, int]], count: int) -> Decimal:
    """The median of sorted (value, how many) pairs."""
    def nth(n: int) -> Decimal:
        seen = 0
        for value, times in values:
            seen += times
            if seen > n:
                return value
        return values[-1][0]
    if count % 2:
        return nth(count // 2)
    return (nth(count // 2 - 1) + nth(count // 2)) / 2


def _nice_width(raw: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten at least `raw`: edges a reader takes in."""
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def _histogram(values: list[tuple[Decimal, int]]) -> list[dict]:
    """About HISTOGRAM_BINS bins of one round width, each from its lower edge up to (not including) the
    next; every answer falls in one."""
    low, high = values[0][0], values[-1][0]
    if low == high:
        return [{"from": _decimal_text(low), "to": _decimal_text(high), "count": sum(t for _, t in values)}]
    width = _nice_width((high - low) / HISTOGRAM_BINS)
    start = (low / width).to_integral_value(rounding=ROUND_FLOOR) * width
    bins = [0] * (int((high - start) / width) + 1)
    for value, times in values:
        bins[int((value - start) / width)] += times
    return [{"from": _decimal_text(start + width * i), "to": _decimal_text(start + width * (i + 1)),
             "count": n} for i, n in enumerate(bins)]


def _number_summary(values: list[tuple[Decimal, int]]) -> dict[str, Any]:
    count = sum(t for _, t in values)
    if not count:
        return {"count": 0, "sum": None, "min": None, "max": None, "median": None, "mean": None,
                "distribution": []}
    total = sum((v * t for v, t in values), Decimal(0))
    return {"count": count, "sum": _decimal_text(total), "min": _decimal_text(values[0][0]),
            "max": _decimal_text(values[-1][0]), "median": _decimal_text(_median(values, count)),
            "mean": _decimal_text((total / count).quantize(CENT, rounding=ROUND_HALF_UP)),
            "distribution": _histogram(values)}


def _as_decimal(value: Any) -> Decimal:
    # SQLite hands numbers back as floats; their text is the value that was stored.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _point(choice: str) -> Decimal | None:
    try:
        return Decimal(choice)
    except InvalidOperation:
        return None


def _listed_value(question: Question, raw: Any) -> Any:
    if question.type == "table":
        try:
            rows = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None
        return rows if isinstance(rows, list) and rows else None
    text = str(raw).strip() if raw is not None else ""
    return text or None


def results(session: Session, call: Call, definition: CallDefinition, *, region: str | None = None,
            respondent_type: str | None = None, language: str = "en",
            listed_limit: int = LISTED_LIMIT, gettext: Callable[[str], str] = lambda s: s) -> dict[str, Any]:
    """Per question of the call (in the definition's order): what was answered by the submitted
    responses, filtered by the region of their State and the type of respondent."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for q in definition.questions:
        by_type[q.type].append(q.key)
    answers = _answer_filters(call, region, respondent_type)
    # Plain rows (Core, not the ORM's loading): thousands of grouped counts are read here.
    connection = session.connection()

    # The responses counted, and those that answered each several-choice question (counted once however
    # many options they chose), text, date and table counted from their marks: one statement, each
    # question's count read from its own range of the index (a grouped count of a list of questions
    # would hash every mark instead).
    listed_keys = [k for t in LISTED_TYPES for k in by_type[t]]
    marked_keys = [*by_type["choices"], *listed_keys]
    marks = _answered_filters(call, region, respondent_type)
    counts = connection.execute(select(
        select(func.count()).select_from(CallResponse)
        .where(*_response_filters(call, region, respondent_type)).scalar_subquery(),
        *(select(func.count()).select_from(CallAnswered).where(*marks, CallAnswered.question == key)
          .scalar_subquery() for key in marked_keys))).one()
    responses = counts[0]
    answered: dict[str, int] = dict(zip(marked_keys, counts[1:], strict=True))

    # Every choice made, and every scale's point (stored as its option too), counted in one pass over
    # the index: numbers, and the values of questions no longer of such a type, are left out here rather
    # than in the statement, which then reads the index in its order without comparing anything.
    choice_keys = {k for t in CHOICE_TYPES for k in by_type[t]}
    scale_keys = set(by_type["scale"])
    choice_counts: dict[str, dict[str, int]] = defaultdict(dict)
    numbers: dict[str, list[tuple[Decimal, int]]] = defaultdict(list)
    if choice_keys or scale_keys:
        for key, choice, count in connection.execute(
                select(CallAnswer.question, CallAnswer.choice, func.count())
                .where(*answers).group_by(CallAnswer.question, CallAnswer.choice)).all():
            if choice is None:
                continue  # a number
            if key in choice_keys:
                choice_counts[key][choice] = count
            elif key in scale_keys and (point := _point(choice)) is not None:
                numbers[key].append((point, count))

    # The numbers given (a scale's point has its option): read in order from an index of them alone.
    number_keys = set(by_type["number"])
    if number_keys:
        for key, number, count in connection.execute(
                select(CallAnswer.question, CallAnswer.number, func.count())
                .where(*answers, CallAnswer.number.is_not(None), CallAnswer.choice.is_(None))
                .group_by(CallAnswer.question, CallAnswer.number)
                .order_by(CallAnswer.question, CallAnswer.number)).all():
            if key in number_keys:
                numbers[key].append((_as_decimal(number), count))

    listed = _listed(session, call, definition, region, respondent_type, listed_limit, listed_keys)
    documents = _documents(session, call, region, respondent_type, by_type["document"])

    out = []
    for q in definition.questions:
        item: dict[str, Any] = {"key": q.key, "type": q.type, "label": q.label.text(language),
                                "section": q.section.text(language) if q.section else None,
                                "required": q.required}
        if q.type in ("choice", "yes_no"):
            counts = choice_counts.get(q.key, {})
            item["answered"] = sum(counts.values())
            item["options"] = _option_rows(q, counts, item["answered"], language, gettext)
        elif q.type == "choices":
            counts = choice_counts.get(q.key, {})
            item["answered"] = answered.get(q.key, 0)
            item["options"] = _option_rows(q, counts, item["answered"], language, gettext)
        elif q.type == "scale":
            values = _merged(numbers.get(q.key, []))
            item["answered"] = sum(t for _, t in values)
            item["options"] = _scale_rows(q, dict(values), item["answered"], language)
            summary = _number_summary(values)
            item["median"], item["mean"] = summary["median"], summary["mean"]
        elif q.type == "number":
            summary = _number_summary(numbers.get(q.key, []))
            item["answered"] = summary["count"]
            item["unit"] = q.unit.text(language) if q.unit else None
            item.update(summary)
        elif q.type == "document":
            files = documents.get(q.key, [])
            item["answered"] = len({f["response"] for f in files})
            item["files"] = files
        else:
            entries = listed.get(q.key, [])
            item["answered"] = answered.get(q.key, 0)
            item["answers"] = entries
            item["listed"] = len(entries)
            if q.type == "table":
                item["columns"] = [{"key": c.key, "type": c.type, "label": c.label.text(language)}
                                   for c in q.columns]
        out.append(item)
    return {"call": call.key, "version": definition.version, "responses": responses,
            "filters": {"region": region, "respondent_type": respondent_type}, "questions": out}


def _merged(values: list[tuple[Decimal, int]]) -> list[tuple[Decimal, int]]:
    merged: dict[Decimal, int] = defaultdict(int)
    for value, times in values:
        merged[value] += times
    return sorted(merged.items())


def _respondent(row: Any) -> dict[str, Any]:
    return {"response": row.id, "state": row.state_code, "organisation": row.organisation,
            "respondent_type": row.respondent_type}


def _listed(session: Session, call: Call, definition: CallDefinition, region: str | None,
            respondent_type: str | None, limit: int, keys: list[str]) -> dict[str, list[dict]]:
    """Texts, dates and tables: the first `limit` answers of each question, in the order the responses
    were submitted. One statement: per question, the first marks read in the index's order, and only
    the answer to that question read out of each of those responses."""
    if not keys:
        return {}
    filters = _answered_filters(call, region, respondent_type)
    branches = []
    for key in keys:
        first = (select(CallAnswered.response_id, CallAnswered.question, CallAnswered.submitted_at)
                 .where(*filters, CallAnswered.question == key)
                 .order_by(CallAnswered.submitted_at, CallAnswered.response_id).limit(limit).subquery())
        branches.append(
            select(first.c.question, first.c.submitted_at, CallResponse.id, CallResponse.state_code,
                   CallResponse.organisation, CallResponse.respondent_type,
                   CallResponse.answers[key].as_string().label("value"))
            .join_from(first, CallResponse, CallResponse.id == first.c.response_id))
    rows = session.connection().execute(union_all(*branches)).all()
    entries: dict[str, list[dict]] = {k: [] for k in keys}
    for row in sorted(rows, key=lambda r: (r.submitted_at, r.id)):
        question = definition.question(row.question)
        value = _listed_value(question, row.value) if question is not None else None
        if value is not None:
            entries[row.question].append({**_respondent(row), "value": value})
    return entries


def _documents(session: Session, call: Call, region: str | None, respondent_type: str | None,
               keys: list[str]) -> dict[str, list[dict]]:
    if not keys:
        return {}
    out: dict[str, list[dict]] = defaultdict(list)
    query = (select(CallDocument.id, CallDocument.question, CallDocument.filename, CallDocument.size,
                    CallDocument.content_type, CallResponse.id.label("response_id"), CallResponse.state_code,
                    CallResponse.organisation, CallResponse.respondent_type)
             .join(CallResponse, and_(CallResponse.id == CallDocument.response_id))
             .where(CallDocument.call_id == call.id, CallDocument.question.in_(keys),
                    *_response_filters(call, region, respondent_type))
             .order_by(CallResponse.submitted_at, CallDocument.id))
    for row in session.execute(query):
        out[row.question].append({"id": row.id, "filename": row.filename, "size": row.size,
                                  "content_type": row.content_type, "response": row.response_id,
                                  "state": row.state_code, "organisation": row.organisation,
                                  "respondent_type": row.respondent_type})
    return out
