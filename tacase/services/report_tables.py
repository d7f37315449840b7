"""What a report is made of, whatever it reports on: sections of tables of plain values, and a few
facts stated in words. The file formats (tacase.exports.report_files) know only these shapes.

Titles, headings and labels are in English and marked with `N_` for the catalogs: the pages and the
HTML/PDF files show them in the reader's language; the CSV and XLSX files keep them in English, as
data. Names of States are given in the language asked for when the report is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from tacase.reference import State, all_states

Cell = str | int | float | Decimal | dt.date | None


def N_(text: str) -> str:
    """Marks a text for the catalogs (`make translations` looks for N_)."""
    return text


@dataclass(frozen=True)
class Table:
    key: str  # the table's name in the CSV archive and the XLSX workbook: lower case, no spaces
    title: str  # the caption
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # The columns whose cells are words to translate (types of request, stages), not names or numbers.
    translated: tuple[int, ...] = ()
    empty: str = N_("Nothing to report.")


@dataclass(frozen=True)
class Section:
    heading: str
    tables: tuple[Table, ...]
    intro: str = ""


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    translated: bool = False  # the value is words to translate too, not a figure or a name


@dataclass(frozen=True)
class Report:
    """What every format renders: the title, the period, when it was made, facts, sections."""

    title: str
    period: str  # "2026", or "1 January to 7 December 2026" while the year runs
    made_at: dt.datetime
    sections: tuple[Section, ...]
    facts: tuple[Fact, ...] = field(default_factory=tuple)
    language: str = "en"

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for s in self.sections for t in s.tables)


def state_of(code: str) -> State | None:
    return all_states().get(code)


def state_label(code: str, language: str) -> str:
    state = state_of(code)
    return state.name(language) if state else code


def region_of(code: str) -> str:
    state = state_of(code)
    return state.region if state and state.region else N_("Other")


def humanise(value: str) -> str:
    """A choice's code as English words: 'partly_funded' reads 'Partly funded'."""
    return value.replace("_", " ").capitalize()


FUND_NAMES = {
    "vftc": N_("Voluntary Fund for Technical Cooperation"), "upr_fund": N_("UPR Voluntary Fund"),
    "regular_budget": N_("Regular budget"), "extrabudgetary": N_("Extrabudgetary resources"),
    "other": N_("Other"),
}


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


MIN_YEAR, MAX_YEAR = 2000, 2100


def checked_year(text: str | int | None) -> int:
    """A year from a query string or the command line; ValueError names what is wrong."""
    digits = str(text).strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 4):
        raise ValueError(f"the year must be a number such as 2026, not {digits[:20]!r}")
    year = int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return year


def period_words(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> str:
    """The period a report covers, in English for the files; a year not yet over says so."""
    if now >= end:
        return str(start.year)
    return f"{start.year} (1 January to {now.day} {now:%B} {now.year})"
