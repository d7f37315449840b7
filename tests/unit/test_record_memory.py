"""RecordMemory without a database (as the lists use it: each value of size 1): one generation of the
record at a time, bounded, and expiring."""

from __future__ import annotations

from tacase.services.list_memory import ListMemory
from tests.unit.test_answer_cache import Ticks


def test_a_total_is_kept_for_its_generation_only():
    kept = ListMemory(10, 60)
    kept.put((5, "e"), "all", (12, True))
    assert kept.get((5, "e"), "all") == (12, True)
    assert kept.get((6, "f"), "all") is None
    kept.put((6, "f"), "mine", (1, True))
    assert kept.get((5, "e"), "all") is None  # a newer generation let the older go


def test_a_total_counted_before_the_last_change_is_not_kept():
    kept = ListMemory(10, 60)
    kept.put((6, "f"), "all", (13, True))
    kept.put((5, "e"), "all", (12, True))
    assert kept.get((6, "f"), "all") == (13, True)
    assert kept.get((5, "e"), "all") is None


def test_the_least_recently_read_go_first_and_old_ones_expire():
    ticks = Ticks()
    kept = ListMemory(2, 60, now=ticks)
    kept.put((1, "a"), "x", (1, True))
    kept.put((1, "a"), "y", (2, True))
    kept.get((1, "a"), "x")
    kept.put((1, "a"), "z", (3, True))
    assert kept.get((1, "a"), "y") is None
    assert kept.get((1, "a"), "x") == (1, True)
    ticks.now = 61
    assert kept.get((1, "a"), "x") is None
