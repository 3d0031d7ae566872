"""Local accounts: argon2 password hashes, roles with separated duties, lockout, TOTP.

Roles follow the separation of duties (三员分立) of graded protection (等保2.0): the system
administrator manages accounts but reads no business data and no audit log; the audit
administrator reads the audit log and nothing else; leaders browse; staff browse, export, import.

Every change that should end an account's open sessions (role, region, disabled, password) bumps
its `session_epoch`; a browser session carries the epoch it was opened with (queries/sessions.py),
so the next rerun of any tab sees the change with one primary-key read.
"""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queries.ddl import create_tables, schema_lock
from queries.schema import metadata

ROLES = ("leader", "staff", "sysadmin", "auditor")
ROLE_LABELS = {"leader": "领导", "staff": "工作人员", "sysadmin": "系统管理员", "auditor": "审计管理员"}

# What each role may do; pages and components ask `can(role, action)`, never the role name.
PERMISSIONS: dict[str, frozenset[str]] = {
    "leader": frozenset({"browse", "see_persons"}),
    "staff": frozenset({"browse", "see_persons", "export", "import"}),
    "sysadmin": frozenset({"manage_accounts", "settings"}),
    "auditor": frozenset({"read_audit", "reset_auditor"}),
}

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
TOTP_STEP_S = 30

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
    # A one-time password set by an administrator (or `init`): the account can do nothing but
    # choose its own password.
    sa.Column("must_change", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    # Bumped by every change that must end open sessions.
    sa.Column("session_epoch", sa.Integer, nullable=False, default=0, server_default="0"),
    # The last accepted TOTP time step: a code of that step or an earlier one is refused.
    sa.Column("totp_last_step", sa.BigInteger, nullable=True),
)

# Server-side browser sessions (queries/sessions.py): the browser holds a random token in a
# cookie, the database only its SHA-256. Declared here so that account creation can end any
# leftover session of an earlier account of the same name.
WEB_SESSIONS = sa.Table(
    "web_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String, nullable=False, index=True),
    sa.Column("epoch", sa.Integer, nullable=False),
    sa.Column("method", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("end_reason", sa.String, nullable=True),
)

# Columns added after the first release, with the DDL that adds each to an older database.
_ADDED_COLUMNS = {
    "must_change": "BOOLEAN NOT NULL DEFAULT FALSE",
    "session_epoch": "INTEGER NOT NULL DEFAULT 0",
    "totp_last_step": "BIGINT",
}

_HASHER = PasswordHasher()
# Verified against when the account is unknown, locked or disabled, so every refusal costs one
# argon2 verification and neither the answer nor its timing tells which case it was.
_DUMMY_HASH = _HASHER.hash("not-a-real-password-" + secrets.token_hex(8))

# One message for a wrong password, an unknown name, a locked and a disabled account.
REFUSED = "用户名或密码错误，或账户已锁定、停用"


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
    must_change: bool = False
    epoch: int = 0

    def can(self, action: str) -> bool:
        """A must-change account may do nothing until it has chosen its own password."""
        if self.must_change:
            return False
        return action in PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or a reason (the same for every refusal,
    except a right password still missing its TOTP code)."""

    account: Account | None
    reason: str | None = None
    needs_totp: bool = False


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# --- password rules -----------------------------------------------------------------------------
# A local rule (no download): the most common passwords and words they are built from, keyboard
# walks and sequences, and the "word + digits + symbol" shape that satisfies class rules.
_COMMON_WORDS = frozenset("""
password passwd pass word admin administrator root user test guest login welcome letmein
iloveyou love monkey dragon master shadow sunshine princess football baseball soccer superman
batman qwerty azerty qwertz abc abcd abcdef secret changeme default system manager hello
hellokitty trustno freedom whatever starwars computer internet server oracle mysql postgres
summer winter spring autumn china beijing shanghai woaini aini nihao zhongguo jiwei jianwei
jiancha jijian dangwei zhengfu gongzuo mima mimamima huanying ceshi guanli guanliyuan xitong
""".split())
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz",
                  "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp",
                  "!@#$%^&*()")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s",
                       "5": "s", "7": "t", "+": "t", "9": "g"})


def _walks(text: str) -> list[tuple[int, int]]:
    """Spans of three or more characters that follow a keyboard row, the alphabet or digits
    (either direction), or repeat one character."""
    spans = []
    i = 0
    while i < len(text) - 2:
        best = 0
        for row in _KEYBOARD_ROWS:
            for seq in (row, row[::-1]):
                j = i
                while j < len(text) and (j == i or (text[j - 1] in seq and text[j] in seq
                                                    and seq.find(text[j]) == seq.find(text[j - 1]) + 1)):
                    j += 1
                best = max(best, j - i)
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        best = max(best, j - i)
        if best >= 3:
            spans.append((i, i + best))
            i += best
        else:
            i += 1
    return spans


def _without_walks(text: str) -> str:
    out, last = [], 0
    for a, b in _walks(text):
        out.append(text[last:a])
        last = b
    out.append(text[last:])
    return "".join(out)


def password_problems(password: str, username: str = "") -> list[str]:
    """The password rules, as messages; an empty list means acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    classes = sum(any(c in group for c in password) for group in (
        string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation))
    if classes < 3:
        problems.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    lower = password.lower()
    if username and len(username) >= 3 and username.lower() in lower:
        problems.append("密码不得包含用户名")
    letters = re.sub(r"[^a-z]", "", lower.translate(_LEET))
    runs = re.findall(r"[A-Za-z]+", password)
    rest = _without_walks(lower)
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lower).translate(_LEET)
    if core in _COMMON_WORDS or letters in _COMMON_WORDS or any(
            w in letters and len(w) >= 5 and len(letters) - len(w) < 4 for w in _COMMON_WORDS):
        problems.append("密码过于常见（常见单词或其变形）")
    elif len(set(rest)) < 4:
        problems.append("密码不能主要由键盘连续键、顺序或重复字符组成")
    elif len(runs) == 1 and re.fullmatch(r"[\d\W_]*[A-Za-z]+[\d\W_]+|[\d\W_]+[A-Za-z]+", password):
        problems.append("密码不能是“一个单词加数字或符号”的形式")
    return problems


def generate_password() -> str:
    """A random password that satisfies the rules (for one-time passwords and demo accounts)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = ("".join(secrets.choice(alphabet) for _ in range(6)) + secrets.choice("!@#%+=")
              + "".join(secrets.choice(alphabet) for _ in range(6)) + secrets.choice(string.digits))
        if not password_problems(pw):
            return pw


# --- storage --------------------------------------------------------------------------------

def ensure(engine: sa.Engine) -> None:
    """Create the account tables, and add the columns newer releases need to an older one.

    Looked at first with one connection and no lock: the schema lock holds a connection of its
    own, so taking it on every sign-in would let parallel sign-ins exhaust the pool."""
    with engine.connect() as conn:
        insp = sa.inspect(conn)
        if insp.has_table("accounts") and insp.has_table("web_sessions"):
            have = {c["name"] for c in insp.get_columns("accounts")}
            if all(name in have for name in _ADDED_COLUMNS):
                return
    create_tables(engine, [ACCOUNTS, WEB_SESSIONS])
    have = {c["name"] for c in sa.inspect(engine).get_columns("accounts")}
    missing = [name for name in _ADDED_COLUMNS if name not in have]
    if not missing:
        return
    with schema_lock(engine), engine.begin() as conn:
        have = {c["name"] for c in sa.inspect(conn).get_columns("accounts")}
        for name in missing:
            if name not in have:
                conn.execute(sa.text(f"ALTER TABLE accounts ADD COLUMN {name} {_ADDED_COLUMNS[name]}"))


def row_to_account(row: sa.Row) -> Account:
    return Account(username=row.username, display_name=row.display_name, role=row.role,
                   region_code=row.region_code, totp_enabled=bool(row.totp_secret), demo=bool(row.demo),
                   must_change=bool(row.must_change), epoch=int(row.session_epoch or 0))


def _check_username(username: str) -> None:
    if not username or not username.isascii() or not username.replace("_", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、下划线和点")


def create(engine: sa.Engine, username: str, password: str, *, role: str, display_name: str,
           region_code: str | None, demo: bool = False, must_change: bool = False) -> Account:
    """A new account. `must_change`: the password is a one-time one (shown once to whoever hands
    it over); the account can do nothing but set its own at first sign-in."""
    if role not in ROLES:
        raise AccountError(f"未知角色：{role}")
    _check_username(username)
    problems = password_problems(password, username)
    if problems:
        raise AccountError("；".join(problems))
    ensure(engine)
    now = now_utc()
    with engine.begin() as conn:
        exists = conn.execute(sa.select(ACCOUNTS.c.username).where(ACCOUNTS.c.username == username)).first()
        if exists:
            raise AccountError(f"用户名已存在：{username}")
        # A session left by an earlier account of this name must not carry over to this one.
        conn.execute(WEB_SESSIONS.update().where(WEB_SESSIONS.c.username == username,
                                                 WEB_SESSIONS.c.ended_at.is_(None))
                     .values(ended_at=now, end_reason="account_replaced"))
        conn.execute(ACCOUNTS.insert().values(
            username=username, display_name=display_name, role=role, region_code=region_code,
            password_hash=_HASHER.hash(password), totp_secret=None, disabled=False, demo=demo,
            failed_count=0, locked_until=None, password_changed_at=now, must_change=must_change,
            session_epoch=0, totp_last_step=None))
    return Account(username, display_name, role, region_code, False, demo, must_change, 0)


def create_with_one_time_password(engine: sa.Engine, username: str, role: str, region_code: str | None,
                                  display_name: str) -> str:
    """Create an account with a generated one-time password and return it (to be shown once):
    the account must choose its own password at first sign-in. Used by the accounts page and by
    `python -m dashboard init`."""
    password = generate_password()
    create(engine, username, password, role=role, display_name=display_name, region_code=region_code,
           must_change=True)
    return password


def get(engine: sa.Engine, username: str) -> Account | None:
    ensure(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.username == username)).first()
    return row_to_account(row) if row else None


def list_all(engine: sa.Engine) -> list[dict]:
    """Accounts without their secrets (for the accounts page)."""
    ensure(engine)
    cols = [ACCOUNTS.c.username, ACCOUNTS.c.display_name, ACCOUNTS.c.role, ACCOUNTS.c.region_code,
            ACCOUNTS.c.disabled, ACCOUNTS.c.demo, ACCOUNTS.c.failed_count, ACCOUNTS.c.locked_until,
            (ACCOUNTS.c.totp_secret.is_not(None)).label("totp_enabled"), ACCOUNTS.c.must_change]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(*cols).order_by(ACCOUNTS.c.username))]


def _aware(ts: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; all stored times are UTC."""
    if ts is None or ts.tzinfo is not None:
        return ts
    return ts.replace(tzinfo=timezone.utc)


# --- sign-in ----------------------------------------------------------------------------------

def _verify(hash_: str, password: str) -> bool:
    try:
        return _HASHER.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False


def _claim_attempt(conn: sa.Connection, username: str, now: datetime) -> sa.Row | None:
    """Count one attempt before its password is checked, in one statement: the row of an
    enabled account that is not locked, with its new failure count, or None.

    Counting first (instead of reading, checking, then writing) is what makes parallel guesses
    harmless: the statements are serialised by the database, so the fifth one sets the lock and
    the sixth finds the account locked before any hash is checked. After a lock has run out the
    count starts again at one."""
    a = ACCOUNTS.c
    expired_lock = a.locked_until.is_not(None)
    new_count = sa.case((expired_lock, 1), else_=a.failed_count + 1)
    stmt = (ACCOUNTS.update()
            .where(a.username == username, a.disabled == sa.false(),
                   sa.or_(a.locked_until.is_(None), a.locked_until <= now))
            .values(failed_count=new_count,
                    locked_until=sa.case((new_count >= MAX_FAILURES, now + LOCKOUT), else_=None))
            .returning(a.username, a.display_name, a.role, a.region_code, a.password_hash, a.totp_secret,
                       a.demo, a.must_change, a.session_epoch, a.totp_last_step, a.failed_count,
                       a.locked_until))
    return conn.execute(stmt).first()


def _accept_totp(conn: sa.Connection, username: str, secret: str, code: str, now: datetime) -> bool:
    """A code of the current time step or one step either side, accepted once: the step is
    stored in the same statement that checks it is newer than the last accepted one."""
    code = code.strip()
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    step_now = int(now.timestamp()) // TOTP_STEP_S
    for step in (step_now + 1, step_now, step_now - 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP_S), code):
            a = ACCOUNTS.c
            done = conn.execute(ACCOUNTS.update()
                                .where(a.username == username,
                                       sa.or_(a.totp_last_step.is_(None), a.totp_last_step < step))
                                .values(totp_last_step=step))
            return done.rowcount == 1
    return False


def authenticate(engine: sa.Engine, username: str, password: str, totp_code: str | None = None,
                 now: datetime | None = None) -> SignIn:
    """Check a password (and TOTP code when enrolled), counting failures towards a lockout.

    Unknown, locked and disabled accounts and a wrong password get the same message and the
    same work (one argon2 verification, of a dummy hash for the first three); a locked account's
    own hash is never checked, so a correct guess during the lock tells nothing."""
    now = now or now_utc()
    ensure(engine)
    with engine.begin() as conn:
        row = _claim_attempt(conn, username, now)
    if row is None:
        _verify(_DUMMY_HASH, password)
        return SignIn(None, REFUSED)
    ok = _verify(row.password_hash, password)
    needs_totp = False
    with engine.begin() as conn:
        if ok and row.totp_secret:
            if not totp_code:
                ok, needs_totp = False, True
            else:
                ok = _accept_totp(conn, username, row.totp_secret, totp_code, now)
        if ok:
            conn.execute(ACCOUNTS.update().where(ACCOUNTS.c.username == username)
                         .values(failed_count=0, locked_until=None))
    if needs_totp:
        return SignIn(None, "请输入动态口令", needs_totp=True)
    if not ok:
        return SignIn(None, REFUSED)
    return SignIn(row_to_account(row))


# --- changes ------------------------------------------------------------------------------------

def _hash_checked(password: str, username: str) -> str:
    problems = password_problems(password, username)
    if problems:
        raise AccountError("；".join(problems))
    return _HASHER.hash(password)


def change_own_password(engine: sa.Engine, username: str, current: str, new: str) -> None:
    """Self-service change: the current password is required and the new one must satisfy the
    rules and differ from it. Clears must_change and ends the account's other sessions."""
    ensure(engine)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(ACCOUNTS.c.password_hash)
                              .where(ACCOUNTS.c.username == username)).scalar_one_or_none()
    if stored is None or not _verify(stored, current):
        raise AccountError("当前密码不正确")
    if new == current:
        raise AccountError("新密码不能与当前密码相同")
    _update(engine, username, password_hash=_hash_checked(new, username), password_changed_at=now_utc(),
            must_change=False, failed_count=0, locked_until=None, end_sessions=True)


def reset_password(engine: sa.Engine, username: str) -> str:
    """A new one-time password (returned, to be shown once); the account must change it at its
    next sign-in and its open sessions end. Who may reset whom is `may_reset`'s decision."""
    password = generate_password()
    _update(engine, username, password_hash=_HASHER.hash(password), password_changed_at=now_utc(),
            must_change=True, failed_count=0, locked_until=None, end_sessions=True)
    return password


def set_password(engine: sa.Engine, username: str, password: str) -> None:
    """Set a password chosen by the account holder (server-side tools); ends its sessions."""
    _update(engine, username, password_hash=_hash_checked(password, username), password_changed_at=now_utc(),
            must_change=False, failed_count=0, locked_until=None, end_sessions=True)


def update(engine: sa.Engine, username: str, *, role: str | None = None,
           region_code: str | None | type[...] = ..., disabled: bool | None = None,
           display_name: str | None = None) -> None:
    """Change role, jurisdiction, enabled state or name. Any change of the first three ends the
    account's open sessions; the last active 系统管理员 and 审计管理员 cannot be disabled or
    given another role (checked in the same transaction as the change)."""
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
    if not values:
        return
    ensure(engine)
    ends = bool({"role", "region_code", "disabled"} & set(values))
    with engine.begin() as conn:
        row = conn.execute(sa.select(ACCOUNTS.c.role, ACCOUNTS.c.disabled)
                           .where(ACCOUNTS.c.username == username)).first()
        if row is None:
            raise AccountError(f"账户不存在：{username}")
        leaves = values.get("disabled") is True or ("role" in values and values["role"] != row.role)
        guard = None
        if row.role in PROTECTED_ROLES and not row.disabled and leaves:
            guard = _another_active(conn, row.role, username)
        _write(conn, username, values, ends, guard)


# Roles of which at least one enabled account must remain.
PROTECTED_ROLES = ("sysadmin", "auditor")


def _another_active(conn: sa.Connection, role: str, leaving: str) -> sa.ColumnElement[bool]:
    """The condition "another enabled account of `role` exists", to put in the changing UPDATE
    itself: one statement, so on SQLite (one writer at a time) two administrators disabling each
    other at the same moment cannot both succeed. On PostgreSQL the other enabled accounts of
    the role are also locked for the transaction, for the same reason."""
    other = ACCOUNTS.alias("other")
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(ACCOUNTS.c.username).where(
            ACCOUNTS.c.role == role, ACCOUNTS.c.disabled == sa.false(), ACCOUNTS.c.username != leaving)
            .with_for_update()).all()
    return sa.exists().where(other.c.role == role, other.c.disabled == sa.false(),
                             other.c.username != leaving)


def _write(conn: sa.Connection, username: str, values: dict, end_sessions: bool,
           guard: sa.ColumnElement[bool] | None = None) -> None:
    if end_sessions:
        values = {**values, "session_epoch": ACCOUNTS.c.session_epoch + 1}
    stmt = ACCOUNTS.update().where(ACCOUNTS.c.username == username)
    if guard is not None:
        stmt = stmt.where(guard)
    result = conn.execute(stmt.values(**values))
    if result.rowcount == 0:
        if guard is not None:
            raise AccountError("不能停用或变更最后一个启用的系统管理员或审计管理员")
        raise AccountError(f"账户不存在：{username}")


def refusal(actor: Account, action: str, target: dict, new_role: str | None = None) -> str | None:
    """Why `actor` may not take `action` ("update", "disable", "enable", "reset", "totp_off")
    on the account `target` (a row of `list_all`), or None when allowed. The separation of
    duties lives here, not in the page:

    - nobody changes their own account through the administration pages (no self-elevation,
      no enabling oneself as staff, no resetting one's own password: self-service only);
    - an 审计管理员's password is reset only by another 审计管理员, never by a 系统管理员;
    - the 审计管理员 role is granted only by creating an account and left only by disabling it,
      so a 系统管理员 cannot demote an auditor, reset it as staff and promote it back;
    - the last enabled 系统管理员 and 审计管理员 stay (checked again by `update`)."""
    if target["username"] == actor.username:
        return "不能在此更改自己的账户；修改密码请用“我的账户”"
    if action == "reset" and target["role"] == "auditor":
        return None if actor.can("reset_auditor") else "审计管理员的密码只能由另一名审计管理员重置"
    if not actor.can("manage_accounts"):
        return "当前角色不能管理账户"
    if action == "update" and new_role is not None and new_role != target["role"] \
            and "auditor" in (new_role, target["role"]):
        return "审计管理员只能新建或停用，不能由其他角色改任，也不能改任其他角色"
    return None


def new_totp_secret() -> str:
    """A secret to show (as a provisioning URI) before enrolment; stored only by `confirm_totp`."""
    return pyotp.random_base32()


def confirm_totp(engine: sa.Engine, username: str, secret: str, code: str) -> None:
    """Enrol `secret` once the holder proves with a current code that the authenticator has it;
    that code's step counts as used."""
    now = now_utc()
    step_now = int(now.timestamp()) // TOTP_STEP_S
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    step = next((s for s in (step_now + 1, step_now, step_now - 1)
                 if secrets.compare_digest(totp.at(s * TOTP_STEP_S), code.strip())), None)
    if step is None:
        raise AccountError("动态口令不正确，请核对验证器中的 6 位数字")
    _update(engine, username, totp_secret=secret, totp_last_step=step)


def enable_totp(engine: sa.Engine, username: str) -> str:
    """Enrol a TOTP second factor; returns the secret to show once as a QR/provisioning URI."""
    secret = pyotp.random_base32()
    _update(engine, username, totp_secret=secret, totp_last_step=None)
    return secret


def disable_totp(engine: sa.Engine, username: str) -> None:
    _update(engine, username, totp_secret=None, totp_last_step=None, end_sessions=True)


def _update(engine: sa.Engine, username: str, end_sessions: bool = False, **values: object) -> None:
    ensure(engine)
    with engine.begin() as conn:
        _write(conn, username, values, end_sessions)
