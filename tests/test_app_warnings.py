"""AppTest of the 预警 page's warning detail on hand-built records (tests/test_warning_detail.py's
detail_tables, as of 2024-06-30): choosing a warning shows it in words a cadre acts on, and
加入督办单 puts it on the follow-up sheet that is exported."""
from __future__ import annotations

import io

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import safe
from queries import store
from tests.apptest import signed_in
from tests.test_warning_detail import detail_tables

AS_OF = {"as_of": "2024-06-30"}


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/wd.db"
    store.replace_all(url, detail_tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def open_warning(at: AppTest, rule: str | None, row: int = 0) -> AppTest:
    """The 预警 page with the list narrowed to `rule` and its `row`-th warning chosen (what a
    click on the row's selection box sends)."""
    at.switch_page("app_pages/warnings.py").run()  # one run: the overview is not drawn first
    if rule is not None:
        at.multiselect(key="warn_rule").set_value([rule]).run()
    at.session_state["warn_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def table(at: AppTest, *headers: str) -> list[list[str]]:
    """The rows of the one table headed by `headers` (the detail's tables are text)."""
    found = [d.value for d in at.dataframe if list(d.value.columns) == list(headers)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0].values.tolist()


def record(at: AppTest, field: str = "项目", value: str = "内容") -> dict[str, str]:
    return dict(table(at, field, value))


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption])


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_chosen_warning_shows_its_rule_due_date_and_days_overdue(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    assert not at.exception
    got = metrics(at)
    assert (got["应完成日期"], got["已逾期"]) == ("2024-06-18", "12 天")
    shown = texts(at)
    assert "规则口径：整改事项超过完成时限仍未完成（台账未填完成时限的，按交办后 60 个工作日计）" in shown
    assert "预警原因：整改事项已超过完成时限 12 天仍未完成（当前进度 40\\%）" in shown  # escaped markdown


def test_the_detail_names_the_responsible_unit_and_person(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    captions = [c.value for c in at.caption]
    assert "责任单位" in captions and "责任人" in captions
    shown = texts(at)
    assert "**甲一镇人民政府**" in shown and "**张三**" in shown and f"所在区域：{safe.md('甲区 / 甲一镇 / 东村')}" in shown


def test_the_record_reads_in_chinese_labels_with_blanks_as_dashes(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    got = record(at)
    assert got["整改编号"] == "zg1" and got["完成时限"] == "2024-06-18" and got["整改进度"] == "40%"
    assert got["销号日期"] == "—" and got["关联案件编号"] == "aj1"
    assert not {"item_id", "region_code", "None"} & (set(got) | set(got.values()))


def test_the_history_lists_the_monthly_reports_up_to_as_of(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    assert table(at, "日期", "事项", "情况") == [["2024-01-10", "交办", "—"], ["2024-03-31", "进度月报", "进度 20%；已清查"],
                       ["2024-05-31", "进度月报", "进度 40%"]]


def test_the_related_case_is_shown_by_its_key_fields(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    assert table(at, "案件编号", "单位", "领域", "问题类型", "立案日期", "审结日期") == [
        ["aj1", "东村村委会", "集体三资", "—", "2023-10-01", "2024-02-01"]]


def test_adding_to_the_follow_up_sheet_offers_it_for_export_with_that_warning_only(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    assert len(at.get("download_button")) == 1  # the filtered list's sheet only
    at.button(key="warn_detail_add").click().run()
    assert not at.exception
    assert len(at.get("download_button")) == 2
    assert "督办单已加入 1 条" in texts(at)
    assert at.button(key="warn_detail_remove").label == "移出督办单"
    sheet = openpyxl.load_workbook(io.BytesIO(at.session_state["handout_warn_export_sheet"].build()))["督办单"]
    headers = [c.value for c in sheet[3]]
    assert sheet.max_row == 4 and sheet.cell(4, headers.index("编号") + 1).value == "zg1"


def test_the_sheet_keeps_its_warnings_when_the_list_is_filtered_otherwise(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    at.button(key="warn_detail_add").click().run()
    at.multiselect(key="warn_rule").set_value(["C1"]).run()
    at.session_state["warn_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="warn_detail_add").click().run()  # xf1, the first C1
    assert "督办单已加入 2 条" in texts(at)
    rows = openpyxl.load_workbook(io.BytesIO(at.session_state["handout_warn_export_sheet"].build()))["督办单"]
    assert [rows.cell(r, 10).value for r in (4, 5)] == ["zg1", "xf1"]  # 编号 column, in the order added


def test_clearing_the_sheet_removes_its_export(db):
    at = open_warning(signed_in("staff", params=AS_OF), "R1")
    at.button(key="warn_detail_add").click().run()
    at.button(key="warn_sheet_clear").click().run()
    assert len(at.get("download_button")) == 1 and at.button(key="warn_detail_add").label == "加入督办单"


def test_a_leader_sees_the_next_step_but_no_sheet_button(db):
    at = open_warning(signed_in("leader", params=AS_OF), "R1")
    assert "**下一步**：督促责任单位说明逾期原因，明确完成时限并按月报送进度。" in texts(at)
    assert "督办单由有导出权限的工作人员导出。" in texts(at)
    assert not [b for b in at.button if b.key == "warn_detail_add"]


def test_a_case_warning_shows_its_five_links_and_k2_days_overdue(db):
    at = open_warning(signed_in("staff", params=AS_OF), "K2")
    assert metrics(at)["已逾期"] == "60 天"  # closed 1 Feb + 90 days = 1 May
    assert table(at, "环节", "日期", "状态", "环节记录（次）") == [["通报", "2024-02-10", "已开展", "0"], ["曝光", "—", "未开展", "0"],
                     ["反思剖析", "2024-03-05", "已开展", "3"], ["回访促建", "—", "未开展", "0"],
                     ["反馈整改", "—", "未开展", "0"]]


def test_a_complaint_warning_shows_its_disposition(db):
    at = open_warning(signed_in("staff", params=AS_OF), "C1")  # xf1, 34 days
    assert metrics(at)["已逾期"] == "34 天"
    assert ["2024-05-10", "问题线索处置", "初步核实"] in table(at, "日期", "事项", "情况")


def test_the_detail_reads_in_english(db):
    # AppTest formats a multiselect's choice outside the page run, in Chinese: so no rule filter
    # here, and zg1 is the list's second row (after C1 xf1).
    at = open_warning(signed_in("staff", params={**AS_OF, "lang": "English"}), None, row=1)
    assert not at.exception
    got = metrics(at)
    assert (got["Due"], got["Overdue by"]) == ("2024-06-18", "12 days")
    shown = texts(at)
    assert ("Rule in words: A rectification item past its deadline and not completed (without a deadline in the "
            "ledger: 60 working days after assignment)") in shown
    assert f"Why now: {safe.md('12 days past the deadline, not completed (progress 40%)')}" in shown
    got = record(at, "Field", "Value")
    assert got["Item id"] == "zg1" and got["Signed off"] == "—"
    assert at.button(key="warn_detail_add").label == "Add to follow-up sheet"


def test_a_detail_table_row_with_a_warning_shows_the_same_detail(db):
    at = signed_in("staff", params=AS_OF)
    at.switch_page("app_pages/cases.py").run()
    at.toggle(key="cases_open_only").set_value(True).run()  # aj2, filed in 2023, still open
    at.session_state["cases_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    # filed 1 Nov 2023 + K1's 180 days = 29 Apr 2024, 62 days before 30 Jun.
    assert (metrics(at)["应完成日期"], metrics(at)["已逾期"]) == ("2024-04-29", "62 天")
    assert "规则口径：案件立案满 180 天仍未审结" in texts(at)


def test_a_detail_table_row_without_a_warning_shows_its_record_and_history_without_a_next_step(db):
    at = signed_in("staff", params=AS_OF)
    at.switch_page("app_pages/complaints.py").run()
    at.session_state["complaints_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()  # xf3, the newest: received 20 Jun, due 11 Jul, no warning
    assert not at.exception
    assert f"所在区域：{safe.md('甲区 / 甲一镇 / 东村')}" in texts(at) and "责任单位" not in texts(at)
    assert record(at)["信访编号"] == "xf3" and record(at)["办结日期"] == "—"
    assert table(at, "日期", "事项", "情况") == [["2024-06-20", "受理", "—"]]
    assert not [b for b in at.button if b.key == "warn_detail_add"] and "规则口径" not in texts(at)
