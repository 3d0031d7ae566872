"""The hand-built city of tests/fixtures.py with persons, link events and lead dispositions.

March 2024, as_of 2024-03-31. c1 (甲一镇东村) has three person rows, c2 one; c3 has none and
states 立案人数 3; c4 (March 2023) has none and counts as 1. Comments give each row's role.
"""
from __future__ import annotations

from datetime import date

import polars as pl

from queries.schema import Tables
from tests import fixtures as fx

D = date

PERSONS = {
    "person_id": ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"],
    "case_id": ["c1", "c1", "c1", None, None, "c2", None, None],
    "region_code": [None, None, None, fx.V_A1b, fx.V_B1a, None, fx.V_A2a, fx.V_A1a],
    # p1 decided with its case (c1 closed 3-31); p6 decided before c2 closes (4-1); p8 in February.
    "decided_on": [None, D(2024, 3, 20), D(2024, 3, 25), D(2024, 3, 5), D(2024, 3, 6), D(2024, 3, 28),
                   D(2024, 3, 7), D(2024, 2, 10)],
    "party_sanction": ["警告", "开除党籍", None, None, None, "开除党籍", None, None],   # p1 form 2, p2 form 3
    "gov_sanction": [None, "撤职", None, None, None, None, None, None],
    "org_measure": [None, None, None, None, "免职", None, None, None],                 # p5 form 2 (beats 批评教育)
    "first_form_measure": [None, None, "诫勉", "谈话提醒", "批评教育", None, None, "函询了结"],  # p3, p4, p8 form 1
    "transferred_judicial": [False, False, False, False, False, True, False, False],  # p6 form 4
    "notified": [True, False, False, False, False, False, False, False],  # c1: only p1 flagged
    "exposed": [False] * 8,                                                 # c1: none flagged → all three
    "accountable": [False, False, True, False, False, False, False, False],  # p3: 一案双查, not a subject
}

EVENTS = {
    "event_id": ["e1", "e2", "e3", "e4", "e5", "e6"],
    "link": ["反思剖析", "反思剖析", "回访促建", "反馈整改", "反馈整改", "通报"],
    "held_on": [D(2024, 3, 9), D(2024, 3, 12), D(2024, 3, 20), D(2024, 4, 2), D(2024, 3, 30), D(2024, 3, 10)],
    "region_code": [None, fx.V_B1a, None, None, fx.V_A2a, None],   # e2, e5 held for a unit, no case
    "case_id": ["c1", None, "c1", "c1", None, "c1"],
    "times": [3, None, 2, 1, 1, 1],                                # e2 blank: 1
}


def tables() -> Tables:
    t = fx.tables()
    cases = t.cases.with_columns(pl.Series("persons", [None, None, 3, None], dtype=pl.Int64),
                                 pl.Series("notified_on", [D(2024, 3, 10), None, D(2024, 3, 31), None]))
    complaints = t.complaints.with_columns(
        pl.Series("disposition", ["立案审查", "谈话函询", "转办", None, "予以了结"]).cast(pl.Categorical),
        pl.Series("disposed_on", [D(2024, 3, 2), D(2024, 3, 8), D(2024, 4, 1), None, D(2024, 3, 1)]))
    return Tables.from_dicts(**{**t.as_dict(), "cases": cases, "complaints": complaints,
                                "persons": PERSONS, "link_events": EVENTS})


# Hand-computed for March 2024, whole city.
MARCH = {
    "cases_filed": 2,            # c1, c3 (unchanged)
    "persons_filed": 5,          # c3's 立案人数 3 + c1's p1, p2 (p3 is accountable, not a subject)
    "cases_closed": 1,           # c1
    "persons_closed": 2,         # c1's p1, p2
    "notified_cases": 2,         # c1 (3-10), c3 (3-31)
    "notified_persons": 4,       # c3's 3 + c1's flagged p1
    "exposed": 1,                # c1
    "exposed_persons": 3,        # c1: none flagged, so all of p1, p2, p3
    "persons_disciplined": 3,    # p1 (3-31), p2 (3-20, party and gov: once), p6 (3-28); c1's columns not used
    "org_handling": 1,           # p5
    "transferred_judicial": 1,   # p6
    "accountability": 1,         # p3
    "form1_persons": 2,          # p3, p4 (p8 is February)
    "form2_persons": 2,          # p1, p5
    "form3_persons": 1,          # p2
    "form4_persons": 1,          # p6
    "forms_total": 6,
    "reflections": 4,            # e1 3 + e2 1
    "revisits": 2,               # e3
    "feedbacks": 1,              # e5 (e4 is April)
    "notify_events": 1,          # e6
    "expose_events": 0,
    "leads_disposed": 3,         # q1, q2, q5 (q3 disposed in April)
    "disposed_filed": 1, "disposed_talk": 1, "disposed_closed": 1, "disposed_verify": 0,
    "disposed_hold": 0, "disposed_referred": 0,
}
SHARES = {"form1_share": 2 / 6, "form2_share": 2 / 6, "form3_share": 1 / 6, "form4_share": 1 / 6,
          "disposal_rate": 0.75}  # 3 disposed / 4 received
