"""The public record as files, for anyone: the open-data files at fixed addresses (`/public/data/
cases.csv` and `cases.json`) with the page that says what each column means and under which licence,
and each public page's own download (the list as filtered, a State's requests, one request).

The files are answers anyone may cache: they go out from a blueprint of their own, without the
pages' `no-store`, with `Cache-Control: public`, a `Content-Disposition` that names the file, and,
for a file as built by the scheduler, its `ETag` and `Last-Modified`. What they hold comes from
tacase.services.open_data, which reads through tacase.services.public_record alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from tacase.exports import open_data as files
from tacase.reference import requesting_state
from tacase.services import open_data, public_record
from tacase.services.errors import NotFound, ValidationFailed
from tacase.web.auth import public
from tacase.web.context import clock, db, ext
from tacase.web.errors import N_
from tacase.web.i18n import due
from tacase.web.views.blueprint import bp
from tacase.web.views.public_pages import FILTERS, _choices, _chosen, _language_args

downloads = Blueprint("public_files", __name__)

FORMATS = "any(csv, json)"
# What a download's address may carry besides its filters: the language, and a page number that the
# list's links carry (a download holds every page).
ALSO_ALLOWED = frozenset({"lang", "page"})

# What each column holds, in words; a workflow's own fields and steps are described from their labels.
MEANINGS = {
    "reference": N_("The request's reference on the record. It never changes."),
    "state_code": N_("The requesting State, as its three-letter ISO 3166-1 code."),
    "state_name": N_("The requesting State's name, in English."),
    "type": N_("The type of request, as a code."),
    "type_title": N_("The type of request, in English."),
    "status": N_("Where the request is now, as a code."),
    "status_label": N_("Where the request is now, as the record names it in English."),
    "submitted_on": N_("The day the State sent the request to OHCHR."),
    "closed_on": N_("The day the request was closed (completed, not approved or withdrawn); empty while it "
                    "is open."),
    "stages": N_("Each stage the request has reached, with the day it reached it, in order."),
    "title": N_("The request's title, as the State wrote it."),
    "objectives": N_("What the State wants the assistance to achieve."),
    "activities": N_("The activities the State plans."),
    "expected_results": N_("The results the State expects, each with how it will be measured."),
    "channel_reference": N_("The reference of the official letter that sent the request."),
    "channel_date": N_("The date of the official letter that sent the request."),
    "recipient_institutions": N_("The national institutions that would receive the assistance."),
    "planned_start": N_("When the State plans the assistance to start."),
    "planned_end": N_("When the State plans the assistance to end."),
    "budget": N_("The budget the State asks for."),
    "funding_source": N_("The fund the State asks to pay for the assistance, as a code."),
    "recommendations": N_("The recommendations of human-rights mechanisms the request helps to implement: "
                          "mechanism, document symbol and paragraph."),
    "sdg_targets": N_("The Sustainable Development Goal targets the request serves."),
    "themes": N_("The human-rights themes of the request."),
}
KIND_WORDS = {
    files.TEXT: N_("Text"), files.CODE: N_("Code"), files.DATE: N_("Date (YYYY-MM-DD)"),
    files.NUMBER: N_("Number, with a full stop before the decimals"), files.INTEGER: N_("Whole number"),
    files.BOOLEAN: N_("true or false"),
    files.LIST: N_("List: in JSON, a list; in CSV, one cell with the values separated by a semicolon"),
}


def licence() -> open_data.Licence:
    config = ext()["config"]
    return open_data.Licence(config.PUBLIC_DATA_LICENCE_NAME, config.PUBLIC_DATA_LICENCE_URL)


def meaning(column: files.Column) -> str:
    """What a column holds, in the reader's language."""
    if column.name in MEANINGS:
        return _(MEANINGS[column.name])
    if column.currency_of is not None:
        return _("The currency of the column %(column)s, as its three-letter ISO 4217 code.",
                 column=column.currency_of)
    if column.source == "step":
        return _("%(label)s, recorded at this step: %(steps)s.", label=_(column.label),
                 steps=", ".join(_(s) for s in column.steps))
    return _("%(label)s, asked of this type of request.", label=_(column.label))


def title(column: files.Column, labels: dict[str, str]) -> str:
    """A column's title in the reader's language; a currency's names its amount's column."""
    if column.currency_of is not None and column.currency_of in labels:
        return _("%(label)s (currency)", label=_(labels[column.currency_of]))
    return _(column.label)


def dictionary() -> dict[str, Any]:
    """The data dictionary: the files, their licence and when they were built, and each column."""
    session = db()
    kept = {name: open_data.stored(session, name) for name in open_data.NAMES}
    base = ext()["config"].PUBLIC_URL.rstrip("/")  # the configured address, never the Host header
    columns = open_data.columns(session)
    labels = {c.name: c.label for c in columns}
    return {
        "title": _("Record of International Cooperation: open data"),
        "licence": {"name": licence().name, "url": licence().url},
        "last_updated": open_data.last_built(session),
        "files": [{"name": name,
                   "url": base + url_for("public_files.open_data_file", fmt=name.rsplit(".", 1)[1]),
                   "media_type": open_data.MEDIA_TYPES[name],
                   "built_at": kept[name].built_at if kept[name] else None} for name in open_data.NAMES],
        "columns": [{"name": c.name, "type": c.kind, "type_words": _(KIND_WORDS[c.kind]),
                     "title": title(c, labels), "description": meaning(c)} for c in columns],
    }


# --- the page that describes the files -----------------------------------------------------------

@bp.get("/public/data")
@public
def public_data_page() -> Any:
    about = dictionary()
    updated = about["last_updated"]
    return render_template("web/public_data.html", about=about, language=_language_args(),
                           updated=due(updated) if updated else None)


# --- the open-data files -------------------------------------------------------------------------

def _file_headers(response: Response, filename: str) -> Response:
    """A public file: any cache may keep it for a while, any site may read it, a browser saves it."""
    response.cache_control.public = True
    response.cache_control.max_age = ext()["config"].PUBLIC_MAX_AGE_SECONDS
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _stream(fmt: str, flt: public_record.PublicFilter, filename: str, *,
            title: str = open_data.RECORD_TITLE) -> Response:
    """A file made as it is sent, from a session of its own that the stream closes when it ends or
    the client goes (the request's own is closed before the first piece goes out). Between batches
    its read transaction ends, so that a long download holds no lock. ValidationFailed before any."""
    session = ext()["sessions"]()
    try:
        pieces = open_data.chunks(session, fmt, flt, licence(), clock(), title=title, pause=session.rollback)
    except BaseException:
        session.close()
        raise

    def encoded() -> Iterator[bytes]:
        try:
            for piece in pieces:
                yield piece.encode("utf-8")
        finally:
            session.close()

    response = Response(encoded(), content_type=open_data.MEDIA_TYPES[f"cases.{fmt}"])
    return _file_headers(response, filename)


@downloads.get("/public/data/cases.<any(csv, json):fmt>")
@public
def open_data_file(fmt: str) -> Any:
    """The file as the scheduler last built it; while it is missing (a State's consent changed since),
    made now from the record as it is, and sent as it is made."""
    name = f"cases.{fmt}"
    session = db()
    kept = open_data.stored(session, name)
    if kept is None:
        response = _stream(fmt, public_record.PublicFilter(), name)
        response.last_modified = clock()
        return response
    etag = kept.etag
    response = Response(status=304) if request.if_none_match.contains(etag) else Response(
        open_data.content(session, name), content_type=kept.media_type)
    response.set_etag(etag)
    response.last_modified = kept.built_at
    return _file_headers(response, name)


# --- each page's download ------------------------------------------------------------------------

def _problem_page(problems: list[str], status: int = 422) -> tuple[str, int]:
    return render_template("web/error.html", title=_("There is a problem with this download"),
                           message=" ".join(problems)), status


def _list_filter() -> public_record.PublicFilter | list[str]:
    """The record's filters from the address, as on its page; or what is wrong with them."""
    unknown = sorted(set(request.args) - set(FILTERS) - ALSO_ALLOWED)
    choices = _choices()
    chosen, problems = _chosen(choices)
    if unknown:
        problems.insert(0, _("The address asks for something this download does not have. Use the links on "
                             "the record's page."))
    if problems:
        return problems
    one = {key: (chosen[key],) if key in chosen else () for key in ("state", "type", "fund", "status")}
    return public_record.PublicFilter(**one, year=int(chosen["year"]) if "year" in chosen else None)


def _download(fmt: str, flt: public_record.PublicFilter, filename: str, title: str) -> Any:
    try:
        return _stream(fmt, flt, filename, title=title)
    except ValidationFailed:  # the filters were checked already; a year beyond the record's, say
        return _problem_page([_("Choose a year from the list.")])


@downloads.get(f"/public/record.<{FORMATS}:fmt>")
@public
def record_download(fmt: str) -> Any:
    """Every published request the filters of the record's page take, not only one page of them."""
    flt = _list_filter()
    if isinstance(flt, list):
        return _problem_page(flt)
    return _download(fmt, flt, f"record.{fmt}", open_data.RECORD_TITLE)


@downloads.get(f"/public/states/<code>.<{FORMATS}:fmt>")
@public
def state_download(code: str, fmt: str) -> Any:
    state = requesting_state(code.upper()) if len(code) == 3 else None
    if state is None:
        return render_template("web/error.html", title=_("Page not found"),
                               message=_("There is no State with this code.")), 404
    code = code.upper()
    return _download(fmt, public_record.PublicFilter(state=(code,)), f"record-{code}.{fmt}",
                     f"{open_data.RECORD_TITLE}: {state.names['en']}")


@downloads.get(f"/public/record/<reference>.<{FORMATS}:fmt>")
@public
def case_download(reference: str, fmt: str) -> Any:
    try:
        pieces = open_data.one_case(db(), fmt, reference, licence(), clock())
    except NotFound:
        return render_template("web/error.html", title=_("Page not found"), message=_(
            "No published request has this reference. A State may have stopped publishing it.")), 404
    return _file_headers(Response("".join(pieces), content_type=open_data.MEDIA_TYPES[f"cases.{fmt}"]),
                         f"{reference}.{fmt}")


def download_links(endpoint: str, **args: Any) -> dict[str, str]:
    """The addresses of a page's downloads, for its template."""
    return {fmt: url_for(endpoint, fmt=fmt, **args) for fmt in ("csv", "json")}


@bp.app_context_processor
def _downloads_in_templates() -> dict[str, Any]:
    return {"download_links": download_links}
