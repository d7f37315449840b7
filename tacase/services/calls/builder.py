"""A call written with forms rather than as text: each change (the details, a question added, changed,
moved or removed) edits the mapping of the call's current definition and is saved by write_call, so that
it is the call's next version and meets the same checks as a file's or the API's text.

The edits themselves work on plain mappings in the format of questionnaires/README.md; only `current`
and `save` read or write the database."""

from __future__ import annotations

import copy
import re
import unicodedata
from typing import Any

from sqlalchemy.orm import Session

from tacase.db.models import Call
from tacase.engine import calls as call_defs
from tacase.engine.call_model import LANGUAGES, OPTION_VALUE, QUESTION_KEY
from tacase.services.actors import Actor
from tacase.services.calls import authoring, registry
from tacase.services.clock import Clock

# What the details form sets; the questions and the version are the call's own.
DETAIL_KEYS = ("kind", "title", "introduction", "audience", "opens_on", "closes_on", "late_responses",
               "submitted_by", "stakeholders", "reminders", "publish_submissions", "report")
SLUG_LENGTH = 40


class EditRefused(ValueError):
    """An edit that would leave the call without a question or break a condition; `reason` says which:
    "last" (the only question), "depended" (a later question depends on it: `other` names it) or
    "order" (the move would put a question before the one it depends on)."""

    def __init__(self, reason: str, other: str | None = None) -> None:
        self.reason, self.other = reason, other
        super().__init__(f"{reason}: {other}" if other else reason)


# --- reading ----------------------------------------------------------------------------------------

def current(session: Session, actor: Actor, key: str) -> tuple[Call, call_defs.CallDefinition]:
    """The call and its current definition, for an administrator."""
    authoring.require_author(actor)
    call = registry.get_call(session, key)
    return call, registry.definition_of(session, call)


def is_file(call: Call) -> bool:
    """A call defined by a file in questionnaires/ is changed in its file, not in the pages."""
    return call.source == "file"


# --- texts, keys and options --------------------------------------------------------------------

def localised(en: str | None, fr: str | None = None, es: str | None = None) -> dict[str, str] | None:
    """A text in the three languages; French or Spanish left empty take the English text. None when
    there is no English text."""
    en = (en or "").strip()
    if not en:
        return None
    return {"en": en, "fr": (fr or "").strip() or en, "es": (es or "").strip() or en}


def shown(texts: dict[str, str] | None) -> dict[str, str]:
    """The three texts as a form shows them: a translation equal to the English text is left empty
    (saved again, it takes the English text: the same call)."""
    if not texts:
        return dict.fromkeys(LANGUAGES, "")
    return {lang: "" if lang != "en" and texts.get(lang) == texts.get("en") else texts.get(lang, "")
            for lang in LANGUAGES}


def slug(text: str, taken: set[str] | frozenset[str] = frozenset(), *, pattern: re.Pattern = QUESTION_KEY,
         fallback: str = "question") -> str:
    """A key made from English text: lower-case letters, digits and underscores, starting with a
    letter, not one of `taken` (a number is added: has_plan_2)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    base = "_".join(words)[:SLUG_LENGTH].strip("_")
    if not base or not base[0].isalpha():
        base = f"{fallback}_{base}".strip("_")[:SLUG_LENGTH] if base else fallback
    candidate, n = base, 1
    while candidate in taken or not pattern.match(candidate):
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a text box, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def options(en: list[str], fr: list[str], es: list[str], values: list[str]) -> list[dict[str, Any]]:
    """Options from lines of the same length (French, Spanish and values may be empty lists: the
    English text, and keys made from it)."""
    taken: set[str] = set()
    out = []
    for n, label in enumerate(en):
        value = values[n] if values else slug(label, taken, pattern=OPTION_VALUE, fallback="option")
        taken.add(value)
        out.append({"value": value, "label": localised(label, fr[n] if fr else "", es[n] if es else "")})
    return out


# --- the edits ----------------------------------------------------------------------------------

def new_call(key: str, details: dict[str, Any], first_question: dict[str, Any]) -> dict[str, Any]:
    """The mapping of a new call: its details and its first question (a call has at least one)."""
    raw: dict[str, Any] = {"key": key, "version": 1}
    raw.update(_details(details))
    raw["questions"] = [first_question]
    return raw


def with_details(raw: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    for name in DETAIL_KEYS:
        out.pop(name, None)
    questions = out.pop("questions", [])
    out.update(_details(details))
    out["questions"] = questions
    return out


def _details(details: dict[str, Any]) -> dict[str, Any]:
    unknown = set(details) - set(DETAIL_KEYS)
    if unknown:
        raise ValueError(f"not a detail of a call: {sorted(unknown)}")
    return {k: v for k, v in details.items() if v is not None}


def question_keys(raw: dict[str, Any]) -> list[str]:
    return [q.get("key") for q in raw.get("questions", [])]


def _index(raw: dict[str, Any], key: str) -> int:
    keys = question_keys(raw)
    if key not in keys:
        raise KeyError(key)
    return keys.index(key)


def add_question(raw: dict[str, Any], question: dict[str, Any]) -> dict[str, Any]:
    """The question added after the others."""
    out = copy.deepcopy(raw)
    out.setdefault("questions", []).append(question)
    return out


def replace_question(raw: dict[str, Any], key: str, question: dict[str, Any]) -> dict[str, Any]:
    """The question `key` replaced, in its place (its key stays: the answers given keep it)."""
    out = copy.deepcopy(raw)
    n = _index(out, key)
    out["questions"][n] = {**question, "key": key}
    return out


def _depends_on(question: dict[str, Any], key: str) -> bool:
    when = question.get("when")
    return isinstance(when, dict) and when.get("question") == key


def remove_question(raw: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    n = _index(out, key)
    if len(out["questions"]) == 1:
        raise EditRefused("last")
    for other in out["questions"]:
        if _depends_on(other, key):
            raise EditRefused("depended", other["key"])
    del out["questions"][n]
    return out


def move_question(raw: dict[str, Any], key: str, step: int) -> dict[str, Any]:
    """The question moved one place up (step -1) or down (+1); at either end it stays where it is."""
    out = copy.deepcopy(raw)
    questions = out["questions"]
    n = _index(out, key)
    m = n + step
    if step not in (-1, 1) or not 0 <= m < len(questions):
        return out
    upper, lower = (questions[m], questions[n]) if step == -1 else (questions[n], questions[m])
    if _depends_on(lower, upper["key"]):  # swapping would ask the dependent one first
        raise EditRefused("order", lower["key"])
    questions[n], questions[m] = questions[m], questions[n]
    return out


def earlier(raw: dict[str, Any], key: str | None) -> list[dict[str, Any]]:
    """The questions before `key` (all of them for a new question): those a condition may name."""
    questions = raw.get("questions", [])
    if key is None:
        return list(questions)
    return list(questions[:_index(raw, key)])


# --- saving -------------------------------------------------------------------------------------

def save(session: Session, actor: Actor, clock: Clock, raw: dict[str, Any], *, timezone: str,
         key: str | None) -> tuple[Call, str]:
    """Create the call (key None) or record the changed mapping as the call's next version."""
    return authoring.write_call(session, actor, clock, raw, timezone=timezone, key=key)


PLACE = re.compile(r"^(?:question (?P<n>\d+)(?: \([a-z0-9_]+\))?: )?(?P<where>[^:]+?)(?:: (?P<what>.*))?$",
                   re.DOTALL)


def placed(problem: str) -> tuple[int | None, str, str]:
    """A parser's problem (its source already removed) as (question number or None, place, what):
    "question 2 (has_plan): label.fr: must be a non-empty text" is (2, "label.fr", "must be ...")."""
    found = PLACE.match(problem)
    if found is None or found.group("what") is None:
        if found is not None and found.group("n"):
            return int(found.group("n")), "", found.group("where")
        return None, "", problem
    number = int(found.group("n")) if found.group("n") else None
    return number, found.group("where").strip(), found.group("what").strip()
