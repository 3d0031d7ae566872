"""Parquet snapshots make a restart fast without ever serving another data version's rows."""
from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from queries import store
from queries.schema import TABLE_NAMES
from tests import fixtures as fx


def _db(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables(), None)
    return url


def _fail(_url):
    raise AssertionError("read the database although a snapshot exists")


def test_second_load_of_a_version_comes_from_the_snapshot(tmp_path, monkeypatch):
    url = _db(tmp_path)
    version = store.data_version(url)
    first = store.load_tables_cached(url, version)
    assert (tmp_path / "s.db.snapshot" / f"v{version}" / "complaints.parquet").is_file()
    monkeypatch.setattr(store, "load_tables", _fail)
    again = store.load_tables_cached(url, version)
    for name in TABLE_NAMES:
        assert_frame_equal(getattr(again, name), getattr(first, name))


def test_a_write_gets_a_new_snapshot_and_the_old_one_is_removed(tmp_path):
    url = _db(tmp_path)
    old = store.data_version(url)
    store.load_tables_cached(url, old)
    store.upsert(url, {"cases": fx.tables().cases.head(1).with_columns(pl.lit("新单位").alias("unit_name"))})
    new = store.data_version(url)
    assert new > old
    got = store.load_tables_cached(url, new)
    assert got.cases.filter(pl.col("unit_name") == "新单位").height == 1
    assert sorted(p.name for p in (tmp_path / "s.db.snapshot").iterdir()) == [f"v{new}"]


def test_an_unreadable_snapshot_falls_back_to_the_database(tmp_path):
    url = _db(tmp_path)
    version = store.data_version(url)
    store.load_tables_cached(url, version)
    (tmp_path / "s.db.snapshot" / f"v{version}" / "cases.parquet").write_bytes(b"not parquet")
    got = store.load_tables_cached(url, version)
    assert_frame_equal(got.cases.sort("case_id"), fx.tables().cases.sort("case_id"))


def test_sqlite_is_read_in_slices_without_losing_or_reordering_rows(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    whole = store.read_table(url, "complaints")
    monkeypatch.setattr(store, "SQLITE_READ_ROWS", 2)  # five rows: three slices
    assert_frame_equal(store.read_table(url, "complaints"), whole)
    assert whole.height == 5
