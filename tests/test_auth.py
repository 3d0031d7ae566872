"""Accounts, sign-in, lockout, expiry, jurisdiction and the append-only audit log."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import polars as pl
import pyotp
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from queries import accounts, audit, store
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


def test_five_failures_lock_the_account_and_say_for_how_long(engine):
    accounts.create(engine, "alice", PASSWORD, role="staff", display_name="甲", region_code=None)
    t0 = accounts.now_utc()
    for i in range(accounts.MAX_FAILURES):
        accounts.authenticate(engine, "alice", "wrong", now=t0 + timedelta(seconds=i))
    locked = accounts.authenticate(engine, "alice", PASSWORD, now=t0 + timedelta(minutes=1))
    assert locked.account is None and 0 < locked.locked_seconds <= 15 * 60
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
    assert auditor == {"read_audit"}
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
    assert [e.value for e in at.error] == ["用户名或密码错误"] and len(at.metric) == 0
    rows = audit.read(store.engine_for(app_url))
    assert rows.select("event", "outcome").rows() == [("signin", "failure")]


def test_sign_out_returns_to_the_form(app_url):
    at = signed_in("staff").run()
    at.button(key="signout").click().run()
    assert len(at.metric) == 0 and at.text_input(key="signin_user").label == "用户名"
    assert audit.read(store.engine_for(app_url))["event"].to_list() == ["signout"]


def test_idle_session_expires(app_url):
    at = signed_in("staff")
    at.session_state["last_seen"] = time.time() - 31 * 60
    at.run()
    assert len(at.metric) == 0
    assert any("超时" in w.value for w in at.warning)


def test_township_account_sees_only_its_township(app_url):
    at = signed_in("leader", region=fx.TOWN_A1, params={
        "period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}).run()
    cards = {m.label: m.value for m in at.metric[:8]}
    assert (cards["立案数"], cards["信访件数"]) == ("1 件", "2 件")


@pytest.mark.parametrize("params", [{"district": "乙区"}, {"district": "甲区", "township": "甲二街道"},
                                    {"village": "北村"}])
def test_crafted_query_strings_cannot_widen_a_township_account(app_url, params):
    base = {"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}
    at = signed_in("leader", region=fx.TOWN_A1, params={**base, **params}).run()
    assert not at.exception
    assert at.session_state["view"].region in (fx.TOWN_A1, fx.V_A1a, fx.V_A1b)
    cards = {m.label: m.value for m in at.metric[:8]}
    assert cards["立案数"] == "1 件" and cards["信访件数"] == "2 件"


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


def test_sysadmin_creates_an_account_and_it_is_audited_once(app_url):
    at = signed_in("sysadmin").run()
    at.text_input(key="acct_new_user").set_value("bob")
    at.text_input(key="acct_new_name").set_value("乙")
    at.selectbox(key="acct_new_role").set_value("leader")
    at.selectbox(key="acct_new_region").set_value(fx.TOWN_A1)
    at.text_input(key="acct_new_password").set_value(PASSWORD)
    next(b for b in at.button if b.label == "创建").click().run()
    assert not at.error, [e.value for e in at.error]
    bob = accounts.get(store.engine_for(app_url), "bob")
    assert (bob.role, bob.region_code) == ("leader", fx.TOWN_A1)
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
    next(b for b in at.get("download_button") if b.label == "导出审计日志（CSV）").click().run()
    assert not at.exception
    newest = audit.read(store.engine_for(app_url)).row(0, named=True)
    assert {k: newest[k] for k in ("event", "account", "target", "rows", "outcome")} == {
        "event": "export", "account": "tester", "target": "audit_log", "rows": 1, "outcome": "success"}
    assert json.loads(newest["detail"]) == {"events": [], "account": "", "since": None}


@pytest.mark.parametrize("role", ["leader", "staff", "sysadmin"])
def test_only_the_auditor_has_the_audit_page(app_url, role):
    at = signed_in(role).run()
    with pytest.raises(ValueError):  # the page is not registered for this role
        at.switch_page("app_pages/audit_log.py")
