"""How long the office takes, stage by stage: the figures the public record publishes, with their
method, computed by the database from the stored history and kept in a snapshot.

A step of a stage (review, decision, delivery, evaluation: `stage` in the workflow files) lasts from
the moment a case enters one of the stage's states until it leaves the stage for a state where the
office's clock runs. Time spent waiting for the State's reply (`office_clock: paused`) is not part
of any step: `case_transitions.seconds_in_state` holds the business seconds of each stay, and a
stay in a paused state belongs to no stage. A step the State ends (a withdrawal) is not counted as
completed by the office; a step cut short by a return that is answered into another state starts
again. "End to end" is the office's time from submission to the decision (approval or rejection).

Each completed step counts in the month it ended (UTC), for the last 12 months (this month and
the eleven before) and per calendar year. The steps are kept in `timeliness_steps`
(tacase.services.timeliness_steps); the database counts them per breakdown and per hundredth of a
working day, and the percentiles are read off those counts, interpolating linearly between the two
nearest ranks (as PostgreSQL's percentile_cont and spreadsheets' PERCENTILE.INC do). Breakdowns of
fewer than five steps are published as "fewer than 5", without figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tacase.db.models import Case, User
from tacase.engine.calendar import DAY, BusinessCalendar
from tacase.engine.definitions import STAGES, WorkflowDefinition
from tacase.services import snapshots, timeliness_steps
from tacase.services.business_calendar import business_calendar
from tacase.services.clock import Clock
from tacase.services.runtime import runtime_of

END_TO_END = timeliness_steps.END_TO_END
stage_deadlines = timeliness_steps.stage_deadlines
ALL_STAGES = (*STAGES, END_TO_END)
ALL_TYPES = "*"
SMALL = 5  # fewer steps than this are shown as "fewer than 5"
MONTHS_SHOWN = 24
AGE_LIMITS = (5, 15, 30)  # working days: open steps by age, "under 5", "5 to 15", "15 to 30", "30 or more"
PUBLIC, STAFF = "timeliness", "timeliness_staff"
SYNCED = "timeliness_steps"  # how far the kept steps follow the history

R12, YEAR, MONTH, BY_STATE, BY_ACTOR = "r", "y", "m", "s", "a"


@dataclass(frozen=True)
class Figure:
    """One breakdown: how many steps completed, how long they took, how many within the deadline."""

    completed: int
    median_days: float | None
    p80_days: float | None
    within_deadline: int
    with_deadline: int

    @property
    def within_share(self) -> float | None:
        return self.within_deadline / self.with_deadline if self.with_deadline else None


def interpolated(lo: float | None, hi: float | None, n: int, num: int, den: int) -> float | None:
    """The q = num/den quantile of n sorted values, given the values at ranks floor(q(n-1)) and the
    one after (linear interpolation, as percentile_cont)."""
    if n <= 0 or lo is None:
        return None
    frac = (num * (n - 1) % den) / den
    if frac == 0 or hi is None:
        return float(lo)
    return float(lo) + frac * (float(hi) - float(lo))


def quantile(counts: list[tuple[int, int]], n: int, num: int, den: int) -> float | None:
    """The num/den quantile of n values given as (value, how many) in ascending order."""
    if n <= 0:
        return None
    rank = num * (n - 1) // den  # 0-based: the value there and the one after
    lo = hi = None
    seen = 0
    for value, many in counts:
        if lo is None and rank < seen + many:
            lo = value
        if rank + 1 < seen + many:
            hi = value
            break
        seen += many
    return interpolated(lo, hi, n, num, den)


def _month_index(month: int) -> int:
    return (month // 100) * 12 + month % 100 - 1


def _month_of(index: int) -> int:
    return (index // 12) * 100 + index % 12 + 1


def rolling_from(now: dt.datetime) -> dt.datetime:
    """The first day of the last 12 months: this month and the eleven before it."""
    month = _month_of(now.year * 12 + now.month - 1 - 11)
    return dt.datetime(month // 100, month % 100, 1, tzinfo=dt.UTC)


def months_from(now: dt.datetime) -> dt.datetime:
    """The first instant of the oldest month the monthly figures show."""
    month = _month_of(now.year * 12 + now.month - 1 - (MONTHS_SHOWN - 1))
    return dt.datetime(month // 100, month % 100, 1, tzinfo=dt.UTC)


# Each breakdown's steps counted per hundredth of a working day: (kind, period, key, stage, value,
# how many, how many within the deadline, how many with a deadline).
_COUNTS = """
SELECT 'r' AS kind, 0 AS period, type AS key, stage, hundredths, COUNT(*) AS n,
       SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END) AS w, COUNT(within_deadline) AS d
FROM timeliness_steps WHERE month >= :r12 GROUP BY type, stage, hundredths
UNION ALL
SELECT 'r', 0, '*', stage, hundredths, COUNT(*), SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END),
       COUNT(within_deadline)
FROM timeliness_steps WHERE month >= :r12 GROUP BY stage, hundredths
UNION ALL
SELECT 'y', month / 100, type, stage, hundredths, COUNT(*), SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END),
       COUNT(within_deadline)
FROM timeliness_steps GROUP BY month / 100, type, stage, hundredths
UNION ALL
SELECT 'y', month / 100, '*', stage, hundredths, COUNT(*), SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END),
       COUNT(within_deadline)
FROM timeliness_steps GROUP BY month / 100, stage, hundredths
UNION ALL
SELECT 'm', month, '*', stage, hundredths, COUNT(*), SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END),
       COUNT(within_deadline)
FROM timeliness_steps WHERE month >= :months GROUP BY month, stage, hundredths
UNION ALL
SELECT 's', 0, state_code, stage, hundredths, COUNT(*), SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END),
       COUNT(within_deadline)
FROM timeliness_steps WHERE month >= :r12 GROUP BY state_code, stage, hundredths
UNION ALL
SELECT 'a', 0, CAST(actor_id AS VARCHAR(20)), stage, hundredths, COUNT(*),
       SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END), COUNT(within_deadline)
FROM timeliness_steps WHERE month >= :r12 AND actor_id IS NOT NULL GROUP BY actor_id, stage, hundredths
"""


# PostgreSQL computes the percentiles itself (ordered-set aggregates over grouping sets): the same
# figures as the counts above, without sending the counts over.
_PG_RECENT = """
SELECT GROUPING(type) AS no_type, GROUPING(state_code) AS no_state, GROUPING(actor_id) AS no_actor,
       type, state_code, actor_id, stage, COUNT(*) AS n,
       SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END) AS w, COUNT(within_deadline) AS d,
       percentile_cont(ARRAY[0.5, 0.8]) WITHIN GROUP (ORDER BY hundredths) AS q
FROM timeliness_steps WHERE month >= :r12
GROUP BY GROUPING SETS ((type, stage), (stage), (state_code, stage), (actor_id, stage))
"""
_PG_PERIODS = """
SELECT GROUPING(type) AS no_type, GROUPING(month) AS no_month, month / 100 AS year, month, type, stage,
       COUNT(*) AS n, SUM(CASE WHEN within_deadline THEN 1 ELSE 0 END) AS w, COUNT(within_deadline) AS d,
       percentile_cont(ARRAY[0.5, 0.8]) WITHIN GROUP (ORDER BY hundredths) AS q
FROM timeliness_steps
GROUP BY GROUPING SETS ((month / 100, type, stage), (month / 100, stage), (month, stage))
"""


def _figures_pg(session: Session, r12: int, months: int) -> dict[tuple[str, int, str, str], Figure]:
    found = {}
    for row in session.execute(text(_PG_RECENT), {"r12": r12}):
        if not row.no_type:
            key = (R12, 0, row.type)
        elif not row.no_state:
            key = (BY_STATE, 0, row.state_code)
        elif not row.no_actor:
            if row.actor_id is None:
                continue
            key = (BY_ACTOR, 0, str(row.actor_id))
        else:
            key = (R12, 0, ALL_TYPES)
        found[(*key, row.stage)] = _figure(row)
    for row in session.execute(text(_PG_PERIODS)):
        if not row.no_month:
            if row.month >= months:
                found[(MONTH, int(row.month), ALL_TYPES, row.stage)] = _figure(row)
        else:
            found[(YEAR, int(row.year), ALL_TYPES if row.no_type else row.type, row.stage)] = _figure(row)
    return found


def _figure(row: Any) -> Figure:
    median, p80 = row.q
    return Figure(completed=int(row.n), median_days=_days(median), p80_days=_days(p80),
                  within_deadline=int(row.w or 0), with_deadline=int(row.d or 0))


def _figures(session: Session, now: dt.datetime) -> dict[tuple[str, int, str, str], Figure]:
    """Every breakdown's figure, keyed (period kind, period, type or State or person, stage)."""
    r12 = _month_of(now.year * 12 + now.month - 1 - 11)
    months = _month_of(now.year * 12 + now.month - 1 - (MONTHS_SHOWN - 1))
    if session.get_bind().dialect.name == "postgresql":
        return _figures_pg(session, r12, months)
    groups: dict[tuple[str, int, str, str], list[tuple[int, int, int, int]]] = {}
    for kind, period, key, stage, value, n, w, d in session.execute(text(_COUNTS),
                                                                    {"r12": r12, "months": months}):
        groups.setdefault((kind, int(period), str(key), stage), []).append(
            (int(value), int(n), int(w or 0), int(d or 0)))
    found = {}
    for key, rows in groups.items():
        rows.sort()
        counts = [(value, n) for value, n, _w, _d in rows]
        total = sum(n for _v, n in counts)
        found[key] = Figure(
            completed=total,
            median_days=_days(quantile(counts, total, 1, 2)),
            p80_days=_days(quantile(counts, total, 4, 5)),
            within_deadline=sum(r[2] for r in rows), with_deadline=sum(r[3] for r in rows))
    return found


def _days(hundredths: float | None) -> float | None:
    return None if hundredths is None else round(hundredths / 100, 1)


# ---------------------------------------------------------------------------------------------------
# Steps still open, by how long they have waited

_NOTHING_WAITS = {"waiting": 0, "overdue": 0, "bands": [0] * (len(AGE_LIMITS) + 1)}


def _age_bounds(calendar: BusinessCalendar, now: dt.datetime) -> list[dt.datetime]:
    return [calendar.subtract(now, days * DAY) for days in AGE_LIMITS]


def _open_steps(session: Session, definitions: list[WorkflowDefinition], now: dt.datetime,
                calendar: BusinessCalendar) -> dict[tuple[str, str], dict[str, int]]:
    """(type, stage) -> how many steps wait, how many are overdue, and how many in each age band."""
    stage_of = {(d.type, name): state.stage for d in definitions for name, state in d.states.items()
                if state.stage}
    if not stage_of:
        return {}
    bounds = _age_bounds(calendar, now)
    # Newer than each bound: the age bands are the differences.
    newer = [(Case.step_started_at > bound) for bound in bounds]
    query = (select(Case.type, Case.status, func.count(),
                    func.sum(when((Case.due_at < now, 1), else_=0)),
                    *(func.sum(when((cond, 1), else_=0)) for cond in newer))
             .where(Case.status.in_(sorted({s for _t, s in stage_of})))
             .group_by(Case.type, Case.status))
    out: dict[tuple[str, str], dict[str, int]] = {}
    for wtype, status, waiting, overdue, *younger in session.execute(query):
        stage = stage_of.get((wtype, status))
        if stage is None:
            continue
        younger = [int(y or 0) for y in younger]
        bands = [younger[0]] + [younger[i] - younger[i - 1] for i in range(1, len(younger))]
        bands.append(int(waiting) - younger[-1])
        for key in ((wtype, stage), (ALL_TYPES, stage)):
            slot = out.setdefault(key, {"waiting": 0, "overdue": 0, "bands": [0] * (len(AGE_LIMITS) + 1)})
            slot["waiting"] += int(waiting)
            slot["overdue"] += int(overdue or 0)
            slot["bands"] = [a + b for a, b in zip(slot["bands"], bands, strict=True)]
    return out


# ---------------------------------------------------------------------------------------------------
# The snapshot: what the pages read

def refresh(session: Session, now: dt.datetime) -> dict[str, Any]:
    """Compute every figure and replace both snapshots (the public one, and the staff one with the
    per-State and per-person breakdowns); returns the public one. The caller commits."""
    definitions = sorted(runtime_of(session).workflows.current.values(), key=lambda d: d.type)
    synced = snapshots.lock(session, SYNCED, now)
    through = synced.body.get("through") if synced.body else None
    timeliness_steps.sync(session, definitions,
                          dt.datetime.fromisoformat(through) - timeliness_steps.MARGIN if through else None)
    synced.body = {"through": now.isoformat()}
    figures = _figures(session, now)
    waiting = _open_steps(session, definitions, now, business_calendar(session))
    public = _body(figures, waiting, definitions, now, suppress=True)
    staff = _body(figures, waiting, definitions, now, suppress=False)
    staff["by_state"] = _breakdown(figures, BY_STATE)
    people = {str(uid): name for uid, name in session.execute(
        select(User.id, User.display_name).where(
            User.id.in_({int(k[2]) for k in figures if k[0] == BY_ACTOR})))}
    staff["by_person"] = {people.get(uid, uid): stages
                          for uid, stages in _breakdown(figures, BY_ACTOR).items()}
    snapshots.store(session, PUBLIC, public, now)
    snapshots.store(session, STAFF, staff, now)
    return public


def public_figures(session: Session) -> dict[str, Any] | None:
    """The public snapshot, or None before the first refresh."""
    row = snapshots.load(session, PUBLIC)
    return row.body if row is not None and row.body else None


def figures_or_build(session: Session, clock: Clock, *, staff: bool = False) -> dict[str, Any]:
    """A snapshot; the first reader after installation builds it (the scheduler keeps it fresh)."""
    found = staff_figures(session) if staff else public_figures(session)
    if found is None:
        refresh(session, clock())
        session.commit()
        found = staff_figures(session) if staff else public_figures(session)
    assert found is not None
    return found


def staff_figures(session: Session) -> dict[str, Any] | None:
    row = snapshots.load(session, STAFF)
    return row.body if row is not None and row.body else None


def count(n: int, suppress: bool) -> int | None:
    """A count as published: None stands for "fewer than 5" (but none is none)."""
    return None if suppress and 0 < n < SMALL else n


def _shown(figure: Figure | None, suppress: bool) -> dict[str, Any]:
    if figure is None:
        return {"completed": 0, "fewer_than_5": False, "median_days": None, "p80_days": None,
                "within_deadline_share": None}
    small = suppress and figure.completed < SMALL
    share = figure.within_share
    return {
        "completed": None if small else figure.completed,
        "fewer_than_5": small,
        "median_days": None if small else figure.median_days,
        "p80_days": None if small else figure.p80_days,
        "within_deadline_share": None if small or share is None else round(share, 3),
    }


def _body(figures: dict[tuple[str, int, str, str], Figure], waiting: dict[tuple[str, str], dict[str, int]],
          definitions: list[WorkflowDefinition], now: dt.datetime, *, suppress: bool) -> dict[str, Any]:
    types = [d.type for d in definitions]
    years = sorted({key[1] for key in figures if key[0] == YEAR}, reverse=True)
    months = [(now.year * 12 + now.month - 1 - i) for i in range(MONTHS_SHOWN - 1, -1, -1)]

    def stages(kind: str, period: int, key: str) -> dict[str, Any]:
        return {stage: _shown(figures.get((kind, period, key, stage)), suppress) for stage in ALL_STAGES}

    def periods(key: str) -> dict[str, Any]:
        return {"rolling": stages(R12, 0, key), **{str(y): stages(YEAR, y, key) for y in years}}

    def open_of(key: str) -> dict[str, Any]:
        out = {}
        for stage in STAGES:
            slot = waiting.get((key, stage)) or _NOTHING_WAITS
            out[stage] = {"waiting": count(slot["waiting"], suppress),
                          "overdue": count(slot["overdue"], suppress),
                          "by_age": [count(n, suppress) for n in slot["bands"]]}
        return out

    return {
        "built_at": now.isoformat(),
        "rolling": {"from": rolling_from(now).date().isoformat(), "to": now.date().isoformat()},
        "years": years,
        "stages": list(ALL_STAGES),
        "age_limits": list(AGE_LIMITS),
        "deadlines": {d.type: stage_deadlines(d) for d in definitions},
        "all": periods(ALL_TYPES),
        "by_type": {t: periods(t) for t in types},
        "monthly": {f"{m // 12:04d}-{m % 12 + 1:02d}": stages(MONTH, (m // 12) * 100 + m % 12 + 1, ALL_TYPES)
                    for m in months},
        "open": {"all": open_of(ALL_TYPES), "by_type": {t: open_of(t) for t in types}},
    }


def _breakdown(figures: dict[tuple[str, int, str, str], Figure], kind: str) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for (k, _period, key, stage), figure in figures.items():
        if k == kind:
            out.setdefault(key, {})[stage] = _shown(figure, False)
    return dict(sorted(out.items()))
