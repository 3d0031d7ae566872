"""件 and 人, 四种形态, the five links as events and 线索处置: hand-computed, in memory and in SQL."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from queries import forms, metrics, store
from queries.filters import Filters, Scope
from queries.pushdown import SqlSource
from tests import fixtures as fx
from tests import fixtures_persons as fp

D = date
KEYS = tuple(fp.MARCH) + tuple(fp.SHARES)


def _expected() -> dict:
    return {**fp.MARCH, **fp.SHARES}


def test_march_figures_in_memory():
    got = metrics.compute(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, KEYS)
    assert got == pytest.approx(_expected())


def test_march_figures_from_either_store_and_pushed_down(db_url):
    store.replace_all(db_url, fp.tables(), None)
    loaded = metrics.compute(store.load_tables(db_url), Filters(*fx.MARCH), Scope(), fx.AS_OF, KEYS)
    pushed = metrics.compute(SqlSource(db_url), Filters(*fx.MARCH), Scope(), fx.AS_OF, KEYS)
    assert loaded == pytest.approx(_expected())
    assert pushed == pytest.approx(_expected())


def test_per_district_forms_persons_and_reflections():
    out = metrics.rollup(fp.tables(), Filters(*fx.MARCH, region=fx.CITY), Scope(), fx.AS_OF,
                         ["form1_persons", "form2_persons", "form3_persons", "form4_persons", "persons_filed", "reflections"])
    got = {r["key"]: (r["form1_persons"], r["form2_persons"], r["form3_persons"], r["form4_persons"],
                      r["persons_filed"], r["reflections"]) for r in out.iter_rows(named=True)}
    # 甲区: p3 (c1), p4 | p1 | p2 | p6 (c2); p1, p2 filed; e1. 乙区: p5; c3's 3; e2.
    assert got == {fx.DIST_A: (2, 1, 1, 1, 2, 3), fx.DIST_B: (0, 1, 0, 0, 3, 1)}


def test_per_district_pushed_down_matches(db_url):
    store.replace_all(db_url, fp.tables(), None)
    keys = ["form1_persons", "form4_persons", "persons_filed", "notified_persons", "reflections", "leads_disposed"]
    f = Filters(*fx.MARCH, region=fx.CITY)
    memory = metrics.rollup(fp.tables(), f, Scope(), fx.AS_OF, keys).select("key", *keys).sort("key")
    pushed = metrics.rollup(SqlSource(db_url), f, Scope(), fx.AS_OF, keys).select("key", *keys).sort("key")
    assert memory.rows() == pushed.rows() == [(fx.DIST_A, 2, 1, 2, 1, 3, 3), (fx.DIST_B, 0, 0, 3, 3, 1, 0)]


def test_monthly_first_form_counts_february_and_march():
    out = metrics.monthly(fp.tables(), Filters(D(2024, 2, 1), D(2024, 3, 31)), Scope(), fx.AS_OF, ["form1_persons"])
    assert out.rows() == [(D(2024, 2, 1), 1), (D(2024, 3, 1), 2)]  # p8 | p3, p4


def test_same_period_last_year_counts_an_unlisted_case_as_one_person():
    got = metrics.compare(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, ["persons_filed"])["persons_filed"]
    assert (got["value"], got["yoy_value"], got["yoy_change"]) == (5, 1, 4.0)  # c4 (2023) has no 立案人数


def test_a_share_changes_in_percentage_points():
    got = metrics.compare(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, ["form1_share"])["form1_share"]
    assert got["mom_value"] == 1.0 and got["mom_change"] == pytest.approx(2 / 6 - 1)  # February: p8 alone


def test_a_category_filter_applies_to_persons_through_their_case():
    f = Filters(*fx.MARCH, fields=("惠民惠农",))  # c2, c3
    got = metrics.compute(fp.tables(), f, Scope(), fx.AS_OF, ["persons_filed", "form4_persons", "form2_persons"])
    assert got == {"persons_filed": 3, "form4_persons": 1, "form2_persons": 0}  # c3's 3; p6; p1 is c1 (集体三资)


def test_old_ledgers_without_persons_keep_every_figure():
    assert metrics.summary(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF) == fx.MARCH_SUMMARY


def test_full_summary_carries_every_design_key():
    got = metrics.full_summary(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF)
    for k in metrics.PERSON_SUMMARY_KEYS:
        assert got[k] == fp.MARCH[k], k
    assert got["dispositions"] == {"谈话函询": 1, "初步核实": 0, "暂存待查": 0, "予以了结": 1, "立案审查": 1, "转办": 0}
    assert got["complaints_by_channel"] == {"12388": 1, "来信": 1, "电话": 1, "网络": 1}  # q5 is February
    assert got["exposed"] == 1 and got["cases_filed"] == 2


# --- the form mapping (config/forms.toml) ---------------------------------------------------------

WORD_FORMS = [("party_sanction", w, 2) for w in ("警告", "严重警告")] + \
             [("party_sanction", w, 3) for w in ("撤销党内职务", "留党察看", "开除党籍")] + \
             [("gov_sanction", w, 2) for w in ("警告", "记过", "记大过")] + \
             [("gov_sanction", w, 3) for w in ("降级", "撤职", "开除")] + \
             [("org_measure", w, 2) for w in ("停职检查", "调整职务", "责令辞职", "降职", "免职")] + \
             [("org_measure", "重大职务调整", 3)] + \
             [("first_form_measure", w, 1) for w in ("批评教育", "谈话提醒", "提醒谈话", "责令检查", "诫勉", "函询了结")]


def _form(**measures) -> int | None:
    row = {c: [measures.get(c)] for c in forms.MEASURE_COLUMNS}
    row["transferred_judicial"] = [measures.get("transferred_judicial")]
    df = pl.DataFrame(row, schema={**{c: pl.String for c in forms.MEASURE_COLUMNS}, "transferred_judicial": pl.Boolean})
    return df.select(forms.form_expr()).item()


@pytest.mark.parametrize(("column", "word", "form"), WORD_FORMS)
def test_each_measure_word_maps_to_its_form(column, word, form):
    assert _form(**{column: word}) == form


def test_the_most_severe_measure_wins():
    assert _form(first_form_measure="诫勉", org_measure="免职", party_sanction="留党察看") == 3


def test_transfer_to_the_procuratorate_is_the_fourth_form_whatever_else():
    assert _form(transferred_judicial=True, party_sanction="开除党籍", gov_sanction="开除") == 4


def test_a_first_form_measure_alone_is_the_first_form():
    assert _form(first_form_measure="函询了结") == 1


def test_a_person_with_no_measure_has_no_form():
    assert _form(transferred_judicial=False) is None


def test_every_word_maps_the_same_in_sql(db_url):
    rows = [{"person_id": f"w{i}", "region_code": fx.V_A1a, "decided_on": D(2024, 3, 1), column: word}
            for i, (column, word, _) in enumerate(WORD_FORMS)]
    rows += [{"person_id": "j", "region_code": fx.V_A1a, "decided_on": D(2024, 3, 1), "transferred_judicial": True,
              "party_sanction": "警告"},
             {"person_id": "n", "region_code": fx.V_A1a, "decided_on": D(2024, 3, 1)}]
    t = fx.tables()
    store.replace_all(db_url, type(t).from_dicts(**{**t.as_dict(), "persons": pl.DataFrame(rows)}), None)
    got = metrics.compute(SqlSource(db_url), Filters(*fx.MARCH), Scope(), fx.AS_OF, list(metrics.FORM_KEYS))
    want = [sum(1 for _, _, f in WORD_FORMS if f == n) + (n == 4) for n in (1, 2, 3, 4)]
    assert [got[k] for k in metrics.FORM_KEYS] == want  # the person with nothing is in no form


def test_a_forms_table_with_a_bad_form_names_the_word(tmp_path):
    bad = tmp_path / "forms.toml"
    bad.write_text('[party_sanction]\n"警告" = 5\n', encoding="utf-8")
    with pytest.raises(forms.FormsConfigError, match="警告"):
        forms.load(bad)


def test_a_commission_can_move_a_measure_to_another_form(tmp_path):
    own = tmp_path / "forms.toml"
    own.write_text('[first_form_measure]\n"诫勉" = 2\n', encoding="utf-8")
    table = forms.load(own)
    df = pl.DataFrame({c: [None] for c in forms.MEASURE_COLUMNS}, schema={c: pl.String for c in forms.MEASURE_COLUMNS})
    df = df.with_columns(pl.lit("诫勉").alias("first_form_measure"), pl.lit(False).alias("transferred_judicial"))
    assert df.select(forms.form_expr(table)).item() == 2
