"""Real-browser test at phone width (390×844, an iPhone 12–15) and of long English labels at
1440×900: the app served by `streamlit run`, driven by Playwright in Debian's chromium.

Below 768 px Streamlit moves the top navigation into the sidebar and below 640 px it stacks
columns; dashboard/layout.py puts the page links into the page and keeps the cards two per row."""
from __future__ import annotations

import pytest

from dashboard import layout
from dashboard.i18n import t
from tests.test_browser import FLAGS, MARCH, PASSWORD, _fixture_db, _serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
KPI_CARDS = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from _serve(_fixture_db(tmp_path_factory.mktemp("phone")))


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        yield b
        b.close()


def _open(browser, url: str, viewport: dict, ready: str = '[data-testid="stMetric"]', lang: str = "zh"):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.get_by_label(t("auth.username", lang)).fill("alice")
    page.get_by_label(t("auth.password", lang), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("auth.submit", lang)).click()
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=60_000)
    return page, errors


def _card_boxes(page) -> list[dict]:
    from playwright.sync_api import expect

    cards = page.locator(f'.st-key-{layout.CARDS_KEY} [data-testid="stMetric"]')
    expect(cards).to_have_count(KPI_CARDS, timeout=60_000)
    return [cards.nth(i).bounding_box() for i in range(KPI_CARDS)]


def _rows(boxes: list[dict]) -> list[list[dict]]:
    """Cards grouped by the row they sit in (the same top edge)."""
    rows: list[list[dict]] = []
    for box in sorted(boxes, key=lambda b: (round(b["y"]), b["x"])):
        if rows and abs(rows[-1][0]["y"] - box["y"]) < 2:
            rows[-1].append(box)
        else:
            rows.append([box])
    return rows


def _sidebar_is_open(page) -> bool:
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    return box is not None and box["x"] + box["width"] > 0


def test_the_overview_cards_are_two_per_row_on_a_phone(server, browser):
    page, errors = _open(browser, f"{server}/?{MARCH}", PHONE)
    rows = _rows(_card_boxes(page))
    assert [len(r) for r in rows] == [2, 2, 2, 2, 2]
    for left, right in rows:
        assert left["x"] >= 0 and right["x"] + right["width"] <= PHONE["width"]
        assert left["x"] + left["width"] <= right["x"]
        assert abs(left["width"] - right["width"]) < 2  # a pair is equally wide on a phone
        assert abs(left["height"] - right["height"]) < 2  # and equally tall
    assert errors == []
    page.close()


def test_the_overview_is_not_a_column_of_stacked_cards_on_a_phone(server, browser):
    page, _ = _open(browser, f"{server}/?{MARCH}", PHONE)
    boxes = _card_boxes(page)
    tallest = max(b["height"] for b in boxes)
    span = max(b["y"] + b["height"] for b in boxes) - min(b["y"] for b in boxes)
    assert span < 5 * tallest + 5 * 32  # five rows and their gaps; stacked, ten
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    assert height < 4_000  # the cards stacked one per row made the overview 4,579 px
    page.close()


def test_a_phone_reaches_another_page_without_opening_the_sidebar(server, browser):
    from playwright.sync_api import expect

    page, errors = _open(browser, f"{server}/?{MARCH}", PHONE)
    assert not _sidebar_is_open(page)
    links = page.locator('[class*="st-key-page_links"]')
    expect(links).to_be_visible()
    links.get_by_role("link", name="案件").click()
    expect(page.get_by_role("heading", name="案件明细")).to_be_visible(timeout=60_000)
    assert page.url.split("?")[0].endswith("/cases")
    assert not _sidebar_is_open(page)
    assert errors == []
    page.close()


def test_a_wide_screen_has_the_top_bar_and_no_page_links_in_the_page(server, browser):
    page, _ = _open(browser, f"{server}/?{MARCH}", DESKTOP)
    assert not page.locator('[class*="st-key-page_links"]').is_visible()
    assert page.locator('[data-testid="stTopNavLink"], [data-testid="stTopNavSection"]').count() > 0
    page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_no_card_label_or_value_is_cut_off_in_english(server, browser, viewport):
    """"1,234 cases · 1,567 persons" and "Rectification completion rate" wrap, not end in "…"."""
    page, _ = _open(browser, f"{server}/?{MARCH}&lang=English", viewport, lang="en")
    _card_boxes(page)
    cut = page.evaluate("""() => [...document.querySelectorAll(
          '[data-testid=stMetricValue] [data-testid=stMarkdownContainer],'
        + '[data-testid=stMetricLabel] [data-testid=stMarkdownContainer]')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert cut == []
    assert "cases ·" in page.locator('[data-testid="stMetricValue"]').first.inner_text()
    page.close()
