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


def _rects(due: str, cfg=None) -> set[str]:
    index = details.match_index(fx.tables(), "rectifications", MARCH, Scope(), fx.AS_OF, due=due, cfg=cfg)
    return set(details.rows(fx.tables(), "rectifications", index)["item_id"].to_list())


def test_overdue_filter_keeps_items_open_past_their_due_date_at_as_of():
    # r2 due 15 Mar and open; r5 due in 2023, completed only after as_of; r4 due on as_of is not late.
    assert _rects("overdue") == {"r2", "r5"}


def test_due_soon_filter_keeps_open_items_due_within_the_r2_days():
    assert _rects("due_soon") == {"r4"}  # due on as_of, open: 0 days left


def test_due_soon_filter_follows_the_configured_days():
    from queries.warnings_config import WarningConfig

    rect = {**fx.RECTIFICATIONS, "due_on": [*fx.RECTIFICATIONS["due_on"][:3], D(2024, 4, 10), D(2023, 6, 30)]}
    t = Tables.from_dicts(regions=fx.REGIONS, rectifications=rect)  # r4 now has 10 days left

    def due_soon(days: int) -> list[str]:
        index = details.match_index(t, "rectifications", MARCH, Scope(), fx.AS_OF, due="due_soon",
                                    cfg=WarningConfig(r2_days=days))
        return details.rows(t, "rectifications", index)["item_id"].to_list()

    assert (due_soon(15), due_soon(9)) == (["r4"], [])


def test_due_filter_is_refused_on_other_tables():
    import pytest

    with pytest.raises(ValueError, match="仅整改事项"):
        details.match_index(fx.tables(), "complaints", MARCH, Scope(), fx.AS_OF, due="overdue")


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


# --- the 整改事项 page ------------------------------------------------------------------------

def _rect_page(tmp_path, monkeypatch):
    from tests.apptest import signed_in

    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("staff", params={"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"})
    at.run()
    at.switch_page("app_pages/rectifications.py").run()
    return at


def test_rectifications_page_lists_the_overdue_items(tmp_path, monkeypatch):
    at = _rect_page(tmp_path, monkeypatch)
    at.button_group(key="rectifications_due").set_value("overdue").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["item_id"].to_list()) == ["r2", "r5"]


def test_rectifications_page_prints_no_none_in_empty_cells(tmp_path, monkeypatch):
    at = _rect_page(tmp_path, monkeypatch)
    shown = at.dataframe[0].value.set_index("item_id")
    # The fixture gives r1 and r4 no description, unit or case: the cells read "—".
    assert shown.loc["r4", ["description", "responsible_unit", "case_id"]].tolist() == ["—", "—", "—"]
