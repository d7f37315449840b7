"""What the case lists learn about the record, kept in a worker's memory while it has not changed.

A list's bounded total reads up to COUNT_LIMIT index entries, and a deep page by number reads every
entry before it: both cost more than the page itself, on every request. Both can change only when the
record does, which moves the audit log's head (tacase.services.record_memory): what was found after
reading the head holds for as long as the head stays where it was.

Facts are kept by who may see what (the office, or one State's users) and by filter
(case_queries decides); a filter on being overdue depends on the time as well, and is never kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tacase.audit.checkpoints import chain_end
from tacase.services.record_memory import Generation, RecordMemory


def generation_of(session: Session) -> Generation:
    """Read before what is to be kept is read: a kept fact then never outlives a change."""
    return chain_end(session)


class ListMemory(RecordMemory[Any]):
    """At most `budget` facts of the lists (totals, where pages start), each for at most `seconds`."""
