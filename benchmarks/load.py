"""Load test: `python -m benchmarks.load [--sessions 20] [--seconds 120 | --clicks N] [--browsers K]`.

Starts the app on a demo database (localhost only, a port of its own), opens N concurrent
sessions that keep changing the period on the overview, and reports errors, p50/p95 time from
a click to the page being fully rendered, the server's peak memory and how the machine's CPU
was shared between the server and the browsers. By default every session is a headless
chromium; `--browsers K` keeps K of them and drives the rest over the app's websocket protocol
(wsload.py), as users whose browsers run on their own computers. `--think S` waits about S seconds
between a session's clicks (a person reading the page; see `pauses`); the default 0 clicks back
to back. `--clicks N` has each session click exactly N times instead of for `--seconds`, however
long that takes (a run whose work is fixed, whatever the machine's speed: the tests use it).
`--processes P` starts P app processes on the same database behind nginx, configured by
deploy/nginx.conf as a deployment is (proxy.py), and reports how the sessions were spread.
Bounded in sessions and time; it stops by itself and never talks to any other host.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from benchmarks import proxy

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PERIODS = ["本月", "本季度", "本年", "近12个月"]
DEFAULT_PERIOD = "本年"  # what a first visit shows


def _rank(ordered: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least p of the values at or below
    it), so p95 is never below p50, even for the few clicks of a short run."""
    return round(ordered[math.ceil(p * len(ordered)) - 1], 1) if ordered else None


def pauses(think: float, idx: int) -> Iterator[float]:
    """A session's waits: first a start offset in [0, think), then before each further click
    think × [0.5, 1.5), seeded by the session's number so runs repeat.

    Equal waits keep sessions that drew their first page together in step, so every round all
    their clicks reach the server at once: 19 sessions waiting exactly 10 s each queued ~1 s
    behind one another on a server otherwise 90 % idle."""
    rng = random.Random(idx)
    yield rng.uniform(0, think)
    while True:
        yield think * rng.uniform(0.5, 1.5)


def period_clicks(idx: int) -> Iterator[str]:
    """The periods a session clicks, in turn from its own starting point; never the one
    already selected (a click on it starts no run), so the first visit's period is skipped."""
    current, i = DEFAULT_PERIOD, idx
    while True:
        label = PERIODS[i % len(PERIODS)]
        i += 1
        if label != current:
            current = label
            yield label


def keep_clicking(done: int, deadline: float, clicks: int | None) -> bool:
    """Whether a session makes another click: `clicks` of them when a number is given, however
    long they take (a short run that must drive every session whatever the machine's speed, as
    the tests do), else until the deadline (a measurement over a fixed time)."""
    return done < clicks if clicks is not None else time.monotonic() < deadline


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


def _kind(cmdline: str) -> str | None:
    if "chromium" not in cmdline and "chrome" not in cmdline:
        return None
    for kind in ("renderer", "gpu"):
        if f"--type={kind}" in cmdline:
            return f"browser_{kind}"
    return "browser_other"


class CpuWatch:
    """CPU cores used on average by the app server and by each kind of chromium process while
    the sessions run. Polled, because renderers come and go with the sessions: a process's last
    reading counts even after it has exited."""

    def __init__(self, server_pids: set[int], interval: float = 1.0) -> None:
        self.server_pids, self.interval = server_pids, interval
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-watch", daemon=True)

    def _poll(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                pid = int(entry.name)
                kind = "server" if pid in self.server_pids else _kind((entry / "cmdline").read_text())
                if kind:
                    cpu = _cpu_s(pid)
                    # Started after the watch began: all of its CPU time counts.
                    self._first.setdefault(pid, 0.0 if self._thread.is_alive() else cpu)
                    self._last[pid] = (kind, cpu)
            except (OSError, ValueError, IndexError):  # exited between listing and reading
                continue

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._poll()

    def __enter__(self) -> "CpuWatch":
        self._t0, self._machine0 = time.monotonic(), _cpu_s()
        self._poll()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._poll()
        self.elapsed = time.monotonic() - self._t0
        self.machine = (_cpu_s() - self._machine0) / self.elapsed

    def cores(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, (kind, cpu) in self._last.items():
            out[kind] = out.get(kind, 0.0) + (cpu - self._first[pid]) / self.elapsed
        return {k: round(v, 2) for k, v in sorted(out.items())} | {"machine": round(self.machine, 2)}


def ends_a_run(payload: bytes | str) -> bool:
    """Whether a websocket frame is the server's `script_finished` message.

    That message, not the status widget, marks the end of a rerun: Streamlit shows the widget
    only after a delay and hides it between the parts of a page, so waiting for it to vanish
    often stopped the clock before the last charts arrived (probed: "idle" at 399 ms, the run
    finished at 808 ms)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if not isinstance(payload, bytes):
        return False
    msg = ForwardMsg()
    msg.ParseFromString(payload)
    return msg.WhichOneof("type") == "script_finished"


def _finished_counter(page) -> list[int]:
    """How many script runs the server has reported finished to this page so far."""
    count = [0]

    def on_frame(payload) -> None:
        count[0] += ends_a_run(payload)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return count


async def _rendered(page, finished: list[int], before: int, timeout_s: float) -> None:
    """Wait for the run a click started to finish, then for the page to have drawn it: no
    status widget, no element still marked stale, and two animation frames painted."""
    deadline = time.monotonic() + timeout_s
    while finished[0] <= before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no finished run within {timeout_s:.0f} s")
        await asyncio.sleep(0.01)
    await page.wait_for_function(IDLE, timeout=max(1.0, deadline - time.monotonic()) * 1000)
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


IDLE = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')")


async def _status(page) -> str:
    """What the page's status widget says when a session fails: "ERROR" means the browser had
    lost its connection to the server (every widget disabled), not a slow page."""
    try:
        text = await page.evaluate("() => document.querySelector('[data-testid=\"stStatusWidget\"]')?.innerText ?? ''")
    except Exception:  # noqa: BLE001 - the page itself may be gone
        return ""
    return f" (page status: {' '.join(text.split())})" if text.strip() else ""


def _where(error) -> str:
    """A browser script error with the first frames of its stack, so it names its source
    (which chart library, which bundle) and not only its message."""
    frames = [ln.strip() for ln in (getattr(error, "stack", "") or "").splitlines()[1:4]]
    frames = [re.sub(r"https?://[^/]+/", "", f) for f in frames]
    return f"{str(getattr(error, 'message', error))[:160]} | {' < '.join(frames)[:300]}"


async def open_overview(browser, base: str, on_page=None) -> tuple[object, object, list[int]]:
    """A new browser context on the overview, its first page drawn (not timed: 20 first loads
    at once); the context, the page and its finished-run counter. `on_page` is handed the page
    before it loads, to listen to it from the start."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await ctx.new_page()
    finished = _finished_counter(page)
    if on_page:
        on_page(page)
    try:
        await page.goto(base, wait_until="load", timeout=600_000)
        await page.wait_for_selector('[data-testid="stMetric"]', timeout=600_000)
        await _rendered(page, finished, 0, 600)
    except BaseException:
        await ctx.close()
        raise
    return ctx, page, finished


async def click_period(page, finished: list[int], label: str, timeout_s: float) -> None:
    """Click a period button and wait until the run it started is drawn."""
    before = finished[0]
    await page.locator("button").filter(has_text=re.compile(f"^{label}$")).first.click()
    await _rendered(page, finished, before, timeout_s)


async def _session(browser, base: str, seconds: float, think: float, idx: int, timings: list[float],
                   first_round: list[float], errors: list[str], clicks: int | None = None) -> None:
    page = None
    try:
        _, page, finished = await open_overview(browser, base, on_page=lambda pg: pg.on(
            "pageerror", lambda e: errors.append(f"session {idx}: script error: {_where(e)}")))
        deadline = time.monotonic() + seconds  # the clock starts once the first page is drawn
        wait = pauses(think, idx)
        await asyncio.sleep(next(wait))
        for done, label in enumerate(period_clicks(idx)):
            if not keep_clicking(done, deadline, clicks):
                break
            t0 = time.perf_counter()
            await click_period(page, finished, label, 60)
            timings.append((time.perf_counter() - t0) * 1000)
            if done + 1 < len(PERIODS):  # the first round: periods not yet in the server's caches
                first_round.append(timings[-1])
            exc = await page.query_selector('[data-testid="stException"]')
            if exc:
                errors.append("exception on page: " + (await exc.inner_text())[:300].replace("\n", " "))
            await asyncio.sleep(next(wait))
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error, not a crash
        lines = [ln.strip(" -") for ln in str(exc).splitlines() if ln.strip()]
        # The last line of Playwright's call log: how far the click got ("element is not enabled",
        # "element is visible, enabled and stable" = the input was sent but not handled, ...).
        why = lines[-1][:160] if len(lines) > 1 else ""
        errors.append(f"session {idx}: {lines[0][:200] if lines else type(exc).__name__}"
                      f"{f' ({why})' if why else ''}{await _status(page) if page else ''}")
    finally:
        if page is not None:
            await page.context.close()


async def _drive(base: str, sessions: int, browsers: int, seconds: float, think: float,
                 clicks: int | None = None) -> dict[str, list]:
    """Run the sessions: the first `browsers` in headless chromium, the rest as protocol
    sessions replaying what a browser sent (see wsload.py)."""
    from playwright.async_api import async_playwright

    from benchmarks import wsload

    out: dict[str, list] = {k: [] for k in ("timings", "first_round", "server_timings", "server_first_round", "errors")}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        jobs = [_session(browser, base, seconds, think, i, out["timings"], out["first_round"], out["errors"], clicks)
                for i in range(browsers)]
        if sessions > browsers:
            frames = await wsload.capture(browser, base)
            ws_url = base.replace("http://", "ws://") + "_stcore/stream"
            jobs += [wsload.session(ws_url, frames, seconds, think, i, out["server_timings"],
                                    out["server_first_round"], out["errors"], clicks) for i in range(browsers, sessions)]
        await asyncio.gather(*jobs)
        await browser.close()
    return out


def start_servers(url: str, count: int, autologin: str | None = "leader",
                  snapshots: str | None = None) -> list[tuple[subprocess.Popen, int]]:
    """`count` app processes on the same database, each on a loopback port of its own; the
    load test's sessions skip the sign-in form as the demo's `autologin` account. `snapshots`:
    the snapshot folder they share (else OVERSIGHT_SNAPSHOT_DIR as set, or none)."""
    env = {**os.environ, "OVERSIGHT_DB_URL": url}
    if snapshots:
        env["OVERSIGHT_SNAPSHOT_DIR"] = snapshots
    if autologin:
        env["OVERSIGHT_DEMO_AUTOLOGIN"] = autologin
    servers = []
    for _ in range(count):
        port = _port()
        servers.append((subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port))
    return servers


def wait_healthy(base: str) -> None:
    """Until the server at `base` answers its health check; an app that has not started within
    two minutes (generous for a machine with every core busy) is an error, not a slow first click."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"应用未能在 120 秒内启动：{base}")


def stop_servers(servers: list[tuple[subprocess.Popen, int]]) -> None:
    for server, _ in servers:
        server.terminate()
    for server, _ in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still working through queued reruns
            server.kill()
            server.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.load")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--clicks", type=int, default=None,
                    help="each session makes exactly this many period changes, however long they take "
                         "(instead of clicking for --seconds)")
    ap.add_argument("--think", type=float, default=0.0, help="seconds a session waits between clicks")
    ap.add_argument("--browsers", type=int, default=None,
                    help="how many sessions run in headless chromium (default all); the rest speak the app's "
                         "websocket protocol, as users whose browsers are on their own computers")
    ap.add_argument("--processes", type=int, default=1,
                    help="app processes; more than one are served behind nginx with deploy/nginx.conf")
    ap.add_argument("--scale", type=float, default=1.0, help="demo scale")
    ap.add_argument("--db", default=None, help="an existing database URL to serve instead of a new demo")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 600 or not 0 <= args.think <= 60:
        print("--sessions 应在 1–50，--seconds 应在 1–600，--think 应在 0–60", file=sys.stderr)
        return 2
    if args.clicks is not None and not 1 <= args.clicks <= 1000:
        print("--clicks 应在 1–1000", file=sys.stderr)
        return 2
    if not 1 <= args.processes <= 8:
        print("--processes 应在 1–8", file=sys.stderr)
        return 2
    browsers = args.sessions if args.browsers is None else args.browsers
    if not 1 <= browsers <= args.sessions:
        print("--browsers 应在 1 与 --sessions 之间", file=sys.stderr)
        return 2
    url, tmp = args.db, None
    if url is None:
        tmp = Path(tempfile.mkdtemp(prefix="oversight-load-"))
        url = f"sqlite:///{tmp}/load.db"
        subprocess.run([sys.executable, "-m", "dashboard", "demo", "--db", url, "--scale", str(args.scale)],
                       cwd=ROOT, check=True, capture_output=True)
    servers = start_servers(url, args.processes)
    try:
        with contextlib.ExitStack() as stack:
            for _, port in servers:
                wait_healthy(f"http://127.0.0.1:{port}/")
            front = (stack.enter_context(proxy.Nginx(_port(), [port for _, port in servers]))
                     if args.processes > 1 else None)
            base = front.url if front is not None else f"http://127.0.0.1:{servers[0][1]}/"
            with CpuWatch({server.pid for server, _ in servers}) as cpu:
                runs = asyncio.run(_drive(base, args.sessions, browsers, args.seconds, args.think, args.clicks))
            peaks_mb = [_peak_kb(server.pid) / 1024 for server, _ in servers]
            spread = front.sessions_per_process() if front is not None else None
    finally:
        stop_servers(servers)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    q, sq, errors = sorted(runs["timings"]), sorted(runs["server_timings"]), runs["errors"]
    first_round = runs["first_round"]
    result = {"sessions": args.sessions, "browser_sessions": browsers, "protocol_sessions": args.sessions - browsers,
              "seconds": args.seconds if args.clicks is None else None, "clicks_per_session": args.clicks,
              "think_s": args.think,
              "interactions": len(q) + len(sq), "browser_clicks": len(q), "protocol_runs": len(sq),
              "errors": len(errors), "render_ms_p50": _rank(q, 0.50), "render_ms_p95": _rank(q, 0.95),
              "first_round_ms_max": round(max(first_round), 1) if first_round else None,
              # Protocol sessions: from the rerun request to the server's end of the run (no drawing).
              "server_run_ms_p50": _rank(sq, 0.50), "server_run_ms_p95": _rank(sq, 0.95),
              "server_first_round_ms_max": round(max(runs["server_first_round"]), 1) if runs["server_first_round"] else None,
              "processes": args.processes,
              # The largest app process (each holds its own copy of the tables), and all of them.
              "server_peak_rss_mb": round(max(peaks_mb), 1),
              "servers_peak_rss_mb": [round(v, 1) for v in peaks_mb],
              # Behind nginx: websocket sessions each process served (the recording page included).
              "sessions_per_process": spread,
              # Average cores busy while the sessions ran: the app server, chromium's renderers
              # (one per page), its GPU process (software WebGL here) and the rest, the machine.
              "cpu_cores": cpu.cores(),
              "error_samples": errors[:5]}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
