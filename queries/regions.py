"""Region codes and the region tree.

Every record points at the lowest region it belongs to; a region at any level is the set of codes
sharing its prefix (4 digits city, 6 district, 9 township, 12 village). Roll-ups and jurisdiction
both go by that prefix, so no join against the tree is needed on the hot path.
"""
from __future__ import annotations

import polars as pl

from queries.schema import LEVELS, PREFIX_LEN


def level_of(code: str) -> str:
    """The level a canonical 12-digit code denotes, read from its trailing zero groups."""
    if len(code) != 12 or not code.isdigit():
        raise ValueError(f"区划代码应为12位数字：{code!r}")
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "district"
    if code[9:] == "000":
        return "township"
    return "village"


def prefix_of(code: str) -> str:
    return code[: PREFIX_LEN[level_of(code)]]


def child_level(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def normalize_code(raw: str) -> str:
    """Accept a 6- or 9-digit code (district / township) and pad it to 12, as ledgers do."""
    code = str(raw).strip()
    if not code.isdigit() or len(code) not in (4, 6, 9, 12):
        raise ValueError(f"区划代码应为4、6、9或12位数字：{raw!r}")
    return code.ljust(12, "0")


def child_key(region_col: str, level: str) -> pl.Expr:
    """The 12-digit code of the ancestor at `level` of each row's region (for roll-ups)."""
    n = PREFIX_LEN[level]
    return pl.col(region_col).str.slice(0, n).str.pad_end(12, "0")


def within(region_col: str, code: str) -> pl.Expr:
    """Rows whose region lies inside `code` (the region itself included)."""
    return pl.col(region_col).str.starts_with(prefix_of(code))


def is_within(code: str, ancestor: str) -> bool:
    return code.startswith(prefix_of(ancestor))


def root_code(regions: pl.DataFrame) -> str:
    """The city: the one region without a parent."""
    roots = regions.filter(pl.col("level") == "city")["code"]
    if roots.len() == 0:
        raise ValueError("区划表中没有市级区划")
    return roots[0]


def children(regions: pl.DataFrame, code: str) -> pl.DataFrame:
    return regions.filter(pl.col("parent_code") == code).sort("code")


# 本级: records coded to a district or township itself (区直单位, a township's own offices) belong
# to none of its children. In every breakdown by child they form one more row, the region's own
# level, so the parts add up to the region's total. Its code is the region's own code (no
# polygon at the child level: maps list it beside the map), flagged OWN_LEVEL.
OWN_LEVEL = "own_level"
OWN_SUFFIX = "本级"


def own_level_name(name: str) -> str:
    return f"{name}{OWN_SUFFIX}"


def child_rows(regions: pl.DataFrame, code: str) -> pl.DataFrame:
    """The children of `code` sorted by code, then its 本级 row (name + 本级, no population or
    label point); column OWN_LEVEL says which is which."""
    kids = children(regions, code).select("code", "name", "population", "lon", "lat", "key_watch",
                                          pl.lit(False).alias(OWN_LEVEL))
    own = regions.filter(pl.col("code") == code).select(
        "code", pl.col("name").map_elements(own_level_name, return_dtype=pl.String),
        pl.lit(None, pl.Int64).alias("population"), pl.lit(None, pl.Float64).alias("lon"),
        pl.lit(None, pl.Float64).alias("lat"), pl.lit(False).alias("key_watch"), pl.lit(True).alias(OWN_LEVEL))
    return pl.concat([kids, own], how="vertical_relaxed")


def child_names(regions: pl.DataFrame, code: str, column: str = "code") -> pl.DataFrame:
    """(column, name) of the children of `code` and of its 本级, for naming roll-up keys made with
    `child_key` at the child level (a record of the region itself keys to the region's code)."""
    return child_rows(regions, code).select(pl.col("code").alias(column), "name")


def path(regions: pl.DataFrame, code: str) -> list[dict]:
    """The chain from the city down to `code` (for breadcrumbs and region paths)."""
    by_code = {r["code"]: r for r in regions.select("code", "name", "level", "parent_code").to_dicts()}
    chain: list[dict] = []
    current = by_code.get(code)
    while current is not None:
        chain.append(current)
        current = by_code.get(current["parent_code"]) if current["parent_code"] else None
    return list(reversed(chain))


def name_of(regions: pl.DataFrame, code: str) -> str:
    hit = regions.filter(pl.col("code") == code)["name"]
    return hit[0] if hit.len() else code


# (offset, length) of the code digits that identify each level, and the prefix that names it.
_LEVEL_DIGITS = {"district": (4, 2, 6), "township": (6, 3, 9), "village": (9, 3, 12)}


def _path_by_prefix(df: pl.LazyFrame, regions: pl.DataFrame) -> pl.LazyFrame:
    names = regions.lazy().select("code", "name")
    out = df
    for level, (offset, length, prefix) in _LEVEL_DIGITS.items():
        key = f"_{level}"
        present = pl.col("region_code").str.slice(offset, length) != "0" * length
        out = (out.with_columns(pl.col("region_code").str.slice(0, prefix).str.pad_end(12, "0").alias(key))
               .join(names.rename({"code": key, "name": level}), on=key, how="left")
               .with_columns(pl.when(present).then(pl.col(level)).otherwise(None).alias(level))
               .drop(key))
    return out


def with_region_path(df: pl.LazyFrame, regions: pl.DataFrame) -> pl.LazyFrame:
    """District / township / village names for each row's region (null below its own level).

    The path of every known region is worked out once (a few thousand codes) and joined on
    the row's code: one hash join instead of three string slices and joins per row, which is
    most of a detail table's cost at millions of rows. Codes the region table lacks (test
    fixtures; imports refuse them) get their path from their prefixes as before. Row order
    is not kept; callers sort."""
    paths = _path_by_prefix(regions.lazy().select(pl.col("code").alias("region_code")), regions)
    known = df.join(paths, on="region_code", how="inner")
    unknown = _path_by_prefix(df.join(paths.select("region_code"), on="region_code", how="anti"), regions)
    return pl.concat([known, unknown], how="vertical")
