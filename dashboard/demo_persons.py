"""The demo city's persons (涉案人员), link events (五个环节记录) and lead dispositions.

Proportions follow what commissions publish: most cases have one subject, some several; about
one in twelve concluded cases also holds someone to account (一案双查); first-form handling
after 谈话函询 or 日常监督, without a case, is the large majority of the four forms (~70 %), then
the second (~20 %), third (~6 %) and fourth (~3 %); reflection sessions are held several times
per case and for units without a case, revisits and feedback about once per case. Drawn from
a generator of their own, so the cases, complaints and rectifications of a seed stay as they were.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from dashboard.demo import _Calendar, _dates_or_null, _ids, _pick, _weighted_codes

FIRST_FORM = ["谈话提醒", "批评教育", "提醒谈话", "责令检查", "诫勉", "函询了结"]
FIRST_FORM_P = [0.34, 0.3, 0.1, 0.1, 0.1, 0.06]
# First-form persons without a case, per subject of a case (≈ 70 % of all forms).
FIRST_FORM_PER_SUBJECT = 1.9


def add(tables_in: dict[str, pl.DataFrame], regions: pl.DataFrame, cal: _Calendar, end: date, scale: float,
        seed: int) -> dict[str, pl.DataFrame]:
    """Cases gain 立案人数 and 内部通报日期, complaints their disposition; persons and link events
    are new frames. `tables_in` holds "cases" and "complaints"."""
    rng = np.random.default_rng([seed, 22])
    end64 = np.datetime64(end)
    cases, complaints = tables_in["cases"], tables_in["complaints"]
    n = cases.height
    closed_on = cases["closed_on"].to_numpy()
    closed = ~np.isnat(closed_on)
    per_case = rng.choice([1, 2, 3, 4], n, p=[0.86, 0.1, 0.03, 0.01])
    notified_d = closed_on + rng.integers(5, 30, n).astype("timedelta64[D]")
    notified = closed & (rng.random(n) < 0.6) & (notified_d <= end64)
    cases = cases.with_columns(pl.Series("persons", per_case, dtype=pl.Int64),
                               _dates_or_null(np.where(notified, notified_d, end64), notified).alias("notified_on"))
    # Persons of the cases: 70 % of cases list theirs; the rest keep 立案人数 and their count columns.
    listed = rng.random(n) < 0.7
    idx = np.repeat(np.arange(n)[listed], per_case[listed])
    m = idx.size
    decided = closed[idx]
    u = rng.random(m)
    form = np.where(u < 0.11, 4, np.where(u < 0.33, 3, np.where(u > 0.97, 1, 2)))
    form = np.where(decided, form, 0)
    party = np.select([form == 2, form == 3, form == 4],
                      [_pick(rng, ["警告", "严重警告", ""], m, [0.45, 0.35, 0.2]),
                       _pick(rng, ["撤销党内职务", "留党察看", "开除党籍", ""], m, [0.25, 0.3, 0.3, 0.15]),
                       np.full(m, "开除党籍", dtype=object)], default="")
    gov = np.select([form == 2, form == 3, form == 4],
                    [_pick(rng, ["警告", "记过", "记大过", ""], m, [0.2, 0.2, 0.1, 0.5]),
                     _pick(rng, ["降级", "撤职", "开除", ""], m, [0.3, 0.3, 0.2, 0.2]),
                     np.full(m, "开除", dtype=object)], default="")
    org = np.where((form == 2) & (party == "") & (gov == ""), _pick(rng, ["调整职务", "免职", "停职检查", "降职"], m), "")
    org = np.where((form == 3) & (party == "") & (gov == ""), "重大职务调整", org)
    first = np.where(form == 1, _pick(rng, FIRST_FORM, m, FIRST_FORM_P), "")
    case_ids = cases["case_id"].to_numpy()
    case_persons = {
        "case_id": case_ids[idx], "region_code": np.full(m, None, dtype=object), "decided_on": np.full(m, None),
        "party_sanction": party, "gov_sanction": gov, "org_measure": org, "first_form_measure": first,
        "transferred_judicial": form == 4, "notified": notified[idx] & (rng.random(m) < 0.8),
        "exposed": (rng.random(m) < 0.5) & decided, "accountable": np.zeros(m, bool),
    }
    # 一案双查: someone held to account for about one concluded listed case in twelve.
    acc = np.arange(n)[listed & closed & (rng.random(n) < 0.08)]
    k = acc.size
    acc_first = rng.random(k) < 0.6
    accountable = {
        "case_id": case_ids[acc], "region_code": np.full(k, None, dtype=object), "decided_on": np.full(k, None),
        "party_sanction": np.where(acc_first, "", "警告"), "gov_sanction": np.full(k, "", dtype=object),
        "org_measure": np.full(k, "", dtype=object),
        "first_form_measure": np.where(acc_first, _pick(rng, ["诫勉", "谈话提醒"], k), ""),
        "transferred_judicial": np.zeros(k, bool), "notified": notified[acc], "exposed": np.zeros(k, bool),
        "accountable": np.ones(k, bool),
    }
    # First-form handling without a case, at the village or township where it happened.
    f = int(round(int(per_case.sum()) * FIRST_FORM_PER_SUBJECT))
    village = _weighted_codes(regions, "village", rng, f)
    at_town = rng.random(f) < 0.3
    org_only = rng.random(f) < 0.03  # 组织处理 after a 谈话函询, no case: the second form
    no_case = {
        "case_id": np.full(f, None, dtype=object),
        "region_code": np.where(at_town, np.array([c[:9] + "000" for c in village], dtype=object), village),
        "decided_on": cal.to_dates(cal.sample(rng, f)),
        "party_sanction": np.full(f, "", dtype=object), "gov_sanction": np.full(f, "", dtype=object),
        "org_measure": np.where(org_only, "调整职务", ""),
        "first_form_measure": np.where(org_only, "", _pick(rng, FIRST_FORM, f, FIRST_FORM_P)),
        "transferred_judicial": np.zeros(f, bool), "notified": rng.random(f) < 0.05,
        "exposed": np.zeros(f, bool), "accountable": np.zeros(f, bool),
    }
    frames = []
    for part in (case_persons, accountable, no_case):
        size = len(part["case_id"])
        frame = pl.DataFrame({
            "case_id": pl.Series(part["case_id"].tolist(), dtype=pl.String),
            "region_code": pl.Series(part["region_code"].tolist(), dtype=pl.String),
            "decided_on": pl.Series(part["decided_on"].astype("datetime64[D]") if part is no_case
                                    else np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")),
            **{c: pl.Series(np.asarray(part[c]).astype(str)) for c in
               ("party_sanction", "gov_sanction", "org_measure", "first_form_measure")},
            **{c: pl.Series(np.asarray(part[c], dtype=bool)) for c in
               ("transferred_judicial", "notified", "exposed", "accountable")},
        })
        frames.append(frame)
    persons = pl.concat(frames).with_columns(
        [pl.when(pl.col(c) != "").then(pl.col(c)).alias(c)
         for c in ("party_sanction", "gov_sanction", "org_measure", "first_form_measure")])
    order_day = persons.join(cases.select("case_id", "filed_on"), on="case_id", how="left", maintain_order="left")
    day = order_day.select(pl.coalesce("decided_on", "filed_on").fill_null(end))["decided_on"].to_numpy()
    persons = persons.with_columns(pl.Series("person_id", _ids("RY", day).astype(str))).select(
        "person_id", pl.exclude("person_id"))
    return {"cases": cases, "complaints": _dispositions(rng, complaints, end64),
            "persons": persons, "link_events": _events(rng, regions, cases, cal, end64, scale)}


def _dispositions(rng: np.random.Generator, complaints: pl.DataFrame, end64: np.datetime64) -> pl.DataFrame:
    """How each lead was disposed: 立案审查 for those that became cases, 转办 for 纪外件, the rest
    mostly 初步核实 / 予以了结 / 谈话函询; a few recent ones not yet disposed."""
    n = complaints.height
    word = _pick(rng, ["初步核实", "予以了结", "谈话函询", "暂存待查"], n, [0.38, 0.34, 0.22, 0.06])
    word = np.where(complaints["case_id"].is_not_null().to_numpy(), "立案审查", word)
    word = np.where(complaints["in_scope"].fill_null(True).to_numpy(), word, "转办")
    day = complaints["received_on"].to_numpy() + rng.integers(1, 21, n).astype("timedelta64[D]")
    done = day <= end64
    return complaints.with_columns(
        pl.Series("disposition", np.where(done, word, None).tolist(), dtype=pl.String),
        _dates_or_null(day, done).alias("disposed_on"))


def _events(rng: np.random.Generator, regions: pl.DataFrame, cases: pl.DataFrame, cal: _Calendar,
            end64: np.datetime64, scale: float) -> pl.DataFrame:
    """One event per dated link of a case (the first at the case's date, 反思剖析 often several
    times), and reflection sessions held for units without a case."""
    parts = []
    for link, col, times in (("通报", "notified_on", None), ("曝光", "exposed_on", None),
                             ("反思剖析", "reflection_on", (1, 7)), ("回访促建", "revisit_on", None),
                             ("反馈整改", "feedback_on", None)):
        rows = cases.filter(pl.col(col).is_not_null()).select("case_id", pl.col(col).alias("held_on"))
        t = rng.integers(*times, rows.height) if times else np.ones(rows.height, dtype=int)
        parts.append(rows.with_columns(pl.lit(link).alias("link"), pl.Series("times", t, dtype=pl.Int64),
                                       pl.lit(None, dtype=pl.String).alias("region_code")))
    u = int(round(1_500 * 3 * scale * 0.8))
    village = _weighted_codes(regions, "village", rng, u)
    unit = pl.DataFrame({"case_id": pl.Series([None] * u, dtype=pl.String),
                         "held_on": pl.Series(cal.to_dates(cal.sample(rng, u)).astype("datetime64[D]")),
                         "link": pl.Series(_pick(rng, ["反思剖析", "回访促建", "反馈整改"], u, [0.8, 0.12, 0.08]).astype(str)),
                         "times": pl.Series(rng.integers(1, 11, u), dtype=pl.Int64),
                         "region_code": pl.Series([c[:9] + "000" for c in village], dtype=pl.String)})
    events = pl.concat([*parts, unit], how="diagonal_relaxed").filter(pl.col("held_on") <= pl.lit(end64.astype(date)))
    ids = _ids("HJ", events["held_on"].to_numpy())
    return events.with_columns(pl.Series("event_id", ids.astype(str))).select(
        "event_id", "link", "held_on", "region_code", "case_id", "times")
