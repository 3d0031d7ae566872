"""Reading the ledgers staff keep (docs/ledgers.md) into the schema, checking the whole file first.

Every sheet becomes an all-text frame with its Excel row numbers; the header row is found below
any title rows; columns are matched by their (normalised) Chinese headers; values are parsed in
polars, vectorised, so a million-row CSV is checked in seconds. Every problem is collected as
行 · 列 · 值 · 问题 and nothing is written unless there are none.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from queries import ledger_headers as lh
from queries import forms, limits, sheets
from queries.regions import level_of, normalize_code
from queries.schema import DISPOSITIONS, LEVELS, LINKS, PREFIX_LEN, conform, polars_schema, primary_key

ROW = sheets.ROW
TRUE_WORDS = ("是", "Y", "YES", "1", "√", "✓", "TRUE", "匿名")
FALSE_WORDS = ("否", "N", "NO", "0", "FALSE", "署名", "")
# Dates that record something already done may not lie in the future: a typo (2099, 2204) would
# otherwise sit in every period forever. Deadlines (due_on) are the only planned dates. One day
# of margin for a ledger filled in late in the evening of another time zone.
PLANNED_DATES = frozenset({"due_on"})
FUTURE_MARGIN = timedelta(days=1)
# The level words real region ledgers write (docs/ledgers.md "Region levels as real ledgers write
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


SHEET = "__sheet"


@dataclass
class Ingested:
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sheets: list[tuple[str, str, int]] = field(default_factory=list)  # (sheet, table, rows)
    # What was read but not imported, said to the user beside the counts (not an error).
    notes: list[str] = field(default_factory=list)
    # Per table, the sheet label and Excel row of each row of `frames[table]`, in its order
    # (so a later check, e.g. jurisdiction, can name the row), and the columns the file has.
    origin: dict[str, pl.DataFrame] = field(default_factory=dict)
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.frames)

    def writes(self) -> dict[str, pl.DataFrame]:
        """The rows to upsert, with only the columns the file has: a column the file lacks is
        left as it is on existing records (`store.upsert` updates the columns it is given)."""
        return {t: f.select(self.columns[t]) for t, f in self.frames.items()}


# --- reading ---------------------------------------------------------------------------------

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
    df = sheets.read_csv_text(text)
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    return df.with_columns([pl.col(c).str.strip_chars().replace("", None) for c in df.columns]).with_row_index(
        ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def read_sheets(name: str, data: bytes) -> list[tuple[str, pl.DataFrame]]:
    """(sheet name, raw text frame) pairs; a CSV is one sheet named after its file."""
    if not data:
        raise ValueError("文件为空")
    if len(data) > limits.MAX_FILE_BYTES:
        raise ValueError(f"文件超过 {limits.mb(limits.MAX_FILE_BYTES)} 的上限（{limits.mb(len(data))}）")
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        if not data.startswith(b"PK"):
            raise ValueError("文件扩展名为 .xlsx，但内容不是 Excel 工作簿")
        try:
            return sheets.read_xlsx(data)
        except ValueError:
            raise  # a limit or a broken package, already worded for the user
        except Exception as exc:  # noqa: BLE001 - calamine raises many kinds for a broken file
            raise ValueError(f"无法读取 Excel 文件：{str(exc).splitlines()[0]}") from None
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

def _parse_sheet(sheet: str, table: str, raw: pl.DataFrame, problems: list[Problem],
                 today: date) -> pl.DataFrame | None:
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
        if c not in mapping and lh.identifying(text, table) and table == "persons":
            problems.append(Problem(sheet, int(header_row[ROW]), text, "",
                                    f"含有可识别被处理人员身份的列“{text}”，本系统只统计人数、不记录身份，"
                                    "请删除该列后重新导入"))
        elif c not in mapping and lh.identifying(text, table):
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
    typed = _typed(sheet, table, renamed, names, problems, today)
    typed = _coded_values(sheet, table, renamed, typed, names, problems)
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
           today: date) -> pl.DataFrame:
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
            if column not in PLANNED_DATES:
                checks.append((column, parsed > (today + FUTURE_MARGIN), f"日期晚于今天（{today.isoformat()}），不能是将来的日期"))
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


# Words staff write for a link (五个环节记录 环节) → the stored link.
LINK_WORDS = {"通报": "通报", "内部通报": "通报", "曝光": "曝光", "公开曝光": "曝光", "点名道姓曝光": "曝光",
              "反思剖析": "反思剖析", "剖析": "反思剖析", "回访促建": "回访促建", "回访": "回访促建",
              "反馈整改": "反馈整改", "反馈": "反馈整改"}
# Written in a measure column for "none".
NONE_WORDS = ("无", "—", "-", "/", "／")


def _coded_values(sheet: str, table: str, raw: pl.DataFrame, typed: pl.DataFrame, names: dict[str, str],
                  problems: list[Problem]) -> pl.DataFrame:
    """The words of the persons, link-event and disposition columns checked against their lists
    (config/forms.toml for measures), a stated 四种形态 checked against the measures, a person
    without a case given a region, an event's 次数 defaulted to 1. Each problem on its row."""
    def report(bad: pl.Expr, column: str, message: str, frame: pl.DataFrame = raw) -> None:
        for r in frame.filter(bad).select(ROW, column).head(200).iter_rows():
            problems.append(Problem(sheet, r[0], names.get(column, column), str(r[1] or ""), message))

    if table == "complaints" and "disposition" in typed.columns:
        report(pl.col("disposition").is_not_null() & ~pl.col("disposition").is_in(DISPOSITIONS), "disposition",
               f"处置方式应为 {'、'.join(DISPOSITIONS)} 之一")
    if table == "link_events":
        if "link" in typed.columns:
            typed = typed.with_columns(pl.col("link").str.strip_chars().replace_strict(LINK_WORDS, default=None))
            report(pl.col("link").is_not_null() & ~pl.col("link").str.strip_chars().is_in(list(LINK_WORDS)),
                   "link", f"环节应为 {'、'.join(LINKS)} 之一（也可写 剖析、回访、反馈）")
        if "times" in typed.columns:
            report(pl.col("times") == 0, "times", "次数应不少于 1", typed)
            typed = typed.with_columns(pl.col("times").fill_null(1))
        else:
            typed = typed.with_columns(pl.lit(1, dtype=pl.Int64).alias("times"))
    if table in ("persons", "link_events"):
        has_case = pl.col("case_id").is_not_null() if "case_id" in typed.columns else pl.lit(False)
        has_region = pl.col("region_code").is_not_null() if "region_code" in typed.columns else pl.lit(False)
        for r in typed.filter(~has_case & ~has_region)[ROW].head(200).to_list():
            problems.append(Problem(sheet, r, "区划代码", "", "没有案件编号时须填写区划代码"))
    if table != "persons":
        return typed
    table_words = forms.mapping()
    for column in forms.MEASURE_COLUMNS:
        if column in typed.columns:
            typed = typed.with_columns(pl.when(~pl.col(column).str.strip_chars().is_in(NONE_WORDS))
                                       .then(pl.col(column).str.strip_chars()).alias(column))
            report(pl.col(column).is_not_null() & ~pl.col(column).str.strip_chars().is_in([*table_words[column], *NONE_WORDS]),
                   column, f"应为 {'、'.join(table_words[column])} 之一（见 config/forms.toml）")
    if lh.STATED_FORM in raw.columns:
        measures = [typed[c] if c in typed.columns else pl.Series(c, [None] * typed.height, dtype=dtype)
                    for c, dtype in [*[(c, pl.String) for c in forms.MEASURE_COLUMNS],
                                     ("transferred_judicial", pl.Boolean)]]
        frame = pl.DataFrame(measures).with_columns(
            forms.form_expr(), raw[ROW], raw[lh.STATED_FORM].str.replace_all(r"\s", "").alias("stated"))
        frame = frame.with_columns(pl.col("stated").replace_strict(forms.STATED_WORDS, default=None,
                                                                    return_dtype=pl.Int8).alias("_stated"))
        header = names.get(lh.STATED_FORM, "四种形态")
        for r, stated, said, form in (frame.filter(pl.col("stated").is_not_null())
                                      .select(ROW, "stated", "_stated", "_form").iter_rows()):
            if said is None:
                problems.append(Problem(sheet, r, header, stated, "形态应为 第一种形态…第四种形态 或 1–4"))
            elif said != form:
                actual = f"第{'一二三四'[form - 1]}种形态" if form else "无处理措施"
                problems.append(Problem(sheet, r, header, stated, f"与本行处理措施不符（按处理措施为{actual}）"))
    return typed


# 五个环节记录 link → the case column that dates it (the per-case funnel).
LINK_COLUMNS = {"通报": "notified_on", "曝光": "exposed_on", "反思剖析": "reflection_on",
                "回访促建": "revisit_on", "反馈整改": "feedback_on"}


def link_dates(cases: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Cases whose dated link column an event moves earlier (docs/data-model.md link_events: an event with
    a case_id and an earlier date than the case's column sets it), with those columns set; only
    the cases that change. The per-case funnel and its warnings then see the events too."""
    column = LINK_COLUMNS
    if cases.is_empty() or events.is_empty():
        return cases.clear()
    first = (events.filter(pl.col("case_id").is_not_null() & pl.col("held_on").is_not_null())
             .group_by("case_id").agg([pl.col("held_on").filter(pl.col("link").cast(pl.String) == link).min().alias(f"_{col}")
                                       for link, col in column.items()]))
    joined = cases.join(first, on="case_id", how="inner")
    moved = pl.any_horizontal([pl.col(f"_{c}").is_not_null() & (pl.col(c).is_null() | (pl.col(f"_{c}") < pl.col(c)))
                               for c in column.values()])
    return joined.filter(moved).with_columns(
        [pl.min_horizontal(c, f"_{c}").alias(c) for c in column.values()]).select(cases.columns)


def carry_link_dates(result: Ingested, known_cases: pl.DataFrame) -> Ingested:
    """Apply `link_dates` to an import before it is written: to the cases of the same file, and
    to the store's cases (`known_cases`) the file's events point at, which join the write whole.

    An upsert writes only the columns the file has (`Ingested.writes`): the link columns join
    them, and a case of the file whose sheet lacks a link column keeps the stored date there
    rather than being blanked."""
    events = result.frames.get("link_events")
    if events is None or events.is_empty():
        return result
    in_file = result.frames.get("cases")
    file_cols = result.columns.get("cases")
    if in_file is not None and not in_file.is_empty() and file_cols is not None and not known_cases.is_empty():
        lacking = [c for c in LINK_COLUMNS.values() if c not in file_cols]
        if lacking:
            in_file = in_file.drop(lacking, strict=False).join(
                known_cases.select("case_id", *lacking), on="case_id", how="left", maintain_order="left")
    if in_file is not None and not in_file.is_empty():
        moved = link_dates(in_file, events)
        in_file = pl.concat([in_file.join(moved.select("case_id"), on="case_id", how="anti"), moved],
                            how="diagonal_relaxed")
        result.frames["cases"] = conform("cases", in_file)
    stored = known_cases
    if in_file is not None and not stored.is_empty():
        stored = stored.join(in_file.select("case_id"), on="case_id", how="anti")
    moved = link_dates(conform("cases", stored), events) if not stored.is_empty() else stored
    if not moved.is_empty():
        result.frames["cases"] = conform("cases", pl.concat([result.frames.get("cases", moved.clear()), moved],
                                                            how="diagonal_relaxed"))
    if "cases" in result.frames:
        # No case sheet: the rows are the store's own, whole. Else the file's columns and the links.
        base = file_cols if file_cols is not None else tuple(result.frames["cases"].columns)
        result.columns["cases"] = tuple(dict.fromkeys([*base, *LINK_COLUMNS.values()]))
    return result


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


def ingest(files: list[tuple[str, bytes]], known_regions: pl.DataFrame, *, today: date) -> Ingested:
    """Read and check every file; regions (区划) and code changes are applied before records.
    `today` bounds the dates of things done (the page and the CLI pass the wall clock)."""
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
            if raw.height == 0:
                continue
            if table is None:
                if len(sheets) > 1 and "说明" not in sheet:  # a template's 填写说明 is not a ledger
                    result.notes.append(f"未识别的工作表：{sheet}，未导入")
                continue
            frame = _parse_sheet(label, table, raw, result.problems, today)
            if frame is not None:
                parsed.append((label, table, frame))
                usable += 1
        if usable == 0 and not any(p.sheet.startswith(name) for p in result.problems):
            result.problems.append(Problem(name, None, "", "", "文件中没有可识别的台账工作表（工作表名或文件名应含 案件/信访/整改/进度/区划/人员/环节）"))

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
        frames.setdefault("regions", []).append(frame.with_columns(pl.lit(label).alias(SHEET)))

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
            missing = pl.col("region_code").is_null()
            if table in ("persons", "link_events") and "case_id" in frame.columns:
                missing = missing & pl.col("case_id").is_null()  # the case's region (reported above)
            else:
                for row in frame.filter(missing)[ROW].head(200).to_list():
                    result.problems.append(Problem(label, row, header, "", "缺少区划代码"))
        key = primary_key(table)
        for col in key:
            if col in frame.columns:
                for row in frame.filter(pl.col(col).is_null())[ROW].head(200).to_list():
                    result.problems.append(Problem(label, row, lh.canonical(table, col), "", "必填项为空"))
        frames.setdefault(table, []).append(frame.with_columns(pl.lit(label).alias(SHEET)))

    for table, parts in frames.items():
        merged = pl.concat(parts, how="diagonal_relaxed")
        key = primary_key(table)
        dup = merged.filter(pl.struct(key).is_duplicated() & pl.all_horizontal([pl.col(k).is_not_null() for k in key]))
        for row, *vals in dup.select(ROW, *key).head(200).iter_rows():
            result.problems.append(Problem(table_label(table), row, lh.canonical(table, key[0]),
                                           "/".join(str(v) for v in vals), "编号在文件中重复"))
        result.sheets.append(("、".join(sorted({label for label, t, _ in parsed if t == table})), table, merged.height))
        result.origin[table] = merged.select(SHEET, ROW)
        result.columns[table] = tuple(c for c in polars_schema(table) if c in merged.columns)
        result.frames[table] = conform(table, merged.drop(ROW, SHEET))
    if not result.frames and not result.problems:
        result.problems.append(Problem("", None, "", "", "文件中没有数据行"))
    return result


def table_label(table: str) -> str:
    return {"regions": "区划", "cases": "案件", "complaints": "信访举报", "rectifications": "整改事项",
            "progress_updates": "进度月报", "persons": "涉案人员", "link_events": "五个环节记录"}.get(table, table)


def read_paths(paths: list[str], known_regions: pl.DataFrame, *, today: date) -> Ingested:
    files = []
    for p in paths:
        path = Path(p)
        files.append((path.name, path.read_bytes()))
    return ingest(files, known_regions, today=today)



# --- large CSV files: checked and written batch by batch, memory bounded by the batch size ----------

STREAM_THRESHOLD_BYTES = limits.STREAM_THRESHOLD_BYTES


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
               max_problems: int = 1000, *, today: date,
               check_batch: Callable[[str, str, pl.DataFrame], list[Problem]] | None = None,
               ) -> tuple[str, list[Problem], "object"]:
    """Check a large single-ledger CSV in batches. Returns (table, problems, batches) where
    `batches()` yields the typed frames for writing, with the columns the file has (call only
    when there are no problems; it reads the file again rather than keeping it in memory).
    `check_batch(label, table, typed batch with its rows)` adds the caller's own checks (the
    page's jurisdiction)."""
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
            frame = _parse_sheet(label, table, pl.concat([header_rows, raw], how="diagonal"), collect, today)
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
        if check_batch is not None:
            problems += check_batch(label, table, frame)
        if len(problems) >= max_problems:
            break
    ids.clear()

    def batches():
        for frame in typed_batches([]):
            yield frame.select([c for c in polars_schema(table) if c in frame.columns])

    return table, problems, batches
