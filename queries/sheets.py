"""Reading an uploaded workbook or CSV within the limits of `queries/limits.py`.

A spreadsheet declares its own size, and believing it is how a 1.6 KB file took 6 GB: openpyxl
pads every row to the declared `<dimension>`, and calamine (fastexcel) allocates a dense grid up
to the farthest cell, so one cell at XFD1048576 asks for 17 billion. So before any parser sees a
workbook, its zip directory is checked (part count, unzipped sizes: a zip bomb is refused from the
directory alone) and every part is unzipped once, within its declared size, into a fresh package
while the sheets' rows and cells are counted from the cells actually present (expat, no tree
kept). Only that checked package reaches calamine, so what is parsed is what was counted.
"""
from __future__ import annotations

import io
import re
import zipfile
from xml.parsers import expat

import polars as pl

from queries import limits as L

ROW = "__row"


class TooLarge(ValueError):
    """A file over one of the reading limits; the message names the limit."""


def _letters_to_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


class _SheetScan:
    """Counts a worksheet's rows and columns from its `<row>` and `<c>` elements as expat reads
    them, refusing as soon as a limit is passed (a bomb is refused at its first far cell)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.max_row = 0
        self.max_col = 0
        self._row = 0
        self._col = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rsplit(" ", 1)[-1]
        if local == "row":
            r = attrs.get("r")
            self._row = int(r) if r and r.isdigit() else self._row + 1
            self._col = 0
            if self._row > L.MAX_ROWS:
                raise TooLarge(f"文件超过 {L.MAX_ROWS:,} 行的上限（工作表“{self.name}”有第 {self._row:,} 行）")
            self.max_row = max(self.max_row, self._row)
        elif local == "c":
            m = _REF.match(attrs.get("r") or "")
            self._col = _letters_to_index(m.group(1)) if m else self._col + 1
            if m and int(m.group(2)) > L.MAX_ROWS:
                raise TooLarge(f"文件超过 {L.MAX_ROWS:,} 行的上限（工作表“{self.name}”有单元格 {attrs['r']}）")
            if self._col > L.MAX_COLUMNS:
                raise TooLarge(f"文件超过 {L.MAX_COLUMNS} 列的上限（工作表“{self.name}”第 {max(self._row, 1):,} 行"
                               f"有第 {self._col:,} 列）")
            self.max_col = max(self.max_col, self._col)


class _StringsScan:
    """Counts the shared strings: more of them than the cell limit cannot be a ledger."""

    def __init__(self) -> None:
        self.count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag.rsplit(" ", 1)[-1] == "si":
            self.count += 1
            if self.count > L.XLSX_MAX_CELLS:
                raise TooLarge(f"文件超过 {L.XLSX_MAX_CELLS:,} 个单元格的上限（共享字符串过多）")


def _parser(scan) -> expat.XMLParserType:
    p = expat.ParserCreate(namespace_separator=" ")
    p.StartElementHandler = scan.start

    def no_dtd(*_args) -> None:  # a workbook never has one; entity expansion is a known bomb
        raise ValueError("Excel 文件中含有 DTD 声明，不是正常的工作簿")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    return p


def checked_package(data: bytes) -> bytes:
    """The workbook re-packed from its own parts once they are within every limit, else
    `TooLarge` / `ValueError` with a message for the user."""
    if len(data) > L.MAX_FILE_BYTES:
        raise TooLarge(f"文件超过 {L.mb(L.MAX_FILE_BYTES)} 的上限（{L.mb(len(data))}）")
    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        infos = src.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValueError(f"无法读取 Excel 文件：{exc}") from None
    if len(infos) > L.XLSX_MAX_PARTS:
        raise TooLarge(f"文件超过 {L.XLSX_MAX_PARTS:,} 个部件的上限（{len(infos):,} 个）")
    unzipped = sum(i.file_size for i in infos)
    if unzipped > L.XLSX_MAX_UNCOMPRESSED:
        raise TooLarge(f"文件解压后超过 {L.mb(L.XLSX_MAX_UNCOMPRESSED)} 的上限（{L.mb(unzipped)}）")
    out = io.BytesIO()
    cells = 0
    with src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename
            scan = None
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                scan = _SheetScan(name.rsplit("/", 1)[-1].removesuffix(".xml"))
            elif name == "xl/sharedStrings.xml":
                scan = _StringsScan()
            parser = _parser(scan) if scan is not None else None
            try:
                with src.open(info) as fh, dst.open(name, "w") as target:
                    # The directory's size is a promise: reading stops there, so a part that
                    # inflates to more is cut off (and then fails its checksum or its XML).
                    while chunk := fh.read(1 << 20):
                        if parser is not None:
                            parser.Parse(chunk, False)
                        target.write(chunk)
                    if parser is not None:
                        parser.Parse(b"", True)
            except TooLarge:
                raise
            except (zipfile.BadZipFile, OSError, EOFError, expat.ExpatError, RuntimeError, ValueError) as exc:
                raise ValueError(f"无法读取 Excel 文件：{name}：{exc}") from None
            if isinstance(scan, _SheetScan):
                cells += scan.max_row * scan.max_col
                if cells > L.XLSX_MAX_CELLS:
                    raise TooLarge(f"文件超过 {L.XLSX_MAX_CELLS:,} 个单元格的上限（行数 × 列数）")
    return out.getvalue()


_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")


def read_xlsx(data: bytes) -> list[tuple[str, pl.DataFrame]]:
    """Every sheet as all-text columns c0, c1, … with its Excel row numbers in `__row`
    (blank rows keep their numbers), read by calamine from the checked package."""
    import fastexcel

    reader = fastexcel.read_excel(checked_package(data))
    out = []
    for name in reader.sheet_names:
        try:
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        except Exception:  # noqa: BLE001 - a chart sheet or an empty one: nothing to read
            continue
        raw = pl.DataFrame(sheet.to_arrow())
        raw = raw.rename({c: f"c{i}" for i, c in enumerate(raw.columns)})
        raw = raw.with_columns([
            pl.col(c).str.strip_chars().replace("", None).str.replace(_MIDNIGHT.pattern, "${1}")
            .replace({"true": "是", "false": "否"}) for c in raw.columns])
        out.append((name, raw.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))))
    return out


def read_csv_text(text: str) -> pl.DataFrame:
    """A CSV read whole (small files; large ones stream): at most `CSV_MAX_ROWS` rows and
    `MAX_COLUMNS` columns are parsed, and one row more means refusal."""
    first = pl.read_csv(io.StringIO(text), has_header=False, infer_schema_length=0, n_rows=1,
                        truncate_ragged_lines=True, quote_char='"')
    if first.width > L.MAX_COLUMNS:
        raise TooLarge(f"文件超过 {L.MAX_COLUMNS} 列的上限（{first.width:,} 列）")
    df = pl.read_csv(io.StringIO(text), has_header=False, infer_schema_length=0, truncate_ragged_lines=True,
                     quote_char='"', n_rows=L.CSV_MAX_ROWS + 1)
    if df.height > L.CSV_MAX_ROWS:
        raise TooLarge(f"文件超过 {L.CSV_MAX_ROWS:,} 行的上限（读到第 {L.CSV_MAX_ROWS + 1:,} 行即停止）")
    return df
