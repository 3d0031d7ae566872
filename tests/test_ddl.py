"""Schema changes from several processes at once (app processes behind a load balancer starting
together): the first load test with two processes on PostgreSQL lost sessions to "tuple
concurrently updated" when both created the audit log's trigger function at the same moment."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from queries import audit, ddl
from tests.waiting import DEADLINE_S, flock_waiters, pg_lock_waiters, wait_until


def _together(n: int, work) -> list[BaseException]:
    """Run `work(i)` in n threads released at the same moment; the exceptions they raised."""
    start, errors = threading.Barrier(n), []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_the_audit_log_is_set_up_from_many_connections_at_once(db_url, monkeypatch):
    # Each worker is a process of its own as far as the database can tell: its own engine
    # (connection pool) and nothing remembered about earlier set-ups.
    engines = [sa.create_engine(db_url) for _ in range(8)]

    def set_up(i: int) -> None:
        monkeypatch.setattr(audit, "_READY", set())
        audit._ensure(engines[i])

    for _ in range(4):  # PostgreSQL failed in the first round or two without the lock
        assert _together(8, set_up) == []
    audit.record(engines[0], event="signin", account="alice", outcome="ok")
    assert audit.read(engines[1])["account"].to_list() == ["alice"]
    for eng in engines:
        eng.dispose()


def _lock_waiters(engine: sa.Engine) -> int:
    """How many connections are blocked on the schema lock of `engine`'s database right now."""
    if engine.dialect.name == "postgresql":
        return pg_lock_waiters(engine, "advisory")
    return flock_waiters(engine.url.database + ".lock")


def test_the_lock_is_held_by_one_connection_at_a_time(db_url):
    engines = [sa.create_engine(db_url) for _ in range(4)]
    inside, most, seen_waiting = [0], [0], []
    guard = threading.Lock()

    def hold(i: int) -> None:
        with ddl.schema_lock(engines[i]):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                first = len(seen_waiting) == 0
                seen_waiting.append(None)
            if first:  # hold the lock until the three others are blocked on it
                seen_waiting[0] = wait_until(lambda: _lock_waiters(engines[0]) == 3 or most[0] > 1)
            with guard:
                inside[0] -= 1

    assert _together(4, hold) == []
    assert (seen_waiting[0], most[0]) == (True, 1)
    for eng in engines:
        eng.dispose()


def test_the_lock_can_be_taken_again_by_the_thread_holding_it(db_url):
    engine = sa.create_engine(db_url)

    def nested() -> None:
        with ddl.schema_lock(engine):
            with ddl.schema_lock(engine):  # the first-run demo creates tables under the lock
                ddl.create_tables(engine)

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)  # a deadline for finishing; a thread waiting for itself never would
    assert not worker.is_alive(), "the thread holding the lock waited for itself"
    assert {"cases", "complaints", "audit_log"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_needs_no_lock_file(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a relative ":memory:.lock" would be created
    entered = []
    with ddl.schema_lock(sa.create_engine(url)):
        entered.append(True)
    assert entered == [True] and list(tmp_path.iterdir()) == []
