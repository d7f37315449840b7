"""The public record as an IATI 2.03 activity file: one `iati-activity` per published request from
its approval onwards.

Pure functions, no database and no Flask: `activity_of` maps what the public record shows of a case
(public_record.public_view's answer) to an `Activity`; `problems` says, in plain words, which of the
rules the IATI validator enforces beyond the schema it breaks; `document_chunks` writes the file.
The mapping, field by field, is the README's section "IATI activity file"; the code reads in the
same order. A value the workflow file does not make public is not in the view, so it cannot be here.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from babel.numbers import get_currency_precision

VERSION = "2.03"
LANGUAGE = "en"  # the narratives' language: the record's texts are kept as the State wrote them in English
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI code lists (https://iatistandard.org/en/iati-standard/203/codelists/)
ORG_TYPE_GOVERNMENT, ORG_TYPE_MULTILATERAL = "10", "40"
ROLE_FUNDING, ROLE_IMPLEMENTING = "1", "4"
DESCRIPTION_GENERAL, DESCRIPTION_OBJECTIVES = "1", "2"
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
# pipeline, implementation, finalisation, closed, cancelled, suspended
STATUSES = ("1", "2", "3", "4", "5", "6")
SECTOR_VOCABULARY_DAC = "1"  # OECD DAC CRS purpose codes, five digits
SECTOR_HUMAN_RIGHTS, SECTOR_HUMAN_RIGHTS_NAME = "15160", "Human rights"
BUDGET_ORIGINAL, BUDGET_COMMITTED = "1", "2"  # budget type "original", status "committed"
TRANSACTION_COMMITMENT = "2"
RESULT_OUTCOME, INDICATOR_QUALITATIVE = "2", "5"
OTHER_IDENTIFIER_OTHER = "B9"  # an identifier another body gave the activity: the State's note verbale
FORBIDDEN_IN_IDENTIFIER = ("/", "&", "|", "?")

# The fund a request asks to pay for it (the common field funding_source), by name.
FUND_NAMES = {
    "vftc": "United Nations Voluntary Fund for Technical Cooperation in the Field of Human Rights",
    "upr_fund": "Voluntary Fund for Financial and Technical Assistance in the Implementation of the "
                "Universal Periodic Review",
    "regular_budget": "United Nations regular budget",
    "extrabudgetary": "Extrabudgetary resources of OHCHR",
    "other": "Other source of funding",
}


@dataclass(frozen=True)
class Publisher:
    """The reporting organisation (settings TACASE_IATI_ORG_REF, _NAME, _TYPE)."""
    ref: str
    name: str
    type: str = ORG_TYPE_MULTILATERAL


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Budget:
    start: dt.date
    end: dt.date
    value: Money
    value_date: dt.date


@dataclass(frozen=True)
class Result:
    title: str
    indicators: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True)
class Activity:
    """One activity as the file states it; every value comes from the public record."""
    reference: str  # the case's
    identifier: str
    title: str | None
    general: str | None  # what will be done (the activities)
    objectives: str | None
    status: str
    funder: str | None
    implementers: tuple[str, ...]
    note_verbale: str | None
    state_name: str
    planned_start: dt.date | None
    planned_end: dt.date | None
    actual_start: dt.date | None
    actual_end: dt.date | None
    countries: tuple[tuple[str, Decimal], ...]  # (ISO 3166-1 alpha-2, percentage)
    sectors: tuple[tuple[str, Decimal], ...]  # (DAC 5-digit code, percentage)
    budgets: tuple[Budget, ...]
    commitment: Money | None
    committed_on: dt.date | None
    results: tuple[Result, ...]
    last_updated: dt.datetime


def identifier(publisher: Publisher, reference: str) -> str:
    """The activity's identifier: the publisher's, a hyphen, the case's reference (never reused)."""
    return f"{publisher.ref}-{reference}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _money(value: Any) -> Money | None:
    if not isinstance(value, Mapping) or value.get("amount") in (None, ""):
        return None
    try:
        amount = Decimal(str(value["amount"]))
    except ArithmeticError:
        return None
    return Money(amount, str(value.get("currency") or ""))


def _recorded(view: Mapping[str, Any], step: str | None = None) -> dict[str, Any]:
    """What the steps recorded in public (of one step when named); a value recorded again later wins."""
    found: dict[str, Any] = {}
    for record in view.get("records", ()):
        if step is None or record["step"] == step:
            found.update(record["values"])
    return found


def _approval(view: Mapping[str, Any], approval_steps: frozenset[str]) -> tuple[Money | None, dt.date | None]:
    """The amount approved and the day of approval: the public money recorded by the step that
    brought the case into the IATI file (`approve`, which records `approved_amount`)."""
    for record in view.get("records", ()):
        if record["step"] not in approval_steps:
            continue
        for value in record["values"].values():
            money = _money(value)
            if money is not None:
                return money, _date(record["on"])
    return None, None


def budget_periods(start: dt.date, end: dt.date, total: Money) -> tuple[Budget, ...]:
    """The total spread over periods of a year at most (the last one shorter), in proportion to
    their days; what rounding leaves goes to the last period, so that the periods add up. Each
    value is dated at its period's start (the validator wants the value date within the period)."""
    if end < start:
        return ()
    periods: list[tuple[dt.date, dt.date]] = []
    begin = start
    while begin <= end:
        try:
            year_later = begin.replace(year=begin.year + 1)
        except ValueError:  # 29 February
            year_later = begin.replace(year=begin.year + 1, day=28)
        stop = min(end, year_later - dt.timedelta(days=1))
        periods.append((begin, stop))
        begin = stop + dt.timedelta(days=1)
    days = (end - start).days + 1
    quantum = Decimal(1).scaleb(-_digits(total.currency))
    budgets, given = [], Decimal(0)
    for n, (begin, stop) in enumerate(periods):
        if n == len(periods) - 1:
            amount = total.amount - given
        else:
            share = total.amount * ((stop - begin).days + 1) / days
            amount = share.quantize(quantum, rounding=ROUND_DOWN)
            given += amount
        budgets.append(Budget(begin, stop, Money(amount, total.currency), begin))
    return tuple(budgets)


def _digits(currency: str) -> int:
    try:
        return int(get_currency_precision(currency))
    except (KeyError, ValueError):
        return 2


def activity_of(view: Mapping[str, Any], publisher: Publisher, *, status: str, last_updated: dt.datetime,
                country_iso2: str | None, approval_steps: frozenset[str] = frozenset({"approve"})
                ) -> Activity:
    """The activity of a published case. `status` is the IATI status its workflow state maps to
    (`iati_status:`), `country_iso2` the requesting State's two-letter code from the reference data
    (None: it has none), `approval_steps` the triggers that bring a case into the file."""
    fields = view.get("fields", {})
    recorded = _recorded(view)
    commitment, committed_on = _approval(view, approval_steps)
    planned_start, planned_end = _date(fields.get("planned_start")), _date(fields.get("planned_end"))
    budgets: tuple[Budget, ...] = ()
    if commitment is not None and planned_start and planned_end:
        budgets = budget_periods(planned_start, planned_end, commitment)
    summary = recorded.get("public_summary")
    results = tuple(
        Result(r["result"], tuple(r.get("indicators") or ()) or (r["result"],),
               summary if isinstance(summary, str) and summary.strip() else None)
        for r in fields.get("expected_results") or () if isinstance(r, Mapping) and r.get("result"))
    fund = fields.get("funding_source")
    return Activity(
        reference=view["reference"],
        identifier=identifier(publisher, view["reference"]),
        title=_text(fields.get("title")),
        general=_text(fields.get("activities")),
        objectives=_text(fields.get("objectives")),
        status=status,
        funder=FUND_NAMES.get(fund, str(fund)) if fund else None,
        implementers=tuple(i for i in fields.get("recipient_institutions") or () if _text(i)),
        note_verbale=_text(fields.get("channel_reference")),
        state_name=view["state"]["name"],
        planned_start=planned_start, planned_end=planned_end,
        actual_start=_date(recorded.get("start_date")), actual_end=_date(recorded.get("end_date")),
        countries=((country_iso2, Decimal(100)),) if country_iso2 else (),
        sectors=((SECTOR_HUMAN_RIGHTS, Decimal(100)),),
        budgets=budgets, commitment=commitment, committed_on=committed_on, results=results,
        last_updated=last_updated,
    )


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# --- the rules the IATI validator enforces beyond the schema ------------------------------------

def N_(text: str) -> str:
    """Marks a reason for translation (babel extracts N_); the page says it in the reader's language."""
    return text


class Reason(str):
    """A reason in English that keeps its template and values, so that a page can translate it."""

    template: str
    params: dict[str, str]

    def __new__(cls, template: str, **params: str) -> Reason:
        made = super().__new__(cls, template % params if params else template)
        made.template, made.params = template, params
        return made

    def stored(self) -> dict[str, Any]:
        return {"template": self.template, "params": self.params}

    @classmethod
    def from_stored(cls, value: Any) -> Reason:
        if isinstance(value, Reason):
            return value
        if isinstance(value, dict) and isinstance(value.get("template"), str):
            return cls(value["template"], **{str(k): str(v) for k, v in (value.get("params") or {}).items()})
        return cls(str(value).replace("%", "%%"))


def problems(activity: Activity, today: dt.date) -> list[Reason]:
    """Why the activity cannot be published, in plain words; empty when it can. (That its
    identifier is unique in the file is the caller's to check: `document_chunks` sees one at a time.)"""
    found = []
    if any(c in activity.identifier for c in FORBIDDEN_IN_IDENTIFIER) or not activity.identifier.strip():
        found.append(Reason(N_("its identifier contains one of / & | ?")))
    if activity.title is None:
        found.append(Reason(N_("it has no public title")))
    if activity.general is None and activity.objectives is None:
        found.append(Reason(N_("it has no public description (activities or objectives)")))
    if not activity.funder and not activity.implementers:
        found.append(Reason(N_("no participating organisation is public (fund or recipient institutions)")))
    if activity.status not in STATUSES:
        found.append(Reason(N_("its workflow state maps to %(status)s, not an IATI activity status"),
                            status=repr(activity.status)))
    if activity.planned_start is None and activity.actual_start is None:
        found.append(Reason(N_("it has no start date (planned or actual)")))
    if activity.planned_start and activity.planned_end and activity.planned_end < activity.planned_start:
        found.append(Reason(N_("its planned end is before its planned start")))
    if activity.actual_start and activity.actual_end and activity.actual_end < activity.actual_start:
        found.append(Reason(N_("its actual end is before its actual start")))
    if activity.actual_start is not None and activity.actual_start > today:
        found.append(Reason(N_("its actual start (%(day)s) is in the future"),
                            day=activity.actual_start.isoformat()))
    if activity.actual_end is not None and activity.actual_end > today:
        found.append(Reason(N_("its actual end (%(day)s) is in the future"),
                            day=activity.actual_end.isoformat()))
    if activity.countries and sum(p for _, p in activity.countries) != 100:
        found.append(Reason(N_("the percentages of its recipient countries do not add up to 100")))
    if activity.sectors and sum(p for _, p in activity.sectors) != 100:
        found.append(Reason(N_("the percentages of its sectors do not add up to 100")))
    if not activity.countries:
        found.append(Reason(N_("its requesting State has no two-letter ISO 3166-1 code "
                               "(no recipient country)")))
    for budget in activity.budgets:
        if budget.end < budget.start or budget.end > _year_after(budget.start):
            found.append(Reason(N_("its budget from %(start)s to %(end)s is not a period of one year "
                                   "at most"), start=budget.start.isoformat(), end=budget.end.isoformat()))
    values = [b.value for b in activity.budgets] + ([activity.commitment] if activity.commitment else [])
    if any(len(v.currency) != 3 or not v.currency.isalpha() for v in values):
        found.append(Reason(N_("a value has no currency")))
    if activity.commitment is not None and activity.committed_on is None:
        found.append(Reason(N_("its commitment has no date")))
    if activity.committed_on is not None and activity.committed_on > today:
        found.append(Reason(N_("its commitment is dated in the future")))
    return found


def _year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1) - dt.timedelta(days=1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


# --- XML ---------------------------------------------------------------------------------------

def _narrative(parent: ET.Element, tag: str | None, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs) if tag else parent
    ET.SubElement(element, "narrative").text = text
    return element


def _value(parent: ET.Element, money: Money, value_date: dt.date) -> None:
    ET.SubElement(parent, "value", {"currency": money.currency, "value-date": value_date.isoformat()}
                  ).text = format(money.amount, "f")


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def activity_element(activity: Activity, publisher: Publisher) -> ET.Element:
    """The `iati-activity` element, its children in the order the schema requires."""
    root = ET.Element("iati-activity", {"last-updated-datetime": _iso(activity.last_updated),
                                        XML_LANG: LANGUAGE})
    ET.SubElement(root, "iati-identifier").text = activity.identifier
    _narrative(root, "reporting-org", publisher.name, ref=publisher.ref, type=publisher.type)
    _narrative(root, "title", activity.title or "")
    if activity.general:
        _narrative(root, "description", activity.general, type=DESCRIPTION_GENERAL)
    if activity.objectives:
        _narrative(root, "description", activity.objectives, type=DESCRIPTION_OBJECTIVES)
    if activity.funder:
        _narrative(root, "participating-org", activity.funder, role=ROLE_FUNDING, type=ORG_TYPE_MULTILATERAL)
    for institution in activity.implementers:
        _narrative(root, "participating-org", institution, role=ROLE_IMPLEMENTING, type=ORG_TYPE_GOVERNMENT)
    if activity.note_verbale:
        other = ET.SubElement(root, "other-identifier", {"ref": activity.note_verbale,
                                                         "type": OTHER_IDENTIFIER_OTHER})
        _narrative(other, "owner-org", activity.state_name)
    ET.SubElement(root, "activity-status", {"code": activity.status})
    for kind, day in ((PLANNED_START, activity.planned_start), (ACTUAL_START, activity.actual_start),
                      (PLANNED_END, activity.planned_end), (ACTUAL_END, activity.actual_end)):
        if day is not None:
            ET.SubElement(root, "activity-date", {"type": kind, "iso-date": day.isoformat()})
    for code, share in activity.countries:
        ET.SubElement(root, "recipient-country", {"code": code, "percentage": format(share, "f")})
    for code, share in activity.sectors:
        _narrative(root, "sector", SECTOR_HUMAN_RIGHTS_NAME if code == SECTOR_HUMAN_RIGHTS else code,
                   vocabulary=SECTOR_VOCABULARY_DAC, code=code, percentage=format(share, "f"))
    for budget in activity.budgets:
        element = ET.SubElement(root, "budget", {"type": BUDGET_ORIGINAL, "status": BUDGET_COMMITTED})
        ET.SubElement(element, "period-start", {"iso-date": budget.start.isoformat()})
        ET.SubElement(element, "period-end", {"iso-date": budget.end.isoformat()})
        _value(element, budget.value, budget.value_date)
    if activity.commitment is not None and activity.committed_on is not None:
        transaction = ET.SubElement(root, "transaction")
        ET.SubElement(transaction, "transaction-type", {"code": TRANSACTION_COMMITMENT})
        ET.SubElement(transaction, "transaction-date", {"iso-date": activity.committed_on.isoformat()})
        _value(transaction, activity.commitment, activity.committed_on)
    for result in activity.results:
        element = ET.SubElement(root, "result", {"type": RESULT_OUTCOME})
        _narrative(element, "title", result.title)
        if result.description:
            _narrative(element, "description", result.description)
        for indicator in result.indicators:
            measured = ET.SubElement(element, "indicator", {"measure": INDICATOR_QUALITATIVE})
            _narrative(measured, "title", indicator)
    return root


def document_chunks(activities: Iterable[Activity], publisher: Publisher, generated: dt.datetime
                    ) -> Iterator[bytes]:
    """The file in pieces of UTF-8, an activity at a time."""
    yield (f'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="{VERSION}" '
           f'generated-datetime="{_iso(generated)}">\n').encode()
    for activity in activities:
        element = activity_element(activity, publisher)
        ET.indent(element, space=" ", level=1)
        yield b" " + ET.tostring(element, encoding="utf-8", xml_declaration=False) + b"\n"
    yield b"</iati-activities>\n"
