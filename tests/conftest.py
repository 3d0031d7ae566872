"""Shared fixtures: a throwaway PostgreSQL server, a database URL per backend, chromium.

PostgreSQL tests must run in CI: when the server binaries are missing there, the fixture fails
instead of skipping (a skipped PostgreSQL test would hide a broken backend)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from queries import store

ROOT = Path(__file__).resolve().parents[1]


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run this test)")
    pytest.skip(message)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` system user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def pg_url():
    bindir = _pg_bin()
    if bindir is None:
        _unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("the postgres system user is missing")
    base = Path(tempfile.mkdtemp(prefix="oversight-pg-"))
    data, sock = base / "data", base / "sock"
    data.mkdir()
    sock.mkdir()
    if os.geteuid() == 0:
        for p in (base, data, sock):
            os.chown(p, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                                 "-U", "oversight", "-E", "UTF8", "--locale=C"]),
                   check=True, capture_output=True)
    opts = f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w",
                                 "-l", str(base / "server.log"), "start"]),
                   check=True, capture_output=True)
    try:
        subprocess.run(_as_postgres([str(bindir / "createdb"), "-h", str(sock), "-p", str(port),
                                     "-U", "oversight", "oversight_test"]),
                       check=True, capture_output=True)
        yield f"postgresql+psycopg://oversight@/oversight_test?host={sock}&port={port}"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _reset_pg(url: str) -> None:
    engine = store.engine_for(url)
    engine.dispose()
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database of each backend; tests using it run on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/t.db"
    url = request.getfixturevalue("pg_url")
    _reset_pg(url)
    return url


def _debian_program(path: str, package: str) -> str:
    if not Path(path).exists():
        _unavailable(f"{path} is not installed (apt-get install {package})")
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return _debian_program("/usr/bin/chromium", "chromium")


@pytest.fixture(scope="session")
def nginx_path() -> str:
    return _debian_program("/usr/sbin/nginx", "nginx")
