"""pydeck map builders: the choropleth with labels, 提级监督 outlines, record points and a
complaint density layer. Pure (frames and feature lists in, a Deck out), so tests read the
layers' data without a browser.

Offline first: the map style is a blank style served by the app itself (static/), because an
empty style makes Streamlit's pydeck element fetch a Carto basemap from the internet. A tile
server in config/map.toml adds a basemap through a generated style file.

The overview's small map is a still picture instead (dashboard/map_svg.py).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pydeck as pdk

from queries import geo

ROOT = Path(__file__).resolve().parents[1]
BLANK_STYLE = "/app/static/blank-style.json"
TILE_STYLE_FILE = ROOT / "static" / "basemap-style.json"


@dataclass(frozen=True)
class MapConfig:
    tile_url: str = ""
    crs: str = "wgs84"

    @property
    def shift(self) -> bool:
        return bool(self.tile_url) and self.crs == "gcj02"


def load_config(path: Path = ROOT / "config" / "map.toml") -> MapConfig:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    unknown = set(raw) - {"tile_url", "crs"}
    if unknown:
        raise ValueError(f"地图配置未知项：{', '.join(sorted(unknown))}")
    crs = raw.get("crs", "wgs84")
    if crs not in ("wgs84", "gcj02"):
        raise ValueError(f"地图配置 crs 应为 wgs84 或 gcj02，实际为 {crs!r}")
    return MapConfig(tile_url=str(raw.get("tile_url", "")), crs=crs)


def basemap_style(tile_url: str) -> dict:
    """A MapLibre style with one raster source: the deployment's own tile server."""
    return {"version": 8, "sources": {"base": {"type": "raster", "tiles": [tile_url], "tileSize": 256}},
            "layers": [{"id": "base", "type": "raster", "source": "base"}]}


def map_style(cfg: MapConfig) -> str:
    """Relative URL of the style to draw under the polygons (written once when tiles are set)."""
    if not cfg.tile_url:
        return BLANK_STYLE
    TILE_STYLE_FILE.write_text(json.dumps(basemap_style(cfg.tile_url)), encoding="utf-8")
    return "/app/static/basemap-style.json"


def _shift_xy(lon, lat, shift: bool) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return geo.wgs84_to_gcj02(lon, lat) if shift else (lon, lat)


def _shift_polygon(rings: list[list[list[float]]], shift: bool) -> list[list[list[float]]]:
    """Every ring of a polygon (holes too) moved onto a GCJ-02 basemap. The store holds WGS-84
    only (import-geo converts GCJ-02 and BD-09 files on the way in), so this is the one shift
    between the data and the tiles: a file imported as GCJ-02 comes back onto its own roads."""
    if not shift:
        return rings
    out = []
    for ring in rings:
        arr = np.asarray(ring, dtype=float)
        lon, lat = geo.wgs84_to_gcj02(arr[:, 0], arr[:, 1])
        out.append(np.c_[lon, lat].round(6).tolist())
    return out


def _shift_frame(df: pl.DataFrame | None, shift: bool) -> pl.DataFrame | None:
    """Labels, record points and density shifted like the polygons, so they stay inside them."""
    if df is None or not shift or df.is_empty():
        return df
    lon, lat = _shift_xy(df["lon"].to_numpy(), df["lat"].to_numpy(), True)
    return df.with_columns(pl.Series("lon", lon), pl.Series("lat", lat))


def view_for(rows: list[dict], points: list[dict] | None = None) -> pdk.ViewState:
    """Fit the polygons (and circles): centre of their bounds, zoom from the larger span."""
    pts = [p for r in rows for ring in r["polygon"] for p in ring]
    pts += [[c["lon"], c["lat"]] for c in points or []]
    arr = np.asarray(pts) if pts else np.asarray([[104.05, 30.62]])
    (x0, y0), (x1, y1) = arr.min(axis=0), arr.max(axis=0)
    span = max(x1 - x0, (y1 - y0) * 1.3, 0.005)
    zoom = float(np.clip(np.log2(360 / span) + 0.3, 3, 15))
    return pdk.ViewState(longitude=float((x0 + x1) / 2), latitude=float((y0 + y1) / 2), zoom=zoom,
                         pitch=0, bearing=0)


NO_VALUE_FILL = [220, 220, 220, 160]


def _region_info(r: dict, breaks: list[float], colors, fmt_value, fmt_change) -> dict:
    cls = geo.classify(r.get("value"), breaks)
    fill = [*colors[cls], 215] if cls is not None else NO_VALUE_FILL
    return {"name": r.get("name"), "value": r.get("value"), "value_text": fmt_value(r.get("value")),
            "rank": r.get("rank"), "yoy_text": fmt_change(r.get("yoy_change")),
            "warnings": r.get("warnings", 0), "fill": fill}


def choropleth_rows(polys: list[dict], table: pl.DataFrame, breaks: list[float],
                    fmt_value, fmt_change) -> list[dict]:
    """Polygon rows joined with their values, fill colours and tooltip texts."""
    colors = geo.palette_for(len(breaks) - 1)
    info = {r["key"]: r for r in table.iter_rows(named=True)}
    out = []
    for p in polys:
        r = info.get(p["code"], {})
        row = _region_info(r, breaks, colors, fmt_value, fmt_change)
        out.append({"code": p["code"], "polygon": p["polygon"], **row, "name": r.get("name", p["code"])})
    return out


# Circle radii in screen pixels: area proportional to the value, so the eye compares amounts.
CIRCLE_MIN_PX, CIRCLE_MAX_PX = 5.0, 26.0


def circle_rows(table: pl.DataFrame, breaks: list[float], fmt_value, fmt_change) -> list[dict]:
    """Regions without a polygon as circles at their label points (regions.lon / lat): the same
    class colour and tooltip as a polygon, the radius from the value (area ∝ value). Regions
    without a point cannot be placed and are left out."""
    colors = geo.palette_for(len(breaks) - 1)
    placed = table.filter(pl.col("lon").is_not_null() & pl.col("lat").is_not_null())
    values = [v for v in placed["value"].to_list() if v is not None and v == v]
    top = max([abs(v) for v in values], default=0.0)
    out = []
    for r in placed.iter_rows(named=True):
        v = r["value"]
        share = (abs(v) / top) ** 0.5 if top and v is not None and v == v else 0.0
        out.append({"code": r["key"], "lon": r["lon"], "lat": r["lat"],
                    "radius": round(CIRCLE_MIN_PX + (CIRCLE_MAX_PX - CIRCLE_MIN_PX) * share, 1),
                    **_region_info(r, breaks, colors, fmt_value, fmt_change)})
    return out


def _offset_labels(labels: pl.DataFrame, circles: list[dict]) -> list[dict]:
    """Label rows with a pixel offset: below its circle for a region drawn as one (so the name
    does not cover the dot), none for a polygon."""
    radius = {c["code"]: c["radius"] for c in circles}
    rows = labels.to_dicts()
    return [{**r, "offset": [0, radius[r["key"]] + 10] if r.get("key") in radius else [0, 0]} for r in rows]


def build_deck(rows: list[dict], *, labels: pl.DataFrame | None, key_watch: list[dict],
               points: pl.DataFrame | None, density: pl.DataFrame | None, tooltip_html: str,
               style: str, shift: bool = False, circles: list[dict] | None = None,
               outline: list[dict] | None = None) -> pdk.Deck:
    """The map: regions (pickable, for drill-down), then outlines, labels and optional layers.

    `circles` are regions without polygons (pickable like polygons, layer "circles"), drawn
    inside `outline`, the nearest ancestor's polygon. With `shift` (a GCJ-02 basemap) every
    layer is moved by the same offset."""
    rows = [{**r, "polygon": _shift_polygon(r["polygon"], shift)} for r in rows]
    circles = [dict(zip(("lon", "lat"), map(float, _shift_xy(c["lon"], c["lat"], shift))), **{
        k: v for k, v in c.items() if k not in ("lon", "lat")}) for c in circles or []]
    labels, points, density = (_shift_frame(df, shift) for df in (labels, points, density))
    layers = []
    if outline:
        layers.append(pdk.Layer("PolygonLayer", data=[{**o, "polygon": _shift_polygon(o["polygon"], shift)}
                                                      for o in outline], id="outline", get_polygon="polygon",
                                filled=True, get_fill_color=[240, 240, 240, 120], stroked=True,
                                get_line_color=[90, 90, 90, 255], line_width_min_pixels=2, pickable=False))
    layers.append(pdk.Layer(
        "PolygonLayer", data=rows, id="regions", get_polygon="polygon", get_fill_color="fill",
        get_line_color=[255, 255, 255, 255], line_width_min_pixels=1.2, pickable=True,
        auto_highlight=True, highlight_color=[31, 78, 121, 90]))
    if key_watch:
        kw = [{**k, "polygon": _shift_polygon(k["polygon"], shift)} for k in key_watch]
        layers.append(pdk.Layer("PolygonLayer", data=kw, id="key_watch", get_polygon="polygon",
                                filled=False, stroked=True, get_line_color=[31, 78, 121, 255],
                                line_width_min_pixels=3, pickable=False))
    if circles:
        layers.append(pdk.Layer("ScatterplotLayer", data=circles, id="circles", get_position=["lon", "lat"],
                                get_fill_color="fill", get_radius="radius", radius_units='"pixels"',  # quoted: see the labels
                                stroked=True, get_line_color=[90, 90, 90, 255], line_width_min_pixels=1,
                                pickable=True, auto_highlight=True, highlight_color=[31, 78, 121, 120]))
    if density is not None and density.height:
        layers.append(pdk.Layer("HexagonLayer", data=density.to_dicts(), id="density",
                                get_position=["lon", "lat"], radius=600, elevation_scale=0,
                                extruded=False, opacity=0.55, coverage=0.9, pickable=False,
                                color_range=[[255, 255, 204], [199, 233, 180], [127, 205, 187],
                                             [65, 182, 196], [44, 127, 184], [37, 52, 148]]))
    if points is not None and points.height:
        layers.append(pdk.Layer("ScatterplotLayer", data=points.to_dicts(), id="points",
                                get_position=["lon", "lat"], get_fill_color="color", get_radius=120,
                                radius_min_pixels=2, radius_max_pixels=6, pickable=False))
    if labels is not None and labels.height:
        layers.append(pdk.Layer("TextLayer", data=_offset_labels(labels, circles), id="labels",
                                get_position=["lon", "lat"], get_text="name", get_size=15,
                                get_pixel_offset="offset",
                                get_color=[20, 20, 20, 255],
                                # pydeck turns bare strings and string lists into JS expressions;
                                # a quoted string stays a string.
                                character_set='"' + "".join(sorted(set("".join(labels["name"].to_list())))) + '"',
                                font_family='"Noto Sans CJK SC, Microsoft YaHei, sans-serif"',
                                outline_width=3, outline_color=[255, 255, 255, 230],
                                font_settings={"sdf": True}, pickable=False))
    return pdk.Deck(layers=layers, initial_view_state=view_for(rows or (outline or []), circles),
                    map_style=style, map_provider=None,
                    tooltip={"html": tooltip_html, "style": {"fontSize": "15px", "backgroundColor": "#1f2a36"}})


def record_points(regions: pl.DataFrame, records: pl.DataFrame, color: list[int], seed: int = 0) -> pl.DataFrame:
    """Individual records placed at their region's label point with a small, stable jitter
    (ledgers carry a region code, not an address: the point shows where, not exactly where)."""
    if records.is_empty():
        return pl.DataFrame(schema={"lon": pl.Float64, "lat": pl.Float64, "color": pl.List(pl.Int64)})
    joined = records.select("region_code").join(
        regions.select(pl.col("code").alias("region_code"), "lon", "lat"), on="region_code", how="inner")
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(-0.004, 0.004, size=(joined.height, 2))
    return pl.DataFrame({"lon": joined["lon"].to_numpy() + jitter[:, 0],
                         "lat": joined["lat"].to_numpy() + jitter[:, 1],
                         "color": [color] * joined.height})
