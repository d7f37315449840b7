"""What a notification says: a subject, plain text and HTML from the templates in tacase/templates/mail/.

Pure: no database, no Flask. The caller picks the audience and passes only what that audience may
read; a context for the State cannot even hold a staff label or an assignee, so none can leak.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

AUDIENCES = ("state", "office")
STATE_KINDS = ("status_change", "information_request", "state_reminder", "last_notice")
OFFICE_KINDS = ("assignment", "reminder", "overdue", "escalation")
KINDS = STATE_KINDS + OFFICE_KINDS

# Dates are written in English, like the templates; the zone name says whose wall clock it is.
_LOCALE = "en"
_SUBJECTS = {
    "status_change": "{reference}: {public_status}",
    "information_request": "{reference}: OHCHR asks for information",
    "assignment": "{reference} is assigned to you",
    "reminder": "Reminder: {reference} is due {due_day}",
    "overdue": "Overdue: {reference}",
    "escalation": "Escalated: {reference} is overdue",
    "state_reminder": "Reminder: your reply on {reference} is due {due_day}",
    "last_notice": "Last notice: your reply on {reference} was due {due_day}",
}
MAX_SUBJECT = 300


@dataclass(frozen=True)
class MailContext:
    kind: str
    audience: str  # "state" or "office"
    recipient_name: str
    reference: str
    title: str
    public_status: str
    link: str
    reason: str  # why this person gets the mail, for the footer
    timezone: str
    staff_status: str | None = None
    previous_status: str | None = None  # public label, for status changes
    due_at: dt.datetime | None = None
    due_party: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) recorded by the transition
    assignee_name: str | None = None

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


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tacase", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a misspelt variable fails the test suite, not a mail
        trim_blocks=True,
        lstrip_blocks=True,
    )


def format_due(instant: dt.datetime, timezone: str) -> str:
    """'Friday 13 March 2026, 17:00 (Europe/Zurich)': the duty station's wall clock, named."""
    return (format_datetime(instant, "EEEE d MMMM y, HH:mm", tzinfo=ZoneInfo(timezone), locale=_LOCALE)
            + f" ({timezone})")


def _due_day(instant: dt.datetime | None, timezone: str) -> str:
    if instant is None:
        return "soon"
    return format_date(instant.astimezone(ZoneInfo(timezone)).date(), "d MMMM y", locale=_LOCALE)


def due_label(audience: str, party: str | None) -> str:
    """Whose deadline it is, said to the one reading."""
    if party == "state":
        return "Your reply is due by" if audience == "state" else "The State's reply is due by"
    return "OHCHR's step is due by" if audience == "state" else "Due by"


def format_value(value: Any) -> str:
    """A recorded value as a person reads it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        amount = value["amount"]
        if isinstance(amount, Decimal | int):
            return f"{value['currency']} {amount:,}"
        return f"{value['currency']} {amount}"
    if isinstance(value, dt.datetime):
        return format_datetime(value, "d MMMM y, HH:mm", tzinfo=dt.UTC, locale=_LOCALE) + " (UTC)"
    if isinstance(value, dt.date):
        return format_date(value, "d MMMM y", locale=_LOCALE)
    if isinstance(value, list | tuple):
        return "; ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    return str(value)


def _one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    # A header can never carry a line break; collapsing here keeps every sender safe.
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _tidy(text: str) -> str:
    """Text mails: no runs of blank lines left by optional parts, one newline at the end."""
    lines = [line.rstrip() if line != "-- " else line for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def render(ctx: MailContext) -> Rendered:
    env = _environment()
    subject = _one_line(_SUBJECTS[ctx.kind].format(
        reference=ctx.reference, public_status=ctx.public_status,
        due_day=_due_day(ctx.due_at, ctx.timezone)))
    values = {
        **asdict(ctx),
        "subject": subject,
        "due": format_due(ctx.due_at, ctx.timezone) if ctx.due_at is not None else None,
        "due_label": due_label(ctx.audience, ctx.due_party),
    }
    out: dict[str, str] = {}
    for layout in ("layout", "fragment"):
        for ext in ("txt", "html"):
            template = env.get_template(f"{ctx.kind}.{ext}")
            body = template.render(values, layout=f"{layout}.{ext}")
            out[f"{layout}.{ext}"] = _tidy(body) if ext == "txt" else body.strip() + "\n"
    return Rendered(subject=subject, text=out["layout.txt"], html=out["layout.html"],
                    fragment_text=out["fragment.txt"], fragment_html=out["fragment.html"])


def render_digest(recipient_name: str, items: Sequence[DigestItem]) -> Rendered:
    env = _environment()
    count = len(items)
    subject = f"tacase: your daily summary ({count} update{'s' if count != 1 else ''})"
    values = {
        "subject": subject, "recipient_name": recipient_name,
        # The fragments were rendered (and escaped) by render() and stored by tacase itself.
        "items": [{"subject": i.subject, "text": i.text.strip(), "html": Markup(i.html)}  # noqa: S704
                  for i in items],
    }
    text = _tidy(env.get_template("digest.txt").render(values))
    html = env.get_template("digest.html").render(values).strip() + "\n"
    return Rendered(subject=subject, text=text, html=html, fragment_text=text, fragment_html=html)
