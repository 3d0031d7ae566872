"""`summary --json` with persons, link events and dispositions: a ledger workbook imported through
the CLI reproduces hand-counted totals; a store without persons gives each case its 立案人数."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest

from dashboard.cli import main
from queries import store
from queries.schema import Tables
from tests import fixtures as fx

MARCH = ("--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-31")


def _workbook() -> bytes:
    sheets = {
        "案件台账": [["案件编号", "区划代码", "立案日期", "审结日期", "立案人数", "内部通报日期"],
                   ["K1", fx.V_A1a, "2024-03-01", "2024-03-20", None, None],
                   ["K2", fx.V_B1a, "2024-03-05", None, 2, "2024-03-15"]],
        "涉案人员": [["人员编号", "案件编号", "区划代码", "处理日期", "党纪处分", "第一种形态处理方式", "一案双查问责", "四种形态"],
                  ["P1", "K1", None, None, "警告", None, "否", "第二种形态"],
                  ["P2", "K1", None, None, None, "诫勉", "是", None],
                  ["P3", None, fx.V_A1b, "2024-03-10", None, "谈话提醒", None, "第一种形态"]],
        "五个环节记录": [["记录编号", "环节", "日期", "区划代码", "案件编号", "次数"],
                    ["E1", "剖析", "2024-03-21", None, "K1", 2],
                    ["E2", "曝光", "2024-03-25", None, "K1", None],
                    ["E3", "回访", "2024-03-28", fx.V_B1a, None, None]],
        "信访举报": [["信访编号", "区划代码", "受理日期", "渠道", "处置方式", "处置日期"],
                  ["X1", fx.V_A1a, "2024-03-01", "巡察移交", "初步核实", "2024-03-03"],
                  ["X2", fx.V_A1a, "2024-03-02", "来信", "谈话函询", "2024-03-04"],
                  ["X3", fx.V_B1a, "2024-03-05", "来信", None, None]],
        "汇总": [["区县", "合计"], ["甲区", 3]],
    }
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture()
def url(tmp_path):
    u = f"sqlite:///{tmp_path}/p.db"
    store.replace_all(u, Tables.from_dicts(regions=fx.REGIONS), None)
    return u


def test_imported_workbook_reproduces_hand_counted_totals(tmp_path, capsys, url):
    path = tmp_path / "2024年3月台账.xlsx"
    path.write_bytes(_workbook())
    assert main(["import", str(path), "--db", url]) == 0
    err = capsys.readouterr().err
    assert "未识别的工作表：汇总，未导入" in err
    assert main(["summary", "--db", url, *MARCH, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = {
        "cases_filed": 2, "persons_filed": 3,        # K1: P1 (P2 is accountable); K2: 立案人数 2
        "cases_closed": 1, "persons_closed": 1,      # K1: P1
        "notified_cases": 1, "notified_persons": 2,  # K2 on 3-15, its 2 persons
        "exposed": 1, "exposed_persons": 2,          # K1 exposed by E2 (3-25); none flagged: P1, P2
        "persons_disciplined": 1, "accountability": 1,  # P1 警告; P2
        "form1_persons": 2, "form2_persons": 1, "form3_persons": 0, "form4_persons": 0,  # P2, P3 | P1
        "reflections": 2, "revisits": 1, "feedbacks": 0,
        "complaints_received": 3, "leads_disposed": 2,
        "dispositions": {"谈话函询": 1, "初步核实": 1, "暂存待查": 0, "予以了结": 0, "立案审查": 0, "转办": 0},
        "complaints_by_channel": {"来信": 2, "巡察移交": 1},
    }
    assert {k: got[k] for k in want} == want


def test_summary_json_has_the_person_keys_for_a_store_without_persons(capsys, tmp_path):
    u = f"sqlite:///{tmp_path}/f.db"
    store.replace_all(u, fx.tables(), None)
    assert main(["summary", "--db", u, *MARCH, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["persons_filed"], got["cases_closed"], got["persons_closed"], got["exposed_persons"]) == (2, 1, 1, 1)
    assert got["form1_persons"] == got["reflections"] == got["leads_disposed"] == 0
    assert got["complaints_by_channel"] == {"12388": 1, "来信": 1, "电话": 1, "网络": 1}
    assert list(got)[:16] == list(fx.MARCH_SUMMARY)
