"""Boundary files as administrators download them: readers (adcode, code property, code from the
file name, MultiPolygons and holes), size limits, coordinate systems, re-import diffs and the
label points computed from polygons."""
from __future__ import annotations

from datetime import date

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from shapely.geometry import Point, Polygon, box, mapping, shape

from dashboard.cli import main
from queries import geo, store
from tests import fixtures as fx
from tests.city_fixtures import make_city

TODAY = date(2026, 12, 3)  # the day the import runs: dates after it are refused

REGIONS = fx.tables().regions
X0, Y0 = 104.0, 30.0


def _poly(x0, x1, y0=0.0, y1=1.0) -> dict:
    return json.loads(json.dumps(mapping(box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1))))


def _check(obj, name="b.geojson", **kw) -> geo.GeoCheck:
    return geo.check_files([(name, json.dumps(obj).encode())], REGIONS, **kw)


def _stored(check: geo.GeoCheck) -> dict[str, shapely.Geometry]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in check.collection["features"]}


def _metres(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Distance in metres between points a few metres apart (local flat approximation)."""
    lat = np.radians(np.asarray(lat_a))
    return np.hypot((np.asarray(lon_a) - lon_b) * 111_320 * np.cos(lat), (np.asarray(lat_a) - lat_b) * 110_574)


# --- codes -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "code"), [
    (330109, "330109000000"), ("330109", "330109000000"), (330109.0, "330109000000"),
    ("330109001", "330109001000"), ("330109001002", "330109001002"), (" 330109 ", "330109000000"),
    ("3301", None), (330109.5, None), (True, None), (None, None), ("33010a", None)])
def test_boundary_codes_are_padded_on_the_right_to_twelve_digits(raw, code):
    assert geo.normalize_geo_code(raw) == code


def test_a_feature_that_is_not_an_object_is_an_error_not_a_crash():
    fc = {"type": "FeatureCollection", "features": ["x", {"type": "Feature", "properties": [1], "geometry": _poly(0, 1)}]}
    assert _check(fc).errors == ["第 1 个要素缺少属性 code 或 adcode（区划代码）", "第 2 个要素缺少属性 code 或 adcode（区划代码）"]


def test_a_datav_feature_collection_is_read_by_its_numeric_adcode():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 990101, "name": "甲区", "center": [104.5, 30.5],
                                           "centroid": [104.6, 30.5], "parent": {"adcode": 990100}},
         "geometry": _poly(0, 2)}]}
    check = _check(fc)
    assert check.errors == [] and list(_stored(check)) == [fx.DIST_A]


def test_code_property_names_the_property_holding_the_code():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"区划代码": "990102", "adcode": 110000}, "geometry": _poly(2, 3)}]}
    check = _check(fc, code_property="区划代码")
    assert check.errors == [] and list(_stored(check)) == [fx.DIST_B]


def test_a_named_code_property_that_is_missing_is_an_error():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 990102}, "geometry": _poly(2, 3)}]}
    assert _check(fc, code_property="区划代码").errors == ["第 1 个要素缺少属性 区划代码（区划代码）；也可把文件命名为区划代码，如 330109.geojson"]


def test_a_bare_geometry_takes_its_code_from_the_file_name():
    check = _check(_poly(2, 3), name="990102.geojson")
    assert check.errors == [] and list(_stored(check)) == [fx.DIST_B]


def test_a_single_feature_without_code_takes_its_code_from_a_nine_digit_file_name():
    check = _check({"type": "Feature", "properties": {"name": "甲一镇"}, "geometry": _poly(0, 1)},
                   name="990101001.json")
    assert check.errors == [] and list(_stored(check)) == [fx.TOWN_A1]


def test_a_bare_geometry_in_a_file_not_named_by_a_code_is_refused():
    check = _check(_poly(2, 3), name="乙区.geojson")
    assert len(check.errors) == 1 and "缺少属性 code 或 adcode" in check.errors[0] and "330109.geojson" in check.errors[0]


def test_an_unknown_code_is_an_error_on_its_feature():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 990101}, "geometry": _poly(0, 2)},
        {"type": "Feature", "properties": {"adcode": 330109}, "geometry": _poly(2, 3)}]}
    assert _check(fc).errors == ["第 2 个要素：区划代码 330109000000 不在区划表中（请先导入区划台账）"]


def test_a_multipolygon_keeps_every_part_and_its_holes():
    outer = box(X0, Y0, X0 + 2, Y0 + 1)
    holed = Polygon(outer.exterior.coords, [box(X0 + 0.5, Y0 + 0.25, X0 + 1, Y0 + 0.75).exterior.coords])
    island = box(X0 + 3, Y0, X0 + 3.1, Y0 + 0.1)
    geom = json.loads(json.dumps(mapping(shapely.MultiPolygon([island, holed]))))
    stored = _stored(_check({"type": "Feature", "properties": {"code": fx.DIST_A}, "geometry": geom}))[fx.DIST_A]
    assert stored.geom_type == "MultiPolygon" and len(stored.geoms) == 2
    assert sorted(len(p.interiors) for p in stored.geoms) == [0, 1]
    assert stored.area == pytest.approx(2 - 0.25 + 0.01)


def test_features_sharing_a_code_are_merged_into_one_region():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 990102}, "geometry": _poly(5, 5.1, 0, 0.1)},
        {"type": "Feature", "properties": {"adcode": 990102}, "geometry": _poly(2, 3)}]}
    check = _check(fc)
    merged = _stored(check)[fx.DIST_B]
    assert merged.geom_type == "MultiPolygon" and len(merged.geoms) == 2
    assert check.notes == [f"区划 {fx.DIST_B} 有 2 个要素，已合并为一个区划"]


def test_a_name_differing_from_the_region_table_is_noted_not_refused():
    check = _check({"type": "Feature", "properties": {"adcode": 990101, "name": "甲县"}, "geometry": _poly(0, 2)})
    assert check.errors == [] and check.notes == [f"以下区划的名称与区划表不同，按代码导入：{fx.DIST_A}（区划表：甲区，文件：甲县）"]


def test_regions_left_without_polygons_are_reported_with_their_count():
    report = geo.missing_report(REGIONS, {fx.DIST_A, fx.DIST_B}, shown=2)
    assert report == f"以下区划暂无边界（地图上以圆点示意）：{fx.TOWN_A1} 甲一镇、{fx.TOWN_A2} 甲二街道 等 7 个"
    assert geo.missing_report(REGIONS, set(REGIONS["code"].to_list())) is None


# --- limits ------------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setattr(geo, "MAX_FILE_BYTES", 1024 * 1024)
    check = geo.check_files([("big.geojson", b"{" * (1024 * 1024 + 1))], REGIONS)
    assert check.errors == ["边界文件 big.geojson过大：1.0 MB，上限 1 MB（请只导入本市的区划边界，或先简化）"]


def test_too_many_vertices_are_refused_naming_the_limit(monkeypatch):
    monkeypatch.setattr(geo, "MAX_VERTICES", 8)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c}, "geometry": _poly(0, 1)} for c in (fx.DIST_A, fx.DIST_B)]}
    assert _check(fc).errors == ["边界文件顶点过多：超过 8 个（请先简化边界，例如用 mapshaper）"]


def test_too_many_features_are_refused_naming_the_limit(monkeypatch):
    monkeypatch.setattr(geo, "MAX_FEATURES", 1)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c}, "geometry": _poly(0, 1)} for c in (fx.DIST_A, fx.DIST_B)]}
    assert _check(fc).errors == ["边界文件要素过多：超过 1 个（请只导入本市的区划边界）"]


def test_import_geo_checks_the_size_before_reading_the_file(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path}/g.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setattr(geo, "MAX_FILE_BYTES", 10)
    p = tmp_path / "b.geojson"
    p.write_bytes(b"\xff" * 11)  # not even UTF-8: reading it would fail differently
    assert main(["import-geo", str(p), "--db", url]) == 2
    assert "上限" in capsys.readouterr().err


# --- coordinate systems --------------------------------------------------------------------------

def test_gcj02_offset_at_tiananmen_is_the_published_one():
    lon, lat = geo.wgs84_to_gcj02([116.397], [39.909])
    assert (lon[0] - 116.397, lat[0] - 39.909) == (pytest.approx(0.006244, abs=1e-5), pytest.approx(0.001403, abs=1e-5))


GRID = np.meshgrid(np.linspace(75, 135, 13), np.linspace(18, 53, 8))


def test_gcj02_to_wgs84_inverts_the_offset_within_a_tenth_of_a_metre():
    lon, lat = GRID[0].ravel(), GRID[1].ravel()
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lon, lat))
    assert _metres(back[0], back[1], lon, lat).max() < 0.1


def test_bd09_round_trips_within_a_tenth_of_a_metre():
    lon, lat = GRID[0].ravel(), GRID[1].ravel()
    back = geo.bd09_to_wgs84(*geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(lon, lat)))
    assert _metres(back[0], back[1], lon, lat).max() < 0.1


def test_bd09_is_baidus_offset_of_gcj02():
    lon, lat = geo.gcj02_to_bd09([116.403244], [39.910403])
    assert (lon[0] - 116.403244, lat[0] - 39.910403) == (pytest.approx(0.00637, abs=1e-4), pytest.approx(0.00634, abs=1e-4))


def test_points_outside_china_are_not_offset():
    lon, lat = geo.wgs84_to_gcj02([2.35], [48.85])
    assert (lon[0], lat[0]) == (2.35, 48.85)


def test_an_unknown_crs_is_refused():
    assert _check(_poly(0, 1), name="990101.geojson", crs="mercator").errors == ["坐标系应为 wgs84 / gcj02 / bd09，实际为 'mercator'"]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("city"))


def _city_regions(city) -> pl.DataFrame:
    from queries import ingest

    return ingest.read_paths([str(city.regions_csv)], pl.DataFrame(schema=REGIONS.schema), today=TODAY).frames["regions"]


def test_a_gcj02_datav_file_is_stored_within_a_metre_of_its_wgs84_originals(city):
    check = geo.check_files([(city.datav_gcj02.name, city.datav_gcj02.read_bytes())], _city_regions(city), crs="gcj02")
    stored = _stored(check)
    assert check.errors == [] and set(stored) == set(city.district_codes)
    for code in city.district_codes:
        original = city.originals[code]
        assert stored[code].geom_type == original.geom_type or len(getattr(original, "geoms", [1])) == 1
        assert shapely.hausdorff_distance(stored[code], original) < 1e-5  # about 1 m


def test_the_checked_in_city_files_are_what_the_generator_makes(tmp_path):
    make_city(tmp_path)
    here = Path(__file__).parent / "fixtures" / "city"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {p.name: p.read_bytes() for p in here.iterdir()}


# --- re-import ---------------------------------------------------------------------------------

@pytest.fixture()
def db(tmp_path):
    url = f"sqlite:///{tmp_path}/g.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    return url


def _fc(polys: dict[str, dict]) -> dict:
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"code": c}, "geometry": g} for c, g in polys.items()]}


def test_reimport_replaces_only_the_codes_in_the_file_and_says_what_changed(db):
    store.save_boundaries(db, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 3)}))
    diff = store.save_boundaries(db, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 2.9), fx.TOWN_A1: _poly(0, 1)}))
    assert diff == {"added": [fx.TOWN_A1], "replaced": [fx.DIST_B], "unchanged": [fx.DIST_A]}
    assert geo.diff_report(diff) == "新增 1、替换 1、未变 1"
    stored = {f["properties"]["code"]: shape(f["geometry"]) for f in store.load_boundaries(db)["features"]}
    assert stored[fx.DIST_B].bounds == pytest.approx((X0 + 2, Y0, X0 + 2.9, Y0 + 1)) and len(stored) == 3


def test_import_geo_of_districts_only_reports_the_regions_without_polygons(db, tmp_path, capsys):
    p = tmp_path / "d.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 990101}, "geometry": _poly(0, 2)},
        {"type": "Feature", "properties": {"adcode": "990102"}, "geometry": _poly(2, 3)}]}))
    assert main(["import-geo", str(p), "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "已导入 2 个区划边界（新增 2、替换 0、未变 0）"
    assert out[1].startswith("以下区划暂无边界（地图上以圆点示意）：") and out[1].endswith("等 7 个")


def test_import_geo_of_several_bare_files_named_by_code(db, tmp_path, capsys):
    for code, poly in (("990101", _poly(0, 2)), ("990102", _poly(2, 3))):
        (tmp_path / f"{code}.geojson").write_text(json.dumps(poly))
    assert main(["import-geo", str(tmp_path / "990101.geojson"), str(tmp_path / "990102.geojson"), "--db", db]) == 0
    assert {f["properties"]["code"] for f in store.load_boundaries(db)["features"]} == {fx.DIST_A, fx.DIST_B}


# --- label points ------------------------------------------------------------------------------

def test_label_points_lie_inside_their_polygons_even_with_holes_and_islands(city):
    regions = _city_regions(city)
    points = geo.label_points(regions, city.originals, {})
    got = {c: Point(x, y) for c, x, y in points.filter(pl.col("source") == "polygon").select("code", "lon", "lat").iter_rows()}
    assert set(got) == set(city.originals)
    assert all(city.originals[c].contains(p) for c, p in got.items())


def test_a_region_without_polygon_takes_the_mean_of_its_childrens_points():
    geoms = {fx.TOWN_A1: box(0, 0, 2, 2), fx.TOWN_A2: box(4, 0, 6, 2)}
    points = geo.label_points(REGIONS, geoms, {})
    row = points.filter(pl.col("code") == fx.DIST_A).row(0, named=True)
    assert (row["lon"], row["lat"], row["source"]) == (3.0, 1.0, "children")


def test_an_only_child_without_polygon_takes_its_parents_point():
    points = geo.label_points(REGIONS, {fx.TOWN_B1: box(0, 0, 2, 2)}, {})
    row = points.filter(pl.col("code") == fx.V_B1a).row(0, named=True)
    assert (row["lon"], row["lat"], row["source"]) == (1.0, 1.0, "parent")


def test_siblings_without_polygons_spread_inside_their_parent():
    points = geo.label_points(REGIONS, {fx.DIST_A: box(0, 0, 4, 4)}, {})
    towns = points.filter(pl.col("code").is_in([fx.TOWN_A1, fx.TOWN_A2])).sort("code")
    ring = 0.45 * math.sqrt(16 / math.pi)
    assert towns["lon"].to_list() == pytest.approx([2.0, 2.0]) and towns["lat"].to_list() == pytest.approx([2 + ring, 2 - ring])
    assert towns["source"].to_list() == ["parent", "parent"]


def test_a_ledger_point_is_kept_and_a_point_of_our_own_is_recomputed():
    regions = REGIONS.with_columns(
        pl.when(pl.col("code") == fx.DIST_A).then(104.9).when(pl.col("code") == fx.DIST_B).then(5.0).alias("lon"),
        pl.when(pl.col("code") == fx.DIST_A).then(30.9).when(pl.col("code") == fx.DIST_B).then(1.0).alias("lat"))
    geoms = {fx.DIST_A: box(0, 0, 2, 2), fx.DIST_B: box(2, 0, 4, 2)}
    points = geo.label_points(regions, geoms, computed={fx.DIST_B: (5.0, 1.0)})
    assert fx.DIST_A not in points["code"].to_list()  # the ledger's 经度/纬度
    assert points.filter(pl.col("code") == fx.DIST_B).row(0)[1:] == (3.0, 1.0, "polygon")


def _points(url) -> dict[str, tuple]:
    return {c: (x, y) for c, x, y in store.load_tables(url).regions.select("code", "lon", "lat").iter_rows()}


def test_boundary_import_stores_label_points_into_regions(db):
    store.save_boundaries(db, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 3)}))
    pts = _points(db)
    assert shape(_poly(0, 2)).contains(Point(pts[fx.DIST_A])) and shape(_poly(2, 3)).contains(Point(pts[fx.V_B1a]))
    assert all(p[0] is not None for p in pts.values())


def test_a_later_ledger_with_real_coordinates_wins_and_regions_imported_after_boundaries_get_points(db):
    store.save_boundaries(db, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 3)}))
    real = REGIONS.filter(pl.col("code") == fx.DIST_A).with_columns(pl.lit(104.25).alias("lon"), pl.lit(30.75).alias("lat"))
    new_village = pl.DataFrame({"code": ["990102001002"], "name": ["新村"], "level": ["village"],
                                "parent_code": [fx.TOWN_B1]})
    store.upsert(db, {"regions": pl.concat([real, new_village], how="diagonal_relaxed")})
    store.save_boundaries(db, _fc({fx.DIST_A: _poly(0, 1.5)}))  # the polygon changes: the ledger point stays
    pts = _points(db)
    assert pts[fx.DIST_A] == (104.25, 30.75)
    assert shape(_poly(2, 3)).contains(Point(pts["990102001002"]))


def test_a_ledger_without_coordinates_reimported_keeps_the_computed_points(db):
    store.save_boundaries(db, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 3)}))
    before = _points(db)
    store.upsert(db, {"regions": REGIONS})  # 经度/纬度 blank, as most ledgers
    assert _points(db) == before


def test_label_points_and_the_reimport_diff_on_both_backends(db_url):
    store.replace_all(db_url, fx.tables(), None, dataset="ledger")
    store.save_boundaries(db_url, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 3)}))
    store.upsert(db_url, {"regions": REGIONS})
    diff = store.save_boundaries(db_url, _fc({fx.DIST_A: _poly(0, 2), fx.DIST_B: _poly(2, 2.5)}))
    pts = _points(db_url)
    assert diff == {"added": [], "replaced": [fx.DIST_B], "unchanged": [fx.DIST_A]}
    assert shape(_poly(2, 2.5)).contains(Point(pts[fx.DIST_B])) and shape(_poly(0, 2)).contains(Point(pts[fx.V_A1a]))


def test_a_child_without_polygon_is_placed_clear_of_its_siblings_polygons():
    geoms = {fx.DIST_A: box(0, 0, 4, 2), fx.TOWN_A1: box(0, 0, 2, 2)}
    row = geo.label_points(REGIONS, geoms, {}).filter(pl.col("code") == fx.TOWN_A2).row(0, named=True)
    assert box(2, 0, 4, 2).contains(Point(row["lon"], row["lat"])) and row["source"] == "parent"


def test_villages_of_a_township_without_polygon_spread_by_its_share_of_the_district():
    # 甲区 (16 square units, two townships, neither with a polygon): 甲一镇's two villages spread
    # on a ring of 0.45 × the district's radius / √2.
    points = geo.label_points(REGIONS, {fx.DIST_A: box(0, 0, 4, 4)}, {})
    town = points.filter(pl.col("code") == fx.TOWN_A1).row(0, named=True)
    villages = points.filter(pl.col("code").is_in([fx.V_A1a, fx.V_A1b])).sort("code")
    ring = 0.45 * math.sqrt(16 / math.pi) / math.sqrt(2)
    assert villages["lon"].to_list() == pytest.approx([town["lon"]] * 2)
    assert villages["lat"].to_list() == pytest.approx([town["lat"] + ring, town["lat"] - ring])
