"""Workflow definitions: loaded from YAML, validated, and frozen.

One file per request type. Every problem is reported with the file and the place in it, so that
`tacase workflows validate` (and start-up) tells an administrator exactly what to fix.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tacase.engine.casefields import COMMON_FIELDS, FUNDING_SOURCES, NEVER_PUBLIC
from tacase.engine.fields import FieldSpec, parse_field_specs
from tacase.engine.guards import GuardSpec, check_params
from tacase.engine.roles import ROLES, STAFF_ROLES

_TRIGGER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PREFIX = re.compile(r"^[A-Z]{2,6}$")
_TOP_KEYS = {"type", "version", "title", "description", "reference_prefix", "initial",
             "reminder_share", "fields", "states", "transitions", "public_fields", "fund"}
_STATE_KEYS = {"staff_label", "public_label", "deadline", "office_clock", "editable_by_state",
               "description", "record_label", "stage", "iati_status"}
# The stages of the office's work that timeliness is published for, in the order a request meets them.
STAGES = ("review", "decision", "delivery", "evaluation")
# IATI's activity statuses (pipeline, implementation, finalisation, closed, cancelled, suspended): a
# state that names one puts its cases in the IATI activity file (tacase.exports.iati).
IATI_STATUSES = ("1", "2", "3", "4", "5", "6")
_TRANSITION_KEYS = {"trigger", "from", "to", "roles", "guards", "record", "label", "description",
                    "comment_visible_to_state"}
_DEADLINE_KEYS = {"working_days", "calendar_days", "remind_after_days", "party"}
MAX_DEADLINE_DAYS = 3660


class WorkflowError(ValueError):
    """A workflow file is invalid; `problems` lists each problem with the file it is in."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Deadline:
    days: int
    working: bool  # working days on the business calendar, else calendar days
    party: str  # "office" or "state": whose clock this is
    remind_after_days: float | None = None  # None: at the workflow's reminder share


@dataclass(frozen=True)
class StateDef:
    name: str
    staff_label: str
    public_label: str
    deadline: Deadline | None = None
    office_clock_paused: bool = False
    editable_by_state: bool = False
    description: str = ""
    # The status the public record shows (public_label speaks to the State: "Awaiting your reply").
    record_label: str = ""
    # The stage of the office's work this state belongs to (STAGES), for published timeliness.
    stage: str | None = None
    # The IATI activity status of a case in this state (IATI_STATUSES); None: not in the IATI file.
    iati_status: str | None = None


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    guards: tuple[GuardSpec, ...]
    record: tuple[FieldSpec, ...]
    label: str
    description: str = ""
    # A comment given with the transition stays in the office unless the workflow says otherwise.
    comment_visible_to_state: bool = False


@dataclass(frozen=True)
class WorkflowDefinition:
    type: str
    version: int
    title: str
    description: str
    reference_prefix: str
    initial: str
    reminder_share: float
    fields: tuple[FieldSpec, ...]
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    source: str
    raw: dict[str, Any]
    sha256: str
    # The common fields the public record shows while the State consents (`public_fields`); the
    # workflow's own fields and what transitions record say so themselves (`public: true`).
    public_common_fields: tuple[str, ...] = ()
    # The one fund every request of this type is paid from (`fund`): its funding source is set, not asked.
    fund: str | None = None

    def __hash__(self) -> int:
        return hash(self.sha256)

    def transitions_from(self, state: str) -> tuple[TransitionDef, ...]:
        return tuple(t for t in self.transitions if state in t.sources)

    def transition(self, trigger: str, source: str) -> TransitionDef | None:
        for t in self.transitions:
            if t.trigger == trigger and source in t.sources:
                return t
        return None

    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def public_fields(self) -> tuple[str, ...]:
        """The names of the case's fields the public record may show, common ones first."""
        return self.public_common_fields + tuple(f.name for f in self.fields if f.public)

    def public_records(self, trigger: str) -> tuple[FieldSpec, ...]:
        """What the transition records that the public record may show."""
        return tuple(spec for t in self.transitions if t.trigger == trigger
                     for spec in t.record if spec.public)

    def stage_states(self) -> dict[str, str]:
        """Each state that belongs to a stage of the office's work, with its stage."""
        return {name: state.stage for name, state in self.states.items() if state.stage}

    def office_triggers(self) -> tuple[str, ...]:
        """The transitions the office fires; a step another party ends (a withdrawal) is not the
        office's to count as done."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions
                                   if STAFF_ROLES.intersection(t.roles)))

    def iati_statuses(self) -> dict[str, str]:
        """Each state whose cases are in the IATI activity file, with its IATI activity status."""
        return {name: state.iati_status for name, state in self.states.items() if state.iati_status}

    def iati_entries(self) -> frozenset[str]:
        """The transitions that bring a case into the IATI file (from a state outside it): the
        approval, whose public money is the commitment."""
        inside = self.iati_statuses()
        return frozenset(t.trigger for t in self.transitions
                         if t.dest in inside and any(s not in inside for s in t.sources))

    def final_states(self) -> tuple[str, ...]:
        sources = {s for t in self.transitions for s in t.sources}
        return tuple(s for s in self.states if s not in sources)


def content_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of the definition's JSON with sorted keys: a changed file is a new version."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_file(path: str | Path) -> WorkflowDefinition:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowError([f"{path.name}: cannot be read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise WorkflowError([f"{path.name}: not valid YAML: {exc}"]) from None
    return parse(raw, source=path.name, expected_type=path.stem)


def load_dir(directory: str | Path) -> dict[str, WorkflowDefinition]:
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise WorkflowError([f"{directory}: no workflow files (*.yaml)"])
    problems: list[str] = []
    definitions: dict[str, WorkflowDefinition] = {}
    prefixes: dict[str, str] = {}
    for path in files:
        try:
            definition = load_file(path)
        except WorkflowError as exc:
            problems.extend(exc.problems)
            continue
        other = prefixes.setdefault(definition.reference_prefix, path.name)
        if other != path.name:
            problems.append(
                f"{path.name}: reference_prefix {definition.reference_prefix!r} is also used by {other}"
            )
        definitions[definition.type] = definition
    if problems:
        raise WorkflowError(problems)
    return definitions


def parse(raw: Any, source: str, expected_type: str | None = None) -> WorkflowDefinition:
    """Validate a parsed YAML document and build a definition, or raise WorkflowError."""
    p = _Problems(source)
    if not isinstance(raw, dict):
        raise WorkflowError([f"{source}: expected a mapping at the top level"])
    p.unknown_keys(raw, _TOP_KEYS, "top level")
    wtype = raw.get("type")
    if not isinstance(wtype, str) or not _TRIGGER.match(wtype):
        p.add("'type' must be a lower-case identifier such as 'upr_fund'")
    elif expected_type is not None and wtype != expected_type:
        p.add(f"'type' is {wtype!r} but the file is named {expected_type}.yaml")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        p.add("'version' must be a positive integer")
    prefix = raw.get("reference_prefix")
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        p.add("'reference_prefix' must be 2 to 6 capital letters, such as 'UPR'")
    share = raw.get("reminder_share", 0.8)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        p.add("'reminder_share' must be a number between 0 and 1")
    fields, field_problems = parse_field_specs(raw.get("fields"), "fields")
    p.extend(field_problems)
    for spec in fields:
        if spec.name in COMMON_FIELDS:
            p.add(f"fields: {spec.name!r} is a common case field and cannot be redeclared")

    states = _parse_states(raw.get("states"), p)
    initial = raw.get("initial")
    if initial not in states:
        p.add(f"'initial' names unknown state {initial!r}")
    transitions = _parse_transitions(raw.get("transitions"), states, p)
    known_fields = set(COMMON_FIELDS) | {f.name for f in fields}
    for t in transitions:
        for guard in t.guards:
            if guard.name in ("required_fields", "dates_in_order"):
                for name in guard.params:
                    if name not in known_fields:
                        p.add(f"transition {t.trigger!r}: guard {guard.name!r} names unknown field {name!r}")
    public_common = _parse_public_fields(raw.get("public_fields"), p)
    fund = raw.get("fund")
    if fund is not None and fund not in FUNDING_SOURCES:
        p.add(f"'fund' must be one of {', '.join(FUNDING_SOURCES)}")
    if states and initial in states:
        for name in _unreachable(initial, states, transitions):
            p.add(f"state {name!r} is unreachable from {initial!r}")
    p.raise_if_any()
    return WorkflowDefinition(
        type=wtype, version=version, title=str(raw.get("title") or wtype),
        description=str(raw.get("description") or "").strip(), reference_prefix=prefix, initial=initial,
        reminder_share=float(share), fields=fields, states=states, transitions=transitions,
        source=source, raw=raw, sha256=content_hash(raw), public_common_fields=public_common,
        fund=fund,
    )


def _parse_public_fields(raw: Any, p: _Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        p.add("'public_fields' must be a list of common field names")
        return ()
    for name in raw:
        if name in NEVER_PUBLIC:
            p.add(f"public_fields: {name!r} is never public (people's names and e-mail addresses, "
                  "the consent itself)")
        elif name not in COMMON_FIELDS:
            p.add(f"public_fields: {name!r} is not a common field; a workflow's own field says "
                  "`public: true`")
    return tuple(dict.fromkeys(n for n in raw if n in COMMON_FIELDS and n not in NEVER_PUBLIC))


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(f"{self.source}: {message}")

    def extend(self, messages: list[str]) -> None:
        for m in messages:
            self.add(m)

    def unknown_keys(self, mapping: dict, allowed: set[str], where: str) -> None:
        unknown = sorted(str(k) for k in set(mapping) - allowed)
        if unknown:
            self.add(f"{where}: unknown keys {unknown} (allowed: {', '.join(sorted(allowed))})")

    def raise_if_any(self) -> None:
        if self.items:
            raise WorkflowError(self.items)


def _label(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse_states(raw: Any, p: _Problems) -> dict[str, StateDef]:
    if not isinstance(raw, dict) or not raw:
        p.add("'states' must be a non-empty mapping of state names")
        return {}
    states: dict[str, StateDef] = {}
    for name, decl in raw.items():
        where = f"state {name!r}"
        if not isinstance(name, str) or not _TRIGGER.match(name):
            p.add(f"{where}: a state name is a lower-case identifier")
            continue
        if not isinstance(decl, dict):
            p.add(f"{where}: expected a mapping with staff_label and public_label")
            continue
        p.unknown_keys(decl, _STATE_KEYS, where)
        staff, public = _label(decl.get("staff_label")), _label(decl.get("public_label"))
        if not staff or not public:
            p.add(f"{where}: needs a non-empty staff_label and public_label")
        clock = decl.get("office_clock", "running")
        if clock not in ("running", "paused"):
            p.add(f"{where}: office_clock must be 'running' or 'paused'")
        editable = decl.get("editable_by_state", False)
        if not isinstance(editable, bool):
            p.add(f"{where}: editable_by_state must be true or false")
        deadline = _parse_deadline(decl.get("deadline"), f"{where}: bad deadline", p)
        record_label = decl.get("record_label")
        if record_label is not None and not _label(record_label):
            p.add(f"{where}: record_label must be a non-empty text")
        stage = decl.get("stage")
        if stage is not None and stage not in STAGES:
            p.add(f"{where}: stage must be one of {', '.join(STAGES)}")
            stage = None
        if stage is not None and clock == "paused":
            p.add(f"{where}: a state where the office's clock is paused belongs to no stage")
        iati_status = decl.get("iati_status")
        if iati_status is not None:
            iati_status = str(iati_status) if isinstance(iati_status, int | str) else None
            if iati_status not in IATI_STATUSES:
                p.add(f"{where}: iati_status must be an IATI activity status code, one of "
                      f"{', '.join(IATI_STATUSES)}")
                iati_status = None
        states[name] = StateDef(
            name=name, staff_label=staff or name, public_label=public or name, deadline=deadline,
            office_clock_paused=clock == "paused", editable_by_state=editable is True,
            description=str(decl.get("description") or "").strip(),
            record_label=_label(record_label) or public or name, stage=stage, iati_status=iati_status,
        )
    return states


def _parse_deadline(raw: Any, where: str, p: _Problems) -> Deadline | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        p.add(f"{where}: expected a mapping such as {{working_days: 15}}")
        return None
    unknown = set(raw) - _DEADLINE_KEYS
    if unknown:
        p.add(f"{where}: unknown keys {sorted(unknown)}")
        return None
    kinds = [k for k in ("working_days", "calendar_days") if k in raw]
    if len(kinds) != 1:
        p.add(f"{where}: give exactly one of working_days or calendar_days")
        return None
    days = raw[kinds[0]]
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_DEADLINE_DAYS:
        p.add(f"{where}: {kinds[0]} must be a whole number from 1 to {MAX_DEADLINE_DAYS}")
        return None
    remind = raw.get("remind_after_days")
    if remind is not None and (
        isinstance(remind, bool) or not isinstance(remind, int | float) or not 0 < remind < days
    ):
        p.add(f"{where}: remind_after_days must be more than 0 and less than {days}")
        return None
    party = raw.get("party", "office")
    if party not in ("office", "state"):
        p.add(f"{where}: party must be 'office' or 'state'")
        return None
    return Deadline(days=days, working=kinds[0] == "working_days", party=party,
                    remind_after_days=remind)


def _parse_guards(raw: Any, where: str, p: _Problems) -> tuple[GuardSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        p.add(f"{where}: guards must be a list")
        return ()
    specs = []
    for item in raw:
        if isinstance(item, str):
            spec = GuardSpec(item)
        elif isinstance(item, dict) and len(item) == 1:
            (name, params), = item.items()
            spec = GuardSpec(str(name), params)
        else:
            p.add(f"{where}: each guard is a name or a one-key mapping {{name: parameters}}")
            continue
        problem = check_params(spec)
        if problem:
            p.add(f"{where}: {problem}")
            continue
        specs.append(spec)
    return tuple(specs)


def _parse_transitions(raw: Any, states: dict[str, StateDef], p: _Problems) -> tuple[TransitionDef, ...]:
    if not isinstance(raw, list) or not raw:
        p.add("'transitions' must be a non-empty list")
        return ()
    transitions: list[TransitionDef] = []
    seen: dict[tuple[str, str], int] = {}
    for index, decl in enumerate(raw, start=1):
        if not isinstance(decl, dict):
            p.add(f"transition #{index}: expected a mapping")
            continue
        trigger = decl.get("trigger")
        where = f"transition {trigger!r}" if isinstance(trigger, str) else f"transition #{index}"
        p.unknown_keys(decl, _TRANSITION_KEYS, where)
        if not isinstance(trigger, str) or not _TRIGGER.match(trigger):
            p.add(f"{where}: 'trigger' must be a lower-case identifier")
            continue
        sources = decl.get("from")
        if isinstance(sources, str):
            sources = [sources]
        if not isinstance(sources, list) or not sources:
            p.add(f"{where}: 'from' must name one or more states")
            continue
        dest = decl.get("to")
        for state in [*sources, dest]:
            if state not in states:
                p.add(f"{where}: unknown state {state!r}")
        roles = decl.get("roles")
        if not isinstance(roles, list) or not roles:
            p.add(f"{where}: no roles may fire it; list at least one in 'roles'")
            roles = []
        for role in roles:
            if role not in ROLES:
                p.add(f"{where}: unknown role {role!r} (known: {', '.join(ROLES)})")
        for source in sources:
            key = (trigger, source)
            if key in seen:
                p.add(f"{where}: trigger {trigger!r} from {source!r} is declared twice")
            seen[key] = index
        record, problems = parse_field_specs(decl.get("record"), f"{where} record")
        p.extend(problems)
        comment_visible = decl.get("comment_visible_to_state", False)
        if not isinstance(comment_visible, bool):
            p.add(f"{where}: comment_visible_to_state must be true or false")
        transitions.append(TransitionDef(
            trigger=trigger, sources=tuple(sources), dest=dest, roles=tuple(roles),
            guards=_parse_guards(decl.get("guards"), where, p), record=record,
            label=_label(decl.get("label")) or trigger.replace("_", " ").capitalize(),
            description=str(decl.get("description") or "").strip(),
            comment_visible_to_state=comment_visible is True,
        ))
    return tuple(transitions)


def _unreachable(initial: str, states: dict[str, StateDef],
                 transitions: tuple[TransitionDef, ...]) -> list[str]:
    reached = {initial}
    queue = deque([initial])
    while queue:
        state = queue.popleft()
        for t in transitions:
            if state in t.sources and t.dest not in reached:
                reached.add(t.dest)
                queue.append(t.dest)
    return [name for name in states if name not in reached]
