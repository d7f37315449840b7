"""Forms built from the workflow files: a case's fields and what each transition must record.

The form only carries text between the page and the services; the services judge the values (one
copy of every rule). What the form does itself is read the few layouts a browser cannot send as
JSON: a list as one item per line, a result with its indicators, money as amount and currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import LazyString, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from tacase.engine.casefields import RECOMMENDATION_MECHANISMS
from tacase.engine.definitions import TransitionDef, WorkflowDefinition
from tacase.engine.fields import FieldSpec
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.services.case_fields import SCALAR_SPECS
from tacase.web.field_messages import sentence
from tacase.web.views.forms import OnceForm


def N_(text: str) -> str:
    """Marks text for the catalogs; translated when shown."""
    return text


# The services' messages a person meets most, so that they can be shown in the page's language.
SERVICE_MESSAGES = (
    N_("is required"), N_("must be a date (YYYY-MM-DD)"), N_("must be a whole number"),
    N_("must be a number"), N_("unknown field"), N_("must not be before the planned start"),
    N_("currency must be an ISO 4217 code such as USD, EUR or CHF"),
    N_("amount must be a decimal number"), N_("amount must be zero or more"),
    N_("must be filled in before the request can be sent"),
)

# The labels of SCALAR_SPECS, for the catalogs (the forms read them from the specs).
COMMON_LABELS = (N_("Title"), N_("Objectives"), N_("Activities"), N_("Note verbale reference"),
                 N_("Note verbale date"), N_("Focal point"), N_("Focal point e-mail"), N_("Planned start"),
                 N_("Planned end"), N_("Funding source"), N_("Consent to publish"))
# Labels of the fields every case has, beside SCALAR_SPECS' own.
COMPOUND_LABELS = {
    "expected_results": N_("Expected results"),
    "recommendations": N_("Human-rights recommendations addressed"),
    "budget": N_("Budget requested"),
    "recipient_institutions": N_("Recipient institutions"),
    "sdg_targets": N_("Sustainable Development Goal targets"),
    "themes": N_("Themes"),
}
COMPOUND_HELP = {
    "expected_results": N_("One result per line. Under a result, its indicators on lines starting "
                           "with a dash (-)."),
    "recommendations": N_("One per line: the mechanism (Universal Periodic Review, Treaty body or Special "
                          "procedure); the document symbol; the paragraph. For example: Universal Periodic "
                          "Review; A/HRC/43/8; 98.12"),
    "recipient_institutions": N_("One institution per line."),
    "sdg_targets": N_("Targets such as 16.3 or 5.c, one per line or separated by commas."),
    "themes": N_("One theme per line."),
    "budget": N_("The total amount you ask of OHCHR, in figures without spaces or thousands "
                 "separators (for example 25000 or 25000.50), and its currency as a three-letter "
                 "code such as USD, EUR or CHF."),
}
# The order of the common fields on the request form.
COMMON_ORDER = ("title", "objectives", "activities", "expected_results", "recommendations",
                "channel_reference", "channel_date", "focal_point_name", "focal_point_email",
                "recipient_institutions", "planned_start", "planned_end", "budget", "funding_source",
                "sdg_targets", "themes", "consent_to_publish")
LIST_FIELDS = ("recipient_institutions", "sdg_targets", "themes")
MAX_LINES = 200


class MoneyForm(Form):
    amount = StringField(_l("Amount"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = StringField(_l("Currency (ISO code, such as USD)"),
                           render_kw={"maxlength": 3, "size": 4, "autocomplete": "off"})


# Choices whose code does not read as words.
CHOICE_WORDS = {
    "vftc": N_("Voluntary Fund for Technical Cooperation"), "upr_fund": N_("UPR Voluntary Fund"),
    "regular_budget": N_("Regular budget"), "extrabudgetary": N_("Extrabudgetary resources"),
    "other": N_("Other"), "upr": N_("Universal Periodic Review"), "treaty_body": N_("Treaty body"),
    "special_procedure": N_("Special procedure"),
}


def humanise(value: str) -> str:
    """A choice's code as English words: 'highly_satisfactory' reads 'Highly satisfactory'."""
    return CHOICE_WORDS.get(value) or value.replace("_", " ").capitalize()


def choice_label(value: str) -> Any:
    return _l(humanise(value))


@dataclass(frozen=True)
class FieldPlan:
    """How one field is shown and read back."""

    name: str
    kind: str  # a FieldSpec type, or "results", "recommendations", "lines"
    label: str
    help: str = ""
    required: bool = False


def _wtf_field(plan: FieldPlan, spec: FieldSpec | None, *, description: Any = None) -> Any:
    label, help_text = _l(plan.label), _l(plan.help) if plan.help else ""
    if description is not None:
        help_text = description
    kw: dict[str, Any] = {"description": help_text}
    if plan.kind == "money":
        return FormField(MoneyForm, label=label, **kw)
    if plan.kind in ("text", "results", "recommendations", "lines"):
        render = {"rows": 6 if plan.kind == "text" else 4}
        if spec is not None and spec.max_length:
            render["maxlength"] = spec.max_length
        return TextAreaField(label, render_kw=render, **kw)
    if plan.kind == "boolean":
        choices = [SelectChoice("", _l("Not answered")), SelectChoice("yes", _l("Yes")),
                   SelectChoice("no", _l("No"))]
        return SelectField(label, choices=choices, validate_choice=False, **kw)
    if plan.kind == "choice":
        choices = [SelectChoice("", _l("Choose…")),
                   *(SelectChoice(c, choice_label(c)) for c in (spec.choices if spec else ()))]
        return SelectField(label, choices=choices, validate_choice=False, **kw)
    render = {}
    if plan.kind == "date":
        render = {"type": "date"}
    elif plan.kind in ("integer", "decimal"):
        render = {"inputmode": "numeric" if plan.kind == "integer" else "decimal"}
    elif spec is not None and spec.max_length:
        render = {"maxlength": spec.max_length}
    if spec is not None and spec.name == "focal_point_email":
        render = {"type": "email", "autocomplete": "email", **render}
    return StringField(label, render_kw=render, **kw)


def _scalar_plan(spec: FieldSpec) -> FieldPlan:
    return FieldPlan(spec.name, spec.type, spec.label, spec.help, spec.required)


def case_plans(definition: WorkflowDefinition) -> tuple[tuple[FieldPlan, FieldSpec | None], ...]:
    """The request form's fields: the common ones, then those the workflow file declares."""
    scalars = {s.name: s for s in SCALAR_SPECS}
    plans: list[tuple[FieldPlan, FieldSpec | None]] = []
    for name in COMMON_ORDER:
        if name in scalars:
            spec = scalars[name]
            plans.append((_scalar_plan(spec), spec))
        elif name == "budget":
            plans.append((FieldPlan(name, "money", COMPOUND_LABELS[name], COMPOUND_HELP[name]), None))
        elif name == "expected_results":
            plans.append((FieldPlan(name, "results", COMPOUND_LABELS[name], COMPOUND_HELP[name]), None))
        elif name == "recommendations":
            plans.append((FieldPlan(name, "recommendations", COMPOUND_LABELS[name],
                                    COMPOUND_HELP[name]), None))
        else:
            plans.append((FieldPlan(name, "lines", COMPOUND_LABELS[name], COMPOUND_HELP[name]), None))
    plans.extend((_scalar_plan(spec), spec) for spec in definition.fields)
    return tuple(plans)


# Labels per workflow version and language: a list page names the same twenty fields for every row.
_labels: dict[tuple[str, str], dict[str, str]] = {}


def field_labels(definition: WorkflowDefinition) -> dict[str, str]:
    """Each field of the case by name, as the reader's language labels it."""
    key = (definition.sha256, str(get_locale()))
    labels = _labels.get(key)
    if labels is None:
        labels = _labels[key] = {plan.name: gettext(plan.label) for plan, _spec in case_plans(definition)}
    return dict(labels)


class CaseFormBase(OnceForm):
    version = HiddenField()
    plans: tuple[tuple[FieldPlan, FieldSpec | None], ...] = ()


# Form classes per workflow version (its SHA-256) and transition: built once, labels translated late.
_classes: dict[tuple[str, ...], type[CaseFormBase]] = {}


def _form_class(key: tuple[str, ...], plans: tuple[tuple[FieldPlan, FieldSpec | None], ...],
                extra: dict[str, Any] | None = None) -> type[CaseFormBase]:
    found = _classes.get(key)
    if found is None:
        attrs: dict[str, Any] = {plan.name: _wtf_field(plan, spec) for plan, spec in plans}
        attrs.update(extra or {})
        attrs["plans"] = plans
        found = _classes[key] = type("CaseForm_" + "_".join(key[1:]), (CaseFormBase,), attrs)
    return found


# Common fields a request type asks only when its workflow names them in a guard; a type paid from one
# fund (`fund:` in its workflow, as the UPR Fund grant) never asks its funding source.
ASKED_WHEN_NEEDED = frozenset({"funding_source"})


def needed_to_send(definition: WorkflowDefinition) -> tuple[str, ...]:
    """The fields sending the request needs (its submit step's required_fields), in the form's order."""
    names: set[str] = set()
    for transition in definition.transitions:
        if transition.trigger == "submit":
            for guard in transition.guards:
                if guard.name == "required_fields" and isinstance(guard.params, list | tuple):
                    names.update(guard.params)
    return tuple(plan.name for plan, _spec in case_plans(definition) if plan.name in names)


def _named_by_guards(definition: WorkflowDefinition) -> set[str]:
    return {name for t in definition.transitions for g in t.guards
            for name in (g.params if isinstance(g.params, list | tuple) else ())}


def form_plans(definition: WorkflowDefinition) -> tuple[tuple[FieldPlan, FieldSpec | None], ...]:
    """The request form's fields: case_plans without the common ones this request type does not ask."""
    named = set() if definition.fund else _named_by_guards(definition)
    return tuple((plan, spec) for plan, spec in case_plans(definition)
                 if plan.name not in ASKED_WHEN_NEEDED or plan.name in named)


def case_form_class(definition: WorkflowDefinition) -> type[CaseFormBase]:
    plans = form_plans(definition)
    consent = next((p, s) for p, s in plans if p.name == "consent_to_publish")
    return _form_class((definition.sha256, definition.type), plans,
                       {"consent_to_publish": _wtf_field(consent[0], consent[1],
                                                         description=_what_is_published(definition))})


def _what_is_published(definition: WorkflowDefinition) -> LazyString:
    """The consent question's hint: exactly what the public record would show, in the reader's words."""
    labels = {plan.name: plan.label for plan, _spec in case_plans(definition)}
    names = [name for name in definition.public_fields() if name in labels]

    def words() -> str:
        return gettext("If you agree, anyone can read these on the public record once the request is sent: "
                       "%(fields)s; its status, the dates it reached each stage, the amount approved and the "
                       "summary of its evaluation. Names and e-mail addresses, the office's assessments, "
                       "comments and documents are never published. You can change your choice at any time.",
                       fields=", ".join(gettext(labels[name]) for name in names))
    return LazyString(words)


# Who reads the comment given with a step: the workflow decides (comment_visible_to_state).
COMMENT_FOR_OFFICE = _l("Only OHCHR staff see this comment. The requesting State does not.")
COMMENT_FOR_STATE = _l("OHCHR and the requesting State's users see this comment.")
MAX_COMMENT = 8000
STEP_COMMENT = "step_comment"


ATTACHMENT = "attachment"


def takes_attachment(transition: TransitionDef) -> bool:
    """A State's step that records an answer (a reply to "please attach ...") may bring a document."""
    return STATE_FOCAL_POINT in transition.roles and bool(transition.record)


def record_form_class(definition: WorkflowDefinition, transition: TransitionDef) -> type[CaseFormBase]:
    plans = tuple((_scalar_plan(spec), spec) for spec in transition.record)
    comment = TextAreaField(  # judged by the service, like the record's fields
        _l("Comment (optional)"),
        description=COMMENT_FOR_STATE if transition.comment_visible_to_state else COMMENT_FOR_OFFICE,
        render_kw={"rows": 3, "maxlength": MAX_COMMENT})
    extra: dict[str, Any] = {STEP_COMMENT: comment}
    if takes_attachment(transition):  # judged by the documents service, like any upload
        extra[ATTACHMENT] = FileField(_l("Attach a document (optional)"), render_kw={
            "accept": ".pdf,.docx,.xlsx,.odt,.png,.jpg,.jpeg"})
    return _form_class((definition.sha256, transition.trigger, *transition.sources), plans, extra)


# --- from the case's values to the form, and back ------------------------------------------------

def _as_text(plan: FieldPlan, value: Any) -> Any:
    if value is None:
        return {"amount": "", "currency": ""} if plan.kind == "money" else ""
    if plan.kind == "money":
        return {"amount": str(value["amount"]), "currency": value["currency"]}
    if plan.kind == "boolean":
        return "yes" if value else "no"
    if plan.kind == "results":
        lines = []
        for item in value:
            lines.append(item["result"])
            lines.extend(f"- {indicator}" for indicator in item.get("indicators", []))
        return "\n".join(lines)
    if plan.kind == "recommendations":  # the mechanism by its name in the reader's language, not its code
        return "\n".join("; ".join(p for p in (gettext(humanise(r["mechanism"])), r["document_symbol"],
                                               r.get("paragraph")) if p) for r in value)
    if plan.kind == "lines":
        return "\n".join(value)
    if isinstance(value, dt.date | Decimal | int):
        return str(value)
    return value


def fill_form(form: CaseFormBase, values: dict[str, Any]) -> None:
    for plan, _spec in form.plans:
        text = _as_text(plan, values.get(plan.name))
        field = form[plan.name]
        if plan.kind == "money":
            field.form.amount.data, field.form.currency.data = text["amount"], text["currency"]
        else:
            field.data = text


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()][:MAX_LINES + 1]


def _results(text: str | None) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for line in _lines(text):
        if line.startswith(("-", "•")):
            if not results:
                raise ValueError(gettext("An indicator (a line starting with -) must come under a result."))
            results[-1]["indicators"].append(line.lstrip("-• ").strip())
        else:
            results.append({"result": line, "indicators": []})
    return results


def _mechanisms() -> dict[str, str]:
    """A mechanism as a person may write it: its name in English or in the page's language, or its code
    (older drafts and the API's habit), whatever the capitals."""
    names: dict[str, str] = {}
    for code in RECOMMENDATION_MECHANISMS:
        for name in (code, code.replace("_", " "), humanise(code), gettext(humanise(code))):
            names[" ".join(name.casefold().split())] = code
    names["upr"] = names["epu"] = "upr"  # the abbreviation in English, French and Spanish
    return names


def _recommendations(text: str | None) -> list[dict[str, Any]]:
    out = []
    mechanisms = _mechanisms()
    for number, line in enumerate(_lines(text), start=1):
        parts = [p.strip() for p in line.split(";")]
        mechanism = mechanisms.get(" ".join(parts[0].casefold().split()))
        if len(parts) not in (2, 3) or mechanism is None or not parts[1]:
            raise ValueError(gettext(
                "Line %(number)d should read: mechanism; document symbol; paragraph (the paragraph "
                "may be left out). The mechanism is one of: %(known)s.",
                number=number, known=", ".join(gettext(humanise(c)) for c in RECOMMENDATION_MECHANISMS)))
        out.append({"mechanism": mechanism, "document_symbol": parts[1],
                    "paragraph": parts[2] if len(parts) == 3 and parts[2] else None})
    return out


def read_form(form: CaseFormBase,
              names: Iterable[str] | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values to hand to the services (blank as None, so a cleared field is cleared), and the
    layout errors found on the way."""
    wanted = set(names) if names is not None else None
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for plan, _spec in form.plans:
        if wanted is not None and plan.name not in wanted:
            continue
        field = form[plan.name]
        try:
            if plan.kind == "money":
                amount = (field.form.amount.data or "").strip()
                currency = (field.form.currency.data or "").strip().upper()
                values[plan.name] = {"amount": amount, "currency": currency} if amount or currency else None
            elif plan.kind == "boolean":
                values[plan.name] = {"yes": True, "no": False}.get(field.data or "")
            elif plan.kind == "results":
                values[plan.name] = _results(field.data) or None
            elif plan.kind == "recommendations":
                values[plan.name] = _recommendations(field.data) or None
            elif plan.kind == "lines":
                text = field.data or ""
                items = _lines(text.replace(",", "\n") if plan.name == "sdg_targets" else text)
                values[plan.name] = items or None
            else:
                text = field.data if isinstance(field.data, str) else ""
                values[plan.name] = text if text.strip() else None
        except ValueError as exc:
            errors[plan.name] = [str(exc)]
    return values, errors


def place_errors(form: CaseFormBase, errors: dict[str, list[str]]) -> list[str]:
    """Put each error next to its field; return those that belong to no field (for the summary)."""
    loose = []
    labels = {plan.name: str(form[plan.name].label.text) for plan, _spec in form.plans}
    for name, messages in errors.items():
        base = STEP_COMMENT if name == "comment" and STEP_COMMENT in form else name.split(".")[0]
        if base in form and base not in ("csrf_token", "form_token", "version"):
            field = form[base]
            shown = [sentence(str(field.label.text), m, labels) for m in messages]
            target = field.form.amount if isinstance(field, FormField) else field
            target.errors = list(target.errors or []) + shown
        else:
            loose.extend(sentence(labels.get(name, humanise(name)), m, labels) for m in messages)
    return loose


def field_errors(form: CaseFormBase) -> list[tuple[str, str]]:
    """(input id, message) for the summary at the top of the page, in the order of the form."""
    out = []
    fields = [form[plan.name] for plan, _spec in form.plans]
    fields.extend(form[name] for name in (STEP_COMMENT, ATTACHMENT) if name in form)
    for field in fields:
        target = field.form.amount if isinstance(field, FormField) else field
        out.extend((target.id, message) for message in target.errors or [])  # each a whole sentence
    return out
