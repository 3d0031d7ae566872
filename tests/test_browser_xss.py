"""Stored XSS, end to end: a store whose every text column (region names, units, projects,
descriptions, responsible units and persons, fields, problem types, sources, notes, ids …) and
the signed-in account's name carry script, HTML and Streamlit-markdown payloads, opened page by
page in chromium. Nothing may run, load, post or appear as an element; the payloads must be
readable as text. Also: the pages under the Content-Security-Policy of deploy/nginx.conf raise
no violation, and an export's file exists only after its audited click, then expires."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import polars as pl
import pytest

from dashboard import handout, safe
from queries import accounts, audit, store
from queries.schema import TABLE_NAMES, Tables
from tests import fixtures as fx
from tests.test_browser import _serve, browser  # noqa: F401 - the module's browser fixture
from tests.test_maps import FX_GEOJSON
from tests.test_security import PAYLOADS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Correct-Horse-42"
MARCH = "period=自定义&range=2024-03-01&range=2024-03-31&as_of=2024-03-31"
IFRAME = PAYLOADS[2]
CITY = f"{IFRAME} 示例市"
ALICE_NAME = "<img src=x onerror=alert(1)> :red[甲]"
# Columns that must stay what they are for the store to hold together: codes and levels.
KEEP = {"code", "level", "parent_code", "region_code", "satisfaction"}
ID_COLS = {"case_id", "complaint_id", "item_id"}


def _id(old: str | None) -> str | None:
    """The same payload-carrying id wherever an id is used (cases ↔ complaints, items ↔ updates)."""
    return None if old is None else f"{PAYLOADS[sum(map(ord, old)) % len(PAYLOADS)]}#{old}"


def payload_tables() -> Tables:
    t = fx.tables()
    frames = {name: getattr(t, name) for name in TABLE_NAMES}
    frames["progress_updates"] = pl.DataFrame({
        "item_id": ["r2", "r2"], "reported_on": [fx.D(2024, 2, 1), fx.D(2024, 3, 1)],
        "progress_pct": [20.0, 40.0], "note": ["", ""]})
    out = {}
    for name, df in frames.items():
        cols = []
        texts = [c for c, dt in df.schema.items() if dt in (pl.String, pl.Categorical) and c not in KEEP]
        for j, c in enumerate(texts):
            values = df[c].cast(pl.String).to_list()
            if c in ID_COLS:
                new = [_id(v) for v in values]
            else:
                new = [f"{PAYLOADS[(i + j) % len(PAYLOADS)]} {v or ''}".strip() for i, v in enumerate(values)]
            cols.append(pl.Series(c, new, dtype=pl.String))
        df = df.with_columns(cols)
        if name == "regions":
            df = df.with_columns(pl.when(pl.col("code") == fx.CITY).then(pl.lit(CITY)).otherwise(pl.col("name"))
                                 .alias("name"))
        out[name] = df
    return Tables.from_dicts(**out)


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xss")
    url = f"sqlite:///{folder / 'xss.db'}"
    store.replace_all(url, payload_tables(), FX_GEOJSON, dataset="ledger")
    accounts.create(store.engine_for(url), "alice", PASSWORD, role="staff", display_name=ALICE_NAME,
                    region_code=None)
    for base in _serve(url):
        yield url, base


def _watch(page, base: str) -> dict:
    """Everything that would show an injection: dialogs, requests anywhere but the app."""
    seen = {"dialogs": [], "outside": [], "csp": []}
    app = urlsplit(base).netloc

    def on_dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: seen["outside"].append(r.url)
            if not r.url.startswith(("data:", "blob:")) and urlsplit(r.url).netloc != app else None)
    page.on("console", lambda m: seen["csp"].append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def _sign_in(page, url: str, user: str = "alice") -> None:
    page.goto(url, wait_until="load")
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    _settle(page)


def _settle(page) -> None:
    # in the page itself (the sidebar's title is a heading too); one may sit in a closed expander
    # (汇报's first slide is its title in fixed markup, .brief-title)
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stHeading"]:visible, '
                           '[data-testid="stMain"] .brief-title:visible', timeout=120_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(300)  # let the last delta paint before the DOM is read


INJECTED = """() => {
  const q = s => [...document.querySelectorAll(s)];
  return {
    iframes: q('iframe').filter(f => f.hasAttribute('srcdoc') || /127\\.0\\.0\\.1:(9|1)\\b/.test(f.src)).length,
    objects: q('object, embed').length,
    forms: q('form').filter(f => (f.getAttribute('action') || '').includes('127.0.0.1')).length,
    imgs: q('img').filter(i => i.getAttribute('src') === 'x' || (i.getAttribute('src') || '').includes('127.0.0.1')).length,
    scripts: q('script').filter(s => /alert|parent\\.document/.test(s.textContent)).length,
    styles: q('style').filter(s => s.textContent.includes('*{display:none}')).length,
    links: q('a').filter(a => /^javascript:|127\\.0\\.0\\.1:9/.test(a.getAttribute('href') || '')).length,
    latex: q('.katex').length,
    title: document.title,
  };
}"""
CLEAN = {"iframes": 0, "objects": 0, "forms": 0, "imgs": 0, "scripts": 0, "styles": 0, "links": 0, "latex": 0}


def _check(page, seen: dict, where: str) -> str:
    found = page.evaluate(INJECTED)
    title = found.pop("title")
    assert found == CLEAN, where
    assert title != "X" and seen["dialogs"] == [] and seen["outside"] == [], (where, seen)
    return page.inner_text("body").replace(safe.WORD_JOINER, "")


# Each page with the payload text it must show as text (from captions, headers, buttons, lists).
PAGES = {"": IFRAME, "map": IFRAME, "trends": IFRAME, "warnings": IFRAME, "cases": IFRAME,
         "complaints": IFRAME, "rectifications": IFRAME}


@pytest.mark.parametrize("path", list(PAGES))
def test_payloads_in_every_text_column_stay_text_on_the_page(xss_server, browser, path):  # noqa: F811
    _, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    seen = _watch(page, base)
    # the URL carries payloads too (filter values that are no option are ignored)
    _sign_in(page, f"{base}/{path}?{MARCH}&fields={quote(PAYLOADS[1])}&district={quote(PAYLOADS[7])}")
    text = _check(page, seen, path)
    assert PAGES[path] in text and "甲" in text
    assert ":red[甲]" in text  # the account name in the sidebar, as typed
    page.close()


def test_every_slide_and_the_slide_mode_show_ledger_text_as_text(xss_server, browser):  # noqa: F811
    _, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    seen = _watch(page, base)
    _sign_in(page, f"{base}/briefing?{MARCH}")
    # the sidebar's title is a heading too, so wait for the page's own first slide to be drawn
    page.get_by_text("第 1 / 8 页", exact=True).wait_for(timeout=120_000)
    _settle(page)
    texts = [_check(page, seen, "slide 1")]
    assert f"{CITY}基层监督工作情况汇报" in texts[0]
    for i in range(2, 9):
        page.get_by_role("button", name="下一页").click()
        page.get_by_text(f"第 {i} / 8 页").wait_for(timeout=30_000)
        _settle(page)
        texts.append(_check(page, seen, f"slide {i}"))
    page.get_by_role("button", name="开始放映").click()
    _show_turned_to(page, 1)
    texts.append(_check(page, seen, "slide show 1"))
    assert f"{CITY}基层监督工作情况汇报" in texts[-1]
    for i in range(2, 9):
        page.keyboard.press("ArrowRight")  # the show turns by the keys (button shortcuts)
        _show_turned_to(page, i)
        texts.append(_check(page, seen, f"slide show {i}"))
    shown = "\n".join(texts)
    assert sum(p in shown for p in PAYLOADS) >= 3, shown[:3000]
    page.close()


def _show_turned_to(page, i: int) -> None:
    """The slide show at slide i of 8, drawn, with nothing of the page around it."""
    page.get_by_role("button", name="退出放映").wait_for(timeout=30_000)
    page.get_by_text(f"第 {i} / 8 页", exact=True).wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(300)  # let the last delta paint before the DOM is read
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stHeader"]').is_visible()


def test_a_warning_detail_shows_its_record_id_as_text(xss_server, browser):  # noqa: F811
    _, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    seen = _watch(page, base)
    _sign_in(page, f"{base}/warnings?{MARCH}")
    table = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("canvas")).last
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    page.get_by_text("事项详情").first.wait_for(timeout=30_000)
    _settle(page)
    text = _check(page, seen, "warning detail")
    assert "#r" in text and any(f"{p}#r" in text for p in PAYLOADS)
    page.close()


def test_map_tooltip_shows_a_region_name_as_text(xss_server, browser):  # noqa: F811
    _, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    seen = _watch(page, base)
    _sign_in(page, f"{base}/map?{MARCH}")
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    canvas.wait_for(timeout=90_000)
    page.wait_for_timeout(1500)  # deck.gl draws after its first frame
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.locator(".deck-tooltip").wait_for(state="visible", timeout=15_000)
    tip = page.inner_text(".deck-tooltip")
    _check(page, seen, "map tooltip")
    assert any(p in tip for p in PAYLOADS), tip
    page.close()


def test_geojson_error_messages_show_the_file_text_as_text(xss_server, browser, tmp_path):  # noqa: F811
    _, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    seen = _watch(page, base)
    _sign_in(page, f"{base}/data?{MARCH}")
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": p}, "geometry": None} for p in PAYLOADS]}), encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(bad))
    page.get_by_text("应为6、9或12位数字").first.wait_for(timeout=30_000)
    _settle(page)
    text = _check(page, seen, "geojson errors")
    # a code that is no division code at all is named, as the file wrote it (repr), as text
    assert f"区划代码 {PAYLOADS[7]!r} 应为6、9或12位数字" in text and f"区划代码 {PAYLOADS[9]!r} 应为6、9或12位数字" in text
    page.close()


# ---- Content-Security-Policy of deploy/nginx.conf -------------------------------------------

def shipped_headers() -> dict[str, str]:
    """The security headers deploy/nginx.conf adds, read from the file itself."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    return {k: v for k, v in re.findall(r'^\s*add_header ([\w-]+) "([^"]*)" always;', conf, re.M)}


def test_the_config_sends_the_four_headers():
    assert sorted(shipped_headers()) == ["Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options",
                                         "X-Frame-Options"]


@pytest.fixture(scope="module")
def front(xss_server, nginx_path):
    """deploy/nginx.conf as shipped, in front of the app: the headers come from nginx itself."""
    from benchmarks import load, proxy

    port = int(urlsplit(xss_server[1]).port)
    with proxy.Nginx(load._port(), [port]) as nginx:
        yield nginx.url.rstrip("/")


@pytest.mark.parametrize("path", ["", "map", "trends", "warnings", "briefing", "cases", "data"])
def test_pages_raise_no_violation_under_the_shipped_csp(front, browser, path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    seen = _watch(page, front)
    response = page.goto(f"{front}/{path}?{MARCH}")
    assert response.headers["content-security-policy"] == shipped_headers()["Content-Security-Policy"]
    _sign_in(page, f"{front}/{path}?{MARCH}")
    _check(page, seen, path)
    assert seen["csp"] == []
    page.close()


def test_the_slide_show_raises_no_violation_under_the_shipped_csp(front, browser):  # noqa: F811
    """The show hides the page's chrome with inline CSS (style-src allows it) and turns by
    Streamlit's button shortcuts: no script of its own for the CSP to refuse."""
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    seen = _watch(page, front)
    _sign_in(page, f"{front}/briefing?{MARCH}")
    page.get_by_role("button", name="开始放映").click()
    _show_turned_to(page, 1)
    page.keyboard.press("Space")
    _show_turned_to(page, 2)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="开始放映").wait_for(timeout=30_000)
    _check(page, seen, "slide show")
    assert seen["csp"] == []
    page.close()


# ---- an export leaves only by its audited click ----------------------------------------------

def _download(address: str) -> bool:
    """A file handed out through /media/ (the page icon is served there too)."""
    path = urlsplit(address).path
    return path.startswith("/media/") and not path.endswith(".png")


def _exports(url: str) -> int:
    return audit.read(store.engine_for(url)).filter(pl.col("event") == "export").height


def test_the_summary_file_exists_only_after_the_audited_click_and_then_expires(xss_server, browser):  # noqa: F811
    url, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN", accept_downloads=True)
    media: list[str] = []
    page.on("request", lambda r: media.append(r.url) if _download(r.url) else None)
    _sign_in(page, f"{base}/briefing?{MARCH}")
    assert media == [] and page.locator('a[href*="/media/"]').count() == 0
    before = _exports(url)
    page.get_by_label("导出事由（必填，将记入审计日志）").fill("周例会")
    page.keyboard.press("Enter")
    _settle(page)
    assert media == [] and _exports(url) == before  # a door drawn is no file and no row
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="下载一页纸摘要（A4）").click()
    body = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "&lt;iframe srcdoc=" in body and "<iframe" not in body
    row = audit.read(store.engine_for(url)).filter(pl.col("event") == "export").row(0, named=True)
    assert (_exports(url), row["account"], row["target"]) == (before + 1, "alice", "briefing.summary")
    assert '"purpose": "周例会"' in row["detail"]
    assert media, "the browser fetched the file from /media/"
    page.get_by_text("已导出，并已记入审计日志。").wait_for(timeout=30_000)
    # The address dies within a few seconds; a client without the session's cookie gets nothing.
    gone = None
    for _ in range(int(handout.EXPIRY_S * 2 + 20)):
        try:
            urllib.request.urlopen(media[-1], timeout=5).read()
        except urllib.error.HTTPError as exc:
            gone = exc.code
            break
        page.wait_for_timeout(1000)
    assert gone == 404
    page.close()


def test_no_csv_when_the_audit_row_cannot_be_written(xss_server, browser):  # noqa: F811
    """The database refuses the audit insert (a trigger, as a full or read-only database
    would): 下载 CSV hands out nothing and says why, in Chinese."""
    import sqlalchemy as sa

    url, base = xss_server
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN", accept_downloads=True)
    media: list[str] = []
    downloads: list = []
    page.on("request", lambda r: media.append(r.url) if _download(r.url) else None)
    page.on("download", lambda d: downloads.append(d))
    _sign_in(page, f"{base}/cases?{MARCH}")
    page.get_by_label("导出事由（必填，将记入审计日志）").fill("核查")
    page.get_by_role("button", name="生成导出文件").click()
    page.get_by_role("button", name="下载 CSV").wait_for(timeout=60_000)
    _settle(page)
    before = _exports(url)
    engine = store.engine_for(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TRIGGER audit_log_full BEFORE INSERT ON audit_log "
                             "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"))
    try:
        page.get_by_role("button", name="下载 CSV").click()
        page.get_by_text("未能写入审计日志，文件未导出。").first.wait_for(timeout=60_000)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER audit_log_full"))
    assert downloads == [] and media == [] and _exports(url) == before
    page.close()
