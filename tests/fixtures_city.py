"""A fictional city shaped like a real deployment's files (临江市, code 990300): 13 districts,
one of them (江滨区) with townships and villages, written the way commissions write ledgers.

The region ledger has a merged title row, the level words 市 / 市辖区 / 县级市 / 镇 / 街道 / 社区 /
村委会, and some levels and parents left blank (read from the code). The records ledger puts
cases at villages, at a township itself and at 江滨区 itself (本级), so every breakdown has parts
that must add up to its total. Used by the deployment walkthrough test (tests/test_walkthrough.py).
"""
from __future__ import annotations

from pathlib import Path

import openpyxl

CITY = "990300000000"
CITY_NAME = "临江市"
# 13 districts: (6-digit code, name, level word as written; None = blank in the ledger)
DISTRICTS = [
    ("990302", "上城区", "市辖区"), ("990303", "下城区", "市辖区"), ("990304", "江北区", "区"),
    ("990305", "江南区", None), ("990306", "西湖区", "市辖区"), ("990307", "东湖区", "区"),
    ("990308", "北山区", None), ("990309", "江滨区", "市辖区"), ("990310", "南岭区", "区"),
    ("990311", "临平区", "市辖区"), ("990382", "建江市", "县级市"), ("990383", "富阳市", "县级市"),
    ("990384", "桐江县", "县"),
]
JIANGBIN = "990309000000"
# 江滨区's townships (9-digit code, name, word) and villages (12-digit code, name, word, township)
TOWNSHIPS = [("990309001", "城厢街道", "街道"), ("990309002", "北干街道", None), ("990309101", "瓜沥镇", "镇")]
VILLAGES = [
    ("990309001001", "城南社区", "社区", "990309001"), ("990309001002", "城北社区", None, "990309001"),
    ("990309002001", "北干社区", "社区", "990309002"),
    ("990309101201", "东村村委会", "村委会", "990309101"), ("990309101202", "西村村委会", "村委会", None),
]
KEY_WATCH = {"990309101202"}
TITLE = "临江市行政区划代码表（2024年）"

# What the region ledger holds, hand-counted from the lists above.
REGIONS_BY_LEVEL = {"city": 1, "district": 13, "township": 3, "village": 5}


def _write(path: Path, sheets: dict[str, tuple[str | None, list[list]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (title, rows) in sheets.items():
        ws = wb.create_sheet(name)
        if title:
            ws.append([title])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def region_ledger(path: Path) -> Path:
    """区划台账.xlsx: title row, 区划代码 as written (6 / 9 / 12 digits), blank levels and parents."""
    rows: list[list] = [["区划代码", "区划名称", "层级", "上级代码", "常住人口", "提级监督"]]
    rows.append([CITY[:6], CITY_NAME, "市", None, 1_200_000, "否"])
    for code, name, word in DISTRICTS:
        rows.append([code, name, word, CITY[:6] if word else None, 80_000, "否"])
    for code, name, word in TOWNSHIPS:
        rows.append([code, name, word, "990309", 20_000, "否"])
    for code, name, word, town in VILLAGES:
        rows.append([code, name, word, town, 3_000, "是" if code in KEY_WATCH else "否"])
    return _write(path, {"区划": (TITLE, rows)})


# Cases filed in March 2024 (case id, region code as written), hand-counted below.
CASES = [
    ("LJ-01", "990309001001"), ("LJ-02", "990309001001"), ("LJ-03", "990309001002"),
    ("LJ-04", "990309002001"), ("LJ-05", "990309101201"), ("LJ-06", "990309101202"),
    ("LJ-07", "990309101"),                                   # 瓜沥镇 itself
    ("LJ-08", "990309"), ("LJ-09", "990309"), ("LJ-10", "990309"),  # 江滨区 itself (本级)
    ("LJ-11", "990302"), ("LJ-12", "990382"), ("LJ-13", "990384"), ("LJ-14", "990384"),
    ("LJ-15", "990300"),                                      # the city itself (本级)
]
CASES_FILED = 15
# Per district (city-wide ranking) and per township of 江滨区.
CASES_BY_DISTRICT = {"上城区": 1, "江滨区": 10, "建江市": 1, "桐江县": 2, "临江市本级": 1}
CASES_IN_JIANGBIN = {"城厢街道": 3, "北干街道": 1, "瓜沥镇": 3, "江滨区本级": 3}
COMPLAINTS = [("XF-01", "990309001001"), ("XF-02", "990309"), ("XF-03", "990303")]


def records_ledger(path: Path) -> Path:
    """台账.xlsx: a 案件 sheet and a 信访 sheet, each under a title row, all in March 2024."""
    cases = [["案件编号", "区划代码", "立案日期", "党纪处分人数"]] + [
        [cid, code, f"2024年3月{i + 1}日", 1] for i, (cid, code) in enumerate(CASES)]
    complaints = [["信访编号", "区划代码", "受理日期", "渠道"]] + [
        [cid, code, f"2024-03-{i + 10}", "来信"] for i, (cid, code) in enumerate(COMPLAINTS)]
    return _write(path, {"案件台账": ("2024年案件台账", cases), "信访举报台账": ("2024年信访台账", complaints)})
