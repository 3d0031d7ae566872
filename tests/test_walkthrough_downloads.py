"""The README path "部署到本地区 / Deploying on your own city", walked through the CLI in its
order — init → regions → boundaries → ledgers → status — on files shaped like what a commission
downloads (tests/city_fixtures.py): a region ledger writing 县级市 / 市辖区 / 镇 / 社区 / 村委会, a
DataV-style district file in GCJ-02 with 6-digit numeric `adcode` (islands, one feature per ring,
a hole with an enclave), and district boundaries only under a ledger with townships and villages.
It then checks what a leader would be shown: the polygons where the originals are, every label
point inside its polygon, and rankings whose parts (本级 included) add up to the total."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
import shapely
from shapely.geometry import Point, shape

from dashboard.cli import main
from queries import metrics, store
from queries.filters import Filters, Scope
from queries.metrics import KEY
from queries.regions import OWN_LEVEL
from tests.city_fixtures import make_city

YEAR = Filters(date(2024, 1, 1), date(2024, 12, 31))
AS_OF = date(2024, 12, 31)
WORDS = {"county_city": "县级市", "district": "市辖区", "town": "镇", "community": "社区", "village": "村委会"}


def run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def status(capsys, url: str) -> dict:
    return json.loads(run(capsys, "status", "--db", url, "--json"))


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """The store after the README's steps (run once: capsys is per test), and the truth."""
    tmp = tmp_path_factory.mktemp("city")
    city = make_city(tmp / "files", level_words=WORDS)
    url = f"sqlite:///{tmp}/city.db"
    steps = {}
    for name, argv in (("init", ["init", "--db", url, "--admin", "chief"]),
                       ("regions", ["import", str(city.regions_csv), "--db", url]),
                       ("boundaries", ["import-geo", str(city.datav_gcj02), "--crs", "gcj02", "--db", url]),
                       ("ledgers", ["import", str(city.cases_csv), str(city.complaints_csv), "--db", url])):
        steps[name] = main(argv)
    return url, city, steps


def test_every_step_of_the_readme_path_succeeds(walked):
    _, _, steps = walked
    assert steps == {"init": 0, "regions": 0, "boundaries": 0, "ledgers": 0}


def test_the_level_words_of_a_real_ledger_are_read(walked, capsys):
    url, city, _ = walked
    s = status(capsys, url)
    assert s["demo"] is False and s["accounts"] == 1
    assert s["regions_by_level"] == {"city": 1, "district": len(city.district_codes),
                                     "township": len(city.township_codes), "village": len(city.village_codes)}
    assert s["boundaries_by_level"] == {"city": 0, "district": len(city.district_codes), "township": 0,
                                        "village": 0}
    assert s["label_points_missing"] == 0  # computed from the polygons, children or parents


def test_stored_polygons_lie_within_metres_of_the_wgs84_originals(walked):
    url, city, _ = walked
    stored = {f["properties"]["code"]: shape(f["geometry"]) for f in store.load_boundaries(url)["features"]}
    assert set(stored) == set(city.district_codes)
    for code in city.district_codes:
        assert shapely.hausdorff_distance(stored[code], city.originals[code]) < 5e-5, code  # ≈ 5 m
    for code in city.multipart:
        assert len(getattr(stored[code], "geoms", [])) >= 2, code  # every part kept
    assert len(stored[city.holed].interiors if stored[city.holed].geom_type == "Polygon"
               else max(stored[city.holed].geoms, key=lambda g: g.area).interiors) == 1


def test_every_district_label_point_lies_inside_its_polygon(walked):
    url, city, _ = walked
    regions = store.load_tables(url).regions.filter(pl.col("code").is_in(city.district_codes))
    assert regions.height == len(city.district_codes)
    for code, lon, lat in regions.select("code", "lon", "lat").iter_rows():
        assert city.originals[code].contains(Point(lon, lat)), code


@pytest.mark.parametrize("metric", ["cases_filed", "complaints_received"])
def test_the_parts_of_every_ranking_add_up_to_its_total(walked, metric):
    url, city, _ = walked
    t = store.load_tables(url)
    total = metrics.compute(t, YEAR, Scope(), AS_OF, (metric,))[metric]
    assert total > 0
    city_rows = metrics.rollup(t, YEAR, Scope(), AS_OF, (metric,))
    assert city_rows[metric].sum() == total
    deep = city.deep_district
    in_deep = metrics.compute(t, Filters(YEAR.start, YEAR.end, region=deep), Scope(), AS_OF, (metric,))[metric]
    deep_rows = metrics.rollup(t, Filters(YEAR.start, YEAR.end, region=deep), Scope(), AS_OF, (metric,))
    assert deep_rows[metric].sum() == in_deep
    assert city_rows.filter(pl.col(KEY) == deep)[metric].item() == in_deep
    own = deep_rows.filter(pl.col(OWN_LEVEL))  # records coded to the district itself: its 本级 row
    assert own.height == 1 and own["name"].item().endswith("本级") and own[metric].item() > 0
