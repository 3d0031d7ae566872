"""The four forms of discipline (四种形态): one table in config/forms.toml, read and checked once.

Which measure makes which form is a commission's own reading of the rules (诫勉, for one, is
first form in most provinces), so it is data, not code. The same table gives the import its
accepted words per column, the in-memory form of a person (`form_expr`) and its SQL twin
(`form_sql`), so the cockpit, the CLI and PostgreSQL cannot disagree about a person's form.
"""
from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

import polars as pl
import sqlalchemy as sa

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "forms.toml"
ENV = "OVERSIGHT_FORMS_CONFIG"
MEASURE_COLUMNS = ("party_sanction", "gov_sanction", "org_measure", "first_form_measure")
FORMS = (1, 2, 3, 4)
# What a ledger writes in a 四种形态 column → the form.
STATED_WORDS = {"第一种形态": 1, "第二种形态": 2, "第三种形态": 3, "第四种形态": 4,
                "第一种": 1, "第二种": 2, "第三种": 3, "第四种": 4, "一": 1, "二": 2, "三": 3, "四": 4,
                "1": 1, "2": 2, "3": 3, "4": 4}


class FormsConfigError(ValueError):
    """A bad forms table, with a message naming the section and word."""


def load(path: Path | None = None) -> dict[str, dict[str, int]]:
    """{column: {word: form}} plus {"transferred_judicial": {"form": 4}}, validated: every
    section known, every form 1–4. An error names what is wrong, never falls back silently."""
    path = path or Path(os.environ.get(ENV) or DEFAULT_PATH)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise FormsConfigError(f"四种形态配置文件不存在：{path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FormsConfigError(f"四种形态配置文件格式错误（{path}）：{exc}") from None
    known = (*MEASURE_COLUMNS, "transferred_judicial")
    for section in raw:
        if section not in known:
            raise FormsConfigError(f"四种形态配置：未知的节 [{section}]（应为 {'、'.join(known)}）")
    out: dict[str, dict[str, int]] = {}
    for section in known:
        words = raw.get(section, {})
        if not isinstance(words, dict) or (section == "transferred_judicial" and set(words) - {"form"}):
            raise FormsConfigError(f"四种形态配置：[{section}] 格式错误")
        for word, form in words.items():
            if not isinstance(form, int) or isinstance(form, bool) or form not in FORMS:
                raise FormsConfigError(f"四种形态配置：[{section}] “{word}” 的形态应为 1–4 的整数，而不是 {form!r}")
        out[section] = dict(words)
    out["transferred_judicial"].setdefault("form", 4)
    return out


@cache
def mapping() -> dict[str, dict[str, int]]:
    """The deployment's table, read once per process (the app and the CLI call it at start)."""
    return load()


def words(column: str) -> list[str]:
    """The measure words accepted in `column` of the persons ledger (drop-downs, import checks)."""
    return list(mapping()[column])


def form_expr(table: dict[str, dict[str, int]] | None = None) -> pl.Expr:
    """A person's form (Int8, null: no measure): the most severe any measure maps to."""
    table = table or mapping()
    candidates = [pl.col(c).cast(pl.String).replace_strict(table[c], default=None, return_dtype=pl.Int8)
                  for c in MEASURE_COLUMNS]
    candidates.append(pl.when(pl.col("transferred_judicial").fill_null(False))
                      .then(pl.lit(table["transferred_judicial"]["form"], dtype=pl.Int8)))
    return pl.max_horizontal(candidates).alias("_form")


def form_sql(t: sa.FromClause, table: dict[str, dict[str, int]] | None = None) -> sa.ColumnElement:
    """The SQL twin of `form_expr` on a persons selectable: a CASE from the most severe down,
    as text ('1'…'4') like the in-memory `_form` column the metrics compare."""
    table = table or mapping()
    whens = []
    for form in sorted(FORMS, reverse=True):
        conds = [t.c[c].in_([w for w, f in table[c].items() if f == form]) for c in MEASURE_COLUMNS
                 if any(f == form for f in table[c].values())]
        if table["transferred_judicial"]["form"] == form:
            conds.append(t.c.transferred_judicial.is_(sa.true()))
        if conds:
            whens.append((sa.or_(*conds), str(form)))
    return sa.case(*whens, else_=None)
