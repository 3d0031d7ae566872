"""The metric engine run inside the database: filters and sums become SQL, only totals come back.

For a deployment whose ledgers are too big to hold in each app process, `SqlSource` stands in
for the loaded tables wherever `queries.metrics` takes them (compute, compare, rollup, series):
the same Part definitions are compiled to SQLAlchemy expressions here, so a metric cannot mean
one thing in memory and another in PostgreSQL (the tests check both give the same numbers).
Every value reaches the database as a bound parameter. It also runs on SQLite, which keeps the
tests honest on the embedded store, but PostgreSQL is where it pays.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
import sqlalchemy as sa

from queries import store
from queries.persons import selectable
from queries.facts import FILTER_COLUMNS
from queries.filters import Filters, Scope, effective_region
from queries.metrics import KEY, MONTH, Part, Value, by_source
from queries.persons import LISTED
from queries.regions import child_level, child_rows, level_of, prefix_of, root_code
from queries.schema import PREFIX_LEN

CODE_LEN = 12


def sql_value(value: Value, t: sa.Table, as_of: date) -> sa.ColumnElement:
    """The SQL twin of `Value.__call__`: what one row contributes (null counts as 0 / false)."""
    c = [t.c[n] for n in value.cols]
    if value.kind == "count":
        return sa.literal(1)
    if value.kind in ("sum", "unlisted_sum"):
        total = sa.func.coalesce(c[0], 0)
        for x in c[1:]:
            total = total + sa.func.coalesce(x, 0)
        return total if value.kind == "sum" else sa.case((t.c[LISTED].is_(sa.true()), 0), else_=total)
    if value.kind == "unlisted_persons":
        return sa.case((t.c[LISTED].is_(sa.true()), 0), else_=sa.func.coalesce(c[0], 1))
    if value.kind == "times_of":
        return sa.case((c[0].in_(list(value.values)), sa.func.coalesce(c[1], 1)), else_=0)
    if value.kind == "done_by":
        cond = c[0] <= as_of
    elif value.kind == "done_on_time":
        cond = sa.and_(c[0] <= as_of, c[0] <= t.c.due_on)
    elif value.kind == "one_of":
        cond = c[0].in_(list(value.values))
    elif value.kind == "flag":
        cond = c[0].is_(sa.true())
    elif value.kind == "flag_and_present":
        cond = sa.and_(c[0].is_(sa.true()), c[1].is_not(None))
    elif value.kind == "overdue":
        cond = sa.and_(sa.or_(t.c.completed_on.is_(None), t.c.completed_on > as_of), t.c.due_on < as_of)
    else:
        raise ValueError(f"unknown value kind {value.kind}")
    return sa.case((cond, 1), else_=0)


class SqlSource:
    """Part sums computed by the database at `url` (see queries.metrics.Source)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = store.engine_for(url)
        self._regions: pl.DataFrame | None = None

    @property
    def regions(self) -> pl.DataFrame:
        """The region tree is small and needed for names and children: read once."""
        if self._regions is None:
            self._regions = store.read_table(self.url, "regions")
        return self._regions

    def _where(self, t: sa.Table, filters: Filters, scope: Scope) -> list[sa.ColumnElement]:
        preds: list[sa.ColumnElement] = []
        region = effective_region(filters, scope)
        if region is not None:
            # A range rather than LIKE: codes are fixed-width digits, and a range uses the index.
            p = prefix_of(region)
            preds.append(t.c.region_code.between(p.ljust(CODE_LEN, "0"), p.ljust(CODE_LEN, "9")))
        for col, attr in FILTER_COLUMNS.items():
            values = getattr(filters, attr)
            if values and col in t.c:
                preds.append(t.c[col].in_(list(values)))
        return preds

    def _month(self, col: sa.ColumnElement) -> sa.ColumnElement:
        if self.engine.dialect.name == "postgresql":
            return sa.func.to_char(col, "YYYY-MM")
        return sa.func.substr(col, 1, 7)  # SQLite keeps dates as ISO text

    def _run(self, stmt: sa.Select) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt).all()]

    def sums(self, parts: Sequence[Part], filters: Filters, scope: Scope, as_of: date,
             by: str | None) -> pl.DataFrame:
        kids = self._children(filters, scope) if by in ("child", "child_month") else None
        frames = []
        for (table, date_col), group in by_source(parts).items():
            t = selectable(table)  # derived columns of queries.persons
            preds = self._where(t, filters, scope)
            if date_col is not None:
                preds.append(t.c[date_col].between(filters.start, filters.end))
            aggs = [sa.cast(sa.func.sum(sql_value(p.value, t, as_of)), sa.Float).label(p.name) for p in group]
            schema = {p.name: pl.Float64 for p in group}
            keys: dict[str, sa.ColumnElement] = {}
            if kids is not None:
                # The child's code prefix; padded back to a code below.
                keys[KEY] = sa.func.substr(t.c.region_code, 1, PREFIX_LEN[kids[1]])
            if by in ("month", "child_month"):
                keys[MONTH] = self._month(t.c[date_col])
            stmt = sa.select(*(k.label(n) for n, k in keys.items()), *aggs).where(*preds)
            if keys:
                stmt = stmt.group_by(*keys.values())
            rows = self._run(stmt)
            frames.append(pl.DataFrame(rows, schema={**{n: pl.String for n in keys}, **schema}, orient="row"))
        if by is None:
            return pl.concat(frames, how="horizontal")
        on = [n for n in (KEY, MONTH) if n in frames[0].columns]
        out = frames[0]
        for f in frames[1:]:
            out = out.join(f, on=on, how="full", coalesce=True)
        if MONTH in on:
            out = out.with_columns((pl.col(MONTH) + "-01").str.to_date("%Y-%m-%d"))
        if kids is not None:
            out = (out.with_columns(pl.col(KEY).str.pad_end(CODE_LEN, "0"))
                   .filter(pl.col(KEY).is_in(kids[0])))  # 本级 included: the region's own code
        return out

    def _children(self, filters: Filters, scope: Scope) -> tuple[list[str], str]:
        """The viewed region's child codes, then its own (本级: its records coded to itself), and
        the child level."""
        region = effective_region(filters, scope) or root_code(self.regions)
        codes = child_rows(self.regions, region)["code"].to_list()
        return codes, child_level(level_of(region)) or "village"

    def stocks(self, parts: Sequence[Part], filters: Filters, scope: Scope,
               ats: Sequence[date]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for (table, _), group in by_source(parts).items():
            t = selectable(table)  # derived columns of queries.persons
            cols = [sa.cast(sa.func.sum(sql_value(p.value, t, at)), sa.Float) for p in group for at in ats]
            row = self._run(sa.select(*cols).where(*self._where(t, filters, scope)))[0]
            for i, p in enumerate(group):
                out[p.name] = [float(v or 0) for v in row[i * len(ats):(i + 1) * len(ats)]]
        return out
