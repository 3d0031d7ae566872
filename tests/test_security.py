"""Values from data never become markup; CSV cells never become formulas; a file leaves only
after its audit row is committed (dashboard/safe.py, dashboard/export.py, dashboard/handout.py)."""
from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from dashboard import briefing, export, handout, maps, safe
from queries import accounts, audit, store
from queries.accounts import Account
from tests import fixtures as fx

ROOT = Path(__file__).resolve().parents[1]

# The payload set the browser test imports into every text column too.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe srcdoc=\"<script>parent.document.title='X'</script>\">",
    "<object data=http://127.0.0.1:9/o>",
    "<embed src=http://127.0.0.1:9/e>",
    "<form action=http://127.0.0.1:1/><input name=p>",
    "<style>*{display:none}</style>",
    "![x](http://127.0.0.1:9/x.png)",
    "[link](javascript:alert(1))",
    ":red[x]",
    "$\\alert$",
    ":material/home:",
    "**bold** _it_ `code` # h",
]


# ---- safe.md / safe.html -----------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_leaves_no_markdown_or_html_syntax_unescaped(payload):
    out = safe.md(payload)
    # every ASCII punctuation character is preceded by a backslash …
    assert re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\[!-/:-@\[-`{-~]", "", out)) is None, out
    # … and removing the escapes (and invisible word joiners) gives the text back unchanged
    assert re.sub(r"\\(.)", r"\1", out).replace(safe.WORD_JOINER, "") == payload


def test_md_escapes_a_colour_directive_and_an_image_exactly():
    assert safe.md(":red[x]") == r"\:red\[x\]"
    assert safe.md("![x](/x.png)") == r"\!\[x\]\(\/x\.png\)"


def test_md_keeps_addresses_from_becoming_autolinks():
    """GFM autolinks are found after escapes are resolved: a word joiner breaks them."""
    wj = safe.WORD_JOINER
    assert safe.md("http://h www.h a@h") == f"http{wj}\\:\\/\\/h www{wj}\\.h a{wj}\\@h"


def test_md_joins_lines_so_a_value_cannot_start_a_new_block():
    assert safe.md("甲\n# 标题\r\n- 项") == r"甲 \# 标题 \- 项"


def test_md_keeps_chinese_text_and_full_width_punctuation_as_is():
    assert safe.md("甲一镇（街道）：三资整治。") == "甲一镇（街道）：三资整治。"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_escapes_every_tag_and_quote(payload):
    out = safe.html(payload)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert html.unescape(out) == payload


def test_plot_escapes_tags_but_keeps_quotes_readable_for_plotly():
    assert safe.plot("<a href='x'>甲</a> & 乙") == "&lt;a href='x'&gt;甲&lt;/a&gt; &amp; 乙"


def test_none_is_empty_text():
    assert safe.md(None) == "" and safe.html(None) == "" and safe.plot(None) == ""


# ---- the rendering sites -----------------------------------------------------------------

def test_briefing_renders_slide_text_only_escaped():
    """The critical finding: slide titles and messages went into unsafe_allow_html raw."""
    src = (ROOT / "dashboard" / "components_briefing.py").read_text(encoding="utf-8")
    assert "unsafe_allow_html" not in src
    assert "{safe.html(slide.title)}" in src and "{safe.html(slide.message)}" in src
    assert 'st.markdown(f"- {safe.md(line)}")' in src


def test_no_page_or_component_renders_html_without_escaping():
    """unsafe_allow_html appears nowhere in the UI code: st.html with fixed markup and
    safe.html values is the only HTML door."""
    offenders = [p.name for p in [*(ROOT / "dashboard").glob("*.py"), *(ROOT / "app_pages").glob("*.py"),
                                  ROOT / "app.py"]
                 if "unsafe_allow_html=True" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_small_map_carries_region_names_as_escaped_text():
    """The overview's map is SVG markup (shown as an image): a name is a text node, never markup."""
    import xml.etree.ElementTree as ET

    from dashboard import map_svg

    rows = [{"code": "990101000000", "polygon": [[[0, 0], [1, 0], [1, 1], [0, 0]]], "fill": [1, 2, 3, 255]}]
    name = "<img src=x onerror=alert(1)>"
    markup = map_svg.compact_svg(rows, labels=[{"name": name, "lon": 0.5, "lat": 0.5}], key_watch=[],
                                 width=200, height=100)
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup and "<img" not in markup
    assert [t.text for t in ET.fromstring(markup).iter("{http://www.w3.org/2000/svg}text")] == [name]


def test_one_page_summary_escapes_every_value():
    payload = "<iframe srcdoc=\"<script>parent.document.title='X'</script>\">"
    table = pl.DataFrame({"项目": [payload], "单位": ["<img src=x onerror=alert(1)>"]})
    deck = briefing.Deck(title=payload, scope_line=payload, slides=[
        briefing.Slide("kpis", "核心指标", payload, bullets=[payload]),
        briefing.Slide("warnings", "重点预警", payload, table=table),
        briefing.Slide("slow", "推进缓慢", payload, table=table)])
    page = briefing.summary_html(deck, payload)
    assert "<iframe" not in page and "<img" not in page and "<script" not in page
    # title, h1, scope, kpi line, bullet, warning line, a cell in each of the two tables, footer
    assert page.count(html.escape(payload)) == 9


# ---- CSV cells that would be formulas ----------------------------------------------------

@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","y")', "=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_prefixes_a_would_be_formula_with_an_apostrophe(cell):
    frame = pl.DataFrame({"item_id": ["r1"], "description": [cell]})
    body = export.to_csv(frame, "rectifications")
    read = pl.read_csv(body, infer_schema=False)
    assert read.row(0) == ("r1", "'" + cell)


def test_csv_keeps_negative_numbers_in_numeric_columns_as_numbers():
    frame = pl.DataFrame({"item_id": ["r1"], "funds_recovered": [-1.5], "rules_established": [-2]})
    lines = export.to_csv(frame, "rectifications").decode("utf-8-sig").splitlines()
    assert lines[1] == "r1,-1.5,-2"


def test_csv_neutralises_categorical_columns_too():
    frame = pl.DataFrame({"case_id": ["c1"], "field": ["=1+1"]}).with_columns(pl.col("field").cast(pl.Categorical))
    assert export.to_csv(frame, "cases").decode("utf-8-sig").splitlines()[1] == "c1,'=1+1"


def test_csv_leaves_ordinary_text_alone():
    frame = pl.DataFrame({"case_id": ["c1"], "unit_name": ["甲一镇财政所 = 乙"]})
    assert export.to_csv(frame, "cases").decode("utf-8-sig").splitlines()[1] == "c1,甲一镇财政所 = 乙"


def test_the_cell_rule_and_the_column_rule_agree():
    cells = ["=1", "+1", "-1", "@a", "\t=1", "\r=1", "a=1", "", " =1", "'=1"]
    column = export.neutralised(pl.DataFrame({"c": cells}))["c"].to_list()
    assert column == [export.neutralise(c) for c in cells]


def test_the_audit_log_export_uses_the_same_csv_rule():
    src = (ROOT / "dashboard" / "components_admin.py").read_text(encoding="utf-8")
    assert "export.csv_bytes(" in src and "write_csv" not in src


# ---- audited hand-out ----------------------------------------------------------------------

@pytest.fixture()
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    accounts.create(store.engine_for(url), "alice", "Correct-Horse-42", role="staff", display_name="甲",
                    region_code=None)
    return url


def _alice() -> Account:
    return Account(username="alice", display_name="甲", role="staff", region_code=None, totp_enabled=False, demo=False)


def _ticket(url: str, built: list, door: str = "details") -> handout.Ticket:
    def build() -> bytes:
        built.append(1)
        return b"file"
    return handout.Ticket(url=url, username="alice", door=door, target="cases", rows=4,
                          detail={"format": "csv", "purpose": "核查"}, build=build)


def _exports(url: str) -> pl.DataFrame:
    return audit.read(store.engine_for(url)).filter(pl.col("event") == "export")


def test_a_click_writes_the_audit_row_then_hands_out_the_file(db):
    built: list = []
    assert handout.release(_ticket(db, built), _alice) == b"file"
    row = _exports(db).row(0, named=True)
    assert (row["account"], row["target"], row["rows"], row["outcome"]) == ("alice", "cases", 4, "success")
    assert '"purpose": "核查"' in row["detail"] and built == [1]


def test_no_file_when_the_audit_insert_fails(db, monkeypatch):
    def broken(*_a, **_k):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
    monkeypatch.setattr(audit, "record", broken)
    built: list = []
    ticket = _ticket(db, built)
    with pytest.raises(handout.Refused, match="未能写入审计日志，文件未导出"):
        handout.release(ticket, _alice)
    assert built == [] and ticket.outcome.startswith("未能写入审计日志") and ticket.done.is_set()


def test_no_file_from_a_read_only_database(db, monkeypatch):
    """A real read-only SQLite file: the audit insert fails, so nothing is built."""
    path = db.removeprefix("sqlite:///")
    read_only = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    monkeypatch.setattr(store, "engine_for", lambda url: read_only)
    built: list = []
    with pytest.raises(handout.Refused, match="文件未导出"):
        handout.release(_ticket(db, built), _alice)
    monkeypatch.undo()
    assert built == [] and _exports(db).is_empty()


def test_no_file_when_the_session_is_no_longer_signed_in(db):
    built: list = []
    with pytest.raises(handout.Refused, match="登录已失效"):
        handout.release(_ticket(db, built), lambda: None)
    assert built == [] and _exports(db).is_empty()


def test_no_file_when_another_account_is_signed_in_on_that_session(db):
    built: list = []
    bob = Account(username="bob", display_name="乙", role="staff", region_code=None, totp_enabled=False, demo=False)
    with pytest.raises(handout.Refused):
        handout.release(_ticket(db, built), lambda: bob)
    assert built == [] and _exports(db).is_empty()


def test_a_leader_may_take_the_deck_and_summary_but_no_tables():
    leader = Account(username="lead", display_name="领导", role="leader", region_code=None, totp_enabled=False, demo=False)
    assert [d for d in handout.DOORS if handout.may_take(leader, d)] == ["briefing", "summary"]


def test_what_each_role_may_take_away():
    taken = {role: [d for d in handout.DOORS if handout.may_take(
        Account(username="u", display_name="u", role=role, region_code=None, totp_enabled=False, demo=False), d)] for role in accounts.ROLES}
    assert taken == {"leader": ["briefing", "summary"], "staff": ["briefing", "summary", "details", "warnings"],
                     "sysadmin": [], "auditor": ["audit_log"]}


def test_a_leader_holding_a_table_ticket_gets_no_file(db):
    built: list = []
    leader = Account(username="alice", display_name="甲", role="leader", region_code=None, totp_enabled=False, demo=False)
    with pytest.raises(handout.Refused):
        handout.release(_ticket(db, built, door="details"), lambda: leader)
    assert built == []


def test_export_buttons_are_all_doors_and_no_page_pushes_bytes():
    """Every download_button with business data goes through handout.door (deferred); only
    the blank import templates are plain bytes."""
    plain = []
    for p in (ROOT / "dashboard").glob("components*.py"):
        for line in p.read_text(encoding="utf-8").splitlines():
            if "download_button(" in line:
                plain.append(f"{p.name}: {line.strip()[:60]}")
    assert plain == ["components_data.py: row.download_button(tr(\"data.template\", table=label), _templ"]


def test_config_hides_table_toolbar_export_and_tracebacks():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["client"]["disableDataExport"] is True
    assert cfg["client"]["showErrorDetails"] == "none"


# ---- the doors on the pages (AppTest) ------------------------------------------------------

BRIEF_PARAMS = {"period": "自定义", "range": ["2024-01-01", "2024-03-31"], "as_of": "2024-03-31"}


@pytest.fixture()
def app_db(db, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", db)
    return db


def _briefing(role: str):
    from tests.apptest import signed_in

    at = signed_in(role, params=BRIEF_PARAMS).run()
    at.switch_page("app_pages/briefing.py").run()
    return at


def test_the_deck_doors_have_no_file_address_until_clicked(app_db):
    """Today the .pptx and the summary were at /media/<hash> as soon as the page was drawn."""
    at = _briefing("staff")
    buttons = at.get("download_button")
    assert [(b.proto.url, b.proto.disabled) for b in buttons] == [("", True), ("", True)]  # no purpose yet
    at.text_input(key="brief_purpose").set_value("周例会").run()
    buttons = at.get("download_button")
    assert [b.proto.url for b in buttons] == ["", ""] and all(b.proto.deferred_file_id for b in buttons)
    assert _exports(app_db).is_empty()  # drawing a door writes nothing and hands out nothing


def test_a_leader_gets_the_deck_doors(app_db):
    at = _briefing("leader")
    assert len(at.get("download_button")) == 2 and not at.exception


def test_a_door_drawn_outside_any_session_hands_out_nothing(db):
    """The click callable reads the sign-in of the session that drew it; with none, no file."""
    built: list = []
    hand_out = handout._deferred(_ticket(db, built))
    with pytest.raises(handout.Refused):
        hand_out()
    assert built == [] and _exports(db).is_empty()


def test_chart_labels_from_ledgers_are_escaped_for_plotly():
    """plotly renders <a href>, <b> … in axis labels, legends and hovers."""
    from dashboard import charts_trends

    link = '<a href="http://127.0.0.1:9/">甲</a>'
    shown = "&lt;a href=\"http://127.0.0.1:9/\"&gt;甲&lt;/a&gt;"
    box = charts_trends.handling_box(pl.DataFrame({"region": [link], "days": [3], "limit": [5]}), "天", "时限")
    assert list(box.data[0].x) == [shown] and list(box.data[1].x) == [shown]


def test_the_shipped_csp_lets_the_session_cookie_script_run():
    """The cookie that keeps a sign-in across reloads is set by one fixed inline script
    (dashboard/auth.py); the CSP of deploy/nginx.conf must allow exactly that script's hash, or
    every reload behind nginx asks for the password again."""
    from pathlib import Path

    from dashboard import auth

    conf = (Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert f"'sha256-{auth.COOKIE_SCRIPT_SHA256}'" in conf
