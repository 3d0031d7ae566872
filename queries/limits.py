"""Reading limits for imported files, in one place (README 数据导入 lists them).

A ledger file comes from any staff member's desk; a hostile or broken one must be refused before
it can take the server's memory or minutes of its time from everyone else. Each limit is far
above a real ledger (a township's cases for years fit in a few thousand rows and 20–30 columns)
and checked before the data is parsed: on the file's size, on the workbook's zip directory, and
on the cells actually present in each sheet (the sheet's declared dimension is never used).
CSV files larger than `STREAM_THRESHOLD_BYTES` are read in batches instead and have no row limit:
their memory is bounded by the batch.
"""
from __future__ import annotations

MAX_FILE_BYTES = 50 * 1024 * 1024           # one uploaded .xlsx or .csv read whole
XLSX_MAX_UNCOMPRESSED = 256 * 1024 * 1024   # all parts of a workbook once unzipped
XLSX_MAX_PARTS = 2_000                      # files inside the workbook's zip
MAX_ROWS = 200_000                          # rows of one sheet (Excel row number)
MAX_COLUMNS = 64                            # columns of one sheet or CSV
XLSX_MAX_CELLS = 5_000_000                  # rows × columns over all sheets (and shared strings)
CSV_MAX_ROWS = 1_000_000                    # rows of a CSV read whole
STREAM_THRESHOLD_BYTES = 20 * 1024 * 1024   # a single CSV above this is checked and written in batches


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"
