"""Maps: class breaks, coverage simplification, polygon values against the query layer, offline
style, GCJ-02 shift, drill-down state, and import-geo's refusals."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
import shapely
from shapely.geometry import box, mapping, shape

from dashboard import components_map, maps
from dashboard.cli import main
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


# --- the overview's compact map (plotly SVG) -------------------------------------------------

CCW = [[104.0, 30.0], [105.0, 30.0], [105.0, 31.0], [104.0, 31.0], [104.0, 30.0]]  # counter-clockwise


def _row(code, ring, fill, name="甲区", rank=1):
    return {"code": code, "polygon": [ring], "name": name, "value": 3, "value_text": "3 件", "rank": rank,
            "yoy_text": "+50.0%", "warnings": 2, "fill": fill}


def test_compact_map_gives_each_region_its_own_class_colour():
    rows = [_row(fx.DIST_A, CCW, [10, 20, 30, 255]), _row(fx.DIST_B, CCW, [200, 100, 0, 51], "乙区", 2)]
    trace = maps.compact_figure(rows, labels=None, key_watch=[], tooltip_html="{name}", height=300).data[0]
    assert list(trace.locations) == [fx.DIST_A, fx.DIST_B] and list(trace.z) == [0.0, 1.0]
    assert [tuple(s) for s in trace.colorscale] == [(0.0, "rgba(10,20,30,1.000)"), (1.0, "rgba(200,100,0,0.200)")]
    assert [list(c) for c in trace.customdata] == [["甲区", "3 件", 1, "+50.0%", 2, fx.DIST_A],
                                                   ["乙区", "3 件", 2, "+50.0%", 2, fx.DIST_B]]


def test_compact_map_shows_the_deck_maps_tooltip():
    tip = "<b>{name}</b><br/>信访件数：{value_text}<br/>排名：{rank} / 2<br/>同比：{yoy_text}<br/>预警：{warnings}"
    assert maps.hovertemplate(tip) == ("<b>%{customdata[0]}</b><br>信访件数：%{customdata[1]}<br>排名：%{customdata[2]} / 2"
                                       "<br>同比：%{customdata[3]}<br>预警：%{customdata[4]}<extra></extra>")


def test_compact_map_shows_a_dash_for_a_region_without_rank():
    trace = maps.compact_figure([_row(fx.DIST_A, CCW, [1, 2, 3, 255], rank=None)], labels=None, key_watch=[],
                                tooltip_html="", height=300).data[0]
    assert list(trace.customdata[0]) == ["甲区", "3 件", "—", "+50.0%", 2, fx.DIST_A]


def test_compact_map_with_one_region_still_has_a_two_stop_scale():
    trace = maps.compact_figure([_row(fx.DIST_A, CCW, [1, 2, 3, 255])], labels=None, key_watch=[],
                                tooltip_html="", height=300).data[0]
    assert [tuple(s) for s in trace.colorscale] == [(0.0, "rgba(1,2,3,1.000)"), (1.0, "rgba(1,2,3,1.000)")]


def test_compact_map_turns_rings_clockwise_for_plotly_geo():
    cw = CCW[::-1]
    fig = maps.compact_figure([_row(fx.DIST_A, CCW, [1, 2, 3, 255]), _row(fx.DIST_B, cw, [1, 2, 3, 255])],
                              labels=None, key_watch=[], tooltip_html="", height=300)
    rings = [f["geometry"]["coordinates"][0][0] for f in fig.data[0].geojson["features"]]
    assert rings == [cw, cw]


def test_compact_map_outlines_key_watch_villages_and_names_regions():
    labels = pl.DataFrame({"name": ["甲区"], "lon": [104.5], "lat": [30.5]})
    fig = maps.compact_figure([_row(fx.DIST_A, CCW, [1, 2, 3, 255])], labels=labels,
                              key_watch=[{"code": fx.V_B1a, "polygon": [CCW]}], tooltip_html="", height=300)
    regions, watch, names = fig.data
    assert list(watch.locations) == [fx.V_B1a] and watch.marker.line.width == 3 and watch.hoverinfo == "skip"
    assert list(names.text) == ["甲区"] and names.mode == "text"


def test_clicking_a_region_on_the_compact_map_selects_it(state):
    state["overview_chart"] = {"selection": {"points": [{"location": fx.TOWN_A1, "point_index": 0}]}}
    components_map._on_select_compact("overview_chart")
    assert (state["district"], state["township"], state["village"]) == (fx.DIST_A, fx.TOWN_A1, None)


def test_a_click_beside_the_regions_changes_nothing(state):
    state.update(district=fx.DIST_B, township=None, village=None)
    state["overview_chart"] = {"selection": {"points": []}}
    components_map._on_select_compact("overview_chart")
    assert (state["district"], state["township"], state["village"]) == (fx.DIST_B, None, None)


def test_overview_draws_the_districts_on_the_compact_map_without_a_webgl_map(map_app):
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-03-01", "2024-03-31"],
                                     "as_of": "2024-03-31"}).run()
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "overview_chart" in c.proto.id)
    regions = spec["data"][0]
    assert dict(zip(regions["locations"], (row[1] for row in regions["customdata"]))) == {
        fx.DIST_A: "3 件", fx.DIST_B: "1 件"}
    assert not at.get("deck_gl_json_chart")
