"""汇报 page: the deck of dashboard.briefing as full-screen slides, with the .pptx download."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import streamlit as st

from dashboard import briefing, data, handout, safe
from dashboard.charts import PRIMARY, _base_layout
from dashboard.filterbar import View
from dashboard.ui import tr
from queries.accounts import Account


@st.cache_data(max_entries=32, show_spinner=False)
def deck(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
         scope_region: str | None, as_of: date, region_name: str) -> briefing.Deck:
    from queries.filters import Filters, Scope

    return briefing.slides(data.tables_at(url, data_version), Filters(start, end, region=region, fields=fields),
                           Scope(scope_region), as_of, data.warning_config(), region_name)


def _figure(spec: dict) -> go.Figure:
    fig = go.Figure()
    # plotly reads its texts as HTML: category and series names from the ledgers are escaped
    categories = [safe.plot(c) for c in spec["categories"]]
    for i, (name, values) in enumerate(spec["series"].items()):
        if spec["type"] == "line" and name in spec.get("markers_only", ()):
            # A month not over (queries.periods): a light, open marker, not joined to the line.
            fig.add_trace(go.Scatter(x=categories, y=values, name=safe.plot(name), mode="markers", opacity=0.6,
                                     marker=dict(size=18, symbol="circle-open", line=dict(width=4),
                                                 color=PRIMARY if name.startswith("本期") else "#E69F00")))
            continue
        name = safe.plot(name)
        if spec["type"] == "line":
            fig.add_trace(go.Scatter(x=categories, y=values, name=name, mode="lines+markers",
                                     line=dict(width=5, color=PRIMARY if i == 0 else "#E69F00")))
        else:
            horizontal = spec["type"] == "bar"
            fig.add_trace(go.Bar(x=values if horizontal else categories,
                                 y=categories if horizontal else values, name=name,
                                 orientation="h" if horizontal else "v",
                                 marker_color=PRIMARY if i == 0 else "#E69F00",  # a second series: last year
                                 texttemplate="%{x:,.0f}" if horizontal else "%{y:,.0f}", textposition="outside",
                                 cliponaxis=False))
    fig = _base_layout(fig, height=560)
    fig.update_layout(font=dict(size=24), showlegend=len(spec["series"]) > 1, legend=dict(orientation="h", y=1.1))
    if spec["type"] == "bar":
        fig.update_yaxes(autorange="reversed")
    return fig


def _fullscreen() -> None:
    st.html("""<style>
      [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
      .block-container { padding-top: 1rem; max-width: 100%; }
      [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.6rem; line-height: 1.6; }
      h1 { font-size: 3.2rem !important; } h2 { font-size: 2.6rem !important; }
    </style>""")


def _move(step: int, n: int) -> None:
    st.session_state["brief_index"] = max(0, min(n - 1, st.session_state.get("brief_index", 0) + step))


def show(view: View) -> None:
    account = st.session_state["account"]
    d = deck(*view.args(), view.region_name)
    keys = [s.key for s in d.slides]
    titles = {s.key: s.title for s in d.slides}
    with st.expander(tr("brief.choose")):
        chosen = st.multiselect(tr("brief.choose"), keys, default=keys, key="brief_slides",
                                format_func=lambda k: titles[k], label_visibility="collapsed")
        full = st.toggle(tr("brief.fullscreen"), key="brief_full")
    chosen = chosen or keys
    if full:
        _fullscreen()
    n = len(chosen)
    i = min(st.session_state.get("brief_index", 0), n - 1)
    nav = st.container(horizontal=True, vertical_alignment="center")
    nav.button(tr("brief.prev"), key="brief_prev", shortcut="Left", icon=":material/chevron_left:", disabled=i == 0,
               on_click=_move, args=(-1, n))
    nav.button(tr("brief.next"), key="brief_next", shortcut="Right", icon=":material/chevron_right:",
               disabled=i >= n - 1, on_click=_move, args=(1, n))
    nav.markdown(f"**{tr('brief.counter', i=i + 1, n=n)}**　{tr('brief.keys')}")
    slide = next(s for s in d.slides if s.key == chosen[i])
    with st.container(border=True):
        if slide.key == "title":
            # Titles and messages carry region and project names from the ledgers: fixed markup,
            # escaped values, and st.html (no markdown pass over them).
            st.html(f"<div style='padding:12vh 2rem'><h1 style='color:#1f4e79'>{safe.html(slide.title)}</h1>"
                    f"<p style='font-size:2rem;color:#444'>{safe.html(slide.message)}</p></div>")
        else:
            st.header(safe.md(slide.title), anchor=False)
            st.html(f"<p style='font-size:2rem;color:#c0392b;font-weight:600'>{safe.html(slide.message)}</p>")
            if slide.key == "map":
                from dashboard import components_map

                components_map.map_panel(view, key_prefix="brief", height=600, controls=False)
            elif slide.chart:
                st.plotly_chart(_figure(slide.chart), key=f"brief_chart_{slide.key}", config={"displaylogo": False})
            elif slide.table is not None:
                st.dataframe(slide.table, hide_index=True, key=f"brief_table_{slide.key}",
                             row_height=48, height=min(60 + 48 * slide.table.height, 620))
            for line in slide.bullets:
                st.markdown(f"- {safe.md(line)}")
        st.caption(safe.md(d.scope_line))
        if d.partial_note:
            st.caption(safe.md(d.partial_note))
    if slide.key == "kpis":
        st.subheader(tr("brief.sentences"))
        st.code("\n".join([slide.message, *slide.bullets]), language=None)
    who = f"{account.display_name}（{account.username}）"
    exports(view, account, d, who, n)


def exports(view: View, account: Account, d: briefing.Deck, who: str, n: int) -> None:
    """The deck and the one-page summary: built, audited and handed out only when clicked
    (dashboard/handout.py); a leader may take these (the README's table of exports)."""
    if not handout.may_take(account, "briefing"):
        return
    purpose = st.text_input(tr("details.purpose"), key="brief_purpose")
    detail = {"region": view.region, "as_of": view.as_of.isoformat(), "slides": n}
    c1, c2 = st.columns(2)
    handout.door(tr("brief.download"), key="brief_pptx", door="briefing", url=view.url, account=account,
                 target="briefing.pptx", rows=n, detail=detail, build=lambda: briefing.to_pptx(d, who),
                 file_name=f"汇报_{view.as_of:%Y%m%d}.pptx", purpose=purpose, icon=":material/slideshow:",
                 mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", container=c1)
    handout.door(tr("brief.summary"), key="brief_summary", door="summary", url=view.url, account=account,
                 target="briefing.summary", rows=n, detail=detail,
                 build=lambda: briefing.summary_html(d, who).encode("utf-8"), file_name=f"摘要_{view.as_of:%Y%m%d}.html",
                 mime="text/html", purpose=purpose, icon=":material/description:", container=c2)
