"""什么变差了: the regions × indicators that worsened most against the same period last year.

Pure polars (no streamlit). The inputs are two roll-ups of queries.metrics (`rollup`: one row
per child region, one column per metric) for the current window and its 同比 window, which
`yoy_windows` works out with the partial-period rule of queries.periods; `worsened` compares
them. docs/metrics.md (什么变差了) states the rules:

- only indicators with a direction: a rate is worse when it falls, 逾期事项 when it rises
  (plain volumes such as 立案数 or 信访件数 carry no judgement, as on the KPI cards);
- a count's change is ranked relative to last year's value, but a base below MIN_BASE is not
  ranked as a percentage change: the change is divided by MIN_BASE instead (0 → 3 ranks as
  +60 %, not as "infinitely worse", and no relative change is stated);
- a rate's change is its difference in percentage points, ranked as that many per cent (a fall
  of 10 points ranks with a rise of 10 %), and only where both years' bases (the rate's
  denominator: complaints received, complaints rated, items due) are at least MIN_BASE;
- rows that did not worsen are left out; the rest rank by that score, largest first.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from queries import periods
from queries.filters import same_period_last_year
from queries.metrics import KEY, METRICS, comparison_as_of
from queries.regions import OWN_LEVEL

# The indicators a "what got worse" list compares, and the base each is judged on: a rate's
# denominator, a count's own last-year value.
WORSENING = ("closure_rate", "on_time_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue")
BASES = {"closure_rate": "complaints_received", "on_time_rate": "complaints_closed",
         "satisfaction_rate": "complaints_evaluated", "completion_rate": "rectifications_due"}
MIN_BASE = 5

SCHEMA = {KEY: pl.String, "name": pl.String, OWN_LEVEL: pl.Boolean, "metric": pl.String,
          "this": pl.Float64, "last": pl.Float64, "diff": pl.Float64, "change": pl.Float64,
          "score": pl.Float64}


def needed(metric_keys: Sequence[str] = WORSENING) -> tuple[str, ...]:
    """The roll-up columns `worsened` reads: the indicators and their bases."""
    out = dict.fromkeys(metric_keys)
    out.update(dict.fromkeys(BASES[k] for k in metric_keys if k in BASES))
    return tuple(out)


def yoy_windows(start: date, end: date, as_of: date) -> tuple[tuple[date, date, date], tuple[date, date, date]]:
    """(start, end, as_of) of the current window and of its 同比 window.

    The current window stops at as_of (nothing after it has happened yet). A period that is not
    over at as_of (queries.periods.period_bucket: 本月 on 2 December, a range past as_of) is
    compared with the same elapsed days a year earlier (periods.last_year_elapsed); a finished
    one with the same dates a year earlier (filters.same_period_last_year). The earlier
    window's as_of keeps the current as_of's distance from the window's end, so stocks and
    "done by as_of" rates compare like with like (metrics.comparison_as_of)."""
    now_end = min(end, as_of)
    bucket = periods.period_bucket(start, end, as_of)
    if bucket is not None:
        last_start = same_period_last_year(start, now_end)[0]
        last_end = periods.last_year_elapsed(bucket[0], bucket[1], as_of)[1]
        last_end = max(last_start, last_end)
    else:
        last_start, last_end = same_period_last_year(start, now_end)
    return (start, now_end, as_of), (last_start, last_end, comparison_as_of(as_of, now_end, last_end))


def worsened(now: pl.DataFrame, last: pl.DataFrame, metric_keys: Sequence[str] = WORSENING,
             n: int = 10, min_base: int = MIN_BASE) -> pl.DataFrame:
    """The n region × indicator pairs that worsened most (module docstring), columns SCHEMA:
    `this` and `last` the two values, `diff` this − last, `change` the relative change of a
    count on a base of at least `min_base` (else null; null for rates), `score` the ranking
    size of the worsening (> 0). Ties go by indicator order, then region code."""
    if now.is_empty() or last.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    own = pl.col(OWN_LEVEL) if OWN_LEVEL in now.columns else pl.lit(False)
    before = last.select(KEY, *[pl.col(c).alias(f"{c}__last") for c in needed(metric_keys)])
    joined = now.join(before, on=KEY, how="inner")
    frames = []
    for order, k in enumerate(metric_keys):
        m = METRICS[k]
        this, prev = pl.col(k).cast(pl.Float64), pl.col(f"{k}__last").cast(pl.Float64)
        sign = 1.0 if m.higher_is_better else -1.0
        diff = this - prev
        if m.is_rate:
            base = BASES[k]
            ok = (pl.col(base).fill_null(0) >= min_base) & (pl.col(f"{base}__last").fill_null(0) >= min_base)
            score = pl.when(ok).then(-sign * diff)
            change = pl.lit(None, pl.Float64)
        else:
            score = -sign * diff / pl.max_horizontal(prev.fill_null(0), pl.lit(float(min_base)))
            change = pl.when(prev >= min_base).then(diff / prev)
        frames.append(joined.select(
            pl.col(KEY), pl.col("name"), own.fill_null(False).alias(OWN_LEVEL), pl.lit(k).alias("metric"),
            this.alias("this"), prev.alias("last"), diff.alias("diff"), change.cast(pl.Float64).alias("change"),
            score.cast(pl.Float64).alias("score"), pl.lit(order).alias("_order")))
    out = pl.concat(frames).filter(pl.col("score").is_not_null() & (pl.col("score") > 0))
    return out.sort(["score", "_order", KEY], descending=[True, False, False]).head(n).drop("_order")


def has_values(rollup: pl.DataFrame, metric_keys: Sequence[str] = WORSENING) -> bool:
    """Whether a roll-up holds any value of the indicators or their bases to compare with (a
    window before every record has none: the overview then says there is no 同比)."""
    cols = [c for c in needed(metric_keys) if c in rollup.columns]
    return any(bool(rollup[c].fill_null(0).abs().sum()) for c in cols)
