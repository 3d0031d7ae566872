"""A hand-built city small enough to compute every metric by hand.

Period under test: March 2024 (1–31), as_of 2024-03-31. Comments give each record's role.
District 990101 (two townships), district 990102 (one township).
"""
from __future__ import annotations

from datetime import date

from queries.schema import Tables

D = date
CITY = "990100000000"
DIST_A, DIST_B = "990101000000", "990102000000"
TOWN_A1, TOWN_A2, TOWN_B1 = "990101001000", "990101002000", "990102001000"
V_A1a, V_A1b, V_A2a, V_B1a = "990101001001", "990101001002", "990101002001", "990102001001"

MARCH = (D(2024, 3, 1), D(2024, 3, 31))
AS_OF = D(2024, 3, 31)

REGIONS = {
    "code": [CITY, DIST_A, DIST_B, TOWN_A1, TOWN_A2, TOWN_B1, V_A1a, V_A1b, V_A2a, V_B1a],
    "name": ["示例市", "甲区", "乙区", "甲一镇", "甲二街道", "乙一乡", "东村", "西村", "南社区", "北村"],
    "level": ["city", "district", "district", "township", "township", "township",
              "village", "village", "village", "village"],
    "parent_code": [None, CITY, CITY, DIST_A, DIST_A, DIST_B, TOWN_A1, TOWN_A1, TOWN_A2, TOWN_B1],
    "population": [40000, 30000, 10000, 20000, 10000, 10000, 12000, 8000, 10000, 10000],
    "key_watch": [False] * 9 + [True],
}

CASES = {
    "case_id": ["c1", "c2", "c3", "c4"],
    "region_code": [V_A1a, V_A2a, V_B1a, V_A1b],
    "field": ["集体三资", "惠民惠农", "惠民惠农", "集体三资"],
    "source": ["信访举报", "巡察移交", "信访举报", "监督检查"],
    # c1 filed on the first day, closed on the last; c2 filed the day before (February),
    # closed the day after; c3 filed on the last day, open; c4 is March 2023 (同比).
    "filed_on": [D(2024, 3, 1), D(2024, 2, 29), D(2024, 3, 31), D(2023, 3, 10)],
    "closed_on": [D(2024, 3, 31), D(2024, 4, 1), None, D(2023, 3, 20)],
    "party_discipline": [1, 2, 0, 1],
    "gov_sanction": [1, 0, 0, 0],
    "org_handling": [1, 0, 0, 0],
    "transferred_judicial": [0, 1, 0, 0],
    "accountability": [1, 0, 0, 0],
    "amount_recovered": [2.5, 10.0, None, 1.0],
    "exposed_on": [D(2024, 3, 15), None, None, D(2023, 3, 25)],
}

COMPLAINTS = {
    "complaint_id": ["q1", "q2", "q3", "q4", "q5"],
    "region_code": [V_A1a, V_A1b, V_A2a, V_B1a, V_A1a],
    "channel": ["来信", "电话", "网络", "12388", "来访"],
    "field": ["集体三资", "惠民惠农", "集体三资", "惠民惠农", "集体三资"],
    # q1 closed on time and satisfied, turned into case c1; q2 closed late, dissatisfied;
    # q3 open, outside the commission's remit; q4 closed after as_of; q5 received in February.
    "received_on": [D(2024, 3, 1), D(2024, 3, 5), D(2024, 3, 31), D(2024, 3, 10), D(2024, 2, 29)],
    "due_on": [D(2024, 3, 15), D(2024, 3, 20), D(2024, 4, 30), D(2024, 3, 20), D(2024, 3, 10)],
    "closed_on": [D(2024, 3, 10), D(2024, 3, 25), None, D(2024, 4, 5), D(2024, 2, 29)],
    "satisfaction": ["满意", "不满意", None, "未评价", "满意"],
    "in_scope": [True, True, False, True, True],
    "is_repeat": [False, False, False, False, False],
    "anonymous": [False, True, True, False, False],
    "case_id": ["c1", None, None, None, None],
}

RECTIFICATIONS = {
    "item_id": ["r1", "r2", "r3", "r4", "r5"],
    "region_code": [V_A1a, V_A2a, V_B1a, V_A1b, V_A1a],
    "project": ["三资整治"] * 5,
    "source": ["以案促改", "巡察反馈", "审计", "监督检查", "群众反映"],
    # r1 started, due and completed in March; r2 due mid-March, open (overdue);
    # r3 completed on the last day of March, long after its 2023 due date;
    # r4 due exactly on as_of (not yet overdue); r5 completed after as_of (overdue at as_of).
    "started_on": [D(2024, 3, 1), D(2024, 1, 10), D(2023, 6, 1), D(2024, 3, 31), D(2023, 1, 1)],
    "due_on": [D(2024, 3, 31), D(2024, 3, 15), D(2023, 12, 31), D(2024, 3, 31), D(2023, 6, 30)],
    "completed_on": [D(2024, 3, 20), None, D(2024, 3, 31), None, D(2024, 4, 2)],
    "progress_pct": [100.0, 40.0, 100.0, 0.0, 100.0],
    "funds_recovered": [3.0, None, 0.5, None, 9.0],
    "rules_established": [2, None, 1, None, 4],
}


def tables() -> Tables:
    return Tables.from_dicts(regions=REGIONS, cases=CASES, complaints=COMPLAINTS,
                             rectifications=RECTIFICATIONS)


# Hand-computed for March 2024, whole city, as_of 2024-03-31.
MARCH_SUMMARY = {
    "cases_filed": 2,                # c1, c3
    "persons_disciplined": 2,        # c1: 1 party + 1 gov
    "org_handling": 1,               # c1
    "transferred_judicial": 0,       # c2 closed in April
    "accountability": 1,             # c1
    "exposed": 1,                    # c1
    "funds_recovered_wan": 6.0,      # c1 2.5 + r1 3.0 + r3 0.5
    "complaints_received": 4,        # q1–q4
    "complaints_closed": 2,          # q1, q2 (q4 closed after as_of)
    "closure_rate": 0.5,             # 2 / 4
    "on_time_rate": 0.5,             # q1 of q1, q2
    "satisfaction_rate": 0.5,        # q1 满意 of q1 满意, q2 不满意 (未评价 not evaluated)
    "rectifications_total": 2,       # r1, r4 started in March
    "rectifications_completed": 2,   # r1, r3 completed in March
    "rectifications_overdue": 2,     # r2, r5
    "rules_established": 3,          # r1 2 + r3 1
}
