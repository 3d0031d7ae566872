"""Benchmark harness: `python -m benchmarks --scale N --out FILE.json`.

Builds the demo city with N cases (complaints and rectifications in the demo's proportions),
writes it to SQLite, measures the cold load, then times each page's query set with ours (the
polars query layer the pages use) against a straightforward pandas and a DuckDB implementation
of the same computations, after checking that all three give the same numbers.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

from dashboard.demo import CASES_PER_YEAR, generate
from queries import details, geo, metrics, store, trends
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.warnings_config import load as load_warning_config

END = date(2025, 12, 31)
YEAR = (date(2025, 1, 1), END)
LAST_YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time(fn, runs: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, result


# --- the shared computations: counts per district and month, and the KPI sums ---------------------

def ours_overview(t, f):
    return metrics.compute(t, f, Scope(), END, ("cases_filed", "persons_disciplined", "complaints_received",
                                                 "complaints_closed"))


def pandas_overview(p, f):
    c, q = p["cases"], p["complaints"]
    s, e = pd.Timestamp(f.start), pd.Timestamp(f.end)
    filed = c[(c.filed_on >= s) & (c.filed_on <= e)]
    closed = c[(c.closed_on >= s) & (c.closed_on <= e)]
    rec = q[(q.received_on >= s) & (q.received_on <= e)]
    return {"cases_filed": len(filed),
            "persons_disciplined": int(closed.party_discipline.fillna(0).sum() + closed.gov_sanction.fillna(0).sum()),
            "complaints_received": len(rec),
            "complaints_closed": int((rec.closed_on <= pd.Timestamp(END)).sum())}


def duck_overview(con, f):
    s, e = f.start, f.end
    a = con.execute("SELECT count(*) FILTER (WHERE filed_on BETWEEN ? AND ?),"
                    " sum(coalesce(party_discipline,0)+coalesce(gov_sanction,0)) FILTER (WHERE closed_on BETWEEN ? AND ?)"
                    " FROM cases", [s, e, s, e]).fetchone()
    b = con.execute("SELECT count(*), count(*) FILTER (WHERE closed_on <= ?) FROM complaints"
                    " WHERE received_on BETWEEN ? AND ?", [END, s, e]).fetchone()
    return {"cases_filed": a[0], "persons_disciplined": int(a[1] or 0), "complaints_received": b[0],
            "complaints_closed": b[1]}


def ours_map(t, f):
    r = metrics.rollup(t, f, Scope(), END, ("complaints_received", "cases_filed"))
    return {k: (a, b) for k, a, b in r.select("key", "complaints_received", "cases_filed").iter_rows()}


def pandas_map(p, f):
    s, e = pd.Timestamp(f.start), pd.Timestamp(f.end)
    q = p["complaints"]
    c = p["cases"]
    qa = q[(q.received_on >= s) & (q.received_on <= e)].groupby(q.region_code.str[:6]).size()
    ca = c[(c.filed_on >= s) & (c.filed_on <= e)].groupby(c.region_code.str[:6]).size()
    districts = p["regions"][p["regions"].level == "district"].code
    return {d: (int(qa.get(d[:6], 0)), int(ca.get(d[:6], 0))) for d in districts}


def duck_map(con, f):
    rows = con.execute("""
        SELECT r.code, coalesce(q.n, 0), coalesce(c.n, 0) FROM regions r
        LEFT JOIN (SELECT substr(region_code,1,6) k, count(*) n FROM complaints WHERE received_on BETWEEN ? AND ? GROUP BY 1) q
          ON q.k = substr(r.code,1,6)
        LEFT JOIN (SELECT substr(region_code,1,6) k, count(*) n FROM cases WHERE filed_on BETWEEN ? AND ? GROUP BY 1) c
          ON c.k = substr(r.code,1,6)
        WHERE r.level = 'district'""", [f.start, f.end, f.start, f.end]).fetchall()
    return {k: (int(a), int(b)) for k, a, b in rows}


def ours_trends(t, f):
    s = metrics.monthly(t, f, Scope(), END, ("complaints_received", "cases_filed"))
    return {m: (a, b) for m, a, b in s.iter_rows()}


def pandas_trends(p, f):
    s, e = pd.Timestamp(f.start), pd.Timestamp(f.end)
    q, c = p["complaints"], p["cases"]
    qa = q[(q.received_on >= s) & (q.received_on <= e)].groupby(q.received_on.dt.to_period("M")).size()
    ca = c[(c.filed_on >= s) & (c.filed_on <= e)].groupby(c.filed_on.dt.to_period("M")).size()
    months = pd.period_range(s, e, freq="M")
    return {m.start_time.date(): (int(qa.get(m, 0)), int(ca.get(m, 0))) for m in months}


def duck_trends(con, f):
    rows = con.execute("""
        WITH m AS (SELECT unnest(range(date_trunc('month', ?::DATE), ?::DATE + 1, INTERVAL 1 MONTH))::DATE AS month)
        SELECT m.month, coalesce(q.n,0), coalesce(c.n,0) FROM m
        LEFT JOIN (SELECT date_trunc('month', received_on)::DATE k, count(*) n FROM complaints
                   WHERE received_on BETWEEN ? AND ? GROUP BY 1) q ON q.k = m.month
        LEFT JOIN (SELECT date_trunc('month', filed_on)::DATE k, count(*) n FROM cases
                   WHERE filed_on BETWEEN ? AND ? GROUP BY 1) c ON c.k = m.month ORDER BY 1""",
                       [f.start, f.end, f.start, f.end, f.start, f.end]).fetchall()
    return {m: (int(a), int(b)) for m, a, b in rows}


PAGES = {"overview": (ours_overview, pandas_overview, duck_overview),
         "map": (ours_map, pandas_map, duck_map),
         "trends": (ours_trends, pandas_trends, duck_trends)}


def run(scale_cases: int, runs: int) -> dict:
    t0 = time.perf_counter()
    demo = generate(scale=scale_cases / (CASES_PER_YEAR * 3), seed=11, end=END)
    gen_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        t0 = time.perf_counter()
        store.replace_all(url, demo.tables, demo.boundaries)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        t = store.load_tables(url)
        load_s = time.perf_counter() - t0
    pdf = {name: getattr(t, name).to_pandas() for name in ("cases", "complaints", "regions")}
    for df in pdf.values():
        for col in df.columns:
            if col.endswith("_on"):
                df[col] = pd.to_datetime(df[col])
    con = duckdb.connect()
    for name in ("cases", "complaints", "regions"):
        con.register(name, getattr(t, name).to_arrow())
    # Varied filters: this year, last year, and the first half of this year.
    variants = [Filters(*YEAR), Filters(*LAST_YEAR), Filters(YEAR[0], YEAR[0] + timedelta(days=180))]
    pages: dict[str, dict] = {}
    for page, (ours, pandas_fn, duck_fn) in PAGES.items():
        for f in variants:
            a, b, c = ours(t, f), pandas_fn(pdf, f), duck_fn(con, f)
            if not (a == b == c):
                raise SystemExit(f"{page}: results differ between implementations for {f}")
        ours_ms, pandas_ms, duck_ms = [], [], []
        for i in range(runs):
            f = variants[i % len(variants)]
            ours_ms += _time(lambda: ours(t, f), 1)[0]
            pandas_ms += _time(lambda: pandas_fn(pdf, f), 1)[0]
            duck_ms += _time(lambda: duck_fn(con, f), 1)[0]
        pages[page] = {"ours_ms_p50": round(statistics.median(ours_ms), 2),
                       "ours_ms_p95": round(sorted(ours_ms)[int(0.95 * (len(ours_ms) - 1))], 2),
                       "pandas_ms_p50": round(statistics.median(pandas_ms), 2),
                       "duckdb_ms_p50": round(statistics.median(duck_ms), 2)}
    # Pages measured for ours only (no pandas/DuckDB twin written yet).
    cfg = load_warning_config()
    for page, fn in {
        "warnings": lambda f: W.evaluate(t, f, Scope(), END, cfg),
        "detail_export": lambda f: details.detail(t, "complaints", f, Scope(), END).head(100_000).write_csv(),
        "anomalies": lambda f: trends.anomalies(t, f, Scope(), END, trends.load_anomaly_config()),
        "map_village_level": lambda f: geo.choropleth_table(
            t, Filters(f.start, f.end, region=t.regions.filter(pl.col("level") == "township")["code"][0]),
            Scope(), END, "complaints_received", False),
    }.items():
        ms = [_time(lambda: fn(variants[i % 3]), 1)[0][0] for i in range(runs)]
        pages[page] = {"ours_ms_p50": round(statistics.median(ms), 2),
                       "ours_ms_p95": round(sorted(ms)[int(0.95 * (len(ms) - 1))], 2),
                       "pandas_ms_p50": None, "duckdb_ms_p50": None}
    # What the map sends to the browser per level (simplified polygons), in KB.
    payload = {}
    parent = t.regions.filter(pl.col("level") == "city")["code"][0]
    for level in ("district", "township", "village"):
        kids = t.regions.filter(pl.col("parent_code") == parent)["code"].to_list()
        rows = geo.polygons_for_deck(geo.level_features(demo.boundaries, kids, level))
        payload[level] = round(len(json.dumps(rows)) / 1024, 1)
        parent = kids[0]
    return {"map_payload_kb": payload, "cases": t.cases.height, "complaints": t.complaints.height, "rectifications": t.rectifications.height,
            "generate_s": round(gen_s, 2), "write_s": round(write_s, 2), "load_s": round(load_s, 2),
            "peak_rss_mb": round(_rss_mb(), 1), "pages": pages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--scale", type=int, nargs="+", default=[100_000], help="number of cases (one or more)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", default="benchmarks/results.json")
    args = parser.parse_args(argv)
    if any(s <= 0 for s in args.scale):
        print("--scale 应为正整数（案件数）", file=sys.stderr)
        return 2
    machine = {"python": platform.python_version(), "platform": platform.platform(), "cpus": __import__("os").cpu_count(),
               "polars": pl.__version__, "pandas": pd.__version__, "duckdb": duckdb.__version__}
    results = {"machine": machine, "scales": {}}
    for scale in args.scale:
        results["scales"][str(scale)] = run(scale, args.runs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"机器：{machine['platform']}，{machine['cpus']} 核；polars {machine['polars']}，pandas {machine['pandas']}，duckdb {machine['duckdb']}\n")
    for scale, r in results["scales"].items():
        print(f"### {int(scale):,} 案件 · {r['complaints']:,} 信访 · {r['rectifications']:,} 整改 — "
              f"从 SQLite 冷加载 {r['load_s']} s，峰值内存 {r['peak_rss_mb']:,} MB\n")
        print("地图数据量（KB）：" + "，".join(f"{k} {v}" for k, v in r["map_payload_kb"].items()) + "\n")
        print("| 页面 | ours p50 ms | ours p95 ms | pandas p50 ms | DuckDB p50 ms |\n|---|---:|---:|---:|---:|")
        for page, p in r["pages"].items():
            fmt = lambda v: "—" if v is None else f"{v:,.1f}"  # noqa: E731
            print(f"| {page} | {fmt(p['ours_ms_p50'])} | {fmt(p['ours_ms_p95'])} | {fmt(p['pandas_ms_p50'])} | "
                  f"{fmt(p['duckdb_ms_p50'])} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
