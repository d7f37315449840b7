"""The public answers' memory, without a database or an app."""

from __future__ import annotations

from tacase.web.public_answers import LARGEST_KEPT, AnswerCache


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_for_its_generation_only():
    cache = AnswerCache(8, 60)
    cache.put((3, "c"), "a", "one")
    assert cache.get((3, "c"), "a") == "one"
    assert cache.get((4, "d"), "a") is None
    cache.put((4, "d"), "b", "two")
    assert cache.get((3, "c"), "a") is None and cache.get((4, "d"), "a") is None
    assert cache.get((4, "d"), "b") == "two"


def test_an_answer_made_from_an_older_head_is_not_kept():
    cache = AnswerCache(8, 60)
    cache.put((5, "e"), "a", "new")
    cache.put((4, "d"), "b", "old")
    assert cache.get((5, "e"), "a") == "new" and cache.get((4, "d"), "b") is None


def test_answers_expire():
    ticks = Ticks()
    cache = AnswerCache(8, 60, now=ticks)
    cache.put((1, "a"), "k", "body")
    ticks.now = 60
    assert cache.get((1, "a"), "k") == "body"
    ticks.now = 60.5
    assert cache.get((1, "a"), "k") is None


def test_the_least_recently_read_goes_first():
    cache = AnswerCache(2, 60)  # two characters: two answers of one
    cache.put((1, "a"), "x", "X")
    cache.put((1, "a"), "y", "Y")
    assert cache.get((1, "a"), "x") == "X"
    cache.put((1, "a"), "z", "Z")
    assert cache.get((1, "a"), "y") is None
    assert cache.get((1, "a"), "x") == "X" and cache.get((1, "a"), "z") == "Z"


def test_a_very_large_answer_is_not_kept():
    cache = AnswerCache(10 * LARGEST_KEPT, 60)
    cache.put((1, "a"), "x", "x" * (LARGEST_KEPT + 1))
    assert cache.get((1, "a"), "x") is None
    small = AnswerCache(4, 60)
    small.put((1, "a"), "x", "12345")
    assert small.get((1, "a"), "x") is None


def test_an_answer_made_again_replaces_the_old_one():
    cache = AnswerCache(4, 60)
    cache.put((1, "a"), "x", "abc")
    cache.put((1, "a"), "x", "de")
    cache.put((1, "a"), "y", "f")
    assert cache.get((1, "a"), "x") == "de" and cache.get((1, "a"), "y") == "f"


def test_an_empty_log_is_a_generation_too():
    cache = AnswerCache(8, 60)
    cache.put((0, None), "x", "X")
    assert cache.get((0, None), "x") == "X"
    cache.put((1, "a"), "y", "Y")
    assert cache.get((0, None), "x") is None
