"""Benchmark harness: `python -m benchmarks --scale N --out FILE.json`.

Builds the demo city with N cases (complaints and rectifications in the demo's proportions),
writes it to SQLite (and to PostgreSQL with --pg), measures a cold start in a fresh process (from
the database, then from the Parquet snapshot a restart uses) with its peak memory, then times the
shared computations with ours (the polars query layer the pages use) against a straightforward
pandas and a DuckDB implementation, after checking that all three give the same numbers, and
each page's whole query set with ours (and, with --pg, in pushdown mode).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

try:
    import duckdb  # a dev requirement: the benchmark compares against it
except ModuleNotFoundError as exc:  # one line that says what to install, not a traceback
    if __name__ != "__main__":
        raise
    sys.exit(f"缺少开发依赖 {exc.name}：先运行 ./scripts/setup.sh dev"
             "（或 pip install -r requirements-dev.txt）")
import pandas as pd
import polars as pl

from dashboard.demo import CASES_PER_YEAR, generate
from queries import details, geo, metrics, store, trends, warmup
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.regions import prefix_of
from queries.schema import Tables
from queries.warnings_config import load as load_warning_config

END = date(2025, 12, 31)
YEAR = (date(2025, 1, 1), END)
LAST_YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def _rss_mb() -> float:
    """This process's peak resident memory. Read from /proc (VmHWM) rather than getrusage: a
    child started by subprocess reports its parent's peak through ru_maxrss (Linux keeps the
    old peak across exec), which would charge the app process with the harness's memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
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


def _detail_region(f: Filters, townships: list[str]) -> str | None:
    """The region a detail variant reads: the city, a district, a township in turn."""
    township = min(townships)
    return (None, township[:6].ljust(12, "0"), township)[VARIANTS.index(f) % 3]


def _page_key(total: int, ids: list[str], days: list[date], districts: list[str]) -> tuple:
    """What a detail page shows, in a form equal across implementations: the number of matches,
    the days of the 50 rows shown, and which rows (with their district) come before the last
    day shown; rows of that last day may be tied in any order."""
    last = days[-1] if days else None
    return total, tuple(days), frozenset((i, n) for i, d, n in zip(ids, days, districts) if d != last)


def ours_detail(t, f):
    g = replace(f, region=_detail_region(f, t.regions.filter(pl.col("level") == "township")["code"].to_list()))
    index = details.match_index(t, "complaints", g, Scope(), END)
    page = details.rows(t, "complaints", index[:50])
    return _page_key(len(index), page["complaint_id"].to_list(), page["received_on"].to_list(),
                     page["district"].to_list())


def pandas_detail(p, f):
    q, regions = p["complaints"], p["regions"]
    region = _detail_region(f, regions[regions.level == "township"].code.tolist())
    hit = (q.received_on >= pd.Timestamp(f.start)) & (q.received_on <= pd.Timestamp(f.end))
    if region:
        hit &= q.region_code.str.startswith(prefix_of(region))
    matches = q[hit].sort_values("received_on", ascending=False, kind="stable")
    page = matches.head(50)
    names = regions.set_index("code")["name"]
    district = (page.region_code.str[:6] + "000000").map(names)
    return _page_key(len(matches), page.complaint_id.tolist(), page.received_on.dt.date.tolist(), district.tolist())


def duck_detail(con, f):
    townships = [r[0] for r in con.execute("SELECT code FROM regions WHERE level = 'township'").fetchall()]
    region = _detail_region(f, townships)
    where, args = "received_on BETWEEN ? AND ?", [f.start, f.end]
    if region:
        where, args = where + " AND starts_with(region_code, ?)", args + [prefix_of(region)]
    total = con.execute(f"SELECT count(*) FROM complaints WHERE {where}", args).fetchone()[0]
    rows = con.execute(f"""
        SELECT q.complaint_id, q.received_on, d.name FROM
          (SELECT complaint_id, received_on, region_code FROM complaints WHERE {where}
           ORDER BY received_on DESC LIMIT 50) q
        LEFT JOIN regions d ON d.code = substr(q.region_code, 1, 6) || '000000'
        ORDER BY q.received_on DESC""", args).fetchall()
    return _page_key(total, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


PAGES = {"overview": (ours_overview, pandas_overview, duck_overview),
         "map": (ours_map, pandas_map, duck_map),
         "trends": (ours_trends, pandas_trends, duck_trends),
         "detail": (ours_detail, pandas_detail, duck_detail)}


def page_sets(t, f: Filters) -> dict:
    """Everything each page asks the query layer for on one filter change (uncached)."""
    from queries import boards

    township = t.regions.filter(pl.col("level") == "township")["code"].sort()[0]
    district = township[:6].ljust(12, "0")
    sets = {
        "overview_page": lambda: (metrics.compare(t, f, Scope(), END, OVERVIEW_KEYS),
                                  metrics.monthly(t, f.with_period(*metrics.last_months(f.end)), Scope(), END,
                                                  OVERVIEW_KEYS),
                                  metrics.rollup(t, f, Scope(), END, ("complaints_received",))),
        "map_page_all_levels": lambda: [geo.choropleth_table(t, replace(f, region=r), Scope(), END,
                                                             "complaints_received", False)
                                        for r in (None, district, township)],
        "trends_page": lambda: (trends.with_last_year(t, f, Scope(), END, "complaints_received", "1mo"),
                                metrics.breakdown(t, f, Scope(), END, "complaints_received", "field"),
                                trends.by_child(t, f, Scope(), END, "complaints_received", "1mo"),
                                trends.funnel(t, f, Scope(), END)),
    }
    if isinstance(t, Tables):
        # Warnings are a stock at as_of (the period does not change them): vary the region instead.
        g = replace(f, region=(None, district, township)[VARIANTS.index(f) % 3] if f in VARIANTS else None)
        cfg = load_warning_config()
        sets["warnings_page"] = lambda: (W.evaluate(t, g, Scope(), END, cfg),
                                         boards.slow_townships(t, g, Scope(), END, cfg),
                                         boards.slow_units(t, g, Scope(), END, cfg),
                                         boards.project_board(t, g, Scope(), END))
        sets["detail_page"] = lambda: details.rows(t, "complaints",
                                                   details.match_index(t, "complaints", g, Scope(), END)[:50])
        sets["detail_export_100k"] = lambda: details.rows(
            t, "complaints", details.match_index(t, "complaints", f, Scope(), END)[:100_000]).write_csv()
    else:  # pushdown: the database sums; composition, funnel and warnings still need rows
        sets = {"overview_page": sets["overview_page"], "map_page_all_levels": sets["map_page_all_levels"],
                "trends_series": lambda: trends.with_last_year(t, f, Scope(), END, "complaints_received", "1mo")}
    return sets


OVERVIEW_KEYS = ("cases_filed", "persons_disciplined", "funds_recovered_wan", "complaints_received",
                 "closure_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue")
VARIANTS = [Filters(*YEAR), Filters(*LAST_YEAR), Filters(YEAR[0], YEAR[0] + timedelta(days=180))]


def _stats(ms: list[float]) -> dict:
    return {"ours_ms_p50": round(statistics.median(ms), 2),
            "ours_ms_p95": round(sorted(ms)[int(0.95 * (len(ms) - 1))], 2)}


def time_page_sets(t, runs: int) -> dict:
    out = {}
    for name in page_sets(t, VARIANTS[0]):
        ms = [_time(page_sets(t, VARIANTS[i % len(VARIANTS)])[name], 1)[0][0] for i in range(runs)]
        out[name] = {**_stats(ms), "pandas_ms_p50": None, "duckdb_ms_p50": None}
    return out


def cold_start(url: str) -> dict:
    """A fresh process, as an app server starts: load (through the snapshot when one exists),
    then the first overview query set (builds the compact copies and cubes). Its peak RSS is the
    memory an app process needs for these ledgers."""
    code = ("import json,resource,time\n"
            "from benchmarks.__main__ import cold_start_child\n"
            f"print(json.dumps(cold_start_child({url!r})))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_start_child(url: str) -> dict:
    """As the app does: load, start the warm-up thread (queries/warmup.py), open the overview at
    once and the warnings page straight after it; `ready_s` is when every default view is
    built (a page opened from then on finds its cubes)."""
    t0 = time.perf_counter()
    t = store.load_tables_cached(url, store.data_version(url))
    load_s = time.perf_counter() - t0
    loaded = time.perf_counter()
    warm = threading.Thread(target=warmup.prepare, args=(t, END, load_warning_config()), daemon=True)
    warm.start()
    sets = page_sets(t, VARIANTS[0])
    sets["overview_page"]()
    first_ms = (time.perf_counter() - loaded) * 1000
    t0 = time.perf_counter()
    sets["warnings_page"]()
    warn_ms = (time.perf_counter() - t0) * 1000
    warm.join()
    import resource

    # A SQLite version without a snapshot is read by a reader process (queries/sqlite_apart.py):
    # its peak is reported too, since the machine needs that memory beside the app's.
    reader_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"load_s": round(load_s, 2), "first_overview_ms": round(first_ms, 1),
            "first_warnings_ms": round(warn_ms, 1), "ready_s": round(time.perf_counter() - loaded, 2),
            "peak_rss_mb": round(_rss_mb(), 1), "reader_peak_rss_mb": round(reader_mb, 1)}


def run(scale_cases: int, runs: int, pg_url: str | None = None) -> dict:
    t0 = time.perf_counter()
    demo = generate(scale=scale_cases / (CASES_PER_YEAR * 3), seed=11, end=END)
    gen_s = time.perf_counter() - t0
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        t0 = time.perf_counter()
        store.replace_all(url, demo.tables, demo.boundaries)  # leaves the new version's snapshot
        result["write_s"] = round(time.perf_counter() - t0, 2)
        shutil.rmtree(store.snapshot_dir(url))  # as after a write by another tool:
        first = cold_start(url)       # reads SQLite, leaves the snapshot
        restart = cold_start(url)     # a restart: reads the snapshot
        result.update(load_s=first["load_s"], load_peak_rss_mb=first["peak_rss_mb"],
                      load_reader_peak_rss_mb=first["reader_peak_rss_mb"], load_snapshot_s=restart["load_s"],
                      first_overview_ms=restart["first_overview_ms"], first_warnings_ms=restart["first_warnings_ms"],
                      ready_s=restart["ready_s"],
                      app_peak_rss_mb=restart["peak_rss_mb"])
        t = store.load_tables_cached(url, store.data_version(url))
    if pg_url:
        from queries.pushdown import SqlSource

        t0 = time.perf_counter()
        store.replace_all(pg_url, demo.tables, demo.boundaries)
        result["pg_write_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        store.load_tables(pg_url)
        result["pg_load_s"] = round(time.perf_counter() - t0, 2)
        with store.engine_for(pg_url).begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        result["pushdown"] = time_page_sets(SqlSource(pg_url), max(3, runs // 3))
    pdf = {name: getattr(t, name).to_pandas() for name in ("cases", "complaints", "regions")}
    for df in pdf.values():
        for col in df.columns:
            if col.endswith("_on"):
                df[col] = pd.to_datetime(df[col])
    con = duckdb.connect()
    for name in ("cases", "complaints", "regions"):
        con.register(name, getattr(t, name).to_arrow())
    pages: dict[str, dict] = {}
    # The shared computations read the case ledger's own count columns in all three
    # implementations; without person rows ours does too (with them, 处分人数 comes from the
    # persons, which the pandas and DuckDB versions do not model).
    shared = replace(t, persons=None, link_events=None)
    for page, (ours, pandas_fn, duck_fn) in PAGES.items():
        for f in VARIANTS:
            a, b, c = ours(shared, f), pandas_fn(pdf, f), duck_fn(con, f)
            if not (a == b == c):
                raise SystemExit(f"{page}: results differ between implementations for {f}")
        ours_ms, pandas_ms, duck_ms = [], [], []
        for i in range(runs):
            f = VARIANTS[i % len(VARIANTS)]
            ours_ms += _time(lambda: ours(shared, f), 1)[0]
            pandas_ms += _time(lambda: pandas_fn(pdf, f), 1)[0]
            duck_ms += _time(lambda: duck_fn(con, f), 1)[0]
        pages[page] = {**_stats(ours_ms), "pandas_ms_p50": round(statistics.median(pandas_ms), 2),
                       "duckdb_ms_p50": round(statistics.median(duck_ms), 2)}
    pages.update(time_page_sets(t, runs))
    # What the map sends to the browser per level (simplified polygons), in KB.
    payload = {}
    parent = t.regions.filter(pl.col("level") == "city")["code"][0]
    for level in ("district", "township", "village"):
        kids = t.regions.filter(pl.col("parent_code") == parent)["code"].to_list()
        rows = geo.polygons_for_deck(geo.level_features(demo.boundaries, kids, level))
        payload[level] = round(len(json.dumps(rows)) / 1024, 1)
        parent = kids[0]
    return {"cases": t.cases.height, "complaints": t.complaints.height, "rectifications": t.rectifications.height,
            "generate_s": round(gen_s, 2), **result, "peak_rss_mb": round(_rss_mb(), 1),
            "map_payload_kb": payload, "pages": pages}


def _fmt(v) -> str:
    return "—" if v is None else f"{v:,.1f}"


def build_parser() -> argparse.ArgumentParser:
    """The harness's options (docs/cli.md lists them; tests/test_docs.py checks that)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="基准测试：ours / pandas / DuckDB")
    parser.add_argument("--scale", type=int, nargs="+", default=[100_000], metavar="N",
                        help="案件数（可给多个，每个规模测一次；默认 100000）")
    parser.add_argument("--runs", type=int, default=15, metavar="N", help="每项查询的计时次数（默认 15）")
    parser.add_argument("--out", default="benchmarks/results.json", metavar="FILE.json",
                        help="结果 JSON 文件（默认 benchmarks/results.json）")
    parser.add_argument("--pg", metavar="URL", help="同时测量的 PostgreSQL 地址（其中的表会被替换）")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if any(s <= 0 for s in args.scale):
        print("--scale 应为正整数（案件数）", file=sys.stderr)
        return 2
    machine = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
               "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
               "polars": pl.__version__, "pandas": pd.__version__, "duckdb": duckdb.__version__}
    results = {"machine": machine, "scales": {}}
    for scale in args.scale:
        results["scales"][str(scale)] = run(scale, args.runs, args.pg)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"机器：{machine['platform']}，{machine['cpus']} 核，内存 {machine['memory_gb']} GB；"
          f"polars {machine['polars']}，pandas {machine['pandas']}，duckdb {machine['duckdb']}\n")
    for scale, r in results["scales"].items():
        print(f"### {r['cases']:,} 案件 · {r['complaints']:,} 信访 · {r['rectifications']:,} 整改\n")
        reader = r.get("load_reader_peak_rss_mb")
        print(f"- 冷启动：从 SQLite {r['load_s']} s（峰值内存 {r['load_peak_rss_mb']:,} MB"
              + (f"，读取进程 {reader:,} MB" if reader else "") + f"）；重启（Parquet 快照）{r['load_snapshot_s']} s；"
              f"首次总览查询 {r['first_overview_ms']:,} ms，首次预警页 {r['first_warnings_ms']:,} ms，"
              f"默认视图全部就绪 {r.get('ready_s', '—')} s；应用进程峰值内存 {r['app_peak_rss_mb']:,} MB")
        if "pg_load_s" in r:
            print(f"- PostgreSQL：写入 {r['pg_write_s']} s，冷加载 {r['pg_load_s']} s")
        print("- 地图数据量（KB）：" + "，".join(f"{k} {v}" for k, v in r["map_payload_kb"].items()) + "\n")
        print("| 页面查询 | ours p50 ms | ours p95 ms | pandas p50 ms | DuckDB p50 ms |\n|---|---:|---:|---:|---:|")
        for page, p in r["pages"].items():
            print(f"| {page} | {_fmt(p['ours_ms_p50'])} | {_fmt(p['ours_ms_p95'])} | {_fmt(p['pandas_ms_p50'])} | "
                  f"{_fmt(p['duckdb_ms_p50'])} |")
        for page, p in r.get("pushdown", {}).items():
            print(f"| {page}（PostgreSQL 下推） | {_fmt(p['ours_ms_p50'])} | {_fmt(p['ours_ms_p95'])} | — | — |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
