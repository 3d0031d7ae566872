"""The detail tables staff filter and export: one table's rows within scope and filters, with
the region path, searchable. The period applies to each table's main date (cases by filing,
complaints by receipt, rectifications by assignment); `open_only` keeps unfinished records of
any date instead."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import polars as pl

from queries import filters as flt
from queries import forms
from queries import ledger_headers as lh
from queries import warnings as W
from queries.filters import Filters, Scope, in_scope
from queries.regions import with_region_path
from queries.schema import MAIN_DATE, Tables, polars_schema
from queries.warnings_config import WarningConfig

DONE_DATE = {"cases": "closed_on", "complaints": "closed_on", "rectifications": "completed_on"}
PATH = ("district", "township", "village")


ROW = "_row"


DUE_FILTERS = ("", "overdue", "due_soon")  # 全部 · 逾期 · 临期 (rectifications)


def match_index(tables: Tables, table: str, filters: Filters, scope: Scope, as_of: date, search: str = "",
                open_only: bool = False, due: str = "", cfg: WarningConfig | None = None) -> pl.Series:
    """Positions in the ledger frame of the rows that match, newest first.

    `due` (rectifications): "overdue" keeps the items 逾期 at as_of, "due_soon" those 临期 (due
    within R2's days of `cfg`): the very tests of warnings R1 / R2, over items of any date
    (a stock at as_of, like `open_only`).

    A page shows 50 of maybe millions of matches, so a filter change computes only which rows
    match (on the metric engine's compact copy: a region is an integer range there) and the
    rows themselves are gathered for the page shown or for an export. Ledgers loaded by
    `queries.store` are already sorted newest first, so the matches need no sort."""
    lf = tables.facts.scan(table, filters, scope, row_index=ROW)
    if due not in DUE_FILTERS or (due and table != "rectifications"):
        raise ValueError(f"未知的到期筛选：{due}（仅整改事项可按逾期 / 临期筛选）")
    if due:
        test = W.rect_overdue(as_of) if due == "overdue" else W.rect_due_soon(as_of, cfg or WarningConfig())
        lf = lf.filter(test)
    elif open_only:
        done = DONE_DATE[table]
        lf = lf.filter(pl.col(done).is_null() | (pl.col(done) > as_of))
    else:
        lf = lf.filter(flt.in_period(MAIN_DATE[table], filters.start, filters.end))
    index = lf.select(ROW).collect().to_series()
    frame = getattr(tables, table)
    if search.strip():
        index = _search(tables, table, frame, index, search.strip())
    if not frame[MAIN_DATE[table]].flags["SORTED_DESC"]:
        index = (pl.DataFrame({ROW: index, "_d": frame[MAIN_DATE[table]].gather(index)})
                 .sort("_d", descending=True, nulls_last=True, maintain_order=True)[ROW])
    return index


def _search(tables: Tables, table: str, frame: pl.DataFrame, index: pl.Series, needle: str) -> pl.Series:
    """The matches whose text or district / township / village name contains the needle,
    ignoring case. Names are matched on the small region table, then by code."""
    pattern = "(?i)" + re.escape(needle)
    paths = with_region_path(tables.regions.lazy().select(pl.col("code").alias("region_code")), tables.regions)
    named = (paths.filter(pl.any_horizontal([pl.col(c).str.contains(pattern) for c in PATH]).fill_null(False))
             .select("region_code").collect().to_series())
    text_cols = [c for c, t in polars_schema(table).items() if t in (pl.String, pl.Categorical)]
    hit = pl.any_horizontal([pl.col(c).cast(pl.String).str.contains(pattern) for c in text_cols]).fill_null(False)
    if not tables.facts.codes.is_in(tables.regions["code"].implode()).all():
        # Codes missing from the region table (fixtures only: imports refuse them) get their
        # names from their prefixes, so match those rows the slow way.
        pathed = with_region_path(frame.with_row_index(ROW)[index].lazy(), tables.regions)
        return (pathed.filter(hit | pl.any_horizontal([pl.col(c).str.contains(pattern) for c in PATH]).fill_null(False))
                .select(ROW).sort(ROW).collect().to_series())
    return (frame.with_row_index(ROW)[index].lazy()
            .filter(hit | pl.col("region_code").is_in(named.implode()))
            .select(ROW).collect().to_series())


def rows(tables: Tables, table: str, index: pl.Series) -> pl.DataFrame:
    """The rows at `index` (from `match_index`), in that order, with their region path."""
    return with_path(tables, getattr(tables, table).select(list(polars_schema(table)))[index])


def with_path(tables: Tables, rows: pl.DataFrame) -> pl.DataFrame:
    """District / township / village names in front of the rows, their order kept."""
    cols = [c for c in rows.columns if c not in PATH]
    return (with_region_path(rows.lazy().with_row_index(ROW), tables.regions)
            .sort(ROW).select(*PATH, *cols).collect())


def detail(tables: Tables, table: str, filters: Filters, scope: Scope, as_of: date, search: str = "",
           open_only: bool = False) -> pl.DataFrame:
    """Every matching row with its region path: what an export and the CLI write."""
    return rows(tables, table, match_index(tables, table, filters, scope, as_of, search, open_only))



# --- a case's persons and link events (涉案人员 · 五个环节记录) ----------------------------------

# What a persons export and the case panel carry, in ledger order: every stored column (a blank
# region or date is the case's, as imported) and the derived 四种形态 under the importer's header,
# in the importer's words, so the exported sheet imports back unchanged (queries.ingest checks it
# against the measures). No column names a person: person_id is pseudonymous.
PERSON_COLUMNS = (*polars_schema("persons"), lh.STATED_FORM)
EVENT_COLUMNS = tuple(polars_schema("link_events"))
FORM_WORDS = {1: "第一种形态", 2: "第二种形态", 3: "第三种形态", 4: "第四种形态"}
_EFFECTIVE = "_effective_region"
_ORDER = "_case_order"


def _of_cases(tables: Tables, table: str, case_ids: Sequence[str] | pl.Series, scope: Scope) -> pl.DataFrame:
    """The rows of `table` (persons or link_events) belonging to `case_ids` and lying inside `scope`
    where their own region code, or when blank their case's, says (the rule imports are checked
    by, queries/jurisdiction.py): a case in scope whose row names another region keeps it out.
    In the cases' order, a case's persons by id and its events by date; the region path of the
    effective region in front."""
    ids = pl.Series("case_id", list(case_ids), dtype=pl.String)
    order = pl.DataFrame({"case_id": ids, _ORDER: pl.Series(range(ids.len()), dtype=pl.UInt32)})
    order = order.unique("case_id", keep="first", maintain_order=True)
    case_regions = tables.cases.select("case_id", pl.col("region_code").alias("_case_region"))
    frame = getattr(tables, table).select(list(polars_schema(table)))
    key = "person_id" if table == "persons" else "event_id"
    within_case = [key] if table == "persons" else ["held_on", key]
    picked = (frame.join(order, on="case_id", how="inner")
              .join(case_regions, on="case_id", how="left")
              .with_columns(pl.coalesce("region_code", "_case_region").alias(_EFFECTIVE))
              .filter(in_scope(scope, _EFFECTIVE).fill_null(False))
              .sort(_ORDER, *within_case, nulls_last=True))
    paths = (with_region_path(picked.lazy().select(pl.col(_EFFECTIVE).alias("region_code"), pl.col(key).alias("_k")),
                              tables.regions).select("_k", *PATH).collect())
    return (picked.join(paths, left_on=key, right_on="_k", how="left", maintain_order="left")
            .drop(_ORDER, "_case_region", _EFFECTIVE))


def case_persons(tables: Tables, case_ids: Sequence[str] | pl.Series, scope: Scope) -> pl.DataFrame:
    """The persons of `case_ids` inside `scope` (`_of_cases`): the region path, PERSON_COLUMNS."""
    rows = _of_cases(tables, "persons", case_ids, scope)
    form = forms.form_expr().replace_strict(FORM_WORDS, default=None, return_dtype=pl.String)
    return rows.with_columns(form.alias(lh.STATED_FORM)).select(*PATH, *PERSON_COLUMNS)


def case_events(tables: Tables, case_ids: Sequence[str] | pl.Series, scope: Scope) -> pl.DataFrame:
    """The link events of `case_ids` inside `scope` (`_of_cases`), the case's in date order."""
    rows = _of_cases(tables, "link_events", case_ids, scope)
    return rows.select(*PATH, *EVENT_COLUMNS)


def with_disposition(tables: Tables, index: pl.Series, dispositions: Sequence[str]) -> pl.Series:
    """The complaint rows of `index` (from `match_index`) disposed by one of `dispositions`
    (处置方式 words; "" for a complaint not yet disposed), their order kept. None given: all."""
    if not dispositions:
        return index
    words = [d for d in dispositions if d]
    shown = tables.complaints["disposition"].cast(pl.String).gather(index)
    keep = shown.is_in(pl.Series(words, dtype=pl.String).implode()).fill_null(False)
    if "" in dispositions:
        keep = keep | shown.is_null()
    return index.filter(keep)
