"""Trends beyond the plain series: 同比 overlay, the five-link funnel, handling times, region
comparison and anomalies. Pure polars on top of queries.metrics (one definition per metric)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from queries import filters as flt
from queries import metrics, periods
from queries.facts import RID
from queries.filters import Filters, Scope
from queries.regions import child_key, child_level, child_names, child_rows, level_of, root_code
from queries.schema import Tables

LINKS = (("closed_on", "严肃查处"), ("exposed_on", "通报曝光"), ("reflection_on", "反思剖析"),
         ("revisit_on", "回访促建"), ("feedback_on", "反馈整改"))


def with_last_year(tables: "Tables | metrics.Source", filters: Filters, scope: Scope, as_of: date, metric: str,
                   every: str = "1mo") -> pl.DataFrame:
    """This period's series beside the same buckets a year earlier (同比) and the change from the
    previous bucket (环比): columns period, value, last_year, yoy_change, prev_change, plus the
    partial-period rule of queries.periods: `partial` (the bucket is not over at as_of),
    `partial_to` (the day it is counted to, else null) and `immature` (a rate in a partial
    bucket, or a complaint rate of a bucket with complaints not yet due: value and changes are
    null rather than a fall).
    A partial bucket's last_year and 环比 base cover only the same elapsed days."""
    now = metrics.series(tables, filters, scope, as_of, (metric,), every)
    s, e = flt.same_period_last_year(filters.start, filters.end)
    before = metrics.series(tables, filters.with_period(s, e), scope,
                            metrics.comparison_as_of(as_of, filters.end, e), (metric,), every)
    before = before.with_columns(pl.col("period").dt.offset_by("1y").alias("period"))
    out = now.rename({metric: "value"}).join(before.rename({metric: "last_year"}), on="period", how="left")
    is_rate = metrics.METRICS[metric].is_rate
    values = out["value"].to_list()
    last_year = out["last_year"].to_list()
    bases: list = [None] + values[:-1]
    partial = [periods.bucket_is_partial(p, every, as_of) and p <= filters.end for p in out["period"]]
    for i, p in enumerate(out["period"]):
        if not partial[i]:
            continue
        for target, (cs, ce) in ((last_year, periods.last_year_elapsed(p, every, as_of)),
                                 (bases, periods.previous_elapsed(p, every, as_of))):
            if target is bases and i == 0:
                continue
            target[i] = metrics.compute(tables, filters.with_period(cs, ce), scope, ce, (metric,))[metric]
    unripe = (periods.unripe_buckets(tables, filters, scope, as_of, every)
              if metric in periods.MATURING_RATES else set())
    immature = [periods.immature(metric, p, every, as_of, unripe) for p in out["period"]]
    values = [None if imm else v for v, imm in zip(values, immature)]
    changes = [metrics.change(v, b, is_rate) for v, b in zip(values, last_year)]
    prev = [metrics.change(v, b, is_rate) for v, b in zip(values, bases)]
    value_type = pl.Float64 if is_rate or metrics.METRICS[metric].unit == "money" else pl.Int64
    return out.with_columns(
        pl.Series("value", values, dtype=value_type),
        pl.Series("last_year", last_year, dtype=out["last_year"].dtype),
        pl.Series("yoy_change", changes, dtype=pl.Float64),
        pl.Series("prev_change", prev, dtype=pl.Float64),
        pl.Series("partial", partial, dtype=pl.Boolean),
        pl.Series("partial_to", [min(as_of, filters.end) if f else None for f in partial], dtype=pl.Date),
        pl.Series("immature", immature, dtype=pl.Boolean))


def by_child(tables: "Tables | metrics.Source", filters: Filters, scope: Scope, as_of: date, metric: str,
             every: str = "1mo", per10k: bool = False) -> pl.DataFrame:
    """The metric's series for every child of the viewed region (small multiples / ranks)."""
    src = metrics.source(tables)
    region = flt.effective_region(filters, scope) or root_code(src.regions)
    kids = child_rows(src.regions, region).select("code", "name", "population")
    out = (metrics.child_series(src, filters, scope, as_of, (metric,), every)
           .join(kids, on="code", how="left").with_columns(pl.col(metric).cast(pl.Float64)))
    if per10k and not metrics.METRICS[metric].is_rate:
        out = out.with_columns(pl.when(pl.col("population") > 0)
                               .then(pl.col(metric) / pl.col("population") * 10_000).alias(metric))
    return out.select("period", metric, "code", "name").sort("code", "period")


def funnel(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> pl.DataFrame:
    """Cases closed in the period (capped at as_of) and how many went on through each later
    link in order by as_of (a case counts at a step only if it reached every step before it),
    per district and in total; `stall` is the share lost at each step."""
    cases = (tables.facts.scan("cases", filters, scope)
             .filter(flt.in_period("closed_on", filters.start, min(filters.end, as_of))))
    reached_each = [(pl.col(col).is_not_null() & (pl.col(col) <= as_of)) for col, _ in LINKS]
    reached = []
    chain = pl.lit(True)
    for cond, (_, label) in zip(reached_each, LINKS):
        chain = chain & cond
        reached.append(chain.sum().alias(label))
    labels = [label for _, label in LINKS]
    # Counted per region id on the compact copy, then the few hundred ids to their districts.
    per = (cases.group_by(RID).agg(reached).collect()
           .join(tables.facts.codes_frame("region_code"), on=RID, how="left")
           .group_by(child_key("region_code", "district").alias("district_code")).agg(pl.col(labels).sum()))
    total = per.select(pl.col(labels).sum()).with_columns(pl.lit("__all__").alias("district_code"))
    names = child_names(tables.regions, root_code(tables.regions), "district_code").rename({"name": "district"})
    wide = pl.concat([per.join(names, on="district_code", how="left"),
                      total.with_columns(pl.lit("合计").alias("district"))], how="diagonal")
    long = wide.unpivot(index=["district_code", "district"], on=labels,
                        variable_name="link", value_name="count")
    order = {label: i for i, (_, label) in enumerate(LINKS)}
    long = long.with_columns(pl.col("link").replace_strict(order, return_dtype=pl.Int8).alias("step"),
                             pl.col("count").cast(pl.Int64)).sort("district_code", "step")
    return long.with_columns(
        (1 - pl.col("count") / pl.col("count").shift(1).over("district_code")).alias("stall"))


def handling_times(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> dict[str, pl.DataFrame]:
    """Days used against days allowed: complaints closed (received in the period) and
    rectifications completed in the period, each with the child region it belongs to."""
    region = flt.effective_region(filters, scope) or root_code(tables.regions)
    level = child_level(level_of(region)) or "village"
    names = child_names(tables.regions, region, "child").rename({"name": "region"})
    comp = (flt.apply(tables.complaints, filters, scope)
            .filter(flt.in_period("received_on", filters.start, filters.end) & (pl.col("closed_on") <= as_of))
            .select(child_key("region_code", level).alias("child"),
                    (pl.col("closed_on") - pl.col("received_on")).dt.total_days().alias("days"),
                    (pl.col("due_on") - pl.col("received_on")).dt.total_days().alias("limit"))
            .join(names.lazy(), on="child", how="left").collect())
    rect = (flt.apply(tables.rectifications, filters, scope)
            .filter(flt.in_period("completed_on", filters.start, min(filters.end, as_of)))
            .select(child_key("region_code", level).alias("child"), "responsible_unit",
                    (pl.col("completed_on") - pl.col("started_on")).dt.total_days().alias("days"),
                    (pl.col("due_on") - pl.col("started_on")).dt.total_days().alias("limit"))
            .join(names.lazy(), on="child", how="left").collect())
    return {"complaints": comp, "rectifications": rect}


# --- anomalies ----------------------------------------------------------------------------

CONFIG_PATH = Path(__file__).resolve().parents[1] / "config" / "trends.toml"


@dataclass(frozen=True)
class AnomalyConfig:
    threshold: float = 3.5   # robust z-score (median / MAD) that counts as an anomaly
    min_count: int = 5       # ignore months with fewer records than this
    min_ratio: float = 1.5   # and months less than this multiple of the usual level
    history_months: int = 12


def load_anomaly_config(path: Path = CONFIG_PATH) -> AnomalyConfig:
    with path.open("rb") as fh:
        raw = tomllib.load(fh).get("anomalies", {})
    unknown = set(raw) - set(AnomalyConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"异常检测配置未知项：{', '.join(sorted(unknown))}")
    cfg = AnomalyConfig(**raw)
    if cfg.threshold <= 0 or cfg.min_count < 0 or cfg.min_ratio < 1 or cfg.history_months < 3:
        raise ValueError("异常检测配置取值无效：threshold > 0，min_count ≥ 0，min_ratio ≥ 1，history_months ≥ 3")
    return cfg


def robust_flags(values: list[float], cfg: AnomalyConfig) -> list[tuple[float, float] | None]:
    """For each month, (ratio to the median of the prior months, robust z) when it departs
    sharply upward from its own history, else None. MAD is floored at 1 record so a flat,
    quiet series cannot produce infinite scores."""
    out: list[tuple[float, float] | None] = []
    for i, v in enumerate(values):
        hist = values[max(0, i - cfg.history_months):i]
        if len(hist) < cfg.history_months // 2 or v < cfg.min_count:
            out.append(None)
            continue
        s = pl.Series(hist, dtype=pl.Float64)
        med = float(s.median())
        mad = float((s - med).abs().median())
        z = (v - med) / (1.4826 * max(mad, 1.0))
        ratio = v / med if med > 0 else float("inf")
        out.append((ratio, z) if z >= cfg.threshold and ratio >= cfg.min_ratio else None)
    return out


def anomalies(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: AnomalyConfig,
              metric: str = "cases_filed", by: str = "field") -> pl.DataFrame:
    """Months of the period where the metric, per child region and per `by` category (and
    for the whole region per category), runs well above its own prior 12 months."""
    history = replace(filters, start=flt.add_months(filters.start.replace(day=1), -cfg.history_months))
    region = flt.effective_region(filters, scope) or root_code(tables.regions)
    level = child_level(level_of(region))
    part = metrics.PARTS[metrics.METRICS[metric].num[0]]
    lf = (flt.apply(getattr(tables, part.table), history, scope)
          .filter(flt.in_period(part.date_col, history.start, history.end)))
    keys = [pl.lit(region).alias("code")] + ([child_key("region_code", level).alias("code")] if level else [])
    months = metrics.buckets(history.start, history.end)
    rows = []
    for key in keys:
        counts = (lf.group_by(key, pl.col(by).alias("category"), pl.col(part.date_col).dt.truncate("1mo").alias("month"))
                  .agg(part.value(as_of).cast(pl.Float64).sum().alias("value")).collect())
        for (code, cat), grp in counts.group_by(["code", "category"]):
            by_month = dict(zip(grp["month"], grp["value"]))
            values = [by_month.get(m, 0.0) for m in months]
            for m, v, flag in zip(months, values, robust_flags(values, cfg)):
                if flag and m >= filters.start.replace(day=1):
                    rows.append({"month": m, "code": code, "category": cat, "value": v,
                                 "ratio": round(flag[0], 1), "z": round(flag[1], 1)})
    names = tables.regions.select("code", "name")
    out = pl.DataFrame(rows, schema={"month": pl.Date, "code": pl.String, "category": pl.String,
                                     "value": pl.Float64, "ratio": pl.Float64, "z": pl.Float64})
    return out.join(names, on="code", how="left").sort(["month", "z"], descending=[False, True])
