"""Headline figures as the sentences a written report uses, generated from the compared values:
"立案 1,234 件，同比增加 12.3%（多 135 件）", "整改完成率 86.5%，较上期提高 2.1 个百分点"."""
from __future__ import annotations

from queries.metrics import METRICS

SUBJECT = {
    "cases_filed": ("立案", "件"), "persons_disciplined": ("处分", "人"), "complaints_received": ("受理信访举报", "件"),
    "rectifications_overdue": ("逾期未完成整改事项", "件"), "exposed": ("通报曝光典型问题", "起"),
    "rectifications_completed": ("完成整改事项", "件"), "rules_established": ("建立健全制度", "项"),
}
RATE_SUBJECT = {"closure_rate": "信访办结率", "satisfaction_rate": "群众满意率", "completion_rate": "整改完成率",
                "on_time_rate": "按期办结率"}


def _amount(key: str, value: float) -> str:
    if key == "funds_recovered_wan":
        return f"{value / 10_000:,.2f} 亿元" if value >= 10_000 else f"{value:,.2f} 万元"
    return f"{int(round(value)):,} {SUBJECT[key][1]}"


def sentence(key: str, c: dict, comparison: str = "yoy") -> str:
    """One sentence for one metric, with 同比 (yoy) or 较上期 (mom) wording."""
    value, before, change = c["value"], c.get(f"{comparison}_value"), c.get(f"{comparison}_change")
    lead = "同比" if comparison == "yoy" else "较上期"
    if METRICS[key].is_rate:
        if value is None:
            return f"{RATE_SUBJECT.get(key, key)}暂无数据"
        text = f"{RATE_SUBJECT.get(key, key)} {value * 100:.1f}%"
        if change is None:
            return text
        if abs(change) < 0.0005:
            return f"{text}，{lead}持平"
        verb = "提高" if change > 0 else "下降"
        return f"{text}，{lead}{verb} {abs(change) * 100:.1f} 个百分点"
    subject = "追缴挽回资金" if key == "funds_recovered_wan" else SUBJECT.get(key, (key, ""))[0]
    text = f"{subject} {_amount(key, value or 0)}"
    if change is None or before is None:
        return text if before else f"{text}（上年同期无可比数据）" if comparison == "yoy" else text
    if value == before:
        return f"{text}，{lead}持平"
    verb = "增加" if value > before else "减少"
    diff = _amount(key, abs(value - before))
    more = "多" if value > before else "少"
    return f"{text}，{lead}{verb} {abs(change) * 100:.1f}%（{more} {diff}）"


HEADLINE = ("cases_filed", "persons_disciplined", "funds_recovered_wan", "complaints_received",
            "closure_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue")


def headline(compared: dict) -> list[str]:
    out = [sentence(k, compared[k], "yoy") for k in HEADLINE if k in compared]
    if "completion_rate" in compared:
        out.append(sentence("completion_rate", compared["completion_rate"], "mom"))
    return out


FORM_NAMES = ("第一种形态", "第二种形态", "第三种形态", "第四种形态")


def _n(c: dict | None) -> int:
    return int(round((c or {}).get("value") or 0))


def forms_sentence(compared: dict) -> str:
    """The sentence commissions write about discipline: "运用监督执纪“四种形态”批评教育帮助和处理
    X 人次，其中第一种形态 a 人次、占 p%，…" (shares of the four forms' sum)."""
    total = _n(compared.get("forms_total"))
    if not total:
        return "本期无运用“四种形态”处理记录"
    parts = []
    for i, name in enumerate(FORM_NAMES, start=1):
        n = _n(compared.get(f"form{i}_persons"))
        parts.append(f"{name} {n:,} 人次、占 {n / total * 100:.1f}%")
    return f"运用监督执纪“四种形态”批评教育帮助和处理 {total:,} 人次，其中" + "，".join(parts)


def cases_persons_sentence(compared: dict) -> str:
    """"立案 1,661 件 1,803 人，审结 1,540 件 1,650 人"."""
    return (f"立案 {_n(compared.get('cases_filed')):,} 件 {_n(compared.get('persons_filed')):,} 人，"
            f"审结 {_n(compared.get('cases_closed')):,} 件 {_n(compared.get('persons_closed')):,} 人")


def links_sentence(compared: dict) -> str:
    """The five links as reports count them: "通报 411 件 550 人，公开曝光 350 件 444 人，反思剖析
    5,980 次，回访促建 661 次，反馈整改 549 次"."""
    return (f"通报 {_n(compared.get('notified_cases')):,} 件 {_n(compared.get('notified_persons')):,} 人，"
            f"公开曝光 {_n(compared.get('exposed')):,} 件 {_n(compared.get('exposed_persons')):,} 人，"
            f"反思剖析 {_n(compared.get('reflections')):,} 次，回访促建 {_n(compared.get('revisits')):,} 次，"
            f"反馈整改 {_n(compared.get('feedbacks')):,} 次")


def leads_sentence(compared: dict) -> str:
    """"处置问题线索 2,279 件，其中谈话函询 a 件、初步核实 b 件…，处置率 p%"."""
    from queries.metrics import DISPOSITION_KEYS

    total = _n(compared.get("leads_disposed"))
    if not total:
        return "本期无问题线索处置记录"
    parts = "、".join(f"{word} {_n(compared.get(k)):,} 件" for word, k in DISPOSITION_KEYS.items()
                     if _n(compared.get(k)))
    rate = (compared.get("disposal_rate") or {}).get("value")
    tail = f"，处置率 {rate * 100:.1f}%" if rate is not None else ""
    return f"处置问题线索 {total:,} 件，其中{parts}{tail}"
