"""Storage: SQLAlchemy for the schema and transactions, Arrow (ADBC) for moving bulk rows.

SQLite is the embedded default; PostgreSQL is the multi-user store. Both go through the same
functions here, and every frame that comes out is cast to the declared schema, so queries never
see a difference between the two.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from queries.ddl import create_tables, file_lock, schema_lock
from queries.schema import (
    BOUNDARY_TABLE, COLUMNS, LABEL_TABLE, META_TABLE, SA_TABLES, TABLE_NAMES, Tables, conform, polars_schema,
    MAIN_DATE, primary_key, sort_newest_first,
)

DEFAULT_URL = "sqlite:///data/oversight.db"


class StoreError(Exception):
    """A storage problem worth one clear line to the user (bad URL, unreachable server)."""


READ_ONLY = "数据库只读，未写入任何数据"
DISK_FULL = "磁盘空间不足，未写入任何数据（请清理数据库所在磁盘后重试）"


def storage_problem(exc: BaseException) -> str | None:
    """The one line for a write the storage refused, read-only or out of space (SQLite's and
    PostgreSQL's own errors, or the OS's), else None: those are the operator's to fix, and a
    traceback tells a user nothing more. Checked on the driver's error under SQLAlchemy's."""
    import errno

    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "errno", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    text = str(orig).lower()
    if code == errno.ENOSPC or state in ("53100", "53200") or "disk is full" in text or "no space left" in text:
        return DISK_FULL
    if (code == errno.EROFS or state == "25006" or "readonly database" in text
            or "read-only transaction" in text or "read-only file system" in text):
        return READ_ONLY
    return None


def resolve_url(url: str | None = None) -> str:
    """Explicit argument, then OVERSIGHT_DB_URL, then the embedded SQLite default."""
    return url or os.environ.get("OVERSIGHT_DB_URL") or DEFAULT_URL


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> str:
    return make_url(url).database or ":memory:"


def adbc_uri(url: str) -> str:
    """The URI an ADBC driver wants for a SQLAlchemy URL (a file path, or a libpq URI)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return _sqlite_path(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


_ENGINES: dict[str, sa.Engine] = {}


def engine_for(url: str) -> sa.Engine:
    """One engine per URL per process; SQLite files get WAL so readers never block the writer."""
    if url in _ENGINES:
        return _ENGINES[url]
    try:
        u = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"数据库地址无效：{url}") from exc
    if u.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        eng = sa.create_engine(url)

        @sa.event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
    else:
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        eng = sa.create_engine(u, pool_pre_ping=True)
    _ENGINES[url] = eng
    return eng


def init_schema(url: str) -> None:
    eng = engine_for(url)
    create_tables(eng)
    add_missing_columns(eng)
    _ensure_store_id(eng)


def add_missing_columns(eng: sa.Engine) -> None:
    """Bring a store made by an older version up to the declared columns (cases.persons,
    complaints.disposition …): `create_all` makes missing tables but never touches existing
    ones, and every read selects all declared columns. Added columns are nullable, so existing
    rows read as "not stated" (a case's persons then counts as 1). Under the schema lock, so two
    processes starting together do not both add a column."""
    with schema_lock(eng):
        inspector = sa.inspect(eng)
        present = {t: {c["name"] for c in inspector.get_columns(t)}
                   for t in TABLE_NAMES if inspector.has_table(t)}
        prep = eng.dialect.identifier_preparer
        with eng.begin() as conn:
            for t, have in present.items():
                for col in SA_TABLES[t].columns:
                    if col.name not in have:
                        conn.execute(sa.text(f"ALTER TABLE {prep.quote(t)} ADD COLUMN {prep.quote(col.name)} "
                                             f"{col.type.compile(dialect=eng.dialect)}"))


def _ensure_store_id(eng: sa.Engine) -> None:
    """Give the store its random id (see `store_id`) if it has none yet: a new store, or one made
    before ids existed. Under the schema lock, so processes starting together agree on one."""
    t = META_TABLE
    with schema_lock(eng), eng.begin() as conn:
        if conn.execute(sa.select(t.c.value).where(t.c.key == "store_id")).scalar_one_or_none() is None:
            conn.execute(t.insert().values(key="store_id", value=uuid.uuid4().hex))


def is_empty(url: str) -> bool:
    """True when the store has no regions yet (a first run)."""
    eng = engine_for(url)
    if not sa.inspect(eng).has_table("regions"):
        return True
    with eng.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(SA_TABLES["regions"])).scalar_one() == 0


def data_version(url: str) -> int:
    """A counter bumped by every write; caches key on it so a new import shows without restart."""
    eng = engine_for(url)
    try:
        with eng.connect() as conn:
            value = conn.execute(
                sa.select(META_TABLE.c.value).where(META_TABLE.c.key == "data_version")
            ).scalar_one_or_none()
    except sa.exc.OperationalError:
        return 0
    except sa.exc.ProgrammingError:
        return 0
    return int(value or 0)


def get_meta(url: str, key: str) -> str | None:
    eng = engine_for(url)
    if not sa.inspect(eng).has_table("meta"):
        return None
    with eng.connect() as conn:
        return conn.execute(sa.select(META_TABLE.c.value).where(META_TABLE.c.key == key)).scalar_one_or_none()


# meta "dataset": "demo" (the generated city) or "ledgers" (a store `init` made for real
# ledgers). The app fills a store with the demo only when it has neither a dataset nor regions.
LEDGERS = "ledgers"


def needs_demo(url: str) -> bool:
    """A first run on a store nobody has set up: no dataset recorded and no regions. A store
    made by `init` stays empty until its own ledgers are imported, whatever the app does."""
    return get_meta(url, "dataset") is None and is_empty(url)


def mark_dataset(url: str, dataset: str) -> None:
    """Record what the store holds (see LEDGERS), as a write: caches see the new version."""
    with _write_tx(url) as tx:
        _set_meta(tx.conn, "dataset", dataset)


def _set_meta(conn: sa.Connection, key: str, value: str) -> None:
    conn.execute(META_TABLE.delete().where(META_TABLE.c.key == key))
    conn.execute(META_TABLE.insert().values(key=key, value=value))


def _bump_version(conn: sa.Connection) -> int:
    """Add one to the data version in one statement and return the new value.

    One UPDATE, not a read then a write: on PostgreSQL two imports committing at the same moment
    (two app processes) each read n and both wrote n + 1, so the caches of every process keyed on
    n + 1 could hold either import's rows and miss the other's. The row lock makes the second
    UPDATE wait and add to the first one's value."""
    t = META_TABLE
    bumped = conn.execute(
        t.update().where(t.c.key == "data_version")
        .values(value=sa.cast(sa.cast(t.c.value, sa.Integer) + 1, sa.String))
        .returning(t.c.value)).scalar_one_or_none()
    if bumped is None:
        conn.execute(t.insert().values(key="data_version", value="1"))
        bumped = "1"
    return int(bumped)


def store_id(url: str) -> str | None:
    """A random id the store gets when its schema is made or first written. Snapshots carry it, so a snapshot folder
    shared by several databases (staging and production on one server) or outliving its database
    (a store deleted and recreated starts again at version 1) never serves another store's rows."""
    try:
        return get_meta(url, "store_id")
    except sa.exc.SQLAlchemyError:
        return None


def select_all(table: str) -> str:
    """The query reading every declared column of `table` (names from schema.py, not input)."""
    return f"SELECT {', '.join(name for name, _, _ in COLUMNS[table])} FROM {table}"


def read_table(url: str, table: str) -> pl.DataFrame:
    """One table with the declared schema (Arrow from PostgreSQL, sqlite3 from SQLite)."""
    query = select_all(table)
    if is_sqlite(url):
        return _read_sqlite(url, table, query)
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(adbc_uri(url)) as conn, conn.cursor() as cur:
        cur.execute(query)
        arrow = cur.fetch_arrow_table()
    return conform(table, pl.from_arrow(arrow))


SQLITE_READ_ROWS = 250_000


def _read_sqlite(url: str, table: str, query: str) -> pl.DataFrame:
    """SQLite is read through Python's own sqlite3, the same library SQLAlchemy writes with.

    Drivers that bundle their own SQLite (ADBC, connectorx) are faster, but two SQLite copies
    in one process do not share WAL locks: they read stale data after a write in the same
    process, and SQLite warns such setups can corrupt the file. So connectorx reads whole
    versions in a process of its own (`queries/sqlite_apart.py`), and this is the fallback."""
    import sqlite3

    raw_schema = {n: (pl.String if d == pl.Date else pl.Int64 if d == pl.Boolean else d)
                  for n, d in polars_schema(table).items()}
    con = sqlite3.connect(_sqlite_path(url))
    chunks = []
    try:
        cursor = con.execute(query)
        # In slices: Python row tuples take several times the memory of the columns they
        # become, so a whole ledger of millions of rows at once would need many gigabytes.
        while rows := cursor.fetchmany(SQLITE_READ_ROWS):
            chunks.append(conform(table, pl.DataFrame(rows, schema=raw_schema, orient="row")))
    finally:
        con.close()
    if not chunks:
        return conform(table, pl.DataFrame(schema=raw_schema))
    return pl.concat(chunks, rechunk=True)


def load_tables(url: str) -> Tables:
    """Read every ledger into polars with the declared schema."""
    return Tables(**{t: sort_newest_first(t, read_table(url, t)) for t in TABLE_NAMES})


def snapshot_dir(url: str) -> Path | None:
    """Where Parquet copies of the ledgers live: beside a SQLite file (same permissions as the
    data it copies), or OVERSIGHT_SNAPSHOT_DIR for a server database; None disables them."""
    configured = os.environ.get("OVERSIGHT_SNAPSHOT_DIR")
    if configured:
        return Path(configured)
    if is_sqlite(url) and _sqlite_path(url) != ":memory:":
        return Path(_sqlite_path(url) + ".snapshot")
    return None


def load_tables_cached(url: str, version: int) -> Tables:
    """`load_tables`, through a Parquet snapshot of data version `version` when there is one.

    Reading millions of rows from SQLite row by row takes minutes, from PostgreSQL half a minute;
    the same rows from Parquet take a second or two. Our own writes leave the new version's
    snapshot (`_carry_snapshot`); after any other write, the first load pays the database read and
    leaves it. Several app processes may share one snapshot folder: a write through any of them
    then spares the others the database read, and when a version has no snapshot yet, one
    process reads the database while the others wait for its snapshot (`_load_lock`)."""
    base = snapshot_dir(url)
    ident = store_id(url) if base is not None else None
    if base is None or ident is None:
        return load_tables(url)
    found = _read_snapshot(base / f"v{version}", ident)
    if found is not None:
        return found
    with _load_lock(base, version):
        found = _read_snapshot(base / f"v{version}", ident)  # another process may have written it
        if found is not None:
            return found
        if _snapshot_sqlite_apart(url, version):
            found = _read_snapshot(base / f"v{version}", ident)
            if found is not None:
                return found
        return _read_database(url, version, base, ident)


def ensure_snapshot(url: str, version: int) -> bool:
    """Make sure `version` has a snapshot, reading the database only if no process has written
    one yet; whether it has one now. For a background load: unlike `load_tables_cached`, a
    process that finds the snapshot written by another does not read it."""
    base, ident = snapshot_dir(url), store_id(url)
    if base is None or ident is None:
        return False
    if not has_snapshot(url, version):
        with _load_lock(base, version):
            if not has_snapshot(url, version) and not _snapshot_sqlite_apart(url, version):
                _read_database(url, version, base, ident)
    return has_snapshot(url, version)


def _snapshot_sqlite_apart(url: str, version: int) -> bool:
    """A SQLite file's snapshot written by a reader process of its own (`queries/sqlite_apart.py`:
    several times faster than sqlite3 here, and only safe in another process); False for
    PostgreSQL, or when that reader failed and sqlite3 must read instead."""
    if not is_sqlite(url) or _sqlite_path(url) == ":memory:":
        return False
    from queries import sqlite_apart

    return sqlite_apart.snapshot(url, version)


def _read_database(url: str, version: int, base: Path, ident: str) -> Tables:
    """The ledgers from the database, left as `version`'s snapshot only if no write committed
    while they were read one after another: else they may mix two versions, which the cache
    drops at the next rerun but a snapshot would keep."""
    tables = load_tables(url)
    if data_version(url) == version:
        _write_snapshot(base, version, _frames_writer(tables.as_dict()), ident)
    return tables


def has_snapshot(url: str, version: int) -> bool:
    """Whether `version` of this store can be loaded from its snapshot (seconds, not minutes)."""
    base, ident = snapshot_dir(url), store_id(url)
    if base is None or ident is None:
        return False
    return is_snapshot_of(base / f"v{version}", ident)


def is_snapshot_of(here: Path, ident: str) -> bool:
    """Whether folder `here` is a complete snapshot of store `ident` (the id file is written last)."""
    try:
        return (here / STORE_FILE).read_text() == ident
    except OSError:
        return False


def _read_snapshot(here: Path, ident: str) -> Tables | None:
    """The tables in snapshot folder `here` if it is complete and of store `ident`, else None
    (missing, half-removed by a newer version's writer, unreadable or another store's)."""
    if not is_snapshot_of(here, ident):
        return None
    try:
        return Tables(**{t: sort_newest_first(t, conform(t, pl.read_parquet(here / f"{t}.parquet")))
                         for t in TABLE_NAMES})
    except (OSError, pl.exceptions.PolarsError):
        return None  # the caller reads the database and rewrites the snapshot


STORE_FILE = "store_id"


@contextmanager
def _load_lock(base: Path, version: int) -> Iterator[None]:
    """An exclusive lock on `base/.v{version}.lock` while one process loads that version from the
    database; without one (read-only folder) every process reads for itself, as before."""
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    with file_lock(base / f".v{version}.lock"):
        yield


def _write_snapshot(base: Path, version: int, write: Callable[[str, Path], None], ident: str,
                    still_valid: Callable[[], bool] = lambda: True) -> None:
    """Snapshot `version` of store `ident`, `write(table, path)` writing each table's Parquet
    file. Written to a temporary folder, then renamed, so a half-written one is never read; not
    kept if `still_valid()` says no once all is written (the store moved on while it was read).
    Older versions' snapshots (and their lock files) are removed. Failing costs only speed: the
    next load reads the database, as without a snapshot."""
    tmp: Path | None = None
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=base, prefix=".tmp-"))
        for t in TABLE_NAMES:
            write(t, tmp / f"{t}.parquet")
        (tmp / STORE_FILE).write_text(ident)
        if not still_valid():
            return
        here = base / f"v{version}"
        if here.exists():  # an unreadable or another store's snapshot: moved aside in one step
            here.rename(base / f".old-{uuid.uuid4().hex}")
        tmp.rename(here)
        tmp = None
        for old in base.iterdir():
            name = old.name
            if name.startswith(".old-") or (name.startswith(".tmp-") and _abandoned(old)):
                shutil.rmtree(old, ignore_errors=True)
            elif name.startswith("v") and name[1:].isdigit() and int(name[1:]) < version:
                shutil.rmtree(old, ignore_errors=True)
            elif (name.startswith(".v") and name.endswith(".lock") and name[2:-5].isdigit()
                  and int(name[2:-5]) < version):
                old.unlink(missing_ok=True)
    except (OSError, pl.exceptions.PolarsError):
        pass  # a read-only disk or a vanished previous snapshot only costs the next start its speed
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _abandoned(tmp: Path) -> bool:
    """A temporary folder left by a writer that was stopped (a background load replaced by a
    newer version's): untouched for an hour, far longer than any snapshot takes to write."""
    try:
        return time.time() - tmp.stat().st_mtime > 3600
    except OSError:
        return False


def _frames_writer(frames: dict[str, pl.DataFrame]) -> Callable[[str, Path], None]:
    return lambda t, path: sort_newest_first(t, conform(t, frames[t])).write_parquet(path)


def _carry_snapshot(url: str, before: int, after: int, *, replaced: Tables | None = None,
                    upserted: dict[str, pl.DataFrame] | None = None) -> None:
    """After a committed write of ours, the new version's snapshot made from the write itself,
    so the app's next load reads Parquet instead of the database (minutes at millions of rows
    from SQLite): every table `replaced`, or the previous snapshot with the `upserted` rows
    merged in. Only when our write made the version right after the one read before it
    (`after == before + 1`: no other write came in between) and, for an upsert, the previous
    snapshot exists and is this store's; otherwise the next load reads the database."""
    base = snapshot_dir(url)
    ident = store_id(url)
    if base is None or ident is None or after != before + 1:
        return
    if replaced is not None:
        _write_snapshot(base, after, _frames_writer(replaced.as_dict()), ident)
        return
    prev = base / f"v{before}"
    if not is_snapshot_of(prev, ident):
        return
    rows = upserted or {}

    def write(t: str, path: Path) -> None:
        if t in rows:
            _merge_into(t, prev / f"{t}.parquet", rows[t], path)
        else:
            shutil.copyfile(prev / f"{t}.parquet", path)

    _write_snapshot(base, after, write, ident)


def _merge_into(table: str, old: Path, rows: pl.DataFrame, out: Path) -> None:
    """Ledger file `old` after upserting `rows` by primary key, as the database does it (a row
    whose key exists gets the columns `rows` has and keeps its others, a new key is added with
    those others empty, the last of repeated keys wins), streamed to `out`: a few hundred MB at
    13M rows rather than several copies of the ledger. Kept newest first by merging the sorted
    new rows into the sorted old ones, so the next load needs no sort (an unsorted file would
    only cost that load a sort)."""
    pk = primary_key(table)
    given = _given_columns(table, rows)
    rows = rows.select(given).unique(subset=pk, keep="last", maintain_order=True)
    kept_cols = [name for name, _, _ in COLUMNS[table] if name not in given]
    if kept_cols:  # the columns the import did not have: the stored values of existing rows
        stored = pl.scan_parquet(old).select(*pk, *kept_cols).join(rows.select(pk).lazy(), on=pk, how="semi",
                                                                    nulls_equal=True).collect()
        rows = rows.join(stored, on=pk, how="left", maintain_order="left", nulls_equal=True)
    rows = conform(table, rows)
    kept = pl.scan_parquet(old).join(rows.select(pk).lazy(), on=pk, how="anti", maintain_order="left",
                                     nulls_equal=True)
    if table not in MAIN_DATE:
        pl.concat([kept, rows.lazy()]).sink_parquet(out)
        return
    # Newest first is ascending in minus the day number, no date last (as sort_newest_first).
    order = (-pl.col(MAIN_DATE[table]).cast(pl.Int32)).fill_null(2**31 - 1).alias("_order")
    new = rows.lazy().with_columns(order).sort("_order", maintain_order=True)
    kept.with_columns(order).merge_sorted(new, "_order").drop("_order").sink_parquet(out)


@dataclass
class _Write:
    """An open write transaction; `version` is the data version it made, once committed."""
    conn: sa.Connection
    version: int = 0


@contextmanager
def _write_tx(url: str) -> Iterator[_Write]:
    """One transaction for a whole write: committed with the version bump, or rolled back whole.
    A read-only or full store becomes a `StoreError` with its one line (after the rollback)."""
    try:
        eng = engine_for(url)
        create_tables(eng)
        _ensure_store_id(eng)
        with eng.begin() as conn:
            tx = _Write(conn)
            yield tx
            tx.version = _bump_version(conn)
    except (sa.exc.DBAPIError, OSError) as exc:
        message = storage_problem(exc)
        if message is None:
            raise
        raise StoreError(message) from exc


def replace_all(url: str, tables: Tables, boundaries: dict | None = None,
                dataset: str = "demo", progress: Callable[[int], None] | None = None) -> None:
    """Replace the whole store in one transaction (demo generation): all or nothing.

    `dataset` is recorded so every page can label demo figures as 演示数据. `progress` is told
    each chunk's row count: at benchmark sizes the writing takes minutes, longer than generating."""
    before = data_version(url)
    with _write_tx(url) as tx:
        conn = tx.conn
        _set_meta(conn, "dataset", dataset)
        for t in reversed(TABLE_NAMES):
            conn.execute(SA_TABLES[t].delete())
        conn.execute(LABEL_TABLE.delete())
        for t in TABLE_NAMES:
            _bulk_insert(conn, t, getattr(tables, t), progress=progress)
        if boundaries is not None:
            _write_boundaries(conn, boundaries)
    _carry_snapshot(url, before, tx.version, replaced=tables)


def _write_boundaries(conn: sa.Connection, collection: dict) -> None:
    conn.execute(BOUNDARY_TABLE.delete())
    rows = [{"code": f["properties"]["code"], "geometry": json.dumps(f["geometry"], separators=(",", ":"))}
            for f in collection["features"]]
    if rows:
        conn.execute(BOUNDARY_TABLE.insert(), rows)


def save_boundaries(url: str, collection: dict) -> dict[str, list[str]]:
    """Store boundary polygons (a GeoJSON FeatureCollection keyed by property `code`, WGS-84).

    The polygons of the codes in `collection` are replaced and every other code's are kept, so a
    commission can import districts now, townships later, and correct one district by importing
    it again. Label points of regions without a ledger 经度/纬度 follow in the same transaction.
    Returns the codes added, replaced and unchanged (the same geometry again)."""
    from queries.geo import diff_geometries

    before = data_version(url)
    new = {f["properties"]["code"]: f["geometry"] for f in collection["features"]}
    with _write_tx(url) as tx:
        conn = tx.conn
        old = dict(conn.execute(sa.select(BOUNDARY_TABLE.c.code, BOUNDARY_TABLE.c.geometry)
                                .where(BOUNDARY_TABLE.c.code.in_(list(new)))).all()) if new else {}
        diff = diff_geometries({c: json.loads(g) for c, g in old.items()}, new)
        if diff["replaced"]:
            conn.execute(BOUNDARY_TABLE.delete().where(BOUNDARY_TABLE.c.code.in_(diff["replaced"])))
        write = {c: new[c] for c in diff["added"] + diff["replaced"]}
        if write:
            conn.execute(BOUNDARY_TABLE.insert(), [
                {"code": c, "geometry": json.dumps(g, separators=(",", ":"))} for c, g in write.items()])
        regions = _refresh_label_points(conn)
    _carry_snapshot(url, before, tx.version, upserted={"regions": regions} if regions.height else {})
    return diff


def _refresh_label_points(conn: sa.Connection) -> pl.DataFrame:
    """Recompute the label points of regions without a ledger 经度/纬度 (queries.geo.label_points)
    inside a write, after regions or boundaries changed; the region rows it changed, whole."""
    from shapely.geometry import shape

    from queries.geo import label_points

    rows = [dict(r._mapping) for r in conn.execute(sa.select(SA_TABLES["regions"])).all()]
    regions = conform("regions", pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame())
    computed = {c: (lon, lat) for c, lon, lat in conn.execute(
        sa.select(LABEL_TABLE.c.code, LABEL_TABLE.c.lon, LABEL_TABLE.c.lat)).all()}
    fillable = regions.filter(pl.col("lon").is_null() | pl.col("lat").is_null()
                              | pl.col("code").is_in(list(computed)))
    if fillable.is_empty():
        return regions.clear()
    # Only the polygons a point can come from: the region's own and, for siblings spread round
    # their parent's point, the parent's and its children's (a city's villages' polygons are
    # most of the table).
    parents = set(fillable["parent_code"].drop_nulls().to_list())
    needed = (set(fillable["code"].to_list()) | parents
              | set(regions.filter(pl.col("parent_code").is_in(list(parents)))["code"].to_list()))
    geoms = {c: shape(json.loads(g)) for c, g in conn.execute(
        sa.select(BOUNDARY_TABLE.c.code, BOUNDARY_TABLE.c.geometry)).all() if c in needed}
    points = label_points(regions, geoms, computed)
    # Codes whose stored point a ledger has since replaced with a real one are no longer ours.
    conn.execute(LABEL_TABLE.delete())
    if points.height:
        conn.execute(LABEL_TABLE.insert(), points.to_dicts())
    changed = regions.join(points.select("code", pl.col("lon").alias("_lon"), pl.col("lat").alias("_lat")),
                           on="code", how="inner").filter(
        (pl.col("lon") != pl.col("_lon")) | (pl.col("lat") != pl.col("_lat"))
        | pl.col("lon").is_null() | pl.col("lat").is_null())
    t = SA_TABLES["regions"]
    if changed.height:
        conn.execute(t.update().where(t.c.code == sa.bindparam("_code"))
                     .values(lon=sa.bindparam("_lon"), lat=sa.bindparam("_lat")),
                     [{"_code": c, "_lon": x, "_lat": y} for c, x, y in changed.select("code", "_lon", "_lat").iter_rows()])
    return changed.with_columns(pl.col("_lon").alias("lon"), pl.col("_lat").alias("lat")).drop("_lon", "_lat")


def load_boundaries(url: str) -> dict:
    """All boundary polygons as a GeoJSON FeatureCollection with property `code`."""
    eng = engine_for(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.select(BOUNDARY_TABLE.c.code, BOUNDARY_TABLE.c.geometry)).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code}, "geometry": json.loads(geom)}
        for code, geom in rows]}


def _sqlite_rows(df: pl.DataFrame):
    """Rows as plain tuples in SQLite's own storage forms (ISO dates, 0/1), the way SQLAlchemy's
    Date and Boolean types store them, so either writer produces the same file."""
    return df.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in df.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.Int64) for c, t in df.schema.items() if t == pl.Boolean]).iter_rows()


def _sqlite_sql(table: str, upsert: bool, update: tuple[str, ...] | None = None) -> str:
    """One INSERT (or upsert) statement; names come from schema.py, values are bound. An upsert
    updates the `update` columns of an existing row (default: all), and no other."""
    cols = [name for name, _, _ in COLUMNS[table]]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    if upsert:
        pk = primary_key(table)
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in pk and (update is None or c in update))
        sql += f" ON CONFLICT ({', '.join(pk)}) " + (f"DO UPDATE SET {sets}" if sets else "DO NOTHING")
    return sql


def _given_columns(table: str, df: pl.DataFrame) -> tuple[str, ...]:
    """The declared columns `df` has: what an upsert of it may change on existing rows."""
    return tuple(name for name, _, _ in COLUMNS[table] if name in df.columns)


def _upsert_statement(conn: sa.Connection, table: str, update: tuple[str, ...]):
    """The dialect's INSERT … ON CONFLICT updating only `update` (SQLAlchemy, PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        return None  # SQLite goes through `_sqlite_sql` and the driver's executemany
    from sqlalchemy.dialects.postgresql import insert

    sa_table = SA_TABLES[table]
    pk = primary_key(table)
    stmt = insert(sa_table)
    sets = {c: stmt.excluded[c] for c in update if c not in pk}
    return stmt.on_conflict_do_update(index_elements=pk, set_=sets) if sets else \
        stmt.on_conflict_do_nothing(index_elements=pk)


def _bulk_insert(conn: sa.Connection, table: str, df: pl.DataFrame, chunk: int = 50_000,
                 progress: Callable[[int], None] | None = None) -> None:
    """Plain tuples through the driver's executemany on SQLite (about 6× faster than
    SQLAlchemy's dict path, which matters for benchmark-size demos); SQLAlchemy elsewhere."""
    if df.is_empty():
        return
    df = conform(table, df)
    sqlite = conn.dialect.name == "sqlite"
    sql, stmt = (_sqlite_sql(table, upsert=False), None) if sqlite else (None, SA_TABLES[table].insert())
    for start in range(0, df.height, chunk):
        part = df.slice(start, chunk)
        if sqlite:
            conn.exec_driver_sql(sql, list(_sqlite_rows(part)))
        else:
            conn.execute(stmt, part.to_dicts())
        if progress:
            progress(part.height)


def _execute_upsert(conn: sa.Connection, table: str, chunk: pl.DataFrame) -> None:
    """Upsert `chunk`: new rows get every column (those it lacks empty), existing rows only the
    columns `chunk` has, so a ledger with fewer columns never blanks the others."""
    update = _given_columns(table, chunk)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_sqlite_sql(table, upsert=True, update=update), list(_sqlite_rows(conform(table, chunk))))
    else:
        conn.execute(_upsert_statement(conn, table, update), conform(table, chunk).to_dicts())


def _mark_imported(conn: sa.Connection) -> None:
    """A demo store that receives real ledgers is no longer a demo: `dataset` becomes "mixed", so
    demo-only conveniences (OVERSIGHT_DEMO_AUTOLOGIN) stop and the badge says 含演示数据."""
    t = META_TABLE
    conn.execute(t.update().where((t.c.key == "dataset") & (t.c.value == "demo")).values(value="mixed"))


def upsert_batches(url: str, table: str, batches: Iterable[pl.DataFrame],
                   progress: Callable[[int], None] | None = None) -> int:
    """Upsert a stream of frames into one table in ONE transaction (large imports: memory is
    bounded by the batch, and a failure part-way leaves nothing written)."""
    total = 0
    written: list[pl.DataFrame] = []  # for the next snapshot (a ledger the app holds anyway)
    before = data_version(url)
    with _write_tx(url) as tx:
        conn = tx.conn
        _mark_imported(conn)
        for df in batches:
            for start in range(0, df.height, 20_000):
                chunk = df.slice(start, 20_000)
                _execute_upsert(conn, table, chunk)
                total += chunk.height
                if progress:
                    progress(total)
            written.append(df.select(_given_columns(table, df)))
    if written:
        _carry_snapshot(url, before, tx.version, upserted={table: pl.concat(written, how="diagonal_relaxed")})
    return total


def upsert(url: str, frames: dict[str, pl.DataFrame],
           progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Insert or update rows by primary key, all tables in one transaction.

    Importing the same ledger twice must change nothing, so rows are matched on their ids. An
    existing row gets the columns its frame has and keeps the others (`Ingested.writes` gives the
    columns the file had). `progress(done, total)` is called after each chunk (progress bars).
    """
    total = sum(df.height for df in frames.values() if df is not None)
    done = 0
    counts: dict[str, int] = {}
    before = data_version(url)
    with _write_tx(url) as tx:
        conn = tx.conn
        _mark_imported(conn)
        for t in TABLE_NAMES:
            df = frames.get(t)
            if df is None or df.is_empty():
                continue
            df = df.select(_given_columns(t, df))
            for start in range(0, df.height, 20_000):
                chunk = df.slice(start, 20_000)
                _execute_upsert(conn, t, chunk)
                done += chunk.height
                if progress:
                    progress(done, total)
            counts[t] = df.height
        # New regions get label points from the polygons already stored (boundaries imported
        # first), and re-imported regions without 经度/纬度 keep theirs.
        labelled = _refresh_label_points(conn) if "regions" in counts else None
    carried = {t: frames[t] for t in counts}
    if labelled is not None and labelled.height:
        carried["regions"] = pl.concat([conform("regions", frames["regions"]), labelled], how="vertical")
    _carry_snapshot(url, before, tx.version, upserted=carried)
    return counts
