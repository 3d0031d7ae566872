"""Schema changes made safe for several app processes (and sessions) starting at once.

Two processes on one PostgreSQL database that create the tables, the audit log's triggers or the
first-run demo at the same moment collide: PostgreSQL answers concurrent `CREATE OR REPLACE
FUNCTION` with "tuple concurrently updated", two `CREATE TABLE`s after the same existence check
with a duplicate-key error, and two empty-database checks would both write the demo. So every
such change runs under one lock per database: a PostgreSQL advisory lock, or for a SQLite file
an exclusive lock on a file beside it. The lock is re-entrant within a thread, so a first-run
demo written under it can create tables under it too.
"""
from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy as sa

from queries.schema import metadata

# Any fixed 64-bit number; it names this application's schema lock among advisory locks.
_PG_LOCK_KEY = 0x4F56_4552_5349_4748  # "OVERSIGH"
_held = threading.local()


def _sqlite_file(engine: sa.Engine) -> str | None:
    database = engine.url.database
    return None if not database or database == ":memory:" else database


def _acquire(engine: sa.Engine, stack: ExitStack) -> None:
    """Take the lock for `engine`; `stack` releases it."""
    if engine.dialect.name == "postgresql":
        conn = stack.enter_context(engine.connect())
        conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
        conn.commit()
        stack.callback(conn.commit)
        stack.callback(conn.execute, sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
        return
    path = _sqlite_file(engine) if engine.dialect.name == "sqlite" else None
    if path is not None:  # in-memory: one process by definition
        stack.enter_context(file_lock(path + ".lock"))


@contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """An exclusive lock on the file `path` (created if missing) among processes, released on
    exit or when the process dies. None if the file cannot be opened (a read-only folder): then
    each process goes ahead alone, which costs a duplicated effort at worst."""
    try:
        handle = open(path, "a+b")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def schema_lock(engine: sa.Engine) -> Iterator[None]:
    """Hold the database's schema lock (waiting for another process or thread holding it)."""
    keys: set[str] = getattr(_held, "keys", None) or set()
    _held.keys = keys
    key = str(engine.url)
    if key in keys:  # this thread holds it already
        yield
        return
    with ExitStack() as stack:
        _acquire(engine, stack)
        keys.add(key)
        stack.callback(keys.discard, key)
        yield


def create_tables(engine: sa.Engine, tables: list[sa.Table] | None = None) -> None:
    """`metadata.create_all` under the schema lock."""
    with schema_lock(engine):
        metadata.create_all(engine, tables=tables)
