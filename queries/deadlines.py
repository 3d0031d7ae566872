"""Due dates where a ledger gives none: a statutory limit counted in working days.

Holidays and 调休 make-up workdays come from the chinese_calendar package, which knows the
State Council's schedule year by year; for years it does not know yet, weekends alone are
skipped (and `unknown_years` says which, so the UI can say so)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
import polars as pl

from queries.schema import Tables
from queries.warnings_config import WarningConfig


@lru_cache(maxsize=4096)
def _is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def known_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (the day of receipt itself does not count)."""
    d, left = start, n
    while left > 0:
        d += timedelta(days=1)
        if _is_workday(d):
            left -= 1
    return d


def _fill(df: pl.DataFrame, start_col: str, n: int) -> pl.DataFrame:
    missing = df.filter(pl.col("due_on").is_null() & pl.col(start_col).is_not_null())
    if missing.is_empty():
        return df
    starts = missing[start_col].unique().to_list()
    lookup = pl.DataFrame({start_col: starts, "_due": [add_working_days(s, n) for s in starts]},
                          schema={start_col: pl.Date, "_due": pl.Date})
    return (df.join(lookup, on=start_col, how="left")
            .with_columns(pl.coalesce("due_on", "_due").alias("due_on")).drop("_due"))


def with_deadlines(tables: Tables, cfg: WarningConfig) -> Tables:
    """Complaints and rectifications with every missing due date computed."""
    return replace(tables,
                   complaints=_fill(tables.complaints, "received_on", cfg.complaint_working_days),
                   rectifications=_fill(tables.rectifications, "started_on", cfg.rectification_working_days))
