"""What the user asked for (Filters) and what the account may see (Scope), and periods.

Scope is applied here, for every read, and can only narrow: a region outside the account's
jurisdiction, from a URL or a widget, falls back to the jurisdiction itself.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from queries.regions import is_within, level_of, within


@dataclass(frozen=True)
class Scope:
    """An account's jurisdiction: a region code, or None for the whole store (city level)."""

    region: str | None = None

    @property
    def whole_city(self) -> bool:
        """No narrower than the whole store: no region, or the city's own code."""
        if self.region is None:
            return True
        try:
            return level_of(self.region) == "city"
        except ValueError:  # not a 12-digit code: never wider than it says
            return False


def in_scope(scope: Scope, region_col: str = "region_code") -> pl.Expr:
    """Rows whose region lies inside the scope: the one jurisdiction rule, for reading (`apply`)
    and for writing (`queries/jurisdiction.py`)."""
    return pl.lit(True) if scope.region is None else within(region_col, scope.region)


@dataclass(frozen=True)
class Filters:
    """A period (inclusive), a region at any level, and optional category filters.

    Category filters apply to the tables that carry the column: fields to cases and complaints,
    sources to cases and rectifications, channels to complaints.
    """

    start: date
    end: date
    region: str | None = None
    fields: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"起始日期 {self.start} 晚于截止日期 {self.end}")

    def with_period(self, start: date, end: date) -> "Filters":
        return replace(self, start=start, end=end)


def field_choices(cases: pl.DataFrame, complaints: pl.DataFrame) -> list[str]:
    """The 领域 a view can be narrowed to: every field in the case and complaint ledgers, blanks
    left out."""
    return sorted(set(cases["field"].drop_nulls().unique().to_list())
                  | set(complaints["field"].drop_nulls().unique().to_list()))


def effective_region(filters: Filters, scope: Scope) -> str | None:
    """The region actually read: the filter's region if inside the scope, else the scope."""
    if filters.region is None:
        return scope.region
    if scope.region is None or is_within(filters.region, scope.region):
        return filters.region
    return scope.region


_CATEGORY_COLUMNS = {"field": "fields", "source": "sources", "channel": "channels"}


def apply(df: pl.DataFrame | pl.LazyFrame, filters: Filters, scope: Scope,
          region_col: str = "region_code") -> pl.LazyFrame:
    """Region (within scope) and category filters; no period, since each metric has its own date."""
    lf = df.lazy()
    region = effective_region(filters, scope)
    preds: list[pl.Expr] = []
    if region is not None:
        preds.append(in_scope(Scope(region), region_col))
    names = lf.collect_schema().names()
    for col, attr in _CATEGORY_COLUMNS.items():
        values = getattr(filters, attr)
        if values and col in names:
            preds.append(pl.col(col).is_in(list(values)))
    return lf.filter(*preds) if preds else lf


def in_period(col: str, start: date, end: date) -> pl.Expr:
    return pl.col(col).is_between(start, end, closed="both")


# --- periods -------------------------------------------------------------------------------

PRESETS = ("month", "quarter", "year", "last12", "custom")


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """Shift by calendar months, clamping the day (31 Mar − 1 month = 28/29 Feb)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return d.replace(year=y, month=m, day=min(d.day, calendar.monthrange(y, m)[1]))


def preset_period(preset: str, as_of: date) -> tuple[date, date]:
    """本月 / 本季度 / 本年 / 近12个月, each ending at as_of."""
    if preset == "month":
        return as_of.replace(day=1), as_of
    if preset == "quarter":
        q_first = (as_of.month - 1) // 3 * 3 + 1
        return as_of.replace(month=q_first, day=1), as_of
    if preset == "year":
        return as_of.replace(month=1, day=1), as_of
    if preset == "last12":
        return add_months(as_of, -12) + timedelta(days=1), as_of
    raise ValueError(f"未知的期间：{preset}")


def _whole_months(start: date, end: date) -> int | None:
    """Number of calendar months if the period is [1st of a month, a month end] (or ends at
    the same day-of-month span), else None."""
    if start.day != 1:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if end == month_end(end):
        return months
    return None


def previous_period(start: date, end: date) -> tuple[date, date]:
    """环比: the period of equal length just before. Whole months shift by months (so March
    compares with February, not with 31 days back); any other span shifts by its day count."""
    months = _whole_months(start, end)
    if months is not None:
        return add_months(start, -months), month_end(add_months(start, -1))
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    """同比: the same dates a year earlier; 29 Feb maps to 28 Feb, and a period ending on the
    last day of February keeps ending on the last day of February."""
    new_start = add_months(start, -12)
    new_end = add_months(end, -12)
    if end == month_end(end):
        new_end = month_end(new_end)
    return new_start, new_end
