"""Waiting for an event in a test, never for a fixed time.

A test that must prove "the second caller waited" has to know that the second caller is really
blocked before it lets the first one go; a fixed sleep only makes that likely, and on a busy
machine the second caller may not even have started yet, so the test passes without proving
anything. These helpers observe the waiting itself (the kernel's list of blocked file locks,
PostgreSQL's list of lock waits) and poll for it with a generous deadline: on a slow machine they
take longer, never fail for it."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

DEADLINE_S = 120.0  # for something that must happen: long enough for the busiest machine


def wait_until(condition: Callable[[], bool], deadline_s: float = DEADLINE_S) -> bool:
    """Poll `condition` until it holds or the deadline passes; whether it held. A False result
    means the awaited event never came (a bug), not that the machine was slow."""
    end = time.monotonic() + deadline_s
    while True:
        if condition():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.01)  # polling interval, not a wait for the event


def flock_waiters(path: str | Path) -> int:
    """How many flock() calls are blocked on the file `path` right now (Linux /proc/locks lists
    each blocked request as a `->` line under the lock it waits for)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return 0
    ident = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino} "
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if " -> FLOCK " in line and ident in line)


def pg_lock_waiters(engine: sa.Engine, kind: str) -> int:
    """How many sessions of `engine`'s PostgreSQL database are waiting for a lock of `kind`
    ("advisory" for pg_advisory_lock, "transactionid" for a row another transaction updated)."""
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = :kind"), {"kind": kind}).scalar_one()
