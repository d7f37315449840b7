"""What a notification says: a subject, plain text and HTML from the templates in tacase/templates/mail/.

Pure: no database, no Flask. The caller picks the audience and passes only what that audience may
read; a context for the State cannot even hold a staff label or an assignee, so none can leak.

Every mail is written in its recipient's language (the web pages' catalogs in tacase/translations,
English when there is none). Status and field labels come from the workflow files in English and are
translated here, as the pages do, so a context always carries the English source text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

AUDIENCES = ("state", "office")
STATE_KINDS = ("status_change", "information_request", "state_reminder", "last_notice")
OFFICE_KINDS = ("assignment", "reminder", "overdue", "escalation")
KINDS = STATE_KINDS + OFFICE_KINDS

# The languages a user may choose (tacase.services.accounts.LOCALES); anything else reads English.
LANGUAGES = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:
    """Marks a text for the catalogs (`make translations` looks for N_); it is translated when a mail
    is rendered, in the recipient's language."""
    return message


_SUBJECTS = {
    "status_change": N_("%(reference)s: %(public_status)s"),
    "information_request": N_("%(reference)s: OHCHR asks for information"),
    "assignment": N_("%(reference)s is assigned to you"),
    "reminder": N_("Reminder: %(reference)s is due %(due_day)s"),
    "overdue": N_("Overdue: %(reference)s"),
    "escalation": N_("Escalated: %(reference)s is overdue"),
    "state_reminder": N_("Reminder: your reply on %(reference)s is due %(due_day)s"),
    "last_notice": N_("Last notice: your reply on %(reference)s was due %(due_day)s"),
}
# The same without a date: a whole sentence each, since "soon" and a date do not read alike in every language.
_SUBJECTS_UNDATED = {
    "reminder": N_("Reminder: %(reference)s is due soon"),
    "state_reminder": N_("Reminder: your reply on %(reference)s is due soon"),
    "last_notice": N_("Last notice: your reply on %(reference)s was due soon"),
}
# Why someone gets a mail, for its footer: the caller passes one of these, in English.
REASON_ASSIGNEE = N_("You receive this because the case is assigned to you.")
REASON_UNASSIGNED = N_("You receive this because nobody is assigned to the case and your role can act on it.")
REASON_APPROVER = N_("You receive this as an approver: overdue steps are escalated to you.")
REASON_FOCAL_POINT = N_("You receive this as a focal point of %(state)s for its requests to OHCHR.")
# Dates as each language writes them; the zone name says whose wall clock it is.
_DAY = {"en": "d MMMM y", "fr": "d MMMM y", "es": "d 'de' MMMM 'de' y"}
_WEEKDAY = {"en": "EEEE d MMMM y", "fr": "EEEE d MMMM y", "es": "EEEE, d 'de' MMMM 'de' y"}
MAX_SUBJECT = 300


@dataclass(frozen=True)
class MailContext:
    kind: str
    audience: str  # "state" or "office"
    recipient_name: str
    reference: str
    title: str
    public_status: str  # labels in English, as the workflow file has them
    link: str
    reason: str  # why this person gets the mail, for the footer (English; see REASON_*)
    timezone: str
    staff_status: str | None = None
    previous_status: str | None = None  # public label, for status changes
    due_at: dt.datetime | None = None
    due_party: str | None = None
    # (label, value) recorded by the transition; values as recorded, written out in the mail's language
    fields: tuple[tuple[str, Any], ...] = ()
    assignee_name: str | None = None
    locale: str = DEFAULT_LANGUAGE  # the recipient's language

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown notification kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.audience not in AUDIENCES:
            raise ValueError(f"unknown audience {self.audience!r}")
        if self.audience == "state" and (self.staff_status is not None or self.assignee_name is not None):
            raise ValueError("staff labels and assignees never reach the State")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # a whole mail
    html: str
    fragment_text: str  # the same without greeting and footer: in-app bodies and digests
    fragment_html: str


@dataclass(frozen=True)
class DigestItem:
    subject: str
    text: str
    html: str  # a fragment rendered by render(), already escaped


def language(locale: str | None) -> str:
    return locale if locale in LANGUAGES else DEFAULT_LANGUAGE


def translations(locale: str | None) -> NullTranslations:
    return _catalog(language(locale))


@functools.cache
def _catalog(language_: str) -> NullTranslations:
    if language_ == DEFAULT_LANGUAGE:
        return NullTranslations()  # English is the source text
    return Translations.load(str(TRANSLATIONS), [language_], domain="messages")


def translate(locale: str, message: str, **values: Any) -> str:
    text = translations(locale).gettext(message) if message else message
    return text % values if values else text


@functools.cache
def _environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("tacase", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a misspelt variable fails the test suite, not a mail
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def format_due(instant: dt.datetime, timezone: str, locale: str = DEFAULT_LANGUAGE) -> str:
    """'Friday 13 March 2026, 17:00 (Europe/Zurich)': the duty station's wall clock, named."""
    language_ = language(locale)
    return (format_datetime(instant, f"{_WEEKDAY[language_]}, HH:mm", tzinfo=ZoneInfo(timezone),
                            locale=language_)
            + f" ({timezone})")


def _due_day(instant: dt.datetime, timezone: str, locale: str) -> str:
    language_ = language(locale)
    return format_date(instant.astimezone(ZoneInfo(timezone)).date(), _DAY[language_], locale=language_)


def due_label(audience: str, party: str | None, locale: str = DEFAULT_LANGUAGE) -> str:
    """Whose deadline it is, said to the one reading."""
    if party == "state":
        label = N_("Your reply is due by") if audience == "state" else N_("The State's reply is due by")
    else:
        label = N_("OHCHR's step is due by") if audience == "state" else N_("Due by")
    return translate(locale, label)


def _amount(amount: Decimal | int, locale: str) -> str:
    # As many decimals as were recorded: 50000.00 stays 50,000.00 (50 000,00 in French).
    places = max(0, -int(amount.as_tuple().exponent)) if isinstance(amount, Decimal) else 0
    return format_decimal(amount, "#,##0" + ("." + "0" * places if places else ""), locale=locale)


def format_value(value: Any, locale: str = DEFAULT_LANGUAGE) -> str:
    """A recorded value as a person reads it, in their language."""
    language_ = language(locale)
    if isinstance(value, bool):
        return translate(language_, N_("yes") if value else N_("no"))
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        amount = value["amount"]
        if isinstance(amount, Decimal | int):
            return f"{value['currency']} {_amount(amount, language_)}"
        return f"{value['currency']} {amount}"
    if isinstance(value, dt.datetime):
        return format_datetime(value, f"{_DAY[language_]}, HH:mm", tzinfo=dt.UTC, locale=language_) + " (UTC)"
    if isinstance(value, dt.date):
        return format_date(value, _DAY[language_], locale=language_)
    if isinstance(value, list | tuple):
        return "; ".join(format_value(v, language_) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_value(v, language_)}" for k, v in value.items())
    return str(value)


def _one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    # A header can never carry a line break; collapsing here keeps every sender safe.
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _tidy(text: str) -> str:
    """Text mails: no runs of blank lines left by optional parts, one newline at the end."""
    lines = [line.rstrip() if line != "-- " else line for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def _subject_and_day(ctx: MailContext, locale: str) -> tuple[str, str]:
    public_status = translations(locale).gettext(ctx.public_status) if ctx.public_status else ""
    if ctx.due_at is None and ctx.kind in _SUBJECTS_UNDATED:
        subject_text, due_day = _SUBJECTS_UNDATED[ctx.kind], ""
    else:
        subject_text = _SUBJECTS[ctx.kind]
        due_day = _due_day(ctx.due_at, ctx.timezone, locale) if ctx.due_at is not None else ""
    return _one_line(translations(locale).gettext(subject_text) % {
        "reference": ctx.reference, "public_status": public_status, "due_day": due_day}), public_status


def render_subject(ctx: MailContext) -> str:
    """The subject alone: what a list of notifications or mails shows, cheap enough to keep."""
    return _subject_and_day(ctx, language(ctx.locale))[0]


def _values(ctx: MailContext, locale: str) -> dict[str, Any]:
    catalog = translations(locale)

    def gettext(text: str | None) -> str | None:
        return catalog.gettext(text) if text else text  # gettext("") would be the catalog's header

    subject, public_status = _subject_and_day(ctx, locale)
    return {
        **asdict(ctx),
        "locale": locale,
        "subject": subject,
        "public_status": public_status,
        "previous_status": gettext(ctx.previous_status),
        "staff_status": gettext(ctx.staff_status),
        "reason": gettext(ctx.reason),
        "fields": [(gettext(label), format_value(value, locale)) for label, value in ctx.fields],
        "due": format_due(ctx.due_at, ctx.timezone, locale) if ctx.due_at is not None else None,
        "due_label": due_label(ctx.audience, ctx.due_party, locale),
    }


def _write(ctx: MailContext, parts: Sequence[tuple[str, str]]) -> tuple[str, dict[tuple[str, str], str]]:
    """The subject and each (layout, ext) asked for: only what the reader at hand needs is written."""
    locale = language(ctx.locale)
    env, values = _environment(locale), _values(ctx, locale)
    out: dict[tuple[str, str], str] = {}
    for layout, ext in parts:
        body = env.get_template(f"{ctx.kind}.{ext}").render(values, layout=f"{layout}.{ext}")
        out[layout, ext] = _tidy(body) if ext == "txt" else body.strip() + "\n"
    return values["subject"], out


def render(ctx: MailContext) -> Rendered:
    subject, out = _write(ctx, [(part, ext) for part in ("layout", "fragment") for ext in ("txt", "html")])
    return Rendered(subject=subject, text=out["layout", "txt"], html=out["layout", "html"],
                    fragment_text=out["fragment", "txt"], fragment_html=out["fragment", "html"])


def render_mail(ctx: MailContext, *, fragment: bool = False) -> tuple[str, str, str]:
    """(subject, text, html) of a whole mail, or of the fragment a daily summary gathers."""
    layout = "fragment" if fragment else "layout"
    subject, out = _write(ctx, [(layout, "txt"), (layout, "html")])
    return subject, out[layout, "txt"], out[layout, "html"]


def render_note(ctx: MailContext) -> str:
    """The plain text of an in-app notification: the mail without greeting and footer."""
    return _write(ctx, [("fragment", "txt")])[1]["fragment", "txt"]


# --- the facts of a mail, kept until it is written out -------------------------------------------
# A notification stores its context, not its words: the words are written when the mail goes out or
# the notification is read, outside the transaction of the change. JSON holds no Decimal or date, so
# those values carry a tag; anything else a context cannot hold is refused when it is stored.

_TAGS = {"$decimal": Decimal, "$date": dt.date.fromisoformat, "$instant": dt.datetime.fromisoformat}


def _tagged(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return {"$decimal": format(value, "f")}
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("a mail's instants must be timezone-aware")
        return {"$instant": value.astimezone(dt.UTC).isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, float):
        return {"$decimal": repr(value)}
    if isinstance(value, list | tuple):
        return [_tagged(v) for v in value]
    if isinstance(value, dict):
        return {"$map": [[str(k), _tagged(v)] for k, v in value.items()]}
    raise TypeError(f"a mail cannot carry a {type(value).__name__}")


def _untagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    if isinstance(value, dict):
        if "$map" in value:
            return {k: _untagged(v) for k, v in value["$map"]}
        (tag, text), = value.items()
        return _TAGS[tag](text)
    return value


def facts_of(ctx: MailContext) -> dict[str, Any]:
    """The context as JSON, to store in the transaction of the change."""
    facts = {name: _tagged(value) for name, value in asdict(ctx).items() if name != "fields"}
    facts["fields"] = [[label, _tagged(value)] for label, value in ctx.fields]
    return facts


def context_from(facts: dict[str, Any]) -> MailContext:
    """The context facts_of() stored; a ValueError or KeyError if they were not stored by it."""
    values = {name: _untagged(value) for name, value in facts.items() if name != "fields"}
    fields = tuple((label, _untagged(value)) for label, value in facts.get("fields", ()))
    return MailContext(**values, fields=fields)


def render_digest(recipient_name: str, items: Sequence[DigestItem],
                  locale: str = DEFAULT_LANGUAGE) -> Rendered:
    locale = language(locale)
    env = _environment(locale)
    count = len(items)
    subject = translations(locale).ngettext(
        "tacase: your daily summary (%(num)d update)", "tacase: your daily summary (%(num)d updates)",
        count) % {"num": count}
    values = {
        "locale": locale, "subject": subject, "recipient_name": recipient_name,
        # The fragments were rendered (and escaped) by render() and stored by tacase itself.
        "items": [{"subject": i.subject, "text": i.text.strip(), "html": Markup(i.html)}  # noqa: S704
                  for i in items],
    }
    text = _tidy(env.get_template("digest.txt").render(values))
    html = env.get_template("digest.html").render(values).strip() + "\n"
    return Rendered(subject=subject, text=text, html=html, fragment_text=text, fragment_html=html)
