"""A case's persons and link events on the 案件 details page and in its exports, and the 信访举报
处置方式 filter: which rows (the case's, inside the jurisdiction), what they show (pseudonymous:
no name or ID number), what the files hold (the importer's Chinese headers, so they import back
unchanged) and the audit row committed before a file is handed out. Fixture:
tests/fixtures_persons.py (c1 in 甲一镇 has p1–p3 and e1/e3/e4/e6, c2 in 甲二街道 has p6)."""
from __future__ import annotations

import io
import json
from datetime import date as D

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import export, handout
from queries import audit, details, ingest, store
from queries import ledger_headers as lh
from queries.filters import Filters, Scope
from queries.schema import Tables, polars_schema
from tests import fixtures as fx
from tests import fixtures_persons as fp
from tests.apptest import signed_in
from tests.waiting import wait_until

TODAY = D(2026, 12, 3)  # the day a re-import runs


# --- queries: which persons and events a case shows ------------------------------------------

def test_a_cases_persons_come_in_the_cases_order_with_their_stored_values_and_form():
    got = details.case_persons(fp.tables(), ["c2", "c1"], Scope())
    assert got.columns == [*details.PATH, *polars_schema("persons"), lh.STATED_FORM]
    assert got.select("person_id", "case_id", "region_code", "decided_on", lh.STATED_FORM).rows() == [
        ("p6", "c2", None, D(2024, 3, 28), "第四种形态"),   # 移送司法
        ("p1", "c1", None, None, "第二种形态"),             # blank: the case's, kept blank
        ("p2", "c1", None, D(2024, 3, 20), "第三种形态"),
        ("p3", "c1", None, D(2024, 3, 25), "第一种形态")]


def test_a_persons_region_path_is_its_cases_when_its_own_is_blank():
    got = details.case_persons(fp.tables(), ["c1", "c2"], Scope())
    assert got.select("person_id", *details.PATH).rows()[::3] == [("p1", "甲区", "甲一镇", "东村"),
                                                                   ("p6", "甲区", "甲二街道", "南社区")]


def test_persons_without_a_case_are_not_any_cases():
    got = details.case_persons(fp.tables(), ["c1", "c2", "c3", "c4"], Scope())
    assert sorted(got["person_id"].to_list()) == ["p1", "p2", "p3", "p6"]  # p4, p5, p7, p8 have no case


def test_a_township_account_sees_only_its_own_cases_persons():
    assert details.case_persons(fp.tables(), ["c1", "c2"], Scope(fx.TOWN_A2))["person_id"].to_list() == ["p6"]
    assert details.case_persons(fp.tables(), ["c1"], Scope(fx.TOWN_A2)).is_empty()


def test_a_person_recorded_in_another_region_stays_out_of_a_case_in_scope():
    t = Tables.from_dicts(regions=fx.REGIONS, cases={"case_id": ["k"], "region_code": [fx.V_A1a],
                                                     "filed_on": [D(2024, 3, 1)]},
                          persons={"person_id": ["own", "other"], "case_id": ["k", "k"],
                                   "region_code": [None, fx.V_B1a]})
    assert details.case_persons(t, ["k"], Scope(fx.TOWN_A1))["person_id"].to_list() == ["own"]
    assert details.case_persons(t, ["k"], Scope(fx.TOWN_B1))["person_id"].to_list() == ["other"]


def test_a_cases_link_events_come_in_date_order():
    got = details.case_events(fp.tables(), ["c1"], Scope())
    assert got.columns == [*details.PATH, *polars_schema("link_events")]
    assert got.select("event_id", "link", "held_on", "times").rows() == [
        ("e1", "反思剖析", D(2024, 3, 9), 3), ("e6", "通报", D(2024, 3, 10), 1),
        ("e3", "回访促建", D(2024, 3, 20), 2), ("e4", "反馈整改", D(2024, 4, 2), 1)]


def test_another_townships_case_shows_no_link_events():
    assert details.case_events(fp.tables(), ["c1"], Scope(fx.TOWN_B1)).is_empty()


def _march_complaints(dispositions) -> list[str]:
    t = fp.tables()
    index = details.match_index(t, "complaints", Filters(*fx.MARCH), Scope(), fx.AS_OF)
    return details.rows(t, "complaints", details.with_disposition(t, index, dispositions))["complaint_id"].to_list()


def test_the_disposition_filter_keeps_the_chosen_ones_newest_first():
    # March: q3 转办, q4 not disposed, q2 谈话函询, q1 立案审查.
    assert _march_complaints(("谈话函询", "立案审查")) == ["q2", "q1"]
    assert _march_complaints(("",)) == ["q4"]
    assert _march_complaints(()) == ["q3", "q4", "q2", "q1"]


# --- files: Chinese headers, and an export imports back unchanged ------------------------------

def test_a_persons_export_has_the_importers_headers_and_no_identifying_one():
    frame = details.case_persons(fp.tables(), ["c1"], Scope())
    heads = export.headers("persons", frame.columns)
    assert heads[:6] == ["区县", "乡镇（街道）", "村（社区）", "人员编号", "案件编号", "区划代码"]
    assert heads[-1] == "四种形态"
    assert not [h for h in heads if lh.identifying(h, "persons")]


def _as_imported(frame: pl.DataFrame) -> pl.DataFrame:
    """The fixture as an import stores it: a blank yes/no column reads 否 (docs/ledgers.md)."""
    return frame.with_columns([pl.col(c).fill_null(False) for c, t in frame.schema.items() if t == pl.Boolean])


def _reimported(name: str, data: bytes, table: str) -> pl.DataFrame:
    result = ingest.ingest([(name, data)], fp.tables().regions, today=TODAY)
    assert result.ok, [p.line() for p in result.problems]
    return result.frames[table]


def test_an_exported_persons_sheet_imports_back_unchanged():
    t = fp.tables()
    frame = details.case_persons(t, ["c1", "c2"], Scope())
    back = _reimported("涉案人员.xlsx", export.to_xlsx(frame, "persons", [("说明", "测试")], "测试"), "persons")
    stored = _as_imported(t.persons.filter(pl.col("case_id").is_in(["c1", "c2"])))
    assert_frame_equal(back.sort("person_id"), stored.sort("person_id"), check_dtypes=False)


def test_an_exported_persons_csv_imports_back_unchanged():
    t = fp.tables()
    frame = details.case_persons(t, ["c1"], Scope())
    back = _reimported("涉案人员.csv", export.to_csv(frame, "persons"), "persons")
    assert_frame_equal(back.sort("person_id"), _as_imported(t.persons.filter(pl.col("case_id") == "c1"))
                       .sort("person_id"), check_dtypes=False)


def test_an_exported_link_events_sheet_imports_back_unchanged():
    t = fp.tables()
    frame = details.case_events(t, ["c1"], Scope())
    back = _reimported("环节.xlsx", export.to_xlsx(frame, "link_events", [("说明", "测试")], "测试"), "link_events")
    assert_frame_equal(back.sort("event_id"), t.link_events.filter(pl.col("case_id") == "c1").sort("event_id"),
                       check_dtypes=False)


# --- the 案件 page ---------------------------------------------------------------------------

PARAMS = {"period": "自定义", "range": ["2024-01-01", "2024-03-31"], "as_of": "2024-03-31"}


@pytest.fixture()
def app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/p.db"
    store.replace_all(url, fp.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def _cases_page(role: str = "staff", region: str | None = None, lang: str | None = None):
    at = signed_in(role, region=region, params={**PARAMS, **({"lang": lang} if lang else {})})
    at.switch_page("app_pages/cases.py").run()  # one run: opened by link
    assert not at.exception
    return at


def _select(at, case_id: str):
    ids = at.dataframe(key="cases_table").value["case_id"].to_list()
    at.session_state["cases_table"] = {"selection": {"rows": [ids.index(case_id)], "columns": []}}
    at.run()
    assert not at.exception
    return at


def _shown(at, column: str):
    """The case panel's table holding `column` (AppTest gives a plain table no key), or None."""
    return next((d.value for d in at.dataframe if d.key != "cases_table" and column in d.value.columns), None)


def test_selecting_a_case_shows_its_persons_and_link_events(app):
    at = _select(_cases_page(), "c1")
    persons = _shown(at, "person_id")
    assert persons["person_id"].to_list() == ["p1", "p2", "p3"]
    assert persons["stated_form"].to_list() == ["第二种形态", "第三种形态", "第一种形态"]
    assert persons.loc[1, ["party_sanction", "gov_sanction"]].tolist() == ["开除党籍", "撤职"]
    # p1 is decided with its case (blank), p2 on its own date; a blank yes/no reads 否.
    assert persons["decided_on"].tolist() == ["同本案", "2024-03-20", "2024-03-25"]
    assert persons["party_member"].tolist() == [False, False, False]
    assert not {"case_id", "region_code"} & set(persons.columns)
    assert any(m.value == "**涉案人员（3 人）**" for m in at.markdown)
    events = _shown(at, "event_id")
    assert events[["event_id", "link", "times"]].values.tolist() == [
        ["e1", "反思剖析", 3], ["e6", "通报", 1], ["e3", "回访促建", 2], ["e4", "反馈整改", 1]]


def test_a_case_without_person_rows_says_how_it_is_counted(app):
    at = _select(_cases_page(), "c3")
    assert _shown(at, "person_id") is None
    assert any("按立案人数 3 人统计" in c.value for c in at.caption)


def test_the_persons_panel_speaks_english(app):
    at = _select(_cases_page(lang="English"), "c1")
    assert _shown(at, "person_id")["stated_form"].to_list() == [
        "Second form", "Third form", "First form"]
    assert any(m.value == "**Persons handled (3)**" for m in at.markdown)


def test_a_township_account_sees_only_its_own_cases_and_their_persons(db_url, monkeypatch):
    store.replace_all(db_url, fp.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", db_url)
    at = _cases_page(region=fx.TOWN_A2)
    assert at.dataframe(key="cases_table").value["case_id"].to_list() == ["c2"]
    _select(at, "c2")
    assert _shown(at, "person_id")["person_id"].to_list() == ["p6"]


def _prepare(at, what: str, purpose: str = "月度督办"):
    at.button_group(key="cases_export_what").set_value(what).run()
    at.text_input(key="cases_purpose").set_value(purpose).run()
    at.button(key="cases_prepare").click().run()
    # Built in a worker thread that the page polls: rerun until the doors are offered.
    assert wait_until(lambda: len(at.run().get("download_button")) == 2)
    return at


def _audited(url: str) -> pl.DataFrame:
    return audit.read(store.engine_for(url)).filter(pl.col("event") == "export")


def _released(at, key: str, url: str) -> tuple[bytes, list[int]]:
    """What the browser's fetch of a deferred door gets (AppTest fetches nothing, so the test
    does what that request does), and how many audit rows were committed when the file was built."""
    ticket = at.session_state[f"handout_{key}"]
    seen: list[int] = []
    build = ticket.build

    def watched() -> bytes:
        seen.append(_audited(url).height)
        return build()

    ticket.build = watched
    return handout.release(ticket, lambda: at.session_state["account"]), seen


def test_persons_export_is_an_excel_sheet_with_chinese_headers_audited_first(app):
    at = _prepare(_cases_page(), "persons")
    assert _audited(app).is_empty()  # offered, not yet taken
    data, seen = _released(at, "persons_dl_xlsx", app)
    assert seen == [1]  # the audit row was committed before the file was built
    sheet = pl.read_excel(io.BytesIO(data), sheet_name="涉案人员")
    assert sheet.columns[:5] == ["区县", "乡镇（街道）", "村（社区）", "人员编号", "案件编号"]
    assert "四种形态" in sheet.columns and not [c for c in sheet.columns if "姓名" in c or "身份证" in c]
    # Cases listed Jan–Mar 2024, newest first: c3 (none), c1 (p1–p3), c2 (p6).
    assert sheet.select("人员编号", "案件编号", "四种形态").rows() == [
        ("p1", "c1", "第二种形态"), ("p2", "c1", "第三种形态"), ("p3", "c1", "第一种形态"), ("p6", "c2", "第四种形态")]
    row = _audited(app).row(0, named=True)
    assert (row["account"], row["target"], row["rows"], row["outcome"]) == ("tester", "persons", 4, "success")
    detail = json.loads(row["detail"])
    assert (detail["format"], detail["purpose"], detail["filters"]["of"]) == ("xlsx", "月度督办", "cases")


def test_link_events_export_is_a_csv_with_chinese_headers(app):
    at = _prepare(_cases_page(), "link_events")
    data, seen = _released(at, "link_events_dl_csv", app)
    assert seen == [1]
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[3:] == ["记录编号", "环节", "日期", "区划代码", "案件编号", "次数"]
    assert [line.split(",")[3] for line in lines[1:]] == ["e1", "e6", "e3", "e4"]
    assert _audited(app)["target"].to_list() == ["link_events"]


def test_the_case_export_keeps_its_door(app):
    at = _prepare(_cases_page(), "cases")
    data, _ = _released(at, "cases_dl_csv", app)
    assert data.decode("utf-8-sig").splitlines()[0].split(",")[3] == "案件编号"


def test_files_prepared_for_persons_are_not_offered_as_cases(app):
    at = _prepare(_cases_page(), "persons")
    at.button_group(key="cases_export_what").set_value("cases").run()
    assert len(at.get("download_button")) == 0


@pytest.mark.parametrize("table", ["persons", "link_events"])
def test_a_township_account_exports_only_its_own_cases_rows(db_url, monkeypatch, table):
    store.replace_all(db_url, fp.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", db_url)
    at = _prepare(_cases_page(region=fx.TOWN_A2), table)
    data, seen = _released(at, f"{table}_dl_csv", db_url)
    body = [line.split(",") for line in data.decode("utf-8-sig").splitlines()[1:]]
    # 甲二街道's only case is c2: p6 and no link event; c1's p1–p3 and e1… are 甲一镇's.
    assert [r[3] for r in body] == (["p6"] if table == "persons" else [])
    assert {r[1] for r in body} <= {"甲二街道"}
    assert seen == [1] and _audited(db_url).select("target", "rows").rows() == [(table, len(body))]


def test_a_leader_sees_the_persons_but_no_export(app):
    at = _select(_cases_page(role="leader"), "c1")
    assert _shown(at, "person_id")["person_id"].to_list() == ["p1", "p2", "p3"]
    assert not [b for b in at.button_group if b.key == "cases_export_what"]
    assert len(at.get("download_button")) == 0


# --- the 信访举报 page --------------------------------------------------------------------------

def test_complaints_show_disposition_and_filter_by_it(app):
    at = signed_in("staff", params=PARAMS)
    at.run()
    at.switch_page("app_pages/complaints.py").run()
    shown = at.dataframe(key="complaints_table").value.set_index("complaint_id")
    assert shown.loc["q2", "disposition"] == "谈话函询" and str(shown.loc["q2", "disposed_on"])[:10] == "2024-03-08"
    at.multiselect(key="complaints_disposition").set_value(["予以了结", ""]).run()
    assert not at.exception
    assert at.dataframe(key="complaints_table").value["complaint_id"].to_list() == ["q4", "q5"]


def test_the_case_panels_labels_are_the_ledger_headers_in_chinese_and_english_too():
    from dashboard.components_details import PANEL_EVENT_COLS, PANEL_PERSON_COLS
    from dashboard.i18n import CATALOGUE

    for table, cols in (("persons", PANEL_PERSON_COLS), ("link_events", PANEL_EVENT_COLS)):
        for c in cols:
            zh, en = CATALOGUE[f"details.col.{c}"]
            assert zh == lh.canonical(table, c) and en and en != zh, c
