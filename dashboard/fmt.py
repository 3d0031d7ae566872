"""Numbers as Chinese readers expect them: 千分位, 万元 / 亿元, percentages, 同比 wording."""
from __future__ import annotations

import polars as pl

from dashboard.i18n import t

# One percentage format everywhere (cards, tables, chart ticks and labels, legends): one decimal.
# "2.7%", "1.49%" and "0%" side by side read as different precisions of different things.
PCT_DIGITS = 1
PCT_D3 = f".{PCT_DIGITS}%"            # plotly tickformat / texttemplate of a 0–1 fraction
PCT_D3_SIGNED = f"+.{PCT_DIGITS}%"    # a change
PCT_PRINTF = f"%.{PCT_DIGITS}f%%"     # st.column_config of a value already × 100
COUNT_D3 = ",d"                       # a count axis: whole numbers only
BLANK = "—"


def blank_nulls(df: pl.DataFrame) -> pl.DataFrame:
    """Text columns with their empty cells as "—": st.dataframe would print "None"."""
    return df.with_columns([pl.col(c).cast(pl.String).fill_null(BLANK) for c, dt in df.schema.items()
                            if dt in (pl.String, pl.Categorical)])


def as_percent(df: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    """0–1 fractions as percentages (× 100) for a table column formatted with PCT_PRINTF."""
    return df.with_columns([(pl.col(c) * 100).alias(c) for c in cols if c in df.columns])


def legend_number(value: float, unit: str) -> str:
    """A colour-scale break: counts as whole numbers ("26 – 36", not "26.0 – 36.0"), rates in
    the one percentage format, per-10,000 figures with one decimal below 100."""
    if unit == "rate":
        return rate(value)
    if unit in ("count", "people"):
        return f"{int(round(value)):,}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


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


def rate(value: float | None, digits: int = PCT_DIGITS) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def change(value: float | None, is_rate: bool, lang: str = "zh") -> str | None:
    """A 同比 delta as shown under a KPI: ratio for amounts, percentage points for rates."""
    if value is None:
        return None
    sign = "+" if value > 0 else "" if value == 0 else "-"  # ASCII: st.metric reads it for the arrow
    if is_rate:
        return t("change.pp", lang, sign=sign, value=f"{abs(value) * 100:.{PCT_DIGITS}f}")
    return f"{sign}{abs(value) * 100:.{PCT_DIGITS}f}%"


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
