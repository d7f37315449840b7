"""One `transitions` state machine per workflow definition, shared by every case of that version.

Cases are never added to the machine as models: a throwaway subject carries the current state
through the event and back, so memory and start-up do not grow with the number of cases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from transitions import Machine, MachineError

from tacase.engine.definitions import WorkflowDefinition


class NotAllowedFromState(Exception):
    def __init__(self, trigger: str, state: str, allowed: list[str]) -> None:
        self.trigger, self.state, self.allowed = trigger, state, allowed
        names = ", ".join(allowed) or "none"
        super().__init__(f"{trigger!r} cannot be fired from {state!r}; allowed: {names}")


@dataclass
class _Subject:
    state: str


class WorkflowMachine:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                for t in definition.transitions
            ],
            initial=None,
            auto_transitions=False,
            model_attribute="state",
        )
        # The machine keeps a transition queue on itself; firing is microseconds, so a lock
        # per machine is cheaper than a machine per thread.
        self._lock = threading.Lock()

    def triggers_from(self, state: str) -> list[str]:
        if state not in self.definition.states:
            return []
        return self._machine.get_triggers(state)

    def next_state(self, state: str, trigger: str) -> str:
        """The state `trigger` leads to from `state`, or NotAllowedFromState."""
        event = self._machine.events.get(trigger)
        if event is None:
            raise NotAllowedFromState(trigger, state, self.triggers_from(state))
        subject = _Subject(state)
        with self._lock:
            try:
                moved = event.trigger(subject)
            except (MachineError, ValueError):  # ValueError: a state this workflow does not have
                moved = False
        if not moved:
            raise NotAllowedFromState(trigger, state, self.triggers_from(state))
        return subject.state


def mermaid(definition: WorkflowDefinition, *, public: bool = False) -> str:
    """A Mermaid state diagram of the workflow, with the staff (or public) labels."""
    lines = ["stateDiagram-v2"]
    for state in definition.states.values():
        label = state.public_label if public else state.staff_label
        suffix = " (office clock paused)" if state.office_clock_paused and not public else ""
        safe = (label + suffix).replace('"', "'")
        lines.append(f'    state "{safe}" as {state.name}')
    lines.append(f"    [*] --> {definition.initial}")
    for t in definition.transitions:
        for source in t.sources:
            lines.append(f"    {source} --> {t.dest}: {t.trigger}")
    for final in definition.final_states():
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines) + "\n"
