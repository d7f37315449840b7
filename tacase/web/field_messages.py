"""The services' and the engine's field messages as whole sentences in the reader's language.

The services say what is wrong in short English phrases meant for API clients ("is required",
"must be at most 200 characters"); a page must not glue them to a label ("Titre: is required"). Each
known phrase maps to a sentence that names the field by its label, so that a translator sees the whole
sentence; a message that is already a sentence of the web layer (it starts with a capital) is shown
as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask_babel import gettext as _

Sentence = Callable[[str], str]

# The fixed phrases (tacase/engine/fields.py, money.py, tacase/services/case_fields.py, comments.py,
# documents.py, the guards' blocked_fields).
FIXED: dict[str, Sentence] = {
    "is required": lambda f: _("Enter “%(field)s”.", field=f),
    "must be filled in before the request can be sent":
        lambda f: _("Enter “%(field)s” before you send the request.", field=f),
    "must be a date (YYYY-MM-DD)":
        lambda f: _("Enter “%(field)s” as a real date, for example 2026-03-02.", field=f),
    "must be a whole number": lambda f: _("Enter “%(field)s” as a whole number.", field=f),
    "must be a number": lambda f: _("Enter “%(field)s” as a number.", field=f),
    "must be a finite number": lambda f: _("Enter “%(field)s” as a number.", field=f),
    "must be a string": lambda f: _("Enter “%(field)s” as text.", field=f),
    "must be true or false": lambda f: _("Answer yes or no to “%(field)s”.", field=f),
    "unknown field": lambda f: _("“%(field)s” is not a question of this form.", field=f),
    "is empty": lambda f: _("The file chosen for “%(field)s” is empty.", field=f),
    "must be an e-mail address":
        lambda f: _("Enter “%(field)s” as an e-mail address, such as name@example.org.", field=f),
    "must not be before the planned start":
        lambda f: _("“%(field)s” must not be before the planned start.", field=f),
    "currency must be an ISO 4217 code such as USD, EUR or CHF":
        lambda f: _("Enter the currency of “%(field)s” as a code such as USD, EUR or CHF.", field=f),
    "amount must be a decimal number":
        lambda f: _("Enter the amount of “%(field)s” as a number, such as 45000.00.", field=f),
    "amount must be zero or more": lambda f: _("The amount of “%(field)s” must be zero or more.", field=f),
    "must be an object with 'amount' and 'currency'":
        lambda f: _("Enter both the amount and the currency of “%(field)s”.", field=f),
}

# Phrases with a value in them: (pattern, sentence from the label and the pattern's groups).
Patterned = Callable[[str, re.Match[str], Mapping[str, str]], str]
PATTERNS: tuple[tuple[re.Pattern[str], Patterned], ...] = (
    (re.compile(r"must be at most (\d+) characters"),
     lambda f, m, _l: _("“%(field)s” must be %(n)s characters or fewer.", field=f, n=m.group(1))),
    (re.compile(r"must be text of (?:1 to |at most )(\d+) characters"),
     lambda f, m, _l: _("Enter “%(field)s” in %(n)s characters or fewer.", field=f, n=m.group(1))),
    (re.compile(r"must be at least (\S+)"),
     lambda f, m, _l: _("“%(field)s” must be %(n)s or more.", field=f, n=m.group(1))),
    (re.compile(r"must be at most (\S+)"),
     lambda f, m, _l: _("“%(field)s” must be %(n)s or less.", field=f, n=m.group(1))),
    (re.compile(r"amount must be at most (\S+)"),
     lambda f, m, _l: _("The amount of “%(field)s” must be %(n)s or less.", field=f, n=m.group(1))),
    (re.compile(r"(\w{3}) amounts have at most (\d+) decimal places"),
     lambda f, m, _l: _("Amounts in %(currency)s have at most %(n)s decimal places: correct “%(field)s”.",
                        currency=m.group(1), n=m.group(2), field=f)),
    (re.compile(r"must be one of: .*"),
     lambda f, m, _l: _("Choose one of the answers offered for “%(field)s”.", field=f)),
    (re.compile(r"must not be before (.+)"),
     lambda f, m, labels: _("“%(field)s” must not be before “%(other)s”.", field=f,
                            other=labels.get(m.group(1).replace(" ", "_"), m.group(1)))),
    (re.compile(r"must have at most (\d+) items|must be a list of at most (\d+) \w+"),
     lambda f, m, _l: _("“%(field)s” has too many lines: %(n)s at most.", field=f,
                        n=m.group(1) or m.group(2))),
    (re.compile(r"each item must be at most (\d+) characters"),
     lambda f, m, _l: _("Each line of “%(field)s” must be %(n)s characters or fewer.", field=f,
                        n=m.group(1))),
    (re.compile(r"not SDG targets .*: (.+)"),
     lambda f, m, _l: _("These are not Sustainable Development Goal targets (such as 16.3 or 5.c): %(bad)s.",
                        bad=m.group(1))),
)


def sentence(label: str, message: str, labels: Mapping[str, str] | None = None) -> str:
    """The message about the field labelled `label` as a sentence in the page's language."""
    text = str(message).strip()
    if text[:1].isupper():
        return text  # already a sentence of the web layer, in the page's language
    fixed = FIXED.get(text)
    if fixed is not None:
        return fixed(label)
    for pattern, make in PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return make(label, found, labels or {})
    # An unforeseen phrase: still a sentence around the field's label; the phrase as the service said it.
    return _("Check “%(field)s”: %(problem)s.", field=label, problem=text)
