"""What the case lists learn about the record, kept in a worker's memory while it has not changed.

A list's bounded total reads up to COUNT_LIMIT index entries, and a deep page by number reads every
entry before it: both cost more than the page itself, on every request. Every change to a case lands
in the audit log in the same transaction, so the log's head (sequence number and hash) moves exactly
when a total or the place where a page starts may have changed: what was found after reading the head
holds for as long as the head stays where it was. Reading the head is one indexed row.

Facts are kept by who may see what (the office, or one State's users) and by filter
(case_queries decides); a filter on being overdue depends on the time as well, and is never kept. A
change made by hand in the database writes no event: kept facts also expire after `seconds`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.orm import Session

from tacase.audit.checkpoints import chain_end

Generation = tuple[int, str | None]  # the audit log's head


def generation_of(session: Session) -> Generation:
    """Read before what is to be kept is read: a kept fact then never outlives a change."""
    return chain_end(session)


class ListMemory:
    """At most `entries` facts of one generation of the record, each for at most `seconds`."""

    def __init__(self, entries: int, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.entries = entries
        self.seconds = seconds
        self._now = now
        self._lock = threading.Lock()
        self._generation: Hashable = None
        self._kept: OrderedDict[Hashable, tuple[Any, float]] = OrderedDict()

    def get(self, generation: Generation, key: Hashable) -> Any:
        with self._lock:
            if generation != self._generation:
                return None
            found = self._kept.get(key)
            if found is None:
                return None
            value, found_at = found
            if self._now() - found_at > self.seconds:
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return value

    def put(self, generation: Generation, key: Hashable, value: Any) -> None:
        with self._lock:
            if generation != self._generation:
                current = self._generation
                if isinstance(current, tuple) and generation[0] < current[0]:
                    return  # found by a slower request, before the last change: not worth keeping
                self._generation = generation
                self._kept.clear()
            self._kept[key] = (value, self._now())
            self._kept.move_to_end(key)
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
