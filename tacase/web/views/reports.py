"""Pages: the Board's annual report and the human rights adviser programme report, with their files
(HTML, PDF, CSV, XLSX) for the Board of Trustees and administrators."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _

from tacase.exports import report_files
from tacase.reference import LANGUAGES
from tacase.services import annual_report, hra_report, timeliness
from tacase.services.report_tables import MAX_YEAR, MIN_YEAR, Report, checked_year
from tacase.web.context import clock, db
from tacase.web.views.blueprint import AUDITORS, bp, error_page, require_role

# Who reads the reports: the Board of Trustees, and administrators.
REPORT_READERS = AUDITORS


def _language() -> str:
    locale = str(get_locale() or "en").split("_")[0]
    return locale if locale in LANGUAGES else "en"


def _year(default: int | None) -> tuple[int | None, str | None]:
    """The year asked for in the address (`default` when none is), or what is wrong with it."""
    text = request.args.get("year", "").strip()
    if not text:
        return default, None
    try:
        return checked_year(text), None
    except ValueError:
        return None, _("Enter a year as 4 digits, from %(low)d to %(high)d, for example %(example)d.",
                       low=MIN_YEAR, high=MAX_YEAR, example=clock().year)


def _bad_year(problem: str) -> tuple[str, int]:
    return error_page(_("The year could not be used"), problem, 400)


def _annual(year: int) -> Report:
    # The processing times come from the office's snapshot; the first reader after installation builds it.
    timeliness.figures_or_build(db(), clock, staff=True)
    language = _language()
    return annual_report.build(db(), year, clock(), language=language).document(language)


def _hra(year: int | None) -> Report:
    language = _language()
    return hra_report.build(db(), year, clock(), language=language).document(language)


def _page(report: Report, kind: str, year: int | None) -> str:
    args = {"year": year} if year is not None else {}
    downloads = [(fmt, url_for(f"web.{kind}_report_file", fmt=fmt, **args)) for fmt in report_files.FORMATS]
    return render_template("web/report.html", report=report, kind=kind, year=year,
                           downloads=downloads, fmt=report_files.cell_formatter(_language()),
                           action=url_for(f"web.{kind}_report"))


def _file(report: Report, fmt: str, name: str) -> Any:
    if fmt not in report_files.FORMATS:
        return error_page(_("There is no such file"), _("The report is made as HTML, PDF, CSV or XLSX."), 404)
    data = report_files.render(report, fmt, get_translations())
    response = Response(data, mimetype=report_files.MEDIA_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = report_files.MEDIA_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{report_files.EXTENSIONS[fmt]}"'
    return response


@bp.get("/reports/annual", endpoint="annual_report")
def annual_report_page() -> Any:
    require_role(REPORT_READERS)
    year, problem = _year(clock().year)
    if year is None:
        return _bad_year(problem or "")
    return _page(_annual(year), "annual", year)


@bp.get("/reports/annual.<fmt>")
def annual_report_file(fmt: str) -> Any:
    require_role(REPORT_READERS)
    year, problem = _year(clock().year)
    if year is None:
        return _bad_year(problem or "")
    return _file(_annual(year), fmt, f"tacase-annual-report-{year}")


@bp.get("/reports/hra", endpoint="hra_report")
def hra_report_page() -> Any:
    require_role(REPORT_READERS)
    year, problem = _year(None)
    if problem:
        return _bad_year(problem)
    return _page(_hra(year), "hra", year)


@bp.get("/reports/hra.<fmt>")
def hra_report_file(fmt: str) -> Any:
    require_role(REPORT_READERS)
    year, problem = _year(None)
    if problem:
        return _bad_year(problem)
    return _file(_hra(year), fmt, f"tacase-hra-report-{year or 'all'}")
