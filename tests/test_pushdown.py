"""The pushdown mode (sums computed by the database) gives exactly the in-memory numbers.

Run on both backends: PostgreSQL is where the mode is meant to run; SQLite keeps the SQL
portable. The demo city at a small scale exercises every part, level and category filter."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.demo import generate
from queries import metrics, store
from queries.filters import Filters, Scope
from queries.pushdown import SqlSource
from tests import fixtures as fx

END = date(2025, 12, 31)


@pytest.fixture(scope="module")
def demo():
    return generate(scale=0.05, seed=3, end=END).tables


def _stores(url, tables):
    store.replace_all(url, tables, None)
    return tables, SqlSource(url)


def _codes(tables, level):
    return tables.regions.filter(pl.col("level") == level)["code"].sort().to_list()


def test_summary_of_the_fixture_city_is_the_hand_computed_one(db_url):
    _, sql = _stores(db_url, fx.tables())
    assert metrics.summary(sql, Filters(*fx.MARCH), Scope(), fx.AS_OF) == fx.MARCH_SUMMARY


def test_compare_matches_memory_for_every_metric(db_url, demo):
    mem, sql = _stores(db_url, demo)
    f = Filters(date(2025, 1, 1), END)
    for scope in (Scope(), Scope(_codes(demo, "district")[1])):
        got, want = metrics.compare(sql, f, scope, END), metrics.compare(mem, f, scope, END)
        assert got.keys() == want.keys()
        for key, values in want.items():
            assert got[key].keys() == values.keys()
            for name, value in values.items():
                assert (got[key][name] is None) == (value is None), (key, name)
                if value is not None:
                    assert got[key][name] == pytest.approx(value, rel=1e-9), (key, name)


def test_rollup_matches_memory_at_each_level_and_with_category_filters(db_url, demo):
    mem, sql = _stores(db_url, demo)
    district = _codes(demo, "district")[2]
    township = next(c for c in _codes(demo, "township") if c.startswith(district[:6]))
    fields = tuple(demo.cases["field"].drop_nulls().unique().sort()[:2])
    for f in (Filters(date(2025, 1, 1), END), Filters(date(2024, 4, 1), date(2024, 9, 30), region=district),
              Filters(date(2023, 1, 1), END, region=township), Filters(date(2025, 1, 1), END, fields=fields)):
        want = metrics.rollup(mem, f, Scope(), END)
        assert want.height > 0
        assert_frame_equal(metrics.rollup(sql, f, Scope(), END), want, check_exact=False, rel_tol=1e-9)


@pytest.mark.parametrize("every", ["1mo", "3mo", "1y"])
def test_series_matches_memory_including_stocks(db_url, demo, every):
    mem, sql = _stores(db_url, demo)
    f = Filters(date(2024, 2, 10), END)
    want = metrics.series(mem, f, Scope(), END, every=every)
    assert want["rectifications_overdue"].sum() > 0
    assert_frame_equal(metrics.series(sql, f, Scope(), END, every=every), want, check_exact=False, rel_tol=1e-9)


def test_child_series_matches_memory_at_each_level_including_stocks(db_url, demo):
    mem, sql = _stores(db_url, demo)
    district = _codes(demo, "district")[1]
    township = next(c for c in _codes(demo, "township") if c.startswith(district[:6]))
    for region in (None, district, township):
        f = Filters(date(2024, 2, 10), END, region=region)
        want = metrics.child_series(mem, f, Scope(), END, ("complaints_received", "closure_rate",
                                                           "rectifications_overdue"), "3mo")
        assert want["complaints_received"].sum() > 0
        assert region == township or want["rectifications_overdue"].sum() > 0  # too few at a township
        assert_frame_equal(metrics.child_series(sql, f, Scope(), END, ("complaints_received", "closure_rate",
                                                                       "rectifications_overdue"), "3mo"),
                           want, check_exact=False, rel_tol=1e-9)


def test_scope_clamps_a_region_outside_the_jurisdiction(db_url, demo):
    mem, sql = _stores(db_url, demo)
    own, other = _codes(demo, "district")[:2]
    f = Filters(date(2025, 1, 1), END, region=other)
    got = metrics.compute(sql, f, Scope(own), END, ("complaints_received",))
    assert got == metrics.compute(mem, Filters(date(2025, 1, 1), END, region=own), Scope(), END,
                                  ("complaints_received",))
