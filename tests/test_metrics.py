"""Every metric of docs/metrics.md on the hand-built fixture, with hand-computed expectations."""
from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from queries import facts, metrics
from queries.filters import Filters, Scope
from queries.schema import Tables
from tests import fixtures as fx

D = date
CITY_SCOPE = Scope()


@pytest.fixture(scope="module")
def tables():
    return fx.tables()


def march(**kw) -> Filters:
    return Filters(*fx.MARCH, **kw)


def test_summary_matches_hand_computed_values(tables):
    assert metrics.summary(tables, march(), CITY_SCOPE, fx.AS_OF) == fx.MARCH_SUMMARY


def test_summary_keys_are_the_design_contract(tables):
    assert list(metrics.summary(tables, march(), CITY_SCOPE, fx.AS_OF)) == [
        "cases_filed", "persons_disciplined", "org_handling", "transferred_judicial",
        "accountability", "exposed", "funds_recovered_wan", "complaints_received",
        "complaints_closed", "closure_rate", "on_time_rate", "satisfaction_rate",
        "rectifications_total", "rectifications_completed", "rectifications_overdue",
        "rules_established"]


def test_period_edges_include_first_and_last_day_only(tables):
    # c1 filed 1 Mar and c3 filed 31 Mar count; c2 filed 29 Feb does not.
    one_day_less = Filters(D(2024, 3, 2), D(2024, 3, 30))
    assert metrics.compute(tables, march(), CITY_SCOPE, fx.AS_OF, ["cases_filed"]) == {"cases_filed": 2}
    assert metrics.compute(tables, one_day_less, CITY_SCOPE, fx.AS_OF, ["cases_filed"]) == {"cases_filed": 0}


def test_conversion_rate_counts_in_scope_complaints_with_a_case(tables):
    got = metrics.compute(tables, march(), CITY_SCOPE, fx.AS_OF, ["conversion_rate"])
    assert got["conversion_rate"] == pytest.approx(1 / 3)  # q1 of q1, q2, q4


def test_completion_rate_is_over_items_due_in_the_period(tables):
    got = metrics.compute(tables, march(), CITY_SCOPE, fx.AS_OF,
                          ["completion_rate", "on_time_completion_rate"])
    # due in March: r1 (done 20 Mar), r2 (open), r4 (open) -> 1/3, and r1 was on time.
    assert got == {"completion_rate": pytest.approx(1 / 3), "on_time_completion_rate": pytest.approx(1 / 3)}


def test_overdue_is_a_stock_at_as_of_ignoring_the_period(tables):
    any_period = Filters(D(2020, 1, 1), D(2020, 1, 31))
    got = metrics.compute(tables, any_period, CITY_SCOPE, fx.AS_OF, ["rectifications_overdue"])
    assert got == {"rectifications_overdue": 2}


def test_overdue_moves_with_as_of(tables):
    # On 1 April r4 (due 31 Mar) becomes overdue; on 2 April r5 is completed.
    assert metrics.compute(tables, march(), CITY_SCOPE, D(2024, 4, 1),
                           ["rectifications_overdue"]) == {"rectifications_overdue": 3}
    assert metrics.compute(tables, march(), CITY_SCOPE, D(2024, 4, 2),
                           ["rectifications_overdue"]) == {"rectifications_overdue": 2}


def test_closure_depends_on_as_of(tables):
    # q4 closes 5 April: by then 3 of 4 are closed.
    got = metrics.compute(tables, march(), CITY_SCOPE, D(2024, 4, 5), ["closure_rate"])
    assert got == {"closure_rate": 0.75}


def test_rates_are_null_when_the_denominator_is_zero(tables):
    empty = Filters(D(2020, 1, 1), D(2020, 1, 31))
    got = metrics.compute(tables, empty, CITY_SCOPE, fx.AS_OF, ["closure_rate", "satisfaction_rate"])
    assert got == {"closure_rate": None, "satisfaction_rate": None}


def test_year_on_year_compares_with_the_same_month_last_year(tables):
    got = metrics.compare(tables, march(), CITY_SCOPE, fx.AS_OF, ["cases_filed", "exposed"])
    assert got["cases_filed"]["yoy_value"] == 1  # c4, March 2023
    assert got["cases_filed"]["yoy_change"] == pytest.approx(1.0)  # 2 vs 1: +100 %
    assert got["exposed"]["yoy_value"] == 1 and got["exposed"]["yoy_change"] == 0.0


def test_month_on_month_compares_with_the_previous_calendar_month(tables):
    got = metrics.compare(tables, march(), CITY_SCOPE, fx.AS_OF, ["cases_filed", "complaints_received"])
    assert got["cases_filed"]["mom_value"] == 1  # c2, 29 Feb 2024
    assert got["complaints_received"]["mom_value"] == 1  # q5
    assert got["complaints_received"]["mom_change"] == pytest.approx(3.0)  # 4 vs 1


def test_rate_changes_are_in_percentage_points(tables):
    got = metrics.compare(tables, march(), CITY_SCOPE, fx.AS_OF, ["closure_rate"])
    # February (as of 29 Feb): q5 received and closed the same day (1/1) -> March 0.5 is
    # 50 points lower. Each comparison period is measured at its own end, like for like.
    assert got["closure_rate"]["mom_value"] == 1.0
    assert got["closure_rate"]["mom_change"] == pytest.approx(-0.5)


def test_change_is_none_against_a_zero_base():
    assert metrics.change(5, 0, is_rate=False) is None
    assert metrics.change(None, 3, is_rate=False) is None


def test_rollup_lists_every_child_with_its_values(tables):
    got = metrics.rollup(tables, march(), CITY_SCOPE, fx.AS_OF, ["cases_filed", "complaints_received"])
    expected = pl.DataFrame({
        "key": [fx.DIST_A, fx.DIST_B], "name": ["甲区", "乙区"],
        "cases_filed": [1, 1], "complaints_received": [3, 1],
        "complaints_received_per10k": [1.0, 1.0],  # 3 / 30,000 and 1 / 10,000 residents
    })
    assert_frame_equal(got.select(expected.columns), expected, check_dtypes=False)


def test_rollup_to_townships_includes_children_with_no_records(tables):
    got = metrics.rollup(tables, march(region=fx.DIST_A), CITY_SCOPE, fx.AS_OF, ["cases_filed"])
    assert got.select("key", "cases_filed").to_dict(as_series=False) == {
        "key": [fx.TOWN_A1, fx.TOWN_A2], "cases_filed": [1, 0]}


@pytest.mark.parametrize(("start", "end", "a", "b"), [
    (D(2024, 2, 29), D(2024, 3, 5), 3, 0),    # part of two months: q5, q1, q2
    (D(2024, 2, 29), D(2024, 4, 1), 4, 1),    # a whole March between two partial months
    (D(2024, 3, 1), D(2024, 3, 31), 3, 1),    # exactly one month
    (D(2024, 3, 2), D(2024, 3, 30), 1, 1),    # inside one month: q2 (A), q4 (B)
])
def test_rollup_counts_each_day_once_over_whole_and_partial_months(tables, start, end, a, b):
    got = metrics.rollup(tables, Filters(start, end), CITY_SCOPE, fx.AS_OF, ["complaints_received"])
    assert got["complaints_received"].to_list() == [a, b]


@pytest.mark.parametrize("metric", ["cases_filed", "persons_disciplined", "funds_recovered_wan",
                                    "complaints_received", "rectifications_overdue", "rules_established"])
def test_rollup_sums_to_the_parent(tables, metric):
    for region in (None, fx.DIST_A, fx.TOWN_A1):
        parent = metrics.compute(tables, march(region=region), CITY_SCOPE, fx.AS_OF, [metric])[metric]
        kids = metrics.rollup(tables, march(region=region), CITY_SCOPE, fx.AS_OF, [metric])
        assert kids[metric].sum() == pytest.approx(parent)


def test_monthly_series_fills_empty_months_with_zero(tables):
    got = metrics.monthly(tables, Filters(D(2024, 1, 1), D(2024, 3, 31)), CITY_SCOPE, fx.AS_OF,
                          ["cases_filed", "complaints_received"])
    expected = pl.DataFrame({
        "month": [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)],
        "cases_filed": [0, 1, 2], "complaints_received": [0, 1, 4]})
    assert_frame_equal(got, expected, check_dtypes=False)


def test_monthly_stock_is_measured_at_each_month_end(tables):
    got = metrics.monthly(tables, Filters(D(2024, 1, 1), D(2024, 3, 31)), CITY_SCOPE, fx.AS_OF,
                          ["rectifications_overdue"])
    # 31 Jan: r5 (due 2023-06-30), r3 (due 2023-12-31); 29 Feb: same; 31 Mar: r5, r2.
    assert got["rectifications_overdue"].to_list() == [2, 2, 2]


def test_monthly_series_sums_to_the_period_total(tables):
    period = Filters(D(2023, 1, 1), D(2024, 12, 31))
    series = metrics.monthly(tables, period, CITY_SCOPE, fx.AS_OF, ["cases_filed", "persons_disciplined"])
    total = metrics.compute(tables, period, CITY_SCOPE, fx.AS_OF, ["cases_filed", "persons_disciplined"])
    assert series["cases_filed"].sum() == total["cases_filed"] == 4
    assert series["persons_disciplined"].sum() == total["persons_disciplined"] == 5


def test_field_filter_applies_to_cases_and_complaints(tables):
    got = metrics.compute(tables, march(fields=("集体三资",)), CITY_SCOPE, fx.AS_OF,
                          ["cases_filed", "complaints_received", "rectifications_total"])
    # c1; q1, q3; rectifications carry no field and are not narrowed.
    assert got == {"cases_filed": 1, "complaints_received": 2, "rectifications_total": 2}


def test_channel_filter_applies_to_complaints_only(tables):
    got = metrics.compute(tables, march(channels=("来信", "电话")), CITY_SCOPE, fx.AS_OF,
                          ["cases_filed", "complaints_received"])
    assert got == {"cases_filed": 2, "complaints_received": 2}


def test_region_filter_at_village_level(tables):
    got = metrics.compute(tables, march(region=fx.V_A1a), CITY_SCOPE, fx.AS_OF,
                          ["cases_filed", "complaints_received", "rectifications_overdue"])
    assert got == {"cases_filed": 1, "complaints_received": 1, "rectifications_overdue": 1}


def test_scope_limits_every_read(tables):
    scope = Scope(fx.TOWN_A1)
    got = metrics.summary(tables, march(), scope, fx.AS_OF)
    assert (got["cases_filed"], got["complaints_received"], got["rectifications_overdue"]) == (1, 2, 1)


def test_scope_cannot_be_widened_by_a_region_filter(tables):
    scope = Scope(fx.TOWN_A1)
    wider = metrics.summary(tables, march(region=fx.CITY), scope, fx.AS_OF)
    sibling = metrics.summary(tables, march(region=fx.DIST_B), scope, fx.AS_OF)
    own = metrics.summary(tables, march(), scope, fx.AS_OF)
    assert wider == own and sibling == own


def test_scope_allows_narrowing_inside_it(tables):
    got = metrics.compute(tables, march(region=fx.V_A1b), Scope(fx.TOWN_A1), fx.AS_OF, ["complaints_received"])
    assert got == {"complaints_received": 1}


@pytest.mark.parametrize(("as_of", "closed"), [(fx.AS_OF, [2, 0]), (D(2024, 4, 5), [2, 1])])
def test_rollup_counts_a_closing_only_once_as_of_has_reached_it(tables, as_of, closed):
    # 甲区: q1, q2 closed in March, q3 open; 乙区: q4 closes 5 April.
    got = metrics.rollup(tables, march(), CITY_SCOPE, as_of, ["complaints_closed", "closure_rate"])
    assert got.select("key", "complaints_closed", "closure_rate").to_dict(as_series=False) == {
        "key": [fx.DIST_A, fx.DIST_B], "complaints_closed": closed,
        "closure_rate": [pytest.approx(2 / 3), float(closed[1])]}


@pytest.mark.parametrize(("as_of", "march_closed"), [(fx.AS_OF, 2), (D(2024, 4, 5), 3)])
def test_monthly_closings_follow_as_of(tables, as_of, march_closed):
    got = metrics.monthly(tables, Filters(D(2024, 2, 1), D(2024, 3, 31)), CITY_SCOPE, as_of,
                          ["complaints_closed", "on_time_rate"])
    # February: q5 closed the day it came in; March: q1 (on time), q2 (late), q4 (after AS_OF, late).
    assert got.to_dict(as_series=False) == {
        "month": [D(2024, 2, 1), D(2024, 3, 1)], "complaints_closed": [1, march_closed],
        "on_time_rate": [1.0, pytest.approx(1 / march_closed)]}


def test_a_period_reaching_past_as_of_counts_no_closing_after_as_of(tables):
    # As of 4 March, none of March's complaints (q1 closes 10 March, q2 25 March, q4 5 April)
    # was closed yet, received before or after that day.
    got = metrics.compute(tables, march(), CITY_SCOPE, D(2024, 3, 4), ["complaints_received", "complaints_closed"])
    assert got == {"complaints_received": 4, "complaints_closed": 0}


def test_an_item_completed_the_day_after_its_due_date_is_never_overdue():
    t = Tables.from_dicts(regions=fx.REGIONS, rectifications={
        "item_id": ["r", "s"], "region_code": [fx.V_A1a] * 2, "started_on": [D(2024, 1, 1)] * 2,
        "due_on": [D(2024, 3, 10)] * 2, "completed_on": [D(2024, 3, 11), D(2024, 3, 13)]})
    ats = [D(2024, 3, 10), D(2024, 3, 11), D(2024, 3, 12), D(2024, 3, 13), D(2024, 4, 1)]
    # s is overdue from 11 March until it is completed on 13 March; r never is.
    expected = [0, 1, 1, 0, 0]
    part = metrics.PARTS["rectifications_overdue"]
    at_dates = metrics.MemorySource(t).stocks([part], march(), CITY_SCOPE, ats)  # the page series' path
    one_by_one = [metrics.compute(t, march(), CITY_SCOPE, a, [part.name])[part.name] for a in ats]
    assert at_dates == {part.name: expected} and one_by_one == expected


def test_a_cube_in_use_is_kept_while_many_others_come_and_go(tables):
    src = metrics.MemorySource(tables)
    cube = src._cube("complaints", "received_on")
    day_cube = src._day_cube("complaints", "received_on")
    for day in range(facts.CUBES_KEPT + 5):  # pages visited at many dates, city-wide and by district
        as_of = fx.AS_OF + timedelta(days=day)
        metrics.compute(tables, march(), CITY_SCOPE, as_of, ["closure_rate"])
        metrics.compute(tables, march(region=fx.DIST_A), CITY_SCOPE, as_of, ["closure_rate"])
    assert src._cube("complaints", "received_on") is cube
    assert src._day_cube("complaints", "received_on") is day_cube
