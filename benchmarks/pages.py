"""Page opening: `python -m benchmarks.pages [--tries N] [--page P ...] [--cases N | --scale S | --db URL]`.

Starts the app on a demo database (localhost only, a port of its own) and opens each page N
times in headless chromium in two ways a person does:

- by link: a new tab loads the page's URL (a new app session, as a shared link or a bookmark
  opened by someone who has used the app before: the browser has the app's scripts cached, as
  after the untimed first visits); the clock (the page's own) runs from the navigation's start
  until the page is drawn;
- by the top navigation: a session already on the overview (drawn and ready) opens the section
  menu and clicks the page's entry; the clock runs from the click until the page is drawn.

"Drawn" (`DRAWN`): the server has finished a run for this page (its `script_finished`
message), no status widget, stale element, skeleton or spinner is left, the page's main heading
is there, every plotly chart shown has its SVG, every map its canvas, every picture its image decoded, every table its grid
canvas (those in tabs not open are not drawn by the browser until opened, tables and maps at
least), and the page's own content (`PAGES`) is present; then two animation frames are
painted. "Ready" (`link_ready`, `nav_ready`) is the same or later: the end of the last long
task (≥ 50 ms, the browser's own `longtask` entries) after the page was drawn, once half a
second has passed without one; until then a click or a key waits. A map's canvas is there
before deck.gl has drawn into it (its first frame, shaders compiled in software on a machine
without a GPU, is one task of about a second), so on 地图 the two differ most. It reports
p50/p95 (nearest rank) per page and way, and each try's milliseconds. Before timing, every page
is opened once untimed, so the figures are those of a server that has served each page before
(the caches a running server has), not its very first visit after a start.

`--cases N` builds the demo city at N cases as `python -m benchmarks` does (the same
generator; 1,000,000 takes the better part of an hour on a busy 2-core machine); `--scale` is
the demo's own scale (1 = the 103k-case demo); `--db` serves an existing database.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load import FLAGS, ROOT, _finished_counter, _rank, _where, start_servers, stop_servers, wait_healthy
from dashboard.i18n import t

# page name: (URL path, nav section key, nav entry key, heading key or None, what must be there)
PLOT, DECK, GRID = '[data-testid="stPlotlyChart"]', '[data-testid="stDeckGlJsonChart"]', '[data-testid="stDataFrame"]'
IMAGE = '[data-testid="stImage"]'
PAGES: dict[str, tuple[str, str, str, str | None, tuple[str, ...]]] = {
    "overview": ("", "nav.section.cockpit", "nav.overview", "overview.title", ('[data-testid="stMetric"]', IMAGE)),
    "map": ("map", "nav.section.cockpit", "nav.map", "map.title", (DECK,)),
    "trends": ("trends", "nav.section.cockpit", "nav.trends", "trend.title", (PLOT,)),
    "warnings": ("warnings", "nav.section.cockpit", "nav.warnings", "warn.title", (GRID,)),
    "briefing": ("briefing", "nav.section.cockpit", "nav.briefing", "brief.title", ('[data-testid="stDownloadButton"]',)),
    "cases": ("cases", "nav.section.details", "nav.cases", "details.title.cases", (GRID,)),
    "complaints": ("complaints", "nav.section.details", "nav.complaints", "details.title.complaints", (GRID,)),
    "rectifications": ("rectifications", "nav.section.details", "nav.rectifications",
                       "details.title.rectifications", (GRID,)),
}

# (heading or null, [selectors that must each match at least once]) -> whether the page is drawn.
DRAWN = """([heading, needed]) => {
  const q = s => Array.from(document.querySelectorAll(s));
  if (document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"], '
                             + '[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
  if (heading !== null && !q('h1').some(h => h.innerText.trim() === heading)) return false;
  if (!needed.every(s => document.querySelector(s))) return false;
  const shown = s => q(s).filter(e => e.checkVisibility());  // not in a tab that is not open
  if (shown('[data-testid="stPlotlyChart"]').some(e => !e.querySelector('.main-svg'))) return false;
  if (shown('[data-testid="stDeckGlJsonChart"]').some(e => !e.querySelector('canvas'))) return false;
  const decoded = e => Array.from(e.querySelectorAll('img')).every(i => i.complete && i.naturalWidth);
  if (shown('[data-testid="stImage"]').some(e => !decoded(e))) return false;
  return !shown('[data-testid="stDataFrame"]').some(e => !e.querySelector('canvas'));
}"""


# Installed in every tab before the app's scripts: when the main thread was last busy.
LONG_TASKS = """(() => {
  window.__busyUntil = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__busyUntil = Math.max(window.__busyUntil, e.startTime + e.duration);
  }).observe({type: "longtask", buffered: true});
})()"""
QUIET_MS = 500


def drawn_args(name: str, lang: str = "zh") -> list:
    """What `DRAWN` is handed for a page: its heading in the page's language and its content."""
    _, _, _, heading, needed = PAGES[name]
    return [t(heading, lang) if heading else None, list(needed)]


async def _drawn(page, finished: list[int], before: int, name: str, timeout_s: float) -> float:
    """Until a run after `before` has finished and the page shows `name` drawn: the page's own
    clock (`performance.now()`, ms since its navigation started) when the second animation
    frame after that was painted. The page's clock, not this process's: a long task starting
    right after the frame would hold up any answer the page gives, and this one's clock with it."""
    deadline = time.monotonic() + timeout_s
    while finished[0] <= before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: no finished run within {timeout_s:.0f} s")
        await asyncio.sleep(0.01)
    await page.wait_for_function(DRAWN, arg=drawn_args(name), polling="raf",
                                 timeout=max(1.0, deadline - time.monotonic()) * 1000)
    # float(): a coarsened clock can read a whole number, which JSON hands over as an int.
    return float(await page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"))


async def _busy_after_drawn(page, drawn_at: float, timeout_s: float) -> float:
    """Milliseconds the page's main thread stayed busy after it was drawn (`drawn_at`, the
    page's clock): until the end of its last long task, once `QUIET_MS` have passed without
    another."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now, busy = await page.evaluate("[performance.now(), window.__busyUntil || 0]")
        if now - max(busy, drawn_at) >= QUIET_MS:
            return max(0.0, busy - drawn_at)
        await asyncio.sleep(0.05)
    raise TimeoutError(f"main thread still busy {timeout_s:.0f} s after the page was drawn")


async def _new_page(ctx, errors: list[str], label: str):
    """A new tab of the browser context `ctx`: each tab is an app session of its own."""
    page = await ctx.new_page()
    finished = _finished_counter(page)
    page.on("pageerror", lambda e: errors.append(f"{label}: script error: {_where(e)}"))
    return page, finished


async def _exception(page) -> str | None:
    exc = await page.query_selector('[data-testid="stException"]')
    return (await exc.inner_text())[:300].replace("\n", " ") if exc else None


async def open_by_link(ctx, base: str, name: str, errors: list[str],
                       timeout_s: float = 120) -> tuple[float, float]:
    """A new tab (a new app session) loading the page's URL: milliseconds until it is drawn,
    and until it is ready (its main thread free)."""
    page, finished = await _new_page(ctx, errors, f"{name} by link")
    try:
        await page.goto(base + PAGES[name][0], wait_until="commit", timeout=timeout_s * 1000)
        ms = await _drawn(page, finished, 0, name, timeout_s)  # from the navigation's start
        ready = ms + await _busy_after_drawn(page, ms, timeout_s)
        if (exc := await _exception(page)):
            errors.append(f"{name} by link: exception on page: {exc}")
        return ms, ready
    finally:
        await page.close()


async def nav_click(page, name: str, lang: str = "zh") -> None:
    """Open the page's section menu in the top bar and click its entry."""
    _, section, entry, _, _ = PAGES[name]
    await page.get_by_test_id("stTopNavSection").filter(has_text=t(section, lang)).click()
    await page.get_by_test_id("stTopNavDropdownLink").filter(has_text=t(entry, lang)).click()


async def open_by_nav(ctx, base: str, name: str, errors: list[str],
                      timeout_s: float = 120) -> tuple[float, float]:
    """From the overview (drawn and ready, not timed), the top navigation's entry for the page:
    milliseconds from the click until it is drawn, and until it is ready. The overview itself
    is reached from the map."""
    start = "map" if name == "overview" else "overview"
    page, finished = await _new_page(ctx, errors, f"{name} by nav")
    try:
        await page.goto(base + PAGES[start][0], wait_until="commit", timeout=timeout_s * 1000)
        shown = await _drawn(page, finished, 0, start, timeout_s)
        await _busy_after_drawn(page, shown, timeout_s)  # the click is not held up by the page before
        before = finished[0]
        t0 = float(await page.evaluate("performance.now()"))
        await nav_click(page, name)
        drawn = await _drawn(page, finished, before, name, timeout_s)
        ms = drawn - t0
        ready = ms + await _busy_after_drawn(page, drawn, timeout_s)
        if (exc := await _exception(page)):
            errors.append(f"{name} by nav: exception on page: {exc}")
        return ms, ready
    finally:
        await page.close()


def summary(ms: list[float]) -> dict:
    ms = [float(v) for v in ms]  # the page's clock may read whole milliseconds
    ordered = sorted(ms)
    return {"tries": len(ms), "ms_p50": _rank(ordered, 0.50), "ms_p95": _rank(ordered, 0.95),
            "ms_max": round(ordered[-1], 1) if ordered else None, "ms": [round(v, 1) for v in ms]}


async def measure(base: str, names: list[str], tries: int) -> dict:
    """Open every page once untimed (both ways), then `tries` times each way, pages in turn."""
    from playwright.async_api import async_playwright

    errors: list[str] = []
    timings = {n: {"link": [], "nav": [], "link_ready": [], "nav_ready": []} for n in names}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        await ctx.add_init_script(LONG_TASKS)
        try:
            for name in names:  # the server's (and the browser's) first visit of each page: not timed
                try:
                    await open_by_link(ctx, base, name, errors, timeout_s=600)
                except Exception as exc:  # noqa: BLE001 - a counted error, not a crash
                    errors.append(f"{name} first visit: {str(exc).splitlines()[0][:200]}")
            for _ in range(tries):
                for name in names:
                    for way, fn in (("link", open_by_link), ("nav", open_by_nav)):
                        try:
                            drawn, ready = await fn(ctx, base, name, errors)
                            timings[name][way].append(drawn)
                            timings[name][f"{way}_ready"].append(ready)
                            print(f"{name} by {way}: drawn {drawn:,.0f} ms, ready {ready:,.0f} ms",
                                  file=sys.stderr, flush=True)
                        except Exception as exc:  # noqa: BLE001 - a counted error, not a crash
                            errors.append(f"{name} by {way}: {str(exc).splitlines()[0][:200]}")
                            print(errors[-1], file=sys.stderr, flush=True)
        finally:
            await browser.close()
    return {"pages": {n: {way: summary(ms) for way, ms in w.items()} for n, w in timings.items()},
            "errors": len(errors), "error_samples": errors[:5]}


def build_demo(url: str, scale: float | None, cases: int | None) -> None:
    """The demo store: at the demo's `scale`, or at `cases` cases as `python -m benchmarks`
    builds it (same generator, seed and end date)."""
    if cases is None:
        subprocess.run([sys.executable, "-m", "dashboard", "demo", "--db", url, "--scale", str(scale)],
                       cwd=ROOT, check=True, capture_output=True)
        return
    from benchmarks.__main__ import END
    from dashboard.demo import CASES_PER_YEAR, write_demo

    write_demo(url, scale=cases / (CASES_PER_YEAR * 3), seed=11, end=END)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.pages",
                                 description="页面打开时间：链接直达与顶部导航，p50/p95")
    ap.add_argument("--tries", type=int, default=9, metavar="N", help="每页每种打开方式的计时次数（默认 9）")
    ap.add_argument("--page", nargs="+", choices=list(PAGES), default=list(PAGES), metavar="P",
                    help="要测的页面（默认全部：" + "、".join(PAGES) + "）")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--scale", type=float, default=None, help="演示数据规模（1 = 约 10.3 万案件的演示库；默认 1）")
    size.add_argument("--cases", type=int, default=None, metavar="N",
                      help="按 python -m benchmarks 的方式生成 N 件案件的库（如 1000000）")
    size.add_argument("--db", default=None, metavar="URL", help="直接使用已有数据库，不生成演示库")
    ap.add_argument("--out", default=None, metavar="FILE.json")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.tries <= 100:
        print("--tries 应在 1–100", file=sys.stderr)
        return 2
    if (args.cases is not None and args.cases <= 0) or (args.scale is not None and args.scale <= 0):
        print("--cases / --scale 应为正数", file=sys.stderr)
        return 2
    url, tmp = args.db, None
    if url is None:
        tmp = Path(tempfile.mkdtemp(prefix="oversight-pages-"))
        url = f"sqlite:///{tmp}/pages.db"
        t0 = time.perf_counter()
        build_demo(url, args.scale if args.scale is not None else 1.0, args.cases)
        build_s = round(time.perf_counter() - t0, 1)
    servers = start_servers(url, 1)
    try:
        base = f"http://127.0.0.1:{servers[0][1]}/"
        wait_healthy(base)
        result = asyncio.run(measure(base, args.page, args.tries))
    finally:
        stop_servers(servers)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result = {"tries": args.tries, "scale": args.scale if args.db is None and args.cases is None else None,
              "cases": args.cases, "build_s": build_s if tmp is not None else None, **result}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print("\n| 页面 | 链接 绘出 p50 / p95 ms | 链接 可操作 p50 / p95 | 导航 绘出 p50 / p95 | 导航 可操作 p50 / p95 |"
          "\n|---|---:|---:|---:|---:|", file=sys.stderr)
    for name, w in result["pages"].items():
        cells = [f"{w[k]['ms_p50']} / {w[k]['ms_p95']}" for k in ("link", "link_ready", "nav", "nav_ready")]
        print(f"| {name} | " + " | ".join(cells) + " |", file=sys.stderr)
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
