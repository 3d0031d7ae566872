"""Accounts, sign-in, lockout, expiry, jurisdiction and the append-only audit log."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import polars as pl
import pyotp
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard import handout
from queries import accounts, audit, sessions, store
from tests import fixtures as fx
from tests.apptest import APP, RUN_TIMEOUT_S, signed_in

PASSWORD = "Correct-Horse-42"


@pytest.fixture()
def engine(db_url):
    return store.engine_for(db_url)


def test_password_is_stored_only_as_an_argon2_hash(tmp_path):
    url = f"sqlite:///{tmp_path}/a.db"
    eng = store.engine_for(url)
    accounts.create(eng, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    with eng.connect() as conn:
        stored = conn.execute(sa.select(accounts.ACCOUNTS.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    eng.dispose()
    assert PASSWORD.encode() not in (tmp_path / "a.db").read_bytes()


def test_correct_password_signs_in(engine):
    accounts.create(engine, "alice", PASSWORD, role="leader", display_name="甲", region_code=fx.TOWN_A1)
    got = accounts.authenticate(engine, "alice", PASSWORD)
    assert got.account is not None and got.account.region_code == fx.TOWN_A1


def test_unknown_user_and_wrong_password_get_the_same_message(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    assert accounts.authenticate(engine, "alice", "wrong").reason == accounts.authenticate(engine, "bob", "x").reason


def test_five_failures_lock_the_account_for_fifteen_minutes(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    t0 = accounts.now_utc()
    for i in range(accounts.MAX_FAILURES):
        accounts.authenticate(engine, "alice", "wrong", now=t0 + timedelta(seconds=i))
    locked = accounts.authenticate(engine, "alice", PASSWORD, now=t0 + timedelta(minutes=1))
    assert locked.account is None and locked.reason == accounts.REFUSED
    later = accounts.authenticate(engine, "alice", PASSWORD, now=t0 + timedelta(minutes=16))
    assert later.account is not None


def test_four_failures_do_not_lock(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.authenticate(engine, "alice", "wrong")
    assert accounts.authenticate(engine, "alice", PASSWORD).account is not None


def test_disabled_account_cannot_sign_in(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    accounts.update(engine, "alice", disabled=True)
    assert accounts.authenticate(engine, "alice", PASSWORD).account is None


def test_totp_is_required_once_enrolled(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    secret = accounts.enable_totp(engine, "alice")
    assert accounts.authenticate(engine, "alice", PASSWORD).needs_totp
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time(), counter_offset=offset) for offset in range(-2, 3)}  # every code valid around now
    wrong = next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near)
    assert accounts.authenticate(engine, "alice", PASSWORD, wrong).account is None
    assert accounts.authenticate(engine, "alice", PASSWORD, pyotp.TOTP(secret).now()).account is not None


@pytest.mark.parametrize(("password", "problem"), [
    ("Short-1a", "至少"), ("alllowercaseletters", "三类"), ("Alice-Password-1", "用户名")])
def test_password_rules(password, problem):
    assert any(problem in p for p in accounts.password_problems(password, "alice"))


def test_generated_passwords_satisfy_the_rules():
    assert all(not accounts.password_problems(accounts.generate_password()) for _ in range(20))


def test_roles_separate_duties():
    admin, auditor = accounts.PERMISSIONS["sysadmin"], accounts.PERMISSIONS["auditor"]
    assert "read_audit" not in admin and "browse" not in admin
    assert auditor == {"read_audit", "reset_auditor"}
    assert "export" not in accounts.PERMISSIONS["leader"]


def test_audit_log_is_append_only(engine):
    audit.record(engine, event="signin", account="alice", outcome="success")
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as conn:
            conn.execute(audit.AUDIT.delete())
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as conn:
            conn.execute(audit.AUDIT.update().values(outcome="failure"))
    assert audit.read(engine)["outcome"].to_list() == ["success"]


# --- the app ------------------------------------------------------------------------------

@pytest.fixture()
def app_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    accounts.create(store.engine_for(url), "alice", PASSWORD, role="staff", display_name="甲",
                    region_code=None)
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def test_signed_out_visitor_sees_only_the_sign_in_form(app_url):
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    assert not at.exception
    assert [t.label for t in at.text_input][:2] == ["用户名", "密码"]
    assert len(at.metric) == 0


def test_signing_in_opens_the_cockpit_and_is_audited(app_url):
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    at.text_input(key="signin_user").set_value("alice")
    at.text_input(key="signin_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert len(at.metric) >= 8
    rows = audit.read(store.engine_for(app_url))
    assert rows.select("event", "account", "outcome").rows() == [("signin", "alice", "success")]


def test_wrong_password_shows_an_error_and_is_audited_once(app_url):
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    at.text_input(key="signin_user").set_value("alice")
    at.text_input(key="signin_password").set_value("nope")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误，或账户已锁定、停用（连续失败 5 次将锁定 15 分钟）"]
    assert len(at.metric) == 0
    rows = audit.read(store.engine_for(app_url))
    assert rows.select("event", "outcome").rows() == [("signin", "failure")]


def test_sign_out_returns_to_the_form(app_url):
    at = signed_in("staff").run()
    at.button(key="signout").click().run()
    assert len(at.metric) == 0 and at.text_input(key="signin_user").label == "用户名"
    assert audit.read(store.engine_for(app_url))["event"].to_list() == ["signout"]


def _age_sessions(url: str, seconds: float) -> None:
    """Make every session look last used `seconds` ago (instead of waiting)."""
    with store.engine_for(url).begin() as conn:
        conn.execute(accounts.WEB_SESSIONS.update().values(
            last_seen_at=accounts.now_utc() - timedelta(seconds=seconds)))


def test_idle_session_expires(app_url):
    at = signed_in("staff")
    _age_sessions(app_url, 31 * 60)
    at.run()
    assert len(at.metric) == 0
    assert any("超时" in w.value for w in at.warning)


def test_an_idle_session_ends_with_one_audit_row(app_url):
    at = signed_in("staff")
    _age_sessions(app_url, 31 * 60)
    at.run()
    at.run()
    rows = audit.read(store.engine_for(app_url)).select("event", "account", "detail").rows()
    assert rows == [("signout", "tester", '{"reason": "idle"}')]


def test_township_account_sees_only_its_township(app_url):
    at = signed_in("leader", region=fx.TOWN_A1, params={
        "period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}).run()
    cards = {m.label: m.value for m in at.metric[:8]}
    assert (cards["立案数"], cards["信访件数"]) == ("1 件 1 人", "2 件")


@pytest.mark.parametrize("params", [{"district": "乙区"}, {"district": "甲区", "township": "甲二街道"},
                                    {"village": "北村"}])
def test_crafted_query_strings_cannot_widen_a_township_account(app_url, params):
    base = {"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}
    at = signed_in("leader", region=fx.TOWN_A1, params={**base, **params}).run()
    assert not at.exception
    assert at.session_state["view"].region in (fx.TOWN_A1, fx.V_A1a, fx.V_A1b)
    cards = {m.label: m.value for m in at.metric[:8]}
    assert cards["立案数"] == "1 件 1 人" and cards["信访件数"] == "2 件"


def test_system_administrator_sees_no_business_figures(app_url):
    at = signed_in("sysadmin").run()
    assert len(at.metric) == 0 and not at.exception


def test_auditor_sees_no_business_figures(app_url):
    at = signed_in("auditor").run()
    assert len(at.metric) == 0 and not at.exception


def test_demo_autologin_applies_only_to_demo_data_and_demo_accounts(tmp_path, monkeypatch):
    from dashboard.demo import write_demo

    url = f"sqlite:///{tmp_path}/demo.db"
    write_demo(url, scale=0.02, seed=1)
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    monkeypatch.setenv("OVERSIGHT_DEMO_AUTOLOGIN", "township_staff")
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    assert len(at.metric) >= 8 and at.session_state["account"].username == "township_staff"
    store.replace_all(url, fx.tables(), None, dataset="ledger")  # real data: no autologin
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    assert len(at.metric) == 0


def test_sysadmin_creates_an_account_with_a_one_time_password_and_it_is_audited_once(app_url):
    at = signed_in("sysadmin").run()
    assert "acct_new_password" not in [t.key for t in at.text_input]  # no password of its choosing
    at.text_input(key="acct_new_user").set_value("bob")
    at.text_input(key="acct_new_name").set_value("乙")
    at.selectbox(key="acct_new_role").set_value("leader")
    at.selectbox(key="acct_new_region").set_value(fx.TOWN_A1)
    next(b for b in at.button if b.label == "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    one_time = at.success[0].value.rsplit("：", 1)[1]
    signin = accounts.authenticate(store.engine_for(app_url), "bob", one_time)
    assert (signin.account.role, signin.account.region_code, signin.account.must_change) == \
        ("leader", fx.TOWN_A1, True)
    rows = audit.read(store.engine_for(app_url)).filter(pl.col("event") == "account")
    assert rows.height == 1 and rows["target"].item() == "bob"


def test_sysadmin_disables_an_account(app_url):
    at = signed_in("sysadmin").run()
    at.selectbox(key="acct_pick").set_value("alice").run()
    at.button(key="acct_toggle").click().run()
    assert accounts.authenticate(store.engine_for(app_url), "alice", PASSWORD).account is None


def test_auditor_reads_the_log_and_the_export_is_audited(app_url):
    audit.record(store.engine_for(app_url), event="signin", account="alice", outcome="success")
    at = signed_in("auditor").run()
    assert at.dataframe[0].value["account"].to_list() == ["alice"]
    assert audit.read(store.engine_for(app_url))["event"].to_list() == ["signin"]  # shown, not yet exported
    door = next(b for b in at.get("download_button") if b.label == "导出审计日志（CSV）")
    assert door.disabled  # no purpose given yet: nothing a client could fetch
    at.text_input(key="audit_export_purpose").input("年度检查").run()
    assert not at.exception
    # The browser's fetch of the deferred file runs the door's release (AppTest fetches nothing).
    data = handout.release(at.session_state["handout_audit_export"], lambda: at.session_state["account"])
    assert data.decode("utf-8-sig").splitlines()[1].split(",")[2] == "alice"
    newest = audit.read(store.engine_for(app_url)).row(0, named=True)
    assert {k: newest[k] for k in ("event", "account", "target", "rows", "outcome")} == {
        "event": "export", "account": "tester", "target": "audit_log", "rows": 1, "outcome": "success"}
    assert json.loads(newest["detail"]) == {"events": [], "account": "", "since": None, "purpose": "年度检查"}


@pytest.mark.parametrize("role", ["leader", "staff", "sysadmin"])
def test_only_the_auditor_has_the_audit_page(app_url, role):
    at = signed_in(role).run()
    with pytest.raises(ValueError):  # the page is not registered for this role
        at.switch_page("app_pages/audit_log.py")


# --- lockout under parallel guesses ---------------------------------------------------------

class _CountingHasher:
    """The real hasher, counting verifications of an account's own hash (not the dummy)."""

    def __init__(self, real, dummy: str) -> None:
        self.real, self.dummy, self.own_checks = real, dummy, 0
        self.lock = threading.Lock()

    def verify(self, hash_, password):  # noqa: ANN001, ANN201
        if hash_ != self.dummy:
            with self.lock:
                self.own_checks += 1
        return self.real.verify(hash_, password)

    def __getattr__(self, name):  # noqa: ANN001, ANN204
        return getattr(self.real, name)


@pytest.fixture()
def counting(monkeypatch):
    hasher = _CountingHasher(accounts._HASHER, accounts._DUMMY_HASH)
    monkeypatch.setattr(accounts, "_HASHER", hasher)
    return hasher


def test_parallel_wrong_passwords_are_checked_at_most_five_times_and_lock(engine, counting):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    attempts = 25
    barrier = threading.Barrier(attempts)

    def guess(i: int) -> accounts.SignIn:
        barrier.wait()
        return accounts.authenticate(engine, "alice", f"wrong-{i}")

    with ThreadPoolExecutor(attempts) as pool:
        results = list(pool.map(guess, range(attempts)))
    assert all(r.account is None for r in results)
    with engine.connect() as conn:
        row = conn.execute(sa.select(accounts.ACCOUNTS).where(accounts.ACCOUNTS.c.username == "alice")).one()
    assert counting.own_checks == accounts.MAX_FAILURES
    assert row.failed_count == counting.own_checks
    assert accounts._aware(row.locked_until) > accounts.now_utc()


def test_a_locked_account_is_refused_without_checking_its_password(engine, counting):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    for _ in range(accounts.MAX_FAILURES):
        accounts.authenticate(engine, "alice", "wrong")
    checks = counting.own_checks
    assert accounts.authenticate(engine, "alice", PASSWORD).account is None
    assert counting.own_checks == checks


def test_after_the_lock_runs_out_the_count_starts_again(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    t0 = accounts.now_utc()
    for i in range(accounts.MAX_FAILURES):
        accounts.authenticate(engine, "alice", "wrong", now=t0 + timedelta(seconds=i))
    accounts.authenticate(engine, "alice", "wrong", now=t0 + timedelta(minutes=16))
    assert accounts.authenticate(engine, "alice", PASSWORD, now=t0 + timedelta(minutes=16, seconds=1)).account


def test_locked_unknown_disabled_and_wrong_password_get_one_message(engine):
    for name in ("locked", "off", "alice"):
        accounts.create(engine, name, PASSWORD, role="staff", display_name="甲", region_code=None)
    for _ in range(accounts.MAX_FAILURES):
        accounts.authenticate(engine, "locked", "wrong")
    accounts.update(engine, "off", disabled=True)
    got = [accounts.authenticate(engine, "locked", PASSWORD), accounts.authenticate(engine, "nobody", PASSWORD),
           accounts.authenticate(engine, "off", PASSWORD), accounts.authenticate(engine, "alice", "wrong")]
    assert {(r.reason, r.needs_totp, r.account) for r in got} == {(accounts.REFUSED, False, None)}


def test_an_unknown_account_costs_one_password_verification(engine, monkeypatch):
    calls = []
    monkeypatch.setattr(accounts, "_verify", lambda h, p: calls.append(h) or False)
    accounts.authenticate(engine, "nobody", PASSWORD)
    assert calls == [accounts._DUMMY_HASH]


# --- TOTP ------------------------------------------------------------------------------------

def test_a_totp_code_is_accepted_only_once(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    secret = accounts.enable_totp(engine, "alice")
    now = accounts.now_utc()
    code = pyotp.TOTP(secret).at(now)
    assert accounts.authenticate(engine, "alice", PASSWORD, code, now=now).account is not None
    assert accounts.authenticate(engine, "alice", PASSWORD, code, now=now).account is None


def test_a_totp_code_of_an_earlier_step_than_the_last_used_is_refused(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    secret = accounts.enable_totp(engine, "alice")
    now = accounts.now_utc()
    totp = pyotp.TOTP(secret)
    assert accounts.authenticate(engine, "alice", PASSWORD, totp.at(now), now=now).account is not None
    earlier = totp.at(now - timedelta(seconds=30))  # still inside the ±1 step window
    assert accounts.authenticate(engine, "alice", PASSWORD, earlier, now=now).account is None


def test_self_enrolment_needs_a_current_code(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    secret = accounts.new_totp_secret()
    with pytest.raises(accounts.AccountError):
        accounts.confirm_totp(engine, "alice", secret, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert not accounts.get(engine, "alice").totp_enabled
    accounts.confirm_totp(engine, "alice", secret, pyotp.TOTP(secret).now())
    assert accounts.get(engine, "alice").totp_enabled


# --- password rules and changes ---------------------------------------------------------------

@pytest.mark.parametrize("password", ["Password1!", "Qwerty12345", "P@ssw0rd2024", "1qaz2wsx3EDC",
                                      "Zxcvbnm!2345", "Sunflower2024!", "Welcome#2024", "Jiwei@123456",
                                      "Abcdefgh1234!"])
def test_weak_passwords_are_refused(password):
    assert accounts.password_problems(password, "alice")


@pytest.mark.parametrize("password", ["Correct-Horse-42", "Kq7!vLm2Rz9w", "Tr0ub4dor&3x"])
def test_strong_passwords_are_accepted(password):
    assert accounts.password_problems(password, "alice") == []


def test_a_weak_password_cannot_be_set(engine):
    with pytest.raises(accounts.AccountError):
        accounts.create(engine, "alice", "Password1!", role="staff", display_name="甲", region_code=None)


def test_changing_ones_password_needs_the_current_one(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    with pytest.raises(accounts.AccountError, match="当前密码"):
        accounts.change_own_password(engine, "alice", "not-it", "Kq7!vLm2Rz9w")
    assert accounts.authenticate(engine, "alice", PASSWORD).account is not None


def test_changing_ones_password_checks_the_new_one(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    with pytest.raises(accounts.AccountError, match="常见"):
        accounts.change_own_password(engine, "alice", PASSWORD, "Password1!")
    accounts.change_own_password(engine, "alice", PASSWORD, "Kq7!vLm2Rz9w")
    assert accounts.authenticate(engine, "alice", "Kq7!vLm2Rz9w").account is not None


def test_a_one_time_password_account_can_do_nothing_until_it_changes_it(engine):
    one_time = accounts.create_with_one_time_password(engine, "root1", "sysadmin", None, "管理员")
    first = accounts.authenticate(engine, "root1", one_time).account
    assert first.must_change and not first.can("manage_accounts")
    accounts.change_own_password(engine, "root1", one_time, "Kq7!vLm2Rz9w")
    again = accounts.authenticate(engine, "root1", "Kq7!vLm2Rz9w").account
    assert not again.must_change and again.can("manage_accounts")


def test_a_reset_gives_a_one_time_password(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    one_time = accounts.reset_password(engine, "alice")
    assert accounts.authenticate(engine, "alice", PASSWORD).account is None
    assert accounts.authenticate(engine, "alice", one_time).account.must_change


# --- separation of duties ---------------------------------------------------------------------

@pytest.mark.parametrize("role", ["sysadmin", "auditor"])
def test_the_last_enabled_admin_of_a_role_cannot_be_disabled_or_demoted(engine, role):
    accounts.create(engine, "only", PASSWORD, role=role, display_name="甲", region_code=None)
    with pytest.raises(accounts.AccountError, match="最后一个"):
        accounts.update(engine, "only", disabled=True)
    with pytest.raises(accounts.AccountError, match="最后一个"):
        accounts.update(engine, "only", role="staff")
    accounts.create(engine, "second", PASSWORD, role=role, display_name="乙", region_code=None)
    accounts.update(engine, "only", disabled=True)
    assert accounts.authenticate(engine, "only", PASSWORD).account is None


def _row(username: str, role: str) -> dict:
    return {"username": username, "role": role}


ADMIN = accounts.Account("admin", "管理员", "sysadmin", None, False, False)
AUDITOR = accounts.Account("aud", "审计员", "auditor", None, False, False)


@pytest.mark.parametrize("action", ["update", "disable", "reset", "totp_off"])
def test_nobody_changes_their_own_account_through_administration(action):
    assert accounts.refusal(ADMIN, action, _row("admin", "sysadmin"), new_role="staff")


def test_a_sysadmin_cannot_reset_an_auditors_password():
    assert accounts.refusal(ADMIN, "reset", _row("aud2", "auditor"))


def test_another_auditor_resets_an_auditors_password():
    assert accounts.refusal(AUDITOR, "reset", _row("aud2", "auditor")) is None


def test_an_auditor_manages_no_other_account():
    assert accounts.refusal(AUDITOR, "reset", _row("alice", "staff"))


@pytest.mark.parametrize(("old", "new"), [("auditor", "staff"), ("staff", "auditor")])
def test_a_sysadmin_cannot_move_an_account_into_or_out_of_the_auditor_role(old, new):
    assert accounts.refusal(ADMIN, "update", _row("x", old), new_role=new)


def test_a_sysadmin_changes_another_accounts_role():
    assert accounts.refusal(ADMIN, "update", _row("x", "leader"), new_role="staff") is None


# --- server-side sessions ---------------------------------------------------------------------

IDLE = 30 * 60


@pytest.fixture()
def alice_session(engine):
    alice = accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    return sessions.open_session(engine, alice, method="password")


def test_a_session_token_is_stored_only_as_a_hash(engine, alice_session):
    with engine.connect() as conn:
        stored = conn.execute(sa.select(accounts.WEB_SESSIONS.c.token_hash)).scalar_one()
    assert stored == hashlib.sha256(alice_session.encode()).hexdigest() and stored != alice_session


def test_a_session_lives_within_the_idle_limit(engine, alice_session):
    later = accounts.now_utc() + timedelta(seconds=IDLE - 60)
    assert sessions.check(engine, alice_session, idle_s=IDLE, now=later).account.username == "alice"


def test_a_session_ends_past_the_idle_limit(engine, alice_session):
    later = accounts.now_utc() + timedelta(seconds=IDLE + 1)
    got = sessions.check(engine, alice_session, idle_s=IDLE, now=later)
    assert (got.account, got.reason, got.ended_now) == (None, "idle", True)
    assert sessions.check(engine, alice_session, idle_s=IDLE).account is None


def test_use_renews_a_session(engine, alice_session):
    t0 = accounts.now_utc()
    sessions.check(engine, alice_session, idle_s=IDLE, now=t0 + timedelta(seconds=IDLE - 60))
    assert sessions.check(engine, alice_session, idle_s=IDLE, now=t0 + timedelta(seconds=IDLE + 60)).account


def test_an_automatic_rerun_does_not_renew_a_session(engine, alice_session):
    t0 = accounts.now_utc()
    sessions.check(engine, alice_session, idle_s=IDLE, activity=False, now=t0 + timedelta(seconds=IDLE - 60))
    assert sessions.check(engine, alice_session, idle_s=IDLE, now=t0 + timedelta(seconds=IDLE + 60)).account is None


def test_sign_out_ends_a_session(engine, alice_session):
    sessions.end(engine, alice_session)
    assert sessions.check(engine, alice_session, idle_s=IDLE).reason == "signout"


@pytest.mark.parametrize(("change", "reason"), [
    (lambda e: accounts.update(e, "alice", disabled=True), "disabled"),
    (lambda e: accounts.update(e, "alice", role="leader"), "account_changed"),
    (lambda e: accounts.update(e, "alice", region_code=fx.TOWN_A1), "account_changed"),
    (lambda e: accounts.reset_password(e, "alice"), "account_changed"),
])
def test_an_account_change_ends_its_sessions(engine, alice_session, change, reason):
    change(engine)
    assert sessions.check(engine, alice_session, idle_s=IDLE).reason == reason


def test_a_new_account_of_the_same_name_does_not_inherit_a_session(engine, alice_session):
    with engine.begin() as conn:
        conn.execute(accounts.ACCOUNTS.delete())
    accounts.create(engine, "alice", PASSWORD, role="sysadmin", display_name="乙", region_code=None)
    assert sessions.check(engine, alice_session, idle_s=IDLE).account is None


def test_changing_ones_name_keeps_the_session(engine, alice_session):
    accounts.update(engine, "alice", display_name="甲甲")
    assert sessions.check(engine, alice_session, idle_s=IDLE).account.display_name == "甲甲"


# --- the app: sessions and duties ------------------------------------------------------------

def test_a_disabled_account_is_signed_out_at_its_next_rerun(app_url):
    at = signed_in("staff").run()
    assert len(at.metric) >= 8
    accounts.update(store.engine_for(app_url), "tester", disabled=True)
    at.run()
    assert len(at.metric) == 0 and at.text_input(key="signin_user") is not None


def test_a_changed_jurisdiction_ends_the_open_session(app_url):
    at = signed_in("staff").run()
    accounts.update(store.engine_for(app_url), "tester", region_code=fx.TOWN_A1)
    at.run()
    assert len(at.metric) == 0 and at.text_input(key="signin_user") is not None


def test_a_one_time_password_account_sees_only_the_password_form(app_url):
    one_time = accounts.create_with_one_time_password(store.engine_for(app_url), "bob", "staff", None, "乙")
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    at.text_input(key="signin_user").set_value("bob")
    at.text_input(key="signin_password").set_value(one_time)
    at.button[0].click().run()
    assert len(at.metric) == 0 and at.text_input(key="pw_new") is not None
    at.text_input(key="pw_current").set_value(one_time)
    at.text_input(key="pw_new").set_value("Kq7!vLm2Rz9w")
    at.text_input(key="pw_again").set_value("Kq7!vLm2Rz9w")
    next(b for b in at.button if b.label == "确认修改").click().run()
    assert len(at.metric) >= 8


def test_every_account_changes_its_own_password_in_the_sidebar(app_url):
    at = signed_in("auditor", username="alice").run()
    at.text_input(key="pw_current").set_value(PASSWORD)
    at.text_input(key="pw_new").set_value("Kq7!vLm2Rz9w")
    at.text_input(key="pw_again").set_value("Kq7!vLm2Rz9w")
    next(b for b in at.button if b.label == "确认修改").click().run()
    assert any("密码已修改" in s.value for s in at.success)
    assert accounts.authenticate(store.engine_for(app_url), "alice", "Kq7!vLm2Rz9w").account is not None
    assert at.dataframe[0] is not None and not at.exception  # still signed in, on a new session


def test_the_sysadmin_cannot_change_its_own_account(app_url):
    at = signed_in("sysadmin").run()
    at.selectbox(key="acct_pick").set_value("tester").run()
    assert [b for b in at.button if b.key in ("acct_save", "acct_toggle", "acct_reset")] == []


def test_the_sysadmin_cannot_reset_an_auditors_password_and_the_attempt_is_audited(app_url):
    engine = store.engine_for(app_url)
    accounts.create(engine, "aud", PASSWORD, role="auditor", display_name="审计", region_code=None)
    at = signed_in("sysadmin").run()
    at.selectbox(key="acct_pick").set_value("aud").run()
    at.button(key="acct_reset").click().run()
    assert at.error and accounts.authenticate(engine, "aud", PASSWORD).account is not None
    row = audit.read(engine).filter(pl.col("event") == "account").row(0, named=True)
    assert (row["target"], row["outcome"]) == ("aud", "failure")


def test_an_auditor_resets_another_auditors_password(app_url):
    engine = store.engine_for(app_url)
    accounts.create(engine, "aud", PASSWORD, role="auditor", display_name="审计", region_code=None)
    at = signed_in("auditor").run()
    at.selectbox(key="auditor_pick").set_value("aud")
    at.button(key="auditor_reset").click().run()
    one_time = at.success[0].value.rsplit("：", 1)[1]
    assert accounts.authenticate(engine, "aud", one_time).account.must_change


def test_an_accounts_table_of_an_earlier_release_gets_the_new_columns(engine):
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE accounts (username VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, "
            "role VARCHAR NOT NULL, region_code VARCHAR, password_hash VARCHAR NOT NULL, totp_secret VARCHAR, "
            "disabled BOOLEAN NOT NULL, demo BOOLEAN NOT NULL, failed_count INTEGER NOT NULL, "
            "locked_until TIMESTAMP, password_changed_at TIMESTAMP)"))
        conn.execute(sa.text(
            "INSERT INTO accounts VALUES ('old', '旧', 'staff', NULL, :h, NULL, FALSE, FALSE, 0, NULL, NULL)"),
            {"h": accounts._HASHER.hash(PASSWORD)})
    signin = accounts.authenticate(engine, "old", PASSWORD)
    assert (signin.account.must_change, signin.account.epoch) == (False, 0)


def test_a_first_sign_in_offers_totp_enrolment_confirmed_by_a_code(app_url):
    engine = store.engine_for(app_url)
    one_time = accounts.create_with_one_time_password(engine, "root1", "sysadmin", None, "管理员")
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    at.text_input(key="signin_user").set_value("root1")
    at.text_input(key="signin_password").set_value(one_time)
    at.button[0].click().run()
    at.text_input(key="pw_current").set_value(one_time)
    at.text_input(key="pw_new").set_value("Kq7!vLm2Rz9w")
    at.text_input(key="pw_again").set_value("Kq7!vLm2Rz9w")
    next(b for b in at.button if b.label == "确认修改").click().run()
    at.button(key="totp_enrol_start").click().run()
    secret = at.session_state["totp_pending_secret"]
    assert secret in at.code[0].value
    at.text_input(key="totp_enrol_code").set_value(pyotp.TOTP(secret).now())
    at.button(key="totp_enrol_confirm").click().run()
    assert accounts.get(engine, "root1").totp_enabled
