"""Slow-progress warnings (预警): rules R1–R4, C1–C3, K1–K2 and P1 (docs/warnings.md).

Each rule is a small function over the tables and `as_of` returning rows of one schema, so the
warnings page, the 推进缓慢 board, the overview, the CLI and the 督办 export read the same rows.
Warnings are a stock at as_of: the period filter does not apply, the region scope does.
A rectification that breaks several rules is listed once, under its most severe rule
(R1 > R2 > R3 > R4), so counts are counts of items; P1 (dates out of order) is a finding about
the ledger itself and is listed in addition.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import polars as pl

from queries import filters as flt
from queries.filters import Filters, Scope, effective_region
from queries.metrics import PARTS
from queries.regions import with_region_path
from queries.schema import Tables
from queries.warnings_config import WarningConfig

LEVEL_ORDER = {"红": 0, "橙": 1, "黄": 2}
RECT_PRECEDENCE = ("R1", "R2", "R3", "R4")

SCHEMA = {
    "rule": pl.String, "level": pl.String, "record_type": pl.String, "record_id": pl.String,
    "region_code": pl.String, "unit": pl.String, "person": pl.String, "project": pl.String,
    "days": pl.Int64, "lag_points": pl.Float64, "due_on": pl.Date, "reason": pl.String,
}
RULES_INFO = {
    "R1": ("红", "整改事项逾期未完成"), "R2": ("橙", "整改临期且进度偏低"), "R3": ("黄", "整改进度滞后"),
    "R4": ("黄", "整改进度长期未更新"), "C1": ("红", "信访件逾期未办结"), "C2": ("橙", "信访件临近办理时限"),
    "C3": ("橙", "重复信访集中"), "K1": ("橙", "案件久拖未结"), "K2": ("黄", "案件“后半篇文章”未完成"),
    "P1": ("橙", "流程倒置"),
}


def _rows(df: pl.LazyFrame, rule: str, record_type: str, id_col: str, *, unit: pl.Expr | None = None,
          person: pl.Expr | None = None, project: pl.Expr | None = None, days: pl.Expr | None = None,
          lag: pl.Expr | None = None, due: pl.Expr | None = None, reason: pl.Expr) -> pl.LazyFrame:
    none_s, none_i, none_f = pl.lit(None, pl.String), pl.lit(None, pl.Int64), pl.lit(None, pl.Float64)
    return df.select(
        pl.lit(rule).alias("rule"), pl.lit(RULES_INFO[rule][0]).alias("level"),
        pl.lit(record_type).alias("record_type"), pl.col(id_col).cast(pl.String).alias("record_id"),
        pl.col("region_code"), (unit if unit is not None else none_s).cast(pl.String).alias("unit"),
        (person if person is not None else none_s).cast(pl.String).alias("person"),
        (project if project is not None else none_s).cast(pl.String).alias("project"),
        (days if days is not None else none_i).cast(pl.Int64).alias("days"),
        (lag if lag is not None else none_f).cast(pl.Float64).alias("lag_points"),
        (due if due is not None else pl.lit(None, pl.Date)).alias("due_on"),
        reason.alias("reason"),
    )


def _fmt(template: str, *values: pl.Expr) -> pl.Expr:
    """Like pl.format, built on concat_str: pl.format panics in polars 2.1 on some filtered
    multi-chunk frames, and concat_str does the same job."""
    pieces = template.split("{}")
    if len(pieces) != len(values) + 1:
        raise ValueError(f"template needs {len(pieces) - 1} values: {template!r}")
    parts: list[pl.Expr] = []
    for text, value in zip(pieces, [*values, None]):
        if text:
            parts.append(pl.lit(text))
        if value is not None:
            parts.append(value.cast(pl.String))
    return pl.concat_str(parts)


def _days(a: pl.Expr | date, b: pl.Expr | date) -> pl.Expr:
    a = pl.lit(a) if isinstance(a, date) else a
    b = pl.lit(b) if isinstance(b, date) else b
    return (a - b).dt.total_days()


def _open_rect(as_of: date) -> pl.Expr:
    """Assigned by as_of and not completed by as_of."""
    return (pl.col("started_on") <= as_of) & (pl.col("completed_on").is_null() | (pl.col("completed_on") > as_of))


def _rect_common(_: pl.LazyFrame) -> dict:
    return {"unit": pl.col("responsible_unit"), "person": pl.col("responsible_person"),
            "project": pl.col("project"), "due": pl.col("due_on")}


def expected_progress(as_of: date) -> pl.Expr:
    """The straight-line plan: share of the time from start to due that has passed, in %."""
    span = _days(pl.col("due_on"), pl.col("started_on"))
    gone = _days(as_of, pl.col("started_on"))
    return pl.when(span > 0).then((gone / span).clip(0, 1) * 100).otherwise(100.0)


def rect_overdue(as_of: date) -> pl.Expr:
    """逾期: assigned, past its due date and not completed at as_of (R1; the 逾期事项 metric's test).
    Also the 整改事项 page's 逾期 filter, so the list and the warnings cannot disagree."""
    return (PARTS["rectifications_overdue"].value(as_of) == 1) & (pl.col("started_on") <= as_of)


def rect_due_soon(as_of: date, cfg: WarningConfig) -> pl.Expr:
    """临期: open and due within R2's `days` (today counts as 0), whatever its progress: R2 is
    this and a low progress; the 整改事项 page's 临期 filter is this alone."""
    return _open_rect(as_of) & _days(pl.col("due_on"), as_of).is_between(0, cfg.r2_days)


def rule_r1(rect: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """R1 红: past its due date and not completed (the same test as the 逾期事项 metric)."""
    days = _days(as_of, pl.col("due_on"))
    return _rows(rect.filter(rect_overdue(as_of)), "R1", "rectification", "item_id",
                 **_rect_common(rect), days=days,
                 reason=_fmt("整改事项已超过完成时限 {} 天仍未完成（当前进度 {}%）", days,
                                  pl.col("progress_pct").fill_null(0).round(0).cast(pl.Int64)))


def rule_r2(rect: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """R2 橙: due within N days (today counts as 0) and progress below P %."""
    left = _days(pl.col("due_on"), as_of)
    hit = rect_due_soon(as_of, cfg) & (pl.col("progress_pct").fill_null(0) < cfg.r2_progress_below)
    return _rows(rect.filter(hit), "R2", "rectification", "item_id", **_rect_common(rect), days=left,
                 reason=_fmt("距完成时限仅剩 {} 天，进度 {}%，低于 {}%", left,
                                  pl.col("progress_pct").fill_null(0).round(0).cast(pl.Int64),
                                  pl.lit(int(cfg.r2_progress_below))))


def rule_r3(rect: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """R3 黄: progress lags the straight line from start to due date by at least G points."""
    lag = expected_progress(as_of) - pl.col("progress_pct").fill_null(0)
    hit = _open_rect(as_of) & (lag >= cfg.r3_lag_points)
    return _rows(rect.filter(hit), "R3", "rectification", "item_id", **_rect_common(rect), lag=lag.round(1),
                 reason=_fmt("按计划应完成 {}%，实际 {}%，滞后 {} 个百分点",
                                  expected_progress(as_of).round(0).cast(pl.Int64),
                                  pl.col("progress_pct").fill_null(0).round(0).cast(pl.Int64),
                                  lag.round(0).cast(pl.Int64)))


def rule_r4(rect: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """R4 黄: no progress report for at least D days (since the start when none yet)."""
    since = _days(as_of, pl.coalesce("last_update_on", "started_on"))
    hit = _open_rect(as_of) & (since >= cfg.r4_days)
    return _rows(rect.filter(hit), "R4", "rectification", "item_id", **_rect_common(rect), days=since,
                 reason=_fmt("已 {} 天未报送整改进度", since))


def _open_complaint(as_of: date) -> pl.Expr:
    return (pl.col("received_on") <= as_of) & (pl.col("closed_on").is_null() | (pl.col("closed_on") > as_of))


def rule_c1(comp: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """C1 红: complaint past its time limit, not closed."""
    days = _days(as_of, pl.col("due_on"))
    return _rows(comp.filter(_open_complaint(as_of) & (pl.col("due_on") < as_of)), "C1", "complaint",
                 "complaint_id", days=days, due=pl.col("due_on"),
                 reason=_fmt("信访件超过办理时限 {} 天仍未办结", days))


def rule_c2(comp: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """C2 橙: complaint due within N days, not closed."""
    left = _days(pl.col("due_on"), as_of)
    return _rows(comp.filter(_open_complaint(as_of) & left.is_between(0, cfg.c2_days)), "C2", "complaint",
                 "complaint_id", days=left, due=pl.col("due_on"),
                 reason=_fmt("距办理时限仅剩 {} 天，尚未办结", left))


def rule_c3(comp: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """C3 橙: at least K repeat complaints from one village received within the W days ending at
    as_of (a hot spot). One row per village; record_id is the village code."""
    start = as_of - timedelta(days=cfg.c3_window_days - 1)
    hot = (comp.filter(pl.col("is_repeat").fill_null(False) & pl.col("received_on").is_between(start, as_of)
                       & (pl.col("region_code").str.slice(9, 3) != "000"))
           .group_by("region_code").agg(pl.len().alias("n"), pl.col("received_on").max().alias("last"))
           .filter(pl.col("n") >= cfg.c3_count))
    return _rows(hot.with_columns(pl.col("region_code").alias("village")), "C3", "village", "village",
                 days=pl.col("n"),
                 reason=_fmt("近 {} 天内重复信访 {} 件，最近一件收于 {}", pl.lit(cfg.c3_window_days),
                                  pl.col("n"), pl.col("last").cast(pl.String)))


def rule_k1(cases: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """K1 橙: case filed at least D days ago and not closed."""
    days = _days(as_of, pl.col("filed_on"))
    open_ = (pl.col("filed_on") <= as_of) & (pl.col("closed_on").is_null() | (pl.col("closed_on") > as_of))
    return _rows(cases.filter(open_ & (days >= cfg.k1_days)), "K1", "case", "case_id",
                 unit=pl.col("unit_name"), days=days,
                 reason=_fmt("案件立案已 {} 天仍未审结", days))


def rule_k2(cases: pl.LazyFrame, as_of: date, cfg: WarningConfig) -> pl.LazyFrame:
    """K2 黄: closed at least D days ago, but the revisit or feedback link is missing."""
    days = _days(as_of, pl.col("closed_on"))
    missing = lambda c: pl.col(c).is_null() | (pl.col(c) > as_of)  # noqa: E731
    hit = (pl.col("closed_on") <= as_of) & (days >= cfg.k2_days) & (missing("revisit_on") | missing("feedback_on"))
    which = pl.when(missing("revisit_on")).then(pl.lit("回访促建")).otherwise(pl.lit("反馈整改"))
    return _rows(cases.filter(hit), "K2", "case", "case_id", unit=pl.col("unit_name"), days=days,
                 reason=_fmt("案件审结已 {} 天，“{}”环节尚未完成", days, which))


# The date pairs P1 checks, per table: (earlier step, later step, (earlier name, later name)).
CASE_ORDER = (("clue_received_on", "filed_on", ("线索受理", "立案")), ("filed_on", "closed_on", ("立案", "审结")),
              ("closed_on", "revisit_on", ("审结", "回访")), ("revisit_on", "feedback_on", ("回访", "反馈整改")))
COMPLAINT_ORDER = (("received_on", "closed_on", ("受理", "办结")),)
RECT_ORDER = (("started_on", "completed_on", ("交办", "完成")), ("completed_on", "verified_on", ("完成", "销号")))


def _inverted(checks: tuple) -> pl.Expr:
    """Any of the table's date pairs out of order (a null date is never out of order)."""
    return pl.any_horizontal([pl.col(second) < pl.col(first) for first, second, _ in checks]).fill_null(False)


def late_reports(updates: pl.LazyFrame | pl.DataFrame, rect: pl.LazyFrame) -> pl.LazyFrame:
    """Progress reports dated after the item's completion that show less than 100 %."""
    return (updates.lazy()
            .join(rect.select("item_id", "completed_on"), on="item_id")
            .filter((pl.col("reported_on") > pl.col("completed_on")) & (pl.col("progress_pct") < 100))
            .drop("completed_on"))


def rule_p1(updates: pl.DataFrame, cases: pl.LazyFrame, comp: pl.LazyFrame, rect: pl.LazyFrame,
            as_of: date) -> pl.LazyFrame:
    """P1 橙: dates out of order in one record (流程倒置). Flagged, never refused at import:
    the ledger is the fact and the inversion is the finding. `updates` may be any superset of
    the late reports (see `late_reports`)."""
    def inversion(lf, id_col, rtype, checks, unit=None):
        parts = []
        for first, second, text in checks:
            bad = pl.col(second) < pl.col(first)
            parts.append(_rows(lf.filter(bad), "P1", rtype, id_col, unit=unit,
                               days=_days(pl.col(first), pl.col(second)),
                               reason=_fmt("{}（{}）早于{}（{}）", pl.lit(text[1]), pl.col(second).cast(pl.String),
                                                pl.lit(text[0]), pl.col(first).cast(pl.String))))
        return parts

    parts = []
    parts += inversion(cases, "case_id", "case", CASE_ORDER, unit=pl.col("unit_name"))
    parts += inversion(comp, "complaint_id", "complaint", COMPLAINT_ORDER)
    parts += inversion(rect, "item_id", "rectification", RECT_ORDER, unit=pl.col("responsible_unit"))
    # A progress report after completion that shows less than 100 %.
    late = (late_reports(updates, rect)
            .join(rect.select("item_id", "region_code", "completed_on", "responsible_unit"), on="item_id")
            .group_by("item_id", "region_code", "responsible_unit")
            .agg(pl.col("reported_on").max(), pl.col("progress_pct").min(), pl.col("completed_on").first()))
    parts.append(_rows(late, "P1", "rectification", "item_id", unit=pl.col("responsible_unit"),
                       days=_days(pl.col("reported_on"), pl.col("completed_on")),
                       reason=_fmt("已于 {} 完成，但 {} 的进度月报仅 {}%", pl.col("completed_on").cast(pl.String),
                                        pl.col("reported_on").cast(pl.String),
                                        pl.col("progress_pct").round(0).cast(pl.Int64))))
    return pl.concat(parts, how="vertical")


RECT_RULES: dict[str, Callable] = {"R1": rule_r1, "R2": rule_r2, "R3": rule_r3, "R4": rule_r4}
COMPLAINT_RULES: dict[str, Callable] = {"C1": rule_c1, "C2": rule_c2, "C3": rule_c3}
CASE_RULES: dict[str, Callable] = {"K1": rule_k1, "K2": rule_k2}


def _reports(tables: Tables) -> tuple[pl.DataFrame, pl.Series]:
    """The monthly reports keyed by their item's row in the ledger (an integer, not the text
    id), sorted by row and date once per data version; and which rows have any report."""
    def build() -> tuple[pl.DataFrame, pl.Series]:
        rows = tables.rectifications.select("item_id").with_row_index("_r")
        reports = (tables.progress_updates.lazy().join(rows.lazy(), on="item_id", how="inner")
                   .select("_r", "reported_on", "progress_pct")
                   .sort("_r", "reported_on", maintain_order=True).collect())
        has = pl.repeat(False, tables.rectifications.height, dtype=pl.Boolean, eager=True)
        if reports.height:
            has = has.scatter(reports["_r"].unique(), True)
        return reports, has

    return tables.memo.get(("reports",), build)


def rect_at(tables: Tables, as_of: date) -> pl.DataFrame:
    """Every rectification item with its progress and last report as they stood on as_of, from
    the monthly reports dated on or before it: the ledger's progress_pct is the latest value,
    which for a past as_of would be reading the future; items with no reports at all keep the
    ledger's values. Computed once per as_of and data version, since the warnings, the boards
    and the project board all start from it; only the two as-of columns are new, the rest are
    the ledger's own columns, shared."""
    def build() -> pl.DataFrame:
        rect = tables.rectifications
        reports, has = _reports(tables)
        # Within a group rows keep their order, so last() is the latest report by as_of.
        known = (reports.lazy().filter(pl.col("reported_on") <= as_of)
                 .group_by("_r").agg(pl.col("reported_on").last(), pl.col("progress_pct").last()).collect())
        last = pl.repeat(None, rect.height, dtype=pl.Date, eager=True).scatter(known["_r"], known["reported_on"])
        pct = pl.repeat(None, rect.height, dtype=pl.Float64, eager=True).scatter(known["_r"], known["progress_pct"])
        return rect.with_columns(
            pl.when(has).then(pct.fill_null(0.0)).otherwise(pl.col("progress_pct")).alias("progress_pct"),
            pl.when(has).then(last).otherwise(pl.col("last_update_on")).alias("last_update_on"))

    return tables.memo.get(("rect_at", as_of), build)


def _candidates(tables: Tables, as_of: date, cfg: WarningConfig) -> dict[str, pl.DataFrame]:
    """The rows any rule can flag at as_of, per table, unfiltered by region or category.

    Each set is a superset of what its rules select (open at as_of, the C3 window, a K2 link
    missing, dates out of order), and every rule is a row filter or a group-by over its own
    rows, so running the rules on the filtered candidates gives exactly the rows they give on
    the whole table (tests/test_warnings.py checks this on the demo city). The sets are a few
    per cent of the ledgers, so the next region or field filter at the same as_of costs
    milliseconds instead of a scan of every record."""
    def build() -> dict[str, pl.DataFrame]:
        rect = rect_at(tables, as_of)
        late = late_reports(tables.progress_updates, rect.lazy()).collect()
        open_rect = (pl.col("started_on") <= as_of) & (pl.col("completed_on").is_null() | (pl.col("completed_on") > as_of))
        window = as_of - timedelta(days=cfg.c3_window_days - 1)
        repeat = pl.col("is_repeat").fill_null(False) & pl.col("received_on").is_between(window, as_of)
        missing = lambda c: pl.col(c).is_null() | (pl.col(c) > as_of)  # noqa: E731
        # K1 and K2 need D days since filing / closing; C1 and C2 a due date at most N days off.
        case_open = (pl.col("filed_on") <= as_of - timedelta(days=cfg.k1_days)) & missing("closed_on")
        case_link = ((pl.col("closed_on") <= as_of - timedelta(days=cfg.k2_days))
                     & (missing("revisit_on") | missing("feedback_on")))
        complaint_due = _open_complaint(as_of) & (pl.col("due_on") <= as_of + timedelta(days=cfg.c2_days))
        return {
            "rect": rect.filter((open_rect | _inverted(RECT_ORDER)).fill_null(False)
                                | pl.col("item_id").is_in(late["item_id"].unique().implode())),
            "late": late,
            "complaints": tables.complaints.filter((complaint_due | repeat).fill_null(False)
                                                   | _inverted(COMPLAINT_ORDER)),
            "cases": tables.cases.filter((case_open | case_link).fill_null(False) | _inverted(CASE_ORDER)),
        }

    return tables.memo.get(("warning_candidates", as_of, cfg), build)


def evaluate(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: WarningConfig,
             rules: tuple[str, ...] | None = None) -> pl.DataFrame:
    """All warnings at as_of within the scope and region filter, most severe first.

    Every rule's rows belong to one record or one village, so the warnings inside a region are
    the city's warnings whose region lies inside it: the city-wide list is worked out once per
    as_of, categories and rules (kept on the tables) and each region or jurisdiction only
    filters it."""
    categories = replace(filters, start=date.min, end=date.max, region=None)
    whole = tables.memo.get(("warnings", as_of, cfg, categories, rules),
                            lambda: _evaluate(tables, categories, Scope(), as_of, cfg, rules))
    if effective_region(filters, scope) is None:
        return whole
    return flt.apply(whole, replace(filters, start=date.min, end=date.max), scope).collect()


def _evaluate(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: WarningConfig,
              rules: tuple[str, ...] | None = None) -> pl.DataFrame:
    f = replace(filters, start=date.min, end=date.max)
    cand = _candidates(tables, as_of, cfg)
    rect = flt.apply(cand["rect"], f, scope)
    comp = flt.apply(cand["complaints"], f, scope)
    cases = flt.apply(cand["cases"], f, scope)
    want = set(rules or RULES_INFO)
    rect_parts = [fn(rect, as_of, cfg) for rid, fn in RECT_RULES.items() if rid in want]
    parts: list[pl.LazyFrame] = []
    if rect_parts:
        ranked = pl.concat(rect_parts).with_columns(
            pl.col("rule").replace_strict({r: i for i, r in enumerate(RECT_PRECEDENCE)}, return_dtype=pl.Int8).alias("_p"))
        parts.append(ranked.sort("_p").unique("record_id", keep="first", maintain_order=True).drop("_p"))
    parts += [fn(comp, as_of, cfg) for rid, fn in COMPLAINT_RULES.items() if rid in want]
    parts += [fn(cases, as_of, cfg) for rid, fn in CASE_RULES.items() if rid in want]
    if "P1" in want:
        parts.append(rule_p1(cand["late"], cases, comp, rect, as_of))
    if not parts:
        return pl.DataFrame(schema={**SCHEMA, "district": pl.String, "township": pl.String, "village": pl.String})
    out = with_region_path(pl.concat(parts, how="vertical"), tables.regions)
    return (out.with_columns(pl.col("level").replace_strict(LEVEL_ORDER, return_dtype=pl.Int8).alias("_sev"))
            .sort(["_sev", "days", "record_id"], descending=[False, True, False], nulls_last=True)
            .drop("_sev")
            .select("rule", "level", "record_type", "record_id", "region_code", "district", "township",
                    "village", "unit", "person", "project", "days", "lag_points", "due_on", "reason")
            .collect())


def counts(warnings: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Counts by rule and by level, every rule and level present (zeros included)."""
    by_rule = dict(warnings.group_by("rule").len().iter_rows())
    by_level = dict(warnings.group_by("level").len().iter_rows())
    return {"by_rule": {r: int(by_rule.get(r, 0)) for r in RULES_INFO},
            "by_level": {lv: int(by_level.get(lv, 0)) for lv in LEVEL_ORDER}}
