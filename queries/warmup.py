"""What the first visits after a load would otherwise wait for, built in the background.

A million-case store loads from its snapshot in a second or two, but then the first overview
builds the per-ledger cubes (about two seconds) and the first warnings page its candidate sets
(about five). The app runs `prepare` in a thread right after each load: the pages' own queries
share what it builds through the cube store and the memo (one build per key, the others wait
for it), so a page opened meanwhile waits only for what it needs and one opened later finds it
ready. It computes the default views (this year, whole city) in the order a visit goes.
"""
from __future__ import annotations

from datetime import date

from queries import boards, metrics, trends
from queries import filters as flt
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.schema import Tables
from queries.warnings_config import WarningConfig


def prepare(tables: Tables, as_of: date, cfg: WarningConfig) -> None:
    """Run the landing pages' queries once for the city at as_of (results are discarded; the
    cubes and memo entries they leave behind are the point)."""
    f = Filters(*flt.preset_period("year", as_of))
    everything = Scope()
    metrics.compare(tables, f, everything, as_of)                       # 总览: cards, 同比/环比
    metrics.monthly(tables, f.with_period(*metrics.last_months(f.end)), everything, as_of)
    metrics.rollup(tables, f, everything, as_of)                        # 总览 and 地图
    W.evaluate(tables, f, everything, as_of, cfg)                       # 预警督办
    boards.slow_townships(tables, f, everything, as_of, cfg)
    boards.project_board(tables, f, everything, as_of)
    metrics.breakdown(tables, f, everything, as_of, "cases_filed", "field")  # 趋势 (first metric)
    trends.funnel(tables, f, everything, as_of)
