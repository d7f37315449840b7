"""What a worker keeps in memory for as long as the record has not changed.

Every change to a request lands in the audit log in the same transaction, and the log's last event
(its sequence number and hash: the record's generation) only moves when such a transaction commits.
Whatever was read after reading that head stays true for as long as the head has not moved, so one
indexed read tells a worker whether what it holds still holds. A change made outside tacase (by hand,
in the database) writes no event: what is kept also expires after `seconds`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Generation = tuple[int, str | None]  # the audit log's head
V = TypeVar("V")


class RecordMemory(Generic[V]):
    """Values of one generation of the record, at most `budget` in size (the least recently read go
    first), each for at most `seconds`. A value's size is 1 unless a subclass says otherwise."""

    def __init__(self, budget: int, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self.seconds = seconds
        self._now = now
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._kept: OrderedDict[Hashable, tuple[V, float]] = OrderedDict()
        self._size = 0

    def size_of(self, value: V) -> int:
        return 1

    def keeps(self, value: V) -> bool:
        return self.size_of(value) <= self.budget

    def get(self, generation: Generation, key: Hashable) -> V | None:
        with self._lock:
            if generation != self._generation:
                return None
            found = self._kept.get(key)
            if found is None:
                return None
            value, kept_at = found
            if self._now() - kept_at > self.seconds:
                self._drop(key)
                return None
            self._kept.move_to_end(key)
            return value

    def put(self, generation: Generation, key: Hashable, value: V) -> None:
        if not self.keeps(value):
            return
        with self._lock:
            if generation != self._generation:
                # A newer head makes everything kept doubtful; an older one (a slower request that
                # read the head before the last change) is not worth keeping.
                if self._generation is not None and generation[0] < self._generation[0]:
                    return
                self._generation = generation
                self._kept.clear()
                self._size = 0
            if key in self._kept:
                self._drop(key)
            self._kept[key] = (value, self._now())
            self._size += self.size_of(value)
            while self._size > self.budget:
                self._drop(next(iter(self._kept)))

    def _drop(self, key: Hashable) -> None:
        self._size -= self.size_of(self._kept.pop(key)[0])
