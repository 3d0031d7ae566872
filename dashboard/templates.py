"""Blank ledger templates: canonical headers, a 填写说明 sheet, drop-down lists for coded values."""
from __future__ import annotations

import io

import xlsxwriter

from dashboard.demo import CASE_SOURCES, CHANNELS, FIELDS, RANKS, RECT_SOURCES, SATISFACTION, UNIT_TYPES
from queries import forms
from queries import ledger_headers as lh
from queries.ingest import table_label
from queries.schema import DISPOSITIONS, LEAD_CHANNELS, LINKS

YES_NO = ["是", "否"]
CHOICES = {
    ("cases", "unit_type"): UNIT_TYPES, ("cases", "field"): FIELDS, ("cases", "source"): CASE_SOURCES,
    ("cases", "subject_rank"): RANKS, ("complaints", "channel"): CHANNELS, ("complaints", "field"): FIELDS,
    ("complaints", "in_scope"): YES_NO, ("complaints", "is_repeat"): YES_NO, ("complaints", "anonymous"): YES_NO,
    ("complaints", "satisfaction"): SATISFACTION, ("rectifications", "source"): RECT_SOURCES,
    ("regions", "level"): ["区县", "乡镇", "街道", "村", "社区"], ("regions", "key_watch"): YES_NO,
    ("complaints", "disposition"): list(DISPOSITIONS), ("link_events", "link"): list(LINKS),
    ("persons", "rank"): RANKS, ("persons", lh.STATED_FORM): ["第一种形态", "第二种形态", "第三种形态", "第四种形态"],
    **{("persons", c): YES_NO for c in ("party_member", "transferred_judicial", "notified", "exposed", "accountable")},
}
CHOICES[("complaints", "channel")] = [*CHANNELS, *LEAD_CHANNELS]
# Notes of the new ledgers, added to the 填写说明 of their template only.
TABLE_NOTES = {
    "persons": [("人员编号", "化名编号（如 P0001），不得填写姓名、身份证号、联系电话、住址；含此类列的文件将被拒绝。"),
                ("案件编号", "立案审查的人员填所属案件编号；谈话函询、日常监督中处理、未立案的人员留空，并填区划代码。"),
                ("处理方式", "党纪处分、政务处分、组织处理、批评教育帮助各填一种（可从下拉选择），没有的留空或填“无”。"),
                ("四种形态", "可不填；填写时须与处理措施一致（一人按最重的一种计），否则该行报错。"),
                ("一案双查问责", "因该案被问责（而非被审查）的人员填“是”：计入问责人数和通报、曝光人数，不计入立案、审结人数。")],
    "link_events": [("环节", "通报（内部）、曝光（公开）、反思剖析、回访促建、反馈整改；也可写 剖析、回访、反馈。"),
                    ("次数", "一条记录开展的次数，默认 1；针对单位或行业开展、不对应案件的，案件编号留空并填区划代码。"),
                    ("案件编号", "填写后，早于案件台账所记日期的环节日期会更新案件的该环节日期。")],
    "complaints": [("处置方式", "问题线索的处置方式：谈话函询、初步核实、暂存待查、予以了结、立案审查；纪外件填“转办”。")],
}



def template(table: str) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#1f4e79", "font_color": "white", "border": 1})
    req = wb.add_format({"bold": True, "bg_color": "#c0392b", "font_color": "white", "border": 1})
    ws = wb.add_worksheet(f"{table_label(table)}台账")
    for c, column in enumerate(lh.HEADERS[table]):
        ws.write_string(0, c, lh.canonical(table, column), req if column in lh.REQUIRED[table] else head)
        ws.set_column(c, c, 16)
        choices = CHOICES.get((table, column))
        if table == "persons" and column in forms.MEASURE_COLUMNS:
            choices = forms.words(column)
        if choices:
            ws.data_validation(1, c, 5000, c, {"validate": "list", "source": choices})
        elif column.endswith("_on"):
            ws.data_validation(1, c, 5000, c, {"validate": "date", "criteria": ">", "value": "2000-01-01",
                                               "input_title": "日期", "input_message": "如 2024-05-03"})
    ws.freeze_panes(1, 0)
    notes = wb.add_worksheet("填写说明")
    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 80)
    lines = [("填写说明", ""), ("表头", "第一行为规范表头，请勿改动；红色为必填列。"),
             ("日期", "2024-05-03、2024/5/3、2024年5月3日 均可；“2024年5月”视为当月1日。"),
             ("是/否", "填“是”或“否”（也可填 Y/N、1/0、√/空）。"),
             ("区划代码", "12位统计用区划代码；区县可填6位、乡镇可填9位。"),
             ("金额", "单位为万元；表头写“（元）”时按元折算。"),
             ("进度", "0–100 的数字（或 0–1 的小数）。"),
             ("个人信息", "信访台账不得包含举报人姓名、身份证号、联系电话、住址等信息，含此类列的文件将被拒绝。"),
             ("重复导入", "按编号更新；同一文件重复导入不会产生重复记录。"),
             *TABLE_NOTES.get(table, [])]
    for r, (k, v) in enumerate(lines):
        notes.write_string(r, 0, k)
        notes.write_string(r, 1, v)
    wb.close()
    return buf.getvalue()
