"""The named guards a transition may carry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tacase.engine.guards import GUARDS, GuardContext, GuardSpec, check_params, failed_guards

REVIEWER, APPROVER = 7, 9
FOUR_EYES = GuardSpec("four_eyes", {"not_by": ["review"]})
DATES = GuardSpec("dates_in_order", ["planned_start", "planned_end"])


def required(*names: str) -> GuardSpec:
    return GuardSpec("required_fields", list(names))


def ctx(fields: dict[str, Any] | None = None, actor_id: int | None = APPROVER,
        history: tuple[tuple[str, int | None], ...] = ()) -> GuardContext:
    return GuardContext(fields=fields or {}, actor_id=actor_id, history=history)


def reasons(spec: GuardSpec, context: GuardContext) -> list[str]:
    return [reason for _name, reason in failed_guards((spec,), context)]


# --- required_fields --------------------------------------------------------------------------


def test_required_fields_all_present() -> None:
    fields = {"title": "Law review", "budget": {"amount": "0", "currency": "USD"}, "count": 0,
              "consent": False, "themes": ["women"]}
    assert failed_guards((required(*fields),), ctx(fields)) == []


@pytest.mark.parametrize("blank", [None, "", [], {}, ()], ids=repr)
def test_blank_values_count_as_missing(blank: Any) -> None:
    assert reasons(required("title"), ctx({"title": blank})) == [
        "these fields must be filled in first: title"
    ]


def test_absent_fields_count_as_missing() -> None:
    assert reasons(required("title"), ctx({})) == ["these fields must be filled in first: title"]


def test_message_lists_every_missing_field_in_order() -> None:
    fields = {"title": "T", "objectives": "", "themes": [], "planned_end": None}
    spec = required("objectives", "title", "themes", "planned_start", "planned_end")
    assert failed_guards((spec,), ctx(fields)) == [
        ("required_fields",
         "these fields must be filled in first: objectives, themes, planned_start, planned_end"),
    ]


@pytest.mark.parametrize("value", [0, False, "0", ["x"]], ids=repr)
def test_falsy_but_filled_values_are_present(value: Any) -> None:
    assert reasons(required("field"), ctx({"field": value})) == []


# --- four_eyes --------------------------------------------------------------------------------


def test_four_eyes_refuses_the_reviewer() -> None:
    history = (("submit", 3), ("review", REVIEWER))
    (reason,) = reasons(FOUR_EYES, ctx(actor_id=REVIEWER, history=history))
    assert reason == "four eyes: you took part in review of this case"


def test_four_eyes_refuses_anyone_who_ever_reviewed() -> None:
    history = (("submit", 3), ("review", REVIEWER), ("return_to_state", 5), ("resubmit", 3),
               ("review", 5))
    assert reasons(FOUR_EYES, ctx(actor_id=REVIEWER, history=history))
    assert reasons(FOUR_EYES, ctx(actor_id=5, history=history))


def test_four_eyes_allows_another_actor() -> None:
    history = (("submit", 3), ("review", REVIEWER))
    assert reasons(FOUR_EYES, ctx(actor_id=APPROVER, history=history)) == []


def test_four_eyes_only_looks_at_the_named_triggers() -> None:
    history = (("submit", APPROVER), ("return_to_state", APPROVER), ("review", REVIEWER))
    assert reasons(FOUR_EYES, ctx(actor_id=APPROVER, history=history)) == []


def test_four_eyes_lists_every_excluded_trigger() -> None:
    spec = GuardSpec("four_eyes", {"not_by": ["review", "approve"]})
    (reason,) = reasons(spec, ctx(actor_id=REVIEWER, history=(("approve", REVIEWER),)))
    assert reason == "four eyes: you took part in approve or review of this case"


def test_four_eyes_allows_the_system() -> None:
    """Automatic transitions have no actor; nor do reviews recorded by the system."""
    history = (("review", None), ("review", REVIEWER))
    assert reasons(FOUR_EYES, ctx(actor_id=None, history=history)) == []


def test_four_eyes_without_history() -> None:
    assert reasons(FOUR_EYES, ctx(actor_id=REVIEWER)) == []


# --- dates_in_order ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), (dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
     (None, dt.date(2026, 3, 1)), (dt.date(2026, 3, 1), None), (None, None)],
)
def test_dates_in_order_allows(start: dt.date | None, end: dt.date | None) -> None:
    assert reasons(DATES, ctx({"planned_start": start, "planned_end": end})) == []


def test_dates_in_order_refuses_an_end_before_the_start() -> None:
    fields = {"planned_start": dt.date(2026, 3, 2), "planned_end": dt.date(2026, 3, 1)}
    assert failed_guards((DATES,), ctx(fields)) == [
        ("dates_in_order", "planned_end must not be before planned_start")
    ]


# --- running several guards -------------------------------------------------------------------


def test_failed_guards_in_order() -> None:
    fields = {"planned_start": dt.date(2026, 5, 1), "planned_end": dt.date(2026, 4, 1)}
    specs = (DATES, required("title"), FOUR_EYES, required("planned_start"))
    context = ctx(fields, actor_id=REVIEWER, history=(("review", REVIEWER),))
    failures = failed_guards(specs, context)
    assert [name for name, _ in failures] == ["dates_in_order", "required_fields", "four_eyes"]
    assert all(isinstance(reason, str) and reason for _, reason in failures)
    assert failures[1] == ("required_fields", "these fields must be filled in first: title")


def test_no_guards_no_failures() -> None:
    assert failed_guards((), ctx()) == []


# --- parameters checked at load ---------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [required("title"), required("title", "objectives"), FOUR_EYES,
     GuardSpec("four_eyes", {"not_by": ["review", "approve"]}), DATES],
    ids=lambda s: f"{s.name}={s.params}",
)
def test_check_params_accepts(spec: GuardSpec) -> None:
    assert check_params(spec) is None


def test_check_params_rejects_unknown_guards() -> None:
    problem = check_params(GuardSpec("magic", ["x"]))
    assert problem == f"unknown guard 'magic' (known: {', '.join(sorted(GUARDS))})"


NAMES = "expects a non-empty list of field names"
NOT_BY = "expects {not_by: [trigger, ...]}"
TWO_DATES = "expects a list of two date field names [earlier, later]"


@pytest.mark.parametrize(
    ("name", "params", "problem"),
    [
        ("required_fields", None, NAMES),
        ("required_fields", [], NAMES),
        ("required_fields", "title", NAMES),
        ("required_fields", ["title", 3], NAMES),
        ("required_fields", {"title": True}, NAMES),
        ("four_eyes", None, NOT_BY),
        ("four_eyes", ["review"], NOT_BY),
        ("four_eyes", {"not_by": ["review"], "also": 1}, NOT_BY),
        ("four_eyes", {"by": ["review"]}, NOT_BY),
        ("four_eyes", {"not_by": "review"}, NAMES),
        ("four_eyes", {"not_by": []}, NAMES),
        ("dates_in_order", None, TWO_DATES),
        ("dates_in_order", ["planned_start"], TWO_DATES),
        ("dates_in_order", ["a", "b", "c"], TWO_DATES),
        ("dates_in_order", "planned_start", TWO_DATES),
        ("dates_in_order", ["a", 1], TWO_DATES),
    ],
)
def test_check_params_rejects_bad_params(name: str, params: Any, problem: str) -> None:
    assert check_params(GuardSpec(name, params)) == f"guard {name!r} {problem}"
