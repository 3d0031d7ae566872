"""Detail tables: which rows match (newest first), the region path, the search, and the stored
order that lets a filter change skip the sort."""
from __future__ import annotations

from datetime import date as D

import polars as pl
from polars.testing import assert_frame_equal

from queries import details, store
from queries.filters import Filters, Scope
from queries.schema import Tables, sort_newest_first
from tests import fixtures as fx

MARCH = Filters(*fx.MARCH)


def _complaints(tables: Tables, **kw) -> list[str]:
    index = details.match_index(tables, "complaints", kw.pop("filters", MARCH), kw.pop("scope", Scope()),
                                fx.AS_OF, **kw)
    return details.rows(tables, "complaints", index)["complaint_id"].to_list()


def test_matches_come_newest_first_from_an_unsorted_ledger():
    assert _complaints(fx.tables()) == ["q3", "q4", "q2", "q1"]


def test_matches_from_a_ledger_stored_newest_first_are_the_same():
    t = fx.tables()
    ordered = Tables(**{k: sort_newest_first(k, v) for k, v in t.as_dict().items()})
    assert ordered.complaints["received_on"].flags["SORTED_DESC"]
    assert _complaints(ordered) == _complaints(t)


def test_a_township_filter_keeps_only_its_villages():
    assert _complaints(fx.tables(), filters=Filters(*fx.MARCH, region=fx.TOWN_A1)) == ["q2", "q1"]


def test_open_only_ignores_the_period_and_keeps_unfinished_records():
    # q3 is open; q4 closes after as_of.
    assert _complaints(fx.tables(), open_only=True) == ["q3", "q4"]


def test_search_matches_a_township_name_through_the_region_path():
    assert _complaints(fx.tables(), search="甲二") == ["q3"]


def test_search_matches_text_columns_ignoring_case():
    assert _complaints(fx.tables(), search="Q4") == ["q4"]
    assert _complaints(fx.tables(), search="电话") == ["q2"]


def test_search_finds_names_of_codes_missing_from_the_region_table():
    t = fx.tables()
    t = Tables(**{**t.as_dict(), "complaints": t.complaints.with_columns(
        pl.when(pl.col("complaint_id") == "q4").then(pl.lit("990102001099")).otherwise(pl.col("region_code"))
        .alias("region_code"))})
    # 990102001099 is not a known village, but its township (乙一乡) is.
    assert _complaints(t, search="乙一") == ["q4"]


def test_rows_put_the_region_path_in_front_and_keep_the_given_order():
    t = fx.tables()
    got = details.rows(t, "complaints", pl.Series([2, 0], dtype=pl.UInt32))
    assert got.columns[:4] == ["district", "township", "village", "complaint_id"]
    assert got.select("complaint_id", "district", "township", "village").rows() == [
        ("q3", "甲区", "甲二街道", "南社区"), ("q1", "甲区", "甲一镇", "东村")]


def test_detail_is_the_rows_of_the_matches():
    t = fx.tables()
    index = details.match_index(t, "cases", MARCH, Scope(), fx.AS_OF)
    assert_frame_equal(details.detail(t, "cases", MARCH, Scope(), fx.AS_OF), details.rows(t, "cases", index))


def test_ledgers_load_newest_first(tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    store.replace_all(url, fx.tables())
    loaded = store.load_tables(url)
    assert loaded.complaints["complaint_id"].to_list() == ["q3", "q4", "q2", "q1", "q5"]
    assert loaded.cases["filed_on"].flags["SORTED_DESC"]


def test_a_ledger_already_newest_first_is_flagged_not_copied():
    frame = pl.DataFrame({"complaint_id": ["b", "a"], "received_on": [D(2024, 3, 2), D(2024, 3, 1)]})
    out = sort_newest_first("complaints", frame)
    assert out["received_on"].flags["SORTED_DESC"]
    assert out["complaint_id"].to_list() == ["b", "a"]


def test_a_ledger_with_missing_dates_sorts_them_last():
    frame = pl.DataFrame({"complaint_id": ["n", "a", "b"], "received_on": [None, D(2024, 3, 1), D(2024, 3, 2)]})
    assert sort_newest_first("complaints", frame)["complaint_id"].to_list() == ["b", "a", "n"]
