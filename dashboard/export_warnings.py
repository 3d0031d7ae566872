"""The 督办 sheet: the filtered warning list as an Excel file to hand to responsible units,
with empty 督办意见 and 反馈时限 columns to fill in. Pure: a frame in, bytes out."""
from __future__ import annotations

import io
from datetime import datetime

import polars as pl
import xlsxwriter

COLUMNS = [  # (column, header, width)
    ("level", "等级", 6), ("rule", "规则", 6), ("district", "区县", 10), ("township", "乡镇（街道）", 12),
    ("village", "村（社区）", 12), ("unit", "责任单位", 24), ("person", "责任人", 8),
    ("project", "专项治理项目", 26), ("record_id", "编号", 16), ("days", "天数", 6),
    ("due_on", "时限", 11), ("reason", "预警原因", 44),
]


def to_xlsx(warnings: pl.DataFrame, *, title: str, account: str, as_of: str,
            show_persons: bool = True) -> bytes:
    """One row per warning, a title row, frozen headers, and the account and time in the
    page header and footer (a printed or forwarded sheet carries who exported it)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("督办单")
    head = wb.add_format({"bold": True, "bg_color": "#1f4e79", "font_color": "white", "border": 1,
                          "text_wrap": True, "valign": "vcenter"})
    cell = wb.add_format({"border": 1, "valign": "top", "text_wrap": True})
    date_fmt = wb.add_format({"border": 1, "valign": "top", "num_format": "yyyy-mm-dd"})
    red = wb.add_format({"border": 1, "font_color": "#c0392b", "bold": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    stamp = f"{account} 导出于 {datetime.now():%Y-%m-%d %H:%M}"
    ws.set_header(f"&L{title}&R{stamp}")
    ws.set_footer(f"&L截至 {as_of}&C第 &P 页 共 &N 页&R{stamp}")
    cols = [c for c in COLUMNS if show_persons or c[0] != "person"]
    headers = ["序号"] + [h for _, h, _ in cols] + ["督办意见", "反馈时限"]
    ws.write(0, 0, f"{title}（截至 {as_of}）", title_fmt)
    ws.write_row(2, 0, headers, head)
    ws.set_column(0, 0, 5)
    for i, (_, _, width) in enumerate(cols, start=1):
        ws.set_column(i, i, width)
    ws.set_column(len(cols) + 1, len(cols) + 2, 18)
    for r, row in enumerate(warnings.iter_rows(named=True), start=3):
        ws.write_number(r, 0, r - 2, cell)
        for c, (col, _, _) in enumerate(cols, start=1):
            value = row.get(col)
            if value is None:
                ws.write_blank(r, c, None, cell)
            elif col == "due_on":
                ws.write_datetime(r, c, datetime(value.year, value.month, value.day), date_fmt)
            elif col == "level" and value == "红":
                ws.write_string(r, c, value, red)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value, cell)
            else:
                ws.write_string(r, c, str(value), cell)
        ws.write_blank(r, len(cols) + 1, None, cell)
        ws.write_blank(r, len(cols) + 2, None, date_fmt)
    ws.freeze_panes(3, 0)
    ws.autofilter(2, 0, max(2, warnings.height + 2), len(headers) - 1)
    wb.close()
    return buf.getvalue()
