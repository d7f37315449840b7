"""A number question's distribution: round bin edges, every answer in one bin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tacase.services.calls.aggregation import _histogram, _median, _nice_width


@pytest.mark.parametrize(("raw", "nice"), [("248.4", "250"), ("0.13", "0.2"), ("7", "10"), ("1", "1"),
                                           ("16666.7", "20000"), ("0.0041", "0.005")])
def test_nice_widths(raw, nice):
    assert _nice_width(Decimal(raw)) == Decimal(nice)


@pytest.mark.parametrize("values", [["-5", "3", "12.5"], ["0.1", "0.9"], ["1", "1000000"], ["42", "42"],
                                    ["0", "0.000001"]])
def test_every_value_falls_in_a_bin_between_its_edges(values):
    pairs = [(Decimal(v), 1) for v in values]
    bins = _histogram(pairs)
    assert sum(b["count"] for b in bins) == len(values)
    assert len(bins) <= 8
    assert Decimal(bins[0]["from"]) <= pairs[0][0] and pairs[-1][0] <= Decimal(bins[-1]["to"])


def test_median_of_counted_values():
    assert _median([(Decimal(1), 2), (Decimal(5), 1)], 3) == 1
    assert _median([(Decimal(1), 1), (Decimal(5), 1)], 2) == 3
