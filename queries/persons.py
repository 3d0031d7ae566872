"""Persons and link events as the metric engine reads them: each row completed from its case.

A person row leaves region, 立案日期 and 决定日期 blank when they are the case's (docs/data-model.md
persons), and 通报 / 曝光 人 count a case's flagged persons, or all of them when none is flagged.
Rather than copying case values into every person at import (stale the day the case is
re-imported), the completion is done where the metrics read: `frame` for the in-memory engine
(queries.facts), `selectable` for the PostgreSQL pushdown, with the same derived column names, so
both engines compute the same definitions (queries.metrics PARTS) on the same columns.

Derived columns: cases `_listed` (the case has person rows: its persons are counted from them,
not from its 立案人数 and count columns); persons `region_code` / `filed_on` / `decided_on`
completed, `_case_closed_on` / `_case_notified_on` / `_case_exposed_on`, `field` / `source` (the
case's, so category filters apply), `_subject` (not 一案双查 accountable), `_sanctioned`,
`_org`, `_notified`, `_exposed`, `_form` ('1'…'4'); link events `region_code` completed and the
case's `field` / `source`.
"""
from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from queries import forms
from queries.schema import SA_TABLES

LISTED = "_listed"


def frame(tables, table: str) -> pl.DataFrame:  # noqa: ANN001 - queries.schema.Tables
    """The ledger `table` with its derived columns (other ledgers as they are). Row order is kept:
    the compact fact copies index rows by position."""
    cases, persons = tables.cases, tables.persons
    if table == "cases":
        listed = persons["case_id"].drop_nulls().unique()
        return cases.with_columns(pl.col("case_id").is_in(listed.implode()).alias(LISTED))
    if table == "persons":
        case = cases.select("case_id", pl.col("region_code").alias("_c_region"), pl.col("filed_on").alias("_c_filed"),
                            pl.col("closed_on").alias("_case_closed_on"), pl.col("notified_on").alias("_case_notified_on"),
                            pl.col("exposed_on").alias("_case_exposed_on"), "field", "source")
        p = persons.join(case, on="case_id", how="left", maintain_order="left")
        flagged = {f: pl.col(f).fill_null(False) for f in ("notified", "exposed")}
        return p.with_columns(
            pl.coalesce("region_code", "_c_region").alias("region_code"),
            pl.coalesce("filed_on", "_c_filed").alias("filed_on"),
            pl.coalesce("decided_on", "_case_closed_on").alias("decided_on"),
            (~pl.col("accountable").fill_null(False)).alias("_subject"),
            (pl.col("party_sanction").is_not_null() | pl.col("gov_sanction").is_not_null()).alias("_sanctioned"),
            pl.col("org_measure").is_not_null().alias("_org"),
            *[(flag | ~flag.any().over("case_id")).alias(f"_{f}") for f, flag in flagged.items()],
            forms.form_expr().cast(pl.String).alias("_form"),
        ).drop("_c_region", "_c_filed")
    if table == "link_events":
        case = cases.select("case_id", pl.col("region_code").alias("_c_region"), "field", "source")
        e = tables.link_events.join(case, on="case_id", how="left", maintain_order="left")
        return e.with_columns(pl.coalesce("region_code", "_c_region").alias("region_code")).drop("_c_region")
    return getattr(tables, table)


def selectable(table: str) -> sa.FromClause:
    """The SQL twin of `frame`: a subquery with the same derived columns (the ledger itself for
    the tables without any)."""
    cases, persons = SA_TABLES["cases"], SA_TABLES["persons"]
    if table == "cases":
        # A join to the distinct listed ids rather than a per-row EXISTS: one hash join in
        # PostgreSQL however many cases are summed.
        listed = sa.select(persons.c.case_id).where(persons.c.case_id.is_not(None)).distinct().subquery("listed")
        return (sa.select(*cases.c, sa.case((listed.c.case_id.is_not(None), True), else_=False).label(LISTED))
                .select_from(cases.outerjoin(listed, listed.c.case_id == cases.c.case_id)).subquery("cases_d"))
    if table == "persons":
        other = persons.alias("p2")

        def none_flagged(flag: str) -> sa.ColumnElement:
            return ~sa.exists().where(other.c.case_id == persons.c.case_id, other.c[flag].is_(sa.true()))

        def boolean(cond: sa.ColumnElement) -> sa.ColumnElement:
            return sa.case((cond, True), else_=False)

        joined = persons.outerjoin(cases, persons.c.case_id == cases.c.case_id)
        inner = sa.select(
            persons.c.person_id, persons.c.case_id, persons.c.transferred_judicial, persons.c.accountable,
            persons.c.party_sanction, persons.c.gov_sanction, persons.c.org_measure, persons.c.first_form_measure,
            sa.func.coalesce(persons.c.region_code, cases.c.region_code).label("region_code"),
            sa.func.coalesce(persons.c.filed_on, cases.c.filed_on).label("filed_on"),
            sa.func.coalesce(persons.c.decided_on, cases.c.closed_on).label("decided_on"),
            cases.c.closed_on.label("_case_closed_on"), cases.c.notified_on.label("_case_notified_on"),
            cases.c.exposed_on.label("_case_exposed_on"), cases.c.field, cases.c.source,
            boolean(sa.func.coalesce(persons.c.accountable, sa.false()).is_(sa.false())).label("_subject"),
            boolean(sa.or_(persons.c.party_sanction.is_not(None), persons.c.gov_sanction.is_not(None))).label("_sanctioned"),
            boolean(persons.c.org_measure.is_not(None)).label("_org"),
            *[boolean(sa.or_(persons.c[f].is_(sa.true()), none_flagged(f))).label(f"_{f}") for f in ("notified", "exposed")],
        ).select_from(joined).subquery("persons_i")
        return sa.select(*inner.c, forms.form_sql(inner).label("_form")).subquery("persons_d")
    if table == "link_events":
        events = SA_TABLES["link_events"]
        joined = events.outerjoin(cases, events.c.case_id == cases.c.case_id)
        return sa.select(events.c.event_id, events.c.link, events.c.held_on, events.c.case_id, events.c.times,
                         sa.func.coalesce(events.c.region_code, cases.c.region_code).label("region_code"),
                         cases.c.field, cases.c.source).select_from(joined).subquery("link_events_d")
    return SA_TABLES[table]
