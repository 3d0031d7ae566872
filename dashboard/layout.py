"""Layout for narrow screens (a phone at 390 px) and long English labels: one constant stylesheet
and the page links drawn in the page; and tabs of which only the open one is drawn (`open_tab`).

Streamlit moves the top navigation bar into the sidebar below its `md` breakpoint (768 px wide):
on a phone the pages would be reachable only by opening the sidebar, which then covers the page.
`page_links` draws the same pages as a row of links at the top of the page; the stylesheet shows
that row only below 768 px, where the top bar is gone. (In the sidebar, Streamlit itself closes
the sidebar after a page is chosen on a phone — a browser with a mobile user agent — and when
the page beside it is tapped.)

The CSS is fixed text: no data value ever goes into it (dashboard/safe.py). The deployment's CSP
allows inline styles (deploy/nginx.conf, style-src 'unsafe-inline'), as the watermark uses.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from dashboard.ui import lang

# Streamlit's breakpoints (its theme): top navigation below `md`, columns stacking at `columns`.
NAV_BREAKPOINT_PX = 768
COLUMNS_BREAKPOINT_PX = 640
PAGE_LINKS_KEY = "page_links"
CARDS_KEY = "kpi_cards"

CSS = f"""<style>
/* The page's own row of page links: only where the top bar has gone into the sidebar. */
@media (min-width: {NAV_BREAKPOINT_PX}px) {{ .st-key-{PAGE_LINKS_KEY} {{ display: none; }} }}
.st-key-{PAGE_LINKS_KEY} [data-testid="stPageLink"] a {{ padding: 0.1rem 0.5rem; }}
/* A card's label and value wrap at spaces instead of ending in "…" ("1,671 cases · 1,995
   persons" in English, a long metric name in a narrow card). */
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {{
  white-space: normal; overflow: visible; text-overflow: clip;
}}
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] {{ line-height: 1.15; }}
/* The 同比 change and its "YoY" go onto two lines rather than cutting the second. */
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) {{ flex-wrap: wrap; row-gap: 0.25rem; }}
/* All cards of a wide row equally tall: a pair's row fills its outer column (the two of a
   pair already are, through st.metric's height="stretch"). */
[class*="st-key-{CARDS_KEY}"] [data-testid="stColumn"] > [data-testid="stVerticalBlock"] > [data-testid="stLayoutWrapper"] {{
  flex-grow: 1;
}}
[class*="st-key-{CARDS_KEY}"] [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] {{ height: 100%; }}
/* Two cards side by side on a phone (card_columns): smaller figures, and the two of a pair
   equally wide (a wide screen gives "X 件 Y 人" more room). */
@media (max-width: {COLUMNS_BREAKPOINT_PX}px) {{
  [data-testid="stMetricValue"] {{ font-size: 1.5rem; }}
  [class*="st-key-{CARDS_KEY}"] [data-testid="stColumn"] [data-testid="stColumn"] {{ flex: 1 1 0% !important; }}
}}
/* The short static lists (dashboard/small_table.py): a cell on one line ("园梅县", not "园梅"
   over "县"), the table scrolling sideways where the screen is narrower than it. */
[data-testid="stTable"] {{ overflow-x: auto; }}
[data-testid="stTable"] th, [data-testid="stTable"] td,
[data-testid="stTable"] [data-testid="stMarkdownContainer"] p {{ white-space: nowrap; }}
</style>"""


def stylesheet() -> None:
    """The constant stylesheet; drawn once per run by app.py (a style-only st.html takes no space)."""
    st.html(CSS)


def page_links(pages: list) -> None:
    """The pages of `st.navigation` as one wrapping row of links, shown on narrow screens only."""
    with st.container(key=PAGE_LINKS_KEY, horizontal=True, gap="xxsmall"):
        for page in pages:
            st.page_link(page, label=page.title, icon=page.icon)


def card_columns(parent, widths: list[float], used: int) -> list:
    """Columns in `parent` for one row of cards, the first `used` of them filled: pairs of
    columns that stay side by side (`wrap=False`) inside a row that stacks on a narrow screen
    (below 640 px), so a phone shows two cards per row where plain columns would stack them
    all, and a wide screen shows the whole row. Trailing pairs without a card become one empty
    spacer column (keeping the wide row's proportions)."""
    pairs = [widths[i:i + 2] for i in range(0, len(widths), 2)]
    filled = [p for i, p in enumerate(pairs) if 2 * i < used]
    spacer = sum(sum(p) for p in pairs[len(filled):])
    outer = parent.columns([sum(p) for p in filled] + ([spacer] if spacer else []))
    cols = []
    for box, pair in zip(outer, filled):
        cols.extend(box.columns(pair, wrap=False) if len(pair) > 1 else [box])
    return cols


def open_tab(parts: Sequence[tuple[str, Callable[[], None]]], key: str) -> None:
    """Tabs of which only the open one is drawn: `parts` are (label, draw). A tab switch reruns
    the page (`on_change="rerun"`). With every tab drawn, a new session's browser laid out all
    their charts and grids, shown or not (趋势: ten plotly charts; python -m benchmarks.pages).
    The state holds the open tab's label, so the key is one per language (`<key>.<lang>`)."""
    tabs = st.tabs([label for label, _ in parts], key=f"{key}.{lang()}", on_change="rerun")
    for tab, (_, draw) in zip(tabs, parts):
        if tab.open:
            with tab:
                draw()
