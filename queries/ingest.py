"""Reading the ledgers staff keep (LEDGERS.md) into the schema, checking the whole file first.

Every sheet becomes an all-text frame with its Excel row numbers; the header row is found below
any title rows; columns are matched by their (normalised) Chinese headers; values are parsed in
polars, vectorised, so a million-row CSV is checked in seconds. Every problem is collected as
行 · 列 · 值 · 问题 and nothing is written unless there are none.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from queries import ledger_headers as lh
from queries.regions import level_of, normalize_code
from queries.schema import LEVELS, PREFIX_LEN, conform, polars_schema, primary_key

ROW = "__row"
TRUE_WORDS = ("是", "Y", "YES", "1", "√", "✓", "TRUE", "匿名")
FALSE_WORDS = ("否", "N", "NO", "0", "FALSE", "署名", "")
# The level words real region ledgers write (LEDGERS.md "Region levels as real ledgers write
# them"), each to one of the four levels; anything else is an error on its row, never a blank level.
LEVEL_WORDS: dict[str, str] = {
    **dict.fromkeys(("市", "地级市", "地区", "自治州", "盟", "city"), "city"),
    **dict.fromkeys(("区县", "区", "县", "市辖区", "县级市", "自治县", "旗", "自治旗", "林区", "特区", "district"),
                    "district"),
    **dict.fromkeys(("乡镇", "街道", "街道办事处", "镇", "乡", "民族乡", "苏木", "民族苏木", "地区办事处", "township"),
                    "township"),
    **dict.fromkeys(("村", "社区", "村委会", "村民委员会", "居委会", "居民委员会", "社区居委会", "嘎查", "village"),
                    "village"),
}


@dataclass
class Problem:
    sheet: str
    row: int | None
    column: str
    value: str
    message: str

    def line(self) -> str:
        row = f"第{self.row}行" if self.row else "—"
        return f"{self.sheet} · {row} · {self.column or '—'} · {self.value or '—'} · {self.message}"


@dataclass
class Ingested:
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sheets: list[tuple[str, str, int]] = field(default_factory=list)  # (sheet, table, rows)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.frames)


# --- reading ---------------------------------------------------------------------------------

def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    s = str(v).strip()
    return s or None


def _sheets_xlsx(data: bytes) -> list[tuple[str, pl.DataFrame]]:
    """Every sheet as text with its real Excel row numbers (blank rows keep their numbers)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = []
    for ws in wb.worksheets:
        rows = []
        width = 0
        for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_text(v) for v in values]
            width = max(width, len(cells))
            rows.append((i, cells))
        cols = {ROW: [i for i, _ in rows]}
        for c in range(width):
            cols[f"c{c}"] = [cells[c] if c < len(cells) else None for _, cells in rows]
        out.append((ws.title, pl.DataFrame(cols, schema={ROW: pl.Int64, **{f"c{c}": pl.String for c in range(width)}})))
    wb.close()
    return out


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError("无法识别的文本编码（应为 UTF-8 或 GBK）")


def _sheet_csv(data: bytes) -> pl.DataFrame:
    text = _decode(data)
    if "\x00" in text:
        raise ValueError("不是文本格式的 CSV 文件")
    df = pl.read_csv(io.StringIO(text), has_header=False, infer_schema_length=0, truncate_ragged_lines=True,
                     quote_char='"')
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    return df.with_columns([pl.col(c).str.strip_chars().replace("", None) for c in df.columns]).with_row_index(
        ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def read_sheets(name: str, data: bytes) -> list[tuple[str, pl.DataFrame]]:
    """(sheet name, raw text frame) pairs; a CSV is one sheet named after its file."""
    if not data:
        raise ValueError("文件为空")
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        if not data.startswith(b"PK"):
            raise ValueError("文件扩展名为 .xlsx，但内容不是 Excel 工作簿")
        try:
            return _sheets_xlsx(data)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
            raise ValueError(f"无法读取 Excel 文件：{exc}") from None
    if suffix in (".csv", ".txt"):
        try:
            return [(Path(name).stem, _sheet_csv(data))]
        except pl.exceptions.PolarsError as exc:
            raise ValueError(f"无法读取 CSV 文件：{str(exc).splitlines()[0]}") from None
    raise ValueError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请上传 .xlsx 或 .csv 台账")


def table_for(sheet: str, file_name: str) -> str | None:
    for text in (sheet, Path(file_name).stem):
        for hint, table in lh.TABLE_HINTS:
            if hint in text:
                return table
    return None


# --- header and values -------------------------------------------------------------------------

def _find_header(raw: pl.DataFrame, table: str) -> tuple[int, dict[str, tuple[str, str]]] | None:
    """The first row within the top 10 that names at least two known columns (title rows and
    merged cells above it are skipped). Returns (index, {raw col: (column, header text)})."""
    known = lh.lookup(table) if table in lh.HEADERS else {"原代码": "old", "新代码": "new", "生效日期": "since"}
    cols = [c for c in raw.columns if c != ROW]
    for i, row in enumerate(raw.head(10).iter_rows(named=True)):
        found = {c: (known[lh.normalize(row[c])], row[c]) for c in cols
                 if row[c] is not None and lh.normalize(row[c]) in known}
        if len(found) >= 2:
            return i, found
    return None


_DATE_RE = r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?(?:[ T].*)?$"


def parse_dates(col: pl.Expr) -> pl.Expr:
    """2023-05-03, 2023/5/3, 2023.5.3, 2023年5月3日, 2023年5月 / 2023-05 (first of month), and
    Excel serial numbers; anything else becomes null (and is reported by the caller)."""
    parts = col.str.extract_groups(_DATE_RE)
    day = parts.struct.field("3").fill_null("1")
    text_date = pl.concat_str([parts.struct.field("1"), parts.struct.field("2").str.zfill(2), day.str.zfill(2)],
                              separator="-").str.to_date("%Y-%m-%d", strict=False)  # 2023-02-30 → null
    serial = col.cast(pl.Float64, strict=False)
    serial_date = pl.when(serial.is_between(1, 80000) & col.str.contains(r"^\d+(\.0+)?$")).then(
        pl.lit(date(1899, 12, 30)) + pl.duration(days=serial.cast(pl.Int64)))
    return pl.coalesce(text_date, serial_date)


def parse_bool(col: pl.Expr) -> pl.Expr:
    up = col.fill_null("").str.strip_chars().str.to_uppercase()
    return pl.when(up.is_in(TRUE_WORDS)).then(True).when(up.is_in(FALSE_WORDS)).then(False)


def parse_number(col: pl.Expr) -> pl.Expr:
    return col.str.replace_all(r"[,，\s]", "").str.replace(r"[%％]$", "").cast(pl.Float64, strict=False)


# --- one sheet ----------------------------------------------------------------------------------

def _parse_sheet(sheet: str, table: str, raw: pl.DataFrame, problems: list[Problem]) -> pl.DataFrame | None:
    header = _find_header(raw, table)
    if header is None:
        problems.append(Problem(sheet, None, "", "", "找不到表头行（应包含规范的中文列名，如“案件编号”“区划代码”）"))
        return None
    idx, mapping = header
    # Refuse complainant-identifying columns, naming them.
    header_row = raw.row(idx, named=True)
    for c in raw.columns:
        text = header_row.get(c) if c != ROW else None
        if not text:
            continue
        banned = lh.IDENTIFYING_ANYWHERE + (lh.IDENTIFYING_IN_COMPLAINTS if table == "complaints" else ())
        hit = next((b for b in banned if b in text and c not in mapping), None)
        if hit:
            problems.append(Problem(sheet, int(header_row[ROW]), text, "",
                                    f"含有可识别举报人身份的列“{text}”，依法不得导入，请删除该列后重新导入"))
    body = raw.slice(idx + 1)
    data_cols = list(mapping)
    body = body.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in data_cols]))
    body = body.filter(~pl.any_horizontal([pl.col(c).str.replace_all(r"\s", "").is_in(["合计", "总计", "小计"])
                                           .fill_null(False) for c in data_cols[:3]]))
    if table == "code_changes":
        return body.select(pl.col(ROW), *[pl.col(c).alias(mapping[c][0]) for c in data_cols])
    seen: dict[str, str] = {}
    for c, (column, text) in mapping.items():
        if column in seen:
            problems.append(Problem(sheet, int(header_row[ROW]), text, "", f"与“{seen[column]}”重复表示同一列"))
        seen[column] = text
    missing = [col for col in lh.REQUIRED[table] if col not in seen and not (col == "region_code" and _has_name_path(header_row))]
    for col in missing:
        problems.append(Problem(sheet, int(header_row[ROW]), lh.canonical(table, col), "", "缺少必填列"))
    if missing:
        return None
    renamed = body.select(pl.col(ROW), *[pl.col(c).alias(mapping[c][0]) for c in data_cols])
    names = {column: text for c, (column, text) in mapping.items()}
    typed = _typed(sheet, table, renamed, names, problems, header_row)
    if "region_code" not in seen:
        path_cols = {_PATH_HEADERS[lh.normalize(v)]: c for c, v in header_row.items()
                     if c != ROW and v and lh.normalize(v) in _PATH_HEADERS}
        typed = typed.with_columns([body[c].alias(f"_path_{level}") for level, c in path_cols.items()])
    return typed


_PATH_HEADERS = {"区县": "district", "区(县)": "district", "乡镇": "township", "乡镇(街道)": "township",
                 "街道": "township", "村": "village", "村(社区)": "village", "社区": "village"}


def _has_name_path(header_row: dict) -> bool:
    levels = {_PATH_HEADERS[lh.normalize(v)] for k, v in header_row.items()
              if k != ROW and v and lh.normalize(v) in _PATH_HEADERS}
    return {"district", "township"} <= levels


def _resolve_paths(frame: pl.DataFrame, regions: pl.DataFrame, sheet: str, problems: list[Problem]) -> pl.DataFrame:
    """区县/乡镇/村 names → the lowest region's code, each step looked up under its parent."""
    by_parent = {(p, n): c for c, n, p in regions.select("code", "name", "parent_code").iter_rows()}
    city = regions.filter(pl.col("level") == "city")["code"]
    root = city[0] if city.len() else None
    codes = []
    for row in frame.iter_rows(named=True):
        parent, code, shown = root, None, []
        for level in ("district", "township", "village"):
            name = row.get(f"_path_{level}")
            if not name:
                continue
            shown.append(name)
            code = by_parent.get((parent, name))
            if code is None:
                problems.append(Problem(sheet, row[ROW], "区县/乡镇/村", "/".join(shown), "区划名称无法匹配"))
                break
            parent = code
        codes.append(code)
    return frame.with_columns(pl.Series("region_code", codes, dtype=pl.String)).drop(
        [c for c in frame.columns if c.startswith("_path_")])


def _typed(sheet: str, table: str, df: pl.DataFrame, names: dict[str, str], problems: list[Problem],
           header_row: dict) -> pl.DataFrame:
    schema = polars_schema(table)
    exprs = [pl.col(ROW)]
    checks: list[tuple[str, pl.Expr, str]] = []  # (column, bad-row predicate, message)
    for column in df.columns:
        if column == ROW or column not in schema:
            continue
        dtype = schema[column]
        src = pl.col(column)
        header = names.get(column, column)
        if dtype == pl.Date:
            parsed = parse_dates(src)
            checks.append((column, src.is_not_null() & parsed.is_null(), "日期无法识别"))
        elif dtype == pl.Boolean:
            parsed = parse_bool(src)
            if column == "anonymous" and lh.normalize(header) == "署名方式":
                parsed = pl.when(src == "匿名").then(True).when(src == "署名").then(False)
            checks.append((column, src.is_not_null() & parsed.is_null(), "应为 是/否"))
        elif dtype in (pl.Float64, pl.Int64):
            parsed = parse_number(src)
            checks.append((column, src.is_not_null() & parsed.is_null(), "应为数字"))
            if lh.unit_of(header) == "元":
                parsed = parsed / 10_000
            if column == "progress_pct":
                pass  # fraction or percent decided on the whole column below
            elif dtype == pl.Int64:
                checks.append((column, parsed < 0, "不能为负数"))
                parsed = parsed.round(0).cast(pl.Int64, strict=False)
            elif column in ("amount_involved", "amount_recovered", "funds_recovered"):
                checks.append((column, parsed < 0, "金额不能为负数"))
        else:
            parsed = src
        exprs.append(parsed.alias(column))
    for column, bad, message in checks:
        hits = df.filter(bad)
        for r in hits.select(ROW, column).head(200).iter_rows():
            problems.append(Problem(sheet, r[0], names.get(column, column), r[1], message))
    out = df.select(exprs)
    if "progress_pct" in out.columns:
        p = out["progress_pct"].drop_nulls()
        if p.len() and p.max() <= 1:
            out = out.with_columns(pl.col("progress_pct") * 100)
        for r in out.filter(~pl.col("progress_pct").is_between(0, 100)).select(ROW, "progress_pct").head(200).iter_rows():
            problems.append(Problem(sheet, r[0], names.get("progress_pct", "进度"), f"{r[1]:g}", "进度应在 0–100 之间"))
    return out


# --- whole file ---------------------------------------------------------------------------------

def _codes(series: pl.Series, sheet: str, header: str, rows: pl.Series, problems: list[Problem],
           changes: dict[str, str]) -> pl.Series:
    out = []
    for value, row in zip(series.to_list(), rows.to_list()):
        if value is None:
            out.append(None)
            continue
        try:
            code = normalize_code(value)
        except ValueError:
            problems.append(Problem(sheet, row, header, value, "区划代码应为6、9或12位数字"))
            out.append(None)
            continue
        out.append(changes.get(code, code))
    return pl.Series(series.name, out, dtype=pl.String)


def _region_levels(frame: pl.DataFrame, sheet: str, problems: list[Problem]) -> pl.DataFrame:
    """层级 words to the four levels; a blank (or absent) level is read from the code itself, and a
    blank 上级代码 from the code's prefix (the tree roll-ups go by). An unknown word is an error
    on its row: a silently empty level would drop the region out of every roll-up."""
    if "level" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("level"))
    word = pl.col("level").str.replace_all(r"\s", "")
    known = word.str.to_lowercase().replace_strict(LEVEL_WORDS, default=None)
    from_code = pl.col("code").map_elements(level_of, return_dtype=pl.String)
    for row, value in frame.filter(word.is_not_null() & (word != "") & known.is_null()).select(ROW, "level").iter_rows():
        problems.append(Problem(sheet, row, "层级", value, "无法识别的层级（应为 市/区/县/县级市/街道/镇/乡/村/社区 等）"))
    level = pl.when(word.is_null() | (word == "")).then(
        pl.when(pl.col("code").is_not_null()).then(from_code)).otherwise(known)
    frame = frame.with_columns(level.alias("level"))
    parent = pl.col("code").map_elements(_parent_from_code, return_dtype=pl.String)
    if "parent_code" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("parent_code"))
    return frame.with_columns(pl.coalesce("parent_code", parent).alias("parent_code"))


def _parent_from_code(code: str) -> str | None:
    """The region one level up by code prefix (None for the city)."""
    level = level_of(code)
    if level == "city":
        return None
    return code[:PREFIX_LEN[LEVELS[LEVELS.index(level) - 1]]].ljust(12, "0")


_KEPT_ON_REIMPORT = ("lon", "lat", "population", "key_watch")


def _keep_known(frame: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """A re-imported region keeps what the new file does not say: columns the file lacks, and
    label points (经度/纬度) left blank, which may have been computed from the boundaries. What
    the file does say (names, levels, populations, 提级监督) replaces the stored values."""
    if known.is_empty():
        return frame
    old = known.select("code", *[pl.col(c).alias(f"_old_{c}") for c in _KEPT_ON_REIMPORT])
    out = frame.join(old, on="code", how="left", maintain_order="left")
    fills = []
    for c in _KEPT_ON_REIMPORT:
        if c not in frame.columns:
            fills.append(pl.col(f"_old_{c}").alias(c))
        elif c in ("lon", "lat"):
            fills.append(pl.coalesce(c, f"_old_{c}").alias(c))
    return out.with_columns(fills).drop([f"_old_{c}" for c in _KEPT_ON_REIMPORT])


def ingest(files: list[tuple[str, bytes]], known_regions: pl.DataFrame) -> Ingested:
    """Read and check every file; regions (区划) and code changes are applied before records."""
    result = Ingested()
    parsed: list[tuple[str, str, pl.DataFrame]] = []
    for name, data in files:
        try:
            sheets = read_sheets(name, data)
        except ValueError as exc:
            result.problems.append(Problem(name, None, "", "", str(exc)))
            continue
        usable = 0
        # When some sheets name their ledger, the others (notes, summaries) are not ledgers.
        named = any(table_for(sheet, "") for sheet, _ in sheets)
        for sheet, raw in sheets:
            label = f"{name}:{sheet}" if len(sheets) > 1 else name
            table = table_for(sheet, "" if named else name)
            if table is None or raw.height == 0:
                continue
            frame = _parse_sheet(label, table, raw, result.problems)
            if frame is not None:
                parsed.append((label, table, frame))
                usable += 1
        if usable == 0 and not any(p.sheet.startswith(name) for p in result.problems):
            result.problems.append(Problem(name, None, "", "", "文件中没有可识别的台账工作表（工作表名或文件名应含 案件/信访/整改/进度/区划）"))

    changes: dict[str, str] = {}
    for label, table, frame in parsed:
        if table == "code_changes":
            for row, old, new in frame.select(ROW, "old", "new").iter_rows():
                try:
                    changes[normalize_code(old)] = normalize_code(new)
                except (ValueError, TypeError):
                    result.problems.append(Problem(label, row, "原代码/新代码", f"{old}/{new}", "区划代码无效"))

    regions_known = set(known_regions["code"].to_list()) if known_regions.height else set()
    frames: dict[str, list[pl.DataFrame]] = {}
    for label, table, frame in parsed:
        if table != "regions":
            continue
        frame = frame.with_columns(_codes(frame["code"], label, "区划代码", frame[ROW], result.problems, {}))
        if "parent_code" in frame.columns:
            frame = frame.with_columns(_codes(frame["parent_code"], label, "上级代码", frame[ROW], result.problems, {}))
        frame = _region_levels(frame, label, result.problems)
        frame = _keep_known(frame, known_regions)
        regions_known |= set(frame["code"].drop_nulls().to_list())
        frames.setdefault("regions", []).append(frame)

    all_regions = pl.concat([known_regions.select("code", "name", "parent_code", "level"),
                             *[f.select("code", "name", "parent_code", "level") for f in frames.get("regions", [])]],
                            how="vertical_relaxed") if known_regions.height or frames.get("regions") else known_regions
    for label, table, frame in parsed:
        if table in ("regions", "code_changes"):
            continue
        if "region_code" not in frame.columns and any(c.startswith("_path_") for c in frame.columns):
            before = len(result.problems)
            frame = _resolve_paths(frame, all_regions, label, result.problems)
            if len(result.problems) == before:
                for row in frame.filter(pl.col("region_code").is_null())[ROW].head(200).to_list():
                    result.problems.append(Problem(label, row, "区县/乡镇/村", "", "缺少区划"))
        elif "region_code" in frame.columns:
            header = "区划代码"
            frame = frame.with_columns(_codes(frame["region_code"], label, header, frame[ROW], result.problems, changes))
            unknown = frame.filter(pl.col("region_code").is_not_null() & ~pl.col("region_code").is_in(list(regions_known)))
            for row, code in unknown.select(ROW, "region_code").head(200).iter_rows():
                result.problems.append(Problem(label, row, header, code, "区划代码不存在（请先导入区划）"))
            for row in frame.filter(pl.col("region_code").is_null())[ROW].head(200).to_list():
                result.problems.append(Problem(label, row, header, "", "缺少区划代码"))
        key = primary_key(table)
        for col in key:
            if col in frame.columns:
                for row in frame.filter(pl.col(col).is_null())[ROW].head(200).to_list():
                    result.problems.append(Problem(label, row, lh.canonical(table, col), "", "必填项为空"))
        frames.setdefault(table, []).append(frame)

    for table, parts in frames.items():
        merged = pl.concat(parts, how="diagonal_relaxed")
        key = primary_key(table)
        dup = merged.filter(pl.struct(key).is_duplicated() & pl.all_horizontal([pl.col(k).is_not_null() for k in key]))
        for row, *vals in dup.select(ROW, *key).head(200).iter_rows():
            result.problems.append(Problem(table_label(table), row, lh.canonical(table, key[0]),
                                           "/".join(str(v) for v in vals), "编号在文件中重复"))
        result.sheets.append(("、".join(sorted({label for label, t, _ in parsed if t == table})), table, merged.height))
        result.frames[table] = conform(table, merged.drop(ROW))
    if not result.frames and not result.problems:
        result.problems.append(Problem("", None, "", "", "文件中没有数据行"))
    return result


def table_label(table: str) -> str:
    return {"regions": "区划", "cases": "案件", "complaints": "信访举报", "rectifications": "整改事项",
            "progress_updates": "进度月报"}.get(table, table)


def read_paths(paths: list[str], known_regions: pl.DataFrame) -> Ingested:
    files = []
    for p in paths:
        path = Path(p)
        files.append((path.name, path.read_bytes()))
    return ingest(files, known_regions)



# --- large CSV files: checked and written batch by batch, memory bounded by the batch size ----------

STREAM_THRESHOLD_BYTES = 20 * 1024 * 1024


def _utf8_path(path: Path, tmpdir: Path) -> Path:
    """The file itself if it is UTF-8; else a UTF-8 copy transcoded from GBK in small pieces."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    try:
        head.decode("utf-8")
        return path
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut at the boundary
            return path
    out = tmpdir / "utf8.csv"
    import codecs

    with path.open("rb") as src, out.open("w", encoding="utf-8") as dst:
        reader = codecs.getreader("gb18030")(src)
        while chunk := reader.read(1 << 20):
            dst.write(chunk)
    return out


def _batches(path: Path, skip: int, first_row: int, batch_rows: int):
    """Raw text batches with Excel-style row numbers, after the header."""
    lf = pl.scan_csv(path, has_header=False, infer_schema=False, skip_rows=skip, truncate_ragged_lines=True,
                     encoding="utf8-lossy")
    row = first_row
    for batch in lf.collect_batches(chunk_size=batch_rows):
        batch = batch.rename({c: f"c{i}" for i, c in enumerate(batch.columns)})
        batch = batch.with_columns([pl.col(c).str.strip_chars().str.strip_chars("\ufeff").replace("", None)
                                    for c in batch.columns])
        batch = batch.with_columns(pl.int_range(row, row + batch.height, dtype=pl.Int64).alias(ROW))
        row += batch.height
        yield batch


def stream_csv(path: str | Path, known_regions: pl.DataFrame, batch_rows: int = 200_000,
               max_problems: int = 1000) -> tuple[str, list[Problem], "object"]:
    """Check a large single-ledger CSV in batches. Returns (table, problems, batches) where
    `batches()` yields the typed, conformed frames for writing (call only when there are no
    problems; it reads the file again rather than keeping it in memory)."""
    import tempfile

    path = Path(path)
    label = path.name
    table = table_for(path.stem, path.name)
    if table is None or table in ("regions", "code_changes"):
        return "", [Problem(label, None, "", "", "大文件导入仅支持单一台账的 CSV（文件名应含 案件/信访/整改/进度）")], None
    tmpdir = Path(tempfile.mkdtemp(prefix="oversight-import-"))
    source = _utf8_path(path, tmpdir)
    head = pl.read_csv(source, has_header=False, infer_schema=False, n_rows=12, truncate_ragged_lines=True,
                       encoding="utf8-lossy")
    head = head.rename({c: f"c{i}" for i, c in enumerate(head.columns)}).with_columns(
        [pl.col(f"c{i}").str.strip_chars().str.strip_chars("\ufeff").replace("", None) for i in range(head.width)])
    head = head.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    problems: list[Problem] = []
    header = _find_header(head, table)
    if header is None:
        return table, [Problem(label, None, "", "", "找不到表头行（应包含规范的中文列名）")], None
    idx = header[0]
    header_rows = head.slice(0, idx + 1)
    known = set(known_regions["code"].to_list())
    ids: set = set()
    key = primary_key(table)

    def typed_batches(collect: list[Problem]):
        for raw in _batches(source, idx + 1, idx + 2, batch_rows):
            frame = _parse_sheet(label, table, pl.concat([header_rows, raw], how="diagonal"), collect)
            if frame is None:
                return
            frame = frame.with_columns(_codes(frame["region_code"], label, "区划代码", frame[ROW], collect, {})) \
                if "region_code" in frame.columns else frame
            yield frame

    for frame in typed_batches(problems):
        if "region_code" in frame.columns:
            bad = frame.filter(pl.col("region_code").is_not_null() & ~pl.col("region_code").is_in(list(known)))
            problems += [Problem(label, r, "区划代码", c, "区划代码不存在（请先导入区划）")
                         for r, c in bad.select(ROW, "region_code").head(200).iter_rows()]
        for row, *vals in frame.select(ROW, *key).iter_rows():
            k = tuple(vals)
            if None in k:
                problems.append(Problem(label, row, lh.canonical(table, key[0]), "", "必填项为空"))
            elif k in ids:
                problems.append(Problem(label, row, lh.canonical(table, key[0]), "/".join(map(str, k)), "编号在文件中重复"))
            else:
                ids.add(k)
        if len(problems) >= max_problems:
            break
    ids.clear()

    def batches():
        for frame in typed_batches([]):
            yield conform(table, frame.drop(ROW))

    return table, problems, batches
