"""The Board of Trustees' annual report: what came in and what became of it during one calendar year
(UTC), by type of request, fund, region and State; the amounts; the processing times with the
per-State figures the public record does not show; the steps that went overdue; the evaluations;
and the audit chain's head at the end of the year.

A request counts in the year for each thing that happened to it in the year: received (submitted),
approved, rejected, withdrawn, delivered, evaluated. The database counts them (GROUP BY); the
regions are added up here from the per-State counts, since the regions are reference data, not rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from sqlalchemy import and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from tacase.audit.checkpoints import last_checkpoint_of_year
from tacase.audit.signing import SignedCheckpoint
from tacase.db.models import AuditEvent, Case, CaseTransition, DeadlineEvent, TimelinessStep
from tacase.engine.definitions import WorkflowDefinition
from tacase.services import timeliness
from tacase.services.report_tables import (
    FUND_NAMES,
    N_,
    Fact,
    Report,
    Section,
    Table,
    period_words,
    region_of,
    state_label,
    year_bounds,
)
from tacase.services.runtime import runtime_of

# What happened to a request, by the trigger that did it, in the order of the tables' columns.
EVENTS = {"submit": N_("Received"), "approve": N_("Approved"), "reject": N_("Rejected"),
          "withdraw": N_("Withdrawn"), "deliver": N_("Delivered"), "evaluate": N_("Evaluated")}
RATINGS = {"highly_satisfactory": N_("Highly satisfactory"), "satisfactory": N_("Satisfactory"),
           "partly_satisfactory": N_("Partly satisfactory"), "unsatisfactory": N_("Unsatisfactory")}
COMMIT_SKEW = dt.timedelta(minutes=1)  # how far an event's time may lag behind a later-sequenced one
STAGE_NAMES = {"review": N_("Review"), "decision": N_("Decision"), "delivery": N_("Delivery"),
               "evaluation": N_("Evaluation"), timeliness.END_TO_END: N_("From submission to decision")}


@dataclass(frozen=True)
class ChainHead:
    """The last audit event of the year: whoever keeps these two values can later show that the
    chain up to there was not changed."""

    seq: int
    hash: str
    at: dt.datetime


@dataclass(frozen=True)
class AnnualReport:
    year: int
    made_at: dt.datetime
    covers_to: dt.datetime  # the end of the year, or the moment the report was made if earlier
    tables: dict[str, Table]
    chain_head: ChainHead | None
    checkpoint: SignedCheckpoint | None = None  # shown when present
    timeliness_as_of: dt.datetime | None = None

    def document(self, language: str = "en") -> Report:
        t = self.tables
        facts = [Fact(N_("Period covered"), period_words(*year_bounds(self.year), self.made_at)),
                 Fact(N_("Report made on"), f"{self.made_at:%Y-%m-%d %H:%M} UTC")]
        if self.chain_head is None:
            facts.append(Fact(N_("Audit chain at the end of the year"), N_("No audit event in the year."),
                              translated=True))
        else:
            facts += [Fact(N_("Last audit event of the year"),
                           f"{self.chain_head.seq} ({self.chain_head.at:%Y-%m-%d %H:%M} UTC)"),
                      Fact(N_("Its hash (SHA-256)"), self.chain_head.hash)]
        if self.checkpoint is not None:
            c = self.checkpoint
            facts += [Fact(N_("The year's last signed checkpoint"),
                           f"{c.sequence} ({c.signed_at:%Y-%m-%d %H:%M} UTC), key {c.key_id}"),
                      Fact(N_("Checkpoint hash"), c.hash), Fact(N_("Signature"), c.signature)]
        if self.timeliness_as_of is not None:
            facts.append(Fact(N_("Processing times computed on"),
                              f"{self.timeliness_as_of:%Y-%m-%d %H:%M} UTC"))
        sections = (
            Section(N_("Requests"), (t["by_type"], t["by_fund"], t["by_region"], t["by_state"]),
                    N_("A request counts once for each thing that happened to it in the year.")),
            Section(N_("Amounts"), (t["amounts"],),
                    N_("Amounts requested by the requests received in the year, and amounts approved in the "
                       "year, per currency; amounts in different currencies are not added up.")),
            Section(N_("Processing times"),
                    (t["timeliness"], t["timeliness_by_type"], t["timeliness_by_state"]),
                    N_("Completed steps of the office's work that ended in the year, in working days, "
                       "computed as for the published statistics; the figures per State are not published.")),
            Section(N_("Overdue and escalated steps"), (t["overdue"], t["overdue_steps"]),
                    N_("Steps flagged overdue in the year; how long is counted in calendar days from the "
                       "deadline to the end of the step, or to the end of the period if it had not ended.")),
            Section(N_("Evaluations"), (t["ratings"],)),
        )
        return Report(title=N_("Annual report of the Board of Trustees"), period=str(self.year),
                      made_at=self.made_at, sections=sections, facts=tuple(facts), language=language)


def build(session: Session, year: int, now: dt.datetime, *, language: str = "en") -> AnnualReport:
    """The report of `year` as the database holds it at `now`; the timeliness steps are read as the
    last refresh left them (the caller refreshes first when it may write)."""
    start, end = year_bounds(year)
    covers_to = min(end, now)
    definitions = runtime_of(session).workflows.current
    titles = {wtype: d.title for wtype, d in definitions.items()}
    tables: dict[str, Table] = {}
    tables.update(_request_tables(session, start, end, titles, language))
    tables["amounts"] = _amounts(session, start, end)
    tables.update(_timeliness_tables(session, year, titles, language))
    tables.update(_overdue_tables(session, start, end, covers_to, definitions, language))
    tables["ratings"] = _ratings(session, start, end, titles)
    built = timeliness.staff_figures(session)
    return AnnualReport(
        year=year, made_at=now, covers_to=covers_to, tables=tables,
        chain_head=chain_head_before(session, end),
        checkpoint=last_checkpoint_of_year(session, year),
        timeliness_as_of=dt.datetime.fromisoformat(built["built_at"]) if built else None)


def _in_year(column, start: dt.datetime, end: dt.datetime):
    return and_(column >= start, column < end)


# --- requests ------------------------------------------------------------------------------------

def _request_tables(session: Session, start: dt.datetime, end: dt.datetime, titles: dict[str, str],
                    language: str) -> dict[str, Table]:
    query = (select(Case.type, Case.funding_source, Case.state_code, CaseTransition.trigger, func.count())
             .join(Case, Case.id == CaseTransition.case_id)
             .where(_in_year(CaseTransition.at, start, end), CaseTransition.trigger.in_(list(EVENTS)))
             .group_by(Case.type, Case.funding_source, Case.state_code, CaseTransition.trigger))
    by: dict[str, dict[str, Counter[str]]] = {k: defaultdict(Counter)
                                              for k in ("type", "fund", "region", "state")}
    for wtype, fund, state, trigger, n in session.execute(query):
        keys = (("type", wtype), ("fund", fund or ""), ("region", region_of(state)), ("state", state))
        for kind, key in keys:
            by[kind][key][trigger] += int(n)
    columns = tuple(EVENTS.values())

    def rows(counts: dict[str, Counter[str]], label, extra=None) -> tuple[tuple, ...]:
        body = sorted(((label(k), *((extra(k),) if extra else ()), *(c[t] for t in EVENTS))
                       for k, c in counts.items()), key=lambda r: str(r[0]))
        if not body:
            return ()
        total = Counter[str]()
        for c in counts.values():
            total.update(c)
        return (*body, (N_("Total"), *(("",) if extra else ()), *(total[t] for t in EVENTS)))

    return {
        "by_type": Table("requests_by_type", N_("Requests by type of request"),
                         (N_("Type of request"), *columns), rows(by["type"], lambda k: titles.get(k, k)),
                         translated=(0,)),
        "by_fund": Table("requests_by_fund", N_("Requests by fund"), (N_("Fund"), *columns),
                         rows(by["fund"], lambda k: FUND_NAMES.get(k, k) if k else N_("Not given")),
                         translated=(0,)),
        "by_region": Table("requests_by_region", N_("Requests by region"), (N_("Region"), *columns),
                           rows(by["region"], lambda k: k), translated=(0,)),
        "by_state": Table("requests_by_state", N_("Requests by State"), (N_("State"), N_("Region"), *columns),
                          rows(by["state"], lambda k: state_label(k, language), region_of), translated=(1,)),
    }


def _amounts(session: Session, start: dt.datetime, end: dt.datetime) -> Table:
    requested = session.execute(
        select(Case.budget_currency, func.sum(Case.budget_amount), func.count())
        .join(CaseTransition, and_(CaseTransition.case_id == Case.id, CaseTransition.trigger == "submit"))
        .where(_in_year(CaseTransition.at, start, end), Case.budget_currency.is_not(None))
        .group_by(Case.budget_currency)).all()
    # The approved amount is recorded by the approval as {"amount": "80000.00", "currency": "USD"}:
    # counted per distinct amount and added up here, exactly, whatever the database's JSON.
    currency = CaseTransition.record["approved_amount"]["currency"].as_string()
    amount = CaseTransition.record["approved_amount"]["amount"].as_string()
    approved = session.execute(
        select(currency, amount, func.count())
        .where(_in_year(CaseTransition.at, start, end), CaseTransition.trigger == "approve",
               currency.is_not(None))
        .group_by(currency, amount)).all()
    figures: dict[str, list] = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for code, total, n in requested:
        figures[code][0] += int(n)
        figures[code][1] += Decimal(total or 0).quantize(Decimal("0.01"))
    for code, value, n in approved:
        try:
            figures[code][3] += Decimal(value) * int(n)
        except (ArithmeticError, TypeError):
            continue  # not a number: the record was checked when written, so never in practice
        figures[code][2] += int(n)
    rows = tuple((code, *figures[code]) for code in sorted(figures))
    return Table("amounts", N_("Amounts requested and approved, per currency"),
                 (N_("Currency"), N_("Requests received"), N_("Amount requested"), N_("Requests approved"),
                  N_("Amount approved")), rows)


# --- processing times ----------------------------------------------------------------------------

def _timeliness_tables(session: Session, year: int, titles: dict[str, str],
                       language: str) -> dict[str, Table]:
    query = (select(TimelinessStep.type, TimelinessStep.state_code, TimelinessStep.stage,
                    TimelinessStep.hundredths, func.count(),
                    func.sum(when((TimelinessStep.within_deadline.is_(True), 1), else_=0)),
                    func.count(TimelinessStep.within_deadline))
             .where(TimelinessStep.month >= year * 100 + 1, TimelinessStep.month <= year * 100 + 12)
             .group_by(TimelinessStep.type, TimelinessStep.state_code, TimelinessStep.stage,
                       TimelinessStep.hundredths))
    # (breakdown, key, stage) -> hundredths of a day -> [steps, within the deadline, with a deadline]
    groups: dict[tuple[str, str, str], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0, 0]))
    for wtype, state, stage, value, n, within, with_deadline in session.execute(query):
        for key in (("all", "", stage), ("type", wtype, stage), ("state", state, stage)):
            slot = groups[key][int(value)]
            slot[0] += int(n)
            slot[1] += int(within or 0)
            slot[2] += int(with_deadline or 0)
    figures = {key: _figure(values) for key, values in groups.items()}
    stages = list(STAGE_NAMES)
    columns = (N_("Steps completed"), N_("Median working days"), N_("80% were done within"),
               N_("Share within the deadline"))

    def cells(f: timeliness.Figure) -> tuple:
        return (f.completed, f.median_days, f.p80_days, _share(f.within_share))

    overall = tuple((STAGE_NAMES[s], *cells(f)) for s in stages if (f := figures.get(("all", "", s))))
    types = sorted({k for kind, k, _s in figures if kind == "type"}, key=lambda k: titles.get(k, k))
    by_type = tuple((titles.get(k, k), STAGE_NAMES[s], *cells(f))
                    for k in types for s in stages if (f := figures.get(("type", k, s))))
    states = sorted({k for kind, k, _s in figures if kind == "state"}, key=lambda k: state_label(k, language))
    by_state = tuple((state_label(k, language), STAGE_NAMES[s], *cells(f))
                     for k in states for s in stages if (f := figures.get(("state", k, s))))
    return {
        "timeliness": Table("timeliness", N_("Processing times per stage"), (N_("Stage"), *columns), overall,
                            translated=(0,)),
        "timeliness_by_type": Table("timeliness_by_type",
                                    N_("Processing times per type of request and stage"),
                                    (N_("Type of request"), N_("Stage"), *columns), by_type,
                                    translated=(0, 1)),
        "timeliness_by_state": Table("timeliness_by_state", N_("Processing times per State and stage"),
                                     (N_("State"), N_("Stage"), *columns), by_state, translated=(1,)),
    }


def _figure(values: dict[int, list[int]]) -> timeliness.Figure:
    counts = sorted((value, slot[0]) for value, slot in values.items())
    total = sum(n for _v, n in counts)

    def days(q: float | None) -> float | None:
        return None if q is None else round(q / 100, 1)

    return timeliness.Figure(
        completed=total, median_days=days(timeliness.quantile(counts, total, 1, 2)),
        p80_days=days(timeliness.quantile(counts, total, 4, 5)),
        within_deadline=sum(s[1] for s in values.values()), with_deadline=sum(s[2] for s in values.values()))


def _share(value: float | None) -> str | None:
    return None if value is None else f"{round(100 * value)}%"


# --- overdue steps -------------------------------------------------------------------------------

def _overdue_tables(session: Session, start: dt.datetime, end: dt.datetime, covers_to: dt.datetime,
                    definitions: dict[str, WorkflowDefinition], language: str) -> dict[str, Table]:
    # The step ends with the case's first transition after the step began.
    ended = (select(func.min(CaseTransition.at))
             .where(CaseTransition.case_id == DeadlineEvent.case_id,
                    CaseTransition.at > DeadlineEvent.step_started_at)
             .scalar_subquery())
    query = (select(DeadlineEvent.case_id, DeadlineEvent.step_started_at, DeadlineEvent.kind,
                    DeadlineEvent.status, DeadlineEvent.due_at, Case.reference, Case.type, Case.state_code,
                    ended.label("ended_at"))
             .join(Case, Case.id == DeadlineEvent.case_id)
             .where(DeadlineEvent.kind.in_(("overdue", "escalation")), _in_year(DeadlineEvent.at, start, end))
             .order_by(Case.reference, DeadlineEvent.step_started_at))
    steps: dict[tuple[int, dt.datetime], dict] = {}
    for row in session.execute(query):
        step = steps.setdefault((row.case_id, row.step_started_at), {
            "reference": row.reference, "type": row.type, "state": row.state_code, "status": row.status,
            "due_at": row.due_at, "ended_at": row.ended_at, "escalated": False})
        step["due_at"] = step["due_at"] or row.due_at
        step["escalated"] = step["escalated"] or row.kind == "escalation"
    per_type: dict[str, list] = defaultdict(list)
    rows = []
    for step in steps.values():
        definition = definitions.get(step["type"])
        state = definition.states.get(step["status"]) if definition else None
        late = None
        if step["due_at"] is not None:
            until = min(step["ended_at"] or covers_to, covers_to)
            late = round(max((until - step["due_at"]).total_seconds(), 0) / 86400, 1)
        per_type[step["type"]].append((late, step["escalated"]))
        ended = step["ended_at"] if step["ended_at"] and step["ended_at"] < covers_to else None
        rows.append((step["reference"], definition.title if definition else step["type"],
                     state_label(step["state"], language), state.staff_label if state else step["status"],
                     step["due_at"].date() if step["due_at"] else None,
                     N_("Yes") if step["escalated"] else N_("No"), late, ended.date() if ended else None))
    summary = []
    for wtype in sorted(per_type, key=lambda k: definitions[k].title if k in definitions else k):
        lates = [late for late, _e in per_type[wtype] if late is not None]
        summary.append((definitions[wtype].title if wtype in definitions else wtype, len(per_type[wtype]),
                        sum(1 for _l, e in per_type[wtype] if e),
                        round(median(lates), 1) if lates else None, max(lates) if lates else None))
    return {
        "overdue": Table("overdue_by_type", N_("Overdue steps by type of request"),
                         (N_("Type of request"), N_("Steps overdue"), N_("Of which escalated"),
                          N_("Median days overdue"), N_("Longest, in days")), tuple(summary),
                         translated=(0,)),
        "overdue_steps": Table("overdue_steps", N_("Each overdue step"),
                               (N_("Case"), N_("Type of request"), N_("State"), N_("Step"), N_("Due on"),
                                N_("Escalated"), N_("Days overdue"), N_("Step ended on")), tuple(rows),
                               translated=(1, 3, 5)),
    }


# --- evaluations ---------------------------------------------------------------------------------

def _ratings(session: Session, start: dt.datetime, end: dt.datetime, titles: dict[str, str]) -> Table:
    rating = CaseTransition.record["rating"].as_string()
    query = (select(Case.type, rating, func.count())
             .join(Case, Case.id == CaseTransition.case_id)
             .where(_in_year(CaseTransition.at, start, end), CaseTransition.trigger == "evaluate")
             .group_by(Case.type, rating))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for wtype, value, n in session.execute(query):
        counts[wtype][value if value in RATINGS else ""] += int(n)
    rows = tuple((titles.get(k, k), *(c[r] for r in RATINGS), sum(c.values()))
                 for k, c in sorted(counts.items(), key=lambda kv: titles.get(kv[0], kv[0])))
    return Table("evaluation_ratings", N_("Evaluations recorded in the year, by overall rating"),
                 (N_("Type of request"), *RATINGS.values(), N_("Evaluations")), rows, translated=(0,))


# --- the audit chain -----------------------------------------------------------------------------

def chain_head_before(session: Session, end: dt.datetime) -> ChainHead | None:
    """The last event appended to the chain before `end`, read along indexes only.

    While the year runs (or when nothing came after it) that is the chain's head. For a past year:
    the event with the highest sequence number among those of the last minute before `end`: events
    join the chain in the order their transactions commit, which can differ from the order of their
    times by the length of a transaction, never by a minute."""
    columns = (AuditEvent.seq, AuditEvent.hash, AuditEvent.at)
    head = session.execute(select(*columns).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if head is None or head.at < end:
        return ChainHead(int(head.seq), head.hash, head.at) if head else None
    last_at = session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.at < end))
    if last_at is None:
        return None
    row = session.execute(select(*columns)
                          .where(AuditEvent.at >= last_at - COMMIT_SKEW, AuditEvent.at < end)
                          .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return ChainHead(int(row.seq), row.hash, row.at) if row else None
