"""SQLite and PostgreSQL hold the same rows and give identical summaries."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from queries import metrics, store
from queries.filters import Filters, Scope
from queries.schema import TABLE_NAMES, primary_key
from tests import fixtures as fx

BOUNDARY = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": fx.CITY},
     "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}


def test_round_trip_keeps_every_row_and_type(db_url):
    tables = fx.tables()
    store.replace_all(db_url, tables, BOUNDARY)
    loaded = store.load_tables(db_url)
    for name in TABLE_NAMES:
        key = primary_key(name)
        assert_frame_equal(getattr(loaded, name).sort(key), getattr(tables, name).sort(key))


def test_boundaries_round_trip(db_url):
    store.replace_all(db_url, fx.tables(), BOUNDARY)
    assert store.load_boundaries(db_url) == BOUNDARY


def test_summary_is_identical_on_both_backends(db_url):
    store.replace_all(db_url, fx.tables(), None)
    got = metrics.summary(store.load_tables(db_url), Filters(*fx.MARCH), Scope(), fx.AS_OF)
    assert got == fx.MARCH_SUMMARY


def test_every_write_bumps_the_data_version(db_url):
    store.replace_all(db_url, fx.tables(), None)
    before = store.data_version(db_url)
    store.upsert(db_url, {"cases": pl.DataFrame({"case_id": ["c9"], "region_code": [fx.V_A1a]})})
    assert store.data_version(db_url) == before + 1


def test_upserting_the_same_rows_twice_changes_nothing(db_url):
    store.replace_all(db_url, fx.tables(), None)
    rows = {"cases": pl.DataFrame({"case_id": ["c1", "c9"], "region_code": [fx.V_B1a, fx.V_A1a],
                                   "filed_on": [date(2024, 3, 2), date(2024, 3, 3)]})}
    store.upsert(db_url, rows)
    once = store.load_tables(db_url).cases.sort("case_id")
    store.upsert(db_url, rows)
    twice = store.load_tables(db_url).cases.sort("case_id")
    assert_frame_equal(once, twice)
    assert once.height == 5
    assert once.filter(pl.col("case_id") == "c1")["region_code"].item() == fx.V_B1a


def test_replace_all_is_all_or_nothing(db_url):
    store.replace_all(db_url, fx.tables(), None)
    bad = fx.tables()
    dup = pl.concat([bad.cases, bad.cases.head(1)])  # duplicate primary key fails the insert
    with pytest.raises(sa.exc.IntegrityError, match="(?i)unique|duplicate"):
        store.replace_all(db_url, type(bad)(**{**bad.as_dict(), "cases": dup}), None)
    assert store.load_tables(db_url).cases.height == 4


def test_category_columns_are_categorical_in_memory_and_text_in_the_database(db_url):
    store.replace_all(db_url, fx.tables())
    loaded = store.read_table(db_url, "complaints")
    assert loaded.schema["channel"] == pl.Categorical
    with store.engine_for(db_url).connect() as conn:
        stored = conn.exec_driver_sql("SELECT channel FROM complaints WHERE complaint_id = 'q2'").scalar_one()
    assert stored == "电话" and isinstance(stored, str)


def test_an_upsert_with_fewer_columns_keeps_the_others_on_existing_rows(db_url):
    # c1 was closed on 2024-03-31 with 1 党纪处分 and 2.5 万元 recovered; the file has no such columns.
    store.replace_all(db_url, fx.tables(), None)
    store.upsert(db_url, {"cases": pl.DataFrame({"case_id": ["c1", "c9"], "region_code": [fx.V_A1b, fx.V_A1a],
                                                 "filed_on": [date(2024, 3, 2), date(2024, 3, 3)]})})
    cases = store.load_tables(db_url).cases.sort("case_id")
    c1 = cases.filter(pl.col("case_id") == "c1")
    assert c1.select("region_code", "filed_on", "closed_on", "party_discipline", "amount_recovered").rows() == [
        (fx.V_A1b, date(2024, 3, 2), date(2024, 3, 31), 1, 2.5)]
    c9 = cases.filter(pl.col("case_id") == "c9")
    assert c9.select("closed_on", "party_discipline").rows() == [(None, None)]  # a new row: the rest empty


def test_an_upsert_of_only_ids_leaves_existing_rows_unchanged(db_url):
    store.replace_all(db_url, fx.tables(), None)
    store.upsert(db_url, {"progress_updates": pl.DataFrame({"item_id": ["r1"], "reported_on": [date(2024, 3, 1)],
                                                            "progress_pct": [10.0]})})
    store.upsert(db_url, {"progress_updates": pl.DataFrame({"item_id": ["r1"], "reported_on": [date(2024, 3, 1)]})})
    assert store.load_tables(db_url).progress_updates.select("item_id", "progress_pct").rows() == [("r1", 10.0)]


def test_a_streamed_upsert_with_fewer_columns_keeps_the_others(db_url):
    store.replace_all(db_url, fx.tables(), None)
    store.upsert_batches(db_url, "complaints", iter([pl.DataFrame({"complaint_id": ["q2"], "region_code": [fx.V_A1a]})]))
    q2 = store.load_tables(db_url).complaints.filter(pl.col("complaint_id") == "q2")
    assert q2.select("region_code", "received_on", "satisfaction").rows() == [(fx.V_A1a, date(2024, 3, 5), "不满意")]


def test_real_ledgers_imported_into_a_demo_store_make_it_mixed(db_url):
    store.replace_all(db_url, fx.tables(), None, dataset="demo")
    store.upsert(db_url, {"cases": pl.DataFrame({"case_id": ["c9"], "region_code": [fx.V_A1a]})})
    assert store.get_meta(db_url, "dataset") == "mixed"


def test_an_import_into_a_ledger_store_keeps_it_a_ledger_store(db_url):
    store.replace_all(db_url, fx.tables(), None, dataset="ledger")
    store.upsert_batches(db_url, "cases", iter([pl.DataFrame({"case_id": ["c9"], "region_code": [fx.V_A1a]})]))
    assert store.get_meta(db_url, "dataset") == "ledger"


def test_a_streamed_import_into_a_demo_store_makes_it_mixed(db_url):
    store.replace_all(db_url, fx.tables(), None, dataset="demo")
    store.upsert_batches(db_url, "cases", iter([pl.DataFrame({"case_id": ["c9"], "region_code": [fx.V_A1a]})]))
    assert store.get_meta(db_url, "dataset") == "mixed"
