"""A new data version read from the database in a process of its own, while the app serves the
version it already holds.

After a write that left no snapshot (another tool, another machine's process), loading the new
version takes half a minute from PostgreSQL and minutes from SQLite at 1M cases; before this,
every user of the process waited that long at their next click. Instead the app keeps serving
the version it holds, says so, and switches once the snapshot is written (`store.ensure_snapshot`
in the child, under the per-version lock, so one process of several reads the database).

A child process rather than a thread: reading rows is Python work that would hold the
interpreter lock every session's rerun needs, and the child's memory is returned when it exits.
The database URL travels in the environment, not the command line (`ps` shows arguments).

Run as `python -m queries.refresh VERSION` with OVERSIGHT_REFRESH_URL set.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO

from queries import store

URL_ENV = "OVERSIGHT_REFRESH_URL"
ROOT = Path(__file__).resolve().parent.parent


class State(Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Refresher:
    """At most one child per (database, version) in this process; asking again reports its state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, int], _Job] = {}

    def state(self, url: str, version: int) -> State:
        """Start the child for `version` if none was started; RUNNING, DONE (snapshot written) or
        FAILED (the caller loads synchronously instead)."""
        with self._lock:
            job = self._jobs.get((url, version))
            if job is None:
                try:
                    job = _Job.start(url, version)
                except OSError:
                    logging.getLogger(__name__).exception("background load could not start")
                    return State.FAILED
                self._jobs[(url, version)] = job
                # Older versions' children are of no use any more.
                for key in [k for k in self._jobs if k[0] == url and k[1] < version]:
                    self._jobs.pop(key).proc.kill()
            code = job.proc.poll()
        if code is None:
            return State.RUNNING
        if code != 0:
            if not job.reported:
                job.reported = True
                job.log.seek(0)
                logging.getLogger(__name__).error("background load of version %s failed: %s", version,
                                                  job.log.read().decode(errors="replace")[-2000:])
            return State.FAILED
        return State.DONE

    def wait(self, url: str, version: int, timeout: float) -> State:
        """Until the child for `version` ends (tests, and shutting down cleanly)."""
        with self._lock:
            job = self._jobs.get((url, version))
        if job is not None:
            job.proc.wait(timeout)
        return self.state(url, version)


@dataclass
class _Job:
    proc: subprocess.Popen
    log: IO[bytes]
    reported: bool = False

    @classmethod
    def start(cls, url: str, version: int) -> _Job:
        # Its messages go to a file, not a pipe nobody reads until it ends: a full pipe would
        # stop the child.
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen([sys.executable, "-m", "queries.refresh", str(version)], cwd=ROOT,
                                env={**os.environ, URL_ENV: url}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log)
        return cls(proc, log)


def main(argv: list[str]) -> int:
    url = os.environ.get(URL_ENV)
    if not url or len(argv) != 1 or not argv[0].isdigit():
        print("用法：OVERSIGHT_REFRESH_URL=… python -m queries.refresh 数据版本", file=sys.stderr)
        return 2
    version = int(argv[0])
    if store.snapshot_dir(url) is None:
        print("未设置快照目录，无法在后台载入", file=sys.stderr)
        return 2
    return 0 if store.ensure_snapshot(url, version) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
