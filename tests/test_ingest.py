"""Importing the ledgers staff keep: a messy but valid ledger reproduces hand-computed totals;
each class of bad input is refused with its message and leaves the database byte-for-byte
unchanged; a re-import is a no-op; export then import is the identity."""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import export
from dashboard.cli import main
from dashboard import handout
from queries import audit, details, ingest, store
from queries.filters import Filters, Scope
from tests import fixtures as fx
from tests.apptest import signed_in
from tests.waiting import wait_until

D = date


def xlsx(rows: list[list], title: str | None = "2024年案件台账", sheet: str = "案件台账", merge: str | None = "A1:H1",
         extra: dict[str, list[list]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        if merge:
            ws.merge_cells(merge)
    for r in rows:
        ws.append(r)
    for name, body in (extra or {}).items():
        other = wb.create_sheet(name)
        for r in body:
            other.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


MESSY_CASES = [
    ["案件 编号", "区划代码", "立案日期", "审结日期", "党纪处分", "政务处分人数", "追缴金额（元）", "领域"],
    ["N1", 990101001001, datetime(2024, 3, 3), "2024/3/20", 2, 1, 15000, "集体三资"],
    ["N2", "990101001", "2024年3月5日", "2024.3.28", 1, 0, "25,000", "惠民惠农"],
    ["N3", 990102, 45362, None, None, None, None, "集体三资"],  # Excel serial 45362 = 2024-03-11
    [None, None, None, None, None, None, None, None],
    ["合计", None, None, None, 3, 1, 40000, None],
]


@pytest.fixture()
def url(tmp_path):
    u = f"sqlite:///{tmp_path}/i.db"
    store.replace_all(u, fx.tables(), None, dataset="ledger")
    store.engine_for(u).dispose()
    return u


def business_digest(url: str) -> str:
    """Content of every table but the audit log (which records the refused attempt), so
    'unchanged' means every business table is byte-for-byte what it was."""
    path = url.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(l for l in con.iterdump() if "audit_log" not in l).encode()).hexdigest()
    finally:
        con.close()


def run_import(tmp_path, capsys, url, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    code = main(["import", str(p), "--db", url])
    return code, capsys.readouterr()


def test_messy_ledger_imports_and_reproduces_hand_computed_totals(tmp_path, capsys, url):
    code, out = run_import(tmp_path, capsys, url, "2024年案件.xlsx", xlsx(MESSY_CASES))
    assert code == 0, out.err
    assert "案件 3 行" in out.out
    main(["summary", "--db", url, "--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-31", "--json"])
    got = json.loads(capsys.readouterr().out)
    # Fixture March: 2 filed, 2 disciplined, 6.00 万元. Ledger: 3 filed; N1 (2+1) and N2 (1+0)
    # closed in March; 15,000 元 + 25,000 元 = 4.00 万元.
    assert got["cases_filed"] == 5 and got["persons_disciplined"] == 6
    assert got["funds_recovered_wan"] == 10.0


def test_codes_are_padded_and_dates_read_in_every_form(url):
    result = ingest.ingest([("案件.xlsx", xlsx(MESSY_CASES))], store.load_tables(url).regions, today=fx.AS_OF)
    cases = result.frames["cases"].sort("case_id")
    assert cases["region_code"].to_list() == [fx.V_A1a, fx.TOWN_A1, fx.DIST_B]
    assert cases["filed_on"].to_list() == [D(2024, 3, 3), D(2024, 3, 5), D(2024, 3, 11)]
    assert cases["amount_recovered"].to_list() == [1.5, 2.5, None]


def test_reimport_changes_nothing(tmp_path, capsys, url):
    run_import(tmp_path, capsys, url, "案件.xlsx", xlsx(MESSY_CASES))
    once = store.load_tables(url).cases.sort("case_id")
    run_import(tmp_path, capsys, url, "案件.xlsx", xlsx(MESSY_CASES))
    assert_frame_equal(store.load_tables(url).cases.sort("case_id"), once)


def test_gbk_csv_with_yes_no_and_signature_columns(tmp_path, capsys, url):
    text = ("信访编号,区划代码,受理日期,渠道,是否重复件,署名方式,限办日期,办结日期,满意度\n"
            "Q1,990101001002,2024-03-02,来信,是,匿名,2024-03-20,2024-03-10,满意\n"
            "Q2,990102001001,2024/3/3,电话,否,署名,2024-03-25,,\n")
    code, out = run_import(tmp_path, capsys, url, "信访台账.csv", text.encode("gbk"))
    assert code == 0, out.err
    c = store.load_tables(url).complaints.filter(pl.col("complaint_id").is_in(["Q1", "Q2"])).sort("complaint_id")
    assert c["is_repeat"].to_list() == [True, False] and c["anonymous"].to_list() == [True, False]


def test_progress_as_fractions_becomes_percent(url):
    rows = [["整改编号", "区划代码", "开始日期", "整改进度"], ["Z1", fx.V_A1a, "2024-01-01", 0.4],
            ["Z2", fx.V_A1a, "2024-01-01", 1]]
    result = ingest.ingest([("整改.xlsx", xlsx(rows, title=None, sheet="整改"))], store.load_tables(url).regions, today=fx.AS_OF)
    assert result.ok and result.frames["rectifications"]["progress_pct"].to_list() == [40.0, 100.0]


def test_regions_in_the_same_file_are_applied_first(url):
    regions = [["区划代码", "名称", "层级", "上级代码"], ["990101001003", "新村", "村", "990101001000"]]
    cases = [["案件编号", "区划代码", "立案日期"], ["N9", "990101001003", "2024-03-09"]]
    result = ingest.ingest([("台账.xlsx", xlsx(regions, title=None, sheet="区划", extra={"案件": cases}))], store.load_tables(url).regions, today=fx.AS_OF)
    assert result.ok, [p.line() for p in result.problems]
    assert result.frames["regions"]["level"].to_list() == ["village"]


def test_code_change_sheet_maps_old_codes_to_new(url):
    changes = [["原代码", "新代码", "生效日期"], ["990101001009", fx.V_A1a, "2024-01-01"]]
    cases = [["案件编号", "区划代码", "立案日期"], ["N8", "990101001009", "2024-03-09"]]
    result = ingest.ingest([("台账.xlsx", xlsx(cases, title=None, sheet="案件", extra={"代码变更": changes}))], store.load_tables(url).regions, today=fx.AS_OF)
    assert result.ok and result.frames["cases"]["region_code"].to_list() == [fx.V_A1a]


BAD = {
    "missing_column": (xlsx([["案件编号", "立案日期"], ["N1", "2024-03-01"]], title=None), "缺少必填列"),
    "bad_date": (xlsx([["案件编号", "区划代码", "立案日期"], ["N1", fx.V_A1a, "2024-13-45"]], title=None), "日期无法识别"),
    "unknown_region": (xlsx([["案件编号", "区划代码", "立案日期"], ["N1", "990199001001", "2024-03-01"]], title=None),
                       "区划代码不存在"),
    "duplicate_id": (xlsx([["案件编号", "区划代码", "立案日期"], ["N1", fx.V_A1a, "2024-03-01"],
                           ["N1", fx.V_A1a, "2024-03-02"]], title=None), "编号在文件中重复"),
    "progress_150": (xlsx([["整改编号", "区划代码", "开始日期", "整改进度"], ["Z1", fx.V_A1a, "2024-01-01", 150]],
                          title=None, sheet="整改"), "0–100"),
    "complainant_column": (xlsx([["信访编号", "区划代码", "受理日期", "举报人"], ["Q1", fx.V_A1a, "2024-03-01", "某某"]],
                                title=None, sheet="信访"), "举报人"),
    "empty_file": (b"", "文件为空"),
    "not_a_spreadsheet": (b"%PDF-1.4 not a workbook", "不是 Excel 工作簿"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_nothing_changes(tmp_path, capsys, url, case):
    data, message = BAD[case]
    before = business_digest(url)
    code, out = run_import(tmp_path, capsys, url, "案件.xlsx", data)
    assert code != 0 and message in out.err
    assert "未写入任何数据" in out.err
    store.engine_for(url).dispose()
    assert business_digest(url) == before
    # The refused attempt itself is audited (a legal duty), and nothing else was written.
    assert audit.read(store.engine_for(url)).select("event", "target", "outcome").rows() == [
        ("import", "案件.xlsx", "failure")]


def test_every_problem_is_listed_at_once_with_its_excel_row(url):
    rows = [["案件编号", "区划代码", "立案日期"], ["N1", "990199001001", "2024-03-01"], [None, None, None],
            ["N2", fx.V_A1a, "not a date"]]
    result = ingest.ingest([("案件.xlsx", xlsx(rows))], store.load_tables(url).regions, today=fx.AS_OF)
    assert sorted((p.row, p.message) for p in result.problems) == [(3, "区划代码不存在（请先导入区划）"),
                                                                  (5, "日期无法识别")]


def test_export_then_import_is_the_identity(tmp_path, capsys, url):
    t = store.load_tables(url)
    frame = details.detail(t, "cases", Filters(D(2023, 1, 1), D(2024, 12, 31)), Scope(), fx.AS_OF).drop(
        details.PATH)
    data = export.to_xlsx(frame, "cases", [("说明", "测试")], "测试 2024")
    fresh = f"sqlite:///{tmp_path}/fresh.db"
    store.replace_all(fresh, type(t)(**{**t.as_dict(), "cases": t.cases.head(0)}), None, dataset="ledger")
    code, out = run_import(tmp_path, capsys, fresh, "案件导出.xlsx", data)
    assert code == 0, out.err
    assert_frame_equal(store.load_tables(fresh).cases.sort("case_id"), t.cases.sort("case_id"))


def test_csv_export_has_a_bom_and_reimports(tmp_path, capsys, url):
    t = store.load_tables(url)
    frame = t.complaints
    data = export.to_csv(frame, "complaints")
    assert data.startswith(b"\xef\xbb\xbf") and "信访编号".encode() in data[:40]
    fresh = f"sqlite:///{tmp_path}/fresh.db"
    store.replace_all(fresh, type(t)(**{**t.as_dict(), "complaints": t.complaints.head(0)}), None, dataset="ledger")
    code, out = run_import(tmp_path, capsys, fresh, "信访导出.csv", data)
    assert code == 0, out.err
    assert_frame_equal(store.load_tables(fresh).complaints.sort("complaint_id"), frame.sort("complaint_id"))


def test_xlsx_export_layout():
    frame = pl.DataFrame({"district": ["甲区"], "case_id": ["c1"], "filed_on": [D(2024, 3, 1)], "amount_recovered": [2.5]})
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(frame, "cases", [("统计期间", "2024-03-01 至 2024-03-31")],
                                                          "张三 2024-04-01")))
    assert wb.sheetnames == ["导出说明", "案件"]
    ws = wb["案件"]
    assert [c.value for c in ws[1]] == ["区县", "案件编号", "立案日期", "追缴金额（万元）"]
    assert ws.freeze_panes == "A2" and ws["C2"].number_format == "yyyy-mm-dd" and ws["D2"].number_format == "#,##0.00"
    assert wb["导出说明"]["B1"].value == "2024-03-01 至 2024-03-31" and "张三" in ws.oddHeader.right.text


def test_template_has_headers_instructions_and_dropdowns():
    from dashboard.templates import template

    wb = openpyxl.load_workbook(io.BytesIO(template("complaints")))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]][:3] == ["信访编号", "区划代码", "受理日期"]
    assert "填写说明" in wb.sheetnames and ws.data_validations.count >= 4


# --- pages ----------------------------------------------------------------------------------

@pytest.fixture()
def app(url, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def _detail(role="staff", table="cases", **params):
    at = signed_in(role, params={"period": "自定义", "range": ["2024-01-01", "2024-03-31"], "as_of": "2024-03-31",
                                 **params}).run()
    at.switch_page(f"app_pages/{table}.py").run()
    return at


def test_detail_search_narrows_to_the_matching_rows(app):
    at = _detail()
    assert sorted(at.dataframe[0].value["case_id"].to_list()) == ["c1", "c2", "c3"]
    at.text_input(key="cases_search").set_value("乙区").run()
    assert at.dataframe[0].value["case_id"].to_list() == ["c3"]


def test_detail_paging_shows_the_right_page(app):
    at = _detail(table="complaints")
    at.selectbox(key="complaints_page_size").set_value(50).run()
    assert at.dataframe[0].value.shape[0] == 5  # q1–q5 received Jan–Mar


def test_column_chooser_hides_a_column(app):
    at = _detail()
    cols = at.multiselect(key="cases_columns").value
    at.multiselect(key="cases_columns").set_value([c for c in cols if c != "unit_name"]).run()
    assert "unit_name" not in at.dataframe[0].value.columns


def test_export_needs_a_purpose_and_is_audited_on_download(app):
    at = _detail()
    at.button(key="cases_prepare").click().run()
    assert any("导出事由" in w.value for w in at.warning)
    at.text_input(key="cases_purpose").set_value("月度督办").run()
    at.button(key="cases_prepare").click().run()
    # The files are built in a worker thread that the page polls: rerun until they are offered.
    assert wait_until(lambda: len(at.run().get("download_button")) == 2)
    assert audit.read(store.engine_for(app)).filter(pl.col("event") == "export").is_empty()  # not yet downloaded
    # A click makes the browser fetch the deferred file: Streamlit then runs the door's release
    # (AppTest does not fetch files, so the test does what that request does).
    ticket = at.session_state["handout_cases_dl_csv"]
    data = handout.release(ticket, lambda: at.session_state["account"])
    assert "案件编号" in data.decode("utf-8-sig").splitlines()[0].split(",")  # Chinese headers
    exported = audit.read(store.engine_for(app)).filter(pl.col("event") == "export")
    assert exported.select("account", "target", "rows", "outcome").rows() == [("tester", "cases", 3, "success")]
    assert json.loads(exported["detail"].item())["format"] == "csv"
    assert json.loads(exported["detail"].item())["purpose"] == "月度督办"


def test_leader_sees_no_export(app):
    at = _detail(role="leader")
    assert not [t for t in at.text_input if t.key == "cases_purpose"]
    assert len(at.get("download_button")) == 0


def test_township_account_detail_shows_only_its_rows(app):
    at = signed_in("staff", region=fx.TOWN_A1, params={"period": "自定义", "range": ["2024-01-01", "2024-03-31"],
                                                        "as_of": "2024-03-31", "district": "乙区"}).run()
    at.switch_page("app_pages/complaints.py").run()
    assert sorted(at.dataframe[0].value["complaint_id"].to_list()) == ["q1", "q2", "q5"]


def test_data_page_is_for_staff_only(app):
    at = signed_in("leader").run()
    with pytest.raises(ValueError):
        at.switch_page("app_pages/data_admin.py")


def test_upload_preview_confirm_writes_the_ledger(app):
    at = signed_in("staff").run()
    at.switch_page("app_pages/data_admin.py").run()
    at.file_uploader(key="data_upload").upload("2024年案件.xlsx", xlsx(MESSY_CASES)).run()
    assert any("校验通过" in s.value for s in at.success)
    assert at.dataframe[0].value.shape[0] == 1  # one ledger sheet found
    assert store.load_tables(app).cases.height == 4  # nothing written before confirming
    at.button(key="data_confirm").click().run()
    assert store.load_tables(app).cases.height == 7
    rows = audit.read(store.engine_for(app))
    assert rows.select("event", "outcome", "rows").rows() == [("import", "success", 3)]


def test_upload_with_problems_lists_them_and_writes_nothing(app):
    at = signed_in("staff").run()
    at.switch_page("app_pages/data_admin.py").run()
    at.file_uploader(key="data_upload").upload("案件.xlsx", BAD["bad_date"][0]).run()
    assert at.error and "未写入任何数据" in at.error[0].value
    problems = at.dataframe[0].value
    assert problems.iloc[0].tolist()[1:] == [2, "立案日期", "2024-13-45", "日期无法识别"]
    assert not [b for b in at.button if b.key == "data_confirm"]
    assert store.load_tables(app).cases.height == 4


def test_a_name_path_resolves_to_the_region_code(url):
    rows = [["整改编号", "区县", "乡镇", "村", "开始日期"], ["P1", "甲区", "甲一镇", "西村", "2024-02-01"],
            ["P2", "乙区", "乙一乡", None, "2024-02-02"]]
    result = ingest.ingest([("整改.xlsx", xlsx(rows, title=None, sheet="整改"))], store.load_tables(url).regions, today=fx.AS_OF)
    assert result.ok, [p.line() for p in result.problems]
    assert result.frames["rectifications"]["region_code"].to_list() == [fx.V_A1b, fx.TOWN_B1]


def test_an_unknown_name_in_the_path_is_a_problem(url):
    rows = [["整改编号", "区县", "乡镇", "开始日期"], ["P1", "甲区", "无此镇", "2024-02-01"]]
    result = ingest.ingest([("整改.xlsx", xlsx(rows, title=None, sheet="整改"))], store.load_tables(url).regions, today=fx.AS_OF)
    assert [(p.row, p.value, p.message) for p in result.problems] == [(2, "甲区/无此镇", "区划名称无法匹配")]


STREAM_CSV = ("信访编号,区划代码,受理日期,限办日期\n"
              "S1,990101001001,2024-03-01,2024-03-20\nS2,990101001002,2024/3/2,2024-03-20\n"
              "S3,990102001001,2024年3月3日,2024-03-20\n")


def test_large_csv_is_checked_and_written_in_batches(tmp_path, url):
    p = tmp_path / "信访台账.csv"
    p.write_text(STREAM_CSV, encoding="gbk")
    table, problems, batches = ingest.stream_csv(p, store.load_tables(url).regions, batch_rows=2, today=fx.AS_OF)
    assert (table, problems) == ("complaints", [])
    assert store.upsert_batches(url, table, batches()) == 3
    got = store.load_tables(url).complaints.filter(pl.col("complaint_id").str.starts_with("S")).sort("complaint_id")
    assert got["received_on"].to_list() == [D(2024, 3, 1), D(2024, 3, 2), D(2024, 3, 3)]


def test_large_csv_finds_a_duplicate_across_batches_with_its_row(tmp_path, url):
    p = tmp_path / "信访台账.csv"
    p.write_text(STREAM_CSV + "S1,990101001001,2024-03-04,2024-03-20\n", encoding="utf-8")
    _, problems, _ = ingest.stream_csv(p, store.load_tables(url).regions, batch_rows=2, today=fx.AS_OF)
    assert [(x.row, x.message) for x in problems] == [(5, "编号在文件中重复")]


def test_batched_write_is_one_transaction(url):
    good = pl.DataFrame({"complaint_id": ["T1"], "region_code": [fx.V_A1a]})

    def batches():
        yield ingest.conform("complaints", good)
        raise RuntimeError("disk full")  # a failure part-way

    with pytest.raises(RuntimeError):
        store.upsert_batches(url, "complaints", batches())
    assert store.load_tables(url).complaints.filter(pl.col("complaint_id") == "T1").is_empty()


# --- complainant columns: normalised before matching ------------------------------------------

def _complaint_problems(header: str) -> list[str]:
    text = f"信访编号,区划代码,受理日期,{header}\nQ1,{fx.V_A1a},2024-03-01,某某\n"
    result = ingest.ingest([("信访台账.csv", text.encode())], fx.tables().regions, today=fx.AS_OF)
    return [p.message for p in result.problems]


@pytest.mark.parametrize("header", ["举 报人", "举\u200b报人", "\ufeff举报人", "举\u2060报\u00a0人", "身\u3000份证号",
                                    "ＱＱ号", "ｑｑ", "联\u200d系电\u200b话"])
def test_a_complainant_column_is_refused_despite_spaces_invisible_and_full_width_characters(header):
    assert any(m.startswith("含有可识别举报人身份的列") for m in _complaint_problems(header))


@pytest.mark.parametrize("header", ["来信人", "反映人", "联系方式", "证件号码", "手机号", "电话", "身份证", "家庭住址",
                                    "举报人姓名", "来访人", "检举人", "电子邮箱", "姓名"])
def test_a_near_synonym_of_a_complainant_column_is_refused(header):
    assert any(m.startswith("含有可识别举报人身份的列") for m in _complaint_problems(header))


def test_no_known_header_is_taken_for_a_complainant_column():
    from queries import ledger_headers as lh

    flagged = [(t, v) for t, cols in lh.HEADERS.items() for vs in cols.values() for v in vs if lh.identifying(v, t)]
    assert flagged == []


def test_known_headers_match_despite_invisible_and_full_width_characters():
    text = (f"案\u200b件编号,\ufeff区划代码,立案日期\u3000,涉案金额（万元）\nN1,{fx.V_A1a},2024-03-01,3\n")
    result = ingest.ingest([("案件.csv", text.encode())], fx.tables().regions, today=fx.AS_OF)
    assert result.ok, [p.line() for p in result.problems]
    assert result.frames["cases"].select("case_id", "filed_on").rows() == [("N1", D(2024, 3, 1))]


# --- dates in the future ----------------------------------------------------------------------

def _case_problems(filed: str, today: date = fx.AS_OF) -> list[tuple]:
    text = f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},{filed}\n"
    result = ingest.ingest([("案件.csv", text.encode())], fx.tables().regions, today=today)
    return [(p.row, p.column, p.value, p.message) for p in result.problems]


def test_a_date_in_2099_is_refused_on_its_row():
    assert _case_problems("2099-01-01") == [(2, "立案日期", "2099-01-01", "日期晚于今天（2024-03-31），不能是将来的日期")]


def test_a_date_one_day_after_today_is_accepted_and_two_days_refused():
    assert _case_problems("2024-04-01") == []
    assert [m for *_, m in _case_problems("2024-04-02")] == ["日期晚于今天（2024-03-31），不能是将来的日期"]


def test_a_deadline_in_the_future_is_accepted():
    text = f"信访编号,区划代码,受理日期,限办日期\nQ1,{fx.V_A1a},2024-03-01,2099-01-01\n"
    result = ingest.ingest([("信访台账.csv", text.encode())], fx.tables().regions, today=fx.AS_OF)
    assert result.ok and result.frames["complaints"]["due_on"].to_list() == [D(2099, 1, 1)]


def test_a_future_date_in_a_large_csv_is_refused(tmp_path, url):
    p = tmp_path / "信访台账.csv"
    p.write_text(STREAM_CSV + "S4,990101001001,2099-01-01,2099-02-01\n", encoding="utf-8")
    _, problems, _ = ingest.stream_csv(p, store.load_tables(url).regions, batch_rows=2, today=fx.AS_OF)
    assert [(x.row, x.column, x.message) for x in problems] == [(5, "受理日期", "日期晚于今天（2024-03-31），不能是将来的日期")]


def test_cli_import_refuses_a_future_date(tmp_path, capsys, url):
    code, out = run_import(tmp_path, capsys, url, "案件.csv", f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},2099-01-01\n".encode())
    assert code == 2 and "不能是将来的日期" in out.err and "未写入任何数据" in out.err


def test_an_import_without_some_columns_keeps_them_on_existing_records(tmp_path, capsys, url):
    # c1: closed 2024-03-31, 1 党纪处分, 2.5 万元 recovered; the file only moves it to 西村.
    code, out = run_import(tmp_path, capsys, url, "案件.csv", f"案件编号,区划代码,立案日期\nc1,{fx.V_A1b},2024-03-01\n".encode())
    assert code == 0, out.err
    c1 = store.load_tables(url).cases.filter(pl.col("case_id") == "c1")
    assert c1.select("region_code", "closed_on", "party_discipline", "amount_recovered").rows() == [
        (fx.V_A1b, D(2024, 3, 31), 1, 2.5)]
