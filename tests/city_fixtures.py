"""Files shaped like what a commission downloads and keeps, for a fictional city (临江市, 990200):
no download is possible in tests, so they are generated here, deterministically.

`make_city(out_dir)` writes them and returns what a test needs to check an import against (the
WGS-84 originals, the codes, the multi-part districts and the district with a hole). The copy
under tests/fixtures/city/ is this function's output (test_city_fixtures checks that it is).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, box, mapping

from queries import geo

CITY_ADCODE = 990200
CITY_CODE = "990200000000"
CITY_NAME = "临江市"
CENTER = (120.10, 30.20)
DISTRICT_NAMES = ["上城区", "下城区", "江干区", "拱墅区", "西湖区", "滨江区", "萧然区", "余杭区",
                  "富阳区", "临安区", "桐庐县", "淳安县", "建安市"]
# The district with townships and villages in the region ledger (and no township polygons in
# the district file): the case of a commission that has only district boundaries.
DEEP = 6            # index of 萧然区 → 990207
ISLANDS = 0         # 上城区: a MultiPolygon feature, two tiny islands listed before the mainland
RINGS = 12          # 建安市: one feature per ring with the same adcode, tiny parts first
HOLED = 4           # 西湖区: a hole, filled by an enclave of 滨江区 (which is multi-part too)
ENCLAVE_OWNER = 5
TOWNSHIPS = ["城厢街道", "北干街道", "新塘街道", "瓜沥镇", "义蓬镇"]
VILLAGES_PER_TOWNSHIP = 3
# Level words as the ledger writes them (queries.ingest.LEVEL_WORDS); a walkthrough can pass
# others, e.g. {"county_city": "县级市", "district": "市辖区", "village": "村委会"}.
DEFAULT_LEVEL_WORDS = {"city": "市", "district": "区", "county": "县", "county_city": "县",
                       "street": "街道", "town": "镇", "community": "社区", "village": "村"}


@dataclass
class CityFixture:
    """What `make_city` wrote, and the truth to check an import against."""

    dir: Path
    regions_csv: Path
    datav_gcj02: Path          # DataV-style FeatureCollection, GCJ-02, 6-digit numeric adcode
    wgs84: Path                # the same polygons in WGS-84, keyed by 12-digit `code`
    bare_district: Path        # a bare MultiPolygon named <6-digit code>.geojson (GCJ-02)
    bare_township: Path        # a bare Polygon named <9-digit code>.geojson (GCJ-02)
    cases_csv: Path
    complaints_csv: Path
    originals: dict[str, shapely.Geometry] = field(default_factory=dict)   # code → WGS-84 polygon
    district_codes: list[str] = field(default_factory=list)
    township_codes: list[str] = field(default_factory=list)
    village_codes: list[str] = field(default_factory=list)
    multipart: list[str] = field(default_factory=list)                      # codes with several parts
    holed: str = ""

    @property
    def deep_district(self) -> str:
        return self.district_codes[DEEP]


def _code(adcode: int) -> str:
    return str(adcode).ljust(12, "0")


def _outline(rng: np.random.Generator) -> Polygon:
    """An irregular city outline, about 60 × 50 km."""
    n = 32
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = 1 + 0.1 * rng.standard_normal(n)
    xs = CENTER[0] + 0.32 * radius * np.cos(angles)
    ys = CENTER[1] + 0.24 * radius * np.sin(angles)
    return Polygon(np.c_[xs, ys]).buffer(0)


def _tessellate(poly: Polygon, n: int, rng: np.random.Generator) -> list[Polygon]:
    """`n` Voronoi cells of `poly` (two Lloyd steps), west-to-east then north-to-south."""
    minx, miny, maxx, maxy = poly.bounds
    seeds: list[tuple[float, float]] = []
    while len(seeds) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(Point(x, y)):
            seeds.append((x, y))
    for _ in range(3):
        cells = [c.intersection(poly) for c in
                 shapely.voronoi_polygons(MultiPoint(seeds), extend_to=poly, ordered=True).geoms]
        seeds = [(c.centroid.x, c.centroid.y) for c in cells]
    cells = [max(getattr(c, "geoms", [c]), key=lambda g: g.area) if c.geom_type != "Polygon" else c for c in cells]
    return sorted(cells, key=lambda c: (-round(c.centroid.y, 2), c.centroid.x))


def _round(geom):
    return shapely.transform(geom, lambda xy: np.round(xy, 7))


def _to_gcj(geom):
    def f(xy):
        lon, lat = geo.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.round(np.c_[lon, lat], 7)
    return shapely.transform(geom, f)


def _parts(geom) -> list[Polygon]:
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]


def _geojson(geom) -> dict:
    return json.loads(json.dumps(mapping(geom)))  # lists, as JSON reads


def make_city(out_dir: Path | str, seed: int = 11, level_words: dict[str, str] | None = None) -> CityFixture:
    """Write the fictional city's files into `out_dir` and return where they are and the truth.

    - regions.csv: the region ledger (区划代码 · 名称 · 层级 · 上级代码 · 人口, no 经度/纬度), the city,
      13 districts (桐庐县/淳安县 as 县, 建安市 a 县级市), and under 萧然区 five townships (街道 and 镇)
      with three villages each (社区 and 村).
    - 990200_full.json: the districts as DataV serves them (`geo.datav.aliyun.com/.../990200_full.json`):
      GCJ-02, numeric 6-digit `adcode`, `name`, `center`, `centroid`, `childrenNum`, `level`,
      `parent` {adcode}, `subFeatureIndex`, `acroutes`; 上城区 a MultiPolygon with its two tiny islands
      first; 建安市 three features with the same adcode (one per ring, tiny parts first); 西湖区 with
      a hole holding an enclave of 滨江区 (so 滨江区 is multi-part too). District polygons only.
    - city_wgs84.geojson: the same districts in WGS-84 keyed by the 12-digit `code` (the originals).
    - 990203.geojson: a bare MultiPolygon (GCJ-02) named by its code, a corrected 江干区 (its
      polygon moved 100 m north) for re-import tests; 990207001.geojson: a bare township Polygon.
    - 案件台账.csv / 信访台账.csv: a few hundred records in 2024 across districts, townships and
      villages (a few coded to 萧然区 itself: 本级)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    words = {**DEFAULT_LEVEL_WORDS, **(level_words or {})}
    rng = np.random.default_rng(seed)
    city = _outline(rng)
    cells = _tessellate(city, len(DISTRICT_NAMES), rng)
    geoms: dict[int, shapely.Geometry] = {i: c for i, c in enumerate(cells)}
    # Two tiny islands off 上城区's coast (outside the city outline).
    bx = geoms[ISLANDS].bounds
    islands = [box(bx[0] - 0.05, bx[3] + 0.01, bx[0] - 0.044, bx[3] + 0.016),
               box(bx[0] - 0.03, bx[3] + 0.02, bx[0] - 0.026, bx[3] + 0.024)]
    geoms[ISLANDS] = MultiPolygon([*islands, geoms[ISLANDS]])
    # 西湖区's hole, handed to 滨江区 as an enclave.
    c = geoms[HOLED].representative_point()
    enclave = Point(c.x, c.y).buffer(0.02, quad_segs=6)
    geoms[HOLED] = geoms[HOLED].difference(enclave)
    geoms[ENCLAVE_OWNER] = MultiPolygon([*_parts(geoms[ENCLAVE_OWNER]), enclave])
    # 建安市: a small exclave beside it, so it has two parts written as two features.
    bx = geoms[RINGS].bounds
    geoms[RINGS] = MultiPolygon([box(bx[2] + 0.01, bx[1], bx[2] + 0.02, bx[1] + 0.01), geoms[RINGS]])
    geoms = {i: _round(g) for i, g in geoms.items()}
    district_adcodes = [CITY_ADCODE + i + 1 for i in range(len(DISTRICT_NAMES))]
    codes = [_code(a) for a in district_adcodes]

    # --- the DataV FeatureCollection (GCJ-02) --------------------------------------------------
    features = []
    for i, (adcode, name) in enumerate(zip(district_adcodes, DISTRICT_NAMES)):
        g = geoms[i]
        gcj = _to_gcj(g)
        props = {"adcode": adcode, "name": name,
                 "center": [round(v, 6) for v in _to_gcj(g.representative_point()).coords[0]],
                 "centroid": [round(v, 6) for v in _to_gcj(g.centroid).coords[0]],
                 "childrenNum": len(TOWNSHIPS) if i == DEEP else 0, "level": "district",
                 "parent": {"adcode": CITY_ADCODE}, "subFeatureIndex": i, "acroutes": [100000, 990000, CITY_ADCODE]}
        if i == RINGS:  # one feature per ring, tiny part first (as some exports write exclaves)
            for part in _parts(gcj):
                features.append({"type": "Feature", "properties": props, "geometry": _geojson(MultiPolygon([part]))})
        else:
            multi = gcj if gcj.geom_type == "MultiPolygon" else MultiPolygon([gcj])  # DataV writes MultiPolygon
            features.append({"type": "Feature", "properties": props, "geometry": _geojson(multi)})
    datav = out / f"{CITY_ADCODE}_full.json"
    datav.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                     encoding="utf-8")
    wgs = out / "city_wgs84.geojson"
    wgs.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": _geojson(geoms[i])}
        for i, (code, name) in enumerate(zip(codes, DISTRICT_NAMES))]}, ensure_ascii=False), encoding="utf-8")

    # --- bare geometries named by their code ----------------------------------------------------
    moved = shapely.affinity.translate(geoms[2], yoff=0.0009)  # 100 m north
    bare_d = out / f"{district_adcodes[2]}.geojson"
    bare_d.write_text(json.dumps(_geojson(MultiPolygon(_parts(_to_gcj(moved))))), encoding="utf-8")
    deep = geoms[DEEP]
    towns = _tessellate(deep, len(TOWNSHIPS), rng)
    town_codes = [f"{district_adcodes[DEEP]}{k + 1:03d}000" for k in range(len(TOWNSHIPS))]
    bare_t = out / f"{town_codes[0][:9]}.geojson"
    bare_t.write_text(json.dumps(_geojson(_to_gcj(_round(towns[0])))), encoding="utf-8")

    # --- the region ledger --------------------------------------------------------------------
    rows = [[CITY_CODE, CITY_NAME, words["city"], "", 1_200_000]]
    for i, (code, name) in enumerate(zip(codes, DISTRICT_NAMES)):
        word = words["county_city"] if name.endswith("市") else words["county"] if name.endswith("县") else words["district"]
        rows.append([code, name, word, CITY_CODE, int(rng.integers(50_000, 150_000))])
    villages: list[str] = []
    for k, (tcode, tname) in enumerate(zip(town_codes, TOWNSHIPS)):
        rows.append([tcode, tname, words["street"] if tname.endswith("街道") else words["town"], codes[DEEP],
                     int(rng.integers(10_000, 30_000))])
        for v in range(VILLAGES_PER_TOWNSHIP):
            vcode = f"{tcode[:9]}{v + 1:03d}"
            street = tname.endswith("街道")
            vname = f"{tname[:2]}{'一二三'[v]}{'社区' if street else '村'}"
            rows.append([vcode, vname, words["community"] if street else words["village"], tcode,
                         int(rng.integers(1_000, 5_000))])
            villages.append(vcode)
    regions_csv = out / "区划台账.csv"
    with regions_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["区划代码", "名称", "层级", "上级代码", "人口"])
        w.writerows(rows)

    # --- records ------------------------------------------------------------------------------
    other = [c for i, c in enumerate(codes) if i != DEEP]
    places = other * 3 + villages * 2 + town_codes + [codes[DEEP]] * 2  # 本级: coded to the district
    fields = ["集体三资", "惠民惠农", "工程建设", "教育医疗"]
    cases_csv, complaints_csv = out / "案件台账.csv", out / "信访台账.csv"
    with cases_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["案件编号", "区划代码", "领域", "立案日期", "党纪处分人数"])
        for n in range(120):
            place = places[int(rng.integers(0, len(places)))]
            w.writerow([f"LJ-AJ-{n + 1:04d}", place, fields[n % 4],
                        f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}", int(rng.integers(0, 3))])
    with complaints_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["信访编号", "区划代码", "受理日期", "渠道", "领域"])
        for n in range(300):
            place = places[int(rng.integers(0, len(places)))]
            w.writerow([f"LJ-XF-{n + 1:04d}", place,
                        f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
                        ["来信", "来访", "电话", "网络"][n % 4], fields[n % 4]])
    return CityFixture(
        dir=out, regions_csv=regions_csv, datav_gcj02=datav, wgs84=wgs, bare_district=bare_d,
        bare_township=bare_t, cases_csv=cases_csv, complaints_csv=complaints_csv,
        originals={c: geoms[i] for i, c in enumerate(codes)} | {town_codes[0]: _round(towns[0])},
        district_codes=codes, township_codes=town_codes, village_codes=villages,
        multipart=[codes[ISLANDS], codes[ENCLAVE_OWNER], codes[RINGS]], holed=codes[HOLED])


if __name__ == "__main__":  # python -m tests.city_fixtures [DIR]: refresh the committed copy
    import sys

    make_city(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "fixtures" / "city")
