"""The audit log: who signed in, exported, imported or changed an account, when, from where.

Append-only: the app has no code path that updates or deletes a row, and database triggers
refuse UPDATE and DELETE on both SQLite and PostgreSQL, so not even the system administrator can
erase a trace through the app. Rows are kept indefinitely (graded protection asks ≥ 180 days).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl
import sqlalchemy as sa

from queries.ddl import create_tables, schema_lock
from queries.schema import metadata

AUDIT = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("account", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=True),
    sa.Column("event", sa.String, nullable=False),
    sa.Column("target", sa.String, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("rows", sa.Integer, nullable=True),
    sa.Column("outcome", sa.String, nullable=False),
)

EVENTS = ("signin", "signout", "export", "import", "account", "setting")

_SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
_PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]

_READY: set[str] = set()


def _ensure(engine: sa.Engine) -> None:
    key = str(engine.url)
    if key in _READY:
        return
    statements = _SQLITE_TRIGGERS if engine.dialect.name == "sqlite" else _PG_TRIGGERS
    # Several processes (or sessions) reach this at once: PostgreSQL refuses concurrent
    # CREATE OR REPLACE FUNCTION ("tuple concurrently updated"), so it runs under the lock.
    with schema_lock(engine):
        create_tables(engine, [AUDIT])
        with engine.begin() as conn:
            for stmt in statements:
                conn.execute(sa.text(stmt))
    _READY.add(key)


def record(engine: sa.Engine, *, event: str, account: str, outcome: str, target: str | None = None,
           detail: dict | None = None, rows: int | None = None, source: str | None = None) -> None:
    """Append one audit row in its own transaction (it must survive the caller's rollback)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    _ensure(engine)
    with engine.begin() as conn:
        conn.execute(AUDIT.insert().values(
            at=datetime.now(timezone.utc), account=account, source=source, event=event,
            target=target, detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            rows=rows, outcome=outcome))


def read(engine: sa.Engine, since: datetime | None = None) -> pl.DataFrame:
    """Audit rows, newest first (for the audit administrator's page and export)."""
    _ensure(engine)
    query = sa.select(AUDIT).order_by(AUDIT.c.id.desc())
    if since is not None:
        query = query.where(AUDIT.c.at >= since)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    schema = {"id": pl.Int64, "at": pl.Datetime("us", "UTC"), "account": pl.String, "source": pl.String,
              "event": pl.String, "target": pl.String, "detail": pl.String, "rows": pl.Int64,
              "outcome": pl.String}
    if not rows:
        return pl.DataFrame(schema=schema)
    for r in rows:
        if r["at"] is not None and r["at"].tzinfo is None:
            r["at"] = r["at"].replace(tzinfo=timezone.utc)
    return pl.DataFrame(rows, schema=schema, orient="row")
