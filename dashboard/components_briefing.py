"""汇报 page: the deck of dashboard.briefing as full-screen slides, with the .pptx download."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import streamlit as st

from dashboard import auth, briefing, data, filterbar, handout, safe
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


def built(view: View) -> briefing.Deck:
    """The deck of this view, built once: a page turn only changes the index. Held in the
    session for the view it was built for (the data version is part of it), so a click does
    not even look the deck up in the shared cache."""
    token = (*view.args(), view.region_name)
    held = st.session_state.get("brief_deck")
    if held is None or held[0] != token:
        held = (token, deck(*token))
        st.session_state["brief_deck"] = held
    return held[1]


def _figure(spec: dict, fitted: bool = False) -> go.Figure:
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
    # In the show the chart takes the height the slide leaves it (st.plotly_chart height="stretch").
    fig = _base_layout(fig, height=None if fitted else 560)
    fig.update_layout(font=dict(size=22 if fitted else 24), showlegend=len(spec["series"]) > 1,
                      legend=dict(orientation="h", y=1.1))
    if fitted:  # read from the back of a meeting room
        fig.update_xaxes(tickfont_size=18, automargin=True)
        fig.update_yaxes(tickfont_size=18, automargin=True)
    if spec["type"] == "bar":
        fig.update_yaxes(autorange="reversed")
    else:
        fig.update_yaxes(tickformat=",")  # 3,500 (千分位)
    return fig


# The show: only the slide, 16:9 and as large as the window allows, with one row of controls
# under it. Fixed rules, no data value (deploy/nginx.conf allows inline styles, not scripts).
# --w is the slide's width: the window's width, or its height less the controls row, as 16:9.
SHOW_CSS = """<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stDecoration"], [data-testid="stToolbar"], .st-key-brief_keys { display: none !important; }
  [data-testid="stMain"] { overflow: hidden; }
  [data-testid="stMainBlockContainer"] { padding: 0.5rem 1rem 0 !important; max-width: none !important; }
  .st-key-brief_slide, .st-key-brief_controls {
    --w: min(calc(100vw - 2rem), calc((100vh - 4.5rem) * 16 / 9));
    width: var(--w) !important; margin: 0 auto; flex: none !important; }
  .st-key-brief_slide { height: calc(var(--w) * 9 / 16) !important; overflow: hidden; container-type: size;
    padding: 2.2cqw 3cqw 1.2cqw !important; gap: 1.4cqh !important; }
  .st-key-brief_slide h1 { font-size: 5cqw !important; }
  .st-key-brief_slide h2 { font-size: 3.6cqw !important; padding: 0 !important; line-height: 1.25 !important; }
  .st-key-brief_slide .brief-title { padding: 14cqh 4cqw !important; }
  .st-key-brief_slide .brief-title p { font-size: 2.6cqw !important; }
  .st-key-brief_slide .brief-msg { font-size: 2.4cqw !important; margin: 0 !important; line-height: 1.3; }
  .st-key-brief_slide .brief-list { margin: 0; padding-left: 2.4cqw; font-size: 2.1cqw; line-height: 1.45; }
  .st-key-brief_slide .brief-list li { margin: 0 0 0.6cqw; }
  .st-key-brief_slide .brief-list.dense { font-size: 1.95cqw; line-height: 1.4; }
  .st-key-brief_slide .brief-list.dense li { margin-bottom: 0.45cqw; }
  .st-key-brief_slide [data-testid="stCaptionContainer"] p { font-size: 1.2cqw !important; }
  .st-key-brief_slide [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]) {
    flex: 1 1 0 !important; min-height: 0 !important; }
  .st-key-brief_slide .brief-table { border-collapse: collapse; width: 100%; font-size: 1.55cqw; }
  .st-key-brief_slide .brief-table th { background: #1f4e79; color: #fff; text-align: left; }
  .st-key-brief_slide .brief-table th, .st-key-brief_slide .brief-table td {
    padding: 0.45cqw 0.8cqw; border-bottom: 1px solid #d0d7e2; }
</style>"""


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table_html(df) -> str:
    """A slide's table for the show, sized with the slide (a data grid keeps its own small
    font): fixed markup, every name and value escaped."""
    head = "".join(f"<th>{safe.html(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{safe.html(_cell(v))}</td>" for v in row) + "</tr>"
                   for row in df.iter_rows())
    return f"<table class='brief-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _move(step: int, n: int) -> None:
    st.session_state["brief_index"] = max(0, min(n - 1, st.session_state.get("brief_index", 0) + step))
    st.session_state["brief_turned"] = True


def _present(on: bool) -> None:
    st.session_state["brief_presenting"] = on
    if on:
        st.session_state["brief_index"] = 0  # a show starts at its first slide


def _chosen(keys: list[str], titles: dict[str, str]) -> list[str]:
    """The chosen slides in their order. Kept apart from the chooser widget, which is not drawn
    during the show (and Streamlit forgets the state of a widget that is not drawn)."""
    kept = [k for k in st.session_state.get("brief_order", keys) if k in keys]
    if st.session_state.get("brief_presenting"):
        return kept or keys
    held = st.session_state.get("brief_slides")
    if held is None or any(k not in keys for k in held):  # back from the show, or another view's deck
        st.session_state["brief_slides"] = kept
    with st.expander(tr("brief.choose")):
        chosen = st.multiselect(tr("brief.choose"), keys, key="brief_slides",
                                format_func=lambda k: titles[k], label_visibility="collapsed")
    st.session_state["brief_order"] = chosen
    return chosen or keys


def show(view: View) -> None:
    account = st.session_state["account"]
    d = built(view)
    keys = [s.key for s in d.slides]
    titles = {s.key: s.title for s in d.slides}
    presenting = bool(st.session_state.get("brief_presenting"))
    if presenting:
        st.html(SHOW_CSS)
    else:  # the show is the slides alone; the page has its heading like every other
        st.title(tr("brief.title"))
        st.caption(filterbar.caption(view))
        st.button(tr("brief.start"), key="brief_start", type="primary", icon=":material/slideshow:",
                  on_click=_present, args=(True,))
    chosen = _chosen(keys, titles)
    st.session_state["brief_turned"] = True  # this run is the whole page: the slides are current
    slides(view, chosen, presenting)
    if not presenting:
        who = f"{account.display_name}（{account.username}）"
        exports(view, account, d, who, len(chosen))


@auth.fragment
def slides(view: View, chosen: list[str], presenting: bool) -> None:
    """The slide and its controls. A page turn reruns only this (the deck is held: `built`).
    Anything else clicked in here reruns the whole page: ending the show, and the map's regions
    and breadcrumb, which change the filter bar (outside, in the sidebar) and so the view."""
    if not st.session_state.pop("brief_turned", False):
        st.rerun(scope="app")
    d = built(view)
    n = len(chosen)
    i = min(st.session_state.get("brief_index", 0), n - 1)
    if not presenting:
        nav = st.container(horizontal=True, vertical_alignment="center")
        _turns(nav, i, n)
        nav.markdown(f"**{tr('brief.counter', i=i + 1, n=n)}**　{tr('brief.keys')}")
    slide = next(s for s in d.slides if s.key == chosen[i])
    with st.container(border=True, key="brief_slide"):
        _draw(view, d, slide, presenting)
    if presenting:
        bar = st.container(horizontal=True, vertical_alignment="center", key="brief_controls")
        _turns(bar, i, n)
        bar.markdown(f"**{tr('brief.counter', i=i + 1, n=n)}**")
        bar.caption(tr("brief.show_keys"))
        # Not a page turn: the fragment hands the run to the whole page, which draws it without the show.
        bar.button(tr("brief.exit"), key="brief_exit", shortcut="Esc", icon=":material/close:",
                   on_click=_present, args=(False,))
        hidden = st.container(key="brief_keys")  # more keys for the same turns (display: none)
        hidden.button(tr("brief.key_space"), key="brief_space", shortcut="Space", disabled=i >= n - 1,
                      on_click=_move, args=(1, n))
        hidden.button(tr("brief.key_pagedown"), key="brief_pagedown", shortcut="PageDown",
                      disabled=i >= n - 1, on_click=_move, args=(1, n))
        hidden.button(tr("brief.key_pageup"), key="brief_pageup", shortcut="PageUp", disabled=i == 0,
                      on_click=_move, args=(-1, n))
    elif slide.key == "kpis":
        st.subheader(tr("brief.sentences"))
        st.code("\n".join([slide.message, *slide.bullets]), language=None)


def _turns(row, i: int, n: int) -> None:
    row.button(tr("brief.prev"), key="brief_prev", shortcut="Left", icon=":material/chevron_left:", disabled=i == 0,
               on_click=_move, args=(-1, n))
    row.button(tr("brief.next"), key="brief_next", shortcut="Right", icon=":material/chevron_right:",
               disabled=i >= n - 1, on_click=_move, args=(1, n))


def _draw(view: View, d: briefing.Deck, slide: briefing.Slide, presenting: bool) -> None:
    if slide.key == "title":
        # Titles and messages carry region and project names from the ledgers: fixed markup,
        # escaped values, and st.html (no markdown pass over them).
        st.html(f"<div class='brief-title' style='padding:12vh 2rem'><h1 style='color:#1f4e79'>{safe.html(slide.title)}</h1>"
                f"<p style='font-size:2rem;color:#444'>{safe.html(slide.message)}</p></div>")
    else:
        st.header(safe.md(slide.title), anchor=False)
        st.html(f"<p class='brief-msg' style='font-size:2rem;color:#c0392b;font-weight:600'>{safe.html(slide.message)}</p>")
        if slide.key == "map":
            from dashboard import components_map

            components_map.map_panel(view, key_prefix="brief", height=MAP_SHOW_HEIGHT if presenting else 600,
                                     controls=False)
        elif slide.chart:
            st.plotly_chart(_figure(slide.chart, fitted=presenting), key=f"brief_chart_{slide.key}",
                            height="stretch" if presenting else "content",
                            config={"displaylogo": False, "displayModeBar": not presenting},
                            theme=None if presenting else "streamlit")  # Streamlit's theme shrinks the ticks
        elif slide.table is not None and presenting:
            st.html(_table_html(slide.table))
        elif slide.table is not None:
            st.dataframe(slide.table, hide_index=True, key=f"brief_table_{slide.key}",
                         row_height=48, height=min(60 + 48 * slide.table.height, 620))
        if presenting and slide.bullets:  # one list, sized to leave the footer on the slide
            items = "".join(f"<li>{safe.html(line)}</li>" for line in slide.bullets)
            st.html(f"<ul class='brief-list{' dense' if len(slide.bullets) > 6 else ''}'>{items}</ul>")
        else:
            for line in slide.bullets:
                st.markdown(f"- {safe.md(line)}")
    st.caption(safe.md(d.scope_line))
    if d.partial_note:
        st.caption(safe.md(d.partial_note))


# The map panel draws its figure at a fixed height (components_map): one that leaves room for
# the title, message, legend and captions on the smallest screen the show is made for (1366×768).
MAP_SHOW_HEIGHT = 330


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
