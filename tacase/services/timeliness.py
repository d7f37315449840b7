"""How long the office takes, stage by stage: the figures the public record publishes, with their
method, computed by the database from the stored history and kept in a snapshot.

A step of a stage (review, decision, delivery, evaluation: `stage` in the workflow files) lasts from
the moment a case enters one of the stage's states until it leaves the stage for a state where the
office's clock runs. Time spent waiting for the State's reply (`office_clock: paused`) is not part
of any step: `case_transitions.seconds_in_state` holds the business seconds of each stay, and a
stay in a paused state belongs to no stage. A step the State ends (a withdrawal) is not counted as
completed by the office; a step cut short by a return that is answered into another state starts
again. "End to end" is the office's time from submission to the decision (approval or rejection).

Each completed step counts in the month it ended (UTC), for a rolling 12 months and per calendar
year. Percentiles interpolate linearly between the two nearest ranks (as PostgreSQL's
percentile_cont does), computed with window functions so that SQLite gives the same figures.
Breakdowns of fewer than five steps are published as "fewer than 5", without figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from tacase.db.models import Case, User
from tacase.db.types import UTCDateTime
from tacase.engine.calendar import DAY, BusinessCalendar
from tacase.engine.definitions import STAGES, WorkflowDefinition
from tacase.services import snapshots
from tacase.services.business_calendar import business_calendar
from tacase.services.runtime import runtime_of

END_TO_END = "end_to_end"
ALL_STAGES = (*STAGES, END_TO_END)
ALL_TYPES = "*"
SMALL = 5  # fewer steps than this are shown as "fewer than 5"
MONTHS_SHOWN = 24
AGE_LIMITS = (5, 15, 30)  # working days: open steps by age, "under 5", "5 to 15", "15 to 30", "30 or more"
PUBLIC, STAFF = "timeliness", "timeliness_staff"

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


# ---------------------------------------------------------------------------------------------------
# What the workflow files say, as small tables the statement joins with

StageRow = tuple[str, str, str | None, float | None, int]


def _stage_rows(definitions: Iterable[WorkflowDefinition]) -> list[StageRow]:
    """(type, state, stage, deadline in business seconds, paused) for every state that matters."""
    rows = []
    for d in definitions:
        for name, state in d.states.items():
            if state.stage or state.office_clock_paused:
                deadline = state.deadline
                seconds = deadline.days * DAY if deadline and deadline.working else None
                rows.append((d.type, name, state.stage, seconds, int(state.office_clock_paused)))
    return rows


def stage_deadlines(definition: WorkflowDefinition) -> dict[str, int | None]:
    """Each stage's deadline in working days, and end to end (review and decision together)."""
    found: dict[str, int | None] = {}
    for state in definition.states.values():
        if state.stage and state.stage not in found:
            rule = state.deadline
            found[state.stage] = rule.days if rule and rule.working else None
    review, decision = found.get("review"), found.get("decision")
    found[END_TO_END] = review + decision if review and decision else None
    return found


def _values(name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> tuple[str, dict[str, Any]]:
    """A `name(columns) AS (VALUES ...)` table with its parameters (one row of NULLs if empty, so the
    statement stays valid)."""
    params: dict[str, Any] = {}
    lines = []
    for i, row in enumerate(rows or [(None,) * len(columns)]):
        keys = []
        for column, value in zip(columns, row, strict=True):
            key = f"{name}_{column}_{i}"
            params[key] = value
            keys.append(f":{key}")
        lines.append(f"({', '.join(keys)})")
    return f"{name}({', '.join(columns)}) AS (VALUES {', '.join(lines)})", params


def _year_month(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(to_char({column} AT TIME ZONE 'UTC', 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', {column}) AS INTEGER)"


# The steps, as one statement: mark each stay (which stage it belongs to, whether it ends a step),
# number the steps of each case, add up each step's stays, then rank each breakdown's steps.
_STEPS = """
marks AS (
  SELECT t.case_id, t.id, t.at, t.seconds_in_state AS s, t.actor_id, c.type, c.state_code,
         f.stage, f.deadline_s,
         CASE WHEN f.stage IS NOT NULL AND (g.stage IS NULL OR g.stage <> f.stage)
                   AND COALESCE(g.paused, 0) = 0 THEN 1 ELSE 0 END AS is_end,
         CASE WHEN o.trig IS NULL THEN 0 ELSE 1 END AS by_office
  FROM case_transitions t
  JOIN cases c ON c.id = t.case_id
  LEFT JOIN st f ON f.type = c.type AND f.state = t.from_state
  LEFT JOIN st g ON g.type = c.type AND g.state = t.to_state
  LEFT JOIN ot o ON o.type = c.type AND o.trig = t.trigger
),
numbered AS (
  SELECT m.*, COALESCE(SUM(is_end) OVER (PARTITION BY case_id ORDER BY at, id
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS step
  FROM marks m
),
steps AS (
  SELECT case_id, type, state_code, stage, SUM(s) AS s, MAX(deadline_s) AS deadline_s,
         MAX(CASE WHEN is_end = 1 THEN at END) AS ended_at,
         MAX(CASE WHEN is_end = 1 THEN by_office END) AS by_office,
         MAX(CASE WHEN is_end = 1 THEN actor_id END) AS actor_id
  FROM numbered WHERE stage IS NOT NULL
  GROUP BY case_id, step, type, state_code, stage
),
decided AS (
  SELECT case_id, MIN(ended_at) AS decided_at FROM steps
  WHERE stage = 'decision' AND ended_at IS NOT NULL AND by_office = 1 GROUP BY case_id
),
done AS (
  SELECT type, state_code, stage, s, deadline_s, ended_at, actor_id FROM steps
  WHERE ended_at IS NOT NULL AND by_office = 1
  UNION ALL
  SELECT n.type, n.state_code, 'end_to_end', SUM(n.s), MAX(e.deadline_s), d.decided_at, NULL
  FROM numbered n JOIN decided d ON d.case_id = n.case_id LEFT JOIN e2e e ON e.type = n.type
  WHERE n.stage IN ('review', 'decision') AND n.at <= d.decided_at
  GROUP BY n.case_id, n.type, n.state_code, d.decided_at
),
dated AS (SELECT done.*, {year_month} AS ym FROM done),
keyed AS (
  SELECT 'r' AS pk, 0 AS pv, type AS tk, stage, s, deadline_s FROM dated WHERE ended_at > :r12_from
  UNION ALL SELECT 'r', 0, '*', stage, s, deadline_s FROM dated WHERE ended_at > :r12_from
  UNION ALL SELECT 'y', ym / 100, type, stage, s, deadline_s FROM dated
  UNION ALL SELECT 'y', ym / 100, '*', stage, s, deadline_s FROM dated
  UNION ALL SELECT 'm', ym, '*', stage, s, deadline_s FROM dated WHERE ended_at >= :months_from
  UNION ALL SELECT 's', 0, state_code, stage, s, deadline_s FROM dated WHERE ended_at > :r12_from
  UNION ALL SELECT 'a', 0, CAST(actor_id AS VARCHAR(20)), stage, s, deadline_s FROM dated
    WHERE ended_at > :r12_from AND actor_id IS NOT NULL
),
ranked AS (
  SELECT k.*, ROW_NUMBER() OVER (PARTITION BY pk, pv, tk, stage ORDER BY s) AS rn,
         COUNT(*) OVER (PARTITION BY pk, pv, tk, stage) AS n
  FROM keyed k
)
SELECT pk, pv, tk, stage, MAX(n) AS n,
       SUM(CASE WHEN deadline_s IS NOT NULL AND s <= deadline_s THEN 1 ELSE 0 END) AS on_time,
       SUM(CASE WHEN deadline_s IS NOT NULL THEN 1 ELSE 0 END) AS with_deadline,
       MAX(CASE WHEN rn = (n - 1) / 2 + 1 THEN s END) AS med_lo,
       MAX(CASE WHEN rn = (n - 1) / 2 + 2 THEN s END) AS med_hi,
       MAX(CASE WHEN rn = (4 * (n - 1)) / 5 + 1 THEN s END) AS p80_lo,
       MAX(CASE WHEN rn = (4 * (n - 1)) / 5 + 2 THEN s END) AS p80_hi
FROM ranked GROUP BY pk, pv, tk, stage
"""


def _figures(session: Session, definitions: list[WorkflowDefinition], now: dt.datetime
             ) -> dict[tuple[str, int, str, str], Figure]:
    """Every breakdown's figure, keyed (period kind, period, type or State or person, stage)."""
    st, st_params = _values("st", ("type", "state", "stage", "deadline_s", "paused"),
                            _stage_rows(definitions))
    ot, ot_params = _values("ot", ("type", "trig"),
                            [(d.type, trigger) for d in definitions for trigger in d.office_triggers()])
    e2e_rows = [(d.type, days * DAY if (days := stage_deadlines(d)[END_TO_END]) else None)
                for d in definitions]
    e2e, e2e_params = _values("e2e", ("type", "deadline_s"), e2e_rows)
    dialect = session.get_bind().dialect.name
    sql = f"WITH {st}, {ot}, {e2e}, " + _STEPS.format(year_month=_year_month(dialect, "ended_at"))
    statement = text(sql).bindparams(bindparam("r12_from", type_=UTCDateTime),
                                     bindparam("months_from", type_=UTCDateTime))
    params = {**st_params, **ot_params, **e2e_params, "r12_from": rolling_from(now),
              "months_from": months_from(now)}
    found = {}
    for row in session.execute(statement, params):
        n = int(row.n)
        found[(row.pk, int(row.pv), str(row.tk), row.stage)] = Figure(
            completed=n,
            median_days=_days(interpolated(row.med_lo, row.med_hi, n, 1, 2)),
            p80_days=_days(interpolated(row.p80_lo, row.p80_hi, n, 4, 5)),
            within_deadline=int(row.on_time or 0), with_deadline=int(row.with_deadline or 0))
    return found


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY, 1)


def rolling_from(now: dt.datetime) -> dt.datetime:
    """The start of the rolling 12 months that end now."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 1, day=28)


def months_from(now: dt.datetime) -> dt.datetime:
    """The first instant of the oldest month the monthly figures show."""
    index = now.year * 12 + now.month - 1 - (MONTHS_SHOWN - 1)
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


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
    snapshots.lock(session, PUBLIC, now)
    figures = _figures(session, definitions, now)
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
