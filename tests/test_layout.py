"""AppTest of the layout for narrow screens (dashboard/layout.py): the page links drawn in the
page, the cards in pairs that stay side by side, and the tables' key columns first. What a
browser makes of them at 390 px is tests/test_browser_phone.py."""
from __future__ import annotations

import json

import pytest

from dashboard import components_details, layout
from queries import store
from tests import fixtures as fx
from tests.apptest import signed_in

MARCH_PARAMS = {"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}


@pytest.fixture()
def app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("staff", params=MARCH_PARAMS)
    at.run()
    assert not at.exception
    return at


def _block(at, key: str):
    """The keyed container `key` (st.container(key=...)) in the main area."""
    found = [b for b in _walk(at.main) if type(b).__name__ == "Block" and b.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, key
    return found[0]


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _kids(node) -> list:
    return list(node.children.values())


def _rows_of_pairs(cards) -> list[list[list[str]]]:
    """The cards' labels as rows → pairs → cards, checking on the way that each row may stack
    (wrap) and each pair may not."""
    rows = []
    for row in _kids(cards):
        assert row.proto.flex_container.wrap is True
        pairs = []
        for outer in _kids(row):
            inside = _kids(outer)
            if not inside:
                continue  # the spacer of a short last row
            (pair,) = inside
            assert pair.proto.flex_container.wrap is False
            pairs.append([m.label for col in _kids(pair) for m in _kids(col)])
        rows.append(pairs)
    return rows


def test_every_page_of_the_navigation_is_also_a_link_in_the_page(app):
    links = _kids(_block(app, layout.PAGE_LINKS_KEY))
    assert [link.proto.label for link in links] == [
        "总览", "地图", "趋势", "预警", "汇报", "案件", "信访举报", "整改事项", "数据管理"]


def test_the_page_links_are_one_wrapping_row(app):
    assert _block(app, layout.PAGE_LINKS_KEY).proto.flex_container.wrap is True


def test_the_overview_cards_are_pairs_that_stay_side_by_side_in_rows_that_stack(app):
    assert _rows_of_pairs(_block(app, layout.CARDS_KEY)) == [
        [["立案数", "处分人数"], ["追缴挽回资金", "信访件数"]],
        [["办结率", "满意率"], ["整改完成率", "逾期事项"]],
        [["审结件数", "运用四种形态"]],
    ]


def test_a_card_stated_in_cases_and_persons_keeps_its_wider_share(app):
    first_row = _kids(_kids(_block(app, layout.CARDS_KEY))[0])
    # 立案数 1.5 + 处分人数 1 against 追缴挽回资金 1 + 信访件数 1: 2.5 : 2
    assert [round(c.weight, 4) for c in first_row] == [round(2.5 / 4.5, 4), round(2 / 4.5, 4)]
    pair = _kids(_kids(first_row[0])[0])
    assert [round(c.weight, 4) for c in pair] == [0.6, 0.4]


def test_a_short_last_row_keeps_the_wide_rows_proportions_with_one_spacer(app):
    last = _kids(_kids(_block(app, layout.CARDS_KEY))[2])
    assert len(last) == 2 and _kids(last[1]) == []
    assert [round(c.weight, 4) for c in last] == [round(2.5 / 4.5, 4), round(2 / 4.5, 4)]


def test_the_warning_counts_are_two_pairs(app):
    app.switch_page("app_pages/warnings.py").run()
    assert _rows_of_pairs(_block(app, f"{layout.CARDS_KEY}_warn_page")) == [
        [["预警数量", ":red[■] 红色预警"], [":orange[■] 橙色预警", ":yellow[■] 黄色预警"]]]


def test_the_cases_table_shows_id_region_and_dates_first_with_the_id_pinned(app):
    app.switch_page("app_pages/cases.py").run()
    table = app.dataframe[0].proto
    assert list(table.column_order[:6]) == ["case_id", "district", "township", "filed_on", "closed_on", "field"]
    assert json.loads(table.columns)["case_id"]["pinned"] is True
    assert "pinned" not in json.loads(table.columns)["district"]


def test_the_rectifications_table_shows_progress_and_due_date_after_the_region(app):
    app.switch_page("app_pages/rectifications.py").run()
    assert list(app.dataframe[0].proto.column_order[:5]) == [
        "item_id", "district", "township", "progress_pct", "due_on"]


def test_the_warning_list_shows_id_level_days_and_district_first(app):
    app.switch_page("app_pages/warnings.py").run()
    table = app.dataframe(key="warn_table").proto
    assert list(table.column_order[:4]) == ["record_id", "level", "days", "district"]
    assert json.loads(table.columns)["record_id"]["pinned"] is True


def test_the_table_order_keeps_every_chosen_column_once_and_only_those():
    chosen = ["district", "township", "village", "item_id", "region_code", "project", "description", "due_on"]
    assert components_details.column_order("rectifications", chosen) == [
        "item_id", "district", "township", "due_on", "project", "village", "region_code", "description"]


def test_a_key_column_left_out_in_the_chooser_stays_out():
    assert components_details.column_order("complaints", ["channel", "complaint_id", "closed_on"]) == [
        "complaint_id", "closed_on", "channel"]
