"""Importing the 涉案人员 and 五个环节记录 sheets, the new 案件 and 信访举报 columns (docs/ledgers.md)."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from queries import ingest
from tests import fixtures as fx
from tests.test_ingest import xlsx

TODAY = date(2026, 12, 3)  # the day the import runs: dates after it are refused

D = date
PERSON_HEAD = ["人员编号", "案件编号", "区划代码", "处分日期", "党纪处分", "政务处分", "组织处理",
               "批评教育帮助方式", "移送检察机关", "是否通报", "一案双查问责", "四种形态"]


def _persons(*rows: list) -> ingest.Ingested:
    data = xlsx([PERSON_HEAD, *rows], title="涉案人员台账", sheet="涉案人员", merge=None)
    return ingest.ingest([("ledger.xlsx", data)], fx.tables().regions, today=TODAY)


def _messages(result: ingest.Ingested) -> list[tuple[int | None, str, str]]:
    return [(p.row, p.column, p.message) for p in result.problems]


def test_persons_sheet_reads_measures_flags_and_dates():
    result = _persons(["P1", "c1", None, "2024/3/20", "警告", "无", None, None, "否", "是", "否", "第二种形态"],
                      ["P2", None, "990101001002", "2024年3月5日", None, None, None, "谈话提醒", None, None, None, 1])
    assert result.ok, [p.line() for p in result.problems]
    got = result.frames["persons"].sort("person_id")
    assert got.select("person_id", "case_id", "region_code", "decided_on").rows() == [
        ("P1", "c1", None, D(2024, 3, 20)), ("P2", None, fx.V_A1b, D(2024, 3, 5))]
    assert got["party_sanction"].cast(pl.String).to_list() == ["警告", None]
    assert got["gov_sanction"].to_list() == [None, None]  # 无 is no measure
    assert got["notified"].to_list() == [True, False]  # blank is 否 (√/空)
    assert result.sheets == [("ledger.xlsx", "persons", 2)]


def test_a_stated_form_contradicting_the_measures_is_an_error_on_its_row():
    result = _persons(["P1", "c1", None, "2024-03-20", "开除党籍", None, None, None, None, None, None, "第二种形态"])
    assert _messages(result) == [(3, "四种形态", "与本行处理措施不符（按处理措施为第三种形态）")]


def test_a_stated_form_without_any_measure_is_an_error():
    result = _persons(["P1", "c1", None, "2024-03-20", None, None, None, None, None, None, None, "1"])
    assert _messages(result) == [(3, "四种形态", "与本行处理措施不符（按处理措施为无处理措施）")]


def test_a_measure_word_outside_the_forms_table_is_an_error():
    result = _persons(["P1", "c1", None, "2024-03-20", "记过", None, None, None, None, None, None, None])
    assert [(r, c) for r, c, _ in _messages(result)] == [(3, "党纪处分")]


def test_a_person_without_case_or_region_is_an_error():
    result = _persons(["P1", None, None, "2024-03-20", None, None, None, "诫勉", None, None, None, None])
    assert _messages(result) == [(3, "区划代码", "没有案件编号时须填写区划代码")]


@pytest.mark.parametrize("column", ["姓名", "身份证号", "联系电话", "住址"])
def test_identifying_columns_are_refused_in_the_persons_sheet(column):
    data = xlsx([["人员编号", "案件编号", column], ["P1", "c1", "x"]], title=None, sheet="处理人员")
    result = ingest.ingest([("l.xlsx", data)], fx.tables().regions, today=TODAY)
    assert [p.column for p in result.problems] == [column]
    assert "只统计人数" in result.problems[0].message


def test_link_events_sheet_maps_link_words_and_defaults_times_to_one():
    data = xlsx([["记录编号", "环节", "开展日期", "区划代码", "案件编号", "次数"],
                 ["E1", "剖析", "2024-03-09", None, "c1", 3],
                 ["E2", "回访", "2024-03-10", "990101001001", None, None],
                 ["E3", "公开曝光", "2024-03-11", None, "c1", 1]], title=None, sheet="五个环节记录")
    result = ingest.ingest([("l.xlsx", data)], fx.tables().regions, today=TODAY)
    assert result.ok, [p.line() for p in result.problems]
    got = result.frames["link_events"].sort("event_id")
    assert got.select(pl.col("link").cast(pl.String), "times").rows() == [("反思剖析", 3), ("回访促建", 1), ("曝光", 1)]


def test_an_unknown_link_word_is_an_error():
    data = xlsx([["记录编号", "环节", "日期", "案件编号"], ["E1", "座谈", "2024-03-09", "c1"]], title=None, sheet="环节")
    result = ingest.ingest([("l.xlsx", data)], fx.tables().regions, today=TODAY)
    assert [(p.row, p.column) for p in result.problems] == [(2, "环节")]


def test_complaint_dispositions_are_checked():
    data = xlsx([["信访编号", "区划代码", "受理日期", "渠道", "处置方式", "处置日期"],
                 ["X1", "990101001001", "2024-03-01", "巡察移交", "初步核实", "2024-03-04"],
                 ["X2", "990101001001", "2024-03-01", "来信", "批转", "2024-03-04"]], title=None, sheet="问题线索")
    result = ingest.ingest([("l.xlsx", data)], fx.tables().regions, today=TODAY)
    assert [(p.row, p.column, p.value) for p in result.problems] == [(3, "处置方式", "批转")]


def test_case_persons_and_notified_headers():
    data = xlsx([["案件编号", "区划代码", "立案日期", "涉案人数", "内部通报日期", "公开曝光日期"],
                 ["K1", "990101001001", "2024-03-01", 3, "2024-03-05", "2024-03-06"]], title=None)
    got = ingest.ingest([("l.xlsx", data)], fx.tables().regions, today=TODAY).frames["cases"]
    assert got.select("persons", "notified_on", "exposed_on").rows() == [(3, D(2024, 3, 5), D(2024, 3, 6))]


def test_an_unrecognised_sheet_is_named_in_the_result():
    data = xlsx([["案件编号", "区划代码", "立案日期"], ["K1", "990101001001", "2024-03-01"]], title=None,
                extra={"汇总表": [["a", "b"], [1, 2]]})
    result = ingest.ingest([("l.xlsx", data)], fx.tables().regions, today=TODAY)
    assert result.ok and result.notes == ["未识别的工作表：汇总表，未导入"]


def test_an_earlier_event_sets_the_case_link_date_and_a_later_one_does_not():
    cases = fx.tables().cases  # c1 exposed 2024-03-15
    events = pl.DataFrame({"event_id": ["e1", "e2", "e3"], "link": ["曝光", "反思剖析", "曝光"],
                           "held_on": [D(2024, 3, 10), D(2024, 4, 2), D(2024, 3, 20)], "case_id": ["c1", "c1", "c2"]})
    result = ingest.carry_link_dates(ingest.Ingested(frames={"link_events": events}), cases)
    got = result.frames["cases"].sort("case_id").select("case_id", "exposed_on", "reflection_on").rows()
    assert got == [("c1", D(2024, 3, 10), D(2024, 4, 2)), ("c2", D(2024, 3, 20), None)]
    assert result.frames["cases"].filter(pl.col("case_id") == "c1")["party_discipline"].item() == 1  # whole row kept


def test_persons_template_offers_the_forms_table_words_and_explains_pseudonyms():
    import io

    import openpyxl

    from dashboard.templates import template

    wb = openpyxl.load_workbook(io.BytesIO(template("persons")))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[0] == "人员编号" and headers[-1] == "四种形态"
    col = "ABCDEFGHIJKLMNOP"[headers.index("党纪处分")]
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists[f"{col}2"] == '"警告,严重警告,撤销党内职务,留党察看,开除党籍"'
    notes = [r[1] for r in wb["填写说明"].iter_rows(values_only=True)]
    assert any("不得填写姓名" in (n or "") for n in notes)


def test_a_filled_persons_template_imports(tmp_path):
    import io

    import openpyxl

    from dashboard.templates import template

    wb = openpyxl.load_workbook(io.BytesIO(template("persons")))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    row = {"人员编号": "P1", "区划代码": "990101001001", "处理日期": "2024-03-02", "第一种形态处理方式": "函询了结",
           "四种形态": "第一种形态"}
    ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    result = ingest.ingest([("涉案人员台账模板.xlsx", buf.getvalue())], fx.tables().regions, today=TODAY)
    assert result.ok, [p.line() for p in result.problems]
    assert result.frames["persons"]["first_form_measure"].cast(pl.String).to_list() == ["函询了结"]
    assert result.notes == []  # the template's 填写说明 sheet is not reported


def test_exports_name_the_new_columns_in_chinese():
    from dashboard import export

    assert export.headers("link_events", ["event_id", "link", "held_on", "times"]) == ["记录编号", "环节", "日期", "次数"]
    assert export.headers("cases", ["persons", "notified_on", "exposed_on"]) == ["立案人数", "通报日期", "通报曝光日期"]
    assert export.headers("complaints", ["disposition", "disposed_on"]) == ["处置方式", "处置日期"]
