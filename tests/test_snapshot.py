"""Parquet snapshots make a restart fast without ever serving another data version's rows."""
from __future__ import annotations

import shutil
from datetime import date as D

import polars as pl
from polars.testing import assert_frame_equal

from queries import store
from queries.schema import TABLE_NAMES, primary_key
from tests import fixtures as fx


def _db(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables(), None)
    return url


def _versions(tmp_path) -> list[str]:
    """The snapshot folders (lock files and the like start with a dot)."""
    return sorted(p.name for p in (tmp_path / "s.db.snapshot").iterdir() if not p.name.startswith("."))


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
    assert _versions(tmp_path) == [f"v{new}"]


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


def _same_as_the_database(url, tables):
    for name in TABLE_NAMES:
        pk = primary_key(name)
        assert_frame_equal(getattr(tables, name).sort(pk), store.read_table(url, name).sort(pk))


def _loaded_without_the_database(url, monkeypatch):
    monkeypatch.setattr(store, "load_tables", _fail)
    got = store.load_tables_cached(url, store.data_version(url))
    monkeypatch.undo()
    return got


def test_replacing_everything_leaves_the_new_versions_snapshot(tmp_path, monkeypatch):
    url = _db(tmp_path)
    _same_as_the_database(url, _loaded_without_the_database(url, monkeypatch))


def test_an_upsert_carries_the_snapshot_forward_as_the_database_has_it(tmp_path, monkeypatch):
    url = _db(tmp_path)
    base = fx.tables().complaints
    changed = base.head(2).with_columns(pl.Series("satisfaction", ["不满意", None], dtype=pl.Categorical))
    new = base.head(1).with_columns(pl.lit("q9").alias("complaint_id"))
    repeated = new.with_columns(pl.lit("网络", pl.Categorical).alias("channel"))  # the same new id twice: last wins
    store.upsert(url, {"complaints": pl.concat([changed, new, repeated])})
    got = _loaded_without_the_database(url, monkeypatch)
    _same_as_the_database(url, got)
    assert got.complaints.filter(pl.col("complaint_id") == "q9")["channel"].to_list() == ["网络"]
    assert got.complaints.height == 6
    assert _versions(tmp_path) == [f"v{store.data_version(url)}"]


def test_a_streamed_import_carries_the_snapshot_forward(tmp_path, monkeypatch):
    url = _db(tmp_path)
    cases = fx.tables().cases
    batches = [cases.head(2).with_columns(pl.lit("新单位").alias("unit_name")),
               cases.head(1).with_columns(pl.lit("c9").alias("case_id"))]
    store.upsert_batches(url, "cases", iter(batches))
    got = _loaded_without_the_database(url, monkeypatch)
    _same_as_the_database(url, got)
    assert got.cases.height == 5


def test_a_carried_snapshot_stays_newest_first_with_rows_merged_in_their_place(tmp_path):
    url = _db(tmp_path)
    cases = fx.tables().cases  # filed 2024-03-01, 2024-02-29, 2024-03-31, 2023-03-10
    store.upsert(url, {"cases": pl.concat([
        cases.head(1).with_columns(pl.lit("c5").alias("case_id"), pl.lit(D(2024, 3, 5)).alias("filed_on")),
        cases.head(1).with_columns(pl.lit("c6").alias("case_id"), pl.lit(D(2023, 1, 1)).alias("filed_on"))])})
    snap = tmp_path / "s.db.snapshot" / f"v{store.data_version(url)}" / "cases.parquet"
    assert pl.read_parquet(snap)["case_id"].to_list() == ["c3", "c5", "c1", "c2", "c4", "c6"]


def test_without_the_previous_snapshot_a_write_leaves_none_and_the_database_is_read(tmp_path):
    url = _db(tmp_path)
    shutil.rmtree(tmp_path / "s.db.snapshot")
    store.upsert(url, {"cases": fx.tables().cases.head(1).with_columns(pl.lit("新单位").alias("unit_name"))})
    assert not (tmp_path / "s.db.snapshot").exists()
    got = store.load_tables_cached(url, store.data_version(url))
    _same_as_the_database(url, got)


def test_a_write_in_between_stops_the_snapshot_being_carried(tmp_path, monkeypatch):
    url = _db(tmp_path)
    before = store.data_version(url)  # our write reads the version (its snapshot exists) …
    carry = store._carry_snapshot
    monkeypatch.setattr(store, "_carry_snapshot", lambda *a, **k: None)
    for unit in ("乙", "甲"):  # … another write commits first, then ours
        store.upsert(url, {"cases": fx.tables().cases.head(1).with_columns(pl.lit(unit).alias("unit_name"))})
    ours = store.data_version(url)
    assert ours == before + 2
    carry(url, before, ours, upserted={"cases": fx.tables().cases.head(1).with_columns(pl.lit("甲").alias("unit_name"))})
    assert _versions(tmp_path) == [f"v{before}"]
    monkeypatch.undo()
    _same_as_the_database(url, store.load_tables_cached(url, ours))


def test_a_temporary_folder_abandoned_by_a_stopped_writer_is_removed_by_the_next_one(tmp_path):
    import os
    import time

    url = _db(tmp_path)
    base = tmp_path / "s.db.snapshot"
    stale, fresh = base / ".tmp-stopped", base / ".tmp-writing"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "cases.parquet").write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    store.upsert(url, {"cases": fx.tables().cases.head(1)})
    assert sorted(p.name for p in base.iterdir() if p.name.startswith(".tmp-")) == [".tmp-writing"]


def test_a_snapshot_carried_past_an_upsert_with_fewer_columns_equals_the_database(tmp_path, monkeypatch):
    url = _db(tmp_path)
    store.load_tables_cached(url, store.data_version(url))
    store.upsert(url, {"cases": pl.DataFrame({"case_id": ["c1", "c9"], "region_code": [fx.V_A1b, fx.V_A1a],
                                              "filed_on": [D(2024, 3, 2), D(2024, 3, 3)]})})
    got = _loaded_without_the_database(url, monkeypatch)
    _same_as_the_database(url, got)
    assert got.cases.filter(pl.col("case_id") == "c1").select("closed_on", "party_discipline").rows() == [
        (D(2024, 3, 31), 1)]


def test_a_snapshot_carried_past_a_streamed_upsert_with_fewer_columns_equals_the_database(tmp_path, monkeypatch):
    url = _db(tmp_path)
    store.load_tables_cached(url, store.data_version(url))
    store.upsert_batches(url, "complaints", iter([pl.DataFrame({"complaint_id": ["q2", "q9"],
                                                                "region_code": [fx.V_A1a, fx.V_A1a]})]))
    got = _loaded_without_the_database(url, monkeypatch)
    _same_as_the_database(url, got)
    assert got.complaints.filter(pl.col("complaint_id") == "q2")["satisfaction"].to_list() == ["不满意"]
