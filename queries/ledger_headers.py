"""The ledger headers of LEDGERS.md: the canonical Chinese header of every column (first in each
list, used by exports so that an exported file imports back unchanged) and the variants staff
write. One table for import, export and templates."""
from __future__ import annotations

import re

HEADERS: dict[str, dict[str, list[str]]] = {
    "regions": {
        "code": ["区划代码"], "name": ["名称", "区划名称"], "level": ["层级"], "parent_code": ["上级代码"],
        "lon": ["经度"], "lat": ["纬度"], "population": ["人口", "常住人口"], "key_watch": ["提级监督", "重点村"],
    },
    "cases": {
        "case_id": ["案件编号", "编号", "案号"], "region_code": ["区划代码", "行政区划代码", "村(社区)代码"],
        "unit_name": ["单位", "所在单位", "涉案单位"], "unit_type": ["单位类型"], "field": ["领域", "问题领域"],
        "problem_type": ["问题类型", "违纪类型"], "source": ["线索来源", "来源"],
        "subject_rank": ["被反映人职级", "职级", "人员层级"], "clue_received_on": ["线索受理日期", "受理日期"],
        "filed_on": ["立案日期", "立案时间"], "closed_on": ["审结日期", "结案日期"],
        "party_discipline": ["党纪处分人数", "党纪处分"], "gov_sanction": ["政务处分人数", "政务处分"],
        "org_handling": ["组织处理人数", "组织处理"], "transferred_judicial": ["移送司法人数", "移送司法机关"],
        "accountability": ["问责人数", "责任追究人数"], "amount_involved": ["涉案金额（万元）", "涉案金额"],
        "amount_recovered": ["追缴金额（万元）", "挽回资金（万元）", "追缴或挽回资金", "追缴金额"],
        "exposed_on": ["通报曝光日期"], "reflection_on": ["反思剖析日期"], "revisit_on": ["回访日期", "回访促建日期"],
        "feedback_on": ["反馈整改日期"],
    },
    "complaints": {
        "complaint_id": ["信访编号", "件号"], "region_code": ["区划代码"], "received_on": ["受理日期", "收件日期"],
        "channel": ["渠道", "来源方式"], "field": ["领域", "问题类别"], "in_scope": ["是否纪检监察业务范围"],
        "is_repeat": ["是否重复件"], "anonymous": ["是否匿名", "署名方式"], "due_on": ["限办日期", "办理时限"],
        "closed_on": ["办结日期"], "satisfaction": ["满意度"], "case_id": ["转立案编号"],
    },
    "rectifications": {
        "item_id": ["整改编号", "事项编号"], "region_code": ["区划代码"], "project": ["专项治理项目", "所属专项"],
        "source": ["问题来源"], "description": ["问题描述", "整改事项"], "responsible_unit": ["责任单位"],
        "responsible_person": ["责任人"], "started_on": ["开始日期", "交办日期"], "due_on": ["完成时限", "整改时限"],
        "progress_pct": ["整改进度", "进度（%）"], "last_update_on": ["最近更新", "更新日期"],
        "completed_on": ["完成日期", "整改完成日期"], "verified_on": ["销号日期"],
        "funds_recovered": ["清缴资金（万元）", "挽回资金（万元）"], "rules_established": ["建立制度数", "完善制度（项）"],
        "case_id": ["关联案件编号"],
    },
    "progress_updates": {
        "item_id": ["整改编号"], "reported_on": ["报告日期", "月份"], "progress_pct": ["进度"], "note": ["进展情况"],
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "regions": ("code", "name"),  # 层级 blank or absent: read from the code
    "cases": ("case_id", "region_code", "filed_on"),
    "complaints": ("complaint_id", "region_code", "received_on"),
    "rectifications": ("item_id", "region_code", "started_on"),
    "progress_updates": ("item_id", "reported_on", "progress_pct"),
}

# Sheet or file name → table, checked in this order (LEDGERS.md).
TABLE_HINTS = (("代码变更", "code_changes"), ("区划", "regions"), ("进度", "progress_updates"),
               ("整改", "rectifications"), ("案件", "cases"), ("信访", "complaints"), ("举报", "complaints"),
               ("线索", "complaints"))

# Columns that would identify a complainant: refused in a complaint sheet (姓名 only there),
# and the unambiguous ones in any sheet.
IDENTIFYING_ANYWHERE = ("举报人", "控告人", "身份证", "联系电话", "手机号", "住址", "家庭地址")
IDENTIFYING_IN_COMPLAINTS = ("姓名", "电话")

_UNIT = re.compile(r"[（(]\s*(万元|元|%|％|项|人|件|天)\s*[)）]$")


def canonical(table: str, column: str) -> str:
    return HEADERS[table][column][0]


def normalize(header: str) -> str:
    """Spaces removed, full-width brackets made half-width, a unit suffix dropped."""
    h = re.sub(r"\s+", "", str(header or ""))
    h = h.replace("（", "(").replace("）", ")").replace("％", "%")
    return _UNIT.sub("", h)


def unit_of(header: str) -> str | None:
    m = _UNIT.search(re.sub(r"\s+", "", str(header or "")).replace("（", "(").replace("）", ")"))
    return m.group(1) if m else None


def lookup(table: str) -> dict[str, str]:
    """normalized header → column, for one table."""
    out: dict[str, str] = {}
    for column, variants in HEADERS[table].items():
        for v in variants:
            out.setdefault(normalize(v), column)
    return out
