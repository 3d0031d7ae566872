"""The page-opening benchmark's own parts: what counts as a drawn page, its percentiles, its
pages and their navigation entries, and the command itself (one try per way on a small demo),
so `python -m benchmarks.pages` keeps working. No timing is asserted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import pages
from dashboard.i18n import t

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_is_reached_by_its_nav_section_and_entry_and_has_its_heading():
    for name, (path, section, entry, heading, needed) in pages.PAGES.items():
        assert t(section) != section and t(entry) != entry, name  # real i18n keys, not echoed
        assert heading is None or t(heading) != heading, name
        assert needed, name
    assert pages.PAGES["map"][0] == "map" and pages.PAGES["overview"][0] == ""


def test_drawn_is_given_the_heading_in_the_pages_language():
    assert pages.drawn_args("trends") == [t("trend.title", "zh"), [pages.PLOT]]
    assert pages.drawn_args("trends", "en")[0] == t("trend.title", "en")
    assert pages.drawn_args("briefing")[0] == "会议汇报"  # the page's heading, above the slides


def test_the_summary_is_nearest_rank_over_the_tries_in_order():
    s = pages.summary([900.0, 100.0, 500.0])
    assert (s["tries"], s["ms_p50"], s["ms_p95"], s["ms_max"], s["ms"]) == (3, 500.0, 900.0, 900.0,
                                                                           [900.0, 100.0, 500.0])
    assert pages.summary([])["ms_p50"] is None


def test_whole_milliseconds_are_reported_as_numbers_of_one_kind():
    # The page's clock, coarsened, can read 2220: it is 2220.0 in the report like any other try.
    s = pages.summary([2220, 1500.5])
    assert s["ms"] == [2220.0, 1500.5] and all(isinstance(v, float) for v in (*s["ms"], s["ms_p50"], s["ms_max"]))


def test_a_bad_number_of_tries_is_refused(capsys):
    assert pages.main(["--tries", "0"]) == 2
    assert "--tries" in capsys.readouterr().err


def test_an_unknown_page_is_refused():
    with pytest.raises(SystemExit):
        pages.build_parser().parse_args(["--page", "nowhere"])


# Pages standing in for Streamlit's: what DRAWN reads is only the DOM.
HEAD = '<h1>趋势与对比</h1>'
CHART = '<div data-testid="stPlotlyChart"><svg class="main-svg"></svg></div>'


@pytest.fixture(scope="module")
def blank_page():
    """One headless chromium tab for the DOM cases below."""
    from playwright.sync_api import sync_playwright

    from benchmarks.load import FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        yield browser.new_page()
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize(("body", "drawn"), [
    (HEAD + CHART, True),
    (HEAD + CHART + '<div data-testid="stSkeleton"></div>', False),          # a part still coming
    (HEAD + CHART + '<div data-testid="stSpinner"></div>', False),
    (HEAD + CHART + '<div data-testid="stStatusWidget"></div>', False),      # still running
    (HEAD + '<div data-stale="true">' + CHART + '</div>', False),            # from the previous run
    (CHART, False),                                                          # no heading
    ('<h1>总览</h1>' + CHART, False),                                        # another page's heading
    (HEAD, False),                                                           # no chart
    (HEAD + CHART + '<div data-testid="stPlotlyChart"></div>', False),       # one chart not drawn
    (HEAD + CHART + '<div data-testid="stDeckGlJsonChart"></div>', False),   # a map without its canvas
    (HEAD + CHART + '<div data-testid="stDataFrame"></div>', False),         # a table without its grid
    (HEAD + CHART + '<div data-testid="stDataFrame"><canvas></canvas></div>', True),
    (HEAD + CHART + '<div hidden><div data-testid="stDataFrame"></div></div>', True),  # in a closed tab
])
def test_a_page_counts_as_drawn_only_when_nothing_is_left_to_come(blank_page, body, drawn):
    blank_page.set_content(f"<html><body>{body}</body></html>")
    assert blank_page.evaluate(pages.DRAWN, pages.drawn_args("trends")) is drawn


def _well_formed(way: dict, tries: int) -> None:
    assert way["tries"] == tries and len(way["ms"]) == tries
    assert all(isinstance(v, float) and v > 0 for v in way["ms"])
    assert way["ms_p50"] <= way["ms_p95"] <= way["ms_max"]


@pytest.mark.browser
@pytest.mark.slow
def test_the_pages_command_opens_each_page_both_ways_and_reports(tmp_path):
    out = tmp_path / "pages.json"
    # In a process of its own, as a user runs it: the command runs its own event loop, which
    # cannot start inside a test process whose browser fixtures already hold one.
    done = subprocess.run([sys.executable, "-m", "benchmarks.pages", "--tries", "1", "--scale", "0.05",
                           "--page", "overview", "map", "trends", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    code = done.returncode
    assert out.exists(), done.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0 and result["errors"] == 0, result["error_samples"]
    assert list(result["pages"]) == ["overview", "map", "trends"]
    for name, ways in result["pages"].items():
        assert set(ways) == {"link", "nav", "link_ready", "nav_ready"}, name
        for way in ways.values():
            _well_formed(way, 1)
        for way in ("link", "nav"):  # ready: drawn, and the main thread free after it
            assert ways[f"{way}_ready"]["ms"][0] >= ways[way]["ms"][0], name
    assert (result["tries"], result["scale"], result["cases"]) == (1, 0.05, None)
    assert isinstance(result["build_s"], float)


@pytest.mark.browser
def test_a_long_task_is_seen_by_the_ready_watch(blank_page):
    """What "ready" waits for: the browser reports a task that held the main thread (here a
    120 ms loop, always over the 50 ms a long task is), and its end is kept."""
    blank_page.set_content("<html><body></body></html>")
    blank_page.evaluate(pages.LONG_TASKS)
    # A task of the page's own (one the test's evaluate starts is not the page's).
    blank_page.evaluate("() => setTimeout(() => { const t = performance.now(); window.__start = t;"
                        " while (performance.now() - t < 120) {} }, 0)")
    blank_page.wait_for_function("() => window.__busyUntil > 0")
    assert blank_page.evaluate("window.__busyUntil - window.__start") >= 119  # timestamps coarsened to 1 ms
