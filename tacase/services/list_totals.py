"""The totals of the case lists, kept in a worker's memory while the record has not changed.

A list's bounded total reads up to COUNT_LIMIT index entries: more than the page itself, on every
request. Every change to a case lands in the audit log in the same transaction, so the log's head
(sequence number and hash) moves exactly when a total may have changed: a total counted after reading
the head holds for as long as the head stays where it was. Reading the head is one indexed row.

Totals are kept by who may see what (the office, or one State's users) and by filter; a filter on
being overdue depends on the time as well, and is always counted. A change made by hand in the
database writes no event: kept totals also expire after `seconds`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy.orm import Session

from tacase.audit.checkpoints import chain_end

Total = tuple[int, bool]  # (count, exact)


class KeptTotals:
    """At most `entries` totals of one generation of the record, each for at most `seconds`."""

    def __init__(self, entries: int, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.entries = entries
        self.seconds = seconds
        self._now = now
        self._lock = threading.Lock()
        self._generation: Hashable = None
        self._kept: OrderedDict[Hashable, tuple[Total, float]] = OrderedDict()

    def get(self, generation: Hashable, key: Hashable) -> Total | None:
        with self._lock:
            if generation != self._generation:
                return None
            found = self._kept.get(key)
            if found is None:
                return None
            total, counted_at = found
            if self._now() - counted_at > self.seconds:
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return total

    def put(self, generation: tuple[int, str | None], key: Hashable, total: Total) -> None:
        with self._lock:
            if generation != self._generation:
                current = self._generation
                if isinstance(current, tuple) and generation[0] < current[0]:
                    return  # counted by a slower request, before the last change: not worth keeping
                self._generation = generation
                self._kept.clear()
            self._kept[key] = (total, self._now())
            self._kept.move_to_end(key)
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)

    def total(self, session: Session, key: Hashable, count: Callable[[], Total]) -> Total:
        """The kept total for `key` if the record has not changed since it was counted, else `count()`."""
        generation = chain_end(session)  # read before counting: a total never outlives a change
        kept = self.get(generation, key)
        if kept is None:
            kept = count()
            self.put(generation, key, kept)
        return kept
