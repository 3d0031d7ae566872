"""Detail exports: Excel with a 导出说明 sheet and Chinese headers, and CSV with a BOM.

Headers are the canonical ledger headers, so an exported file imports back unchanged. Pure:
frames in, bytes out. xlsxwriter's constant-memory mode keeps 100,000+ rows cheap."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime

import polars as pl
import xlsxwriter

from queries import ledger_headers as lh
from queries.ingest import table_label
from queries.schema import polars_schema

PATH_HEADERS = {"district": "区县", "township": "乡镇（街道）", "village": "村（社区）"}
MONEY = {"amount_involved", "amount_recovered", "funds_recovered"}
# A text cell starting with one of these is read as a formula by Excel, LibreOffice and WPS
# when the file is a CSV (`=HYPERLINK(…)` sends a click outside, `=1+1` computes).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"


def neutralise(text: str) -> str:
    """The rule for one text cell: a leading apostrophe keeps a would-be formula as text."""
    return "'" + text if text.startswith(FORMULA_START) else text


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """`neutralise` on every text column; numbers, dates and booleans keep their type, so a
    negative amount stays a number."""
    texts = [c for c, t in frame.schema.items() if t in (pl.String, pl.Categorical, pl.Enum)]
    return frame.with_columns([
        pl.when(col.str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + col).otherwise(col).alias(c)
        for c in texts for col in [pl.col(c).cast(pl.String)]])


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel then opens the Chinese correctly), text cells neutralised."""
    return b"\xef\xbb\xbf" + neutralised(frame).write_csv(date_format="%Y-%m-%d").encode("utf-8")


def headers(table: str, columns: list[str]) -> list[str]:
    return [PATH_HEADERS.get(c) or lh.canonical(table, c) for c in columns]


def to_xlsx(frame: pl.DataFrame, table: str, notes: list[tuple[str, str]], stamp: str,
            progress: Callable[[int], None] | None = None) -> bytes:
    """Sheet 1 导出说明 (filters, scope, as-of, time, account, rows); sheet 2 the data with a
    frozen header, widths and number formats; the account and time in header and footer."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": True})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#1f4e79", "font_color": "white", "border": 1})
    fmt_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    fmt_money = wb.add_format({"num_format": "#,##0.00"})
    fmt_int = wb.add_format({"num_format": "#,##0"})
    about = wb.add_worksheet("导出说明")
    about.set_column(0, 0, 16)
    about.set_column(1, 1, 70)
    for r, (k, v) in enumerate(notes):
        about.write_string(r, 0, k, bold)
        about.write_string(r, 1, v)
    ws = wb.add_worksheet(table_label(table))  # the sheet name tells import which ledger it is
    ws.set_header(f"&L基层监督驾驶舱 导出&R{stamp}")
    ws.set_footer(f"&L{stamp}&R第 &P 页 共 &N 页")
    cols = frame.columns
    schema = {**polars_schema(table), **{c: pl.String for c in PATH_HEADERS}}
    for c, (name, text) in enumerate(zip(cols, headers(table, cols))):
        ws.write_string(0, c, text, head)
        width = 12 if schema.get(name) in (pl.Date, pl.Float64, pl.Int64) else 18
        ws.set_column(c, c, max(width, len(text) * 2 + 2))
    ws.freeze_panes(1, 0)
    for r, row in enumerate(frame.iter_rows(), start=1):
        if progress and r % 5000 == 0:
            progress(r)
        for c, (name, value) in enumerate(zip(cols, row)):
            if value is None:
                continue
            if isinstance(value, date):
                ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt_date)
            elif isinstance(value, bool):
                ws.write_string(r, c, "是" if value else "否")
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value, fmt_money if name in MONEY else (fmt_int if isinstance(value, int) else None))
            else:  # a typed text cell: never evaluated as a formula, so kept as it is
                ws.write_string(r, c, str(value))
    wb.close()
    return buf.getvalue()


def to_csv(frame: pl.DataFrame, table: str) -> bytes:
    """Chinese headers, 是/否 for yes/no, would-be formulas neutralised (`csv_bytes`)."""
    out = frame.with_columns([
        pl.col(c).replace_strict({True: "是", False: "否"}, return_dtype=pl.String)
        for c, t in frame.schema.items() if t == pl.Boolean])
    return csv_bytes(out.rename(dict(zip(frame.columns, headers(table, frame.columns)))))
