"""dashboard/data.py's caches: what is kept once per data version and what is shared rather
than copied per rerun (the choices that decide a rerun's server time at 1M cases)."""
from __future__ import annotations

import copy

import polars as pl

from dashboard import data
from queries import store
from queries.schema import Tables
from tests import fixtures as fx
from tests.test_maps import FX_GEOJSON


def _db(tmp_path, **changes) -> str:
    url = f"sqlite:///{tmp_path / 'fx.db'}"
    raw = {"regions": fx.REGIONS, "cases": fx.CASES, "complaints": fx.COMPLAINTS,
           "rectifications": fx.RECTIFICATIONS} | changes
    store.replace_all(url, Tables.from_dicts(**raw), FX_GEOJSON, dataset="ledger")
    return url


def test_field_choices_are_the_fields_of_cases_and_complaints_without_blanks(tmp_path):
    complaints = copy.deepcopy(fx.COMPLAINTS)
    complaints["field"][0] = "乡村振兴"  # only in the complaint ledger
    cases = copy.deepcopy(fx.CASES)
    cases["field"][1] = None
    url = _db(tmp_path, cases=cases, complaints=complaints)
    assert data.field_options(url, data.version(url)) == sorted(["乡村振兴", "惠民惠农", "集体三资"])


def test_the_warning_list_is_shared_between_reruns_not_copied(tmp_path):
    url = _db(tmp_path)
    args = (url, data.version(url), None, (), None, fx.AS_OF)
    first = data.warnings(*args)
    assert isinstance(first, pl.DataFrame) and first.height > 0
    assert data.warnings(*args) is first


def test_a_new_data_version_gets_a_new_warning_list(tmp_path):
    url = _db(tmp_path)
    before = data.warnings(url, data.version(url), None, (), None, fx.AS_OF)
    rect = copy.deepcopy(fx.RECTIFICATIONS)
    store.replace_all(url, Tables.from_dicts(regions=fx.REGIONS, cases=fx.CASES, complaints=fx.COMPLAINTS,
                                                rectifications={k: v[:1] for k, v in rect.items()}),
                      FX_GEOJSON, dataset="ledger")
    after = data.warnings(url, data.version(url), None, (), None, fx.AS_OF)
    assert after is not before and after.height < before.height
