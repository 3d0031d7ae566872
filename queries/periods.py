"""The partial-period rule, defined once: a calendar bucket (month, quarter, year) or a chosen
period that is not over at as_of is *partial*, and anything said about it must say so.

Why: on 2 December the bucket "December" holds two days of records. Drawn beside whole months
it reads as a collapse (立案 0, 环比 −100 %), and rates whose records are not yet due (办结率 of
complaints received yesterday) read as a fall. So every consumer asks this module whether a
bucket is partial, and compares a partial bucket only with the same elapsed part of its
comparison bucket:

- elapsed part: from the bucket's first day to as_of;
- comparison end: as_of moved back by the same number of calendar months as the bucket's
  start (1 month for 环比 of a month, 3 for a quarter, 12 for 同比), i.e. the same day of the
  month, which for months is the same number of days from the bucket's start; a day the
  comparison month lacks is clamped to its last day (29 Feb → 28 Feb, 30 Mar → 28/29 Feb),
  and the end never passes the comparison bucket's last day;
- a rate in a partial bucket is "未到期" (not yet due), and so is a complaint rate (办结率,
  按期办结率, 满意率, 转化率) of any bucket whose complaints are not all due at as_of (a
  finished November whose last complaints fall due in December): neither is drawn as a value,
  so neither can read as a fall.

Pure: dates in, dates out (no streamlit); queries.trends applies it to the series.
"""
from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from queries.filters import Filters, Scope, add_months
from queries import metrics
from queries.metrics import EVERY_MONTHS

# Rates over complaints placed by their receipt date, whose outcome (closed, on time, rated,
# converted) comes by the due date: a bucket whose complaints are not all due at as_of is not
# mature, and its rate, still rising, would read as a fall.
MATURING_RATES = ("closure_rate", "on_time_rate", "satisfaction_rate", "conversion_rate")


def bucket_end(start: date, every: str) -> date:
    """Last day of the month / quarter / year that begins on `start`."""
    return add_months(start, EVERY_MONTHS[every]) - timedelta(days=1)


def is_partial(start: date, end: date, as_of: date) -> bool:
    """A span [start, end] is partial when as_of falls inside it before its last day."""
    return start <= as_of < end


def bucket_is_partial(start: date, every: str, as_of: date) -> bool:
    """The bucket beginning on `start` is not over at as_of (its last day is after as_of)."""
    return is_partial(start, bucket_end(start, every), as_of)


def elapsed_end(start: date, other_start: date, as_of: date, every: str) -> date:
    """The end of the comparison bucket's elapsed part: as_of moved back by the calendar months
    between `start` (the partial bucket's first day) and `other_start` (the comparison bucket's
    first day), clamped by add_months (29 Feb → 28 Feb) and capped at the comparison bucket's end."""
    months = (start.year - other_start.year) * 12 + start.month - other_start.month
    return min(add_months(as_of, -months), bucket_end(other_start, every))


def previous_elapsed(start: date, every: str, as_of: date) -> tuple[date, date]:
    """环比 of a partial bucket: the previous bucket's first days, as many as have elapsed."""
    other = add_months(start, -EVERY_MONTHS[every])
    return other, elapsed_end(start, other, as_of, every)


def last_year_elapsed(start: date, every: str, as_of: date) -> tuple[date, date]:
    """同比 of a partial bucket: the same bucket a year earlier, up to the same day."""
    other = add_months(start, -12)
    return other, elapsed_end(start, other, as_of, every)


def period_bucket(start: date, end: date, as_of: date) -> tuple[date, str] | None:
    """The calendar bucket a chosen period is "to date" of, if it is not over at as_of: a period
    that runs past as_of, or one that starts a month / quarter / year and stops at as_of before
    that bucket's last day (本月 / 本季度 / 本年 on 2 December). Returns (bucket start, every);
    None for a complete period (a whole month, 近12个月, a past custom range)."""
    if not start <= as_of <= end:
        return None
    for every, step in EVERY_MONTHS.items():
        if start.day == 1 and (start.month - 1) % step == 0 and as_of <= bucket_end(start, every):
            if end > as_of or as_of < bucket_end(start, every):
                return (start, every) if end >= as_of else None
            return None
    return (start, "1mo") if end > as_of else None


def unripe_buckets(tables: "metrics.Tables | metrics.Source", filters: Filters, scope: Scope, as_of: date,
                   every: str = "1mo") -> set[date]:
    """The buckets (first days) of the period holding complaints not yet due at as_of: their
    MATURING_RATES are 未到期. One pass of two part sums (received, due by as_of)."""
    parts = [metrics.PARTS["complaints_received"], metrics.PARTS["complaints_due"]]
    sums = metrics.source(tables).sums(parts, filters, scope, as_of, "month")
    if sums.is_empty():
        return set()
    per = (sums.group_by(pl.col(metrics.MONTH).cast(pl.Date).dt.truncate(every))
           .agg(pl.col("complaints_received").sum(), pl.col("complaints_due").sum()))
    return set(per.filter(pl.col("complaints_due") < pl.col("complaints_received"))[metrics.MONTH].to_list())


def immature(metric: str, start: date, every: str, as_of: date, unripe: set[date]) -> bool:
    """Whether the metric's value for the bucket at `start` is 未到期 (see the module docstring)."""
    if not metrics.METRICS[metric].is_rate:
        return False
    return bucket_is_partial(start, every, as_of) or (metric in MATURING_RATES and start in unripe)
