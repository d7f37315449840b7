"""Named guards a workflow file may attach to a transition.

A guard is a pure function of a `GuardContext`; it returns None when the transition may go ahead,
or a sentence saying why not. Each guard also validates its parameters when a file is loaded, so a
typo in a workflow fails at start-up rather than at the first case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tacase.engine.fields import is_blank


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at: the case's fields, who is acting, and the case's history."""

    fields: Mapping[str, Any]
    actor_id: int | None
    # (trigger, actor id) for every transition the case has been through, oldest first
    history: tuple[tuple[str, int | None], ...] = ()
    record: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardSpec:
    name: str
    params: Any = None


GuardFn = Callable[[GuardContext, Any], str | None]
ParamCheck = Callable[[Any], str | None]


def _list_of_names(params: Any) -> str | None:
    if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
        return "expects a non-empty list of field names"
    return None


def _required_fields(ctx: GuardContext, params: list[str]) -> str | None:
    missing = [name for name in params if is_blank(ctx.fields.get(name))]
    if missing:
        return "these fields must be filled in first: " + ", ".join(missing)
    return None


def _four_eyes_params(params: Any) -> str | None:
    if not isinstance(params, dict) or set(params) != {"not_by"}:
        return "expects {not_by: [trigger, ...]}"
    return _list_of_names(params["not_by"])


def _four_eyes(ctx: GuardContext, params: dict[str, list[str]]) -> str | None:
    excluded = set(params["not_by"])
    if ctx.actor_id is not None and any(
        trigger in excluded and actor == ctx.actor_id for trigger, actor in ctx.history
    ):
        return "four eyes: you took part in " + " or ".join(sorted(excluded)) + " of this case"
    return None


def _dates_params(params: Any) -> str | None:
    if not isinstance(params, list) or len(params) != 2 or not all(isinstance(p, str) for p in params):
        return "expects a list of two date field names [earlier, later]"
    return None


def _dates_in_order(ctx: GuardContext, params: list[str]) -> str | None:
    start, end = (ctx.fields.get(name) for name in params)
    if start is not None and end is not None and end < start:
        return f"{params[1]} must not be before {params[0]}"
    return None


GUARDS: dict[str, tuple[GuardFn, ParamCheck]] = {
    "required_fields": (_required_fields, _list_of_names),
    "four_eyes": (_four_eyes, _four_eyes_params),
    "dates_in_order": (_dates_in_order, _dates_params),
}


# The guards that read the case's history; a step guarded by none of them need not load it.
READS_HISTORY = frozenset({"four_eyes"})


def reads_history(specs: tuple[GuardSpec, ...]) -> bool:
    return any(spec.name in READS_HISTORY for spec in specs)


def check_params(spec: GuardSpec) -> str | None:
    """Return a problem with the guard's name or parameters, or None."""
    if spec.name not in GUARDS:
        return f"unknown guard {spec.name!r} (known: {', '.join(sorted(GUARDS))})"
    problem = GUARDS[spec.name][1](spec.params)
    return f"guard {spec.name!r} {problem}" if problem else None


def failed_guards(specs: tuple[GuardSpec, ...], ctx: GuardContext) -> list[tuple[str, str]]:
    """Run the guards in order; return (guard name, reason) for each that refuses."""
    failures = []
    for spec in specs:
        reason = GUARDS[spec.name][0](ctx, spec.params)
        if reason:
            failures.append((spec.name, reason))
    return failures


def blocked_fields(specs: tuple[GuardSpec, ...], ctx: GuardContext) -> dict[str, str]:
    """The fields a person must fill in or correct for the guards to pass, each with why; for
    forms, which show the reason next to the field."""
    out: dict[str, str] = {}
    for spec in specs:
        if spec.name == "required_fields":
            for name in spec.params:
                if is_blank(ctx.fields.get(name)):
                    out.setdefault(name, "must be filled in before the request can be sent")
        elif spec.name == "dates_in_order" and _dates_in_order(ctx, spec.params):
            out.setdefault(spec.params[1], f"must not be before {spec.params[0].replace('_', ' ')}")
    return out
