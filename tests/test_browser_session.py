"""Real-browser test of the signed-in session: it survives a reload and a new tab, and ends
everywhere on idle expiry, sign-out in another tab and a disabled account.

Idle expiry is reached by ageing the session's row in the database rather than by waiting."""
from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from queries import accounts, audit, store
from tests.test_browser import FLAGS, MARCH, PASSWORD, _fixture_db, _serve

pytestmark = pytest.mark.browser

USERS = ("reload", "newtab", "idle", "signout", "disabled", "fragment")
FORM = 'input[aria-label="用户名"]'
CARDS = '[data-testid="stMetric"]'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = _fixture_db(tmp_path_factory.mktemp("session"))
    for name in USERS:
        accounts.create(store.engine_for(url), name, PASSWORD, role="staff", display_name=name, region_code=None)
    for base in _serve(url):
        yield base, url


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture()
def context(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    yield ctx
    ctx.close()


def _settled(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def _sign_in(page, base: str, user: str, path: str = "") -> None:
    page.goto(f"{base}/{path}?{MARCH}", wait_until="load")
    page.wait_for_selector(FORM, timeout=30_000)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # a page's own heading: the sidebar's title is a heading too, drawn before the page
    page.wait_for_selector(CARDS if not path else '[data-testid="stMain"] [data-testid="stHeading"], '
                           '[data-testid="stMain"] .brief-title', timeout=60_000)
    _settled(page)


def _open(page, base: str, path: str = "") -> None:
    page.goto(f"{base}/{path}?{MARCH}", wait_until="load")
    page.wait_for_selector(f"{CARDS}, {FORM}", timeout=60_000)
    _settled(page)


def _signed_in(page) -> bool:
    return page.locator(CARDS).count() > 0 and page.locator(FORM).count() == 0


def _session_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == "oversight_session")


def _age(url: str, user: str, seconds: float) -> None:
    with store.engine_for(url).begin() as conn:
        conn.execute(accounts.WEB_SESSIONS.update().where(accounts.WEB_SESSIONS.c.username == user)
                     .values(last_seen_at=accounts.now_utc() - timedelta(seconds=seconds)))


def test_a_reload_stays_signed_in_and_the_resumed_session_is_audited(site, context):
    base, url = site
    page = context.new_page()
    _sign_in(page, base, "reload")
    page.reload(wait_until="load")
    page.wait_for_selector(f"{CARDS}, {FORM}", timeout=60_000)
    _settled(page)
    assert _signed_in(page)
    methods = [json.loads(d)["method"] for d in audit.read(store.engine_for(url)).filter(
        (pl.col("account") == "reload") & (pl.col("event") == "signin"))["detail"]]
    assert methods == ["session-resume", "password"]  # newest first


def test_the_session_cookie_is_strict_site_wide_and_short_lived(site, context):
    import time

    base, _ = site
    page = context.new_page()
    _sign_in(page, base, "reload")
    cookie = _session_cookie(context)
    assert (cookie["sameSite"], cookie["path"], cookie["secure"]) == ("Strict", "/", False)
    assert 0 < cookie["expires"] - time.time() <= 30 * 60
    assert cookie["value"] not in page.url


def test_a_new_tab_is_signed_in(site, context):
    base, _ = site
    first = context.new_page()
    _sign_in(first, base, "newtab")
    second = context.new_page()
    _open(second, base)
    assert _signed_in(second)


def test_idle_past_the_limit_ends_the_session(site, context):
    from playwright.sync_api import expect

    base, url = site
    page = context.new_page()
    _sign_in(page, base, "idle")
    _age(url, "idle", 31 * 60)
    page.reload(wait_until="load")
    page.wait_for_selector(FORM, timeout=60_000)
    expect(page.get_by_text("会话已超时")).to_be_visible(timeout=30_000)


def test_sign_out_in_another_tab_ends_the_session(site, context):
    base, _ = site
    first = context.new_page()
    _sign_in(first, base, "signout")
    second = context.new_page()
    _open(second, base)
    second.get_by_role("button", name="退出登录").click()
    second.wait_for_selector(FORM, timeout=60_000)
    first.locator("body").press("r")  # the first tab's next rerun
    first.wait_for_selector(FORM, timeout=60_000)
    third = context.new_page()
    _open(third, base)
    assert not _signed_in(third)


def test_disabling_the_account_ends_the_session(site, context):
    base, url = site
    page = context.new_page()
    _sign_in(page, base, "disabled")
    accounts.update(store.engine_for(url), "disabled", disabled=True)
    page.locator("body").press("r")
    page.wait_for_selector(FORM, timeout=60_000)
    other = context.new_page()
    _open(other, base)
    assert not _signed_in(other)


def test_an_expired_session_ends_in_a_fragment_without_a_full_rerun(site, context):
    base, url = site
    page = context.new_page()
    _sign_in(page, base, "fragment", path="cases")  # its export panel polls in a fragment
    _age(url, "fragment", 31 * 60)
    page.wait_for_selector(FORM, timeout=60_000)  # no click, no reload: the fragment's own rerun
