"""Several app processes on one database share one snapshot folder (deployment behind nginx).

A write through any process must spare the others the database read (half a minute at 1M cases
from PostgreSQL), a version without a snapshot must be read from the database once, not once
per process, and nothing may ever serve another store's or another version's rows."""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from queries import refresh, sqlite_apart, store
from queries.schema import META_TABLE, SA_TABLES, TABLE_NAMES, primary_key
from tests import fixtures as fx
from tests.waiting import DEADLINE_S, pg_lock_waiters, wait_until

ROOT = Path(__file__).resolve().parent.parent


def _fail(_url):
    raise AssertionError("read the database although a snapshot exists")


def _same_as_the_database(url, tables):
    for name in TABLE_NAMES:
        pk = primary_key(name)
        assert_frame_equal(getattr(tables, name).sort(pk), store.read_table(url, name).sort(pk))


def _python(code: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_write_through_one_process_is_loaded_by_another_from_the_shared_folder(tmp_path, monkeypatch):
    shared = tmp_path / "snapshots"
    monkeypatch.setenv("OVERSIGHT_SNAPSHOT_DIR", str(shared))
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    writer = _python(
        "import polars as pl\nfrom queries import store\nfrom tests import fixtures as fx\n"
        f"store.upsert({url!r}, {{'cases': fx.tables().cases.head(1)"
        ".with_columns(pl.lit('新单位').alias('unit_name'))})\n",
        {"OVERSIGHT_SNAPSHOT_DIR": str(shared)})
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    monkeypatch.setattr(store, "load_tables", _fail)
    got = store.load_tables_cached(url, store.data_version(url))
    monkeypatch.undo()
    assert got.cases.filter(pl.col("unit_name") == "新单位").height == 1
    _same_as_the_database(url, got)


def test_processes_sharing_a_folder_read_a_new_version_from_the_database_once(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    shared, reads = tmp_path / "snapshots", tmp_path / "reads.log"
    # The process that gets the version's load lock reads only once the other two are blocked
    # on that lock (the kernel lists them), so all three certainly ask at once; without the lock
    # each would read for itself.
    code = (
        "from pathlib import Path\nfrom queries import store\nfrom tests.waiting import flock_waiters, wait_until\n"
        "real = store._snapshot_sqlite_apart\n"  # the first step of reading the database
        "def counted(url, version):\n"
        f"    log = Path({str(reads)!r})\n"
        "    lock = store.snapshot_dir(url) / f'.v{version}.lock'\n"
        "    wait_until(lambda: flock_waiters(lock) == 2 or log.exists())\n"
        "    with log.open('a') as f:\n"
        "        f.write(f'read with {flock_waiters(lock)} waiting\\n')\n"
        "    return real(url, version)\n"
        "store._snapshot_sqlite_apart = counted\n"
        f"t = store.load_tables_cached({url!r}, store.data_version({url!r}))\n"
        "print(t.complaints.height, t.cases.height)\n")
    procs = [_python(code, {"OVERSIGHT_SNAPSHOT_DIR": str(shared)}) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["5 4"] * 3
    assert reads.read_text().splitlines() == ["read with 2 waiting"]


def test_a_snapshot_of_another_database_in_the_same_folder_is_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    staging, production = f"sqlite:///{tmp_path}/staging.db", f"sqlite:///{tmp_path}/production.db"
    store.replace_all(staging, fx.tables())
    store.replace_all(production, dataclasses.replace(fx.tables(), cases=fx.tables().cases.head(1)))
    assert store.data_version(staging) == store.data_version(production) == 1
    store.load_tables_cached(staging, 1)  # the folder now holds staging's v1
    got = store.load_tables_cached(production, 1)
    assert got.cases["case_id"].to_list() == fx.tables().cases.head(1)["case_id"].to_list()
    assert store.load_tables_cached(staging, 1).cases.height == fx.tables().cases.height


def test_a_recreated_database_does_not_get_the_old_ones_snapshot(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    store.load_tables_cached(url, 1)
    store.engine_for(url).dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path}/s.db{suffix}").unlink(missing_ok=True)
    store._ENGINES.pop(url)
    # Another tool creates the store again and writes one case: version 1 again, no snapshot left.
    store.init_schema(url)
    with store.engine_for(url).begin() as conn:
        store._bump_version(conn)
        store._bulk_insert(conn, "cases", fx.tables().cases.head(1))
    got = store.load_tables_cached(url, 1)
    assert got.cases.height == 1


def test_two_writes_committing_at_once_each_get_their_own_version(db_url):
    store.replace_all(db_url, fx.tables())
    before = store.data_version(db_url)
    eng = store.engine_for(db_url)
    other: list[int | BaseException] = []
    stepping = threading.Event()  # SQLite: the second writer's UPDATE has begun to run

    def second_writer() -> None:
        try:
            with eng.begin() as conn:
                if eng.dialect.name == "sqlite":
                    conn.connection.dbapi_connection.set_trace_callback(
                        lambda sql: sql.lstrip().upper().startswith("UPDATE") and stepping.set())
                other.append(store._bump_version(conn))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            other.append(exc)

    with eng.begin() as conn:
        first = store._bump_version(conn)
        thread = threading.Thread(target=second_writer, daemon=True)
        thread.start()
        # The first transaction commits only once the second writer's UPDATE is known to be
        # blocked behind it: PostgreSQL lists it as waiting for the first transaction; SQLite has
        # begun running it while this transaction holds the write lock, so it must wait for it.
        if eng.dialect.name == "sqlite":
            blocked = wait_until(lambda: stepping.is_set() or not thread.is_alive())
        else:
            blocked = wait_until(lambda: pg_lock_waiters(eng, "transactionid") == 1 or not thread.is_alive())
        assert blocked and thread.is_alive(), other
    thread.join(DEADLINE_S)
    assert (first, other) == (before + 1, [before + 2])
    assert store.data_version(db_url) == before + 2


def test_a_store_made_before_store_ids_gets_one_at_start_and_its_snapshots_are_used(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    with store.engine_for(url).begin() as conn:
        conn.execute(META_TABLE.delete().where(META_TABLE.c.key == "store_id"))
    assert store.store_id(url) is None
    store.init_schema(url)  # what the app does when it starts
    assert re.fullmatch("[0-9a-f]{32}", store.store_id(url) or "")  # a random uuid4, as hex
    first = store.load_tables_cached(url, store.data_version(url))  # reads the database once
    monkeypatch.setattr(store, "load_tables", _fail)
    again = store.load_tables_cached(url, store.data_version(url))
    assert_frame_equal(again.cases, first.cases)


def test_a_background_load_leaves_the_new_versions_snapshot(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    shutil.rmtree(tmp_path / "s.db.snapshot")  # as after a write by another tool
    version = store.data_version(url)
    loader = refresh.Refresher()
    assert loader.state(url, version) in (refresh.State.RUNNING, refresh.State.DONE)
    assert loader.wait(url, version, 120) is refresh.State.DONE
    monkeypatch.setattr(store, "load_tables", _fail)
    _same_as_the_database(url, store.load_tables_cached(url, version))


def test_a_background_load_that_cannot_leave_a_snapshot_is_reported_failed():
    loader = refresh.Refresher()
    loader.state("sqlite://", 1)  # in memory: nowhere to put a snapshot
    assert loader.wait("sqlite://", 1, 120) is refresh.State.FAILED


def test_a_write_while_the_ledgers_are_read_leaves_no_snapshot(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    shutil.rmtree(tmp_path / "s.db.snapshot")
    version, real = store.data_version(url), store.load_tables

    def read_while_written(u):
        with store.engine_for(u).begin() as conn:  # another tool commits half-way through the read
            store._bump_version(conn)
        return real(u)

    monkeypatch.setattr(store, "_snapshot_sqlite_apart", lambda *a: False)  # read with sqlite3
    monkeypatch.setattr(store, "load_tables", read_while_written)
    store.load_tables_cached(url, version)
    assert not store.has_snapshot(url, version)


def test_the_separate_sqlite_reader_leaves_the_rows_sqlite3_reads(tmp_path):
    folder = tmp_path / "台账 数据"  # a path that needs quoting in the reader's URI
    folder.mkdir()
    url = f"sqlite:///{folder}/s.db"
    store.replace_all(url, fx.tables())
    shutil.rmtree(folder / "s.db.snapshot")
    assert sqlite_apart.snapshot(url, store.data_version(url))
    got = store.load_tables_cached(url, store.data_version(url))
    _same_as_the_database(url, got)  # read_table reads with sqlite3


def test_the_separate_sqlite_reader_reads_in_ranges_without_losing_or_reordering_rows(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    with store.engine_for(url).begin() as conn:  # a gap in the rowids, as deletions leave
        conn.execute(SA_TABLES["complaints"].delete().where(SA_TABLES["complaints"].c.complaint_id == "q2"))
        store._bump_version(conn)
    version = store.data_version(url)
    reader = _python("import sys\nfrom queries import sqlite_apart\nsqlite_apart.CHUNK_ROWS = 2\n"
                     f"sys.exit(sqlite_apart.main([{str(version)!r}]))\n", {sqlite_apart.URL_ENV: url})
    _, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    got = pl.read_parquet(tmp_path / "s.db.snapshot" / f"v{version}" / "complaints.parquet")
    assert_frame_equal(got, store.sort_newest_first("complaints", store.read_table(url, "complaints")))
    assert got.height == 4


def test_the_separate_sqlite_reader_writes_nothing_for_a_version_the_store_has_left(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    shutil.rmtree(tmp_path / "s.db.snapshot")
    old = store.data_version(url)
    with store.engine_for(url).begin() as conn:
        store._bump_version(conn)
    assert not sqlite_apart.snapshot(url, old)
    assert not (tmp_path / "s.db.snapshot" / f"v{old}").exists()


def test_when_the_separate_sqlite_reader_fails_sqlite3_reads_instead(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    shutil.rmtree(tmp_path / "s.db.snapshot")
    monkeypatch.setattr(sqlite_apart, "ROOT", tmp_path)  # no queries package there: the child fails
    assert not sqlite_apart.snapshot(url, store.data_version(url))
    _same_as_the_database(url, store.load_tables_cached(url, store.data_version(url)))


def test_a_background_load_finding_the_snapshot_written_reads_nothing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())  # leaves the version's snapshot, as another process would
    monkeypatch.setattr(store, "load_tables", _fail)
    monkeypatch.setattr(store, "_read_snapshot", lambda *a: pytest.fail("read the snapshot to no purpose"))
    assert store.ensure_snapshot(url, store.data_version(url))


def test_a_background_load_without_a_snapshot_reads_the_database_and_leaves_one(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    store.replace_all(url, fx.tables())
    shutil.rmtree(tmp_path / "s.db.snapshot")
    assert store.ensure_snapshot(url, store.data_version(url))
    assert store.has_snapshot(url, store.data_version(url))
