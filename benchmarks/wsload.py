"""Protocol sessions for the load test: users whose browsers run on their own computers.

In a deployment each of the 20 people has a browser on their own machine and only the app
server is shared. Twenty headless chromiums on this 2-core machine instead take ~1.7 cores
away from the server they are testing, so `--browsers K` keeps K real browsers (their render
time is what a person sees) and drives the other sessions over the app's own websocket
protocol: a real browser's messages for each period are recorded once, then replayed by
lightweight clients that wait for the server to finish every run as a browser would.
"""
from __future__ import annotations

import asyncio
import time
from itertools import islice

from benchmarks.load import PERIODS, click_period, keep_clicking, open_overview, pauses, period_clicks


def _back_msg(payload: bytes):
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.ParseFromString(payload)
    return msg


def replayable(payload: bytes | str) -> bytes | None:
    """A recorded frame fit to replay in another session: a rerun request, stripped of the
    recording browser's message cache so the server sends everything, as to a new visitor."""
    if not isinstance(payload, bytes):
        return None
    msg = _back_msg(payload)
    if msg.WhichOneof("type") != "rerun_script":
        return None
    del msg.rerun_script.cached_message_hashes[:]
    return msg.SerializeToString()


async def capture(browser, base: str) -> dict[str, bytes]:
    """Record, in a real page, the rerun request a visit sends ("" key) and the one each
    period button sends."""
    sent: list[bytes] = []

    def record(ws) -> None:
        ws.on("framesent", lambda p: (frame := replayable(p)) and sent.append(frame))

    ctx, page, finished = await open_overview(browser, base, on_page=lambda pg: pg.on("websocket", record))
    try:
        if not sent:
            raise RuntimeError("页面未发出任何重新运行请求，无法录制")
        frames = {"": sent[0]}
        for label in islice(period_clicks(0), len(PERIODS)):  # every period once
            n_sent = len(sent)
            await click_period(page, finished, label, 600)
            if len(sent) == n_sent:
                raise RuntimeError(f"点击“{label}”未发出重新运行请求")
            frames[label] = sent[-1]
    finally:
        await ctx.close()
    return frames


def _finishes_run(payload: bytes) -> tuple[bool, str | None]:
    """(whether this message ends a run the client waits for, an exception shown, if any).
    A run cut short for another (st.rerun) is not the end: the client waits for the next."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.ParseFromString(payload)
    kind = msg.WhichOneof("type")
    if kind == "script_finished":
        return msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN, None
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
            and msg.delta.new_element.WhichOneof("type") == "exception":
        return False, msg.delta.new_element.exception.message[:200]
    return False, None


async def _run(ws, frame: bytes, timeout_s: float) -> list[str]:
    """Send one rerun request and read until the server has finished it; the exceptions the
    run put on the page."""
    await ws.send(frame)
    shown: list[str] = []
    async with asyncio.timeout(timeout_s):
        async for payload in ws:
            if isinstance(payload, str):
                continue
            done, exc = _finishes_run(payload)
            if exc:
                shown.append(exc)
            if done:
                return shown
    raise ConnectionError("服务器关闭了连接")


async def session(ws_url: str, frames: dict[str, bytes], seconds: float, think: float, idx: int,
                  timings: list[float], first_round: list[float], errors: list[str],
                  clicks: int | None = None) -> None:
    """One protocol session: the visit, then the same period changes a browser session makes
    (for `seconds`, or exactly `clicks` of them), timed from the request to the server's end of
    the run."""
    import websockets

    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                      open_timeout=600, ping_timeout=None) as ws:
            for exc in await _run(ws, frames[""], 600):
                errors.append(f"protocol session {idx}: exception on page: {exc}")
            deadline = time.monotonic() + seconds
            wait = pauses(think, idx)
            await asyncio.sleep(next(wait))
            for done, label in enumerate(period_clicks(idx)):
                if not keep_clicking(done, deadline, clicks):
                    break
                t0 = time.perf_counter()
                shown = await _run(ws, frames[label], 60)
                timings.append((time.perf_counter() - t0) * 1000)
                if done + 1 < len(PERIODS):
                    first_round.append(timings[-1])
                errors.extend(f"protocol session {idx}: exception on page: {e}" for e in shown)
                await asyncio.sleep(next(wait))
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error
        errors.append(f"protocol session {idx}: {type(exc).__name__}: {str(exc)[:200]}")
