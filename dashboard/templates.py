"""Blank ledger templates: canonical headers, a 填写说明 sheet, drop-down lists for coded values."""
from __future__ import annotations

import io

import xlsxwriter

from dashboard.demo import CASE_SOURCES, CHANNELS, FIELDS, RANKS, RECT_SOURCES, SATISFACTION, UNIT_TYPES
from queries import ledger_headers as lh
from queries.ingest import table_label

YES_NO = ["是", "否"]
CHOICES = {
    ("cases", "unit_type"): UNIT_TYPES, ("cases", "field"): FIELDS, ("cases", "source"): CASE_SOURCES,
    ("cases", "subject_rank"): RANKS, ("complaints", "channel"): CHANNELS, ("complaints", "field"): FIELDS,
    ("complaints", "in_scope"): YES_NO, ("complaints", "is_repeat"): YES_NO, ("complaints", "anonymous"): YES_NO,
    ("complaints", "satisfaction"): SATISFACTION, ("rectifications", "source"): RECT_SOURCES,
    ("regions", "level"): ["区县", "乡镇", "街道", "村", "社区"], ("regions", "key_watch"): YES_NO,
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
             ("重复导入", "按编号更新；同一文件重复导入不会产生重复记录。")]
    for r, (k, v) in enumerate(lines):
        notes.write_string(r, 0, k)
        notes.write_string(r, 1, v)
    wb.close()
    return buf.getvalue()
