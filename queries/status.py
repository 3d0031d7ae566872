"""What a store holds, for `python -m dashboard status` and the app's first-run guidance.

Read-only: counting never creates a table. A store with no schema yet reports zeros, so a
deployment script can ask before and after every step (init → regions → boundaries → ledgers)."""
from __future__ import annotations

import sqlalchemy as sa

from queries.accounts import ACCOUNTS
from queries.regions import level_of
from queries.schema import BOUNDARY_TABLE, LEVELS, META_TABLE, SA_TABLES, TABLE_NAMES


def _count(conn: sa.Connection, names: set[str], table: sa.Table, *where: sa.ColumnElement) -> int:
    if table.name not in names:
        return 0
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def status(engine: sa.Engine) -> dict:
    """The keys of docs/cli.md (status): demo, data_version, rows, regions_by_level,
    boundaries_by_level, label_points_missing, accounts."""
    names = set(sa.inspect(engine).get_table_names())
    regions = SA_TABLES["regions"]
    with engine.connect() as conn:
        meta = dict(conn.execute(sa.select(META_TABLE.c.key, META_TABLE.c.value)).all()) if "meta" in names else {}
        rows = {t: _count(conn, names, SA_TABLES[t]) for t in TABLE_NAMES}
        by_level = dict.fromkeys(LEVELS, 0)
        if "regions" in names:
            for level, n in conn.execute(sa.select(regions.c.level, sa.func.count()).group_by(regions.c.level)):
                if level in by_level:
                    by_level[level] = int(n)
        boundaries = dict.fromkeys(LEVELS, 0)
        if BOUNDARY_TABLE.name in names:
            for (code,) in conn.execute(sa.select(BOUNDARY_TABLE.c.code)):
                try:
                    boundaries[level_of(code)] += 1
                except ValueError:
                    continue  # import refuses such codes; an old store's stray row is not counted
        missing = _count(conn, names, regions, sa.or_(regions.c.lon.is_(None), regions.c.lat.is_(None)))
        n_accounts = _count(conn, names, ACCOUNTS)
    return {"demo": meta.get("dataset") == "demo", "data_version": int(meta.get("data_version") or 0),
            "rows": rows, "regions_by_level": by_level, "boundaries_by_level": boundaries,
            "label_points_missing": missing, "accounts": n_accounts}


def holds_anything(engine: sa.Engine) -> bool:
    """Whether a store has any ledger row, boundary or account: what `init` refuses to touch."""
    s = status(engine)
    return bool(sum(s["rows"].values()) or sum(s["boundaries_by_level"].values()) or s["accounts"])
