"""Local accounts: argon2 password hashes, roles with separated duties, lockout, TOTP.

Roles follow the separation of duties (三员分立) of graded protection (等保2.0): the system
administrator manages accounts but reads no business data and no audit log; the audit
administrator reads the audit log and nothing else; leaders browse; staff browse, export, import.
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from queries.ddl import create_tables
from queries.schema import metadata

ROLES = ("leader", "staff", "sysadmin", "auditor")
ROLE_LABELS = {"leader": "领导", "staff": "工作人员", "sysadmin": "系统管理员", "auditor": "审计管理员"}

# What each role may do; pages and components ask `can(role, action)`, never the role name.
PERMISSIONS: dict[str, frozenset[str]] = {
    "leader": frozenset({"browse", "see_persons"}),
    "staff": frozenset({"browse", "see_persons", "export", "import"}),
    "sysadmin": frozenset({"manage_accounts", "settings"}),
    "auditor": frozenset({"read_audit"}),
}

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10

ACCOUNTS = sa.Table(
    "accounts", metadata,
    sa.Column("username", sa.String, primary_key=True),
    sa.Column("display_name", sa.String, nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("region_code", sa.String, nullable=True),  # null: the whole store
    sa.Column("password_hash", sa.String, nullable=False),
    sa.Column("totp_secret", sa.String, nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("demo", sa.Boolean, nullable=False, default=False),
    sa.Column("failed_count", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
)

_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so both paths cost one argon2 verification
# and response time does not reveal which accounts exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password-" + secrets.token_hex(8))


class AccountError(ValueError):
    """A refused account change, with a message fit for the user."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    region_code: str | None
    totp_enabled: bool
    demo: bool

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or a reason and (when locked) time left."""

    account: Account | None
    reason: str | None = None
    locked_seconds: int = 0
    needs_totp: bool = False


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def password_problems(password: str, username: str = "") -> list[str]:
    """The password rules, as messages; an empty list means acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    classes = sum(any(c in group for c in password) for group in (
        string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation))
    if classes < 3:
        problems.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("密码不得包含用户名")
    return problems


def generate_password() -> str:
    """A random password that satisfies the rules (for demo accounts and resets)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(12)) + secrets.choice("!@#%+=") + secrets.choice(string.digits)
        if not password_problems(pw):
            return pw


def _row_to_account(row: sa.Row) -> Account:
    return Account(username=row.username, display_name=row.display_name, role=row.role,
                   region_code=row.region_code, totp_enabled=bool(row.totp_secret), demo=bool(row.demo))


def create(engine: sa.Engine, username: str, password: str, *, role: str, display_name: str,
           region_code: str | None, demo: bool = False) -> Account:
    if role not in ROLES:
        raise AccountError(f"未知角色：{role}")
    if not username or not username.isascii() or not username.replace("_", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、下划线和点")
    problems = password_problems(password, username)
    if problems:
        raise AccountError("；".join(problems))
    create_tables(engine, [ACCOUNTS])
    with engine.begin() as conn:
        exists = conn.execute(sa.select(ACCOUNTS.c.username).where(ACCOUNTS.c.username == username)).first()
        if exists:
            raise AccountError(f"用户名已存在：{username}")
        conn.execute(ACCOUNTS.insert().values(
            username=username, display_name=display_name, role=role, region_code=region_code,
            password_hash=_HASHER.hash(password), totp_secret=None, disabled=False, demo=demo,
            failed_count=0, locked_until=None, password_changed_at=now_utc()))
    return Account(username, display_name, role, region_code, False, demo)


def get(engine: sa.Engine, username: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.username == username)).first()
    return _row_to_account(row) if row else None


def list_all(engine: sa.Engine) -> list[dict]:
    """Accounts without their secrets (for the accounts page)."""
    cols = [ACCOUNTS.c.username, ACCOUNTS.c.display_name, ACCOUNTS.c.role, ACCOUNTS.c.region_code,
            ACCOUNTS.c.disabled, ACCOUNTS.c.demo, ACCOUNTS.c.failed_count, ACCOUNTS.c.locked_until,
            (ACCOUNTS.c.totp_secret.is_not(None)).label("totp_enabled")]
    create_tables(engine, [ACCOUNTS])
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(*cols).order_by(ACCOUNTS.c.username))]


def _aware(ts: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; all stored times are UTC."""
    if ts is None or ts.tzinfo is not None:
        return ts
    return ts.replace(tzinfo=timezone.utc)


def authenticate(engine: sa.Engine, username: str, password: str, totp_code: str | None = None,
                 now: datetime | None = None) -> SignIn:
    """Check a password (and TOTP code when enrolled), counting failures towards a lockout.

    The same message is given for an unknown name and a wrong password."""
    now = now or now_utc()
    create_tables(engine, [ACCOUNTS])
    with engine.begin() as conn:
        row = conn.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.username == username)).first()
        if row is None:
            try:
                _HASHER.verify(_DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                pass
            return SignIn(None, "用户名或密码错误")
        locked_until = _aware(row.locked_until)
        if locked_until is not None and locked_until > now:
            return SignIn(None, "账户已锁定", locked_seconds=int((locked_until - now).total_seconds()) + 1)
        try:
            ok = _HASHER.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if ok and row.totp_secret:
            if not totp_code:
                return SignIn(None, "请输入动态口令", needs_totp=True)
            ok = pyotp.TOTP(row.totp_secret).verify(totp_code.strip(), for_time=now, valid_window=1)
        if not ok:
            failures = row.failed_count + 1
            values: dict = {"failed_count": failures}
            if failures >= MAX_FAILURES:
                values = {"failed_count": 0, "locked_until": now + LOCKOUT}
            conn.execute(ACCOUNTS.update().where(ACCOUNTS.c.username == username).values(**values))
            if "locked_until" in values:
                return SignIn(None, "连续失败次数过多，账户已锁定", locked_seconds=int(LOCKOUT.total_seconds()))
            return SignIn(None, "用户名或密码错误")
        if row.disabled:
            return SignIn(None, "账户已停用")
        conn.execute(ACCOUNTS.update().where(ACCOUNTS.c.username == username)
                     .values(failed_count=0, locked_until=None))
        return SignIn(_row_to_account(row))


def set_password(engine: sa.Engine, username: str, password: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise AccountError("；".join(problems))
    _update(engine, username, password_hash=_HASHER.hash(password), password_changed_at=now_utc(),
            failed_count=0, locked_until=None)


def update(engine: sa.Engine, username: str, *, role: str | None = None,
           region_code: str | None | type[...] = ..., disabled: bool | None = None,
           display_name: str | None = None) -> None:
    values: dict = {}
    if role is not None:
        if role not in ROLES:
            raise AccountError(f"未知角色：{role}")
        values["role"] = role
    if region_code is not ...:
        values["region_code"] = region_code
    if disabled is not None:
        values["disabled"] = disabled
    if display_name is not None:
        values["display_name"] = display_name
    if values:
        _update(engine, username, **values)


def enable_totp(engine: sa.Engine, username: str, secret: str | None = None) -> str:
    """Enrol a TOTP second factor; returns the secret to show once as a QR/provisioning URI.
    `secret`: one the user has already proven with a code from their app (first sign-in)."""
    secret = secret or pyotp.random_base32()
    _update(engine, username, totp_secret=secret)
    return secret


def disable_totp(engine: sa.Engine, username: str) -> None:
    _update(engine, username, totp_secret=None)


def _update(engine: sa.Engine, username: str, **values: object) -> None:
    with engine.begin() as conn:
        result = conn.execute(ACCOUNTS.update().where(ACCOUNTS.c.username == username).values(**values))
        if result.rowcount == 0:
            raise AccountError(f"账户不存在：{username}")
