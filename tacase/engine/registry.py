"""The workflows in force, and every past version a case may still be running under."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tacase.engine.definitions import WorkflowDefinition, WorkflowError, load_dir, parse
from tacase.engine.machine import WorkflowMachine


class WorkflowRegistry:
    def __init__(self, current: dict[str, WorkflowDefinition]) -> None:
        self.current = dict(current)
        self._by_hash: dict[str, WorkflowDefinition] = {d.sha256: d for d in current.values()}
        self._machines: dict[str, WorkflowMachine] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_dir(cls, directory: str | Path) -> WorkflowRegistry:
        return cls(load_dir(directory))

    def types(self) -> list[str]:
        return sorted(self.current)

    def get(self, wtype: str) -> WorkflowDefinition:
        try:
            return self.current[wtype]
        except KeyError:
            raise KeyError(wtype) from None

    def version(self, sha256: str, raw: dict[str, Any] | Callable[[], dict[str, Any]],
                wtype: str) -> WorkflowDefinition:
        """The definition a case started under, rebuilt from its stored text when it is old.

        `raw` may be a function, so that the stored text is read only when it is not known yet.
        """
        definition = self._by_hash.get(sha256)
        if definition is None:
            if callable(raw):
                raw = raw()
            definition = parse(raw, source=f"{wtype} (stored version {sha256[:12]})")
            if definition.sha256 != sha256:
                raise WorkflowError([f"{wtype}: stored version {sha256[:12]} does not match its text"])
            with self._lock:
                self._by_hash.setdefault(sha256, definition)
        return definition

    def machine(self, definition: WorkflowDefinition) -> WorkflowMachine:
        machine = self._machines.get(definition.sha256)
        if machine is None:
            with self._lock:
                machine = self._machines.setdefault(definition.sha256, WorkflowMachine(definition))
        return machine
