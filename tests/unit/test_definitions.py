"""Workflow definitions: the shipped files load, and every kind of mistake is reported."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tacase.engine.definitions import (
    WorkflowDefinition,
    WorkflowError,
    content_hash,
    load_dir,
    load_file,
    parse,
)
from tacase.engine.fields import FieldSpec
from tests.conftest import WORKFLOWS

TYPES = ("advisory", "tc_project", "upr_fund", "hra_deployment", "capacity_building")
LIFECYCLE = ("draft", "submitted", "reviewed", "approved", "delivered", "evaluated", "returned",
             "rejected", "withdrawn")
DELETE = object()
Defs = dict[str, WorkflowDefinition]


def raw_of(wtype: str = "advisory") -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / f"{wtype}.yaml").read_text(encoding="utf-8"))


def transition_of(raw: dict[str, Any], trigger: str) -> dict[str, Any]:
    return next(t for t in raw["transitions"] if t["trigger"] == trigger)


def _step(node: Any, step: str) -> Any:
    """One step of a dotted path: a key of a mapping, or the trigger of a transition in a list."""
    if isinstance(node, list):
        return next(t for t in node if t["trigger"] == step)
    return node[step]


def set_in(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with DELETE remove) the value at a dotted path such as "states.draft.colour"."""
    *steps, last = path.split(".")
    node: Any = raw
    for step in steps:
        node = _step(node, step)
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


def problems(raw: Any, source: str = "x.yaml") -> list[str]:
    with pytest.raises(WorkflowError) as info:
        parse(raw, source=source)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def assert_reported(found: list[str], *fragments: str, source: str = "x.yaml") -> None:
    """One problem names the file and contains every fragment."""
    assert any(
        p.startswith(f"{source}: ") and all(f in p for f in fragments) for p in found
    ), f"no problem with {fragments!r} in:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def definitions() -> Defs:
    return load_dir(WORKFLOWS)


# --- the shipped workflow files ---------------------------------------------------------------


def test_every_workflow_file_loads(definitions: Defs) -> None:
    assert sorted(definitions) == sorted(TYPES)
    for wtype, definition in definitions.items():
        assert definition.type == wtype
        assert definition.source == f"{wtype}.yaml"
        assert definition.initial == "draft"
        assert definition.reminder_share == pytest.approx(0.8)
    prefixes = [d.reference_prefix for d in definitions.values()]
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("wtype", TYPES)
def test_load_file_matches_load_dir(wtype: str, definitions: Defs) -> None:
    definition = load_file(WORKFLOWS / f"{wtype}.yaml")
    assert definition.sha256 == definitions[wtype].sha256
    assert definition == definitions[wtype]


@pytest.mark.parametrize("wtype", TYPES)
def test_lifecycle_states_with_labels(wtype: str, definitions: Defs) -> None:
    states = definitions[wtype].states
    assert set(LIFECYCLE) <= set(states)
    for name in LIFECYCLE:
        assert states[name].name == name
        assert states[name].staff_label.strip()
        assert states[name].public_label.strip()


@pytest.mark.parametrize("wtype", TYPES)
def test_returned_pauses_the_office_clock(wtype: str, definitions: Defs) -> None:
    returned = definitions[wtype].states["returned"]
    assert returned.office_clock_paused
    assert returned.editable_by_state
    assert returned.deadline is not None
    assert returned.deadline.party == "state"
    assert returned.deadline.days > 0
    others = [s for s in definitions[wtype].states.values() if s.name != "returned"]
    assert not any(s.office_clock_paused for s in others)


@pytest.mark.parametrize("wtype", TYPES)
def test_final_states(wtype: str, definitions: Defs) -> None:
    assert set(definitions[wtype].final_states()) == {"evaluated", "rejected", "withdrawn"}


def _record(definition: WorkflowDefinition, trigger: str) -> dict[str, FieldSpec]:
    """The fields `trigger` records, by name."""
    (transition,) = [t for t in definition.transitions if t.trigger == trigger]
    return {spec.name: spec for spec in transition.record}


@pytest.mark.parametrize("wtype", TYPES)
def test_reject_requires_a_reason(wtype: str, definitions: Defs) -> None:
    assert _record(definitions[wtype], "reject")["reason"].required


@pytest.mark.parametrize("wtype", TYPES)
def test_deliver_requires_the_delivery_record(
    wtype: str, definitions: Defs
) -> None:
    record = _record(definitions[wtype], "deliver")
    for name in ("start_date", "end_date", "activities"):
        assert record[name].required, name
    assert record["amount"].type == "money"
    assert record["amount"].required is (wtype != "advisory")
    assert record["end_date"].not_before == "start_date"


@pytest.mark.parametrize("wtype", TYPES)
def test_evaluate_requires_rating_and_findings(
    wtype: str, definitions: Defs
) -> None:
    record = _record(definitions[wtype], "evaluate")
    assert record["rating"].required
    assert record["rating"].type == "choice"
    assert record["findings"].required


@pytest.mark.parametrize("wtype", TYPES)
def test_approve_and_reject_need_four_eyes(wtype: str, definitions: Defs) -> None:
    for trigger in ("approve", "reject"):
        (transition,) = [t for t in definitions[wtype].transitions if t.trigger == trigger]
        guards = {g.name: g.params for g in transition.guards}
        assert guards.get("four_eyes") == {"not_by": ["review"]}


def test_transition_lookup(definitions: Defs) -> None:
    advisory = definitions["advisory"]
    assert advisory.transition("withdraw", "returned").dest == "withdrawn"
    assert advisory.transition("approve", "draft") is None
    assert advisory.transition("fly", "draft") is None
    assert {t.trigger for t in advisory.transitions_from("draft")} == {"submit", "withdraw"}
    assert advisory.triggers()[0] == "submit"
    assert len(advisory.triggers()) == len(set(advisory.triggers()))


@pytest.mark.parametrize("wtype", TYPES)
def test_only_the_states_own_steps_show_their_comment_to_the_state(wtype: str, definitions: Defs) -> None:
    shown = {t.trigger for t in definitions[wtype].transitions if t.comment_visible_to_state}
    assert shown == {"submit", "resubmit", "withdraw"}


def test_a_transition_comment_is_internal_unless_said() -> None:
    raw = raw_of()
    assert not parse(raw, source="x.yaml").transition("approve", "reviewed").comment_visible_to_state
    transition_of(raw, "approve")["comment_visible_to_state"] = True
    assert parse(raw, source="x.yaml").transition("approve", "reviewed").comment_visible_to_state
    transition_of(raw, "approve")["comment_visible_to_state"] = "yes"
    assert_reported(problems(raw), "transition 'approve'", "comment_visible_to_state must be true or false")


# --- invalid definitions ----------------------------------------------------------------------

LIMBO = {"staff_label": "Limbo", "public_label": "Limbo"}
SUBMIT_GUARDS = "transitions.submit.guards"
DEADLINE = "states.submitted.deadline"
RETURNED_DEADLINE = "states.returned.deadline"


def case(ident: str, path: str, value: Any, *fragments: str) -> Any:
    """`value` set at the dotted `path` is reported with all `fragments`."""
    return pytest.param(path, value, fragments, id=ident)


INVALID = [
    case("unknown-dest", "transitions.submit.to", "nowhere",
         "transition 'submit'", "unknown state 'nowhere'"),
    case("unknown-source", "transitions.review.from", ["submitted", "limbo"],
         "transition 'review'", "unknown state 'limbo'"),
    case("unknown-initial", "initial", "start", "'initial' names unknown state 'start'"),
    case("unreachable-state", "states.limbo", LIMBO,
         "state 'limbo' is unreachable from 'draft'"),
    case("empty-roles", "transitions.approve.roles", [],
         "transition 'approve'", "no roles may fire it"),
    case("missing-roles", "transitions.approve.roles", DELETE,
         "transition 'approve'", "no roles may fire it"),
    case("unknown-role", "transitions.approve.roles", ["approver", "janitor"],
         "transition 'approve'", "unknown role 'janitor'"),
    case("unknown-guard", "transitions.approve.guards", ["magic"],
         "transition 'approve'", "unknown guard 'magic'"),
    case("required-fields-not-a-list", SUBMIT_GUARDS, [{"required_fields": "title"}],
         "transition 'submit'", "guard 'required_fields' expects a non-empty list"),
    case("required-fields-empty", SUBMIT_GUARDS, [{"required_fields": []}],
         "guard 'required_fields' expects a non-empty list"),
    case("four-eyes-params", "transitions.approve.guards", [{"four_eyes": ["review"]}],
         "transition 'approve'", "guard 'four_eyes' expects {not_by"),
    case("dates-in-order-params", SUBMIT_GUARDS, [{"dates_in_order": ["planned_start"]}],
         "guard 'dates_in_order' expects a list of two"),
    case("required-unknown-field", SUBMIT_GUARDS, [{"required_fields": ["title", "nonsense"]}],
         "transition 'submit'", "guard 'required_fields' names unknown field 'nonsense'"),
    case("dates-unknown-field", SUBMIT_GUARDS, [{"dates_in_order": ["planned_start", "later"]}],
         "guard 'dates_in_order' names unknown field 'later'"),
    case("guard-without-params", SUBMIT_GUARDS, ["required_fields"],
         "guard 'required_fields' expects"),
    case("deadline-zero-days", DEADLINE, {"working_days": 0},
         "state 'submitted': bad deadline", "working_days must be a whole number from 1"),
    case("deadline-zero-calendar-days", RETURNED_DEADLINE, {"calendar_days": 0, "party": "state"},
         "state 'returned': bad deadline", "calendar_days must be a whole number"),
    case("deadline-negative-days", DEADLINE, {"working_days": -5},
         "state 'submitted': bad deadline", "working_days must be a whole number"),
    case("deadline-fraction", DEADLINE, {"working_days": 1.5},
         "bad deadline", "working_days must be a whole number"),
    case("deadline-too-long", DEADLINE, {"working_days": 100000},
         "bad deadline", "working_days must be a whole number from 1 to 3660"),
    case("deadline-both-kinds", DEADLINE, {"working_days": 15, "calendar_days": 21},
         "state 'submitted': bad deadline", "exactly one of working_days or calendar_days"),
    case("deadline-no-kind", DEADLINE, {"remind_after_days": 3},
         "bad deadline", "exactly one of working_days or calendar_days"),
    case("deadline-remind-equal", DEADLINE, {"working_days": 15, "remind_after_days": 15},
         "bad deadline", "remind_after_days must be more than 0 and less than 15"),
    case("deadline-remind-after", DEADLINE, {"working_days": 15, "remind_after_days": 20},
         "bad deadline", "remind_after_days must be more than 0 and less than 15"),
    case("deadline-remind-negative", DEADLINE, {"working_days": 15, "remind_after_days": -1},
         "bad deadline", "remind_after_days must be more than 0"),
    case("deadline-unknown-party", DEADLINE, {"working_days": 15, "party": "court"},
         "state 'submitted': bad deadline", "party must be 'office' or 'state'"),
    case("deadline-unknown-key", DEADLINE, {"working_days": 15, "hours": 3},
         "bad deadline", "unknown keys ['hours']"),
    case("deadline-not-a-mapping", DEADLINE, 15,
         "bad deadline", "expected a mapping"),
    case("unknown-top-key", "colour", "blue", "top level: unknown keys ['colour']"),
    case("unknown-state-key", "states.draft.colour", "blue",
         "state 'draft': unknown keys ['colour']"),
    case("unknown-transition-key", "transitions.submit.colour", "blue",
         "transition 'submit': unknown keys ['colour']"),
    case("blank-label", "states.draft.public_label", "  ",
         "state 'draft': needs a non-empty staff_label and public_label"),
    case("missing-label", "states.draft.staff_label", DELETE,
         "state 'draft': needs a non-empty staff_label"),
    case("office-clock", "states.returned.office_clock", "stopped",
         "state 'returned': office_clock must be 'running' or 'paused'"),
    case("bad-type", "type", "Advisory", "'type' must be a lower-case identifier"),
    case("version-zero", "version", 0, "'version' must be a positive integer"),
    case("version-bool", "version", True, "'version' must be a positive integer"),
    case("bad-prefix", "reference_prefix", "adv",
         "'reference_prefix' must be 2 to 6 capital letters"),
    case("reminder-share", "reminder_share", 1.5,
         "'reminder_share' must be a number between 0 and 1"),
    case("redeclared-common-field", "fields.title", {"type": "string"},
         "fields: 'title' is a common case field"),
    case("unknown-field-type", "fields.advice_kind.type", "colour",
         "fields: field 'advice_kind': unknown type 'colour'"),
    case("unknown-record-field-type", "transitions.reject.record.reason.type", "essay",
         "transition 'reject' record: field 'reason': unknown type 'essay'"),
    case("bad-trigger", "transitions.submit.trigger", "Submit!",
         "'trigger' must be a lower-case identifier"),
    case("public-fields-not-a-list", "public_fields", "title",
         "'public_fields' must be a list of common field names"),
    case("public-focal-point", "public_fields", ["title", "focal_point_email"],
         "public_fields: 'focal_point_email' is never public"),
    case("public-consent", "public_fields", ["consent_to_publish"],
         "public_fields: 'consent_to_publish' is never public"),
    case("public-unknown-field", "public_fields", ["title", "advice_kind"],
         "public_fields: 'advice_kind' is not a common field"),
    case("public-not-a-flag", "transitions.reject.record.reason.public", "yes",
         "field 'reason': public must be true or false"),
    case("public-but-hidden", "transitions.review.record.assessment.public", True,
         "field 'assessment': a field hidden from the State cannot be public"),
    case("no-states", "states", {}, "'states' must be a non-empty mapping"),
    case("no-transitions", "transitions", [], "'transitions' must be a non-empty list"),
]


@pytest.mark.parametrize(("path", "value", "fragments"), INVALID)
def test_invalid_definition_is_reported(
    path: str, value: Any, fragments: tuple[str, ...]
) -> None:
    raw = raw_of()
    set_in(raw, path, value)
    found = problems(raw)
    assert all(p.startswith("x.yaml: ") for p in found)
    assert_reported(found, *fragments)


def test_the_unmodified_raw_is_valid() -> None:
    """The mutations above start from a definition that parses."""
    assert parse(raw_of(), source="x.yaml").type == "advisory"


def test_duplicate_trigger_from_the_same_source() -> None:
    raw = raw_of()
    raw["transitions"].append(copy.deepcopy(transition_of(raw, "submit")))
    assert_reported(
        problems(raw), "transition 'submit'", "trigger 'submit' from 'draft' is declared twice"
    )


def test_same_trigger_from_different_sources_is_fine() -> None:
    raw = raw_of()
    extra = copy.deepcopy(transition_of(raw, "withdraw"))
    withdraw = transition_of(raw, "withdraw")
    withdraw["from"] = ["draft", "submitted"]
    extra["from"] = ["returned", "reviewed"]
    raw["transitions"].append(extra)
    definition = parse(raw, source="x.yaml")
    assert definition.transition("withdraw", "reviewed") is not None


def test_every_problem_is_reported_at_once() -> None:
    raw = raw_of()
    raw["colour"] = "blue"
    transition_of(raw, "approve")["roles"] = ["janitor"]
    raw["states"]["submitted"]["deadline"] = {"working_days": 0}
    found = problems(raw, source="advisory.yaml")
    assert len(found) == 3
    assert_reported(found, "unknown keys ['colour']", source="advisory.yaml")
    assert_reported(found, "unknown role 'janitor'", source="advisory.yaml")
    assert_reported(found, "working_days must be", source="advisory.yaml")


@pytest.mark.parametrize("raw", [None, [], "advisory"], ids=["empty", "list", "string"])
def test_top_level_must_be_a_mapping(raw: Any) -> None:
    assert problems(raw) == ["x.yaml: expected a mapping at the top level"]


def test_type_must_match_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text((WORKFLOWS / "advisory.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(WorkflowError) as info:
        load_file(path)
    assert info.value.problems == [
        "other.yaml: 'type' is 'advisory' but the file is named other.yaml"
    ]


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("type: broken\nstates: [draft\n", encoding="utf-8")
    with pytest.raises(WorkflowError) as info:
        load_file(path)
    (problem,) = info.value.problems
    assert problem.startswith("broken.yaml: not valid YAML")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError) as info:
        load_file(tmp_path / "absent.yaml")
    (problem,) = info.value.problems
    assert problem.startswith("absent.yaml: cannot be read")


def _write(path: Path, raw: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def test_load_dir_refuses_a_duplicate_reference_prefix(tmp_path: Path) -> None:
    _write(tmp_path / "advisory.yaml", raw_of("advisory"))
    tc = raw_of("tc_project")
    tc["reference_prefix"] = "ADV"
    _write(tmp_path / "tc_project.yaml", tc)
    with pytest.raises(WorkflowError) as info:
        load_dir(tmp_path)
    assert info.value.problems == [
        "tc_project.yaml: reference_prefix 'ADV' is also used by advisory.yaml"
    ]


def test_load_dir_collects_problems_of_every_file(tmp_path: Path) -> None:
    for wtype in ("advisory", "tc_project"):
        raw = raw_of(wtype)
        raw["colour"] = "blue"
        _write(tmp_path / f"{wtype}.yaml", raw)
    with pytest.raises(WorkflowError) as info:
        load_dir(tmp_path)
    assert [p.split(":")[0] for p in info.value.problems] == ["advisory.yaml", "tc_project.yaml"]


def test_load_dir_without_files(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="no workflow files"):
        load_dir(tmp_path)


def test_round_trip_through_yaml_keeps_the_hash(tmp_path: Path) -> None:
    _write(tmp_path / "advisory.yaml", raw_of())
    copied = load_file(tmp_path / "advisory.yaml")
    assert copied.sha256 == load_file(WORKFLOWS / "advisory.yaml").sha256


# --- content hash -----------------------------------------------------------------------------


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _leaf_paths(value, (*path, key))]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in _leaf_paths(value, (*path, i))]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return f"{value}!"


def test_content_hash_is_stable_for_the_same_content() -> None:
    raw = raw_of()
    assert content_hash(raw) == content_hash(copy.deepcopy(raw))
    reordered = dict(reversed(list(raw.items())))
    assert content_hash(reordered) == content_hash(raw)
    assert parse(raw, source="a.yaml").sha256 == parse(raw_of(), source="b.yaml").sha256
    assert parse(raw, source="a.yaml").sha256 == content_hash(raw)
    assert len(content_hash(raw)) == 64


def test_content_hash_changes_when_any_value_changes() -> None:
    raw = raw_of()
    original = content_hash(raw)
    paths = _leaf_paths(raw)
    assert len(paths) > 100
    seen = {original}
    for path in paths:
        changed = copy.deepcopy(raw)
        node = changed
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = _changed(node[path[-1]])
        digest = content_hash(changed)
        assert digest not in seen, path
        seen.add(digest)


def test_content_hash_changes_when_a_key_is_added_or_removed() -> None:
    raw = raw_of()
    added = copy.deepcopy(raw)
    added["states"]["draft"]["description"] = "A draft."
    removed = copy.deepcopy(raw)
    del removed["reminder_share"]
    assert len({content_hash(raw), content_hash(added), content_hash(removed)}) == 3


@pytest.mark.parametrize("wtype", TYPES)
def test_what_is_public_is_chosen_in_the_file(wtype: str, definitions: Defs) -> None:
    definition = definitions[wtype]
    assert "title" in definition.public_fields()
    assert not {"focal_point_name", "focal_point_email", "consent_to_publish", "channel_reference",
                "budget"} & set(definition.public_fields())
    assert [s.name for s in definition.public_records("evaluate")] == ["public_summary"]
    assert not definition.public_records("review")  # the office's assessment stays inside
    assert not definition.public_records("return_to_state")


def test_nothing_is_public_unless_said() -> None:
    raw = raw_of()
    del raw["public_fields"]
    for t in raw["transitions"]:
        for decl in (t.get("record") or {}).values():
            decl.pop("public", None)
    definition = parse(raw, source="x.yaml")
    assert definition.public_fields() == ()
    assert not any(definition.public_records(t.trigger) for t in definition.transitions)


def test_a_type_paid_from_one_fund_names_a_known_fund() -> None:
    assert parse(raw_of("upr_fund"), source="upr_fund.yaml").fund == "upr_fund"
    assert parse(raw_of(), source="advisory.yaml").fund is None
    raw = raw_of()
    raw["fund"] = "piggy_bank"
    assert_reported(problems(raw, source="advisory.yaml"), "'fund' must be one of", source="advisory.yaml")
