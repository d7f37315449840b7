"""The human rights adviser programme report, for the Council and the Board: the requests for adviser
positions (workflow `hra_deployment`) received in a year (or ever), where they stand, by region and
country, how each approved position is funded, and the demand that could not be met.

Where a request stands today: pending (screening, review, awaiting the State's reply or the
decision), approved (of which deployed: the deployment was recorded), rejected or withdrawn. The
approval records the position's funding (`funding_status`: funded, partly funded, unfunded).
Demand not met: the requests rejected or withdrawn, and the positions approved without funding;
positions approved with part of their funding are shown beside it, as partly met.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from tacase.db.models import Case, CaseTransition
from tacase.services.report_tables import (
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

WORKFLOW = "hra_deployment"
PENDING_STATES = ("draft", "submitted", "returned", "reviewed")
DEPLOYED_STATES = ("delivered", "evaluated")
APPROVED_STATES = ("approved", *DEPLOYED_STATES)
FUNDING = {"funded": N_("Funded"), "partly_funded": N_("Partly funded"), "unfunded": N_("Unfunded"),
           "": N_("Not recorded")}
STANDING = ("received", "pending", "approved", "deployed", "rejected", "withdrawn")
STANDING_NAMES = (N_("Received"), N_("Pending"), N_("Approved"), N_("Of which deployed"), N_("Rejected"),
                  N_("Withdrawn"))


@dataclass(frozen=True)
class HraReport:
    year: int | None  # None: every request ever received
    made_at: dt.datetime
    tables: dict[str, Table]
    totals: dict[str, int]

    def document(self, language: str = "en") -> Report:
        t = self.tables
        period = (period_words(*year_bounds(self.year), self.made_at) if self.year is not None
                  else N_("Every request received"))
        facts = (Fact(N_("Period covered"), period, translated=self.year is None),
                 Fact(N_("Report made on"), f"{self.made_at:%Y-%m-%d %H:%M} UTC"),
                 Fact(N_("Requests received"), str(self.totals["received"])),
                 Fact(N_("Positions approved"), str(self.totals["approved"])),
                 Fact(N_("Demand not met"), str(self.totals["not_met"])))
        sections = (
            Section(N_("Requests for advisers"), (t["by_region"], t["by_country"]),
                    N_("Requests received in the period and where they stand today.")),
            Section(N_("Funding of the approved positions"), (t["funding"], t["positions"]),
                    N_("The funding of each position as recorded when it was approved.")),
            Section(N_("Demand that could not be met"), (t["not_met"],),
                    N_("Requests rejected or withdrawn, and positions approved without funding; positions "
                       "approved with part of their funding are shown as partly met.")),
        )
        return Report(title=N_("Human rights adviser programme report"),
                      period=str(self.year) if self.year is not None else N_("All years"),
                      made_at=self.made_at, sections=sections, facts=facts, language=language)


def build(session: Session, year: int | None, now: dt.datetime, *, language: str = "en") -> HraReport:
    approval = aliased(CaseTransition)
    funding = approval.record["funding_status"].as_string()
    received = Case.submitted_at.is_not(None)
    if year is not None:
        start, end = year_bounds(year)
        received = and_(Case.submitted_at >= start, Case.submitted_at < end)
    joined = (select(Case.state_code, Case.status, funding.label("funding"), func.count().label("n"))
              .select_from(Case)
              .outerjoin(approval, and_(approval.case_id == Case.id, approval.trigger == "approve"))
              .where(Case.type == WORKFLOW, received)
              .group_by(Case.state_code, Case.status, funding))
    by_state: dict[str, Counter[str]] = defaultdict(Counter)
    for state, status, funded, n in session.execute(joined):
        c = by_state[state]
        n = int(n)
        c["received"] += n
        if status in PENDING_STATES:
            c["pending"] += n
        elif status in APPROVED_STATES:
            c["approved"] += n
            c["deployed"] += n if status in DEPLOYED_STATES else 0
            c["f:" + (funded if funded in FUNDING else "")] += n
        elif status in ("rejected", "withdrawn"):
            c[status] += n
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    for state, c in by_state.items():
        by_region[region_of(state)].update(c)
        total.update(c)

    def not_met(c: Counter[str]) -> int:
        return c["rejected"] + c["withdrawn"] + c["f:unfunded"]

    def standing(rows: dict[str, Counter[str]], label, extra=None) -> tuple[tuple, ...]:
        body = sorted((label(k), *((extra(k),) if extra else ()), *(c[s] for s in STANDING))
                      for k, c in rows.items())
        if not body:
            return ()
        return (*body, (N_("Total"), *(("",) if extra else ()), *(total[s] for s in STANDING)))

    funding_rows = tuple(sorted((region, c["approved"], *(c["f:" + k] for k in FUNDING))
                                for region, c in by_region.items() if c["approved"]))
    not_met_rows = tuple(sorted((region, c["received"], c["rejected"], c["withdrawn"], c["f:unfunded"],
                                 not_met(c), c["f:partly_funded"], c["pending"])
                                for region, c in by_region.items()))
    tables = {
        "by_region": Table("hra_by_region", N_("Requests for advisers by region"),
                           (N_("Region"), *STANDING_NAMES), standing(by_region, lambda k: k),
                           translated=(0,)),
        "by_country": Table("hra_by_country", N_("Requests for advisers by country"),
                            (N_("Country"), N_("Region"), *STANDING_NAMES),
                            standing(by_state, lambda k: state_label(k, language), region_of),
                            translated=(1,)),
        "funding": Table("hra_funding", N_("Funding of the approved positions by region"),
                         (N_("Region"), N_("Positions approved"), *FUNDING.values()),
                         funding_rows, translated=(0,)),
        "positions": _positions(session, received, language),
        "not_met": Table("hra_not_met", N_("Demand that could not be met, by region"),
                         (N_("Region"), N_("Requests received"), N_("Rejected"), N_("Withdrawn"),
                          N_("Approved, unfunded"), N_("Not met"), N_("Approved, partly funded"),
                          N_("Still pending")), not_met_rows, translated=(0,)),
    }
    totals = {**{s: total[s] for s in STANDING}, "not_met": not_met(total)}
    return HraReport(year=year, made_at=now, tables=tables, totals=totals)


def _positions(session: Session, received, language: str) -> Table:
    """Each approved position, with its funding, the months planned and the amount approved."""
    approval = aliased(CaseTransition)
    query = (select(Case.reference, Case.state_code, Case.title, Case.status,
                    approval.record["funding_status"].as_string(),
                    approval.record["approved_amount"]["amount"].as_string(),
                    approval.record["approved_amount"]["currency"].as_string(),
                    Case.extra["deployment_months"].as_string(), approval.at)
             .join(approval, and_(approval.case_id == Case.id, approval.trigger == "approve"))
             .where(Case.type == WORKFLOW, Case.status.in_(APPROVED_STATES), received)
             .order_by(Case.reference))
    rows = tuple(
        (reference, state_label(state, language), title,
         N_("Deployed") if status in DEPLOYED_STATES else N_("Approved"),
         FUNDING.get(funded or "", FUNDING[""]), int(months) if months not in (None, "") else None,
         f"{currency} {amount}" if amount and currency else None, at.date())
        for reference, state, title, status, funded, amount, currency, months, at in session.execute(query))
    return Table("hra_positions", N_("Each approved position"),
                 (N_("Case"), N_("Country"), N_("Title"), N_("Stage"), N_("Funding"), N_("Months planned"),
                  N_("Amount approved"), N_("Approved on")), rows, translated=(3, 4))
