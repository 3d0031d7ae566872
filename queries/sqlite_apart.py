"""A SQLite store's ledgers read into a Parquet snapshot by a process of its own, with connectorx.

Python's sqlite3 builds a tuple per row (~3.4 µs a row: 153 s for the 16M rows of 1M cases);
connectorx reads into Arrow, several times faster. But it bundles its own SQLite, and two SQLite
libraries in one process break each other's POSIX locks (closing one library's file handle drops
the locks the other holds), which SQLite warns can corrupt the file. So it runs only in a
process that opens the database with nothing else: this one, started by `store` when a version
has no snapshot. Whatever goes wrong here, the caller reads the database with sqlite3 instead.

Run as `python -m queries.sqlite_apart VERSION` with OVERSIGHT_SQLITE_URL set (the URL stays out
of the command line, which `ps` shows).
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import polars as pl

URL_ENV = "OVERSIGHT_SQLITE_URL"
ROOT = Path(__file__).resolve().parent.parent
MOVED = 3  # exit code: the store is no longer at the version asked for


def snapshot(url: str, version: int) -> bool:
    """Have a child process write `version`'s snapshot; whether it did."""
    try:
        done = subprocess.run([sys.executable, "-m", "queries.sqlite_apart", str(version)], cwd=ROOT,
                              env={**os.environ, URL_ENV: url}, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    except OSError:
        logging.getLogger(__name__).exception("could not start the SQLite reader")
        return False
    if done.returncode not in (0, MOVED):
        logging.getLogger(__name__).warning("SQLite reader failed, reading with sqlite3: %s",
                                            done.stderr.decode(errors="replace")[-2000:])
    return done.returncode == 0


def _uri(path: str) -> str:
    return "sqlite://" + quote(str(Path(path).resolve()))


def _meta(uri: str) -> dict[str, str]:
    rows = pl.read_database_uri("SELECT key, value FROM meta", uri, engine="connectorx")
    return dict(zip(rows["key"].to_list(), rows["value"].to_list()))


CHUNK_ROWS = 2_000_000


def _read(uri: str, table: str) -> pl.DataFrame:
    """One table in table order with the declared schema, read in rowid ranges of CHUNK_ROWS,
    each split over every core (13M complaints: 11 s on 2 cores against 19 s in one piece) and
    made compact (categories) before the next is read: at most one range of raw strings in
    memory. In one piece if the table has no rowid to split on (WITHOUT ROWID)."""
    from queries import store
    from queries.schema import COLUMNS, conform

    cols = ", ".join(name for name, _, _ in COLUMNS[table])  # names from schema.py, not input
    try:
        bounds = pl.read_database_uri(f"SELECT min(rowid) AS lo, max(rowid) AS hi FROM {table}", uri,
                                      engine="connectorx").row(0)
    except Exception:  # noqa: BLE001 - no rowid
        return conform(table, pl.read_database_uri(store.select_all(table), uri, engine="connectorx"))
    if bounds[0] is None:
        return conform(table, pl.read_database_uri(store.select_all(table), uri, engine="connectorx"))
    chunks = []
    for lo in range(bounds[0], bounds[1] + 1, CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS - 1, bounds[1])
        part = pl.read_database_uri(
            f"SELECT rowid AS _rowid, {cols} FROM {table} WHERE rowid BETWEEN {lo} AND {hi}", uri,
            engine="connectorx", partition_on="_rowid", partition_num=min(os.cpu_count() or 1, 8),
            partition_range=(lo, hi))
        if not part["_rowid"].is_sorted():
            part = part.sort("_rowid")
        chunks.append(conform(table, part.drop("_rowid")))
    return pl.concat(chunks, rechunk=False)


def main(argv: list[str]) -> int:
    from queries import store
    url = os.environ.get(URL_ENV)
    if not url or not store.is_sqlite(url) or len(argv) != 1 or not argv[0].isdigit():
        print("用法：OVERSIGHT_SQLITE_URL=sqlite:///… python -m queries.sqlite_apart 数据版本", file=sys.stderr)
        return 2
    version, base = int(argv[0]), store.snapshot_dir(url)
    uri = _uri(store._sqlite_path(url))
    before = _meta(uri)
    if base is None or before.get("data_version") != str(version) or not before.get("store_id"):
        return MOVED
    def write(table: str, path: Path) -> None:  # one table in memory at a time
        store.sort_newest_first(table, _read(uri, table)).write_parquet(path)

    def unchanged() -> bool:  # a connection per table and part: a write in between would mix versions
        return _meta(uri).get("data_version") == str(version)

    store._write_snapshot(base, version, write, before["store_id"], still_valid=unchanged)
    if not unchanged():
        return MOVED
    # Not store.has_snapshot: that opens the file with sqlite3, beside connectorx's SQLite.
    return 0 if store.is_snapshot_of(base / f"v{version}", before["store_id"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
