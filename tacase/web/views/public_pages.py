"""The public record for people in a browser, without signing in: the published requests, one page
per request and one per State. The language comes from the address (`?lang=fr`) or the browser,
so a visitor needs no cookie; what a page shows comes from tacase.services.public_record alone."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # writes XML, never parses it
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from tacase.engine.casefields import FUNDING_SOURCES
from tacase.reference import requesting_state, requesting_states
from tacase.services import public_record
from tacase.services.errors import NotFound, ValidationFailed
from tacase.web.auth import public
from tacase.web.context import clock, db, ext, runtime
from tacase.web.i18n import WEB_LOCALES, state_name
from tacase.web.views.blueprint import bp
from tacase.web.views.case_forms import field_labels, humanise
from tacase.web.views.present import DOCUMENT_KINDS, file_size, show_value

PER_PAGE = 25
FILTERS = ("state", "type", "fund", "status", "year")


def day(value: dt.date | None) -> str:
    return format_date(value, "d MMMM y") if value else ""


def _language_args() -> dict[str, str]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in WEB_LOCALES else {}


def _choices() -> dict[str, list[tuple[str, str]]]:
    """Each filter's values as (value, words), in the reader's language."""
    workflows = runtime().workflows.current.values()
    statuses: dict[str, str] = {}
    for definition in workflows:
        for name, state in definition.states.items():
            if name != definition.initial:
                statuses.setdefault(state.record_label, name)
    this_year = clock().year
    return {
        "state": sorted(((code, state_name(s)) for code, s in requesting_states().items()),
                        key=lambda pair: pair[1]),
        "type": [(d.type, _(d.title)) for d in workflows],
        "fund": [(f, _(humanise(f))) for f in FUNDING_SOURCES],
        "status": [(name, _(label)) for label, name in statuses.items()],
        "year": [(str(y), str(y)) for y in range(this_year, public_record.FIRST_YEAR - 1, -1)],
    }


def _chosen(choices: dict[str, list[tuple[str, str]]]) -> tuple[dict[str, str], list[str]]:
    """The filters in the address that name a choice, and a message for each that does not."""
    chosen, problems = {}, []
    names = {"state": _("State"), "type": _("Type of request"), "fund": _("Fund"), "status": _("Status"),
             "year": _("Year submitted")}
    for key in FILTERS:
        value = request.args.get(key, "").strip()
        if not value:
            continue
        if value in {v for v, _words in choices[key]}:
            chosen[key] = value
        else:
            problems.append(_("%(filter)s: choose one of the list.", filter=names[key]))
    return chosen, problems


def _page_number() -> int | None:
    raw = request.args.get("page", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= public_record.MAX_PAGE:
        return None
    return int(raw)


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """A published request as a page shows it: labels and values in the reader's words."""
    workflows = runtime().workflows
    labels = field_labels(workflows.get(item["type"])) if item["type"] in workflows.current else {}
    state = requesting_state(item["state"]["code"])
    return {
        **item,
        "title": item["fields"].get("title") or item["reference"],
        "state_name": state_name(state) or item["state"]["name"],
        "type_title": _(item["type_title"]),
        "status_label": _(item["status_label"]),
        "submitted": day(item["submitted_on"]),
        "closed": day(item["closed_on"]),
        "stages": [{"label": _(s["label"]), "entered": day(s["entered_on"])} for s in item["stages"]],
        "fields": [(labels.get(name, name), _readable(value)) for name, value in item["fields"].items()],
        "records": [{"label": _(r["label"]), "on": day(r["on"]),
                     "shown": [(_(r["value_labels"][n]), _readable(v)) for n, v in r["values"].items()]}
                    for r in item["records"]],
        "documents": [{"name": d["name"], "kind": DOCUMENT_KINDS.get(d["content_type"], _("File")),
                       "size": file_size(d["size"]), "url": url_for(
                           "web.public_document", reference=item["reference"], document_id=d["id"])}
                      for d in item.get("documents", ())],
    }


def _readable(value: Any) -> str:
    """A value as the public reads it; dates in words, as everywhere on these pages."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return day(value)
    return show_value(value)


@bp.get("/public/record")
@public
def public_record_page() -> Any:
    choices = _choices()
    chosen, problems = _chosen(choices)
    cursor = request.args.get("cursor", "").strip() or None
    page_number = _page_number()
    if page_number is None:
        problems.append(_("The page number must be a whole number from 1 to %(max)d.",
                          max=public_record.MAX_PAGE))
    if cursor is not None:
        try:
            public_record.read_cursor(cursor)
        except ValidationFailed:
            problems.append(_("This link to a further page is damaged: go back to the first page."))
    counts, _refreshed = public_record.filter_counts(db())
    if problems:
        return render_template("web/public_record.html", choices=choices, chosen=chosen, problems=problems,
                               items=None, page=None, links={}, counts=counts, language=_language_args()), 422
    one = {key: (chosen[key],) if key in chosen else () for key in ("state", "type", "fund", "status")}
    flt = public_record.PublicFilter(**one, year=int(chosen["year"]) if "year" in chosen else None)
    page = public_record.published_cases(db(), flt, page=page_number or 1, per_page=PER_PAGE, cursor=cursor)
    args = {**chosen, **_language_args()}
    numbered = page.page is not None and page.page < public_record.MAX_PAGE
    links = {  # past the last numbered page, "Next page" continues from the last request shown
        "previous": url_for("web.public_record_page", **args, page=page.page - 1)
        if page.page is not None and page.page > 1 else None,
        "next": None if not page.has_next else url_for("web.public_record_page", **args, page=page.page + 1)
        if numbered else url_for("web.public_record_page", **args, cursor=page.next_cursor),
    }
    return render_template("web/public_record.html", choices=choices, chosen=chosen, problems=[],
                           items=[_shown(i) for i in page.items], page=page, links=links, counts=counts,
                           language=_language_args())


@bp.get("/public/record/<reference>")
@public
def public_case_page(reference: str) -> Any:
    try:
        item = public_record.published_case(db(), reference)
    except NotFound:
        return render_template("web/error.html", title=_("Page not found"), message=_(
            "No published request has this reference. A State may have stopped publishing it.")), 404
    return render_template("web/public_case.html", item=_shown(item), language=_language_args())


@bp.get("/public/states/<code>")
@public
def public_state_page(code: str) -> Any:
    state = requesting_state(code.upper()) if len(code) == 3 else None
    if state is None:
        return render_template("web/error.html", title=_("Page not found"),
                               message=_("There is no State with this code.")), 404
    flt = public_record.PublicFilter(state=(code.upper(),))
    page = public_record.published_cases(db(), flt, page=1, per_page=public_record.MAX_PER_PAGE)
    return render_template("web/public_state.html", state=state_name(state), code=code.upper(),
                           items=[_shown(i) for i in page.items], more=page.has_next,
                           language=_language_args())


ATOM = "http://www.w3.org/2005/Atom"


@bp.get("/public/feed.atom")
@public
def public_feed() -> Any:
    """An Atom feed (RFC 4287) of the record's news: requests sent to OHCHR and their later stages."""
    base = ext()["config"].PUBLIC_URL.rstrip("/")  # the configured address, never the Host header
    changes = public_record.recent_changes(db())
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": str(get_locale() or "en")})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    add(feed, "id", f"{base}/public/record")
    add(feed, "title", _("Record of International Cooperation"))
    add(feed, "updated", _instant(changes[0]["at"] if changes else clock()))
    add(feed, "link", rel="self", href=f"{base}/public/feed.atom")
    add(feed, "link", rel="alternate", type="text/html", href=f"{base}/public/record")
    add(add(feed, "author"), "name", "OHCHR")
    for change in changes:
        entry = add(feed, "entry")
        page = f"{base}/public/record/{change['reference']}"
        add(entry, "id", f"{page}#step-{change['id']}")
        what = (_("%(state)s sent a request to OHCHR", state=change["state"]) if change["sent"]
                else _("%(reference)s: %(status)s", reference=change["reference"],
                       status=_(change["status_label"])))
        add(entry, "title", what)
        add(entry, "updated", _instant(change["at"]))
        add(entry, "link", rel="alternate", type="text/html", href=page)
        add(entry, "summary", " · ".join(filter(None, [change["title"], change["reference"],
                                                       _(change["status_label"])])))
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
