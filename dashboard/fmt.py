"""Numbers as Chinese readers expect them: 千分位, 万元 / 亿元, percentages, 同比 wording."""
from __future__ import annotations

from dashboard.i18n import t


def count(value: float | int | None, unit: str = "", lang: str = "zh") -> str:
    if value is None:
        return "—"
    text = f"{int(round(value)):,}"
    return f"{text} {unit}".strip() if unit and lang == "zh" else text


def money_wan(value: float | None, lang: str = "zh") -> str:
    """万元 with two decimals; ≥ 1 亿 (10,000 万) switches to 亿元 so big sums stay readable.
    English readers count in thousands, not 万: "¥4.60 bn", "¥12.35 m", "¥60,000" ("45.98 100m
    yuan" did not fit a card, nor read as a sum)."""
    if value is None:
        return "—"
    if lang != "zh":
        yuan = value * 10_000
        for limit, suffix in ((1e9, "bn"), (1e6, "m")):
            if abs(yuan) >= limit:
                return f"¥{yuan / limit:,.2f} {suffix}"
        return f"¥{yuan:,.0f}"
    if abs(value) >= 10_000:
        return f"{value / 10_000:,.2f} {t('unit.yi', lang)}"
    return f"{value:,.2f} {t('unit.wan', lang)}"


def rate(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def change(value: float | None, is_rate: bool, lang: str = "zh") -> str | None:
    """A 同比 delta as shown under a KPI: ratio for amounts, percentage points for rates."""
    if value is None:
        return None
    sign = "+" if value > 0 else "" if value == 0 else "-"  # ASCII: st.metric reads it for the arrow
    if is_rate:
        return t("change.pp", lang, sign=sign, value=f"{abs(value) * 100:.1f}")
    return f"{sign}{abs(value) * 100:.1f}%"


def cases_and_persons(cases: float | int | None, persons: float | int | None, lang: str = "zh") -> str:
    """How commissions state a figure: "1,661 件 1,803 人" (English: "1,661 cases · 1,803 persons")."""
    if cases is None:
        return "—"
    if lang == "zh":
        return f"{count(cases, '件')} {count(persons, '人')}"
    return f"{count(cases, lang='en')} cases · {count(persons, lang='en')} persons"


def metric_value(value: float | int | None, unit: str, lang: str = "zh") -> str:
    if unit == "rate":
        return rate(value)
    if unit == "money":
        return money_wan(value, lang)
    return count(value, t(f"unit.{unit}", lang) if unit in ("count", "people", "person_times") else "", lang)
