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
    """The polygons of `codes`, simplified together so shared edges stay shared (no slivers).
    Several features with one code (a region stored as one feature per ring) are one region."""
    by_code: dict[str, list] = {}
    for f in boundaries.get("features", []):
        by_code.setdefault(f["properties"]["code"], []).append(f["geometry"])
    present = [c for c in codes if c in by_code]
    if not present:
        return []
    geoms = [shapely.union_all([shape(g) for g in by_code[c]]) if len(by_code[c]) > 1 else shape(by_code[c][0])
             for c in present]
    simplified = shapely.coverage_simplify(geoms, TOLERANCE.get(level, 0.0005))
    return [{"code": c, "geometry": mapping(g)} for c, g in zip(present, simplified) if not g.is_empty]


def _ring(ring) -> list[list[float]]:
    return [[round(x, 5), round(y, 5)] for x, y, *_ in ring]


def polygons_for_deck(features: list[dict]) -> list[dict]:
    """One row per polygon part, `polygon` = its rings (exterior first, then its holes): deck.gl's
    PolygonLayer draws one polygon with holes per row but not a MultiPolygon, so a district of
    several parts is several rows with the same code (each clickable, each with the tooltip)."""
    rows = []
    for f in features:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            if poly and len(poly[0]) >= 4:
                rows.append({"code": f["code"], "polygon": [_ring(r) for r in poly if len(r) >= 4]})
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


# --- coordinate systems: WGS-84, GCJ-02 (amap, DataV, Tencent), BD-09 (Baidu) -------------

_A, _EE = 6378245.0, 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
CRS_CHOICES = ("wgs84", "gcj02", "bd09")


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


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The published rectangle inside which GCJ-02 differs from WGS-84 (outside it, they agree)."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
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
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Baidu's BD-09, defined as a further offset of GCJ-02."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(lon, dtype=float) - 0.0065, np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


# 1e-8 degrees is about 1 mm: far below the 0.1 m the inverse must reach.
_INVERSE_TOL, _INVERSE_STEPS = 1e-8, 30


def _invert(forward, lon, lat, start) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = (lon, lat) by fixed-point iteration from `start`. The offsets vary
    slowly (a few hundred metres over tens of kilometres), so each step gains about three
    digits and two or three steps reach a millimetre."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = start
    for _ in range(_INVERSE_STEPS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if ex.size == 0 or max(float(np.max(np.abs(ex))), float(np.max(np.abs(ey)))) < _INVERSE_TOL:
            break
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of `wgs84_to_gcj02`, by iteration (the offset has no closed-form inverse;
    the one-step approximation common online is off by up to a few metres)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    glon, glat = wgs84_to_gcj02(lon, lat)
    return _invert(wgs84_to_gcj02, lon, lat, (2 * lon - glon, 2 * lat - glat))


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of `gcj02_to_bd09`: Baidu's approximate formula, refined by iteration."""
    return _invert(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in `crs` (one of CRS_CHOICES) as WGS-84, the system the store keeps."""
    if crs == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"坐标系应为 {' / '.join(CRS_CHOICES)}，实际为 {crs!r}")


def geometry_to_wgs84(geom, crs: str):
    """A shapely geometry with every vertex (holes included) converted to WGS-84 and rounded to
    1e-7 degrees (1 cm), which keeps the stored text small without moving anything visibly."""
    if crs == "wgs84":
        return shapely.transform(geom, lambda xy: np.round(xy, 7))

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
        return np.round(np.c_[lon, lat], 7)

    return shapely.transform(geom, convert)


# --- reading boundary files --------------------------------------------------------------------

# A city's villages run to a few thousand polygons and a few million vertices; far beyond that
# the file is a province or a country, whose parsing alone would take minutes and gigabytes.
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_FEATURES = 20_000
MAX_VERTICES = 5_000_000
# The properties a downloaded file names its regions by, in the order they are looked for:
# our own `code`, then DataV / amap's `adcode`.
CODE_PROPERTIES = ("code", "adcode")


def size_error(n_bytes: int, name: str = "") -> str | None:
    """The refusal for a file too large to read (checked before it is read or parsed)."""
    if n_bytes > MAX_FILE_BYTES:
        return (f"边界文件{(' ' + name) if name else ''}过大：{n_bytes / 1024 / 1024:,.1f} MB，"
                f"上限 {MAX_FILE_BYTES // 1024 // 1024} MB（请只导入本市的区划边界，或先简化）")
    return None


def normalize_geo_code(raw) -> str | None:
    """A region code as boundary files write it (DataV's number 330109, a string, 6, 9 or 12
    digits) as the 12-digit code the ledgers use, padded with zeros on the right; None if it is
    not one."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    text = str(raw).strip()
    if not text.isdigit() or len(text) not in (6, 9, 12):
        return None
    return text.ljust(12, "0")


def code_from_file_name(name: str) -> str | None:
    """`330109.geojson` or `330109001.json` → the region code; None for any other name."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    return normalize_geo_code(stem) if stem.isdigit() else None


@dataclass
class GeoCheck:
    """What `import-geo` found: errors stop the import; notes (repairs, merges) are reported.
    `collection` holds the features to store: property `code`, WGS-84 geometry."""

    collection: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _props(feature) -> dict:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def _features_of(data, name: str, out: GeoCheck) -> list[tuple[dict, dict]] | None:
    """(properties, geometry) of every feature, whatever the file's top level: a
    FeatureCollection, a single Feature, or a bare Polygon / MultiPolygon."""
    if not isinstance(data, dict):
        out.errors.append(f"{name}：GeoJSON 顶层应为对象（FeatureCollection、Feature 或几何图形）")
        return None
    kind = data.get("type")
    if kind == "FeatureCollection":
        feats = data.get("features")
        if not isinstance(feats, list):
            out.errors.append(f"{name}：FeatureCollection 缺少 features 列表")
            return None
        return [(_props(f), f.get("geometry") if isinstance(f, dict) else None) for f in feats]
    if kind == "Feature":
        return [(_props(data), data.get("geometry"))]
    if kind in ("Polygon", "MultiPolygon"):
        return [({}, data)]
    out.errors.append(f"{name}：GeoJSON 应为 FeatureCollection、Feature 或 Polygon / MultiPolygon，实际为 {kind!r}")
    return None


def _geometry(code: str, raw, where: str, out: GeoCheck):
    """The feature's geometry as a valid (Multi)Polygon, repaired if shapely can; None if not."""
    try:
        geom = shape(raw or {})
    except Exception:  # noqa: BLE001 - shapely raises several types for malformed input
        out.errors.append(f"{where}区划 {code} 的几何图形无法解析")
        return None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        out.errors.append(f"{where}区划 {code} 的几何图形应为面（Polygon / MultiPolygon），实际为 {geom.geom_type}")
        return None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        polys = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            out.errors.append(f"{where}区划 {code} 的几何图形无效且无法修复（{reason}）")
            return None
        geom = shapely.union_all(polys)
        out.notes.append(f"区划 {code} 的几何图形无效（{reason}），已自动修复")
    return geom


def check_geojson(text: str | bytes, regions: pl.DataFrame, *, code_property: str | None = None,
                  crs: str = "wgs84", file_name: str = "") -> GeoCheck:
    """One boundary file: see `check_files`."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return check_files([(file_name, raw)], regions, code_property=code_property, crs=crs)


def check_files(files: list[tuple[str, bytes]], regions: pl.DataFrame, *, code_property: str | None = None,
                crs: str = "wgs84") -> GeoCheck:
    """Parse and validate boundary files as administrators download them, against the region
    table, and convert them to WGS-84.

    Any subset of regions may come (district polygons only is the usual case): regions left
    without a polygon are reported after the import, not refused. A region may arrive as several
    features (one per ring, as some exports write islands and exclaves): they are merged into one
    MultiPolygon. A code the region table lacks is an error on that feature, so a file of the
    wrong city writes nothing."""
    out = GeoCheck()
    if crs not in CRS_CHOICES:
        out.errors.append(f"坐标系应为 {' / '.join(CRS_CHOICES)}，实际为 {crs!r}")
        return out
    names = dict(regions.select("code", "name").iter_rows())
    parts: dict[str, list] = {}
    feature_names: dict[str, str] = {}
    n_features = n_vertices = 0
    props_tried = (code_property,) if code_property else CODE_PROPERTIES
    for file_name, raw_bytes in files:
        label = file_name or "边界文件"
        too_big = size_error(len(raw_bytes), file_name)
        if too_big:  # before decoding and parsing, which would take minutes and gigabytes
            out.errors.append(too_big)
            continue
        try:
            data = json.loads(raw_bytes.decode("utf-8-sig"))
        except UnicodeDecodeError:
            out.errors.append(f"{label}：不是 UTF-8 编码的 GeoJSON")
            continue
        except json.JSONDecodeError as exc:
            out.errors.append(f"{label}：不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}")
            continue
        feats = _features_of(data, label, out)
        if feats is None:
            continue
        n_features += len(feats)
        if n_features > MAX_FEATURES:
            out.errors.append(f"边界文件要素过多：超过 {MAX_FEATURES:,} 个（请只导入本市的区划边界）")
            return out
        from_name = code_from_file_name(file_name) if len(feats) == 1 else None
        where = f"{file_name} " if len(files) > 1 else ""
        for i, (props, raw_geom) in enumerate(feats, start=1):
            raw = next((props[p] for p in props_tried if p in props and props[p] not in (None, "")), None)
            if raw is None and from_name is not None:
                code = from_name
            elif raw is None:
                wanted = f"属性 {code_property}" if code_property else "属性 code 或 adcode"
                out.errors.append(f"{where}第 {i} 个要素缺少{wanted}（区划代码）"
                                  + ("" if len(feats) > 1 else "；也可把文件命名为区划代码，如 330109.geojson"))
                continue
            else:
                code = normalize_geo_code(raw)
                if code is None:
                    out.errors.append(f"{where}第 {i} 个要素的区划代码 {raw!r} 应为6、9或12位数字")
                    continue
            if code not in names:
                out.errors.append(f"{where}第 {i} 个要素：区划代码 {code} 不在区划表中（请先导入区划台账）")
                continue
            geom = _geometry(code, raw_geom, where, out)
            if geom is None:
                continue
            n_vertices += shapely.get_num_coordinates(geom)
            if n_vertices > MAX_VERTICES:
                out.errors.append(f"边界文件顶点过多：超过 {MAX_VERTICES:,} 个（请先简化边界，例如用 mapshaper）")
                return out
            parts.setdefault(code, []).append(geom)
            if isinstance(props.get("name"), str) and props["name"].strip():
                feature_names.setdefault(code, props["name"].strip())
    features = []
    for code, geoms in parts.items():
        geom = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
        if len(geoms) > 1:
            out.notes.append(f"区划 {code} 有 {len(geoms)} 个要素，已合并为一个区划")
        geom = geometry_to_wgs84(geom, crs)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        features.append({"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)})
    renamed = [f"{c}（区划表：{names[c]}，文件：{n}）" for c, n in feature_names.items() if n != names[c]]
    if renamed:
        out.notes.append("以下区划的名称与区划表不同，按代码导入：" + "、".join(renamed[:5])
                         + (f" 等 {len(renamed)} 个" if len(renamed) > 5 else ""))
    if not features and not out.errors:
        out.errors.append("边界文件中没有任何区划")
    out.collection = {"type": "FeatureCollection", "features": features}
    return out


def missing_report(regions: pl.DataFrame, with_polygon: set[str], shown: int = 10) -> str | None:
    """The informative line for regions still without a polygon after an import (the maps
    draw them as circles at their label points)."""
    rank = pl.col("level").replace_strict({"district": 0, "township": 1, "village": 2}, default=3)
    rows = (regions.filter(~pl.col("code").is_in(list(with_polygon)) & (pl.col("level") != "city"))
            .sort(rank, "code"))  # the higher levels first: they matter most on the map
    if rows.is_empty():
        return None
    named = [f"{c} {n}" if n else c for c, n in rows.select("code", "name").head(shown).iter_rows()]
    return "以下区划暂无边界（地图上以圆点示意）：" + "、".join(named) + f" 等 {rows.height} 个"


def diff_geometries(old: dict[str, dict], new: dict[str, dict]) -> dict[str, list[str]]:
    """Which codes of `new` (code → GeoJSON geometry) are added, replaced or unchanged against
    the stored `old` ones; unchanged means the same vertices to 1e-7 degrees."""
    out: dict[str, list[str]] = {"added": [], "replaced": [], "unchanged": []}
    for code, geom in new.items():
        if code not in old:
            out["added"].append(code)
            continue
        try:
            same = shapely.equals_exact(shapely.normalize(shape(old[code])), shapely.normalize(shape(geom)), 1e-7)
        except Exception:  # noqa: BLE001 - an unreadable stored polygon is replaced
            same = False
        out["unchanged" if same else "replaced"].append(code)
    return out


def diff_report(diff: dict[str, list[str]]) -> str:
    """新增 N、替换 N、未变 N: what a boundary import changed."""
    return f"新增 {len(diff['added'])}、替换 {len(diff['replaced'])}、未变 {len(diff['unchanged'])}"


# --- label points --------------------------------------------------------------------------

def polygon_label_point(geom) -> tuple[float, float]:
    """A point inside the polygon (its largest part, for a MultiPolygon), where the region's
    name and its records are drawn: unlike the centroid it cannot fall outside a crescent-shaped
    district or into its hole."""
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    p = geom.point_on_surface()
    return round(p.x, 6), round(p.y, 6)


# The ring for siblings when no ancestor has a polygon to size it by: about 400 m.
UNBOUNDED_RING = 0.004


def _around(center: tuple[float, float], parent, n: int, extent: float | None) -> list[tuple[float, float]]:
    """Points for `n` siblings that only have their parent's point: the point itself for one;
    for several, evenly round it on a ring of almost half the parent's radius (`extent`, in
    degrees), inside the parent's polygon when it has one (nearer where it is narrow), so their
    circles, labels and records do not all sit on one spot."""
    if n == 1:
        return [center]
    has_polygon = parent is not None and not parent.is_empty
    ring = 0.45 * (extent or UNBOUNDED_RING / 0.45)
    out = []
    for k in range(n):
        angle = 2 * math.pi * k / n + math.pi / 2
        for shrink in (1.0, 0.5, 0.25, 0.0):
            x, y = center[0] + ring * shrink * math.cos(angle), center[1] + ring * shrink * math.sin(angle)
            if shrink == 0.0 or not has_polygon or parent.contains(shapely.Point(x, y)):
                break
        out.append((round(x, 6), round(y, 6)))
    return out


LABEL_SCHEMA = {"code": pl.String, "lon": pl.Float64, "lat": pl.Float64, "source": pl.String}


def label_points(regions: pl.DataFrame, geometries: dict, computed: dict[str, tuple[float, float]]) -> pl.DataFrame:
    """The label points to store for regions without a ledger 经度/纬度.

    A region's point is the ledger's when it has one and it is not one this function computed
    before (`computed`: code → the point stored then), so a later ledger with real coordinates
    always wins and a re-imported polygon moves only points of our own. The others get, in order:
    a point inside their polygon (`geometries`: code → shapely geometry); the mean of their
    children's points; their parent's point (several siblings spread round it inside the
    parent's polygon, clear of the siblings that have polygons of their own). One row per region given a point (code, lon, lat,
    source = polygon / children / parent); regions left with none (no polygon anywhere
    near) are absent."""
    rows = regions.select("code", "level", "parent_code", "lon", "lat").to_dicts()
    points: dict[str, tuple[float, float]] = {}
    fill: list[dict] = []
    for r in rows:
        has = r["lon"] is not None and r["lat"] is not None
        ours = r["code"] in computed and has and (
            abs(r["lon"] - computed[r["code"]][0]) < 1e-9 and abs(r["lat"] - computed[r["code"]][1]) < 1e-9)
        if has and not ours:
            points[r["code"]] = (r["lon"], r["lat"])
        else:
            fill.append(r)
    out: dict[str, tuple[float, float, str]] = {}
    for r in fill:
        geom = geometries.get(r["code"])
        if geom is not None and not geom.is_empty:
            lon, lat = polygon_label_point(geom)
            out[r["code"]] = (lon, lat, "polygon")
            points[r["code"]] = (lon, lat)
    kids: dict[str, list[str]] = {}
    for r in rows:
        if r["parent_code"]:
            kids.setdefault(r["parent_code"], []).append(r["code"])
    by_level = {lvl: [r for r in fill if r["level"] == lvl] for lvl in ("city", "district", "township", "village")}
    for lvl in ("village", "township", "district", "city"):  # bottom-up: a mean of means
        for r in by_level[lvl]:
            if r["code"] in points:
                continue
            got = [points[k] for k in kids.get(r["code"], []) if k in points]
            if got:
                lon, lat = round(float(np.mean([p[0] for p in got])), 6), round(float(np.mean([p[1] for p in got])), 6)
                out[r["code"]] = (lon, lat, "children")
                points[r["code"]] = (lon, lat)
    # The radius (degrees) of each region's area, to spread children that share its point.
    extent: dict[str, float] = {c: math.sqrt(g.area / math.pi) for c, g in geometries.items()
                                if g is not None and not g.is_empty}
    # The nearest polygon around each region without one: spread points stay inside it.
    bound: dict[str, object] = {c: g for c, g in geometries.items() if g is not None and not g.is_empty}
    for lvl in ("city", "district", "township", "village"):  # top-down: the parent's point
        orphans: dict[str, list[str]] = {}
        for r in by_level[lvl]:
            if r["code"] not in points and r["parent_code"] in points:
                orphans.setdefault(r["parent_code"], []).append(r["code"])
        for parent, codes in orphans.items():
            center, area = points[parent], geometries.get(parent)
            if area is not None and not area.is_empty:
                extent[parent] = math.sqrt(area.area / math.pi)
            drawn = [geometries[k] for k in kids.get(parent, []) if k in geometries]
            if area is not None and drawn:  # keep clear of the siblings that have polygons
                free = area.difference(shapely.union_all(drawn))
                if not free.is_empty and free.area > 0.01 * area.area:
                    area = max(getattr(free, "geoms", [free]), key=lambda g: g.area)
                    center = polygon_label_point(area)
            inside = area if area is not None else bound.get(parent)
            for code, (lon, lat) in zip(codes, _around(center, inside, len(codes), extent.get(parent))):
                out[code] = (lon, lat, "parent")
                points[code] = (lon, lat)
                if inside is not None:
                    bound[code] = inside
                if parent in extent:  # a region without polygon: its share of the parent's area
                    extent[code] = extent[parent] / math.sqrt(max(len(kids.get(parent, [])), 1))
    return pl.DataFrame([{"code": c, "lon": v[0], "lat": v[1], "source": v[2]} for c, v in out.items()],
                        schema=LABEL_SCHEMA)


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
