"""Server-side browser sessions: what lets a signed-in browser survive a reload or a new tab.

The browser holds a random token (a cookie, never a URL); the database holds only its SHA-256,
the account, when it was opened and last used, and whether it has ended. Every rerun checks the
token with one primary-key read joined to the account, so a session ends everywhere at once when
it is signed out, idle past the limit, or when its account is disabled, removed, or changed in
role, jurisdiction or password (the account's `session_epoch` moved on).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from queries.accounts import ACCOUNTS, WEB_SESSIONS, Account, _aware, ensure, now_utc

# Why a session ended (stored in web_sessions.end_reason and in the audit row).
ENDED_SIGNOUT = "signout"
ENDED_IDLE = "idle"
ENDED_DISABLED = "disabled"
ENDED_CHANGED = "account_changed"
ENDED_REMOVED = "account_removed"


@dataclass(frozen=True)
class Check:
    """The outcome of checking a token: the account, or why not. `ended_now` is true for the one
    check that ended the session (so it is audited once, not by every tab); `touched` when its
    last use was renewed (so the browser's cookie is renewed too)."""

    account: Account | None
    reason: str | None = None
    ended_now: bool = False
    touched: bool = False
    username: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(engine: sa.Engine, account: Account, *, method: str, source: str | None = None,
                 now: datetime | None = None) -> str:
    """Start a session for `account` (just signed in); returns the token for the browser."""
    ensure(engine)
    now = now or now_utc()
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(WEB_SESSIONS.insert().values(
            token_hash=hash_token(token), username=account.username, epoch=account.epoch, method=method,
            source=source, created_at=now, last_seen_at=now, ended_at=None, end_reason=None))
    return token


def _touch_interval(idle_s: float) -> float:
    """Renew last use at most once a minute (a write per rerun would be wasteful), and often
    enough for a short limit."""
    return min(60.0, idle_s / 10)


def check(engine: sa.Engine, token: str, *, idle_s: float, activity: bool = True,
          now: datetime | None = None) -> Check:
    """Whether `token` is a live session, and its account as stored now. `activity`: the rerun
    was the user's doing (an automatic refresh does not keep a session alive)."""
    now = now or now_utc()
    h = hash_token(token)
    s, a = WEB_SESSIONS.c, ACCOUNTS.c
    query = (sa.select(s.username, s.epoch, s.last_seen_at, s.ended_at, s.end_reason,
                       a.username.label("account_name"), a.display_name, a.role, a.region_code, a.totp_secret,
                       a.demo, a.disabled, a.must_change, a.session_epoch)
             .select_from(WEB_SESSIONS.outerjoin(ACCOUNTS, a.username == s.username))
             .where(s.token_hash == h))
    try:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    except sa.exc.DBAPIError:  # no session table yet: no session
        return Check(None, "unknown")
    if row is None:
        return Check(None, "unknown")
    if row.ended_at is not None:
        return Check(None, row.end_reason or ENDED_SIGNOUT, username=row.username)
    last_seen = _aware(row.last_seen_at)
    reason = None
    if now - last_seen > timedelta(seconds=idle_s):
        reason = ENDED_IDLE
    elif row.account_name is None:
        reason = ENDED_REMOVED
    elif row.disabled:
        reason = ENDED_DISABLED
    elif row.session_epoch != row.epoch:
        reason = ENDED_CHANGED
    if reason is not None:
        return Check(None, reason, ended_now=_end(engine, h, reason, now), username=row.username)
    touched = False
    if activity and (now - last_seen).total_seconds() >= _touch_interval(idle_s):
        with engine.begin() as conn:
            touched = conn.execute(WEB_SESSIONS.update().where(s.token_hash == h, s.ended_at.is_(None))
                                   .values(last_seen_at=now)).rowcount == 1
    account = Account(username=row.account_name, display_name=row.display_name, role=row.role,
                      region_code=row.region_code, totp_enabled=bool(row.totp_secret), demo=bool(row.demo),
                      must_change=bool(row.must_change), epoch=int(row.session_epoch))
    return Check(account, touched=touched, username=row.username)


def _end(engine: sa.Engine, token_hash: str, reason: str, now: datetime) -> bool:
    with engine.begin() as conn:
        return conn.execute(WEB_SESSIONS.update().where(WEB_SESSIONS.c.token_hash == token_hash,
                                                        WEB_SESSIONS.c.ended_at.is_(None))
                            .values(ended_at=now, end_reason=reason)).rowcount == 1


def end(engine: sa.Engine, token: str, reason: str = ENDED_SIGNOUT, now: datetime | None = None) -> bool:
    """End one session (sign-out); true if it was still open."""
    return _end(engine, hash_token(token), reason, now or now_utc())


def end_all(engine: sa.Engine, username: str, reason: str, now: datetime | None = None) -> int:
    """End every open session of an account; the number ended."""
    ensure(engine)
    with engine.begin() as conn:
        return conn.execute(WEB_SESSIONS.update().where(WEB_SESSIONS.c.username == username,
                                                        WEB_SESSIONS.c.ended_at.is_(None))
                            .values(ended_at=now or now_utc(), end_reason=reason)).rowcount


def open_count(engine: sa.Engine, username: str) -> int:
    """Sessions of an account not yet ended (for tests and the accounts page)."""
    ensure(engine)
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(WEB_SESSIONS).where(
            WEB_SESSIONS.c.username == username, WEB_SESSIONS.c.ended_at.is_(None))).scalar_one()
