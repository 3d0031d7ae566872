"""Maps: class breaks, coverage simplification, polygon values against the query layer, offline
style, GCJ-02 shift, drill-down state, and import-geo's refusals."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
import shapely
import numpy as np
from shapely.geometry import Polygon, box, mapping, shape

from dashboard import components_map, map_svg, maps
from dashboard.cli import main
from dashboard.i18n import t
from queries import geo, metrics, store
from queries.filters import Filters, Scope
from tests import fixtures as fx
from tests.apptest import signed_in

X0, Y0 = 104.0, 30.0


def square(x0, x1):
    return json.loads(json.dumps(mapping(box(X0 + x0, Y0, X0 + x1, Y0 + 1))))  # lists, as JSON reads


FX_BOXES = {
    fx.CITY: square(0, 3), fx.DIST_A: square(0, 2), fx.DIST_B: square(2, 3),
    fx.TOWN_A1: square(0, 1), fx.TOWN_A2: square(1, 2), fx.TOWN_B1: square(2, 3),
    fx.V_A1a: square(0, 0.5), fx.V_A1b: square(0.5, 1), fx.V_A2a: square(1, 2), fx.V_B1a: square(2, 3),
}
FX_GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": c}, "geometry": g} for c, g in FX_BOXES.items()]}



def _record_links(at) -> list[tuple[str, str]]:
    """The page links a page draws itself: not the navigation's own row (dashboard/layout.py),
    which repeats every page's title for narrow screens."""
    nav = {t(f"nav.{name}", lang) for name in ("overview", "map", "trends", "warnings", "briefing", "cases",
                                                "complaints", "rectifications", "data") for lang in ("zh", "en")}
    return [(l.proto.page, l.proto.label) for l in at.get("page_link") if l.proto.label not in nav]

def test_quantile_breaks_make_five_classes():
    assert geo.class_breaks(list(range(1, 11))) == [1.0, 2.8, 4.6, 6.4, 8.2, 10.0]


def test_breaks_collapse_to_one_class_when_all_values_are_equal():
    assert geo.class_breaks([3, 3, 3, 3]) == [3.0, 3.0]
    assert geo.classify(3, [3.0, 3.0]) == 0


@pytest.mark.parametrize(("value", "cls"), [(1.0, 0), (2.8, 0), (2.9, 1), (10.0, 4), (None, None)])
def test_classify_puts_upper_bounds_in_the_lower_class(value, cls):
    assert geo.classify(value, [1.0, 2.8, 4.6, 6.4, 8.2, 10.0]) == cls


def test_palette_is_sequential_and_sized_to_the_classes():
    assert geo.palette_for(5) == geo.PALETTE and len(geo.palette_for(3)) == 3


def test_gcj02_shift_matches_the_published_offset():
    lon, lat = geo.wgs84_to_gcj02([116.397128], [39.916527])
    assert lon[0] == pytest.approx(116.403370, abs=2e-4) and lat[0] == pytest.approx(39.917927, abs=2e-4)


def test_coverage_simplification_keeps_neighbours_sharing_edges():
    from dashboard.demo import generate

    d = generate(scale=0.01, seed=5, end=date(2025, 1, 31))
    town = d.tables.regions.filter(pl.col("level") == "township")["code"][0]
    codes = d.tables.regions.filter(pl.col("parent_code") == town)["code"].to_list()
    simplified = [shape(f["geometry"]) for f in geo.level_features(d.boundaries, codes, "village")]
    union = shapely.union_all(simplified)
    assert abs(sum(p.area for p in simplified) - union.area) / union.area < 1e-9  # no overlaps


def test_polygon_values_equal_the_query_layer_rollup():
    t = fx.tables()
    f = Filters(*fx.MARCH)
    table = geo.choropleth_table(t, f, Scope(), fx.AS_OF, "complaints_received", per10k=False)
    expected = metrics.rollup(t, f, Scope(), fx.AS_OF, ("complaints_received",))
    polys = geo.polygons_for_deck(geo.level_features(FX_GEOJSON, table["key"].to_list(), "district"))
    rows = maps.choropleth_rows(polys, table, geo.class_breaks(table["value"].to_list()), str, str)
    assert {r["code"]: r["value"] for r in rows} == dict(zip(expected["key"], expected["complaints_received"]))
    assert {r["code"]: r["rank"] for r in rows} == {fx.DIST_A: 1, fx.DIST_B: 2}


def test_tooltip_values_include_year_on_year_and_warnings():
    t = fx.tables()
    warnings = pl.DataFrame({"region_code": [fx.V_A1a, fx.V_A1b, fx.V_B1a]})
    table = geo.choropleth_table(t, Filters(*fx.MARCH), Scope(), fx.AS_OF, "cases_filed", False, warnings)
    row = table.filter(pl.col("key") == fx.DIST_A).row(0, named=True)
    assert row["value"] == 1 and row["value_last_year"] == 1 and row["yoy_change"] == 0.0
    assert dict(zip(table["key"], table["warnings"])) == {fx.DIST_A: 2, fx.DIST_B: 1}


def test_per_10k_values_use_population():
    table = geo.choropleth_table(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, "complaints_received", True)
    assert dict(zip(table["key"], table["value"])) == {fx.DIST_A: 1.0, fx.DIST_B: 1.0}


def test_deck_uses_the_local_blank_style_and_no_outside_url():
    rows = [{"code": "x", "polygon": [[[104, 30], [104.1, 30], [104.1, 30.1], [104, 30]]], "fill": [1, 2, 3, 4]}]
    deck = maps.build_deck(rows, labels=None, key_watch=[], points=None, density=None, tooltip_html="",
                           style=maps.map_style(maps.MapConfig()))
    spec = json.loads(deck.to_json())
    assert spec["mapStyle"] == "/app/static/blank-style.json"
    assert "http" not in deck.to_json()


def test_tile_config_writes_a_raster_style(tmp_path, monkeypatch):
    monkeypatch.setattr(maps, "TILE_STYLE_FILE", tmp_path / "s.json")
    url = maps.map_style(maps.MapConfig(tile_url="http://tiles.intranet/{z}/{x}/{y}.png", crs="gcj02"))
    style = json.loads((tmp_path / "s.json").read_text())
    assert url == "/app/static/basemap-style.json" and style["sources"]["base"]["tiles"] == [
        "http://tiles.intranet/{z}/{x}/{y}.png"]


def test_gcj02_tiles_shift_the_polygons():
    ring = [[116.397128, 39.916527], [116.4, 39.92], [116.39, 39.92], [116.397128, 39.916527]]
    deck = maps.build_deck([{"code": "x", "polygon": [ring], "fill": [1, 1, 1, 1]}], labels=None,
                           key_watch=[], points=None, density=None, tooltip_html="", style="s", shift=True)
    shifted = deck.layers[0].data[0]["polygon"][0][0]
    assert shifted[0] == pytest.approx(116.40337, abs=2e-4)


def test_map_config_rejects_an_unknown_crs(tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('tile_url = ""\ncrs = "mercator"\n')
    with pytest.raises(ValueError, match="crs"):
        maps.load_config(p)


# --- drill-down state ----------------------------------------------------------------------

@pytest.fixture()
def state(monkeypatch):
    fake: dict = {}
    monkeypatch.setattr(components_map.st, "session_state", fake)
    return fake


def test_clicking_a_district_selects_it(state):
    state["map_chart"] = {"selection": {"objects": {"regions": [{"code": fx.DIST_A}]}}}
    components_map._on_select("map_chart")
    assert (state["district"], state["township"], state["village"]) == (fx.DIST_A, None, None)


def test_clicking_a_village_sets_the_whole_path(state):
    state["map_chart"] = {"selection": {"objects": {"regions": [{"code": fx.V_A1b}]}}}
    components_map._on_select("map_chart")
    assert (state["district"], state["township"], state["village"]) == (fx.DIST_A, fx.TOWN_A1, fx.V_A1b)


def test_breadcrumb_to_the_city_clears_the_cascade(state):
    state.update(district=fx.DIST_A, township=fx.TOWN_A1, village=None)
    components_map._set_region(None, "city")
    assert (state["district"], state["township"], state["village"]) == (None, None, None)


@pytest.fixture()
def map_app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/m.db"
    store.replace_all(url, fx.tables(), FX_GEOJSON, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def _deck(at):
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def test_map_page_draws_the_districts_of_the_city(map_app):
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-03-01", "2024-03-31"],
                                     "as_of": "2024-03-31"}).run()
    at.switch_page("app_pages/map.py").run()
    regions = [l for l in _deck(at)["layers"] if l["id"] == "regions"][0]
    assert {r["code"]: r["value"] for r in regions["data"]} == {fx.DIST_A: 3, fx.DIST_B: 1}


def test_choosing_a_district_shows_its_townships_and_the_breadcrumb_goes_back(map_app):
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-03-01", "2024-03-31"],
                                     "as_of": "2024-03-31", "district": "甲区"}).run()
    at.switch_page("app_pages/map.py").run()
    codes = {r["code"] for r in [l for l in _deck(at)["layers"] if l["id"] == "regions"][0]["data"]}
    assert codes == {fx.TOWN_A1, fx.TOWN_A2}
    at.button(key="map_crumb_0").click().run()
    codes = {r["code"] for r in [l for l in _deck(at)["layers"] if l["id"] == "regions"][0]["data"]}
    assert codes == {fx.DIST_A, fx.DIST_B}


def test_key_watch_villages_are_outlined(map_app):
    at = signed_in("leader").run()
    at.switch_page("app_pages/map.py").run()
    kw = [l for l in _deck(at)["layers"] if l["id"] == "key_watch"][0]
    assert [r["code"] for r in kw["data"]] == [fx.V_B1a]


def test_township_account_map_shows_only_its_villages(map_app):
    at = signed_in("leader", region=fx.TOWN_A1).run()
    at.switch_page("app_pages/map.py").run()
    codes = {r["code"] for r in [l for l in _deck(at)["layers"] if l["id"] == "regions"][0]["data"]}
    assert codes == {fx.V_A1a, fx.V_A1b}


# --- import-geo ------------------------------------------------------------------------------

@pytest.fixture()
def geo_db(tmp_path):
    url = f"sqlite:///{tmp_path}/g.db"
    store.replace_all(url, fx.tables(), FX_GEOJSON, dataset="ledger")
    return url


def _import(tmp_path, capsys, url, content: str):
    p = tmp_path / "b.geojson"
    p.write_text(content, encoding="utf-8")
    code = main(["import-geo", str(p), "--db", url])
    return code, capsys.readouterr()


def _unchanged(url, version):
    assert store.load_boundaries(url) == FX_GEOJSON and store.data_version(url) == version


def test_import_geo_accepts_a_valid_file(tmp_path, capsys, geo_db):
    moved = json.loads(json.dumps(FX_GEOJSON))
    moved["features"][1]["geometry"] = square(0, 1.9)
    code, out = _import(tmp_path, capsys, geo_db, json.dumps(moved))
    assert code == 0 and "已导入 10" in out.out
    stored = {f["properties"]["code"]: f["geometry"] for f in store.load_boundaries(geo_db)["features"]}
    assert shape(stored[fx.DIST_A]).bounds == pytest.approx((X0, Y0, X0 + 1.9, Y0 + 1))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda g: "{not json", "不是有效的 JSON"),
    (lambda g: json.dumps({"type": "Feature"}), "缺少属性 code 或 adcode"),
    (lambda g: json.dumps({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}), "FeatureCollection"),
    (lambda g: json.dumps({**g, "features": g["features"] + [{"type": "Feature", "properties": {"code": "990199000000"},
                                                              "geometry": square(0, 1)}]}), "不在区划表中"),
    (lambda g: json.dumps({**g, "features": [*g["features"][:-1], {"type": "Feature", "properties": {"code": fx.V_B1a},
                                                                   "geometry": {"type": "Point", "coordinates": [1, 2]}}]}), "应为面"),
])
def test_import_geo_refuses_bad_files_and_writes_nothing(tmp_path, capsys, geo_db, mutate, message):
    version = store.data_version(geo_db)
    code, out = _import(tmp_path, capsys, geo_db, mutate(FX_GEOJSON))
    assert code != 0 and message in out.err
    _unchanged(geo_db, version)


def test_import_geo_repairs_a_self_intersecting_polygon_and_says_so(tmp_path, capsys, geo_db):
    bowtie = {"type": "Polygon", "coordinates": [[[X0 + 2, Y0], [X0 + 3, Y0 + 1], [X0 + 3, Y0], [X0 + 2, Y0 + 1], [X0 + 2, Y0]]]}
    g = json.loads(json.dumps(FX_GEOJSON))
    g["features"][-1]["geometry"] = bowtie
    code, out = _import(tmp_path, capsys, geo_db, json.dumps(g))
    assert code == 0 and "已自动修复" in out.err
    assert shape(store.load_boundaries(geo_db)["features"][-1]["geometry"]).is_valid


# --- the overview's small map (a still SVG picture, dashboard/map_svg.py) ----------------------

CCW = [[104.0, 30.0], [105.0, 30.0], [105.0, 31.0], [104.0, 31.0], [104.0, 30.0]]  # counter-clockwise
SVG = "{http://www.w3.org/2000/svg}"


def _row(code, ring, fill, name="甲区", rank=1):
    return {"code": code, "polygon": [ring], "name": name, "value": 3, "value_text": "3 件", "rank": rank,
            "yoy_text": "+50.0%", "warnings": 2, "fill": fill}


def _svg(rows, **kw):
    import xml.etree.ElementTree as ET

    args = {"labels": [], "key_watch": [], "width": 400, "height": 300, **kw}
    return ET.fromstring(map_svg.compact_svg(rows, **args))


def _regions(root) -> dict:
    """Each region's path by its code: fill, opacity and its sub-paths (one per ring)."""
    return {p.get("data-code"): (p.get("fill"), p.get("fill-opacity"), p.get("d").count("M"))
            for p in root.iter(f"{SVG}path") if p.get("data-code")}


def test_small_map_gives_each_region_its_class_colour():
    root = _svg([_row(fx.DIST_A, CCW, [10, 20, 30, 255]), _row(fx.DIST_B, CCW, [200, 100, 0, 51], "乙区", 2)])
    assert _regions(root) == {fx.DIST_A: ("rgb(10,20,30)", "1.000", 1), fx.DIST_B: ("rgb(200,100,0)", "0.200", 1)}


def test_small_map_draws_the_parts_of_one_region_as_one_path():
    island = [[106.0, 30.0], [106.5, 30.0], [106.5, 30.5], [106.0, 30.0]]
    root = _svg([_row(fx.DIST_A, CCW, [1, 2, 3, 255]), _row(fx.DIST_A, island, [1, 2, 3, 255])])
    assert _regions(root) == {fx.DIST_A: ("rgb(1,2,3)", "1.000", 2)}


def test_small_map_fits_the_regions_into_the_picture_keeping_their_shape():
    """A 1° × 1° square at 30–31°N is about 1.16 times taller than wide in Web Mercator: it
    fills the height less the padding, centred across."""
    d = next(_svg([_row(fx.DIST_A, CCW, [1, 2, 3, 255])]).iter(f"{SVG}path")).get("d")
    xy = [tuple(map(float, p.split(","))) for p in d.strip("MZ").split("L")]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    assert (min(ys), max(ys)) == (10.0, 290.0)
    width = max(xs) - min(xs)
    assert width == pytest.approx(280 / (map_svg._y(31) - map_svg._y(30)), abs=0.1) and (min(xs) + max(xs)) / 2 == pytest.approx(200, abs=0.1)


def test_small_map_names_regions_and_outlines_key_watch_villages():
    root = _svg([_row(fx.DIST_A, CCW, [1, 2, 3, 255])], labels=[{"name": "甲区", "lon": 104.5, "lat": 30.5}],
                key_watch=[{"code": fx.V_B1a, "polygon": [CCW]}])
    assert [t.text for t in root.iter(f"{SVG}text")] == ["甲区"]
    watch = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == map_svg.KEY_WATCH_LINE]
    assert len(watch) == 1 and watch[0].get("fill") == "none"


def test_small_map_keeps_a_hostile_name_as_text():
    name = '</text><script>alert(1)</script><image href="http://evil.example/x.png"/>&amp;'
    markup = map_svg.compact_svg([_row(fx.DIST_A, CCW, [1, 2, 3, 255])], labels=[{"name": name, "lon": 104.5, "lat": 30.5}],
                                 key_watch=[], width=400, height=300)
    root = _svg([_row(fx.DIST_A, CCW, [1, 2, 3, 255])], labels=[{"name": name, "lon": 104.5, "lat": 30.5}])
    assert [t.text for t in root.iter(f"{SVG}text")] == [name]
    assert {el.tag.removeprefix(SVG) for el in root.iter()} == {"svg", "path", "text"}
    assert "<script" not in markup and "http://evil" in markup  # only as escaped text


def test_small_map_of_nothing_is_an_empty_picture():
    root = _svg([])
    assert root.get("viewBox") == "0 0 400 300" and list(root) == []


def test_small_map_draws_circles_inside_the_parent_outline():
    circles = maps.circle_rows(CIRCLE_TABLE, [1.0, 4.0], str, str)
    root = _svg([], circles=circles, outline=[{"code": fx.DIST_A, "polygon": [CCW]}])
    outline = next(root.iter(f"{SVG}path"))
    assert outline.get("stroke") == map_svg.OUTLINE_LINE and outline.get("data-code") is None
    dots = list(root.iter(f"{SVG}circle"))
    assert [(c.get("data-code"), float(c.get("r"))) for c in dots] == [(c["code"], c["radius"]) for c in circles]
    names = list(root.iter(f"{SVG}text"))
    assert [t.text for t in names] == ["甲一镇", "甲二街道"]
    assert float(names[0].get("y")) == pytest.approx(float(dots[0].get("cy")) + circles[0]["radius"] + 10, abs=0.11)


def _overview_svg(at):
    """The overview's small map as the browser gets it: the SVG inside the image's data URI."""
    import base64
    import xml.etree.ElementTree as ET

    url = at.get("image")[0].proto.imgs[0].url
    assert url.startswith("data:image/svg+xml;base64,")
    return ET.fromstring(base64.b64decode(url.split(",", 1)[1]))


def _drill(at, code: str, viewed: str = "top"):
    """A click on one of the small map's drill-down buttons (keyed by the viewed region)."""
    return at.button_group(key=f"overview_drill_{viewed}").set_value(code).run()


def test_overview_draws_the_districts_on_a_picture_with_no_chart_library(map_app):
    at = signed_in("leader", params=MARCH_PARAMS).run()
    at.selectbox(key="overview_rank_metric.zh").set_value("complaints_received")  # the map follows the ranking
    at.toggle(key="overview_rank_per10k").set_value(False).run()
    assert set(_regions(_overview_svg(at))) == {fx.DIST_A, fx.DIST_B}
    assert not at.get("plotly_chart") and not at.get("deck_gl_json_chart")
    assert at.button_group(key="overview_drill_top").options == ["甲区", "乙区"]  # 3 and 1 complaints


def test_two_drills_on_the_overview_draw_what_the_deep_link_draws(map_app):
    at = _drill(_drill(signed_in("leader", params=MARCH_PARAMS).run(), fx.DIST_A), fx.TOWN_A1, fx.DIST_A)
    assert (at.session_state["district"], at.session_state["township"]) == (fx.DIST_A, fx.TOWN_A1)
    linked = signed_in("leader", params={**MARCH_PARAMS, "district": "甲区", "township": "甲一镇"}).run()
    assert at.get("image")[0].proto.imgs[0].url == linked.get("image")[0].proto.imgs[0].url
    assert list(_regions(_overview_svg(at))) == [fx.V_A1a, fx.V_A1b]


def test_a_village_chosen_on_the_overview_links_its_records_with_their_number(map_app):
    at = signed_in("leader", params={**MARCH_PARAMS, "district": "甲区", "township": "甲一镇"}).run()
    at = _drill(at, fx.V_A1a, fx.TOWN_A1)
    assert at.session_state["village"] == fx.V_A1a
    assert "已到村（社区）级，查看本村（社区）的明细：" in [c.value for c in at.caption]
    assert _record_links(at)[:3] == [  # then the warnings' link
        ("cases", "案件（1）"), ("complaints", "信访举报（1）"), ("rectifications", "整改事项（1）")]  # c1, q1, r1


def test_choosing_a_region_under_the_small_map_drills_down(state):
    state["overview_drill_top"] = fx.TOWN_A2
    components_map._on_drill("overview_drill_top")
    assert (state["district"], state["township"], state["village"]) == (fx.DIST_A, fx.TOWN_A2, None)


# --- multi-part districts, holes, circles ------------------------------------------------------

@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from tests.city_fixtures import make_city

    return make_city(tmp_path_factory.mktemp("city"))


def _city_rows(city):
    """The districts as the map panel makes them: simplified together, one row per part."""
    coll = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c}, "geometry": mapping(g)} for c, g in city.originals.items()]}
    polys = geo.polygons_for_deck(geo.level_features(coll, city.district_codes, "district"))
    table = pl.DataFrame({"key": city.district_codes, "name": [f"区{i}" for i in range(13)],
                          "value": [float(i) for i in range(13)], "rank": list(range(13, 0, -1)),
                          "yoy_change": [None] * 13, "warnings": [0] * 13})
    return maps.choropleth_rows(polys, table, geo.class_breaks(table["value"].to_list()), str, str)


def _n_parts(geom) -> int:
    return len(geom.geoms) if geom.geom_type == "MultiPolygon" else 1


def test_deck_draws_every_part_of_every_district_and_the_hole(city):
    deck = maps.build_deck(_city_rows(city), labels=None, key_watch=[], points=None, density=None,
                           tooltip_html="", style="s")
    regions = [l for l in deck.layers if l.id == "regions"][0].data
    parts = {c: sum(r["code"] == c for r in regions) for c in city.district_codes}
    assert parts == {c: _n_parts(city.originals[c]) for c in city.district_codes}
    holed = [r for r in regions if r["code"] == city.holed]
    assert [len(r["polygon"]) for r in holed] == [2]  # exterior and hole
    original_hole = Polygon(city.originals[city.holed].interiors[0])
    assert Polygon(holed[0]["polygon"][1]).area == pytest.approx(original_hole.area, rel=0.1)


def test_small_map_draws_every_part_and_hole_of_every_district(city):
    """One path per district, a sub-path per ring (parts and holes; even-odd fill cuts the holes)."""
    rows = _city_rows(city)
    got = _regions(_svg(rows))
    rings = {c: sum(len(r["polygon"]) for r in rows if r["code"] == c) for c in city.district_codes}
    assert {c: n for c, (_, _, n) in got.items()} == rings
    assert rings[city.holed] >= 2 and list(got) == city.district_codes


CIRCLE_TABLE = pl.DataFrame({"key": [fx.TOWN_A1, fx.TOWN_A2], "name": ["甲一镇", "甲二街道"],
                             "lon": [104.5, 105.5], "lat": [30.5, 30.5], "value": [1.0, 4.0],
                             "rank": [2, 1], "yoy_change": [None, None], "warnings": [0, 3]})


def test_circles_have_the_class_colour_and_an_area_proportional_to_the_value():
    breaks = geo.class_breaks(CIRCLE_TABLE["value"].to_list())
    circles = maps.circle_rows(CIRCLE_TABLE, breaks, lambda v: f"{v:.0f} 件", str)
    small, big = circles
    assert (big["radius"] - maps.CIRCLE_MIN_PX) == pytest.approx(2 * (small["radius"] - maps.CIRCLE_MIN_PX), abs=0.1)
    assert big["radius"] == maps.CIRCLE_MAX_PX
    assert small["fill"] == [*geo.palette_for(len(breaks) - 1)[0], 215] and big["fill"] == [*geo.PALETTE[-1], 215]
    assert (big["code"], big["value_text"], big["rank"], big["warnings"]) == (fx.TOWN_A2, "4 件", 1, 3)


def test_deck_shows_circles_inside_the_parent_outline_when_a_level_has_no_polygons():
    circles = maps.circle_rows(CIRCLE_TABLE, [1.0, 4.0], str, str)
    outline = [{"code": fx.DIST_A, "polygon": [CCW]}]
    deck = maps.build_deck([], labels=None, key_watch=[], points=None, density=None, tooltip_html="{name}",
                           style="s", circles=circles, outline=outline)
    layers = {l.id: l for l in deck.layers}
    assert list(layers) == ["outline", "regions", "circles"]
    assert [c["code"] for c in layers["circles"].data] == [fx.TOWN_A1, fx.TOWN_A2] and layers["circles"].pickable
    assert layers["outline"].pickable is False and layers["regions"].data == []
    spec = {l["id"]: l for l in json.loads(deck.to_json())["layers"]}
    assert spec["circles"]["radiusUnits"] == "pixels"  # a string, not the expression @@=pixels


def test_clicking_a_circle_on_the_deck_map_drills_down(state):
    state["map_chart"] = {"selection": {"objects": {"circles": [{"code": fx.TOWN_A2}]}}}
    components_map._on_select("map_chart")
    assert (state["district"], state["township"], state["village"]) == (fx.DIST_A, fx.TOWN_A2, None)


def test_gcj02_tiles_shift_circles_labels_and_points_like_the_polygons():
    circles = maps.circle_rows(CIRCLE_TABLE, [1.0, 4.0], str, str)
    labels = pl.DataFrame({"name": ["甲一镇"], "lon": [104.5], "lat": [30.5]})
    pts = pl.DataFrame({"lon": [104.5], "lat": [30.5], "color": [[1, 2, 3, 4]]})
    deck = maps.build_deck([{"code": "x", "polygon": [[[104.5, 30.5], [104.6, 30.5], [104.6, 30.6], [104.5, 30.5]]],
                             "fill": [1, 1, 1, 1]}], labels=labels, key_watch=[], points=pts, density=pts,
                           tooltip_html="", style="s", shift=True, circles=circles)
    glon, glat = geo.wgs84_to_gcj02([104.5], [30.5])
    layers = {l.id: l.data for l in deck.layers}
    assert layers["regions"][0]["polygon"][0][0] == [pytest.approx(glon[0], abs=1e-6), pytest.approx(glat[0], abs=1e-6)]
    for layer in ("circles", "labels", "points", "density"):
        first = layers[layer][0]
        assert (first["lon"], first["lat"]) == (pytest.approx(glon[0]), pytest.approx(glat[0])), layer


def test_a_gcj02_file_comes_back_onto_gcj02_tiles_unshifted_twice(city):
    """Stored as WGS-84, shifted once for the tiles: the vertices the file had, within 0.1 m."""
    raw = json.loads(city.datav_gcj02.read_text())
    first = raw["features"][1]
    code = str(first["properties"]["adcode"]).ljust(12, "0")
    regions = pl.DataFrame({"code": [code], "name": ["x"], "level": ["district"]})
    check = geo.check_files([(city.datav_gcj02.name, json.dumps({"type": "FeatureCollection", "features": [first]}).encode())],
                            regions, crs="gcj02")
    stored = check.collection["features"][0]["geometry"]["coordinates"][0][0]
    shifted = maps._shift_polygon([stored], True)[0]
    original = first["geometry"]["coordinates"][0][0]
    assert np.abs(np.asarray(shifted) - np.asarray(original)).max() < 1e-6


@pytest.fixture()
def districts_only_app(tmp_path, monkeypatch):
    """The fixture city with district polygons only (label points computed on import)."""
    url = f"sqlite:///{tmp_path}/d.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    store.save_boundaries(url, {"type": "FeatureCollection", "features": [
        f for f in FX_GEOJSON["features"] if f["properties"]["code"] in (fx.CITY, fx.DIST_A, fx.DIST_B)]})
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


MARCH_PARAMS = {"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}


def test_drilling_into_a_district_without_township_polygons_shows_circles_not_a_message(districts_only_app):
    at = signed_in("leader", params={**MARCH_PARAMS, "district": "甲区"}).run()
    at.switch_page("app_pages/map.py").run()
    layers = {l["id"]: l for l in _deck(at)["layers"]}
    assert {c["code"]: c["value"] for c in layers["circles"]["data"]} == {fx.TOWN_A1: 2, fx.TOWN_A2: 1}
    assert [o["code"] for o in layers["outline"]["data"]] == [fx.DIST_A]
    assert not at.warning and "该级暂无边界数据，以圆点示意（圆点大小表示数值）。" in [c.value for c in at.caption]
    inside = shape(FX_BOXES[fx.DIST_A])
    assert all(inside.contains(shapely.Point(c["lon"], c["lat"])) for c in layers["circles"]["data"])


def test_overview_map_of_a_district_without_township_polygons_shows_circles(districts_only_app):
    root = _overview_svg(signed_in("leader", params={**MARCH_PARAMS, "district": "甲区"}).run())
    assert [c.get("data-code") for c in root.iter(f"{SVG}circle")] == [fx.TOWN_A1, fx.TOWN_A2]
    assert _regions(root) == {}  # only the district's outline, which has no code
    assert len(list(root.iter(f"{SVG}path"))) == 1


def test_a_village_opens_its_records_instead_of_a_dead_end(districts_only_app):
    at = signed_in("leader", params={**MARCH_PARAMS, "district": "甲区", "township": "甲一镇", "village": "东村"}).run()
    at.switch_page("app_pages/map.py").run()
    assert "已到村（社区）级，查看本村（社区）的明细：" in [c.value for c in at.caption]
    assert _record_links(at) == [
        ("cases", "在案件明细中查看全部"), ("complaints", "在信访举报明细中查看全部"),
        ("rectifications", "在整改事项明细中查看全部")]
    assert not at.get("deck_gl_json_chart") and "当前区域没有下级区域。" not in [i.value for i in at.info]


def test_data_page_offers_the_coordinate_system_and_code_property_of_a_boundary_file(map_app):
    at = signed_in("staff").run()
    at.switch_page("app_pages/data_admin.py").run()
    crs = at.selectbox(key="data_geo_crs")
    assert crs.options == ["WGS-84（天地图、GPS）", "GCJ-02（高德、DataV、腾讯）", "BD-09（百度）"] and crs.value == "wgs84"
    assert at.text_input(key="data_geo_code_property").value == ""


def test_labels_of_circles_sit_below_their_dot():
    labels = pl.DataFrame({"key": [fx.TOWN_A1, fx.DIST_B], "name": ["甲一镇", "乙区"], "lon": [104.5, 105.0],
                           "lat": [30.5, 30.5]})
    rows = maps._offset_labels(labels, [{"code": fx.TOWN_A1, "radius": 12.0}])
    assert [r["offset"] for r in rows] == [[0, 22.0], [0, 0]]


def test_a_level_with_some_polygons_draws_those_and_circles_for_the_rest(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/p.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    store.save_boundaries(url, {"type": "FeatureCollection", "features": [
        f for f in FX_GEOJSON["features"] if f["properties"]["code"] in (fx.DIST_A, fx.DIST_B, fx.TOWN_A1)]})
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={**MARCH_PARAMS, "district": "甲区"}).run()
    at.switch_page("app_pages/map.py").run()
    layers = {l["id"]: l for l in _deck(at)["layers"]}
    assert {r["code"] for r in layers["regions"]["data"]} == {fx.TOWN_A1}
    assert [c["code"] for c in layers["circles"]["data"]] == [fx.TOWN_A2]
    assert "1 个区划暂无边界数据，以圆点示意。" in [c.value for c in at.caption]


# --- drilling by clicks: what the browser keeps of a selection ---------------------------------

class Browser:
    """The browser's side of a deck map's selection, as Streamlit's DeckGlJsonChart handles it
    (frontend/lib/.../DeckGlJsonChart): the selection of a chart element stays with its element
    id while that element is on the page and is sent with every rerun; when the chart's data
    change under the same id, each kept index is re-pointed at the object now at that index
    (indices past the new data are dropped), and while anything is selected in a layer, every
    object's fill is redrawn — the selected ones opaque, the rest faded to alpha 102."""

    def __init__(self, at):
        self.at, self.kept = at, {}

    def decks(self) -> dict[str, dict]:
        return {d.proto.id: json.loads(d.proto.json) for d in self.at.get("deck_gl_json_chart")}

    def run(self) -> "Browser":
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        states = self.at._tree.get_widget_states()
        for element, selection in self.kept.items():
            states.widgets.append(WidgetState(id=element, string_value=json.dumps(selection)))
        self.at._run(states)
        decks = self.decks()
        self.kept = {e: self._repoint(s, decks[e]) for e, s in self.kept.items() if e in decks}
        return self

    @staticmethod
    def _repoint(selection: dict, spec: dict) -> dict:
        data = {l["id"]: l.get("data", []) for l in spec["layers"]}
        indices = {k: [i for i in v if i < len(data[k])] for k, v in selection["selection"]["indices"].items()
                   if k in data}
        indices = {k: v for k, v in indices.items() if v}
        return {"selection": {"indices": indices, "objects": {k: [data[k][i] for i in v] for k, v in indices.items()}}}

    def click(self, code: str, layer: str = "regions") -> "Browser":
        (element, spec), = self.decks().items()
        data = next(l["data"] for l in spec["layers"] if l["id"] == layer)
        index = next(i for i, r in enumerate(data) if r["code"] == code)
        self.kept[element] = {"selection": {"indices": {layer: [index]}, "objects": {layer: [data[index]]}}}
        return self.run()

    def drawn_fills(self) -> dict[str, list[int]]:
        """The fill each region polygon is drawn with: its own, unless a selection is kept."""
        (element, spec), = self.decks().items()
        data = next(l["data"] for l in spec["layers"] if l["id"] == "regions")
        chosen = self.kept.get(element, {"selection": {"indices": {}}})["selection"]["indices"]
        if not any(chosen.values()):
            return {r["code"]: r["fill"] for r in data}
        picked = chosen.get("regions", [])
        return {r["code"]: [*r["fill"][:3], max(r["fill"][3], 255) if i in picked else min(r["fill"][3], 102)]
                for i, r in enumerate(data)}


def _map_at(params: dict) -> Browser:
    at = signed_in("leader", params={**MARCH_PARAMS, **params}).run()
    at.switch_page("app_pages/map.py").run()
    return Browser(at)


def _legend_text(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def _same_map(drilled: Browser, linked: Browser) -> None:
    """One deck (same element, so the same chart state in the browser), the same polygons,
    values and colours, the same fills as drawn, the same legend."""
    assert drilled.decks() == linked.decks()
    assert drilled.drawn_fills() == linked.drawn_fills()
    assert _legend_text(drilled.at) == _legend_text(linked.at)


def test_one_click_draws_the_district_as_its_deep_link_does(map_app):
    drilled = _map_at({}).click(fx.DIST_A)
    linked = _map_at({"district": "甲区"})
    _same_map(drilled, linked)
    assert set(drilled.drawn_fills()) == {fx.TOWN_A1, fx.TOWN_A2}
    assert all(f[3] == 215 for f in drilled.drawn_fills().values())  # the class colours' own alpha, none faded


def test_two_clicks_draw_the_township_as_its_deep_link_does(map_app):
    drilled = _map_at({}).click(fx.DIST_A).click(fx.TOWN_A1)
    linked = _map_at({"district": "甲区", "township": "甲一镇"})
    _same_map(drilled, linked)
    assert set(drilled.drawn_fills()) == {fx.V_A1a, fx.V_A1b}
    assert (drilled.at.session_state["district"], drilled.at.session_state["township"]) == (fx.DIST_A, fx.TOWN_A1)


def test_after_a_click_another_widget_does_not_drill_again(map_app):
    """The clicked district's index, kept by the browser, must not pick a township on the next rerun."""
    drilled = _map_at({}).click(fx.DIST_A)
    drilled.at.toggle(key="map_per10k").set_value(True)
    drilled.run()
    assert (drilled.at.session_state["district"], drilled.at.session_state["township"]) == (fx.DIST_A, None)
    assert set(drilled.drawn_fills()) == {fx.TOWN_A1, fx.TOWN_A2}


def test_a_click_on_a_village_opens_its_records(map_app):
    b = _map_at({}).click(fx.DIST_A).click(fx.TOWN_A1).click(fx.V_A1b)
    at = b.at
    assert at.session_state["village"] == fx.V_A1b and not b.decks()
    assert "已到村（社区）级，查看本村（社区）的明细：" in [c.value for c in at.caption]
    assert [t.label for t in at.tabs] == ["案件（0）", "信访举报（1）", "整改事项（1）"]  # c4 is 2023; q2; r4
    complaints, items = (df.value for df in at.dataframe)
    assert complaints["complaint_id"].to_list() == ["q2"] and items["item_id"].to_list() == ["r4"]
    assert _record_links(at) == [
        ("cases", "在案件明细中查看全部"), ("complaints", "在信访举报明细中查看全部"),
        ("rectifications", "在整改事项明细中查看全部")]
    assert "当前区域没有下级区域。" not in [i.value for i in at.info]


def test_the_chart_key_belongs_to_the_viewed_region():
    keys = [components_map.chart_key("map", c) for c in (fx.CITY, fx.DIST_A, fx.TOWN_A1)]
    assert len(set(keys)) == 3 and keys[1] == "map_chart_" + fx.DIST_A


def test_a_villages_records_open_on_the_first_ledger_that_has_any(map_app):
    at = _map_at({"district": "甲区", "township": "甲一镇", "village": "西村"}).at  # no case in March; q2; r4
    tabs = next(b for b in at.main if getattr(b, "type", None) == "tab_container")
    assert at.tabs[1].proto.label == "信访举报（1）" and tabs.proto.tab_container.default_tab_index == 1


def _level_deck(t, region):
    """The deck of one level, as the map panel builds it from the query layer's table."""
    f = Filters(*fx.MARCH, region=region)
    table = geo.choropleth_table(t, f, Scope(), fx.AS_OF, "complaints_received", per10k=False)
    child = {None: "district", fx.DIST_A: "township", fx.TOWN_A1: "village"}[region]
    polys = geo.polygons_for_deck(geo.level_features(FX_GEOJSON, table["key"].to_list(), child))
    breaks = geo.class_breaks(table["value"].to_list())
    rows = maps.choropleth_rows(polys, table, breaks, str, str)
    return breaks, json.loads(maps.build_deck(rows, labels=None, key_watch=[], points=None, density=None,
                                              tooltip_html="{name}", style="s").to_json())


def test_a_level_built_after_the_levels_above_equals_the_level_built_alone():
    """Drilled (city, then district, then township) or deep-linked (the township alone): the
    builders carry nothing from one level to the next — same polygons, fills and legend breaks."""
    t = fx.tables()
    drilled = [_level_deck(t, r) for r in (None, fx.DIST_A, fx.TOWN_A1)][-1]
    linked = _level_deck(fx.tables(), fx.TOWN_A1)
    assert drilled == linked
    breaks, spec = linked
    regions = next(l for l in spec["layers"] if l["id"] == "regions")["data"]
    # 东村 q1, 西村 q2 (q5 is February): one class from 1 to 1, its colour at the class alpha.
    assert breaks == [1.0, 1.0] and {r["code"]: r["value"] for r in regions} == {fx.V_A1a: 1, fx.V_A1b: 1}
    assert {tuple(r["fill"]) for r in regions} == {(*geo.palette_for(1)[0], 215)}


def test_the_next_village_opens_on_its_own_first_ledger_with_records(map_app):
    """A tab row of its own (not the last village's, whose chosen tab the browser would keep)."""
    at = _map_at({"district": "甲区", "township": "甲一镇", "village": "西村"}).at  # opens on 信访举报
    first = next(b for b in at.main if getattr(b, "type", None) == "tab_container").proto.id
    at.selectbox(key="village").set_value(fx.V_A1a).run()  # 东村 has case c1
    tabs = next(b for b in at.main if getattr(b, "type", None) == "tab_container")
    assert at.tabs[0].proto.label == "案件（1）" and tabs.proto.tab_container.default_tab_index == 0
    assert tabs.proto.id != first
