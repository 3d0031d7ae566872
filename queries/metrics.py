"""Every metric of DESIGN.md, defined once, and computed for a period, per child region or per month.

A metric is a sum (or a ratio of sums) of "parts"; a part is one table, the event date that places
a record in a period, and the value each record contributes. The same part definitions serve the
summary, the roll-up to child regions and the monthly series, so the cockpit, the map, the trend
charts, the CLI and the exports cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from queries import filters as flt
from queries.filters import Filters, Scope
from queries.regions import child_key, child_level, level_of, root_code
from queries.schema import Tables

GOOD_SATISFACTION = ("满意", "基本满意")
EVALUATED_SATISFACTION = ("满意", "基本满意", "不满意")


@dataclass(frozen=True)
class Part:
    """Sum of `value(as_of)` over `table`'s rows whose `date_col` falls in the period.

    date_col None marks a stock measured at as_of (the period is ignored)."""

    name: str
    table: str
    date_col: str | None
    value: Callable[[date], pl.Expr]


def _one(_: date) -> pl.Expr:
    return pl.repeat(1, pl.len(), dtype=pl.Int64)


def _col(name: str) -> Callable[[date], pl.Expr]:
    return lambda _: pl.col(name).fill_null(0)


def _closed_by(col: str) -> Callable[[date], pl.Expr]:
    return lambda as_of: (pl.col(col) <= as_of).fill_null(False).cast(pl.Int64)


PARTS: dict[str, Part] = {p.name: p for p in [
    Part("cases_filed", "cases", "filed_on", _one),
    Part("persons_disciplined", "cases", "closed_on",
         lambda _: pl.col("party_discipline").fill_null(0) + pl.col("gov_sanction").fill_null(0)),
    Part("org_handling", "cases", "closed_on", _col("org_handling")),
    Part("transferred_judicial", "cases", "closed_on", _col("transferred_judicial")),
    Part("accountability", "cases", "closed_on", _col("accountability")),
    Part("exposed", "cases", "exposed_on", _one),
    Part("case_funds", "cases", "closed_on", _col("amount_recovered")),
    Part("rect_funds", "rectifications", "completed_on", _col("funds_recovered")),
    Part("complaints_received", "complaints", "received_on", _one),
    Part("complaints_closed", "complaints", "received_on", _closed_by("closed_on")),
    Part("complaints_closed_on_time", "complaints", "received_on",
         lambda as_of: ((pl.col("closed_on") <= as_of) & (pl.col("closed_on") <= pl.col("due_on")))
         .fill_null(False).cast(pl.Int64)),
    Part("complaints_satisfied", "complaints", "received_on",
         lambda _: pl.col("satisfaction").is_in(GOOD_SATISFACTION).fill_null(False).cast(pl.Int64)),
    Part("complaints_evaluated", "complaints", "received_on",
         lambda _: pl.col("satisfaction").is_in(EVALUATED_SATISFACTION).fill_null(False).cast(pl.Int64)),
    Part("complaints_in_scope", "complaints", "received_on",
         lambda _: pl.col("in_scope").fill_null(False).cast(pl.Int64)),
    Part("complaints_converted", "complaints", "received_on",
         lambda _: (pl.col("in_scope").fill_null(False) & pl.col("case_id").is_not_null()).cast(pl.Int64)),
    Part("rectifications_total", "rectifications", "started_on", _one),
    Part("rectifications_completed", "rectifications", "completed_on", _one),
    Part("rules_established", "rectifications", "completed_on", _col("rules_established")),
    Part("rect_due", "rectifications", "due_on", _one),
    Part("rect_due_completed", "rectifications", "due_on", _closed_by("completed_on")),
    Part("rect_due_completed_on_time", "rectifications", "due_on",
         lambda as_of: ((pl.col("completed_on") <= as_of) & (pl.col("completed_on") <= pl.col("due_on")))
         .fill_null(False).cast(pl.Int64)),
    Part("rectifications_overdue", "rectifications", None,
         lambda as_of: ((pl.col("completed_on").is_null() | (pl.col("completed_on") > as_of))
                        & (pl.col("due_on") < as_of)).fill_null(False).cast(pl.Int64)),
]}


@dataclass(frozen=True)
class Metric:
    """A sum of parts, or (when `den` is set) a ratio of two sums. `unit` drives formatting."""

    key: str
    num: tuple[str, ...]
    den: tuple[str, ...] = ()
    unit: str = "count"  # count | people | money | rate
    higher_is_better: bool = True

    @property
    def is_rate(self) -> bool:
        return bool(self.den)

    @property
    def is_stock(self) -> bool:
        return any(PARTS[p].date_col is None for p in self.num)


METRICS: dict[str, Metric] = {m.key: m for m in [
    Metric("cases_filed", ("cases_filed",)),
    Metric("persons_disciplined", ("persons_disciplined",), unit="people"),
    Metric("org_handling", ("org_handling",), unit="people"),
    Metric("transferred_judicial", ("transferred_judicial",), unit="people"),
    Metric("accountability", ("accountability",), unit="people"),
    Metric("exposed", ("exposed",)),
    Metric("funds_recovered_wan", ("case_funds", "rect_funds"), unit="money"),
    Metric("complaints_received", ("complaints_received",)),
    Metric("complaints_closed", ("complaints_closed",)),
    Metric("closure_rate", ("complaints_closed",), ("complaints_received",), unit="rate"),
    Metric("on_time_rate", ("complaints_closed_on_time",), ("complaints_closed",), unit="rate"),
    Metric("satisfaction_rate", ("complaints_satisfied",), ("complaints_evaluated",), unit="rate"),
    Metric("conversion_rate", ("complaints_converted",), ("complaints_in_scope",), unit="rate"),
    Metric("rectifications_total", ("rectifications_total",)),
    Metric("rectifications_completed", ("rectifications_completed",)),
    Metric("completion_rate", ("rect_due_completed",), ("rect_due",), unit="rate"),
    Metric("on_time_completion_rate", ("rect_due_completed_on_time",), ("rect_due",), unit="rate"),
    Metric("rectifications_overdue", ("rectifications_overdue",), higher_is_better=False),
    Metric("rules_established", ("rules_established",)),
]}

# The keys of `summary --json`, in DESIGN.md's order.
SUMMARY_KEYS = (
    "cases_filed", "persons_disciplined", "org_handling", "transferred_judicial", "accountability",
    "exposed", "funds_recovered_wan", "complaints_received", "complaints_closed", "closure_rate",
    "on_time_rate", "satisfaction_rate", "rectifications_total", "rectifications_completed",
    "rectifications_overdue", "rules_established",
)

KEY = "key"


def _parts_for(metric_keys: Sequence[str]) -> list[Part]:
    names: dict[str, None] = {}
    for k in metric_keys:
        m = METRICS[k]
        for p in (*m.num, *m.den):
            names[p] = None
    return [PARTS[n] for n in names]


def _part_frame(tables: Tables, part: Part, filters: Filters, scope: Scope, as_of: date,
                key: Callable[[Part], pl.Expr] | None) -> pl.LazyFrame:
    lf = flt.apply(getattr(tables, part.table), filters, scope)
    if part.date_col is not None:
        lf = lf.filter(flt.in_period(part.date_col, filters.start, filters.end))
    value = part.value(as_of).cast(pl.Float64).sum().alias(part.name)
    if key is None:
        return lf.select(value)
    return lf.group_by(key(part).alias(KEY)).agg(value)


def _finish(frame: pl.DataFrame, metric_keys: Sequence[str]) -> pl.DataFrame:
    """Turn summed parts into metrics: sums as they are, ratios with null for a zero denominator."""
    exprs = []
    for k in metric_keys:
        m = METRICS[k]
        num = pl.sum_horizontal([pl.col(p) for p in m.num])
        if m.is_rate:
            den = pl.sum_horizontal([pl.col(p) for p in m.den])
            exprs.append(pl.when(den > 0).then(num / den).otherwise(None).alias(k))
        elif m.unit == "money":
            exprs.append(num.alias(k))
        else:
            exprs.append(num.round(0).cast(pl.Int64).alias(k))
    keep = [KEY] if KEY in frame.columns else []
    return frame.select(*keep, *exprs)


def compute(tables: Tables, filters: Filters, scope: Scope, as_of: date,
            metric_keys: Sequence[str] = tuple(METRICS)) -> dict[str, float | int | None]:
    """Each metric over the whole period and region: the numbers on the KPI cards."""
    parts = _parts_for(metric_keys)
    frames = [_part_frame(tables, p, filters, scope, as_of, None) for p in parts]
    row = pl.concat(pl.collect_all(frames), how="horizontal")
    return _finish(row.fill_null(0), metric_keys).row(0, named=True)


def summary(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> dict:
    """The `summary --json` contract: DESIGN.md's keys, money rounded to 2 decimals."""
    values = compute(tables, filters, scope, as_of, SUMMARY_KEYS)
    values["funds_recovered_wan"] = round(float(values["funds_recovered_wan"]), 2)
    return {k: values[k] for k in SUMMARY_KEYS}


def comparison_as_of(as_of: date, end: date, new_end: date) -> date:
    """Keep as_of's distance from the period end, so stocks compare like with like."""
    return new_end + (as_of - end)


def compare(tables: Tables, filters: Filters, scope: Scope, as_of: date,
            metric_keys: Sequence[str] = tuple(METRICS)) -> dict[str, dict]:
    """Current value with 同比 (same period last year) and 环比 (previous equal period).

    Counts change as a ratio; rates change in percentage points (a rate's "+12%" would mislead).
    """
    current = compute(tables, filters, scope, as_of, metric_keys)
    out: dict[str, dict] = {k: {"value": current[k]} for k in metric_keys}
    for label, (s, e) in (
        ("yoy", flt.same_period_last_year(filters.start, filters.end)),
        ("mom", flt.previous_period(filters.start, filters.end)),
    ):
        other = compute(tables, filters.with_period(s, e), scope,
                        comparison_as_of(as_of, filters.end, e), metric_keys)
        for k in metric_keys:
            out[k][f"{label}_value"] = other[k]
            out[k][f"{label}_change"] = change(current[k], other[k], METRICS[k].is_rate)
    return out


def change(now: float | None, before: float | None, is_rate: bool) -> float | None:
    """Relative change for amounts (None when the base is 0); difference for rates."""
    if now is None or before is None:
        return None
    if is_rate:
        return now - before
    if before == 0:
        return None
    return (now - before) / before


def rollup(tables: Tables, filters: Filters, scope: Scope, as_of: date,
           metric_keys: Sequence[str] = tuple(METRICS)) -> pl.DataFrame:
    """Each metric for every child of the region being viewed (all children, zeros included),
    with name, population and a per-10,000-residents column for every non-rate metric."""
    regions = tables.regions
    region = flt.effective_region(filters, scope) or root_code(regions)
    level = child_level(level_of(region))
    kids = regions.filter(pl.col("parent_code") == region).select(
        pl.col("code").alias(KEY), "name", "population", "lon", "lat", "key_watch")
    if level is None or kids.is_empty():
        return kids.with_columns([pl.lit(None).alias(k) for k in metric_keys])
    parts = _parts_for(metric_keys)
    frames = [_part_frame(tables, p, filters, scope, as_of,
                          lambda part: child_key("region_code", level)) for p in parts]
    out = kids
    for part, frame in zip(parts, pl.collect_all(frames)):
        out = out.join(frame, on=KEY, how="left")
    out = out.with_columns([pl.col(p.name).fill_null(0) for p in parts])
    metrics = _finish(out.select(KEY, *[p.name for p in parts]), metric_keys)
    result = kids.join(metrics, on=KEY, how="left")
    per10k = [
        pl.when(pl.col("population") > 0)
        .then(pl.col(k) / pl.col("population") * 10_000).otherwise(None).alias(f"{k}_per10k")
        for k in metric_keys if not METRICS[k].is_rate
    ]
    return result.with_columns(per10k).sort(KEY)


def months_between(start: date, end: date) -> list[date]:
    first = start.replace(day=1)
    out = []
    while first <= end:
        out.append(first)
        first = flt.add_months(first, 1)
    return out


EVERY_MONTHS = {"1mo": 1, "3mo": 3, "1y": 12}


def buckets(start: date, end: date, every: str = "1mo") -> list[date]:
    """First days of the calendar months, quarters or years that the period touches."""
    step = EVERY_MONTHS[every]
    first = start.replace(day=1)
    first = first.replace(month=(first.month - 1) // step * step + 1) if step > 1 else first
    out = []
    while first <= end:
        out.append(first)
        first = flt.add_months(first, step)
    return out


def series(tables: Tables, filters: Filters, scope: Scope, as_of: date,
           metric_keys: Sequence[str] = tuple(METRICS), every: str = "1mo") -> pl.DataFrame:
    """Each metric per calendar month, quarter or year of the period ("period" = its first
    day), empty buckets as 0. Rates are recomputed from the bucket's own sums, never averaged;
    stocks are measured at each bucket's end (or as_of, if earlier)."""
    starts = buckets(filters.start, filters.end, every)
    skeleton = pl.DataFrame({KEY: starts}, schema={KEY: pl.Date})
    flow_parts = [p for p in _parts_for(metric_keys) if p.date_col is not None]
    stock_parts = [p for p in _parts_for(metric_keys) if p.date_col is None]
    frames = [_part_frame(tables, p, filters, scope, as_of,
                          lambda part: pl.col(part.date_col).dt.truncate(every)) for p in flow_parts]
    out = skeleton
    for part, frame in zip(flow_parts, pl.collect_all(frames)):
        out = out.join(frame, on=KEY, how="left")
    for part in stock_parts:
        values = []
        lf = flt.apply(getattr(tables, part.table), filters, scope)
        for b in starts:
            at = min(flt.add_months(b, EVERY_MONTHS[every]) - timedelta(days=1), as_of)
            values.append(lf.select(part.value(at).cast(pl.Float64).sum()).collect().item())
        out = out.with_columns(pl.Series(part.name, values, dtype=pl.Float64))
    out = out.with_columns([pl.col(p.name).fill_null(0) for p in (*flow_parts, *stock_parts)])
    return _finish(out, metric_keys).rename({KEY: "period"})


def monthly(tables: Tables, filters: Filters, scope: Scope, as_of: date,
            metric_keys: Sequence[str] = tuple(METRICS)) -> pl.DataFrame:
    """Each metric per calendar month of the period ("month" = first day)."""
    return series(tables, filters, scope, as_of, metric_keys, "1mo").rename({"period": "month"})


def breakdown(tables: Tables, filters: Filters, scope: Scope, as_of: date, metric: str, by: str,
              every: str = "1mo") -> pl.DataFrame:
    """One flow metric per bucket and category (field, source or channel): the stacked
    composition charts. Only metrics whose parts all live in tables carrying `by` qualify."""
    m = METRICS[metric]
    parts = _parts_for([metric])
    if m.is_stock or any(by not in getattr(tables, p.table).columns for p in parts):
        raise ValueError(f"{metric} cannot be broken down by {by}")
    frames = []
    for p in parts:
        lf = flt.apply(getattr(tables, p.table), filters, scope).filter(
            flt.in_period(p.date_col, filters.start, filters.end))
        frames.append(lf.group_by(pl.col(p.date_col).dt.truncate(every).alias("period"),
                                  pl.col(by).fill_null("未填写").alias("category"))
                      .agg(p.value(as_of).cast(pl.Float64).sum().alias(p.name)))
    out = frames[0].collect()
    for frame in frames[1:]:
        out = out.join(frame.collect(), on=["period", "category"], how="full", coalesce=True)
    out = out.with_columns([pl.col(p.name).fill_null(0) for p in parts])
    grid = pl.DataFrame({"period": buckets(filters.start, filters.end, every)}, schema={"period": pl.Date}).join(
        out.select("category").unique(), how="cross")
    full = grid.join(out, on=["period", "category"], how="left").with_columns(
        [pl.col(p.name).fill_null(0) for p in parts])
    finished = _finish(full.rename({"period": KEY}), [metric])
    return finished.rename({KEY: "period"}).with_columns(full["category"]).select(
        "period", "category", metric).sort("period", "category")


def last_months(end: date, n: int = 12) -> tuple[date, date]:
    """The n whole-or-partial calendar months ending at `end` (sparklines)."""
    start = flt.add_months(end.replace(day=1), -(n - 1))
    return start, end

