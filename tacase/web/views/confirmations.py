"""The panel that confirms a step, shown once: the step's outcome is kept in the session until the
next page of that case reads it, so that reloading the page or sharing its address shows no panel
for a step taken earlier."""

from __future__ import annotations

from typing import Any

from flask import flash, get_flashed_messages, url_for

CATEGORY = "confirmation"


def to_case(reference: str, *, saved: str | None = None, done: str | None = None) -> str:
    """Remember what was just done to the case, and return its page's address."""
    flash({"reference": reference, "saved": saved, "done": done}, CATEGORY)
    return url_for("web.case", reference=reference)


def taken(reference: str) -> tuple[str | None, str | None]:
    """(saved, done) of the step just taken on this case, if any."""
    for message in get_flashed_messages(category_filter=[CATEGORY]):
        if isinstance(message, dict) and message.get("reference") == reference:
            return _text(message.get("saved")), _text(message.get("done"))
    return None, None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
