"""The overview's pure answers: what got worse (queries/worsened.py) and the warnings grouped by
rule and unit (queries/boards.py `warning_groups`), on small hand-made frames."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from queries import boards, metrics
from queries import worsened as W
from queries.filters import Filters, Scope
from tests import fixtures as fx

D = date


def _rollup(rows: list[dict]) -> pl.DataFrame:
    """A roll-up as queries.metrics.rollup returns it, for the columns `worsened` reads."""
    schema = {"key": pl.String, "name": pl.String, "own_level": pl.Boolean, "closure_rate": pl.Float64,
              "complaints_received": pl.Int64, "rectifications_overdue": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


KEYS = ("closure_rate", "rectifications_overdue")


def _expected(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=W.SCHEMA, orient="row")


def test_a_falling_closure_rate_and_rising_overdue_are_worse_the_opposite_is_not():
    now = _rollup([
        {"key": "A", "name": "甲区", "own_level": False, "closure_rate": 0.70, "complaints_received": 20,
         "rectifications_overdue": 12},
        {"key": "B", "name": "乙区", "own_level": False, "closure_rate": 0.95, "complaints_received": 20,
         "rectifications_overdue": 3},
    ])
    last = _rollup([
        {"key": "A", "name": "甲区", "own_level": False, "closure_rate": 0.90, "complaints_received": 10,
         "rectifications_overdue": 8},
        {"key": "B", "name": "乙区", "own_level": False, "closure_rate": 0.80, "complaints_received": 10,
         "rectifications_overdue": 6},
    ])
    got = W.worsened(now, last, KEYS)
    # A's overdue 8 → 12: +50 % (score 0.5); A's closure 90 % → 70 %: −20 points (score 0.2).
    # B improved on both and is not listed.
    assert_frame_equal(got, _expected([
        ("A", "甲区", False, "rectifications_overdue", 12.0, 8.0, 4.0, 0.5, 0.5),
        ("A", "甲区", False, "closure_rate", 0.70, 0.90, -0.20, None, 0.20),
    ]), abs_tol=1e-9)


def test_a_count_on_a_tiny_base_is_not_ranked_as_a_percentage_change():
    now = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": None,
                    "complaints_received": 0, "rectifications_overdue": 3},
                   {"key": "B", "name": "乙区", "own_level": False, "closure_rate": None,
                    "complaints_received": 0, "rectifications_overdue": 12}])
    last = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": None,
                     "complaints_received": 0, "rectifications_overdue": 1},
                    {"key": "B", "name": "乙区", "own_level": False, "closure_rate": None,
                     "complaints_received": 0, "rectifications_overdue": 10}])
    got = W.worsened(now, last, KEYS)
    # A: 1 → 3 would be +200 %; on a base under 5 it ranks as (3 − 1) / 5 = 0.4, no change stated.
    # B: 10 → 12 is +20 %.
    assert_frame_equal(got, _expected([
        ("A", "甲区", False, "rectifications_overdue", 3.0, 1.0, 2.0, None, 0.4),
        ("B", "乙区", False, "rectifications_overdue", 12.0, 10.0, 2.0, 0.2, 0.2),
    ]), abs_tol=1e-9)


def test_a_rate_on_fewer_than_five_complaints_in_either_year_is_not_ranked():
    now = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": 0.25,
                    "complaints_received": 4, "rectifications_overdue": 0}])
    last = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": 1.0,
                     "complaints_received": 40, "rectifications_overdue": 0}])
    assert W.worsened(now, last, KEYS).is_empty()


def test_only_the_top_n_are_kept_and_ties_go_by_indicator_then_region():
    now = _rollup([{"key": k, "name": k, "own_level": False, "closure_rate": 0.5, "complaints_received": 10,
                    "rectifications_overdue": 6} for k in ("B", "A", "C")])
    last = _rollup([{"key": k, "name": k, "own_level": False, "closure_rate": 0.6, "complaints_received": 10,
                     "rectifications_overdue": 5} for k in ("A", "B", "C")])
    got = W.worsened(now, last, KEYS, n=4)
    # Every region: overdue +20 % (0.2), closure −10 points (0.1).
    assert got.select("key", "metric").rows() == [
        ("A", "rectifications_overdue"), ("B", "rectifications_overdue"), ("C", "rectifications_overdue"),
        ("A", "closure_rate")]


def test_nothing_last_year_or_nothing_now_gives_an_empty_list_of_the_same_columns():
    empty = _rollup([])
    now = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": 0.5,
                    "complaints_received": 10, "rectifications_overdue": 6}])
    assert_frame_equal(W.worsened(now, empty, KEYS), pl.DataFrame(schema=W.SCHEMA))
    assert_frame_equal(W.worsened(empty, now, KEYS), pl.DataFrame(schema=W.SCHEMA))


def test_a_roll_up_of_zeros_and_empty_rates_has_nothing_to_compare_with():
    zeros = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": None,
                      "complaints_received": 0, "rectifications_overdue": 0}])
    one = _rollup([{"key": "A", "name": "甲区", "own_level": False, "closure_rate": None,
                    "complaints_received": 0, "rectifications_overdue": 1}])
    assert (W.has_values(zeros, KEYS), W.has_values(one, KEYS)) == (False, True)


@pytest.mark.parametrize(("period", "as_of", "expected"), [
    # 本月 on 2 December: December's first two days against last December's first two.
    ((D(2024, 12, 1), D(2024, 12, 2)), D(2024, 12, 2),
     ((D(2024, 12, 1), D(2024, 12, 2), D(2024, 12, 2)), (D(2023, 12, 1), D(2023, 12, 2), D(2023, 12, 2)))),
    # A range running past as_of stops at as_of, and so does last year's.
    ((D(2024, 3, 1), D(2024, 3, 31)), D(2024, 3, 5),
     ((D(2024, 3, 1), D(2024, 3, 5), D(2024, 3, 5)), (D(2023, 3, 1), D(2023, 3, 5), D(2023, 3, 5)))),
    # A finished March seen on 10 April: last March whole, its as_of 10 days after its end.
    ((D(2024, 3, 1), D(2024, 3, 31)), D(2024, 4, 10),
     ((D(2024, 3, 1), D(2024, 3, 31), D(2024, 4, 10)), (D(2023, 3, 1), D(2023, 3, 31), D(2023, 4, 10)))),
    # A leap February: last year's February to its 28th.
    ((D(2024, 2, 1), D(2024, 2, 29)), D(2024, 2, 29),
     ((D(2024, 2, 1), D(2024, 2, 29), D(2024, 2, 29)), (D(2023, 2, 1), D(2023, 2, 28), D(2023, 2, 28)))),
])
def test_yoy_windows_compare_the_same_elapsed_days(period, as_of, expected):
    assert W.yoy_windows(*period, as_of) == expected


def test_on_the_fixture_district_a_overdue_rose_from_none_to_two():
    """March 2024 against March 2023 on the hand-built city: 甲区 has r2 and r5 overdue at
    31 March 2024 and nothing at 31 March 2023 (r5 was due only in June 2023); the complaint
    rates have no last-year base, 乙区 nothing overdue."""
    t = fx.tables()
    (s, e, a), (ls, le, la) = W.yoy_windows(*fx.MARCH, fx.AS_OF)
    keys = W.needed()
    now = metrics.rollup(t, Filters(s, e), Scope(), a, keys)
    last = metrics.rollup(t, Filters(ls, le), Scope(), la, keys)
    assert_frame_equal(W.worsened(now, last), _expected([
        (fx.DIST_A, "甲区", False, "rectifications_overdue", 2.0, 0.0, 2.0, None, 0.4)]))


# --- warnings grouped by rule and unit ----------------------------------------------------------

def _warnings(rows: list[tuple]) -> pl.DataFrame:
    cols = ["rule", "level", "unit", "district", "township", "days", "lag_points"]
    return pl.DataFrame(rows, schema={"rule": pl.String, "level": pl.String, "unit": pl.String,
                                      "district": pl.String, "township": pl.String, "days": pl.Int64,
                                      "lag_points": pl.Float64}, orient="row").select(cols)


def _groups(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"rule": pl.String, "level": pl.String, "unit": pl.String,
                                      "area": pl.String, "warnings": pl.Int64, "worst": pl.Float64},
                        orient="row")


def test_warnings_group_by_rule_and_unit_with_count_and_oldest_days():
    w = _warnings([
        ("R1", "红", "水利局", "甲区", "甲一镇", 30, None),
        ("R1", "红", "水利局", "甲区", "甲二街道", 45, None),
        ("R1", "红", "农业局", "乙区", "乙一乡", 10, None),
        ("C1", "红", None, "甲区", "甲一镇", 5, None),
        ("C1", "红", None, "甲区", "甲一镇", 9, None),
        ("C1", "红", None, "甲区", "甲一镇", 2, None),
        ("C1", "红", None, "乙区", None, 7, None),
        ("R2", "橙", "水利局", "甲区", "甲一镇", 3, None),
        ("R2", "橙", "水利局", "甲区", "甲一镇", 1, None),
        ("R3", "黄", "农业局", "乙区", "乙一乡", None, 35.0),
        ("R3", "黄", "农业局", "乙区", "乙一乡", None, 50.0),
    ])
    # Red first; within red the larger group first, then the older; complaints by their township (else district);
    # R2 counts down (1 day left is its most serious), R3 by its largest lag.
    assert_frame_equal(boards.warning_groups(w), _groups([
        ("C1", "红", None, "甲一镇", 3, 9.0),
        ("R1", "红", "水利局", None, 2, 45.0),
        ("R1", "红", "农业局", None, 1, 10.0),
        ("C1", "红", None, "乙区", 1, 7.0),
        ("R2", "橙", "水利局", None, 2, 1.0),
        ("R3", "黄", "农业局", None, 2, 50.0),
    ]))


def test_one_rule_takes_at_most_per_rule_lines_so_others_are_seen():
    w = _warnings([("C1", "红", None, "甲区", f"镇{i}", 10 + i, None) for i in range(5)]
                  + [("K1", "橙", "财政局", "甲区", "镇0", 200, None)])
    got = boards.warning_groups(w, n=4, per_rule=2)
    # Five one-warning C1 groups: the two oldest (镇4, 镇3) are kept, then K1.
    assert_frame_equal(got, _groups([
        ("C1", "红", None, "镇4", 1, 14.0),
        ("C1", "红", None, "镇3", 1, 13.0),
        ("K1", "橙", "财政局", None, 1, 200.0),
    ]))


def test_no_warnings_no_groups():
    assert boards.warning_groups(_warnings([])).is_empty()
