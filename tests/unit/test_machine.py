"""The shared state machine of a workflow, its Mermaid diagram, and the registry of versions."""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tacase.engine.definitions import (
    WorkflowDefinition,
    WorkflowError,
    content_hash,
    load_dir,
    parse,
)
from tacase.engine.machine import NotAllowedFromState, WorkflowMachine, mermaid
from tacase.engine.registry import WorkflowRegistry
from tests.conftest import WORKFLOWS

TYPES = ("advisory", "tc_project", "upr_fund", "hra_deployment", "capacity_building")

# (state, trigger, next state): every move of the lifecycle every workflow shares.
MOVES = [
    ("draft", "submit", "submitted"),
    ("submitted", "review", "reviewed"),
    ("submitted", "return_to_state", "returned"),
    ("reviewed", "return_to_state", "returned"),
    ("returned", "resubmit", "submitted"),
    ("reviewed", "approve", "approved"),
    ("reviewed", "reject", "rejected"),
    ("approved", "deliver", "delivered"),
    ("delivered", "evaluate", "evaluated"),
    ("draft", "withdraw", "withdrawn"),
    ("submitted", "withdraw", "withdrawn"),
    ("returned", "withdraw", "withdrawn"),
    ("reviewed", "withdraw", "withdrawn"),
]
ALLOWED = {
    "draft": ["submit", "withdraw"],
    "submitted": ["return_to_state", "review", "withdraw"],
    "returned": ["resubmit", "withdraw"],
    "reviewed": ["return_to_state", "approve", "reject", "withdraw"],
    "approved": ["deliver"],
    "delivered": ["evaluate"],
    "evaluated": [],
    "rejected": [],
    "withdrawn": [],
}


@pytest.fixture(scope="module")
def definitions() -> dict[str, WorkflowDefinition]:
    return load_dir(WORKFLOWS)


@pytest.fixture(scope="module")
def advisory(definitions: dict[str, WorkflowDefinition]) -> WorkflowDefinition:
    return definitions["advisory"]


@pytest.fixture
def machine(advisory: WorkflowDefinition) -> WorkflowMachine:
    return WorkflowMachine(advisory)


@pytest.mark.parametrize("wtype", TYPES)
def test_next_state_follows_the_lifecycle(
    wtype: str, definitions: dict[str, WorkflowDefinition]
) -> None:
    machine = WorkflowMachine(definitions[wtype])
    for state, trigger, dest in MOVES:
        assert machine.next_state(state, trigger) == dest, (state, trigger)


def test_a_whole_case(machine: WorkflowMachine) -> None:
    state = "draft"
    for trigger in ("submit", "return_to_state", "resubmit", "review", "approve", "deliver",
                    "evaluate"):
        state = machine.next_state(state, trigger)
    assert state == "evaluated"


@pytest.mark.parametrize(("state", "allowed"), ALLOWED.items())
def test_triggers_from(machine: WorkflowMachine, state: str, allowed: list[str]) -> None:
    assert sorted(machine.triggers_from(state)) == sorted(allowed)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [("draft", "approve"), ("submitted", "submit"), ("approved", "evaluate"),
     ("reviewed", "deliver"), ("evaluated", "withdraw"), ("withdrawn", "resubmit")],
)
def test_trigger_not_allowed_from_state(machine: WorkflowMachine, state: str, trigger: str) -> None:
    with pytest.raises(NotAllowedFromState) as info:
        machine.next_state(state, trigger)
    error = info.value
    assert (error.trigger, error.state) == (trigger, state)
    assert sorted(error.allowed) == sorted(ALLOWED[state])
    assert repr(trigger) in str(error)
    assert repr(state) in str(error)
    assert ("allowed: " + ", ".join(error.allowed or ["none"])) in str(error)


def test_unknown_trigger(machine: WorkflowMachine) -> None:
    with pytest.raises(NotAllowedFromState) as info:
        machine.next_state("reviewed", "fly_to_the_moon")
    assert info.value.trigger == "fly_to_the_moon"
    assert sorted(info.value.allowed) == sorted(ALLOWED["reviewed"])
    assert "approve" in str(info.value)


def test_final_state_allows_nothing(machine: WorkflowMachine) -> None:
    with pytest.raises(NotAllowedFromState, match="allowed: none"):
        machine.next_state("evaluated", "submit")


def test_no_models_are_kept(machine: WorkflowMachine) -> None:
    assert machine._machine.models == []
    for _ in range(200):
        for state, trigger, _dest in MOVES:
            machine.next_state(state, trigger)
        with pytest.raises(NotAllowedFromState):
            machine.next_state("draft", "approve")
    assert machine._machine.models == []


def test_concurrent_next_state(machine: WorkflowMachine) -> None:
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[list[tuple[str, str]]] = [[] for _ in range(workers)]

    def work(index: int) -> None:
        barrier.wait(timeout=10)  # all threads fire at once
        for _ in range(50):
            for state, trigger, dest in MOVES:
                results[index].append((machine.next_state(state, trigger), dest))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    for got in results:
        assert len(got) == 50 * len(MOVES)
        assert all(state == expected for state, expected in got)
    assert machine._machine.models == []


def test_concurrent_refusals(machine: WorkflowMachine) -> None:
    def refuse(state: str) -> list[str]:
        with pytest.raises(NotAllowedFromState) as info:
            machine.next_state(state, "evaluate" if state != "delivered" else "approve")
        return sorted(info.value.allowed)

    states = list(ALLOWED) * 40
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(refuse, states))
    assert results == [sorted(ALLOWED[s]) for s in states]


# --- Mermaid ----------------------------------------------------------------------------------


@pytest.mark.parametrize("wtype", TYPES)
def test_mermaid_diagram(wtype: str, definitions: dict[str, WorkflowDefinition]) -> None:
    definition = definitions[wtype]
    text = mermaid(definition)
    lines = text.splitlines()
    assert text.startswith("stateDiagram-v2\n")
    assert text.endswith("\n")
    assert f"    [*] --> {definition.initial}" in lines
    for state in definition.states.values():
        label = state.staff_label + (" (office clock paused)" if state.office_clock_paused else "")
        assert f'    state "{label}" as {state.name}' in lines
    for t in definition.transitions:
        for source in t.sources:
            assert f"    {source} --> {t.dest}: {t.trigger}" in lines
    for final in ("evaluated", "rejected", "withdrawn"):
        assert f"    {final} --> [*]" in lines
    assert sum(line.endswith("--> [*]") for line in lines) == 3
    paused = [line for line in lines if "(office clock paused)" in line]
    assert len(paused) == 1
    assert paused[0].endswith('(office clock paused)" as returned')


def test_mermaid_public_labels(advisory: WorkflowDefinition) -> None:
    text = mermaid(advisory, public=True)
    assert text.startswith("stateDiagram-v2\n")
    for state in advisory.states.values():
        assert f'    state "{state.public_label}" as {state.name}' in text
    assert "office clock paused" not in text
    assert advisory.states["draft"].staff_label not in text
    assert "    draft --> submitted: submit" in text


def test_mermaid_escapes_double_quotes(advisory: WorkflowDefinition) -> None:
    raw = copy.deepcopy(advisory.raw)
    raw["states"]["draft"]["staff_label"] = 'The "draft"'
    text = mermaid(parse(raw, source="advisory.yaml"))
    assert "    state \"The 'draft'\" as draft" in text


# --- registry ---------------------------------------------------------------------------------


@pytest.fixture
def registry(definitions: dict[str, WorkflowDefinition]) -> WorkflowRegistry:
    return WorkflowRegistry(definitions)


def test_registry_current(registry: WorkflowRegistry, advisory: WorkflowDefinition) -> None:
    assert registry.types() == sorted(TYPES)
    assert registry.get("advisory") is advisory
    with pytest.raises(KeyError):
        registry.get("nonsense")
    assert WorkflowRegistry.from_dir(WORKFLOWS).types() == sorted(TYPES)


def test_one_machine_per_definition(
    registry: WorkflowRegistry, advisory: WorkflowDefinition
) -> None:
    machine = registry.machine(advisory)
    assert isinstance(machine, WorkflowMachine)
    assert registry.machine(advisory) is machine
    assert machine.definition is advisory
    assert registry.machine(registry.get("tc_project")) is not machine


def test_one_machine_under_concurrency(
    registry: WorkflowRegistry, advisory: WorkflowDefinition
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        machines = list(pool.map(lambda _: registry.machine(advisory), range(64)))
    assert len({id(m) for m in machines}) == 1


def test_version_of_the_current_definition(
    registry: WorkflowRegistry, advisory: WorkflowDefinition
) -> None:
    assert registry.version(advisory.sha256, advisory.raw, "advisory") is advisory


def _old_raw(advisory: WorkflowDefinition) -> dict:
    raw = copy.deepcopy(advisory.raw)
    raw["title"] = "Advisory services (old wording)"
    raw["states"]["submitted"]["deadline"] = {"working_days": 10}
    return raw


def test_version_rebuilds_an_old_definition(
    registry: WorkflowRegistry, advisory: WorkflowDefinition
) -> None:
    raw = _old_raw(advisory)
    sha = content_hash(raw)
    old = registry.version(sha, raw, "advisory")
    assert old.sha256 == sha != advisory.sha256
    assert old.title == "Advisory services (old wording)"
    assert old.states["submitted"].deadline.days == 10
    assert sha[:12] in old.source
    assert registry.version(sha, raw, "advisory") is old
    assert registry.get("advisory") is advisory
    assert registry.machine(old) is not registry.machine(advisory)
    assert registry.machine(old).next_state("draft", "submit") == "submitted"


def test_version_refuses_a_raw_that_does_not_match_its_hash(
    registry: WorkflowRegistry, advisory: WorkflowDefinition
) -> None:
    raw = _old_raw(advisory)
    wrong = content_hash({"something": "else"})
    with pytest.raises(WorkflowError, match="does not match its text") as info:
        registry.version(wrong, raw, "advisory")
    assert info.value.problems == [f"advisory: stored version {wrong[:12]} does not match its text"]
    # Nothing was cached under the wrong hash.
    with pytest.raises(WorkflowError):
        registry.version(wrong, raw, "advisory")


def test_version_refuses_an_invalid_stored_raw(
    registry: WorkflowRegistry, advisory: WorkflowDefinition
) -> None:
    raw = _old_raw(advisory)
    raw["states"]["submitted"]["deadline"] = {"working_days": 0}
    with pytest.raises(WorkflowError, match="working_days"):
        registry.version(content_hash(raw), raw, "advisory")
