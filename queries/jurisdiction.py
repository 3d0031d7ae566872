"""Jurisdiction on writing: an account imports only inside the region it may see.

Reading is scoped in `queries/filters.py`; the same rule (`filters.in_scope`) decides here what an
import may write, checked on the whole file before anything is written and reported row by row
like every other ingest problem. A record lies where its region code says; a progress report lies
where its rectification item does. The region ledger and the boundaries shape everyone's view,
so only a city-wide import account changes them (README, 账号与权限).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from queries import ledger_headers as lh
from queries.filters import Scope, in_scope
from queries.ingest import ROW, SHEET, Ingested, Problem
from queries.schema import primary_key

REGION_TABLES = ("cases", "complaints", "rectifications")
# Rows whose region may be left blank for their case's (docs/data-model.md persons, link_events).
CASE_TABLES = ("persons", "link_events")
MAX_PER_RULE = 200
CITY_ONLY = "区划台账与区划边界只能由全市范围的工作人员账号导入"


def _rows(origin: pl.DataFrame, frame: pl.DataFrame, bad: pl.Series, value_col: str) -> list[tuple]:
    picked = pl.concat([origin, frame.select(pl.col(value_col).cast(pl.String).alias("_value"))],
                       how="horizontal").filter(bad)
    return picked.select(SHEET, ROW, "_value").head(MAX_PER_RULE).rows()


def check(ingested: Ingested, existing: Mapping[str, pl.DataFrame], scope: Scope) -> list[Problem]:
    """What `ingested` would write outside `scope`, one Problem per row (at most 200 per rule).

    `existing` holds, for cases, complaints and rectifications, the records already stored (at
    least their primary key and region_code): an id that exists elsewhere may not be overwritten,
    and a progress report's item is looked up there when the file does not carry it."""
    if scope.whole_city:
        return []
    problems: list[Problem] = []
    if "regions" in ingested.frames:
        origin = ingested.origin["regions"]
        frame = ingested.frames["regions"]
        for sheet, row, value in _rows(origin, frame, pl.Series([True] * frame.height), "code"):
            problems.append(Problem(sheet, row, lh.canonical("regions", "code"), value or "", CITY_ONLY))
    item_regions: list[pl.DataFrame] = []
    for table in REGION_TABLES:
        frame = ingested.frames.get(table)
        key = primary_key(table)[0]
        stored = existing.get(table)
        if table == "rectifications" and stored is not None:
            item_regions.append(stored.select(key, "region_code"))
        if frame is None:
            continue
        origin = ingested.origin[table]
        header = lh.canonical(table, "region_code")
        outside = frame.select(~in_scope(scope).fill_null(False)).to_series()
        for sheet, row, value in _rows(origin, frame, outside, "region_code"):
            problems.append(Problem(sheet, row, header, value or "", "区划不在本账号的管辖范围内，不能导入"))
        if stored is not None and stored.height:
            theirs = stored.select(key, pl.col("region_code").alias("_stored")).filter(~in_scope(scope, "_stored"))
            taken = frame.select(key).join(theirs, on=key, how="left", maintain_order="left")["_stored"].is_not_null()
            for sheet, row, value in _rows(origin, frame, taken, key):
                problems.append(Problem(sheet, row, lh.canonical(table, key), value or "",
                                        "该编号已有记录属于管辖范围以外的区划，不能覆盖"))
        if table == "rectifications":
            item_regions.insert(0, frame.select(key, "region_code"))  # the file's own rows win
    updates = ingested.frames.get("progress_updates")
    if updates is not None:
        items = (pl.concat(item_regions, how="vertical_relaxed").unique("item_id", keep="first", maintain_order=True)
                 if item_regions else pl.DataFrame(schema={"item_id": pl.String, "region_code": pl.String}))
        joined = updates.select("item_id").join(items, on="item_id", how="left", maintain_order="left")
        unknown = joined["region_code"].is_null()
        outside = joined.select(~in_scope(scope).fill_null(True)).to_series() & ~unknown
        origin = ingested.origin["progress_updates"]
        header = lh.canonical("progress_updates", "item_id")
        for sheet, row, value in _rows(origin, updates, unknown, "item_id"):
            problems.append(Problem(sheet, row, header, value or "", "整改编号不存在，无法确认所属区划，不能导入"))
        for sheet, row, value in _rows(origin, updates, outside, "item_id"):
            problems.append(Problem(sheet, row, header, value or "", "所属整改事项不在本账号的管辖范围内，不能导入"))
    problems += _case_rows(ingested, existing, scope)
    return sorted(problems, key=lambda p: (p.sheet, p.row or 0))


def _case_regions(ingested: Ingested, existing: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """case_id → region_code, the file's own cases first, then the stored ones."""
    parts = [f.select("case_id", "region_code") for f in (ingested.frames.get("cases"), existing.get("cases"))
             if f is not None and f.height]
    if not parts:
        return pl.DataFrame(schema={"case_id": pl.String, "_case_region": pl.String})
    return (pl.concat(parts, how="vertical_relaxed").unique("case_id", keep="first", maintain_order=True)
            .rename({"region_code": "_case_region"}))


def _case_rows(ingested: Ingested, existing: Mapping[str, pl.DataFrame], scope: Scope) -> list[Problem]:
    """Persons and link events lie where their region code says, or, when it is blank, where
    their case lies; one outside the scope, of an unknown case, or overwriting another region's
    row by id is refused."""
    problems: list[Problem] = []
    cases = _case_regions(ingested, existing)
    for table in CASE_TABLES:
        frame = ingested.frames.get(table)
        if frame is None or not frame.height:
            continue
        key = primary_key(table)[0]
        origin = ingested.origin[table]

        def effective(df: pl.DataFrame) -> pl.DataFrame:
            cols = [c for c in (key, "region_code", "case_id") if c in df.columns]
            out = df.select(cols)
            for c in ("region_code", "case_id"):
                if c not in out.columns:
                    out = out.with_columns(pl.lit(None, dtype=pl.String).alias(c))
            out = out.join(cases, on="case_id", how="left", maintain_order="left")
            return out.select(key, "case_id", pl.coalesce("region_code", "_case_region").alias("region_code"))

        mine = effective(frame)
        unknown = mine["region_code"].is_null()
        outside = mine.select(~in_scope(scope).fill_null(True)).to_series() & ~unknown
        case_header = lh.canonical(table, "case_id")
        for sheet, row, value in _rows(origin, mine, unknown, "case_id"):
            problems.append(Problem(sheet, row, case_header, value or "", "案件编号不存在，无法确认所属区划，不能导入"))
        for sheet, row, value in _rows(origin, mine, outside, "region_code"):
            problems.append(Problem(sheet, row, lh.canonical(table, "region_code"), value or "",
                                    "区划（或所属案件的区划）不在本账号的管辖范围内，不能导入"))
        stored = existing.get(table)
        if stored is not None and stored.height:
            theirs = (effective(stored).select(key, pl.col("region_code").alias("_stored"))
                      .filter(~in_scope(scope, "_stored").fill_null(True)))
            taken = frame.select(key).join(theirs, on=key, how="left", maintain_order="left")["_stored"].is_not_null()
            for sheet, row, value in _rows(origin, frame, taken, key):
                problems.append(Problem(sheet, row, lh.canonical(table, key), value or "",
                                        "该编号已有记录属于管辖范围以外的区划，不能覆盖"))
    return problems


def batch_checker(existing: Mapping[str, pl.DataFrame], scope: Scope
                  ) -> Callable[[str, str, pl.DataFrame], list[Problem]]:
    """`check` for `ingest.stream_csv`'s batches (typed frames with their Excel rows)."""
    def check_batch(label: str, table: str, frame: pl.DataFrame) -> list[Problem]:
        batch = Ingested(frames={table: frame.drop(ROW)},
                         origin={table: frame.select(pl.lit(label).alias(SHEET), ROW)})
        return check(batch, existing, scope)

    return check_batch


def may_change_regions(scope: Scope) -> bool:
    """Whether an import account of this scope may replace the region ledger or boundaries."""
    return scope.whole_city


