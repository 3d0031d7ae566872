"""What a cadre needs to act on one warning (the 预警 page's detail, also a detail table's row
detail): the record in display order, the rule and its thresholds, the due date and days
overdue, who is responsible, the history, the five links of a case, and the related records.

Pure polars, no words: every label and sentence is the page's (dashboard/i18n.py); this module
returns column names, rule ids, threshold values and raw values, so one dict can be shown in
Chinese or English and tested by hand.
"""
from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from queries import filters as flt
from queries.filters import Filters, Scope
from queries.regions import with_region_path
from queries.schema import Tables, polars_schema
from queries.warnings import RULES_INFO
from queries.warnings_config import WarningConfig

TABLE = {"rectification": "rectifications", "complaint": "complaints", "case": "cases"}
KEY = {"rectification": "item_id", "complaint": "complaint_id", "case": "case_id"}
PERSON_COLS = {"responsible_person"}
PATH = ("district", "township", "village")

# The five links of docs/metrics.md: the word the link events ledger uses, and the case column.
FIVE_LINKS = (("通报", "notified_on"), ("曝光", "exposed_on"), ("反思剖析", "reflection_on"),
              ("回访促建", "revisit_on"), ("反馈整改", "feedback_on"))

# The dated steps of each record, in process order: (column, event id).
STEPS = {
    "rectification": (("started_on", "assigned"), ("completed_on", "completed"), ("verified_on", "verified")),
    "complaint": (("received_on", "received"), ("disposed_on", "disposed"), ("closed_on", "closed")),
    "case": (("clue_received_on", "clue"), ("filed_on", "filed"), ("closed_on", "case_closed"),
             *((col, f"link:{word}") for word, col in FIVE_LINKS)),
}

# The key fields of a related record (a row of its own small table on the page).
RELATED_COLS = {
    "case": ("case_id", "unit_name", "field", "problem_type", "filed_on", "closed_on"),
    "complaint": ("complaint_id", "received_on", "channel", "field", "disposition", "due_on", "closed_on"),
    "rectification": ("item_id", "project", "responsible_unit", "due_on", "progress_pct", "completed_on"),
}

# What the record is about, shown beside its warning.
SUBJECT = {"rectification": ("project", "description"), "complaint": ("channel", "field"),
           "case": ("field", "problem_type")}
# Where the record's done date is (its due date is `due_on`, computed where the ledger had none).
DONE = {"rectification": "completed_on", "complaint": "closed_on", "case": "closed_on"}


def rule_params(rule: str, cfg: WarningConfig) -> dict[str, int | float]:
    """The thresholds a rule's sentence names (config/warnings.toml), by the sentence's names."""
    return {
        "R1": {"working_days": cfg.rectification_working_days},
        "R2": {"days": cfg.r2_days, "progress": _num(cfg.r2_progress_below)},
        "R3": {"points": _num(cfg.r3_lag_points)},
        "R4": {"days": cfg.r4_days},
        "C1": {"working_days": cfg.complaint_working_days},
        "C2": {"days": cfg.c2_days},
        "C3": {"count": cfg.c3_count, "window": cfg.c3_window_days},
        "K1": {"days": cfg.k1_days},
        "K2": {"days": cfg.k2_days},
        "P1": {},
    }[rule]


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _rule(w: dict, cfg: WarningConfig) -> dict:
    return {"rule": w["rule"], "level": w.get("level") or RULES_INFO[w["rule"]][0],
            "params": rule_params(w["rule"], cfg), "reason": w.get("reason"), "days": w.get("days")}


def _one(lf: pl.LazyFrame, key: str, value: str) -> dict | None:
    rows = lf.filter(pl.col(key) == value).collect()
    return rows.row(0, named=True) if rows.height else None


def _path(tables: Tables, region_code: str | None) -> dict[str, str | None]:
    if region_code is None:
        return dict.fromkeys(PATH)
    got = with_region_path(pl.LazyFrame({"region_code": [region_code]}), tables.regions).collect()
    return {c: got[c][0] for c in PATH} if got.height else dict.fromkeys(PATH)


def _due(record_type: str, record: dict | None, rules: list[dict], cfg: WarningConfig,
         as_of: date) -> tuple[date | None, bool]:
    """The date the warned step was due, and whether that step is done at as_of. A case has no
    due date of its own: K1's is the filing date + its days, K2's the closing date + its days."""
    if record is None:
        return None, False
    first = rules[0]["rule"] if rules else None
    if record_type == "case":
        if first == "K2" and record.get("closed_on") is not None:
            done = all(record.get(c) is not None and record[c] <= as_of for c in ("revisit_on", "feedback_on"))
            return record["closed_on"] + timedelta(days=cfg.k2_days), done
        done = record.get("closed_on") is not None and record["closed_on"] <= as_of
        if first in ("K1", None) and not done and record.get("filed_on") is not None:
            return record["filed_on"] + timedelta(days=cfg.k1_days), False
        return None, done
    done_on = record.get(DONE[record_type])
    return record.get("due_on"), done_on is not None and done_on <= as_of


def _history(tables: Tables, record_type: str, record: dict, as_of: date) -> list[dict]:
    """What happened to the record up to as_of, oldest first: its dated steps, a rectification's
    monthly reports, a case's link events. Each {"on", "event", "value", "note"}."""
    out: list[dict] = []
    for col, event in STEPS[record_type]:
        on = record.get(col)
        if on is not None and on <= as_of:
            value = record.get("disposition") if event == "disposed" else None
            out.append({"on": on, "event": event, "value": value, "note": None})
    rid = record[KEY[record_type]]
    if record_type == "rectification":
        reports = (tables.progress_updates.filter((pl.col("item_id") == rid) & (pl.col("reported_on") <= as_of))
                   .sort("reported_on"))
        out += [{"on": r["reported_on"], "event": "report", "value": r["progress_pct"], "note": r["note"]}
                for r in reports.iter_rows(named=True)]
    if record_type == "case":
        events = (tables.link_events.filter((pl.col("case_id") == rid) & (pl.col("held_on") <= as_of))
                  .sort("held_on"))
        held = [{"on": r["held_on"], "event": f"link:{r['link']}", "value": r["times"], "note": None}
                for r in events.iter_rows(named=True)]
        # A link the case ledger dates and the link ledger records on the same day is one step.
        same = {(e["on"], e["event"]) for e in held}
        out = [e for e in out if (e["on"], e["event"]) not in same] + held
    # Steps before reports of the same day (a report on the day of assignment follows it).
    order = {"assigned": 0, "received": 0, "clue": 0, "filed": 1}
    return sorted(out, key=lambda e: (e["on"], order.get(e["event"], 2)))


def _links(tables: Tables, record: dict, as_of: date) -> list[dict]:
    """Each of the five links of a case: the earliest date it was held by as_of (the case
    ledger's column or the link events ledger; None when not held), and how many times the link
    ledger records it (an event's `times`, 1 when empty)."""
    events = tables.link_events.filter((pl.col("case_id") == record["case_id"]) & (pl.col("held_on") <= as_of))
    out = []
    for word, col in FIVE_LINKS:
        mine = events.filter(pl.col("link").cast(pl.String) == word)
        dates = [d for d in (record.get(col), mine["held_on"].min() if mine.height else None)
                 if d is not None and d <= as_of]
        times = int(mine["times"].fill_null(1).sum()) if mine.height else 0
        out.append({"link": word, "on": min(dates) if dates else None, "times": times})
    return out


def _related(tables: Tables, scoped: dict[str, pl.LazyFrame], record_type: str, record: dict | None,
             record_id: str, as_of: date, cfg: WarningConfig, show_persons: bool) -> dict:
    """The records this one leads to or comes from, inside the scope, by their key fields: a
    complaint's or rectification's case; a case's complaints and rectifications; a C3 village's
    repeat complaints in the window. `hidden` counts related ids outside the jurisdiction."""
    out: dict[str, list[dict]] = {"case": [], "complaint": [], "rectification": []}
    hidden = 0

    def take(kind: str, lf: pl.LazyFrame, wanted: int | None = None) -> None:
        nonlocal hidden
        cols = [c for c in RELATED_COLS[kind] if show_persons or c not in PERSON_COLS]
        rows = lf.select(cols).sort(cols[0]).collect()
        out[kind] += rows.to_dicts()
        if wanted is not None:
            hidden += max(0, wanted - rows.height)

    if record_type in ("complaint", "rectification") and record is not None and record.get("case_id"):
        case_id = record["case_id"]
        take("case", scoped["case"].filter(pl.col("case_id") == case_id),
             tables.cases.filter(pl.col("case_id") == case_id).height)
    elif record_type == "case":
        for kind in ("complaint", "rectification"):
            whole = getattr(tables, TABLE[kind]).filter(pl.col("case_id") == record_id).height
            take(kind, scoped[kind].filter(pl.col("case_id") == record_id), whole)
    elif record_type == "village":
        start = as_of - timedelta(days=cfg.c3_window_days - 1)
        take("complaint", scoped["complaint"].filter(
            (pl.col("region_code") == record_id) & pl.col("is_repeat").fill_null(False)
            & pl.col("received_on").is_between(start, as_of)))
    return {**out, "hidden": hidden}


def build(tables: Tables, scope: Scope, record_type: str, record_id: str, as_of: date, cfg: WarningConfig,
          warnings: list[dict] | None = None, show_persons: bool = True) -> dict:
    """The detail of `record_id`, or of the village of a C3 warning. `warnings` are the warning
    rows of this record (the one chosen first), as `queries.warnings.evaluate` gives them.

    Returns {"record_type", "record_id", "found", "rules", "subject", "region", "unit", "person",
    "due_on", "done", "days_overdue", "days_left", "fields", "history", "links", "related"}:
    `found` is False when the record is outside the scope or not in the ledger (then nothing of
    it is given); `subject` is what the record is about, as (column, value) pairs that have a
    value; `fields` is the record as (column, value) pairs in ledger order, without its region
    code (the region path is `region`) and, unless `show_persons`, without the person."""
    rules = [_rule(w, cfg) for w in (warnings or [])]
    everything = Filters(date.min, date.max)
    scoped = {kind: flt.apply(getattr(tables, table), everything, scope) for kind, table in TABLE.items()}
    out: dict = {"record_type": record_type, "record_id": record_id, "rules": rules, "subject": [], "unit": None,
                 "person": None, "due_on": None, "done": False, "days_overdue": None, "days_left": None,
                 "fields": [], "history": [], "links": [], "region": dict.fromkeys(PATH)}
    if record_type == "village":
        inside = flt.apply(pl.LazyFrame({"region_code": [record_id]}), everything, scope).collect().height == 1
        out.update(found=inside, region=_path(tables, record_id) if inside else out["region"])
        out["related"] = (_related(tables, scoped, "village", None, record_id, as_of, cfg, show_persons) if inside
                          else {"case": [], "complaint": [], "rectification": [], "hidden": 0})
        return out
    record = _one(scoped[record_type], KEY[record_type], record_id)
    out["found"] = record is not None
    if record is None:
        out["related"] = {"case": [], "complaint": [], "rectification": [], "hidden": 0}
        return out
    due, done = _due(record_type, record, rules, cfg, as_of)
    late = (as_of - due).days if due is not None else None
    out.update(
        region=_path(tables, record.get("region_code")),
        subject=[(c, record[c]) for c in SUBJECT[record_type] if record.get(c) is not None],
        unit=record.get("responsible_unit") if record_type == "rectification" else record.get("unit_name"),
        person=record.get("responsible_person") if show_persons else None,
        due_on=due, done=done,
        days_overdue=late if late is not None and late > 0 and not done else None,
        days_left=-late if late is not None and late <= 0 and not done else None,
        fields=[(c, record.get(c)) for c in polars_schema(TABLE[record_type])
                if c != "region_code" and (show_persons or c not in PERSON_COLS)],
        history=_history(tables, record_type, record, as_of),
        links=_links(tables, record, as_of) if record_type == "case" else [],
        related=_related(tables, scoped, record_type, record, record_id, as_of, cfg, show_persons),
    )
    return out
