"""Persons (涉案人员), link events (五个环节记录) and the new case / complaint columns in both stores."""
from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from queries import store
from queries.schema import Tables
from tests import fixtures as fx

PERSONS = {
    "person_id": ["p1", "p2"], "case_id": ["c1", None], "region_code": [None, fx.V_A1b],
    "rank": ["一般干部", "村(社区)干部"], "party_member": [True, False],
    "decided_on": [None, date(2024, 3, 5)], "party_sanction": ["警告", None],
    "first_form_measure": [None, "谈话提醒"], "transferred_judicial": [False, False],
    "notified": [True, False], "exposed": [False, False], "accountable": [False, False],
}
EVENTS = {"event_id": ["e1"], "link": ["反思剖析"], "held_on": [date(2024, 3, 9)],
          "region_code": [fx.V_A1a], "case_id": ["c1"], "times": [3]}


def _tables() -> Tables:
    t = fx.tables()
    cases = t.cases.with_columns(pl.Series("persons", [2, None, 1, None], dtype=pl.Int64),
                                 pl.Series("notified_on", [date(2024, 3, 12), None, None, None]))
    complaints = t.complaints.with_columns(
        pl.Series("disposition", ["立案审查", "谈话函询", "转办", None, "予以了结"]).cast(pl.Categorical),
        pl.Series("disposed_on", [date(2024, 3, 2), date(2024, 3, 8), date(2024, 4, 1), None, date(2024, 3, 1)]))
    return Tables.from_dicts(**{**t.as_dict(), "cases": cases, "complaints": complaints,
                                "persons": PERSONS, "link_events": EVENTS})


def test_persons_events_and_new_columns_round_trip(db_url):
    tables = _tables()
    store.replace_all(db_url, tables, None)
    loaded = store.load_tables(db_url)
    for name in ("cases", "complaints", "persons", "link_events"):
        key = {"cases": "case_id", "complaints": "complaint_id", "persons": "person_id", "link_events": "event_id"}[name]
        assert_frame_equal(getattr(loaded, name).sort(key), getattr(tables, name).sort(key))


def test_a_store_made_before_persons_gains_the_new_tables_and_columns(db_url):
    eng = store.engine_for(db_url)
    with eng.begin() as conn:  # the cases table as an older version created it
        conn.execute(sa.text("CREATE TABLE cases (case_id VARCHAR PRIMARY KEY, region_code VARCHAR, "
                             "filed_on DATE)"))
        conn.execute(sa.text("INSERT INTO cases VALUES ('c1', :r, :d)"), {"r": fx.V_A1a, "d": date(2024, 3, 1)})
    store.init_schema(db_url)
    loaded = store.load_tables(db_url)
    assert loaded.cases.select("case_id", "persons", "notified_on").rows() == [("c1", None, None)]
    assert loaded.persons.height == 0 and "held_on" in loaded.link_events.columns


def test_adding_the_columns_twice_changes_nothing(db_url):
    store.init_schema(db_url)
    store.init_schema(db_url)
    cols = {c["name"] for c in sa.inspect(store.engine_for(db_url)).get_columns("complaints")}
    assert {"disposition", "disposed_on"} <= cols


def test_tables_built_without_persons_hold_empty_ledgers():
    t = Tables(regions=fx.tables().regions, cases=fx.tables().cases, complaints=fx.tables().complaints,
               rectifications=fx.tables().rectifications, progress_updates=fx.tables().progress_updates)
    assert t.persons.height == 0 and t.link_events.columns[:2] == ["event_id", "link"]
