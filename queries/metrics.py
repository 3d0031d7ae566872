"""Every metric of docs/metrics.md, defined once, and computed for a period, per child region or per month.

A metric is a sum (or a ratio of sums) of "parts"; a part is one table, the event date that places
a record in a period, and the value each record contributes. The same part definitions serve the
summary, the roll-up to child regions and the monthly series, so the cockpit, the map, the trend
charts, the CLI and the exports cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from datetime import date, timedelta

import polars as pl

from queries import filters as flt
from queries.facts import FILTER_COLUMNS, RID, Facts
from queries.filters import Filters, Scope
from queries.regions import OWN_LEVEL, child_level, child_rows, level_of, root_code
from queries.persons import LISTED
from queries.schema import DISPOSITIONS, PREFIX_LEN, Tables

GOOD_SATISFACTION = ("满意", "基本满意")
EVALUATED_SATISFACTION = ("满意", "基本满意", "不满意")


@dataclass(frozen=True)
class Value:
    """What one record contributes to a part, kept as data rather than as a polars expression so
    that the in-memory engine (here) and the PostgreSQL pushdown (queries/pushdown.py) compile the
    very same definition; neither can drift from the other.

    kinds: count · sum (of `cols`, nulls as 0) · done_by (cols[0] on or before as_of) ·
    done_on_time (also on or before due_on) · one_of (cols[0] in `values`) · flag (cols[0] true) ·
    flag_and_present (cols[0] true and cols[1] filled) · overdue (open at as_of, due_on passed) ·
    unlisted_sum (sum, for a case without person rows only: one with them is counted from them) ·
    unlisted_persons (cols[0], blank as 1, for a case without person rows: its 立案人数) ·
    times_of (cols[1], blank as 1, where cols[0] is in `values`: a link event's 次数).
    """

    kind: str
    cols: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    def __call__(self, as_of: date) -> pl.Expr:
        """The per-row polars expression (null counts as 0 / false)."""
        c = [pl.col(n) for n in self.cols]
        if self.kind == "count":
            return pl.repeat(1, pl.len(), dtype=pl.Int64)
        if self.kind == "sum":
            return pl.sum_horizontal([x.fill_null(0) for x in c])
        unlisted = ~pl.col(LISTED).fill_null(False)
        if self.kind == "unlisted_sum":
            return pl.when(unlisted).then(pl.sum_horizontal([x.fill_null(0) for x in c])).otherwise(0)
        if self.kind == "unlisted_persons":
            return pl.when(unlisted).then(c[0].fill_null(1)).otherwise(0).cast(pl.Int64)
        if self.kind == "times_of":
            return pl.when(c[0].is_in(list(self.values))).then(c[1].fill_null(1)).otherwise(0).fill_null(0).cast(pl.Int64)
        if self.kind == "done_by":
            cond = c[0] <= as_of
        elif self.kind == "done_on_time":
            cond = (c[0] <= as_of) & (c[0] <= pl.col("due_on"))
        elif self.kind == "one_of":
            cond = c[0].is_in(list(self.values))
        elif self.kind == "flag":
            cond = c[0]
        elif self.kind == "flag_and_present":
            cond = c[0].fill_null(False) & c[1].is_not_null()
        elif self.kind == "overdue":
            start, end = self.spell()
            cond = (start <= as_of) & (end.is_null() | (end > as_of))
        else:
            raise ValueError(f"unknown value kind {self.kind}")
        return cond.fill_null(False).cast(pl.Int64)

    def spell(self) -> tuple[pl.Expr, pl.Expr] | None:
        """For a stock: the first day a record counts and the day it stops (null: not yet).
        An overdue item counts from the day after due_on until the day it is completed."""
        if self.kind == "overdue":
            return pl.col("due_on") + timedelta(days=1), pl.col("completed_on")
        return None

    @property
    def uses_as_of(self) -> bool:
        return self.kind in ("done_by", "done_on_time", "overdue")

    def total(self, as_of: date) -> pl.Expr:
        """The sum over the rows in context, as Float64 (a count is just the row count)."""
        if self.kind == "count":
            return pl.len().cast(pl.Float64)
        return self(as_of).cast(pl.Float64).sum()


@dataclass(frozen=True)
class Part:
    """Sum of `value(as_of)` over `table`'s rows whose `date_col` falls in the period.

    date_col None marks a stock measured at as_of (the period is ignored)."""

    name: str
    table: str
    date_col: str | None
    value: Value


COUNT = Value("count")
# A case's persons where it has no person rows (立案人数, blank as 1); with rows, the rows count.
CASE_PERSONS = Value("unlisted_persons", ("persons",))
# 处置方式 → metric key (dispositions of leads, docs/metrics.md 线索处置).
DISPOSITION_KEYS = {"谈话函询": "disposed_talk", "初步核实": "disposed_verify", "暂存待查": "disposed_hold",
                    "予以了结": "disposed_closed", "立案审查": "disposed_filed", "转办": "disposed_referred"}
FORM_KEYS = ("form1_persons", "form2_persons", "form3_persons", "form4_persons")
# Link events counted in 次 (sum of times): link → metric key.
LINK_KEYS = {"通报": "notify_events", "曝光": "expose_events", "反思剖析": "reflections",
             "回访促建": "revisits", "反馈整改": "feedbacks"}

PARTS: dict[str, Part] = {p.name: p for p in [
    Part("cases_filed", "cases", "filed_on", COUNT),
    # Per-case counts for cases without person rows, plus the person rows by their decision date.
    Part("persons_disciplined", "cases", "closed_on", Value("unlisted_sum", ("party_discipline", "gov_sanction"))),
    Part("persons_disciplined_rows", "persons", "decided_on", Value("flag", ("_sanctioned",))),
    Part("org_handling", "cases", "closed_on", Value("unlisted_sum", ("org_handling",))),
    Part("org_handling_rows", "persons", "decided_on", Value("flag", ("_org",))),
    Part("transferred_judicial", "cases", "closed_on", Value("unlisted_sum", ("transferred_judicial",))),
    Part("transferred_judicial_rows", "persons", "decided_on", Value("flag", ("transferred_judicial",))),
    Part("accountability", "cases", "closed_on", Value("unlisted_sum", ("accountability",))),
    Part("accountability_rows", "persons", "decided_on", Value("flag", ("accountable",))),
    # 件 and 人 (docs/metrics.md Metrics): 立案 / 审结 / 通报 / 曝光.
    Part("persons_filed", "cases", "filed_on", CASE_PERSONS),
    Part("persons_filed_rows", "persons", "filed_on", Value("flag", ("_subject",))),
    Part("cases_closed", "cases", "closed_on", COUNT),
    Part("persons_closed", "cases", "closed_on", CASE_PERSONS),
    Part("persons_closed_rows", "persons", "_case_closed_on", Value("flag", ("_subject",))),
    Part("notified_cases", "cases", "notified_on", COUNT),
    Part("notified_persons", "cases", "notified_on", CASE_PERSONS),
    Part("notified_persons_rows", "persons", "_case_notified_on", Value("flag", ("_notified",))),
    Part("exposed_persons", "cases", "exposed_on", CASE_PERSONS),
    Part("exposed_persons_rows", "persons", "_case_exposed_on", Value("flag", ("_exposed",))),
    # 四种形态 人次 by decision date (queries.persons `_form`, config/forms.toml).
    *[Part(k, "persons", "decided_on", Value("one_of", ("_form",), (str(i + 1),))) for i, k in enumerate(FORM_KEYS)],
    # The five links as events (次).
    *[Part(k, "link_events", "held_on", Value("times_of", ("link", "times"), (link,))) for link, k in LINK_KEYS.items()],
    # 线索处置 by disposal date.
    Part("leads_disposed", "complaints", "disposed_on", Value("one_of", ("disposition",), DISPOSITIONS)),
    *[Part(k, "complaints", "disposed_on", Value("one_of", ("disposition",), (word,)))
      for word, k in DISPOSITION_KEYS.items()],
    Part("exposed", "cases", "exposed_on", COUNT),
    Part("case_funds", "cases", "closed_on", Value("sum", ("amount_recovered",))),
    Part("rect_funds", "rectifications", "completed_on", Value("sum", ("funds_recovered",))),
    Part("complaints_received", "complaints", "received_on", COUNT),
    Part("complaints_closed", "complaints", "received_on", Value("done_by", ("closed_on",))),
    Part("complaints_closed_on_time", "complaints", "received_on", Value("done_on_time", ("closed_on",))),
    Part("complaints_satisfied", "complaints", "received_on", Value("one_of", ("satisfaction",), GOOD_SATISFACTION)),
    Part("complaints_evaluated", "complaints", "received_on",
         Value("one_of", ("satisfaction",), EVALUATED_SATISFACTION)),
    # Complaints already due at as_of: a bucket's rates are mature once all of it is (queries.periods).
    Part("complaints_due", "complaints", "received_on", Value("done_by", ("due_on",))),
    Part("complaints_in_scope", "complaints", "received_on", Value("flag", ("in_scope",))),
    Part("complaints_converted", "complaints", "received_on", Value("flag_and_present", ("in_scope", "case_id"))),
    Part("rectifications_total", "rectifications", "started_on", COUNT),
    Part("rectifications_completed", "rectifications", "completed_on", COUNT),
    Part("rules_established", "rectifications", "completed_on", Value("sum", ("rules_established",))),
    Part("rect_due", "rectifications", "due_on", COUNT),
    Part("rect_due_completed", "rectifications", "due_on", Value("done_by", ("completed_on",))),
    Part("rect_due_completed_on_time", "rectifications", "due_on", Value("done_on_time", ("completed_on",))),
    Part("rectifications_overdue", "rectifications", None, Value("overdue")),
]}


@dataclass(frozen=True)
class Metric:
    """A sum of parts, or (when `den` is set) a ratio of two sums. `unit` drives formatting."""

    key: str
    num: tuple[str, ...]
    den: tuple[str, ...] = ()
    unit: str = "count"  # count | people | person_times (人次) | money | rate
    higher_is_better: bool = True

    @property
    def is_rate(self) -> bool:
        return bool(self.den)

    @property
    def is_stock(self) -> bool:
        return any(PARTS[p].date_col is None for p in self.num)


METRICS: dict[str, Metric] = {m.key: m for m in [
    Metric("cases_filed", ("cases_filed",)),
    Metric("persons_disciplined", ("persons_disciplined", "persons_disciplined_rows"), unit="people"),
    Metric("org_handling", ("org_handling", "org_handling_rows"), unit="people"),
    Metric("transferred_judicial", ("transferred_judicial", "transferred_judicial_rows"), unit="people"),
    Metric("accountability", ("accountability", "accountability_rows"), unit="people"),
    Metric("persons_filed", ("persons_filed", "persons_filed_rows"), unit="people"),
    Metric("cases_closed", ("cases_closed",)),
    Metric("persons_closed", ("persons_closed", "persons_closed_rows"), unit="people"),
    Metric("notified_cases", ("notified_cases",)),
    Metric("notified_persons", ("notified_persons", "notified_persons_rows"), unit="people"),
    Metric("exposed_persons", ("exposed_persons", "exposed_persons_rows"), unit="people"),
    *[Metric(k, (k,), unit="person_times") for k in FORM_KEYS],
    Metric("forms_total", FORM_KEYS, unit="person_times"),
    *[Metric(k.replace("_persons", "_share"), (k,), FORM_KEYS, unit="rate") for k in FORM_KEYS],
    *[Metric(k, (k,)) for k in LINK_KEYS.values()],
    Metric("exposed", ("exposed",)),
    Metric("funds_recovered_wan", ("case_funds", "rect_funds"), unit="money"),
    Metric("complaints_received", ("complaints_received",)),
    Metric("complaints_closed", ("complaints_closed",)),
    Metric("closure_rate", ("complaints_closed",), ("complaints_received",), unit="rate"),
    Metric("on_time_rate", ("complaints_closed_on_time",), ("complaints_closed",), unit="rate"),
    Metric("satisfaction_rate", ("complaints_satisfied",), ("complaints_evaluated",), unit="rate"),
    # The rates' bases (满意率 of how many rated complaints, 整改完成率 of how many items due):
    # the 同比 "what got worse" list ranks no rate on a tiny base (queries/worsened.py).
    Metric("complaints_evaluated", ("complaints_evaluated",)),
    Metric("conversion_rate", ("complaints_converted",), ("complaints_in_scope",), unit="rate"),
    Metric("leads_disposed", ("leads_disposed",)),
    Metric("disposal_rate", ("leads_disposed",), ("complaints_received",), unit="rate"),
    *[Metric(k, (k,)) for k in DISPOSITION_KEYS.values()],
    Metric("rectifications_total", ("rectifications_total",)),
    Metric("rectifications_completed", ("rectifications_completed",)),
    Metric("rectifications_due", ("rect_due",)),
    Metric("completion_rate", ("rect_due_completed",), ("rect_due",), unit="rate"),
    Metric("on_time_completion_rate", ("rect_due_completed_on_time",), ("rect_due",), unit="rate"),
    Metric("rectifications_overdue", ("rectifications_overdue",), higher_is_better=False),
    Metric("rules_established", ("rules_established",)),
]}

# The keys of `summary --json`, in the order of docs/cli.md.
SUMMARY_KEYS = (
    "cases_filed", "persons_disciplined", "org_handling", "transferred_judicial", "accountability",
    "exposed", "funds_recovered_wan", "complaints_received", "complaints_closed", "closure_rate",
    "on_time_rate", "satisfaction_rate", "rectifications_total", "rectifications_completed",
    "rectifications_overdue", "rules_established",
)
# The keys docs/metrics.md added for 件 and 人, 四种形态, the five links and 线索处置 (after the above;
# then `dispositions` and `complaints_by_channel`, see `full_summary`).
PERSON_SUMMARY_KEYS = (
    "persons_filed", "cases_closed", "persons_closed", "notified_cases", "notified_persons", "exposed_persons",
    *FORM_KEYS, "reflections", "revisits", "feedbacks", "leads_disposed",
)

KEY = "key"      # a result's region (child) code
MONTH = "month"  # a result's month (first day)


def _parts_for(metric_keys: Sequence[str]) -> list[Part]:
    names: dict[str, None] = {}
    for k in metric_keys:
        m = METRICS[k]
        for p in (*m.num, *m.den):
            names[p] = None
    return [PARTS[n] for n in names]


def by_source(parts: Sequence[Part]) -> dict[tuple[str, str | None], list[Part]]:
    """Parts that read the same table by the same date: one scan computes them all."""
    out: dict[tuple[str, str | None], list[Part]] = {}
    for p in parts:
        out.setdefault((p.table, p.date_col), []).append(p)
    return out


class Source(Protocol):
    """Where part sums come from: the in-memory tables (below) or PostgreSQL (queries/pushdown)."""

    @property
    def regions(self) -> pl.DataFrame: ...

    def sums(self, parts: Sequence[Part], filters: Filters, scope: Scope, as_of: date,
             by: str | None) -> pl.DataFrame:
        """One column per part, summed over the rows in the region, categories and (for flow
        parts) the period. by=None: one row; "child": per child of the region viewed (column
        KEY, records outside every child left out); "month": per first day of the event's
        month (column MONTH, flow parts only); "child_month": per child and month."""

    def stocks(self, parts: Sequence[Part], filters: Filters, scope: Scope,
               ats: Sequence[date]) -> dict[str, list[float]]:
        """Each stock part measured at each date of `ats`."""


# "Done at any time": a Value evaluated at this as_of counts every record done, whenever.
EVER = date(9999, 12, 31)



class MemorySource:
    """Part sums over the loaded tables, through their compact fact copies (queries/facts)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.facts = tables.facts

    @property
    def regions(self) -> pl.DataFrame:
        return self.tables.regions

    def sums(self, parts: Sequence[Part], filters: Filters, scope: Scope, as_of: date,
             by: str | None) -> pl.DataFrame:
        kids, lookup = self._children(filters, scope) if by in ("child", "child_month") else (None, None)
        frames: list[pl.LazyFrame] = []
        for (table, date_col), group in by_source(parts).items():
            keys = _keys(by, date_col, lookup)
            if self._category_filtered(table, filters):  # cubes hold no categories: read the rows
                frames.append(self._from_rows(table, date_col, group, filters, scope, as_of, keys))
                continue
            frames += self._from_cubes(table, date_col, group, filters, scope, as_of, keys, kids is not None)
            uncubed = [p for p in group if date_col is None and p.value.spell() is None]
            if uncubed:
                frames.append(self._from_rows(table, date_col, uncubed, filters, scope, as_of, keys))
        # A part measured in several frames (cube and correction) is their sum.
        combined = pl.concat(pl.collect_all(frames), how="diagonal")
        if by is None:
            return combined.select(pl.all().sum())
        names = [c for c in combined.columns if c not in (_CHILD, MONTH)]
        if MONTH in combined.columns:
            combined = combined.with_columns(pl.col(MONTH).dt.truncate("1mo"))  # days into months, on few rows
        out = combined.group_by([c for c in (_CHILD, MONTH) if c in combined.columns]).agg(pl.col(names).sum())
        if kids is not None:
            out = kids.join(out, on=_CHILD, how="inner").drop(_CHILD)  # leaves out "no child"
        return out

    def _from_cubes(self, table: str, date_col: str | None, group: list[Part], filters: Filters, scope: Scope,
                    as_of: date, keys: list[pl.Expr], per_child: bool) -> list[pl.LazyFrame]:
        """Flow parts from the cubes (with the as_of correction); stocks with a spell from the
        spell cube, as the events up to as_of. Stocks without one are left to `_from_rows`."""
        where = self._region_pred(filters, scope)
        if date_col is None:
            return [_grouped(self._spells(table, p.value, filters, scope).filter(pl.col("day") <= as_of),
                             [pl.col("delta").sum().cast(pl.Float64).alias(p.name)], keys)
                    for p in group if p.value.spell() is not None]
        if where or per_child:
            lf = self._period_rows(table, date_col, filters.start, filters.end).filter(*where)
        else:  # the whole store, the leadership's default view: a cube of days alone
            lf = self._day_cube(table, date_col).lazy()
        lf = lf.filter(flt.in_period(date_col, filters.start, filters.end))
        out = [_grouped(lf, [pl.col(p.name).sum() for p in group], keys)]
        late = [p for p in group if p.value.uses_as_of]
        if late:
            out += self._done_after(table, date_col, late, filters, scope, as_of, keys)
        return out

    def _from_rows(self, table: str, date_col: str | None, group: list[Part], filters: Filters, scope: Scope,
                   as_of: date, keys: list[pl.Expr]) -> pl.LazyFrame:
        """The parts summed over the compact copy's rows (category filters applied)."""
        lf = self.facts.scan(table, filters, scope)
        if date_col is not None:
            lf = lf.filter(flt.in_period(date_col, filters.start, filters.end))
        return _grouped(lf, [p.value.total(as_of).alias(p.name) for p in group], keys)

    def _children(self, filters: Filters, scope: Scope) -> tuple[pl.DataFrame, pl.Series]:
        """The viewed region's children as (position, code), and for every region id the
        position of the child it lies in (one past the last: none). Grouping millions of cube
        rows by a gathered small integer is several times cheaper than by region id."""
        region = flt.effective_region(filters, scope) or root_code(self.regions)
        codes = child_rows(self.regions, region)["code"]  # the children, then 本级 (the region's own code)
        level = child_level(level_of(region)) or "village"
        lookup = (self.facts.codes.str.slice(0, PREFIX_LEN[level]).str.pad_end(len(region), "0")
                  .replace_strict(codes, range(len(codes)), default=len(codes), return_dtype=pl.Int32))
        return pl.DataFrame({_CHILD: pl.Series(range(len(codes)), dtype=pl.Int32), KEY: codes}), lookup

    def _done_after(self, table: str, date_col: str, late: list[Part], filters: Filters, scope: Scope,
                    as_of: date, keys: list[pl.Expr]) -> list[pl.LazyFrame]:
        """What the cube over-counts for parts done "by as_of", as negative sums: the cube holds
        them done at any time, so the period's records done after as_of are taken off. Up to
        as_of those are the records still pending then (few), kept as a small cube per as_of;
        a period reaching past as_of (rare) has its later days scanned."""
        names = [p.name for p in late]
        pending = (self._pending(table, date_col, as_of).lazy().filter(*self._region_pred(filters, scope))
                   .filter(flt.in_period(date_col, filters.start, min(filters.end, as_of))))
        out = [_grouped(pending, [pl.col(n).sum() for n in names], keys)]
        if filters.end > as_of:
            after = (self.facts.scan(table, filters, scope)
                     .filter(flt.in_period(date_col, max(filters.start, as_of + timedelta(days=1)), filters.end)))
            out.append(_grouped(after, _undone(late, as_of), keys))
        return out

    def _pending(self, table: str, date_col: str, as_of: date) -> pl.DataFrame:
        """Per region and day of `date_col` up to as_of, minus the as_of parts' values of the
        records done only after as_of."""
        late = [p for p in by_source(PARTS.values())[(table, date_col)] if p.value.uses_as_of]
        done_cols = sorted({p.value.cols[0] for p in late})
        return _kept(self.facts, ("pending", table, date_col, as_of), lambda: (
            self.facts.frames[table].lazy().filter(pl.col(date_col) <= as_of)
            .filter(pl.any_horizontal([pl.col(c) > as_of for c in done_cols]))
            .group_by(RID, date_col).agg(_undone(late, as_of)).collect()))

    def _category_filtered(self, table: str, filters: Filters) -> bool:
        names = self.facts.frames[table].columns
        return any(getattr(filters, attr) and col in names for col, attr in FILTER_COLUMNS.items())

    def _region_pred(self, filters: Filters, scope: Scope) -> list[pl.Expr]:
        region = flt.effective_region(filters, scope)
        if region is None:
            return []
        lo, hi = self.facts.region_range(region)
        return [pl.col(RID).is_between(lo, hi, closed="left")]

    def _cube(self, table: str, date_col: str) -> pl.DataFrame:
        """Every part read by (table, date_col), summed per region and day: a ledger of
        millions of rows shrinks to about (regions × days) rows, and every later period,
        region or roll-up is summed from that. Parts that count "done by as_of" are summed as
        done at any time (`EVER`); `_done_after` corrects them for the as_of asked."""
        group = by_source(PARTS.values())[(table, date_col)]
        return _kept(self.facts, (table, date_col), lambda: (
            self.facts.frames[table].lazy().filter(pl.col(date_col).is_not_null())
            .group_by(RID, date_col).agg([p.value.total(EVER).alias(p.name) for p in group]).collect()))

    def _period_rows(self, table: str, date_col: str, start: date, end: date) -> pl.LazyFrame:
        """Cube rows covering [start, end]: whole calendar months from the month cube (one row
        per region and month), the partial months at either edge from the day cube. Periods
        are mostly whole months, so a year reads ~12 rows per region instead of ~365."""
        first = start if start.day == 1 else flt.add_months(start.replace(day=1), 1)
        last = end if end == flt.month_end(end) else end.replace(day=1) - timedelta(days=1)
        days = self._cube(table, date_col).lazy()
        if first > last:
            return days.filter(flt.in_period(date_col, start, end))
        months = self._month_cube(table, date_col).lazy().filter(flt.in_period(date_col, first, last))
        edges = days.filter(flt.in_period(date_col, start, first - timedelta(days=1))
                            | flt.in_period(date_col, last + timedelta(days=1), end))
        return pl.concat([months, edges])

    def _month_cube(self, table: str, date_col: str) -> pl.DataFrame:
        """`_cube` per region and month (dated the month's first day)."""
        return _kept(self.facts, (table, date_col, "month"), lambda: (
            self._cube(table, date_col).group_by(RID, pl.col(date_col).dt.truncate("1mo")).agg(pl.all().sum())))

    def _day_cube(self, table: str, date_col: str) -> pl.DataFrame:
        """`_cube` summed over regions: a few thousand rows for the whole store."""
        return _kept(self.facts, (table, date_col, "day"), lambda: (
            self._cube(table, date_col).group_by(date_col).agg(pl.exclude(RID).sum())))

    def stocks(self, parts: Sequence[Part], filters: Filters, scope: Scope,
               ats: Sequence[date]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for (table, _), group in by_source(parts).items():
            if not self._category_filtered(table, filters):
                spelled = [p for p in group if p.value.spell() is not None]
                for p in spelled:
                    out[p.name] = self._stock_from_spells(table, p.value, filters, scope, ats)
                group = [p for p in group if p not in spelled]
                if not group:
                    continue
            row = self.facts.scan(table, filters, scope).select(
                [p.value.total(at).alias(f"{p.name}#{i}")
                 for p in group for i, at in enumerate(ats)]).collect().row(0, named=True)
            for p in group:
                out[p.name] = [row[f"{p.name}#{i}"] for i in range(len(ats))]
        return out

    def _stock_from_spells(self, table: str, value: Value, filters: Filters, scope: Scope,
                           ats: Sequence[date]) -> list[float]:
        per_day = self._spells(table, value, filters, scope).group_by("day").agg(pl.col("delta").sum()).collect()
        counts = per_day.select([pl.col("delta").filter(pl.col("day") <= at).sum().alias(str(i))
                                 for i, at in enumerate(ats)]).row(0)
        return [float(c) for c in counts]

    def _spells(self, table: str, value: Value, filters: Filters, scope: Scope) -> pl.LazyFrame:
        return self._spell_events(table, value).lazy().filter(*self._region_pred(filters, scope))

    def _spell_events(self, table: str, value: Value) -> pl.DataFrame:
        """Where each record's spell of counting starts (+1) and ends (-1), summed per region
        and day (`Value.spell`). The stock at any date is then the sum of the events up to it:
        a stock at twelve month ends is read from this small cube instead of twelve passes over
        the ledger."""
        start, end = value.spell()
        rows = self.facts.frames[table].lazy().filter(start.is_not_null())
        starts = (rows.filter(end.is_null() | (end > start))
                  .select(RID, start.alias("day"), pl.lit(1, dtype=pl.Int64).alias("delta")))
        ends = rows.filter(end > start).select(RID, end.alias("day"), pl.lit(-1, dtype=pl.Int64).alias("delta"))
        return _kept(self.facts, ("spell_events", table, value), lambda: (
            pl.concat([starts, ends]).group_by(RID, "day").agg(pl.col("delta").sum()).collect()))


def _kept(facts: Facts, key: tuple, build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """A cube of this data version, built on first use (once, however many sessions ask) and
    kept; the least recently used is dropped first, so the per-ledger cubes every query reads
    outlive the per-date ones."""
    return facts.cubes.get(key, build)


def _undone(late: Sequence[Part], as_of: date) -> list[pl.Expr]:
    """Minus each part's done-at-any-time value, for the records done only after as_of."""
    return [(-(p.value(EVER) * (pl.col(p.value.cols[0]) > as_of).fill_null(False).cast(pl.Int64))
             .cast(pl.Float64).sum()).alias(p.name) for p in late]


_CHILD = "_child"


def _keys(by: str | None, date_col: str | None, lookup: pl.Series | None) -> list[pl.Expr]:
    """Group keys for `MemorySource.sums`: the child's position (gathered by region id) and the
    event's day (cheap integer keys; days become months on the small result)."""
    keys = []
    if by in ("child", "child_month"):
        keys.append(pl.lit(lookup).gather(pl.col(RID)).alias(_CHILD))
    if by in ("month", "child_month"):
        keys.append(pl.col(date_col).alias(MONTH))
    return keys


def _grouped(lf: pl.LazyFrame, aggs: list[pl.Expr], keys: list[pl.Expr]) -> pl.LazyFrame:
    return lf.group_by(keys).agg(aggs) if keys else lf.select(aggs)


def source(tables: "Tables | Source") -> Source:
    return MemorySource(tables) if isinstance(tables, Tables) else tables


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
    keep = [c for c in (KEY, MONTH) if c in frame.columns]
    return frame.select(*keep, *exprs)


def compute(tables: "Tables | Source", filters: Filters, scope: Scope, as_of: date,
            metric_keys: Sequence[str] = tuple(METRICS)) -> dict[str, float | int | None]:
    """Each metric over the whole period and region: the numbers on the KPI cards."""
    row = source(tables).sums(_parts_for(metric_keys), filters, scope, as_of, None)
    return _finish(row.fill_null(0), metric_keys).row(0, named=True)


def summary(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> dict:
    """The first `summary --json` keys (docs/cli.md: cases, complaints, rectifications), money
    rounded to 2 decimals: the figures every page has shown since the start."""
    values = compute(tables, filters, scope, as_of, SUMMARY_KEYS)
    values["funds_recovered_wan"] = round(float(values["funds_recovered_wan"]), 2)
    return {k: values[k] for k in SUMMARY_KEYS}


def full_summary(tables: Tables, filters: Filters, scope: Scope, as_of: date) -> dict:
    """The `summary --json` contract: `summary`, then the 件/人, 四种形态, five-link and
    线索处置 keys, `dispositions` ({处置方式: 件}, every word) and `complaints_by_channel`
    ({渠道: 件}, the channels with complaints in the period)."""
    out = summary(tables, filters, scope, as_of)
    values = compute(tables, filters, scope, as_of, (*PERSON_SUMMARY_KEYS, *DISPOSITION_KEYS.values()))
    out.update({k: values[k] for k in PERSON_SUMMARY_KEYS})
    out["dispositions"] = {word: values[k] for word, k in DISPOSITION_KEYS.items()}
    out["complaints_by_channel"] = by_category(tables, filters, scope, as_of, "complaints_received", "channel")
    return out


def by_category(tables: Tables, filters: Filters, scope: Scope, as_of: date, metric: str, by: str) -> dict[str, int]:
    """One count metric per category over the whole period ({渠道: 件}), largest first: the
    composition charts' `breakdown` summed, so the two cannot disagree. Categories with
    nothing in the period are left out; a blank category is "未填写"."""
    per = breakdown(tables, filters, scope, as_of, metric, by, "1y")
    totals = per.group_by("category").agg(pl.col(metric).sum()).filter(pl.col(metric) > 0)
    return dict(totals.sort([metric, "category"], descending=[True, False]).iter_rows())


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


def rollup(tables: "Tables | Source", filters: Filters, scope: Scope, as_of: date,
           metric_keys: Sequence[str] = tuple(METRICS)) -> pl.DataFrame:
    """Each metric for every child of the region being viewed (all children, zeros included),
    with name, population and a per-10,000-residents column for every non-rate metric.

    Records coded to the region itself come as one more row after the children, its 本级
    (column OWN_LEVEL true, code = the region's own), when there are any: so the rows always
    add up to the region's total."""
    src = source(tables)
    regions = src.regions
    region = flt.effective_region(filters, scope) or root_code(regions)
    level = child_level(level_of(region))
    rows = child_rows(regions, region).rename({"code": KEY})
    kids = rows.filter(~pl.col(OWN_LEVEL))
    if level is None or kids.is_empty():
        return kids.with_columns([pl.lit(None).alias(k) for k in metric_keys])
    names = [p.name for p in _parts_for(metric_keys)]
    per_child = src.sums(_parts_for(metric_keys), filters, scope, as_of, "child")
    own = per_child.filter(pl.col(KEY) == region)
    if own.is_empty() or not any(own[n].fill_null(0).abs().sum() for n in names):
        rows = kids  # nothing recorded at the region's own level
    out = rows.select(KEY).join(per_child, on=KEY, how="left").with_columns(pl.col(names).fill_null(0))
    result = rows.join(_finish(out, metric_keys), on=KEY, how="left")
    per10k = [
        pl.when(pl.col("population") > 0)
        .then(pl.col(k) / pl.col("population") * 10_000).otherwise(None).alias(f"{k}_per10k")
        for k in metric_keys if not METRICS[k].is_rate
    ]
    return result.with_columns(per10k).sort(OWN_LEVEL, KEY)


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


def series(tables: "Tables | Source", filters: Filters, scope: Scope, as_of: date,
           metric_keys: Sequence[str] = tuple(METRICS), every: str = "1mo") -> pl.DataFrame:
    """Each metric per calendar month, quarter or year of the period ("period" = its first
    day), empty buckets as 0. Rates are recomputed from the bucket's own sums, never averaged;
    stocks are measured at each bucket's end (or as_of, if earlier)."""
    out = _bucketed(source(tables), filters, scope, as_of, metric_keys, every, None)
    return out.rename({MONTH: "period"})


def child_series(tables: "Tables | Source", filters: Filters, scope: Scope, as_of: date,
                 metric_keys: Sequence[str] = tuple(METRICS), every: str = "1mo") -> pl.DataFrame:
    """`series` for every child of the region viewed (columns code, period, metrics; sorted):
    the trends page's small multiples, from one pass over the data rather than one per child.
    Records coded to the region itself come under its own code (本级), when there are any."""
    src = source(tables)
    region = flt.effective_region(filters, scope) or root_code(src.regions)
    kids = child_rows(src.regions, region)["code"].to_list()  # the children, then 本级
    if len(kids) == 1:  # no children: nothing to break down
        kids = []
    out = _bucketed(src, filters, scope, as_of, metric_keys, every, kids, own=region)
    own = out.filter(pl.col(KEY) == region)
    if not any(own[k].fill_null(0).abs().sum() for k in metric_keys):
        out = out.filter(pl.col(KEY) != region)  # 本级 only where records are coded to the region itself
    return out.rename({KEY: "code", MONTH: "period"}).sort("code", "period")


def _bucketed(src: Source, filters: Filters, scope: Scope, as_of: date, metric_keys: Sequence[str],
              every: str, kids: list[str] | None, own: str | None = None) -> pl.DataFrame:
    """The series grid (per bucket, or per child × bucket when `kids` is given) filled in.
    `own` is the viewed region when `kids` includes its 本级: that row's stocks are the
    region's less its children's (no filter selects a region's own level alone)."""
    starts = buckets(filters.start, filters.end, every)
    if kids is None:
        out = pl.DataFrame({MONTH: starts}, schema={MONTH: pl.Date})
    else:  # child-major, bucket-minor: the order the stock values below are listed in
        out = pl.DataFrame({KEY: [k for k in kids for _ in starts], MONTH: starts * len(kids)},
                           schema={KEY: pl.String, MONTH: pl.Date})
    keys = [KEY, MONTH] if kids is not None else [MONTH]
    flow_parts = [p for p in _parts_for(metric_keys) if p.date_col is not None]
    stock_parts = [p for p in _parts_for(metric_keys) if p.date_col is None]
    if flow_parts and out.height:
        names = [p.name for p in flow_parts]
        sums = src.sums(flow_parts, filters, scope, as_of, "child_month" if kids is not None else "month")
        bucketed = sums.group_by(*keys[:-1], pl.col(MONTH).cast(pl.Date).dt.truncate(every)).agg(pl.col(names).sum())
        out = out.join(bucketed, on=keys, how="left", maintain_order="left")
    if stock_parts:
        ats = [min(flt.add_months(b, EVERY_MONTHS[every]) - timedelta(days=1), as_of) for b in starts]
        values: dict[str, list[float]] = {p.name: [] for p in stock_parts}
        # Stocks come from small per-day cubes: one call per child costs little.
        for where in ([replace(filters, region=k) for k in kids] if kids is not None else [filters]):
            for name, v in src.stocks(stock_parts, where, scope, ats).items():
                values[name] += v
        if kids and own in kids:  # 本级 = the region's stock less its children's
            n, i = len(ats), kids.index(own)
            for name, v in values.items():
                others = [sum(v[j * n + t] for j in range(len(kids)) if j != i) for t in range(n)]
                v[i * n:(i + 1) * n] = [v[i * n + t] - others[t] for t in range(n)]
        out = out.with_columns([pl.Series(p.name, values[p.name], dtype=pl.Float64) for p in stock_parts])
    out = out.with_columns([pl.col(p.name).fill_null(0) for p in (*flow_parts, *stock_parts)])
    return _finish(out, metric_keys)


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
    if m.is_stock or any(by not in tables.facts.frames[p.table].columns for p in parts):
        raise ValueError(f"{metric} cannot be broken down by {by}")
    frames = []
    picked = getattr(filters, FILTER_COLUMNS.get(by, ""), ())
    for p in parts:
        names = tables.facts.frames[p.table].columns
        others = any(getattr(filters, attr) and col in names and col != by for col, attr in FILTER_COLUMNS.items())
        if flt.effective_region(filters, scope) is None and not others:
            # The city-wide view (the leadership default) reads a day × category cube.
            lf = _category_cube(tables, p, by, as_of).lazy().filter(flt.in_period("period", filters.start, filters.end))
            if picked:
                lf = lf.filter(pl.col("category").is_in(list(picked)))
        else:
            # The compact copy: the region is an integer range and the category a categorical.
            lf = (tables.facts.scan(p.table, filters, scope).filter(flt.in_period(p.date_col, filters.start, filters.end))
                  .group_by(pl.col(p.date_col).alias("period"), pl.col(by).cast(pl.String).alias("category"))
                  .agg(p.value(as_of).cast(pl.Float64).sum().alias(p.name)))
        # Days first (integers), then the few thousand day rows into buckets.
        frames.append(lf.with_columns(pl.col("period").dt.truncate(every), pl.col("category").fill_null("未填写"))
                      .group_by("period", "category").agg(pl.col(p.name).sum()))
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


def _category_cube(tables: Tables, part: Part, by: str, as_of: date) -> pl.DataFrame:
    """One part summed per day and category over the whole store (kept with the fact cubes):
    about days × categories rows instead of millions. Categories stay as written (null
    included) so that a category filter matches exactly what the row-level path matches."""
    facts = tables.facts
    key = ("category", part.table, part.date_col, by, part.name, as_of if part.value.uses_as_of else None)
    return _kept(facts, key, lambda: (
        facts.frames[part.table].lazy().filter(pl.col(part.date_col).is_not_null())
        .group_by(pl.col(part.date_col).alias("period"), pl.col(by).cast(pl.String).alias("category"))
        .agg(part.value(as_of).cast(pl.Float64).sum().alias(part.name)).collect()))


def last_months(end: date, n: int = 12) -> tuple[date, date]:
    """The n whole-or-partial calendar months ending at `end` (sparklines)."""
    start = flt.add_months(end.replace(day=1), -(n - 1))
    return start, end

