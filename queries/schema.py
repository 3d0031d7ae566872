"""The data model (docs/data-model.md), declared once.

Both the SQL tables (SQLAlchemy) and the polars frames are generated from the column lists here,
so storage, loading, demo data and tests can never disagree about a column's name or type.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, fields

import polars as pl
import sqlalchemy as sa

# (name, polars dtype, is primary key)
Col = tuple[str, pl.DataType, bool]

DATE = pl.Date()
STR = pl.String()
F64 = pl.Float64()
I64 = pl.Int64()
BOOL = pl.Boolean()
# Columns holding one of a few dozen values (fields, sources, channels …): categorical in
# memory, 4 bytes a row instead of a 16-byte string view (about 0.6 GB at 13M complaints);
# text in the database and in every file written.
CAT = pl.Categorical()

COLUMNS: dict[str, list[Col]] = {
    "regions": [
        ("code", STR, True), ("name", STR, False), ("level", STR, False),
        ("parent_code", STR, False), ("lon", F64, False), ("lat", F64, False),
        ("population", I64, False), ("key_watch", BOOL, False),
    ],
    "cases": [
        ("case_id", STR, True), ("region_code", STR, False), ("unit_name", STR, False),
        ("unit_type", CAT, False), ("field", CAT, False), ("problem_type", CAT, False),
        ("source", CAT, False), ("subject_rank", CAT, False),
        ("clue_received_on", DATE, False), ("filed_on", DATE, False), ("closed_on", DATE, False),
        ("party_discipline", I64, False), ("gov_sanction", I64, False),
        ("org_handling", I64, False), ("transferred_judicial", I64, False),
        ("accountability", I64, False), ("amount_involved", F64, False),
        ("amount_recovered", F64, False), ("exposed_on", DATE, False),
        ("reflection_on", DATE, False), ("revisit_on", DATE, False), ("feedback_on", DATE, False),
        # 立案人数 (null: 1) for a case without person rows; 内部通报 beside 公开曝光 (exposed_on).
        ("persons", I64, False), ("notified_on", DATE, False),
    ],
    "complaints": [
        ("complaint_id", STR, True), ("region_code", STR, False), ("received_on", DATE, False),
        ("channel", CAT, False), ("field", CAT, False), ("in_scope", BOOL, False),
        ("is_repeat", BOOL, False), ("anonymous", BOOL, False), ("due_on", DATE, False),
        ("closed_on", DATE, False), ("satisfaction", CAT, False), ("case_id", STR, False),
        ("disposition", CAT, False), ("disposed_on", DATE, False),  # 问题线索处置
    ],
    "rectifications": [
        ("item_id", STR, True), ("region_code", STR, False), ("project", CAT, False),
        ("source", CAT, False), ("description", STR, False), ("responsible_unit", STR, False),
        ("responsible_person", STR, False), ("started_on", DATE, False), ("due_on", DATE, False),
        ("progress_pct", F64, False), ("last_update_on", DATE, False),
        ("completed_on", DATE, False), ("verified_on", DATE, False),
        ("funds_recovered", F64, False), ("rules_established", I64, False), ("case_id", STR, False),
    ],
    "progress_updates": [
        ("item_id", STR, True), ("reported_on", DATE, True), ("progress_pct", F64, False),
        ("note", STR, False),
    ],
    # 涉案人员 / 处理人员: one row per person handled, with or without a case (docs/data-model.md persons).
    # person_id is pseudonymous; nulls in region_code / filed_on / decided_on mean "the case's".
    "persons": [
        ("person_id", STR, True), ("case_id", STR, False), ("region_code", STR, False),
        ("rank", CAT, False), ("party_member", BOOL, False), ("filed_on", DATE, False),
        ("decided_on", DATE, False), ("party_sanction", CAT, False), ("gov_sanction", CAT, False),
        ("org_measure", CAT, False), ("first_form_measure", CAT, False),
        ("transferred_judicial", BOOL, False), ("notified", BOOL, False), ("exposed", BOOL, False),
        ("accountable", BOOL, False),
    ],
    # 五个环节记录: the links counted as events. docs/data-model.md's `on` is stored as held_on: ON is a
    # reserved word in SQL, and the stores' plain SELECTs name columns unquoted.
    "link_events": [
        ("event_id", STR, True), ("link", CAT, False), ("held_on", DATE, False),
        ("region_code", STR, False), ("case_id", STR, False), ("times", I64, False),
    ],
}

TABLE_NAMES = tuple(COLUMNS)

# The words of the new coded columns (docs/data-model.md link_events, complaints' disposition): import
# accepts these (and the variants of queries.ingest), metrics count by them, templates offer them.
LINKS = ("通报", "曝光", "反思剖析", "回访促建", "反馈整改")
DISPOSITIONS = ("谈话函询", "初步核实", "暂存待查", "予以了结", "立案审查", "转办")
# Channels of leads that are not letters or visits (信访举报 渠道 / 线索来源).
LEAD_CHANNELS = ("巡察移交", "审计移交", "监督检查", "明查暗访", "自查自纠")

# Region levels, top to bottom, with the length of the code prefix that identifies a region at
# that level (12-digit 统计用区划代码: 2 province + 2 city + 2 county + 3 township + 3 village).
LEVELS = ("city", "district", "township", "village")
PREFIX_LEN = {"city": 4, "district": 6, "township": 9, "village": 12}


def polars_schema(table: str) -> dict[str, pl.DataType]:
    return {name: dtype for name, dtype, _ in COLUMNS[table]}


def primary_key(table: str) -> list[str]:
    return [name for name, _, pk in COLUMNS[table] if pk]


def empty_frame(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(table))


def conform(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Cast a frame read from any source to the declared schema and column order.

    SQLite hands back dates as text and booleans as 0/1; PostgreSQL hands back native types.
    One cast here makes both identical, which the cross-database tests rely on.
    """
    out = []
    for name, dtype, _ in COLUMNS[table]:
        if name not in df.columns:
            out.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        src = df.schema[name]
        col = pl.col(name)
        if dtype == DATE and src == pl.String:
            out.append(col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=True).alias(name))
        elif dtype == DATE and isinstance(src, pl.Datetime):
            out.append(col.dt.date().alias(name))
        elif dtype == BOOL and src != pl.Boolean:
            out.append(col.cast(pl.Int64).cast(pl.Boolean).alias(name))
        else:
            out.append(col.cast(dtype).alias(name))
    return df.select(out)


_SA_TYPES = {DATE: sa.Date, STR: sa.String, CAT: sa.String, F64: sa.Float, I64: sa.BigInteger, BOOL: sa.Boolean}

metadata = sa.MetaData()

SA_TABLES: dict[str, sa.Table] = {
    table: sa.Table(
        table, metadata,
        *[sa.Column(name, _SA_TYPES[dtype], primary_key=pk, nullable=not pk)
          for name, dtype, pk in cols],
    )
    for table, cols in COLUMNS.items()
}
# Indexes on the columns every read filters by.
for _t in ("cases", "complaints", "rectifications", "persons", "link_events"):
    sa.Index(f"ix_{_t}_region", SA_TABLES[_t].c.region_code)
# Persons and link events are joined to their case by the metrics (queries.persons).
for _t in ("persons", "link_events"):
    sa.Index(f"ix_{_t}_case", SA_TABLES[_t].c.case_id)

# Boundary polygons, one GeoJSON geometry per region code (demo-generated or imported).
BOUNDARY_TABLE = sa.Table(
    "boundaries", metadata,
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("geometry", sa.Text, nullable=False),
)

# Label points the store computed (from polygons, children or parent) and wrote into
# regions.lon / lat, so that a region's point is known to be ours: recomputed when its polygon
# changes, and left alone once a ledger gives the region a real 经度/纬度 (queries.geo.label_points).
LABEL_TABLE = sa.Table(
    "label_points", metadata,
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("source", sa.String, nullable=False),
)

META_TABLE = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)


# Each fact ledger's main date: the period filter of its detail table, and its stored order.
MAIN_DATE = {"cases": "filed_on", "complaints": "received_on", "rectifications": "started_on"}


def sort_newest_first(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A fact ledger newest first, the order its detail table shows. Loaded ledgers are kept
    in this order so that a detail table's matches need no sort (queries.details); other
    tables are returned as given."""
    if table not in MAIN_DATE:
        return frame
    col = MAIN_DATE[table]
    if frame[col].null_count() == 0 and frame[col].is_sorted(descending=True):
        # A snapshot is written in this order: flag it instead of copying millions of rows.
        return frame.with_columns(pl.col(col).set_sorted(descending=True))
    return frame.sort(col, descending=True, nulls_last=True, maintain_order=True)


# Guards the lazily built `Tables.facts` and `Tables.memo`.
_DERIVED_LOCK = threading.RLock()


@dataclass(frozen=True)
class Tables:
    """All ledgers as polars frames: the one input every query takes."""

    regions: pl.DataFrame
    cases: pl.DataFrame
    complaints: pl.DataFrame
    rectifications: pl.DataFrame
    progress_updates: pl.DataFrame
    persons: pl.DataFrame = None  # type: ignore[assignment] - empty when not given (older callers)
    link_events: pl.DataFrame = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        """Callers written before persons and link events existed build Tables without them:
        those ledgers are then empty, as in a store that has none."""
        for name in ("persons", "link_events"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, empty_frame(name))

    @classmethod
    def from_dicts(cls, **data: dict | list | pl.DataFrame) -> "Tables":
        """Build from partial dicts (tests): missing tables are empty, missing columns null."""
        frames = {}
        for f in fields(cls):
            raw = data.get(f.name)
            if raw is None:
                frames[f.name] = empty_frame(f.name)
            else:
                df = raw if isinstance(raw, pl.DataFrame) else pl.DataFrame(raw)
                frames[f.name] = conform(f.name, df)
        return cls(**frames)

    @property
    def facts(self):  # noqa: ANN201 - queries.facts.Facts
        """Compact copies for the metric engine, built on first use and kept with these frames
        (a new data version is a new Tables, so they can never be stale)."""
        from queries.facts import build

        return self._derived("_facts", build)

    @property
    def memo(self):  # noqa: ANN201 - queries.memo.Memo
        """Derived frames (warning inputs per as-of date), kept with these frames for the same
        reason as `facts`."""
        from queries.memo import Memo

        return self._derived("_memo", lambda _tables: Memo())

    def _derived(self, name: str, build):  # noqa: ANN001, ANN202
        """Built once under a lock, even when several first sessions ask at the same moment
        (a plain cached_property would let each build its own and keep one)."""
        with _DERIVED_LOCK:
            if name not in self.__dict__:
                object.__setattr__(self, name, build(self))  # frozen: set past the dataclass guard
            return self.__dict__[name]

    def as_dict(self) -> dict[str, pl.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
