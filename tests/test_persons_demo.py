"""The demo city's persons, link events and dispositions: believable proportions, by seed."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard import demo
from queries import metrics
from queries.filters import Filters, Scope

END = date(2024, 12, 31)
YEAR = Filters(date(2024, 1, 1), END)


@pytest.fixture(scope="module")
def data():
    return demo.generate(scale=0.3, seed=5, end=END)


def test_the_four_forms_come_in_the_published_proportions(data):
    got = metrics.compute(data.tables, YEAR, Scope(), END, ["form1_share", "form2_share", "form3_share", "form4_share"])
    assert 0.62 <= got["form1_share"] <= 0.78
    assert 0.14 <= got["form2_share"] <= 0.26
    assert 0.03 <= got["form3_share"] <= 0.10
    assert 0.01 <= got["form4_share"] <= 0.05


def test_some_cases_have_several_persons_and_some_someone_held_to_account(data):
    p = data.tables.persons
    per_case = p.filter(pl.col("case_id").is_not_null()).group_by("case_id").len()
    assert per_case.filter(pl.col("len") >= 2).height > 0
    assert p.filter(pl.col("accountable"))["case_id"].null_count() == 0 and p["accountable"].sum() > 0


def test_first_form_handling_without_a_case_has_a_region(data):
    alone = data.tables.persons.filter(pl.col("case_id").is_null())
    assert alone.height > data.tables.cases.height
    assert alone["region_code"].null_count() == 0 and alone["decided_on"].null_count() == 0


def test_persons_outnumber_cases_and_events_outnumber_reflections_dates(data):
    got = metrics.compute(data.tables, YEAR, Scope(), END, ["cases_filed", "persons_filed", "reflections"])
    reflected = data.tables.cases.filter(pl.col("reflection_on").is_between(YEAR.start, YEAR.end)).height
    assert got["cases_filed"] < got["persons_filed"] < 1.5 * got["cases_filed"]
    assert got["reflections"] > 2 * reflected


def test_every_lead_in_scope_disposed_or_recent_and_out_of_scope_referred(data):
    c = data.tables.complaints
    assert c.filter(~pl.col("in_scope") & pl.col("disposition").is_not_null())["disposition"].unique().to_list() == ["转办"]
    assert c.filter(pl.col("case_id").is_not_null() & pl.col("in_scope") & pl.col("disposition").is_not_null()) \
        ["disposition"].unique().to_list() == ["立案审查"]
    assert c.filter(pl.col("disposition").is_null())["received_on"].min() > date(2024, 12, 1)


def test_same_seed_gives_the_same_persons_and_events(data):
    again = demo.generate(scale=0.3, seed=5, end=END)
    assert again.tables.persons.equals(data.tables.persons)
    assert again.tables.link_events.equals(data.tables.link_events)
