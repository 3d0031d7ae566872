"""Map data: boundaries per level (simplified as a coverage), class breaks, coordinate shifts,
and the checks that guard `import-geo`.

Pure shapely/polars; the pydeck layers are built in dashboard.maps from what this returns.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import shapely
from shapely.geometry import mapping, shape

# Simplification tolerance per level, in degrees (≈ 200 m, 100 m, 30 m): small enough that a
# district's villages still read as villages, large enough to keep the payload small.
TOLERANCE = {"district": 0.002, "township": 0.001, "village": 0.0003}


def level_features(boundaries: dict, codes: list[str], level: str) -> list[dict]:
    """The polygons of `codes`, simplified together so shared edges stay shared (no slivers)."""
    by_code = {f["properties"]["code"]: f["geometry"] for f in boundaries.get("features", [])}
    present = [c for c in codes if c in by_code]
    if not present:
        return []
    geoms = [shape(by_code[c]) for c in present]
    simplified = shapely.coverage_simplify(geoms, TOLERANCE.get(level, 0.0005))
    return [{"code": c, "geometry": mapping(g)} for c, g in zip(present, simplified)]


def polygons_for_deck(features: list[dict]) -> list[dict]:
    """One row per outer ring (deck.gl's PolygonLayer wants rings, not GeoJSON multipolygons)."""
    rows = []
    for f in features:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            rows.append({"code": f["code"], "polygon": [[round(x, 5), round(y, 5)] for x, y in poly[0]]})
    return rows


def class_breaks(values: list[float], k: int = 5) -> list[float]:
    """Quantile breaks (k classes → k−1 inner breaks, plus min and max), deduplicated.

    Quantiles keep every class populated, which reads better than equal intervals when a few
    districts dwarf the rest."""
    vals = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if vals.size == 0:
        return []
    qs = np.quantile(vals, np.linspace(0, 1, k + 1))
    out: list[float] = []
    for q in qs:
        q = float(q)
        if not out or q > out[-1]:
            out.append(q)
    return out if len(out) > 1 else [out[0], out[0]]  # all equal: one class


def classify(value: float | None, breaks: list[float]) -> int | None:
    """Class index 0..len(breaks)−2 of a value (upper bounds inclusive); None when no value."""
    if value is None or not breaks or (isinstance(value, float) and math.isnan(value)):
        return None
    for i in range(1, len(breaks)):
        if value <= breaks[i]:
            return i - 1
    return len(breaks) - 2


# ColorBrewer YlOrRd, 5 classes: sequential, colour-blind safe, readable on a projector.
PALETTE = [(255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)]


def palette_for(n_classes: int) -> list[tuple[int, int, int]]:
    if n_classes <= 0:
        return []
    idx = np.linspace(0, len(PALETTE) - 1, n_classes).round().astype(int)
    return [PALETTE[i] for i in idx]


# --- WGS-84 → GCJ-02, for Gaode-style intranet tiles ----------------------------------------

_A, _EE = 6378245.0, 0.00669342162296594323


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published GCJ-02 offset (a few hundred metres in China); points and polygons are
    shifted with it when the configured basemap is in GCJ-02, so they sit on its roads."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


# --- import-geo checks -----------------------------------------------------------------------

@dataclass
class GeoCheck:
    """What `import-geo` found: errors stop the import; notes (repairs) are reported."""

    collection: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_geojson(text: str, regions: pl.DataFrame) -> GeoCheck:
    """Parse and validate a boundary file against the region table; repair what shapely can."""
    out = GeoCheck()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        out.errors.append(f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}")
        return out
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        out.errors.append("GeoJSON 应为 FeatureCollection，且包含 features 列表")
        return out
    known = set(regions["code"].to_list())
    seen: set[str] = set()
    features = []
    for i, f in enumerate(data["features"], start=1):
        code = str((f.get("properties") or {}).get("code", "")).strip()
        if not code:
            out.errors.append(f"第 {i} 个要素缺少属性 code（12位区划代码）")
            continue
        if code not in known:
            out.errors.append(f"区划代码 {code} 不在区划表中")
            continue
        if code in seen:
            out.errors.append(f"区划代码 {code} 重复出现")
            continue
        seen.add(code)
        try:
            geom = shape(f.get("geometry") or {})
        except Exception:  # noqa: BLE001 - shapely raises several types for malformed input
            out.errors.append(f"区划 {code} 的几何图形无法解析")
            continue
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            out.errors.append(f"区划 {code} 的几何图形应为面（Polygon / MultiPolygon），实际为 {geom.geom_type}")
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            fixed = shapely.make_valid(geom)
            polys = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
            if not polys:
                out.errors.append(f"区划 {code} 的几何图形无效且无法修复（{reason}）")
                continue
            geom = shapely.union_all(polys)
            out.notes.append(f"区划 {code} 的几何图形无效（{reason}），已自动修复")
        features.append({"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)})
    below_city = regions.filter(pl.col("level") != "city")["code"].to_list()
    missing = [c for c in below_city if c not in seen]
    if missing:
        shown = "、".join(missing[:10]) + (f" 等 {len(missing)} 个" if len(missing) > 10 else "")
        out.errors.append(f"以下区划没有边界：{shown}")
    out.collection = {"type": "FeatureCollection", "features": features}
    return out


def choropleth_table(tables, filters, scope, as_of, metric: str, per10k: bool,
                     warnings: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per child region of the viewed region: value (absolute or per 10,000), rank
    among siblings, 同比 change and open warnings — everything a tooltip shows."""
    from queries import metrics
    from queries.filters import same_period_last_year
    from queries.regions import OWN_LEVEL
    from queries.regions import child_level, level_of, root_code

    now = metrics.rollup(tables, filters, scope, as_of, (metric,))
    s, e = same_period_last_year(filters.start, filters.end)
    before = metrics.rollup(tables, filters.with_period(s, e), scope,
                            metrics.comparison_as_of(as_of, filters.end, e), (metric,))
    col = f"{metric}_per10k" if per10k and not metrics.METRICS[metric].is_rate else metric
    out = now.select("key", "name", "lon", "lat", "population", "key_watch", OWN_LEVEL,
                     pl.col(col).alias("value")).join(
        before.select("key", pl.col(col).alias("value_last_year")), on="key", how="left")
    is_rate = metrics.METRICS[metric].is_rate
    # Ranked among the siblings drawn on the map; a 本级 row (no polygon) has no rank.
    out = out.with_columns(
        pl.when(~pl.col(OWN_LEVEL)).then(pl.col("value")).rank("min", descending=True).cast(pl.Int64)
        .alias("rank"),  # 1 = largest
        pl.struct("value", "value_last_year").map_elements(
            lambda r: metrics.change(r["value"], r["value_last_year"], is_rate), return_dtype=pl.Float64)
        .alias("yoy_change"))
    region = filters.region or scope.region or root_code(tables.regions)
    level = child_level(level_of(region))
    if warnings is not None and level is not None and not warnings.is_empty():
        from queries.regions import child_key

        counts = (warnings.group_by(child_key("region_code", level).alias("key")).len()
                  .select("key", pl.col("len").cast(pl.Int64).alias("warnings")))
        out = out.join(counts, on="key", how="left").with_columns(pl.col("warnings").fill_null(0))
    else:
        out = out.with_columns(pl.lit(0, pl.Int64).alias("warnings"))
    return out.sort(OWN_LEVEL, "key")  # 本级 last
