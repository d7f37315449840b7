"""The arithmetic of published timeliness, without a database."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tacase.engine.definitions import load_dir
from tacase.services.timeliness import (
    END_TO_END,
    interpolated,
    months_from,
    rolling_from,
    stage_deadlines,
)
from tacase.services.timeliness import quantile as from_counts
from tests.unit.test_definitions import WORKFLOWS, assert_reported, problems, raw_of, set_in


def quantile(values: list[float], num: int, den: int) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    lo = num * (n - 1) // den
    hi = ordered[lo + 1] if lo + 1 < n else None
    return interpolated(ordered[lo], hi, n, num, den)


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=1, max_size=60))
def test_the_median_is_the_textbook_median(values: list[float]) -> None:
    assert quantile(values, 1, 2) == pytest.approx(statistics.median(values), rel=1e-9, abs=1e-6)


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=2, max_size=60))
def test_the_80th_percentile_interpolates_like_percentile_cont(values: list[float]) -> None:
    # statistics.quantiles with method="inclusive" is the same linear interpolation
    expected = statistics.quantiles(values, n=5, method="inclusive")[3]
    assert quantile(values, 4, 5) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=80))
def test_quantiles_read_off_counts_are_those_of_the_values(values: list[int]) -> None:
    counts = sorted(Counter(values).items())
    for num, den in ((1, 2), (4, 5)):
        assert from_counts(counts, len(values), num, den) == pytest.approx(quantile(values, num, den))


def test_known_values() -> None:
    assert quantile([1, 2, 3, 4, 10], 4, 5) == pytest.approx(5.2)
    assert quantile([7], 4, 5) == 7
    assert interpolated(None, None, 0, 1, 2) is None


def test_periods() -> None:
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    assert rolling_from(now) == dt.datetime(2025, 12, 1, tzinfo=dt.UTC)  # this month and eleven before
    assert rolling_from(dt.datetime(2028, 1, 31, tzinfo=dt.UTC)) == dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    assert months_from(now) == dt.datetime(2024, 12, 1, tzinfo=dt.UTC)


def test_stage_deadlines_come_from_the_workflow_files() -> None:
    advisory = load_dir(WORKFLOWS)["advisory"]
    deadlines = stage_deadlines(advisory)
    assert deadlines == {"review": 15, "decision": 20, "delivery": 60, "evaluation": 40, END_TO_END: 35}
    assert advisory.office_triggers() and "withdraw" not in advisory.office_triggers()
    assert "submit" not in advisory.office_triggers()


def test_a_stage_must_be_known() -> None:
    raw = raw_of()
    set_in(raw, "states.submitted.stage", "lunch")
    assert_reported(problems(raw), "state 'submitted'", "stage must be one of")


def test_a_paused_state_belongs_to_no_stage() -> None:
    raw = raw_of()
    set_in(raw, "states.returned.stage", "review")
    assert_reported(problems(raw), "state 'returned'", "paused belongs to no stage")
