"""The boards read out in meetings: 推进缓慢单位 (slow units and townships) and 专项治理项目.

Both are built on the warnings engine and on the 逾期 definition of queries.metrics, so the
board, the warning list and the KPI cards agree on what "overdue" means.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from queries import filters as flt
from queries import warnings as W
from queries.filters import Filters, Scope, add_months
from queries.metrics import PARTS
from queries.regions import OWN_LEVEL, OWN_SUFFIX
from queries.schema import Tables
from queries.warnings_config import WarningConfig


def _township_of(code: pl.Expr) -> pl.Expr:
    """The township a region code lies in; for items filed at district (or city) level the
    district's (city's) own code, its 本级 row on the township board."""
    return code.str.slice(0, 9).str.pad_end(12, "0")


def _rect_cube(tables: Tables, as_of: date) -> pl.DataFrame:
    """Rectification items assigned by as_of, counted per region, source, project and unit
    with their overdue / due / done flags at as_of and the open items' progress lag.

    Worked out once per as_of (kept on the tables): a few thousand rows instead of millions,
    which every board, region and source filter then only filters and sums. The columns a
    filter reads (region_code, source) are kept as they are in the ledger."""
    def build() -> pl.DataFrame:
        done = pl.col("completed_on").is_not_null() & (pl.col("completed_on") <= as_of)
        lag = (W.expected_progress(as_of) - pl.col("progress_pct").fill_null(0)).clip(0, None)
        return (W.rect_at(tables, as_of).lazy()
                .filter((pl.col("started_on") <= as_of).fill_null(False))
                .group_by("region_code", "source", "project", "responsible_unit")
                .agg(pl.len().cast(pl.Int64).alias("items"),
                     (PARTS["rectifications_overdue"].value(as_of) == 1).sum().cast(pl.Int64).alias("overdue"),
                     (pl.col("due_on") < as_of).fill_null(False).sum().cast(pl.Int64).alias("due"),
                     done.sum().cast(pl.Int64).alias("done"),
                     lag.filter(~done).sum().alias("open_lag"), lag.filter(~done).count().alias("open_lagged"))
                .with_columns(_township_of(pl.col("region_code")).alias("township_code"))
                .collect())

    return tables.memo.get(("rect_cube", as_of), build)


def _rect_counts(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> pl.LazyFrame:
    """The cube's rows within the region and source filters (the period does not apply: the
    boards are a stock at as_of)."""
    return flt.apply(_rect_cube(tables, as_of), replace(filters, start=date.min, end=date.max), scope)


def _board(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: WarningConfig,
           item_key: str, warning_key: pl.Expr, key_name: str) -> pl.DataFrame:
    """Items, overdue, due and open warnings per key. A warning row carries its item's region
    and unit, so `warning_key` finds the same key on it without joining back to the items."""
    items = _rect_counts(tables, filters, scope, as_of).rename({item_key: key_name})
    warns = (W.evaluate(tables, filters, scope, as_of, cfg, rules=W.RECT_PRECEDENCE).lazy()
             .group_by(warning_key.alias(key_name)).agg(pl.len().cast(pl.Int64).alias("open_warnings")))
    return (items.filter(pl.col(key_name).is_not_null())
            .group_by(key_name)
            .agg(pl.col("items", "overdue", "due").sum())
            .join(warns, on=key_name, how="left")
            .with_columns(pl.col("open_warnings").fill_null(0),
                          pl.when(pl.col("due") > 0).then(pl.col("overdue") / pl.col("due"))
                          .otherwise(None).alias("overdue_rate"))
            .collect())


def _ranked(now: pl.DataFrame, before: pl.DataFrame, key_name: str) -> pl.DataFrame:
    """Rank by overdue items, then open warnings; add the change since a month earlier."""
    prev = before.select(key_name, pl.col("overdue").alias("overdue_last_month"),
                         pl.col("open_warnings").alias("warnings_last_month"))
    out = (now.join(prev, on=key_name, how="left")
           .with_columns(pl.col("overdue_last_month").fill_null(0), pl.col("warnings_last_month").fill_null(0))
           .with_columns((pl.col("overdue").cast(pl.Int64) - pl.col("overdue_last_month")).alias("overdue_change"),
                         (pl.col("open_warnings").cast(pl.Int64) - pl.col("warnings_last_month")).alias("warnings_change"))
           .sort(["overdue", "open_warnings", key_name], descending=[True, True, False]))
    return out.with_row_index("rank", offset=1)


def slow_units(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: WarningConfig) -> pl.DataFrame:
    """Responsible units ranked by overdue items and open warnings, with Δ since last month."""
    now = _board(tables, filters, scope, as_of, cfg, "responsible_unit", pl.col("unit"), "unit")
    before = _board(tables, filters, scope, add_months(as_of, -1), cfg, "responsible_unit", pl.col("unit"), "unit")
    return _ranked(now, before, "unit")


def slow_townships(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: WarningConfig) -> pl.DataFrame:
    """Townships ranked the same way; items filed at district (or city) level rank as that
    district's 本级 (column OWN_LEVEL), so the board adds up to the whole."""
    key = _township_of(pl.col("region_code"))
    now = _board(tables, filters, scope, as_of, cfg, "township_code", key, "code")
    before = _board(tables, filters, scope, add_months(as_of, -1), cfg, "township_code", key, "code")
    own = pl.col("level") != "township"
    names = tables.regions.select(
        "code", pl.when(own).then(pl.col("name") + OWN_SUFFIX).otherwise(pl.col("name")).alias("township"),
        pl.when(own).then(pl.when(pl.col("level") == "district").then(pl.col("code")))
        .otherwise(pl.col("parent_code")).alias("_parent"), own.alias(OWN_LEVEL))
    districts = tables.regions.select(pl.col("code").alias("_parent"), pl.col("name").alias("district"))
    return (_ranked(now, before, "code").join(names, on="code", how="left")
            .join(districts, on="_parent", how="left").drop("_parent"))


def project_board(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> pl.DataFrame:
    """Per 专项治理项目: items, completed, completion rate, overdue, average lag, lead unit."""
    items = _rect_counts(tables, filters, scope, as_of)
    lead = (items.group_by("project", "responsible_unit").agg(pl.col("items").sum().alias("len"))
            .sort(["project", "len", "responsible_unit"], descending=[False, True, False])
            .group_by("project", maintain_order=True).first()
            .select("project", pl.col("responsible_unit").alias("lead_unit")))
    return (items.group_by("project")
            .agg(pl.col("items").sum(), pl.col("done").sum().alias("completed"), pl.col("overdue").sum(),
                 pl.when(pl.col("open_lagged").sum() > 0)
                 .then(pl.col("open_lag").sum() / pl.col("open_lagged").sum()).alias("avg_lag"))
            .with_columns((pl.col("completed") / pl.col("items")).alias("completion_rate"))
            .join(lead, on="project", how="left")
            .sort(["completion_rate", "project"])
            .collect())


# Rules whose `days` count down to a deadline (fewest days left is the most serious); every
# other rule's `days` count up (days overdue, since the last report, since filing …), C3's is
# its number of repeat complaints, and R3 ranks by its lag in points instead.
COUNTDOWN_RULES = ("R2", "C2")


def warning_groups(warnings: pl.DataFrame, n: int = 10, per_rule: int = 3) -> pl.DataFrame:
    """The overview's 重点预警: the warning list (queries.warnings.evaluate) grouped by rule and
    responsible unit, so one rule with thousands of rows reads as a few lines, not ten copies.

    A warning without a unit (complaints, C3's villages) is grouped by where it lies, its
    township (else district); column `area` holds that place and `unit` is then null. Per
    group: `warnings` (how many), `worst` (the most serious `days`: the most for rules counting
    up, the fewest for COUNTDOWN_RULES; R3 the largest lag in points). Groups rank by level (红 first),
    then size, then `worst`; at most `per_rule` groups of one rule, n in all."""
    schema = {"rule": pl.String, "level": pl.String, "unit": pl.String, "area": pl.String,
              "warnings": pl.Int64, "worst": pl.Float64}
    if warnings.is_empty():
        return pl.DataFrame(schema=schema)
    severity = (pl.when(pl.col("rule") == "R3").then(pl.col("lag_points"))
                .when(pl.col("rule").is_in(COUNTDOWN_RULES)).then(-pl.col("days").cast(pl.Float64))
                .otherwise(pl.col("days").cast(pl.Float64)))
    area = pl.when(pl.col("unit").is_null()).then(pl.coalesce("township", "district"))
    groups = (warnings.lazy()
              .with_columns(area.alias("area"), severity.alias("_sev"))
              .group_by("rule", "level", "unit", "area")
              .agg(pl.len().cast(pl.Int64).alias("warnings"), pl.col("_sev").max().alias("_worst"))
              .with_columns(pl.col("level").replace_strict(W.LEVEL_ORDER, return_dtype=pl.Int8).alias("_lv"))
              .sort(["_lv", "warnings", "_worst", "rule", "unit", "area"],
                    descending=[False, True, True, False, False, False], nulls_last=True)
              .with_columns(pl.int_range(pl.len()).over("rule").alias("_in_rule"))
              .filter(pl.col("_in_rule") < per_rule)
              .head(n)
              .with_columns(pl.when(pl.col("rule").is_in(COUNTDOWN_RULES)).then(-pl.col("_worst"))
                            .otherwise(pl.col("_worst")).alias("worst"))
              .select(list(schema))
              .collect())
    return groups.cast(schema)
