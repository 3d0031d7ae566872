"""The detail tables staff filter and export: one table's rows within scope and filters, with
the region path, searchable. The period applies to each table's main date (cases by filing,
complaints by receipt, rectifications by assignment); `open_only` keeps unfinished records of
any date instead."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from queries import filters as flt
from queries.filters import Filters, Scope
from queries.regions import with_region_path
from queries.schema import Tables, polars_schema

MAIN_DATE = {"cases": "filed_on", "complaints": "received_on", "rectifications": "started_on"}
DONE_DATE = {"cases": "closed_on", "complaints": "closed_on", "rectifications": "completed_on"}
PATH = ("district", "township", "village")


def detail(tables: Tables, table: str, filters: Filters, scope: Scope, as_of: date, search: str = "",
           open_only: bool = False) -> pl.DataFrame:
    lf = flt.apply(getattr(tables, table), replace(filters), scope)
    if open_only:
        done = DONE_DATE[table]
        lf = lf.filter(pl.col(done).is_null() | (pl.col(done) > as_of))
    else:
        lf = lf.filter(flt.in_period(MAIN_DATE[table], filters.start, filters.end))
    lf = with_region_path(lf, tables.regions)
    if search.strip():
        text_cols = [c for c, t in polars_schema(table).items() if t == pl.String] + list(PATH)
        needle = search.strip().lower()
        lf = lf.filter(pl.any_horizontal([pl.col(c).str.to_lowercase().str.contains(needle, literal=True)
                                          for c in text_cols]).fill_null(False))
    cols = list(polars_schema(table))
    return lf.select(*PATH, *cols).sort(MAIN_DATE[table], descending=True, nulls_last=True).collect()
