"""The overview's small map as a still SVG picture: the regions in their class colours, 提级监督
outlines, circles for regions without boundaries, and the regions' names.

Why a picture and not a chart: the overview is the page a leader opens first, and an
interactive map there cost more than it gave. A plotly map made the browser load and run
plotly's ~3.5 MB module for that page alone: with the ranking chart beside it, the opening by
link went from ~2.0 s to ~1.1 s and by the menu from ~1.5 s to ~0.5 s once both were gone
(`python -m benchmarks.pages`); deck.gl keeps a core busy redrawing at rest.
Exploring belongs to 地图, one link away; the overview drills down through its own buttons.

Built with ElementTree, so every name is an escaped text node by construction, and shown by
st.image as an <img> (an SVG image runs no script and loads nothing from anywhere). Pure: rows
in, markup out, tested without a browser.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
PAD_PX = 10
MIN_STEP_PX = 0.6  # a vertex closer than this to the last one kept adds nothing visible
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
REGION_LINE = "#ffffff"
OUTLINE_FILL, OUTLINE_LINE = "#f0f0f0", "#5a5a5a"
KEY_WATCH_LINE = "#1f4e79"
LABEL_COLOR = "#141414"


def _y(lat: float) -> float:
    """Web Mercator's northing (as the 地图 page's deck.gl map), so both maps have one shape."""
    lat = max(-85.0, min(85.0, lat))
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


class _Frame:
    """Longitude / latitude to pixels: the drawn things' bounds fitted into width × height."""

    def __init__(self, points: list[tuple[float, float]], width: int, height: int):
        xs = [p[0] for p in points]
        ys = [_y(p[1]) for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        self.k = min((width - 2 * PAD_PX) / span_x, (height - 2 * PAD_PX) / span_y)
        self.ox = (width - self.k * span_x) / 2 - self.k * x0
        self.oy = (height - self.k * span_y) / 2 + self.k * y1

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return self.ox + self.k * lon, self.oy - self.k * _y(lat)


def _ring_path(frame: _Frame, ring: list[list[float]]) -> str:
    kept: list[tuple[float, float]] = []
    for lon, lat, *_ in ring:
        x, y = frame.xy(lon, lat)
        if not kept or abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= MIN_STEP_PX:
            kept.append((x, y))
    if len(kept) < 3:
        return ""
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z"


def _path_d(frame: _Frame, parts: list[dict]) -> str:
    """All parts of a region, holes included, as one path (even-odd fill cuts the holes)."""
    return "".join(_ring_path(frame, ring) for p in parts for ring in p["polygon"])


def _colour(fill: list[int]) -> tuple[str, str]:
    r, g, b, a = fill
    return f"rgb({r},{g},{b})", f"{a / 255:.3f}"


def _grouped(items: list[dict]) -> dict[str, list[dict]]:
    """Rows (one per polygon part) by region code, in first-seen order."""
    groups: dict[str, list[dict]] = {}
    for it in items:
        groups.setdefault(it["code"], []).append(it)
    return groups


def _label(parent: ET.Element, x: float, y: float, text: str, size: int = 14) -> None:
    el = ET.SubElement(parent, "text", {
        "x": f"{x:.1f}", "y": f"{y:.1f}", "text-anchor": "middle", "dominant-baseline": "central",
        "font-size": str(size), "font-family": FONT, "fill": LABEL_COLOR,
        "stroke": "#ffffff", "stroke-width": "3", "paint-order": "stroke", "stroke-linejoin": "round"})
    el.text = text  # a text node: ElementTree escapes it


def compact_svg(rows: list[dict], *, labels: list[dict], key_watch: list[dict], width: int, height: int,
                circles: list[dict] | None = None, outline: list[dict] | None = None) -> str:
    """The map as SVG markup. `rows` are polygon parts (`code`, `polygon` rings of [lon, lat],
    `fill` RGBA) as maps.choropleth_rows gives; `labels` ({name, lon, lat}) are named at their
    points; `circles` (maps.circle_rows: lon, lat, radius in px, fill, name) stand for regions
    without a polygon, drawn inside the nearest ancestor's `outline`; `key_watch` parts are
    outlined. Everything is fitted into width × height."""
    circles = circles or []
    outline = outline or []
    points = [(lon, lat) for group in (outline, rows) for p in group for ring in p["polygon"]
              for lon, lat, *_ in ring]
    points += [(c["lon"], c["lat"]) for c in circles]
    svg = ET.Element("svg", {"xmlns": SVG_NS, "width": str(width), "height": str(height),
                             "viewBox": f"0 0 {width} {height}"})
    if not points:
        return ET.tostring(svg, encoding="unicode")
    frame = _Frame(points, width, height)
    for parts in _grouped(outline).values():
        ET.SubElement(svg, "path", {"d": _path_d(frame, parts), "fill": OUTLINE_FILL, "fill-opacity": "0.5",
                                    "fill-rule": "evenodd", "stroke": OUTLINE_LINE, "stroke-width": "2"})
    for code, parts in _grouped(rows).items():
        fill, opacity = _colour(parts[0]["fill"])
        ET.SubElement(svg, "path", {"d": _path_d(frame, parts), "fill": fill, "fill-opacity": opacity,
                                    "fill-rule": "evenodd", "stroke": REGION_LINE, "stroke-width": "1.2",
                                    "data-code": code})
    for parts in _grouped(key_watch).values():
        ET.SubElement(svg, "path", {"d": _path_d(frame, parts), "fill": "none", "stroke": KEY_WATCH_LINE,
                                    "stroke-width": "2.5"})
    for c in circles:
        x, y = frame.xy(c["lon"], c["lat"])
        fill, opacity = _colour(c["fill"])
        ET.SubElement(svg, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{c['radius']:.1f}", "fill": fill,
                                      "fill-opacity": opacity, "stroke": OUTLINE_LINE, "stroke-width": "1",
                                      "data-code": c["code"]})
        _label(svg, x, y + c["radius"] + 10, str(c["name"]), size=13)
    for lab in labels:
        if lab.get("lon") is not None and lab.get("lat") is not None:
            _label(svg, *frame.xy(lab["lon"], lab["lat"]), str(lab["name"]))
    return ET.tostring(svg, encoding="unicode")
