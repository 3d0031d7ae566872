"""Period presets and the 同比 / 环比 comparison periods, including leap years."""
from __future__ import annotations

from datetime import date

import pytest

from queries import filters as flt

D = date


@pytest.mark.parametrize(("preset", "expected"), [
    ("month", (D(2024, 5, 1), D(2024, 5, 17))),
    ("quarter", (D(2024, 4, 1), D(2024, 5, 17))),
    ("year", (D(2024, 1, 1), D(2024, 5, 17))),
    ("last12", (D(2023, 5, 18), D(2024, 5, 17))),
])
def test_presets_end_at_as_of(preset, expected):
    assert flt.preset_period(preset, D(2024, 5, 17)) == expected


def test_same_period_last_year_of_a_leap_february_ends_on_the_28th():
    assert flt.same_period_last_year(D(2024, 2, 1), D(2024, 2, 29)) == (D(2023, 2, 1), D(2023, 2, 28))


def test_same_period_last_year_into_a_leap_february_ends_on_the_29th():
    assert flt.same_period_last_year(D(2025, 2, 1), D(2025, 2, 28)) == (D(2024, 2, 1), D(2024, 2, 29))


def test_previous_period_of_a_whole_month_is_the_previous_month():
    assert flt.previous_period(D(2024, 3, 1), D(2024, 3, 31)) == (D(2024, 2, 1), D(2024, 2, 29))


def test_previous_period_of_a_quarter_is_the_previous_quarter():
    assert flt.previous_period(D(2024, 4, 1), D(2024, 6, 30)) == (D(2024, 1, 1), D(2024, 3, 31))


def test_previous_period_of_an_arbitrary_span_has_the_same_length():
    assert flt.previous_period(D(2024, 3, 5), D(2024, 3, 14)) == (D(2024, 2, 24), D(2024, 3, 4))


def test_filters_refuse_a_start_after_the_end():
    with pytest.raises(ValueError, match="晚于"):
        flt.Filters(D(2024, 3, 2), D(2024, 3, 1))


def test_add_months_clamps_the_day():
    assert flt.add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
