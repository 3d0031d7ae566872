"""The ledger headers of docs/ledgers.md: the canonical Chinese header of every column (first in each
list, used by exports so that an exported file imports back unchanged) and the variants staff
write. One table for import, export and templates."""
from __future__ import annotations

import re
import unicodedata

# The 四种形态 a persons sheet may state; a header, not a stored column.
STATED_FORM = "stated_form"

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
        "exposed_on": ["通报曝光日期", "曝光日期", "公开曝光日期"], "reflection_on": ["反思剖析日期"], "revisit_on": ["回访日期", "回访促建日期"],
        "feedback_on": ["反馈整改日期"],
        "persons": ["立案人数", "涉案人数"], "notified_on": ["通报日期", "内部通报日期"],
    },
    "complaints": {
        "complaint_id": ["信访编号", "件号"], "region_code": ["区划代码"], "received_on": ["受理日期", "收件日期"],
        "channel": ["渠道", "来源方式"], "field": ["领域", "问题类别"], "in_scope": ["是否纪检监察业务范围"],
        "is_repeat": ["是否重复件"], "anonymous": ["是否匿名", "署名方式"], "due_on": ["限办日期", "办理时限"],
        "closed_on": ["办结日期"], "satisfaction": ["满意度"], "case_id": ["转立案编号"],
        "disposition": ["处置方式"], "disposed_on": ["处置日期"],
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
    "persons": {
        "person_id": ["人员编号", "序号"], "case_id": ["案件编号", "案号"], "region_code": ["区划代码"],
        "rank": ["职级", "人员层级"], "party_member": ["是否党员"], "filed_on": ["立案日期"],
        "decided_on": ["处理日期", "处分日期", "决定日期"], "party_sanction": ["党纪处分", "党纪处分种类"],
        "gov_sanction": ["政务处分", "政务处分种类"], "org_measure": ["组织处理", "组织调整"],
        "first_form_measure": ["第一种形态处理方式", "批评教育帮助方式", "其他处理"],
        "transferred_judicial": ["移送司法", "移送检察机关"], "notified": ["是否通报", "内部通报"],
        "exposed": ["是否公开曝光", "点名道姓曝光"], "accountable": ["是否问责", "一案双查问责"],
        # Not stored: checked against the measures on its row (queries.forms).
        STATED_FORM: ["四种形态", "形态", "运用形态"],
    },
    "link_events": {
        "event_id": ["记录编号", "序号"], "link": ["环节"], "held_on": ["日期", "开展日期"],
        "region_code": ["区划代码"], "case_id": ["案件编号"], "times": ["次数"],
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "regions": ("code", "name"),  # 层级 blank or absent: read from the code
    "cases": ("case_id", "region_code", "filed_on"),
    "complaints": ("complaint_id", "region_code", "received_on"),
    "rectifications": ("item_id", "region_code", "started_on"),
    "progress_updates": ("item_id", "reported_on", "progress_pct"),
    # A person needs a case or a region (checked row by row in queries.ingest).
    "persons": ("person_id",),
    "link_events": ("event_id", "link", "held_on"),
}

# Sheet or file name → table, checked in this order (docs/ledgers.md).
# 人员/形态 and 环节/剖析/回访 come before 案件 ("案件剖析" is a link sheet, "涉案人员" a persons
# one); 处理 comes last, so that "信访处理" stays a complaint sheet.
TABLE_HINTS = (("代码变更", "code_changes"), ("区划", "regions"), ("进度", "progress_updates"),
               ("人员", "persons"), ("形态", "persons"), ("环节", "link_events"), ("剖析", "link_events"),
               ("回访", "link_events"),
               ("整改", "rectifications"), ("案件", "cases"), ("信访", "complaints"), ("举报", "complaints"),
               ("线索", "complaints"), ("处理", "persons"))

# Columns that would identify a complainant (docs/ledgers.md): words refused in a header of any sheet,
# and the looser ones only in a complaint sheet. Matched on the normalised header, so spaces,
# zero-width characters and full-width letters do not hide them; a known header (被反映人职级)
# is never refused.
IDENTIFYING_ANYWHERE = ("举报人", "控告人", "检举人", "来信人", "来访人", "信访人", "投诉人", "反映人",
                        "身份证", "证件号", "公民身份号码", "联系电话", "联系方式", "手机", "电话", "住址",
                        "家庭地址", "居住地", "通讯地址", "联系地址", "邮箱", "电子邮件", "微信", "QQ")
IDENTIFYING_IN_COMPLAINTS = ("姓名", "联系人", "性别", "年龄", "出生")
# Words above that are also part of an innocent header: 被反映人 is the person complained about.
_NOT_A_COMPLAINANT = re.compile("被反映人|被举报人|被控告人|被检举人|被投诉人")
# The dashboard counts the people handled, it does not name them (docs/ledgers.md persons).
IDENTIFYING_IN_PERSONS = ("姓名", "身份证", "联系电话", "住址")

_UNIT = re.compile(r"[（(]\s*(万元|元|%|％|项|人|件|天)\s*[)）]$")


def canonical(table: str, column: str) -> str:
    return HEADERS[table][column][0]


def clean(header: object) -> str:
    """A header as it reads: NFKC (full-width letters, digits and brackets made plain), every
    space and invisible character (zero-width space, BOM, joiners, controls) removed, upper case."""
    text = unicodedata.normalize("NFKC", str(header or ""))
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch) in _INVISIBLE)).upper()


_INVISIBLE = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def normalize(header: object) -> str:
    """`clean`, with a unit suffix dropped: the form known headers are matched in."""
    h = clean(header).replace("（", "(").replace("）", ")").replace("％", "%")
    return _UNIT.sub("", h)


def unit_of(header: str) -> str | None:
    m = _UNIT.search(clean(header).replace("（", "(").replace("）", ")"))
    return m.group(1) if m else None


def identifying(header: object, table: str) -> str | None:
    """The word that makes `header` a column identifying a complainant (or, in a persons sheet,
    the person handled), or None."""
    text = _NOT_A_COMPLAINANT.sub("", clean(header))
    words = IDENTIFYING_ANYWHERE + (IDENTIFYING_IN_COMPLAINTS if table == "complaints" else ())
    words += IDENTIFYING_IN_PERSONS if table == "persons" else ()
    return next((w for w in words if w in text), None)


def lookup(table: str) -> dict[str, str]:
    """normalized header → column, for one table."""
    out: dict[str, str] = {}
    for column, variants in HEADERS[table].items():
        for v in variants:
            out.setdefault(normalize(v), column)
    return out
