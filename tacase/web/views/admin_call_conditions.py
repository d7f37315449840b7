"""A question's condition in the forms that write a call: the choices of "ask only if" an earlier
question's answer is a given one, and a condition said in words."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice


def condition_value(when: dict[str, Any]) -> str:
    values = [when["equals"]] if "equals" in when else list(when.get("in", []))
    return json.dumps([when["question"], values], separators=(",", ":"))


def condition_choices(earlier: list[dict[str, Any]], current: dict[str, Any] | None) -> list[SelectChoice]:
    """"“Wording” is Yes", one for each value an earlier yes/no, choice or scale question can take; the
    question's own condition kept as it is when it is none of these (several values, a number)."""
    out: list[SelectChoice] = []
    for q in earlier:
        wording = q["label"]["en"]
        values: list[tuple[Any, str]] = []
        if q["type"] == "yes_no":
            values = [(True, _("Yes")), (False, _("No"))]
        elif q["type"] in ("choice", "choices"):
            values = [(o["value"], o["label"]["en"]) for o in q["options"]]
        elif q["type"] == "scale":
            values = [(n, str(n)) for n in range(int(q["min"]), int(q["max"]) + 1)]
        for value, shown in values:
            out.append(SelectChoice(condition_value({"question": q["key"], "equals": value}), _(
                "Only if “%(question)s” is %(answer)s", question=wording, answer=shown)))
    when = (current or {}).get("when")
    if when and condition_value(when) not in {c.value for c in out}:
        out.append(SelectChoice(condition_value(when), _("As now: %(condition)s",
                                                         condition=condition_words(when, earlier))))
    return out


def condition_words(when: dict[str, Any] | None, questions: list[dict[str, Any]]) -> str:
    """A condition in words: “Has a plan?” is Yes (or: is 2 or 3)."""
    if not when:
        return ""
    parent = next((q for q in questions if q["key"] == when["question"]), None)
    if parent is None:
        return ""
    names = {o["value"]: o["label"]["en"] for o in parent.get("options", [])}
    values = [when["equals"]] if "equals" in when else list(when.get("in", []))
    shown = [(_("Yes") if v else _("No")) if isinstance(v, bool) else names.get(v, str(v)) for v in values]
    answer = shown[0]
    for more in shown[1:]:
        answer = _("%(some)s or %(other)s", some=answer, other=more)
    return _("“%(question)s” is %(answer)s", question=parent["label"]["en"], answer=answer)
