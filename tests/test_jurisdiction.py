"""Jurisdiction on import: a township account writes only inside its township, row by row, and
may not overwrite, move out or report progress on another region's records, nor change the
region ledger or the boundaries; a city-wide account may do all of it."""
from __future__ import annotations

import polars as pl
import pytest

from queries import audit, ingest, jurisdiction, store
from queries.filters import Scope
from tests import fixtures as fx
from tests.apptest import signed_in

TOWN = Scope(fx.TOWN_A1)  # 甲一镇: villages V_A1a and V_A1b
OUTSIDE = "区划不在本账号的管辖范围内，不能导入"
TAKEN = "该编号已有记录属于管辖范围以外的区划，不能覆盖"


def checked(files: dict[str, str], scope: Scope) -> list[tuple]:
    t = fx.tables()
    result = ingest.ingest([(n, text.encode()) for n, text in files.items()], t.regions, today=fx.AS_OF)
    assert result.ok, [p.line() for p in result.problems]
    return [(p.sheet, p.row, p.column, p.value, p.message) for p in jurisdiction.check(result, t.as_dict(), scope)]


def test_rows_of_another_township_and_district_are_refused_and_its_own_accepted():
    got = checked({"案件.csv": f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},2024-03-01\nN2,{fx.V_A2a},2024-03-02\n"
                               f"N3,{fx.DIST_B},2024-03-03\nN4,{fx.V_A1b},2024-03-04\n"}, TOWN)
    assert got == [("案件.csv", 3, "区划代码", fx.V_A2a, OUTSIDE), ("案件.csv", 4, "区划代码", fx.DIST_B, OUTSIDE)]


def test_overwriting_another_regions_case_by_id_is_refused():
    # c2 lies in 甲二街道; the file would pull it into 甲一镇's village (and blank nothing else).
    got = checked({"案件.csv": f"案件编号,区划代码,立案日期\nc2,{fx.V_A1a},2024-03-01\n"}, TOWN)
    assert got == [("案件.csv", 2, "案件编号", "c2", TAKEN)]


def test_moving_an_own_record_out_of_the_township_is_refused():
    got = checked({"整改台账.csv": f"整改编号,区划代码,开始日期\nr1,{fx.V_A2a},2024-03-01\n"}, TOWN)
    assert got == [("整改台账.csv", 2, "区划代码", fx.V_A2a, OUTSIDE)]


def test_a_progress_report_is_checked_through_its_item():
    # r1 is 甲一镇's, r2 甲二街道's, z9 exists nowhere, n1 is added by the same upload in 甲一镇.
    got = checked({"整改台账.csv": f"整改编号,区划代码,开始日期\nn1,{fx.V_A1b},2024-03-01\n",
                   "进度月报.csv": "整改编号,报告日期,进度\nr1,2024-03-01,50\nr2,2024-03-01,60\nz9,2024-03-01,70\n"
                                  "n1,2024-03-02,10\n"}, TOWN)
    assert got == [("进度月报.csv", 3, "整改编号", "r2", "所属整改事项不在本账号的管辖范围内，不能导入"),
                   ("进度月报.csv", 4, "整改编号", "z9", "整改编号不存在，无法确认所属区划，不能导入")]


def test_a_region_ledger_is_refused_to_a_township_account():
    got = checked({"区划.csv": f"区划代码,名称,层级,上级代码\n990101001003,新村,村,{fx.TOWN_A1}\n"}, TOWN)
    assert got == [("区划.csv", 2, "区划代码", "990101001003", jurisdiction.CITY_ONLY)]


def test_a_person_lies_where_its_case_does_when_its_region_is_blank():
    # c1 lies in 甲一镇, c2 in 甲二街道; P3 has no case and another township's region.
    got = checked({"涉案人员.csv": f"人员编号,案件编号,区划代码,处理日期,党纪处分\nP1,c1,,2024-03-05,警告\n"
                                 f"P2,c2,,2024-03-05,警告\nP3,,{fx.V_A2a},2024-03-05,\n"}, TOWN)
    outside = "区划（或所属案件的区划）不在本账号的管辖范围内，不能导入"
    assert [(r[1], r[4]) for r in got] == [(3, outside), (4, outside)]


def test_a_link_event_of_another_regions_case_is_refused():
    got = checked({"五个环节记录.csv": "记录编号,环节,日期,案件编号\nE1,反思剖析,2024-03-05,c1\n"
                                     "E2,回访,2024-03-05,c2\n"}, TOWN)
    assert [(r[1], r[2], r[4]) for r in got] == [
        (3, "区划代码", "区划（或所属案件的区划）不在本账号的管辖范围内，不能导入")]


@pytest.mark.parametrize("scope", [Scope(None), Scope(fx.CITY)])
def test_a_city_wide_account_may_write_anywhere(scope):
    got = checked({"案件.csv": f"案件编号,区划代码,立案日期\nc2,{fx.V_B1a},2024-03-01\n",
                   "区划.csv": f"区划代码,名称,层级,上级代码\n990101001003,新村,村,{fx.TOWN_A1}\n",
                   "进度月报.csv": "整改编号,报告日期,进度\nr3,2024-03-01,50\n"}, scope)
    assert got == []


# --- the 数据管理 page -----------------------------------------------------------------------

@pytest.fixture()
def app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/j.db"
    store.replace_all(url, fx.tables(), {"type": "FeatureCollection", "features": []}, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def _data_page(region: str | None):
    at = signed_in("staff", region=region).run()
    at.switch_page("app_pages/data_admin.py").run()
    return at


def test_page_refuses_a_township_upload_with_rows_elsewhere_and_writes_nothing(app):
    before = store.load_tables(app)
    at = _data_page(fx.TOWN_A1)
    text = f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},2024-03-01\nc3,{fx.V_A1a},2024-03-02\n"
    at.file_uploader(key="data_upload").upload("案件.csv", text.encode()).run()
    assert at.error and "未写入任何数据" in at.error[0].value
    assert at.dataframe[0].value.iloc[0].tolist() == ["案件.csv", 3, "案件编号", "c3", TAKEN]
    assert not [b for b in at.button if b.key == "data_confirm"]
    assert store.load_tables(app).cases.sort("case_id").equals(before.cases.sort("case_id"))
    assert audit.read(store.engine_for(app)).select("event", "outcome").rows() == [("import", "failure")]


def test_page_writes_a_township_upload_inside_its_township(app):
    at = _data_page(fx.TOWN_A1)
    text = f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},2024-03-01\nc1,{fx.V_A1b},2024-03-02\n"
    at.file_uploader(key="data_upload").upload("案件.csv", text.encode()).run()
    at.button(key="data_confirm").click().run()
    cases = store.load_tables(app).cases.filter(pl.col("case_id").is_in(["N1", "c1"])).sort("case_id")
    assert cases.select("case_id", "region_code").rows() == [("N1", fx.V_A1a), ("c1", fx.V_A1b)]


def test_page_offers_boundary_import_only_to_a_city_wide_account(app):
    town = _data_page(fx.TOWN_A1)
    assert "data_geo" not in [w.key for w in town.get("file_uploader")]
    assert any("全市范围" in c.value for c in town.caption)
    city = _data_page(None)
    assert "data_geo" in [w.key for w in city.get("file_uploader")]


def test_a_large_csv_is_checked_batch_by_batch_for_jurisdiction(tmp_path):
    p = tmp_path / "信访台账.csv"
    p.write_text(f"信访编号,区划代码,受理日期\nS1,{fx.V_A1a},2024-03-01\nS2,{fx.V_B1a},2024-03-02\n"
                 f"q3,{fx.V_A1b},2024-03-03\nS4,{fx.V_A1b},2024-03-04\n", encoding="utf-8")
    t = fx.tables()
    _, problems, _ = ingest.stream_csv(p, t.regions, batch_rows=2, today=fx.AS_OF,
                                       check_batch=jurisdiction.batch_checker(t.as_dict(), TOWN))
    assert [(x.row, x.value, x.message) for x in problems] == [(3, fx.V_B1a, OUTSIDE), (4, "q3", TAKEN)]
