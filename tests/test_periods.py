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


# --- the partial-period rule (queries.periods) ----------------------------------------------

from queries import periods  # noqa: E402


def test_first_day_of_a_month_is_a_partial_one_day_bucket():
    assert periods.bucket_is_partial(D(2026, 12, 1), "1mo", D(2026, 12, 1))
    assert periods.previous_elapsed(D(2026, 12, 1), "1mo", D(2026, 12, 1)) == (D(2026, 11, 1), D(2026, 11, 1))


def test_last_day_of_a_month_completes_the_bucket():
    assert not periods.bucket_is_partial(D(2026, 11, 1), "1mo", D(2026, 11, 30))


def test_a_month_before_as_of_is_complete_and_one_after_is_not_partial():
    assert not periods.bucket_is_partial(D(2026, 10, 1), "1mo", D(2026, 12, 2))
    assert not periods.bucket_is_partial(D(2027, 1, 1), "1mo", D(2026, 12, 2))


def test_second_of_december_compares_with_first_two_days_of_november_and_of_last_december():
    assert periods.previous_elapsed(D(2026, 12, 1), "1mo", D(2026, 12, 2)) == (D(2026, 11, 1), D(2026, 11, 2))
    assert periods.last_year_elapsed(D(2026, 12, 1), "1mo", D(2026, 12, 2)) == (D(2025, 12, 1), D(2025, 12, 2))


def test_29_february_in_a_year_bucket_compares_with_28_february_last_year():
    assert periods.bucket_is_partial(D(2028, 1, 1), "1y", D(2028, 2, 29))
    assert periods.last_year_elapsed(D(2028, 1, 1), "1y", D(2028, 2, 29)) == (D(2027, 1, 1), D(2027, 2, 28))


def test_29_february_completes_a_leap_february():
    assert not periods.bucket_is_partial(D(2028, 2, 1), "1mo", D(2028, 2, 29))


def test_a_day_the_previous_month_lacks_is_clamped_to_its_last_day():
    assert periods.previous_elapsed(D(2027, 3, 1), "1mo", D(2027, 3, 30)) == (D(2027, 2, 1), D(2027, 2, 28))


def test_quarter_partial_compares_with_the_same_days_of_the_previous_quarter():
    assert periods.bucket_is_partial(D(2026, 10, 1), "3mo", D(2026, 12, 2))
    assert periods.previous_elapsed(D(2026, 10, 1), "3mo", D(2026, 12, 2)) == (D(2026, 7, 1), D(2026, 9, 2))


def test_last_day_of_a_quarter_and_of_a_year_complete_them():
    assert not periods.bucket_is_partial(D(2026, 10, 1), "3mo", D(2026, 12, 31))
    assert not periods.bucket_is_partial(D(2026, 1, 1), "1y", D(2026, 12, 31))


def test_year_partial_previous_is_last_year_to_the_same_day():
    assert periods.previous_elapsed(D(2026, 1, 1), "1y", D(2026, 12, 2)) == (D(2025, 1, 1), D(2025, 12, 2))


def test_a_chosen_period_ending_after_as_of_is_partial_and_one_ending_on_it_is_not():
    assert periods.is_partial(D(2026, 12, 1), D(2026, 12, 31), D(2026, 12, 2))
    assert not periods.is_partial(D(2026, 12, 1), D(2026, 12, 2), D(2026, 12, 2))


def test_this_month_to_date_is_a_partial_period():
    assert periods.period_bucket(D(2026, 12, 1), D(2026, 12, 2), D(2026, 12, 2)) == (D(2026, 12, 1), "1mo")


def test_this_year_to_date_on_a_month_end_is_a_partial_year():
    assert periods.period_bucket(D(2026, 1, 1), D(2026, 11, 30), D(2026, 11, 30)) == (D(2026, 1, 1), "1y")


def test_a_whole_month_and_the_last_twelve_months_are_complete_periods():
    assert periods.period_bucket(D(2026, 11, 1), D(2026, 11, 30), D(2026, 11, 30)) is None
    assert periods.period_bucket(D(2025, 12, 3), D(2026, 12, 2), D(2026, 12, 2)) is None


def test_unripe_buckets_are_the_months_with_complaints_not_yet_due():
    from tests import fixtures as fx

    # On 19 March, March's complaints due on 20 Mar and 30 Apr are not due; February's is.
    got = periods.unripe_buckets(fx.tables(), flt.Filters(D(2024, 2, 1), D(2024, 3, 31)), flt.Scope(), D(2024, 3, 19))
    assert got == {D(2024, 3, 1)}


def test_only_complaint_rates_ripen_and_counts_never_are_immature():
    unripe = {D(2026, 11, 1)}
    assert periods.immature("closure_rate", D(2026, 11, 1), "1mo", D(2026, 12, 2), unripe)
    assert not periods.immature("completion_rate", D(2026, 11, 1), "1mo", D(2026, 12, 2), unripe)
    assert periods.immature("completion_rate", D(2026, 12, 1), "1mo", D(2026, 12, 2), unripe)  # partial
    assert not periods.immature("cases_filed", D(2026, 12, 1), "1mo", D(2026, 12, 2), unripe)
