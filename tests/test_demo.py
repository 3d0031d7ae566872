"""The demo city: reproducible, a tree that tiles the city, realistic volumes, planted findings,
open items of believable ages and complaints arriving by the channels of the data model."""
from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
import shapely
from polars.testing import assert_frame_equal
from shapely.geometry import shape

from dashboard import demo
from queries import metrics, store
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.schema import LEAD_CHANNELS, TABLE_NAMES, primary_key
from queries.warnings_config import WarningConfig

END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def data():
    return demo.generate(scale=0.2, seed=3, end=END)


def test_same_seed_and_end_give_the_same_data(data):
    again = demo.generate(scale=0.2, seed=3, end=END)
    for name in TABLE_NAMES:
        assert_frame_equal(getattr(again.tables, name), getattr(data.tables, name))
    assert again.boundaries == data.boundaries and again.planted == data.planted


def test_another_seed_gives_other_data(data):
    other = demo.generate(scale=0.05, seed=4, end=END)
    assert other.tables.regions["name"].to_list() != data.tables.regions["name"].to_list()


def test_region_tree_has_the_expected_levels(data):
    counts = dict(data.tables.regions.group_by("level").len().iter_rows())
    assert counts["city"] == 1 and 6 <= counts["district"] <= 10
    assert 60 <= counts["township"] <= 100 and 800 <= counts["village"] <= 1200


def test_every_child_code_extends_its_parent_prefix(data):
    r = data.tables.regions.filter(pl.col("parent_code").is_not_null())
    n = {"district": 4, "township": 6, "village": 9}
    for code, parent, level in r.select("code", "parent_code", "level").iter_rows():
        assert len(code) == 12 and code[: n[level]] == parent[: n[level]]


def test_parent_population_is_the_sum_of_its_children(data):
    r = data.tables.regions
    sums = r.group_by("parent_code").agg(pl.col("population").sum().alias("kids"))
    joined = r.join(sums, left_on="code", right_on="parent_code")
    assert (joined["population"] == joined["kids"]).all()


def test_names_are_unique_and_chinese(data):
    names = data.tables.regions["name"]
    assert names.n_unique() == names.len()
    assert names.str.contains(r"(市|区|县|镇|乡|街道|村|社区)$").all()


@pytest.mark.parametrize("level", ["district", "township", "village"])
def test_each_level_tiles_the_city_without_gaps_or_overlaps(data, level):
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in data.boundaries["features"]}
    city = geoms[demo.demo_geo.CITY_CODE]
    codes = data.tables.regions.filter(pl.col("level") == level)["code"].to_list()
    polys = [geoms[c] for c in codes]
    assert all(p.is_valid for p in polys)
    union = shapely.union_all(polys)
    assert abs(sum(p.area for p in polys) - union.area) / city.area < 1e-6  # no overlaps
    assert union.symmetric_difference(city).area / city.area < 1e-6  # no gaps


def test_label_points_lie_inside_their_polygons(data):
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in data.boundaries["features"]}
    for code, lon, lat in data.tables.regions.select("code", "lon", "lat").iter_rows():
        assert geoms[code].buffer(1e-6).contains(shapely.Point(lon, lat))


def test_records_point_at_existing_regions_within_the_three_years(data):
    codes = set(data.tables.regions["code"])
    start = END.replace(year=END.year - 3) + timedelta(days=1)
    for table, col in (("cases", "filed_on"), ("complaints", "received_on"), ("rectifications", "started_on")):
        df = getattr(data.tables, table)
        assert set(df["region_code"]) <= codes
        assert df[col].min() >= start and df[col].max() <= END


@pytest.mark.parametrize(("table", "per_year"), [("cases", 1500), ("complaints", 20000),
                                                 ("rectifications", 3000)])
def test_yearly_volumes_are_realistic(data, table, per_year):
    n = getattr(data.tables, table).height
    assert 0.7 * per_year * 3 * 0.2 <= n <= 1.3 * per_year * 3 * 0.2


def test_ids_are_unique(data):
    for name in TABLE_NAMES:
        df = getattr(data.tables, name)
        assert df.select(primary_key(name)).is_duplicated().sum() == 0


def test_progress_reports_never_go_backwards(data):
    u = data.tables.progress_updates.sort("item_id", "reported_on")
    assert u.select((pl.col("progress_pct").diff().over("item_id").fill_null(0) >= 0).all()).item()


def test_planted_slow_township_has_the_most_overdue_items(data):
    r = data.tables.rectifications.filter(pl.col("completed_on").is_null() & (pl.col("due_on") < END))
    by_township = r.group_by(pl.col("region_code").str.slice(0, 9).alias("t")).len().sort("len", descending=True)
    assert by_township["t"][0] == data.planted.slow_township[:9]
    assert by_township["len"][0] >= 2 * by_township["len"][1]


def test_planted_village_has_a_burst_of_repeat_complaints(data):
    c = data.tables.complaints.filter(pl.col("is_repeat") & (pl.col("received_on") > END - timedelta(days=90)))
    by_village = c.group_by("region_code").len().sort("len", descending=True)
    assert by_village["region_code"][0] == data.planted.repeat_village and by_village["len"][0] >= 6


def test_planted_field_jumps_in_one_quarter(data):
    q = (data.tables.cases.filter(pl.col("field") == data.planted.jump_field)
         .group_by(pl.col("filed_on").dt.truncate("3mo").alias("q")).len())
    jump = q.filter(pl.col("q") == data.planted.jump_quarter_start)["len"].item()
    others = q.filter((pl.col("q") != data.planted.jump_quarter_start)
                      & (pl.col("q") > END.replace(year=END.year - 3) + timedelta(days=92)))["len"]
    assert jump >= 2.5 * others.median()


def test_demo_written_to_sqlite_loads_back_identically(tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    data, passwords = demo.write_demo(url, scale=0.05, seed=3, end=END)
    loaded = store.load_tables(url)
    for name in TABLE_NAMES:
        key = primary_key(name)
        assert_frame_equal(getattr(loaded, name).sort(key), getattr(data.tables, name).sort(key))
    assert set(passwords) == {"leader", "staff", "district_staff", "township_staff", "sysadmin", "auditor"}
    assert store.get_meta(url, "dataset") == "demo"


def test_replacing_the_store_reports_every_row_written_in_chunks(tmp_path, data):
    told: list[int] = []
    store.replace_all(f"sqlite:///{tmp_path}/p.db", data.tables, progress=told.append)
    assert sum(told) == sum(getattr(data.tables, t).height for t in TABLE_NAMES)
    assert max(told) <= 50_000 and len(told) >= len(TABLE_NAMES)


def test_every_summary_figure_of_a_demo_year_is_non_zero(data):
    got = metrics.summary(data.tables, Filters(date(2024, 1, 1), date(2024, 12, 31)), Scope(), END)
    assert all(v for v in got.values()), got


# --- a believable year: what is open is mostly recent ------------------------------------------

OPENED = {"complaints": ("received_on", "closed_on"), "cases": ("filed_on", "closed_on"),
          "rectifications": ("started_on", "completed_on")}


def _open_ages(data, table: str, as_of: date) -> pl.Series:
    start, stop = OPENED[table]
    df = getattr(data.tables, table)
    open_ = df.filter((pl.col(start) <= as_of) & (pl.col(stop).is_null() | (pl.col(stop) > as_of)))
    return open_.select((pl.lit(as_of) - pl.col(start)).dt.total_days().alias("age"))["age"]


@pytest.mark.parametrize("as_of", [END, END - timedelta(days=365)])
@pytest.mark.parametrize("table", list(OPENED))
def test_open_items_are_weeks_to_months_old(data, table, as_of):
    ages = _open_ages(data, table, as_of)
    assert ages.len() > 50 and ages.median() <= 90


@pytest.mark.parametrize(("table", "bound"), [("complaints", 0.02), ("cases", 0.04), ("rectifications", 0.04)])
def test_few_open_items_are_older_than_a_year(data, table, bound):
    ages = _open_ages(data, table, END)
    assert (ages > 365).mean() < bound


def test_complaints_received_more_than_a_year_ago_are_almost_all_closed(data):
    old = data.tables.complaints.filter(pl.col("received_on") < END - timedelta(days=365))
    still_open = old.filter(pl.col("closed_on").is_null() | (pl.col("closed_on") > END)).height
    assert old.height > 5000 and still_open / old.height < 0.001


def test_cases_closed_more_than_a_year_ago_mostly_had_their_revisit(data):
    old = data.tables.cases.filter(pl.col("closed_on") < END - timedelta(days=365))
    assert old.height > 300 and old["revisit_on"].null_count() / old.height < 0.05


@pytest.fixture(scope="module")
def warnings_at_end(data):
    return W.evaluate(data.tables, Filters(END, END), Scope(), END, WarningConfig())


def test_overdue_complaints_are_overdue_by_weeks_not_years(warnings_at_end):
    c1 = warnings_at_end.filter(pl.col("rule") == "C1")
    assert c1.height > 0 and c1["days"].median() <= 90 and (c1["days"] > 365).mean() < 0.1


def test_warnings_mix_rules_and_no_rule_dominates(warnings_at_end):
    share = warnings_at_end.group_by("rule").len().with_columns(pl.col("len") / warnings_at_end.height)
    assert set(share["rule"]) >= {"C1", "C2", "K1", "K2", "R1", "R2", "R3"}
    assert share["len"].max() < 0.4


def test_the_most_severe_warnings_are_complaints_and_rectifications_both(warnings_at_end):
    top = warnings_at_end.head(10)
    assert set(top["rule"]) == {"C1", "R1"}


def test_every_open_rectification_item_names_its_unit_person_and_project(data):
    r = data.tables.rectifications.filter(pl.col("completed_on").is_null() | (pl.col("completed_on") > END))
    for col in ("responsible_unit", "responsible_person", "project"):
        assert r.filter(pl.col(col).is_null() | (pl.col(col).cast(pl.String).str.strip_chars() == "")).height == 0, col


def test_overdue_rectification_warnings_carry_unit_person_and_project(warnings_at_end):
    r1 = warnings_at_end.filter(pl.col("rule") == "R1")
    assert r1.height > 0 and r1.select(pl.col("unit", "person", "project").null_count()).row(0) == (0, 0, 0)


# --- channels --------------------------------------------------------------------------------

def test_complaint_channels_are_words_of_the_data_model_all_used(data):
    assert set(data.tables.complaints["channel"].cast(pl.String)) == {*demo.CHANNELS, *LEAD_CHANNELS}


def test_online_reports_lead_and_handed_over_leads_are_about_one_in_five(data):
    share = data.tables.complaints["channel"].cast(pl.String).value_counts(normalize=True, sort=True)
    assert share["channel"][0] == "网络"
    handed_over = share.filter(pl.col("channel").is_in(LEAD_CHANNELS))["proportion"].sum()
    assert 0.15 <= handed_over <= 0.25


def test_a_progress_report_reads_its_stage_or_the_one_before(data):
    u = data.tables.progress_updates.filter(pl.col("progress_pct") < 100)
    stage_of = {note: i for i, note in enumerate(demo.NOTES)}
    stage = u["progress_pct"].map_elements(
        lambda p: max(i for i, start in enumerate(demo.NOTE_STAGE_FROM) if p >= start), return_dtype=pl.Int64)
    said = u["note"].replace_strict(stage_of, return_dtype=pl.Int64)
    lag = (stage - said).to_list()
    assert set(lag) <= {0, 1}
    assert 0.1 < sum(lag) / len(lag) < 0.3  # about one in five reads the stage before


def test_a_report_of_a_few_percent_never_says_the_work_is_mostly_done(data):
    low = data.tables.progress_updates.filter(pl.col("progress_pct") < 30)
    assert not low["note"].is_in(["已完成大部分整改", "整改进入收尾阶段"]).any()
