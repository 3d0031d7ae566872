"""Load test: `python -m benchmarks.load [--sessions 20] [--seconds 120]`.

Starts the app on a demo database (localhost only, a port of its own), opens N concurrent
headless-chromium sessions that keep changing the period and district, and reports errors,
p50/p95 time from a click to the page being fully rendered, and the server's peak memory.
Bounded in sessions and time; it stops by itself and never talks to any other host.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PERIODS = ["本月", "本季度", "本年", "近12个月"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_s(pid: int | None = None) -> float:
    """CPU seconds used so far by one process (user + system), or by the whole machine."""
    tick = os.sysconf("SC_CLK_TCK")
    if pid is None:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        return (sum(int(v) for v in fields) - int(fields[3]) - int(fields[4])) / tick  # minus idle, iowait
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / tick


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def _session(browser, base: str, seconds: float, idx: int, timings: list[float], first_round: list[float],
                   errors: list[str]) -> None:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)[:200]))
    idle = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    try:
        await page.goto(base, wait_until="load", timeout=600_000)  # 20 first loads at once: not timed
        await page.wait_for_selector('[data-testid="stMetric"]', timeout=600_000)
        await page.wait_for_function(idle, timeout=600_000)
        deadline = time.monotonic() + seconds  # the clock starts once the first page is drawn
        i = idx
        while time.monotonic() < deadline:
            label = PERIODS[i % len(PERIODS)]
            i += 1
            t0 = time.perf_counter()
            await page.locator("button").filter(has_text=re.compile(f"^{label}$")).first.click()
            await page.wait_for_timeout(50)
            await page.wait_for_function(idle, timeout=60_000)
            timings.append((time.perf_counter() - t0) * 1000)
            if i - idx <= len(PERIODS):  # the first round: periods not yet in the server's caches
                first_round.append(timings[-1])
            exc = await page.query_selector('[data-testid="stException"]')
            if exc:
                errors.append("exception on page: " + (await exc.inner_text())[:300].replace("\n", " "))
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error, not a crash
        errors.append(f"session {idx}: {str(exc).splitlines()[0][:200]}")
    finally:
        await ctx.close()


async def _drive(base: str, sessions: int, seconds: float) -> tuple[list[float], list[float], list[str]]:
    from playwright.async_api import async_playwright

    timings: list[float] = []
    first_round: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        await asyncio.gather(*[_session(browser, base, seconds, i, timings, first_round, errors) for i in range(sessions)])
        await browser.close()
    return timings, first_round, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.load")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--scale", type=float, default=1.0, help="demo scale")
    ap.add_argument("--db", default=None, help="an existing database URL to serve instead of a new demo")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 600:
        print("--sessions 应在 1–50，--seconds 应在 1–600", file=sys.stderr)
        return 2
    url = args.db
    if url is None:
        tmp = Path(tempfile.mkdtemp(prefix="oversight-load-"))
        url = f"sqlite:///{tmp}/load.db"
        subprocess.run([sys.executable, "-m", "dashboard", "demo", "--db", url, "--scale", str(args.scale)],
                       cwd=ROOT, check=True, capture_output=True)
    port = _port()
    env = {**os.environ, "OVERSIGHT_DB_URL": url, "OVERSIGHT_DEMO_AUTOLOGIN": "leader"}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        server_cpu, all_cpu = _cpu_s(server.pid), _cpu_s()
        timings, first_round, errors = asyncio.run(_drive(base, args.sessions, args.seconds))
        server_cpu, all_cpu = _cpu_s(server.pid) - server_cpu, _cpu_s() - all_cpu
        peak_mb = _peak_kb(server.pid) / 1024
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still working through queued reruns
            server.kill()
            server.wait()
    q = sorted(timings)
    result = {"sessions": args.sessions, "seconds": args.seconds, "interactions": len(timings),
              "errors": len(errors), "render_ms_p50": round(statistics.median(q), 1) if q else None,
              "render_ms_p95": round(q[int(0.95 * (len(q) - 1))], 1) if q else None,
              "first_round_ms_max": round(max(first_round), 1) if first_round else None,
              "server_peak_rss_mb": round(peak_mb, 1),
              # How much of the machine's busy CPU time the app server used (the rest: browsers).
              "server_cpu_share": round(server_cpu / all_cpu, 2) if all_cpu else None,
              "error_samples": errors[:5]}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
