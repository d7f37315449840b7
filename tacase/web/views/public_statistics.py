"""How long the office takes, for anyone to read: the figures, charts with the same figures in
tables, and the method. The office and the Board also see them per State and per person."""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import lru_cache
from itertools import pairwise
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import gettext as _

from tacase.engine.definitions import STAGES
from tacase.reference import requesting_state
from tacase.services import timeliness
from tacase.web import charts
from tacase.web.auth import public
from tacase.web.context import clock, db, runtime
from tacase.web.i18n import state_name
from tacase.web.views.blueprint import READERS_OF_ALL_CASES, bp, require_role
from tacase.web.views.public_pages import _language_args

ROLLING = "rolling"



def stage_names() -> dict[str, str]:
    return {"review": _("Review"), "decision": _("Decision"), "delivery": _("Delivery"),
            "evaluation": _("Evaluation"), timeliness.END_TO_END: _("From submission to decision")}


def age_bands(limits: list[int]) -> list[str]:
    bands = [_("Under %(days)d working days", days=limits[0])]
    bands += [_("%(low)d to %(high)d working days", low=lo, high=hi) for lo, hi in pairwise(limits)]
    bands.append(_("%(days)d working days or more", days=limits[-1]))
    return bands


def days(value: float | None) -> str:
    return "" if value is None else format_decimal(value, format="#,##0.0")


def share(value: float | None) -> str:
    return "" if value is None else format_percent(value)  # "78%", "78 %" in French


def shown_count(value: int | None) -> str:
    return _("fewer than 5") if value is None else format_decimal(value, format="#,##0")


def no_figures() -> str:
    return _("No figures yet")


def month_name(key: str) -> str:
    """"2026-03" as the reader says it: "Mar 2026"."""
    year, month = key.split("-")
    return format_date(dt.date(int(year), int(month), 1), "MMM y")


def _type_titles() -> dict[str, str]:
    return {t: _(d.title) for t, d in sorted(runtime().workflows.current.items())}


def _choice(figures: dict[str, Any]) -> tuple[str, str, list[str]]:
    """The period and request type asked for in the address, and what was wrong with them."""
    problems = []
    period = request.args.get("period", ROLLING).strip() or ROLLING
    if period != ROLLING and period not in {str(y) for y in figures["years"]}:
        problems.append(_("Period: choose one of the list."))
        period = ROLLING
    wtype = request.args.get("type", "").strip()
    if wtype and wtype not in figures["by_type"]:
        problems.append(_("Type of request: choose one of the list."))
        wtype = ""
    return period, wtype, problems


def _rows(figures: dict[str, Any], period: str, wtype: str) -> list[dict[str, Any]]:
    scope = figures["by_type"][wtype] if wtype else figures["all"]
    names = stage_names()
    deadlines = figures["deadlines"].get(wtype, {}) if wtype else {}
    rows = []
    for stage in figures["stages"]:
        figure = scope.get(period, {}).get(stage) or {}
        rows.append({
            "stage": stage, "name": names[stage], "figure": figure,
            "completed": shown_count(figure.get("completed")) if figure else "0",
            "median": days(figure.get("median_days")), "p80": days(figure.get("p80_days")),
            "share": share(figure.get("within_deadline_share")),
            "deadline": deadlines.get(stage),
        })
    return rows


def _period_name(period: str) -> str:
    return _("the last 12 months") if period == ROLLING else period


@bp.get("/public/statistics")
@public
def public_statistics() -> Any:
    figures = timeliness.figures_or_build(db(), clock)
    period, wtype, problems = _choice(figures)
    titles = _type_titles()
    names = stage_names()
    months = list(figures["monthly"])[-12:]
    monthly = [{"month": month_name(m), "cells": [share(figures["monthly"][m][s]["within_deadline_share"])
                                      if not figures["monthly"][m][s]["fewer_than_5"] else _("fewer than 5")
                                      for s in STAGES]} for m in months]
    scope = figures["open"]["by_type"][wtype] if wtype else figures["open"]["all"]
    waiting = [{"name": names[s],
                "cells": [shown_count(n) for n in (w["waiting"], w["overdue"], *w["by_age"])]}
               for s in STAGES if (w := scope[s])]
    args = {**_language_args(), "period": period, **({"type": wtype} if wtype else {})}
    return render_template(
        "web/public_statistics.html", figures=figures, period=period, wtype=wtype, problems=problems,
        rows=_rows(figures, period, wtype), monthly=monthly, stages=[names[s] for s in STAGES],
        waiting=waiting, bands=age_bands(figures["age_limits"]), titles=titles,
        periods=[(ROLLING, _("The last 12 months"))] + [(str(y), str(y)) for y in figures["years"]],
        period_name=_period_name(period), type_name=titles.get(wtype, _("all types of request")),
        updated=built_on(figures),
        stage_chart=url_for("web.public_statistics_chart", name="stages", **args),
        monthly_chart=url_for("web.public_statistics_chart", name="monthly", **_language_args()),
        language=_language_args(), args=args), 422 if problems else 200


@bp.get("/public/statistics/method")
@public
def public_statistics_method() -> Any:
    figures = timeliness.figures_or_build(db(), clock)
    names = stage_names()
    titles = _type_titles()
    deadlines = [{"name": titles[t], "cells": [figures["deadlines"][t].get(s) for s in figures["stages"]]}
                 for t in titles if t in figures["deadlines"]]
    return render_template("web/public_statistics_method.html", figures=figures, deadlines=deadlines,
                           stages=[names[s] for s in figures["stages"]],
                           bands=age_bands(figures["age_limits"]),
                           updated=built_on(figures),
                           language=_language_args())


@bp.get("/public/statistics/charts/<name>.svg")
@public
def public_statistics_chart(name: str) -> Any:
    figures = timeliness.figures_or_build(db(), clock)
    period, wtype, problems = _choice(figures)
    if name not in ("stages", "monthly") or problems:
        return Response(_("There is no such chart."), status=404, mimetype="text/plain")
    return _svg_response(_chart(name, figures["built_at"], period, wtype, str(get_locale() or "en")))


def _svg_response(svg: bytes) -> Response:
    response = Response(svg, mimetype="image/svg+xml")
    # An image without scripts: its own styles only.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@lru_cache(maxsize=128)
def _chart(name: str, built_at: str, period: str, wtype: str, locale: str) -> bytes:
    """One chart of one snapshot, in one language: drawn once, then served from memory."""
    figures = timeliness.figures_or_build(db(), clock)
    names = stage_names()
    if name == "stages":
        rows = _rows(figures, period, wtype)
        series = [(_("Median"), [r["figure"].get("median_days") for r in rows]),
                  (_("80% were done within"), [r["figure"].get("p80_days") for r in rows])]
        if wtype:
            series.append((_("Deadline"), [r["deadline"] for r in rows]))
        title = _("Working days per stage, %(period)s, %(type)s", period=_period_name(period),
                  type=_type_titles().get(wtype, _("all types of request")))
        return charts.bars(title, _("Working days"), [r["name"] for r in rows], series, empty=no_figures())
    months = list(figures["monthly"])
    series = [(names[s], [None if (f := figures["monthly"][m][s])["within_deadline_share"] is None
                          else round(100 * f["within_deadline_share"], 1) for m in months]) for s in STAGES]
    return charts.lines(_("Share of steps completed within the deadline, by month"), _("Per cent"),
                        [month_name(m) for m in months], series, percent=True, empty=no_figures())


def built_on(figures: dict[str, Any]) -> str:
    """When the figures were computed, in UTC as the pages say."""
    return format_datetime(dt.datetime.fromisoformat(figures["built_at"]), "d MMMM y, HH:mm", rebase=False)


@bp.get("/public/statistics.csv")
@public
def public_statistics_csv() -> Any:
    """Every figure of the snapshot, one line a period, request type and stage."""
    figures = timeliness.figures_or_build(db(), clock)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period", "request_type", "stage", "completed", "fewer_than_5", "median_working_days",
                     "p80_working_days", "within_deadline_share", "deadline_working_days"])
    for wtype, scope in [("all", figures["all"]), *figures["by_type"].items()]:
        for period, stages in scope.items():
            for stage, f in stages.items():
                deadline = figures["deadlines"].get(wtype, {}).get(stage) if wtype != "all" else None
                writer.writerow([period, wtype, stage, "" if f["completed"] is None else f["completed"],
                                 "yes" if f["fewer_than_5"] else "no", _blank(f["median_days"]),
                                 _blank(f["p80_days"]), _blank(f["within_deadline_share"]), _blank(deadline)])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=tacase-timeliness.csv"
    return response


def _blank(value: Any) -> Any:
    return "" if value is None else value


@bp.get("/statistics")
def staff_statistics() -> Any:
    """The office's and the Board's view: month by month, and per State and per person."""
    require_role(READERS_OF_ALL_CASES)
    figures = timeliness.figures_or_build(db(), clock, staff=True)
    names = stage_names()

    def table(breakdown: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"name": key, "cells": [(shown_count((f := stages.get(s) or {}).get("completed", 0)),
                                         days(f.get("median_days")), share(f.get("within_deadline_share")))
                                        for s in figures["stages"]]}
                for key, stages in breakdown.items()]

    by_state = {state_name(requesting_state(code)) or code: v for code, v in figures["by_state"].items()}
    months = list(figures["monthly"])[-12:]
    monthly = [{"month": month_name(m),
                "cells": [days(figures["monthly"][m][s]["median_days"]) for s in STAGES]} for m in months]
    return render_template("web/staff_statistics.html", figures=figures, monthly=monthly,
                           month_stages=[names[s] for s in STAGES],
                           stages=[names[s] for s in figures["stages"]],
                           by_state=table(dict(sorted(by_state.items()))),
                           by_person=table(figures["by_person"]),
                           updated=built_on(figures))


@bp.get("/statistics/monthly.svg")
def staff_statistics_chart() -> Any:
    require_role(READERS_OF_ALL_CASES)
    figures = timeliness.figures_or_build(db(), clock, staff=True)
    return _svg_response(_staff_chart(figures["built_at"], str(get_locale() or "en")))


@lru_cache(maxsize=16)
def _staff_chart(built_at: str, locale: str) -> bytes:
    figures = timeliness.figures_or_build(db(), clock, staff=True)
    names = stage_names()
    months = list(figures["monthly"])
    series = [(names[s], [figures["monthly"][m][s]["median_days"] for m in months]) for s in STAGES]
    return charts.lines(_("Median working days per stage, by month"), _("Working days"),
                        [month_name(m) for m in months], series, empty=no_figures())
