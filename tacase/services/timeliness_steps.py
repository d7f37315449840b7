"""The office's completed steps, kept in `timeliness_steps` for the published processing times.

They are derived from `case_transitions` by one statement: mark each stay (the stage it belongs to,
whether it ends a step), number each case's steps, add up each step's stays (a stay in a state where
the office's clock is paused belongs to no stage), and add each decided case's time from submission
to decision. A refresh rewrites the steps of the cases that moved since the last one (all of them
the first time), so its cost follows the activity, not the size of the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from tacase.db.types import UTCDateTime
from tacase.engine.calendar import DAY
from tacase.engine.definitions import WorkflowDefinition

END_TO_END = "end_to_end"
HUNDREDTH = DAY / 100  # the resolution of the figures: a hundredth of a working day (864 s)
# Transitions are looked at again this long after their time: one committed late (a long request)
# is still seen by the next refresh.
MARGIN = dt.timedelta(minutes=15)

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


_STEPS = """WITH {tables},
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
  {only}
),
numbered AS (
  SELECT m.*,
         COALESCE(SUM(is_end) OVER (PARTITION BY case_id ORDER BY at, id
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS step,
         MIN(CASE WHEN is_end = 1 AND by_office = 1 AND stage = 'decision' THEN at END)
           OVER (PARTITION BY case_id) AS decided_at
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
decisions AS (
  SELECT case_id, type, state_code, SUM(s) AS s, MAX(decided_at) AS ended_at FROM numbered
  WHERE stage IN ('review', 'decision') AND at <= decided_at
  GROUP BY case_id, type, state_code
),
done AS (
  SELECT case_id, type, state_code, stage, s, deadline_s, ended_at, actor_id FROM steps
  WHERE ended_at IS NOT NULL AND by_office = 1
  UNION ALL
  SELECT d.case_id, d.type, d.state_code, 'end_to_end', d.s, e.deadline_s, d.ended_at, NULL
  FROM decisions d LEFT JOIN e2e e ON e.type = d.type
)
INSERT INTO timeliness_steps (case_id, type, state_code, stage, month, ended_at, hundredths,
                              within_deadline, actor_id)
SELECT case_id, type, state_code, stage, {year_month}, ended_at, CAST(ROUND(s / 864.0) AS INTEGER),
       CASE WHEN deadline_s IS NULL THEN NULL WHEN s <= deadline_s THEN TRUE ELSE FALSE END, actor_id
FROM done
"""
_MOVED = "WHERE t.case_id IN (SELECT case_id FROM case_transitions WHERE at >= :since)"
_FORGET_MOVED = ("DELETE FROM timeliness_steps "
                 "WHERE case_id IN (SELECT case_id FROM case_transitions WHERE at >= :since)")


def sync(session: Session, definitions: list[WorkflowDefinition], since: dt.datetime | None) -> None:
    """Rewrite the completed steps of every case with a transition at or after `since` (of every
    case when None). The caller holds the refresh's lock and commits."""
    st, st_params = _values("st", ("type", "state", "stage", "deadline_s", "paused"),
                            _stage_rows(definitions))
    ot, ot_params = _values("ot", ("type", "trig"),
                            [(d.type, trigger) for d in definitions for trigger in d.office_triggers()])
    e2e_rows = [(d.type, days * DAY if (days := stage_deadlines(d)[END_TO_END]) else None)
                for d in definitions]
    e2e, e2e_params = _values("e2e", ("type", "deadline_s"), e2e_rows)
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {**st_params, **ot_params, **e2e_params}
    since_param = bindparam("since", type_=UTCDateTime)
    if since is None:
        session.execute(text("DELETE FROM timeliness_steps"))
        only = ""
    else:
        params["since"] = since
        session.execute(text(_FORGET_MOVED).bindparams(since_param), {"since": since})
        only = _MOVED
    sql = _STEPS.format(tables=f"{st}, {ot}, {e2e}", only=only, year_month=_year_month(dialect, "ended_at"))
    statement = text(sql)
    if since is not None:
        statement = statement.bindparams(since_param)
    session.execute(statement, params)
