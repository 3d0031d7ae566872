"""Real-browser test: the app served by `streamlit run`, driven by Playwright in Debian's chromium.

It checks what a person would see: KPI cards, no exception box, no request to any host but the
app's own (government intranets have no internet)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from queries import accounts, store
from tests import fixtures as fx
from tests.test_maps import FX_GEOJSON

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "Correct-Horse-42"
MARCH = "period=自定义&range=2024-03-01&range=2024-03-31&as_of=2024-03-31"
PAGES = ["", "map", "trends", "warnings", "briefing", "cases", "complaints", "rectifications", "data"]  # the overview is the default page, served at "/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fixture_db(folder: Path) -> str:
    url = f"sqlite:///{folder / 'fx.db'}"
    store.replace_all(url, fx.tables(), FX_GEOJSON, dataset="ledger")
    accounts.create(store.engine_for(url), "alice", PASSWORD, role="staff", display_name="甲",
                    region_code=None)
    accounts.create(store.engine_for(url), "town", PASSWORD, role="staff", display_name="甲一镇干部",
                    region_code=fx.TOWN_A1)
    return url


def _serve(url: str):
    """`streamlit run app.py` on `url`, on a free loopback port; yields its base address."""
    port = _free_port()
    env = {**os.environ, "OVERSIGHT_DB_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a deadline for starting, generous for a busy machine
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield base
    proc.terminate()
    proc.wait(timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from _serve(_fixture_db(tmp_path_factory.mktemp("browser")))


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        yield b
        b.close()


def _open(browser, url: str, ready: str = '[data-testid="stMetric"]', user: str = "alice"):
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if urlsplit(r.url).hostname not in ("127.0.0.1", "localhost", None)
            and not r.url.startswith(("data:", "blob:")) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Streamlit's frontend probes <page>/_stcore/health before the root path; those 404s are
    # its own base-path discovery, not a fault of the page.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "404" not in m.text else None)
    page.goto(url, wait_until="load")
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    # A copied link opens on the sign-in form and keeps its view after signing in.
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=60_000)
    return page, outside, errors


def _hover_until_picked(page, x: float, y: float, name: str) -> bool:
    """Move the pointer over (x, y) until deck.gl's tooltip names the region there: the map
    picks regions only once its layers are drawn, and a click before that is lost. Polled with
    a generous deadline, so a slow machine takes longer instead of failing."""
    from playwright.sync_api import expect

    tooltip = page.locator(".deck-tooltip")
    deadline, nudge = time.monotonic() + 120, 0
    while time.monotonic() < deadline:
        page.mouse.move(x + nudge, y)  # a new position each time, so deck.gl picks again
        nudge = 1 - nudge
        try:
            expect(tooltip).to_contain_text(name, timeout=1_000)
            return True
        except AssertionError:
            continue
    return False


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_exception_or_outside_request(server, browser, path):
    # the page's own heading (the sidebar's title is one too, drawn before the page)
    page, outside, errors = _open(browser, f"{server}/{path}?{MARCH}", ready='[data-testid="stMain"] [data-testid="stHeading"], [data-testid="stMain"] .brief-title')
    assert page.query_selector_all('[data-testid="stException"]') == []
    assert outside == [] and errors == []
    page.close()


def test_overview_shows_the_kpi_cards_with_values(server, browser):
    page, _, _ = _open(browser, f"{server}/?{MARCH}")
    from playwright.sync_api import expect

    cards = page.locator('[data-testid="stMetric"]')
    expect(cards).to_have_count(10, timeout=60_000)  # ten KPI cards (the warning counts are a line of text)
    text = " ".join(cards.all_inner_texts()[:10])
    assert "立案数" in text and "2 件" in text and "6.00 万元" in text and "50.0%" in text
    page.close()


def test_clicking_a_district_on_the_map_drills_down_to_its_townships(server, browser):
    from playwright.sync_api import expect

    page, outside, errors = _open(browser, f"{server}/map?{MARCH}", ready='[data-testid="stDeckGlJsonChart"]')
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    expect(canvas).to_be_visible(timeout=60_000)
    box = canvas.bounding_box()
    # District 甲区 is the left two thirds of the fixture city.
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    assert _hover_until_picked(page, x, y, "甲区"), "the map never answered the pointer"
    page.mouse.click(x, y)
    expect(page.get_by_role("button", name="甲区")).to_be_visible(timeout=60_000)
    # The shared filter bar follows, and with it the URL every other page reads.
    expect(page).to_have_url(re.compile("district="), timeout=60_000)
    assert outside == [] and errors == []
    page.close()


def test_township_account_sees_only_its_area_on_map_and_tables(server, browser):
    from playwright.sync_api import expect

    # A crafted link asking for another district: the jurisdiction wins.
    page, outside, errors = _open(browser, f"{server}/complaints?period=自定义&range=2024-01-01&range=2024-03-31&as_of=2024-03-31&district=乙区",
                                  ready='[data-testid="stHeading"]', user="town")
    expect(page.get_by_text("共 3 条", exact=False)).to_be_visible(timeout=60_000)  # q1, q2, q5
    expect(page.get_by_text("甲一镇 · 2024-01-01", exact=False)).to_be_visible(timeout=60_000)
    page.close()
    page, outside, errors = _open(browser, f"{server}/map?{MARCH}", ready='[data-testid="stDeckGlJsonChart"]',
                                  user="town")
    # The breadcrumb stops at the township: the city and district steps are disabled.
    expect(page.get_by_role("button", name="示例市")).to_be_disabled(timeout=60_000)
    expect(page.get_by_role("button", name="甲区")).to_be_disabled(timeout=60_000)
    assert outside == [] and errors == []
    page.close()


@pytest.fixture()
def own_server(tmp_path):
    """A server of its own, for a test that writes to the database."""
    url = _fixture_db(tmp_path)
    for base in _serve(url):
        yield base, url


def test_a_write_by_another_tool_shows_once_loaded_in_the_background(own_server, browser):
    import polars as pl
    from playwright.sync_api import expect

    base, url = own_server
    page, _, errors = _open(browser, f"{base}/?{MARCH}")
    first_card = page.locator('[data-testid="stMetric"]').first
    expect(first_card).to_contain_text("2 件", timeout=60_000)
    c5 = fx.tables().cases.filter(pl.col("case_id") == "c1").with_columns(case_id=pl.lit("c5"))
    with store.engine_for(url).begin() as conn:  # another tool: no snapshot of the new version
        store._bulk_insert(conn, "cases", c5)
        store._bump_version(conn)
    page.locator("body").press("r")  # Streamlit's rerun shortcut, as any click would
    notice = page.get_by_text("正在后台载入新数据")
    expect(notice).to_be_visible(timeout=60_000)
    expect(first_card).to_contain_text("2 件", timeout=60_000)
    # The notice polls every 5 s and reruns the page once the new version is ready.
    expect(first_card).to_contain_text("3 件", timeout=90_000)
    expect(notice).to_have_count(0, timeout=60_000)
    assert page.query_selector_all('[data-testid="stException"]') == [] and errors == []
    page.close()
