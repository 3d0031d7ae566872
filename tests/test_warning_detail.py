"""The warning detail's assembly (queries/warning_detail.py) on hand-built records: the dict a
cadre's detail is drawn from, worked out by hand."""
from __future__ import annotations

from datetime import date

import pytest

from queries import warning_detail as WD
from queries.filters import Scope
from queries.schema import Tables
from queries.warnings_config import WarningConfig
from tests import fixtures as fx

D = date
AS_OF = D(2024, 6, 30)
CFG = WarningConfig()
PATH_A1a = {"district": "甲区", "township": "甲一镇", "village": "东村"}


def detail_tables() -> Tables:
    """Two rectification items (one with monthly reports and a case), two cases (one with link
    events), four complaints; at 2024-06-30 they raise C1 xf1 (34 days), R1 zg1 (12), C1 xf4 (9),
    K1 aj2, K2 aj1 and R3 zg2 (tests/test_app_warnings.py shows them on the page)."""
    return Tables.from_dicts(
        regions=fx.REGIONS,
        rectifications={
            "item_id": ["zg1", "zg2"], "region_code": [fx.V_A1a, fx.V_B1a], "project": ["三资整治", "三资整治"],
            "source": ["以案促改", None], "description": ["清理村集体合同", "公开村务"],
            "responsible_unit": ["甲一镇人民政府", "乙一乡人民政府"], "responsible_person": ["张三", None],
            "started_on": [D(2024, 1, 10), D(2024, 1, 1)], "due_on": [D(2024, 6, 18), D(2024, 12, 1)],
            "progress_pct": [40.0, 10.0], "last_update_on": [D(2024, 5, 31), D(2024, 2, 1)],
            "completed_on": [None, None], "case_id": ["aj1", None],
        },
        progress_updates={"item_id": ["zg1", "zg1", "zg1"],
                          "reported_on": [D(2024, 3, 31), D(2024, 5, 31), D(2024, 7, 31)],
                          "progress_pct": [20.0, 40.0, 60.0], "note": ["已清查", None, "as_of 之后"]},
        cases={
            "case_id": ["aj1", "aj2"], "region_code": [fx.V_A1a, fx.V_B1a], "unit_name": ["东村村委会", "北村村委会"],
            "field": ["集体三资", "惠民惠农"], "filed_on": [D(2023, 10, 1), D(2023, 11, 1)],
            "closed_on": [D(2024, 2, 1), None], "notified_on": [D(2024, 2, 10), None],
            "exposed_on": [None, None], "revisit_on": [None, None], "feedback_on": [None, None],
        },
        link_events={"event_id": ["e1", "e2", "e3"], "link": ["反思剖析", "反思剖析", "回访促建"],
                     "held_on": [D(2024, 3, 5), D(2024, 4, 1), D(2024, 8, 1)], "region_code": [fx.V_A1a] * 3,
                     "case_id": ["aj1", "aj1", "aj1"], "times": [1, 2, 1]},
        complaints={
            "complaint_id": ["xf1", "xf2", "xf3", "xf4"], "region_code": [fx.V_A1a, fx.V_A1a, fx.V_A1a, fx.V_B1a],
            "received_on": [D(2024, 5, 6), D(2024, 4, 2), D(2024, 6, 20), D(2024, 6, 1)],
            "channel": ["来信", "电话", "来访", "网络"], "field": ["集体三资"] * 4,
            "in_scope": [True, True, True, None], "is_repeat": [False, True, True, True],
            "due_on": [D(2024, 5, 27), D(2024, 4, 22), D(2024, 7, 11), D(2024, 6, 21)],
            "closed_on": [None, D(2024, 4, 20), None, None], "case_id": ["aj1", None, None, None],
            "disposition": ["初步核实", None, None, None], "disposed_on": [D(2024, 5, 10), None, None, None],
        },
    )


@pytest.fixture(scope="module")
def tables() -> Tables:
    return detail_tables()


R1 = {"rule": "R1", "level": "红", "record_type": "rectification", "record_id": "zg1", "days": 12,
      "reason": "整改事项已超过完成时限 12 天仍未完成（当前进度 40%）"}


def test_a_rectification_past_its_due_date_has_its_days_overdue_and_responsibility(tables):
    got = WD.build(tables, Scope(), "rectification", "zg1", AS_OF, CFG, [R1])
    assert (got["found"], got["due_on"], got["days_overdue"], got["days_left"], got["done"]) == (
        True, D(2024, 6, 18), 12, None, False)
    assert (got["unit"], got["person"], got["region"]) == ("甲一镇人民政府", "张三", PATH_A1a)
    assert got["rules"] == [{"rule": "R1", "level": "红", "params": {"working_days": 60},
                             "reason": R1["reason"], "days": 12}]


def test_a_record_says_what_it_is_about_with_its_empty_columns_left_out(tables):
    assert WD.build(tables, Scope(), "rectification", "zg1", AS_OF, CFG, [R1])["subject"] == [
        ("project", "三资整治"), ("description", "清理村集体合同")]
    assert WD.build(tables, Scope(), "case", "aj1", AS_OF, CFG, [])["subject"] == [("field", "集体三资")]


def test_a_rectification_history_is_its_steps_and_reports_up_to_as_of(tables):
    got = WD.build(tables, Scope(), "rectification", "zg1", AS_OF, CFG, [R1])
    assert got["history"] == [
        {"on": D(2024, 1, 10), "event": "assigned", "value": None, "note": None},
        {"on": D(2024, 3, 31), "event": "report", "value": 20.0, "note": "已清查"},
        {"on": D(2024, 5, 31), "event": "report", "value": 40.0, "note": None},
    ]


def test_the_record_is_every_ledger_column_but_the_region_code_in_ledger_order(tables):
    fields = WD.build(tables, Scope(), "rectification", "zg1", AS_OF, CFG, [R1])["fields"]
    assert [c for c, _ in fields][:7] == ["item_id", "project", "source", "description", "responsible_unit",
                                           "responsible_person", "started_on"]
    assert "region_code" not in dict(fields) and dict(fields)["verified_on"] is None


def test_without_the_right_to_see_persons_no_person_is_given(tables):
    got = WD.build(tables, Scope(), "rectification", "zg1", AS_OF, CFG, [R1], show_persons=False)
    assert got["person"] is None and "responsible_person" not in dict(got["fields"])


def test_a_rectification_names_its_case_by_key_fields(tables):
    related = WD.build(tables, Scope(), "rectification", "zg1", AS_OF, CFG, [R1])["related"]
    assert related == {"case": [{"case_id": "aj1", "unit_name": "东村村委会", "field": "集体三资", "problem_type": None,
                                 "filed_on": D(2023, 10, 1), "closed_on": D(2024, 2, 1)}],
                       "complaint": [], "rectification": [], "hidden": 0}


def test_a_rule_carries_its_thresholds_from_the_config(tables):
    cfg = WarningConfig(r2_days=10, r2_progress_below=75)
    w = {**R1, "rule": "R2", "level": "橙"}
    assert WD.build(tables, Scope(), "rectification", "zg1", AS_OF, cfg, [w])["rules"][0]["params"] == {
        "days": 10, "progress": 75}


def test_an_item_due_later_has_days_left_not_days_overdue(tables):
    got = WD.build(tables, Scope(), "rectification", "zg2", AS_OF, CFG, [])
    assert (got["days_overdue"], got["days_left"], got["person"]) == (None, 154, None)


def test_a_complaint_past_its_limit_shows_its_disposition_and_case(tables):
    w = {"rule": "C1", "level": "红", "record_type": "complaint", "record_id": "xf1", "days": 34, "reason": "x"}
    got = WD.build(tables, Scope(), "complaint", "xf1", AS_OF, CFG, [w])
    assert (got["due_on"], got["days_overdue"], got["unit"]) == (D(2024, 5, 27), 34, None)
    assert got["history"] == [{"on": D(2024, 5, 6), "event": "received", "value": None, "note": None},
                              {"on": D(2024, 5, 10), "event": "disposed", "value": "初步核实", "note": None}]
    assert [c["case_id"] for c in got["related"]["case"]] == ["aj1"]
    assert got["rules"][0]["params"] == {"working_days": 15}


def test_a_case_closed_without_revisit_is_overdue_from_the_k2_limit(tables):
    w = {"rule": "K2", "level": "黄", "record_type": "case", "record_id": "aj1", "days": 150, "reason": "x"}
    got = WD.build(tables, Scope(), "case", "aj1", AS_OF, CFG, [w])
    # closed 1 Feb + 90 days = 1 May; 30 Jun is 60 days later.
    assert (got["due_on"], got["days_overdue"], got["unit"]) == (D(2024, 5, 1), 60, "东村村委会")


def test_a_case_shows_its_five_links_from_the_ledger_and_the_link_events(tables):
    got = WD.build(tables, Scope(), "case", "aj1", AS_OF, CFG, [])
    assert got["links"] == [{"link": "通报", "on": D(2024, 2, 10), "times": 0},
                            {"link": "曝光", "on": None, "times": 0},
                            {"link": "反思剖析", "on": D(2024, 3, 5), "times": 3},  # events of 1 and 2 times
                            {"link": "回访促建", "on": None, "times": 0},  # its event is after as_of
                            {"link": "反馈整改", "on": None, "times": 0}]
    assert [(e["on"], e["event"]) for e in got["history"]] == [
        (D(2023, 10, 1), "filed"), (D(2024, 2, 1), "case_closed"), (D(2024, 2, 10), "link:通报"),
        (D(2024, 3, 5), "link:反思剖析"), (D(2024, 4, 1), "link:反思剖析")]


def test_a_link_dated_by_the_case_and_by_a_link_event_on_one_day_is_one_step():
    both = Tables.from_dicts(regions=fx.REGIONS,
                             cases={"case_id": ["k"], "region_code": [fx.V_A1a], "filed_on": [D(2024, 1, 1)],
                                    "exposed_on": [D(2024, 2, 1)]},
                             link_events={"event_id": ["e"], "link": ["曝光"], "held_on": [D(2024, 2, 1)],
                                          "case_id": ["k"], "times": [1]})
    got = WD.build(both, Scope(), "case", "k", AS_OF, CFG, [])
    assert [(e["on"], e["event"], e["value"]) for e in got["history"]] == [
        (D(2024, 1, 1), "filed", None), (D(2024, 2, 1), "link:曝光", 1)]


def test_a_case_lists_its_complaints_and_rectifications(tables):
    related = WD.build(tables, Scope(), "case", "aj1", AS_OF, CFG, [])["related"]
    assert [r["complaint_id"] for r in related["complaint"]] == ["xf1"]
    assert [r["item_id"] for r in related["rectification"]] == ["zg1"]


def test_an_open_case_is_due_by_the_k1_limit(tables):
    w = {"rule": "K1", "level": "橙", "record_type": "case", "record_id": "aj2", "days": 242, "reason": "x"}
    got = WD.build(tables, Scope(), "case", "aj2", AS_OF, CFG, [w])
    # filed 1 Nov 2023 + 180 days = 29 Apr 2024; 62 days before 30 Jun.
    assert (got["due_on"], got["days_overdue"]) == (D(2024, 4, 29), 62)


def test_a_record_outside_the_jurisdiction_is_not_found_and_gives_nothing(tables):
    got = WD.build(tables, Scope(fx.DIST_B), "rectification", "zg1", AS_OF, CFG, [R1])
    assert (got["found"], got["fields"], got["unit"], got["history"]) == (False, [], None, [])


def test_a_related_case_outside_the_jurisdiction_is_counted_not_shown(tables):
    related = WD.build(tables, Scope(fx.DIST_A), "case", "aj1", AS_OF, CFG, [])["related"]
    assert related["hidden"] == 0
    outside = Tables.from_dicts(regions=fx.REGIONS, cases={"case_id": ["k"], "region_code": [fx.V_B1a],
                                                           "filed_on": [D(2024, 1, 1)]},
                                rectifications={"item_id": ["z"], "region_code": [fx.V_A1a],
                                                "started_on": [D(2024, 1, 1)], "case_id": ["k"]})
    got = WD.build(outside, Scope(fx.DIST_A), "rectification", "z", AS_OF, CFG, [])["related"]
    assert (got["case"], got["hidden"]) == ([], 1)


def test_a_c3_village_lists_its_repeat_complaints_in_the_window(tables):
    w = {"rule": "C3", "level": "橙", "record_type": "village", "record_id": fx.V_A1a, "days": 2, "reason": "x"}
    got = WD.build(tables, Scope(), "village", fx.V_A1a, AS_OF, CFG, [w])
    assert (got["found"], got["region"]) == (True, PATH_A1a)
    assert [r["complaint_id"] for r in got["related"]["complaint"]] == ["xf2", "xf3"]
    assert got["rules"][0]["params"] == {"count": 3, "window": 90}


def test_a_village_outside_the_jurisdiction_is_not_found(tables):
    got = WD.build(tables, Scope(fx.DIST_B), "village", fx.V_A1a, AS_OF, CFG, [])
    assert (got["found"], got["related"]["complaint"]) == (False, [])
