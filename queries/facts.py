"""Compact copies of the fact tables for the metric engine, built once per loaded data version.

The ledgers keep region codes as text, which is what exports, details and the import checks
want. Aggregating millions of rows, text is the slow part: a prefix match or a group-by on
12-character strings hashes every row. Here each region code becomes its index in the sorted
list of codes, so "inside this region" is an integer range (codes sharing a prefix are
contiguous once sorted) and a roll-up groups small integers; category columns are categoricals
already (queries.schema), the cast below only guards frames built otherwise. Other columns are
shared with the original frames (polars columns are reference-counted), so the copy costs a
few bytes per row.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from queries.filters import Filters, Scope, effective_region
from queries.memo import Memo
from queries.regions import prefix_of

FACT_TABLES = ("cases", "complaints", "rectifications", "persons", "link_events")
# Columns compared against a fixed list of values: categoricals compare and hash as integers.
CATEGORY_COLUMNS = ("field", "source", "channel", "satisfaction")
FILTER_COLUMNS = {"field": "fields", "source": "sources", "channel": "channels"}
RID = "_rid"
# Cubes kept per loaded data version (least recently used dropped first): three per (ledger,
# date column) (per region and day; per region and month; per day), per-date pending cubes,
# stock spell cubes and the composition cubes of `metrics.breakdown`.
CUBES_KEPT = 40


@dataclass(frozen=True)
class Facts:
    """`codes[i]` is the region code of rows whose `_rid` is i."""

    codes: pl.Series
    frames: dict[str, pl.DataFrame]
    cubes: Memo = field(default_factory=lambda: Memo(CUBES_KEPT))  # see metrics.MemorySource

    def region_range(self, code: str) -> tuple[int, int]:
        """Half-open index range of the codes inside `code` (the region itself included)."""
        prefix = prefix_of(code)
        lo = int(self.codes.search_sorted(prefix, side="left"))
        hi = int(self.codes.search_sorted(prefix + "\uffff", side="left"))
        return lo, hi

    def scan(self, table: str, filters: Filters, scope: Scope, row_index: str | None = None) -> pl.LazyFrame:
        """The table narrowed to the effective region and the category filters (not the period);
        with `row_index`, each row keeps its position in the ledger frame under that name."""
        lf = self.frames[table].lazy()
        if row_index:
            lf = lf.with_row_index(row_index)
        preds: list[pl.Expr] = []
        region = effective_region(filters, scope)
        if region is not None:
            lo, hi = self.region_range(region)
            preds.append(pl.col(RID).is_between(lo, hi, closed="left"))
        names = self.frames[table].columns
        for col, attr in FILTER_COLUMNS.items():
            values = getattr(filters, attr)
            if values and col in names:
                preds.append(pl.col(col).is_in(list(values)))
        return lf.filter(*preds) if preds else lf

    def codes_frame(self, key: str) -> pl.DataFrame:
        """Index → code, to turn a result grouped by `_rid` back into region codes."""
        return pl.DataFrame({RID: pl.arange(0, self.codes.len(), eager=True).cast(pl.UInt32),
                             key: self.codes})


def build(tables) -> Facts:  # noqa: ANN001 - queries.schema.Tables (imported lazily by it)
    from queries.persons import frame  # persons completed from their cases (see there)

    sources = {t: frame(tables, t) for t in FACT_TABLES}
    codes = pl.concat([tables.regions["code"]] + [sources[t]["region_code"] for t in FACT_TABLES])
    codes = codes.drop_nulls().unique().sort()
    enum = pl.Enum(codes)
    frames = {}
    for t in FACT_TABLES:
        df = sources[t]
        cats = [pl.col(c).cast(pl.Categorical) for c in CATEGORY_COLUMNS if c in df.columns]
        frames[t] = df.with_columns(
            pl.col("region_code").cast(enum).to_physical().cast(pl.UInt32).alias(RID), *cats)
    return Facts(codes=codes, frames=frames)
