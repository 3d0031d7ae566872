"""The demo city's map: 示例市 with districts, townships and villages that tile it exactly.

Each level is a Voronoi tessellation of seed points clipped to its parent's polygon, so children
tile their parent with no gap or overlap, and a few Lloyd steps make the cells look like
administrative areas rather than shards. Names are made from syllables: plausible, fictional.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, mapping

CITY_CODE = "990100000000"
CITY_NAME = "示例市"
CENTER = (104.05, 30.62)

_SYL = list("青白柳石桃梅松竹兰枫杨槐桂荷梨杏泉溪河湖江山岭坪坝湾塘沟岗峰林园桥龙凤鹤鹭鹿云霞明和安宁平康乐丰顺兴盛新永福寿春秋金玉银花水月星东西南北中上下长高双清")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    polygon: Polygon


def _outline(rng: np.random.Generator) -> Polygon:
    """An irregular, roughly 60 × 50 km city outline."""
    n = 28
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = 1 + 0.12 * rng.standard_normal(n)
    radius = np.convolve(np.r_[radius[-2:], radius, radius[:2]], np.ones(5) / 5, mode="valid")
    xs = CENTER[0] + 0.31 * radius * np.cos(angles)
    ys = CENTER[1] + 0.23 * radius * np.sin(angles)
    return Polygon(np.c_[xs, ys]).buffer(0)


def _sample_inside(poly: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    found = np.empty((0, 2))
    while len(found) < n:
        cand = np.c_[rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)]
        inside = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        found = np.vstack([found, cand[inside]])
    return found[:n]


def _cells(poly: Polygon, seeds: np.ndarray) -> list[Polygon]:
    """Voronoi cells of `seeds` clipped to `poly`, in seed order."""
    if len(seeds) == 1:
        return [poly]
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=poly, ordered=True)
    cells = list(regions.geoms)
    return [shapely.make_valid(c.intersection(poly)) for c in cells]


def _largest(geom) -> Polygon:
    """A clipped cell can come back as a collection; keep its polygonal part."""
    if geom.geom_type == "Polygon":
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else geom


def _tessellate(poly: Polygon, n: int, rng: np.random.Generator, lloyd: int = 2) -> list[Polygon]:
    seeds = _sample_inside(poly, n, rng)
    for _ in range(lloyd):
        cells = _cells(poly, seeds)
        seeds = np.array([[c.centroid.x, c.centroid.y] if not c.is_empty else s
                          for c, s in zip(cells, seeds)])
    cells = [_largest(c) for c in _cells(poly, seeds)]
    # West-to-east, north-to-south numbering, as division codes tend to run.
    order = sorted(range(len(cells)), key=lambda i: (-round(cells[i].centroid.y, 2), cells[i].centroid.x))
    return [cells[i] for i in order]


def _names(rng: np.random.Generator, n: int, used: set[str]) -> list[str]:
    out = []
    while len(out) < n:
        a, b = rng.choice(len(_SYL), 2, replace=False)
        stem = _SYL[a] + _SYL[b]
        if stem not in used:
            used.add(stem)
            out.append(stem)
    return out


def build(rng: np.random.Generator, n_districts: int = 8, townships_per: tuple[int, int] = (8, 12),
          villages_per: tuple[int, int] = (9, 16)) -> list[Region]:
    """The whole region tree with polygons, city first, parents before children."""
    city = _outline(rng)
    regions = [Region(CITY_CODE, CITY_NAME, "city", None, city)]
    used: set[str] = set()
    districts = _tessellate(city, n_districts, rng)
    d_names = _names(rng, n_districts, used)
    for di, (d_poly, d_stem) in enumerate(zip(districts, d_names), start=1):
        d_code = f"9901{di:02d}000000"
        suffix = "县" if di == n_districts else "区"
        regions.append(Region(d_code, d_stem + suffix, "district", CITY_CODE, d_poly))
        n_t = int(rng.integers(townships_per[0], townships_per[1] + 1))
        townships = _tessellate(d_poly, n_t, rng)
        t_names = _names(rng, n_t, used)
        for ti, (t_poly, t_stem) in enumerate(zip(townships, t_names), start=1):
            t_code = f"{d_code[:6]}{ti:03d}000"
            kind = "街道" if ti <= 2 and suffix == "区" else ("乡" if rng.random() < 0.2 else "镇")
            regions.append(Region(t_code, t_stem + kind, "township", d_code, t_poly))
            n_v = int(rng.integers(villages_per[0], villages_per[1] + 1))
            villages = _tessellate(t_poly, n_v, rng, lloyd=1)
            v_names = _names(rng, n_v, used)
            for vi, (v_poly, v_stem) in enumerate(zip(villages, v_names), start=1):
                urban = kind == "街道" or vi == 1
                regions.append(Region(f"{t_code[:9]}{vi:03d}", v_stem + ("社区" if urban else "村"),
                                      "village", t_code, v_poly))
    return regions


def label_point(poly) -> tuple[float, float]:
    p = poly.representative_point()
    return round(p.x, 6), round(p.y, 6)


def feature_collection(regions: list[Region]) -> dict:
    """GeoJSON keyed by `code`, at full precision: rounding each polygon on its own would move
    the T-junction vertices where a village meets a neighbouring township's edge, opening
    slivers; maps simplify each level as a coverage instead, which keeps edges shared."""
    features = []
    for r in regions:
        features.append({"type": "Feature",
                         "properties": {"code": r.code, "name": r.name, "level": r.level},
                         "geometry": mapping(r.polygon)})
    return {"type": "FeatureCollection", "features": features}
