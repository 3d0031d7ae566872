"""The warning rules at their boundaries, on records built for each edge; config validation;
the boards; the CLI; the 督办 export; the page."""
from __future__ import annotations

import io
import json
from datetime import date, timedelta

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.cli import main
from dashboard.export_warnings import to_xlsx
from queries import boards, store
from queries import warnings as W
from queries.deadlines import add_working_days, with_deadlines
from queries.filters import Filters, Scope
from queries.schema import Tables
from queries.warnings_config import ConfigError, WarningConfig, load
from tests import fixtures as fx
from tests.apptest import open_tab, signed_in, table_rows

D = date
AS_OF = D(2024, 6, 30)
CFG = WarningConfig()
V = fx.V_A1a


def rect(item_id, started, due, progress=50.0, last=D(2024, 6, 29), completed=None, unit="甲一镇人民政府",
         region=V, project="三资整治"):
    return {"item_id": item_id, "region_code": region, "project": project, "responsible_unit": unit,
            "responsible_person": "张三", "started_on": started, "due_on": due, "progress_pct": progress,
            "last_update_on": last, "completed_on": completed}


RECTS = [
    rect("overdue_1d", D(2024, 1, 1), D(2024, 6, 29)),
    rect("due_today", D(2024, 1, 1), D(2024, 6, 30), progress=95),
    rect("due_in_15", D(2024, 1, 1), D(2024, 7, 15), progress=79),
    rect("due_in_15_at_80", D(2024, 1, 1), D(2024, 7, 15), progress=95),
    rect("due_in_16_low", D(2024, 6, 1), D(2024, 7, 16), progress=70),
    rect("lag_exactly_30", D(2024, 5, 1), D(2024, 8, 9), progress=30),
    rect("lag_29", D(2024, 5, 1), D(2024, 8, 9), progress=31),
    rect("stale_30d", D(2024, 1, 1), D(2024, 12, 31), progress=60, last=D(2024, 5, 31)),
    rect("stale_29d", D(2024, 1, 1), D(2024, 12, 31), progress=60, last=D(2024, 6, 1)),
    rect("done_yesterday", D(2024, 1, 1), D(2024, 6, 1), progress=100, completed=D(2024, 6, 29)),
    rect("completed_before_start", D(2024, 3, 1), D(2024, 9, 1), progress=100, completed=D(2024, 2, 25)),
    rect("report_after_done", D(2024, 1, 1), D(2024, 12, 1), progress=100, completed=D(2024, 6, 10)),
]
UPDATES = {"item_id": ["report_after_done", "report_after_done"],
           "reported_on": [D(2024, 6, 10), D(2024, 6, 20)], "progress_pct": [100.0, 90.0]}


def complaint(cid, received, due, closed=None, region=V, repeat=False):
    return {"complaint_id": cid, "region_code": region, "received_on": received, "due_on": due,
            "closed_on": closed, "is_repeat": repeat, "in_scope": True}


COMPLAINTS = [
    complaint("late_1d", D(2024, 6, 1), D(2024, 6, 29)),
    complaint("due_today", D(2024, 6, 1), D(2024, 6, 30)),
    complaint("due_in_3", D(2024, 6, 1), D(2024, 7, 3)),
    complaint("due_in_4", D(2024, 6, 1), D(2024, 7, 4)),
    complaint("closed_yesterday", D(2024, 6, 1), D(2024, 6, 20), closed=D(2024, 6, 29)),
    # Hot spot: three repeats in V within the 90 days ending at as_of (2 Apr – 30 Jun).
    *[complaint(f"rep_a{i}", d, d + timedelta(days=10), closed=d + timedelta(days=5), repeat=True)
      for i, d in enumerate([D(2024, 4, 2), D(2024, 5, 1), D(2024, 6, 20)])],
    # Not one: the first of three falls on 1 April, one day outside the window.
    *[complaint(f"rep_b{i}", d, d + timedelta(days=10), closed=d + timedelta(days=5), region=fx.V_B1a,
                repeat=True) for i, d in enumerate([D(2024, 4, 1), D(2024, 5, 1), D(2024, 6, 10)])],
]


def case(cid, filed, closed=None, revisit=None, feedback=None):
    return {"case_id": cid, "region_code": V, "unit_name": "东村村民委员会", "filed_on": filed,
            "closed_on": closed, "revisit_on": revisit, "feedback_on": feedback}


CASES = [
    case("open_180d", D(2024, 1, 2)),
    case("open_179d", D(2024, 1, 3)),
    case("closed_90d_no_revisit", D(2024, 1, 10), closed=D(2024, 4, 1)),
    case("closed_89d_no_revisit", D(2024, 1, 10), closed=D(2024, 4, 2)),
    case("closed_complete", D(2023, 12, 1), closed=D(2024, 1, 10), revisit=D(2024, 3, 1), feedback=D(2024, 3, 20)),
    case("closed_before_filed", D(2024, 3, 1), closed=D(2024, 2, 1), revisit=D(2024, 2, 15), feedback=D(2024, 2, 20)),
]


@pytest.fixture(scope="module")
def tables() -> Tables:
    return Tables.from_dicts(regions=fx.REGIONS, rectifications=pl.DataFrame(RECTS),
                             complaints=pl.DataFrame(COMPLAINTS), cases=pl.DataFrame(CASES),
                             progress_updates=UPDATES)


def run(tables, as_of=AS_OF, cfg=CFG, region=None, scope=Scope()):
    return W.evaluate(tables, Filters(as_of, as_of, region=region), scope, as_of, cfg)


def rules_of(warnings: pl.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rid, rule in warnings.select("record_id", "rule").iter_rows():
        out.setdefault(rid, []).append(rule)
    return out


def test_each_record_raises_exactly_the_expected_rules(tables):
    assert rules_of(run(tables)) == {
        "overdue_1d": ["R1"], "due_in_15": ["R2"], "lag_exactly_30": ["R3"], "stale_30d": ["R4"],
        "completed_before_start": ["P1"], "report_after_done": ["P1"],
        "late_1d": ["C1"], "due_today": ["C2"], "due_in_3": ["C2"], V: ["C3"],
        "open_180d": ["K1"], "closed_90d_no_revisit": ["K2"], "closed_before_filed": ["P1"]}


def test_r1_fires_one_day_past_due(tables):
    w = run(tables).filter(pl.col("record_id") == "overdue_1d")
    assert w.select("rule", "level", "days").rows() == [("R1", "红", 1)]


def test_r2_fires_exactly_n_days_before_due_below_the_threshold(tables):
    w = rules_of(run(tables))
    assert w["due_in_15"] == ["R2"]
    assert "due_in_15_at_80" not in w  # 95 % is not below 80 %
    assert "due_in_16_low" not in w  # 16 days left is outside the window


def test_r2_counts_the_due_date_itself_as_zero_days_left(tables):
    w = run(tables, cfg=WarningConfig(r2_progress_below=100)).filter(
        (pl.col("record_id") == "due_today") & (pl.col("record_type") == "rectification"))
    assert w.select("rule", "days").rows() == [("R2", 0)]


def test_r3_fires_at_exactly_the_lag_threshold(tables):
    w = run(tables)
    lag = w.filter(pl.col("record_id") == "lag_exactly_30")
    assert lag.select("rule", "lag_points").rows() == [("R3", 30.0)]
    assert w.filter(pl.col("record_id") == "lag_29").is_empty()


def test_r4_fires_after_exactly_d_days_without_an_update(tables):
    w = rules_of(run(tables))
    assert w["stale_30d"] == ["R4"] and "stale_29d" not in w


def test_an_item_completed_the_day_before_as_of_is_not_warned(tables):
    assert "done_yesterday" not in rules_of(run(tables))


def test_moving_as_of_forward_turns_orange_into_red(tables):
    later = run(tables, as_of=D(2024, 7, 16)).filter(pl.col("record_id") == "due_in_15")
    assert later.select("rule", "level", "days").rows() == [("R1", "红", 1)]


def test_most_severe_rule_is_kept_per_rectification(tables):
    w = run(tables)
    rect_rows = w.filter((pl.col("record_type") == "rectification") & (pl.col("rule") != "P1"))
    assert rect_rows["record_id"].is_duplicated().sum() == 0


def test_c1_and_c2_on_complaint_deadlines(tables):
    w = run(tables).filter(pl.col("record_type") == "complaint")
    assert w.select("record_id", "rule", "days").sort("record_id").rows() == [
        ("due_in_3", "C2", 3), ("due_today", "C2", 0), ("late_1d", "C1", 1)]


def test_c3_counts_repeats_within_the_window_per_village(tables):
    w = run(tables).filter(pl.col("rule") == "C3")
    assert w.select("record_id", "days").rows() == [(V, 3)]


def test_k1_fires_at_exactly_d_days_open(tables):
    w = rules_of(run(tables))
    assert w["open_180d"] == ["K1"] and "open_179d" not in w


def test_k2_fires_d_days_after_closing_without_revisit(tables):
    w = rules_of(run(tables))
    assert w["closed_90d_no_revisit"] == ["K2"]
    assert "closed_89d_no_revisit" not in w and "closed_complete" not in w


def test_p1_flags_dates_out_of_order(tables):
    p1 = run(tables).filter(pl.col("rule") == "P1")
    assert sorted(p1["record_id"].to_list()) == ["closed_before_filed", "completed_before_start", "report_after_done"]
    assert p1.filter(pl.col("record_id") == "report_after_done")["reason"].item().endswith("仅 90%")


def test_rows_carry_the_region_path_and_responsibility(tables):
    row = run(tables).filter(pl.col("record_id") == "overdue_1d").row(0, named=True)
    assert (row["district"], row["township"], row["village"]) == ("甲区", "甲一镇", "东村")
    assert (row["unit"], row["person"], row["project"]) == ("甲一镇人民政府", "张三", "三资整治")
    assert row["reason"].startswith("整改事项已超过完成时限 1 天")


def test_list_is_sorted_red_first_then_by_days(tables):
    rows = run(tables).select("level", "days", "record_id").rows()
    assert {lv for lv, _, _ in rows} == {"红", "橙", "黄"}  # every level, so the order means something
    most_days_first = sorted(rows, key=lambda r: (W.LEVEL_ORDER[r[0]], r[1] is None, -(r[1] or 0), r[2]))
    assert rows == most_days_first


def test_scope_limits_warnings(tables):
    assert run(tables, scope=Scope(fx.TOWN_B1)).filter(pl.col("rule") != "C3").is_empty()


def test_counts_cover_every_rule_and_level(tables):
    c = W.counts(run(tables))
    assert c["by_level"] == {"红": 2, "橙": 8, "黄": 3}
    assert set(c["by_rule"]) == set(W.RULES_INFO) and c["by_rule"]["K2"] == 1


# --- config ----------------------------------------------------------------------------------

def test_repo_config_loads_the_documented_defaults():
    assert load() == WarningConfig()


@pytest.mark.parametrize(("toml", "message"), [
    ("[R2]\ndays = -1\n", "R2.days"),
    ("[R2]\nprogress_below = 150\n", "R2.progress_below"),
    ("[R4]\ndays = \"30\"\n", "R4.days"),
    ("[R9]\ndays = 3\n", "R9.days"),
    ("[C3]\ncount = 2.5\n", "C3.count"),
    ("[R2\n", "格式错误"),
])
def test_bad_config_is_an_error_naming_the_key(tmp_path, toml, message):
    path = tmp_path / "w.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load(path)


def test_override_changes_only_the_given_keys(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text("[K1]\ndays = 120\n", encoding="utf-8")
    assert load(path) == WarningConfig(k1_days=120)


# --- deadlines -------------------------------------------------------------------------------

def test_working_days_skip_the_national_day_holiday():
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_working_days_count_a_make_up_sunday():
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)  # 调休: Sunday 28 Sep worked


def test_missing_due_dates_are_computed_and_given_ones_kept():
    t = Tables.from_dicts(complaints={"complaint_id": ["a", "b"], "region_code": [V, V],
                                      "received_on": [D(2025, 9, 30), D(2025, 9, 30)],
                                      "due_on": [None, D(2025, 9, 30)]})
    got = with_deadlines(t, WarningConfig(complaint_working_days=1)).complaints["due_on"].to_list()
    assert got == [D(2025, 10, 9), D(2025, 9, 30)]


# --- boards ----------------------------------------------------------------------------------

def test_slow_township_board_ranks_by_overdue_items(tables):
    extra = pl.DataFrame([rect("b_late", D(2024, 1, 1), D(2024, 5, 1), region=fx.V_B1a, unit="乙一乡人民政府"),
                          rect("b_late2", D(2024, 1, 1), D(2024, 5, 2), region=fx.V_B1a, unit="乙一乡人民政府")])
    t = Tables.from_dicts(regions=fx.REGIONS, rectifications=pl.concat([pl.DataFrame(RECTS), extra], how="diagonal"))
    board = boards.slow_townships(t, Filters(AS_OF, AS_OF), Scope(), AS_OF, CFG)
    assert board.select("rank", "township", "overdue").rows()[:2] == [(1, "乙一乡", 2), (2, "甲一镇", 1)]
    first = board.row(0, named=True)
    assert first["overdue_last_month"] == 2 and first["overdue_change"] == 0


def test_project_board_rates(tables):
    p = boards.project_board(tables, Filters(AS_OF, AS_OF), Scope(), AS_OF).row(0, named=True)
    # All 12 items started by as_of; 3 completed by then; only overdue_1d is overdue.
    assert (p["items"], p["completed"], p["overdue"]) == (12, 3, 1)
    assert p["completion_rate"] == pytest.approx(3 / 12) and p["lead_unit"] == "甲一镇人民政府"


# --- CLI, export, page -----------------------------------------------------------------------

def test_cli_json_lists_the_rows_and_counts(tmp_path, capsys, tables):
    url = f"sqlite:///{tmp_path}/w.db"
    store.replace_all(url, tables, None, dataset="ledger")
    assert main(["warnings", "--db", url, "--as-of", "2024-06-30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == len(out["warnings"]) == 13
    assert out["counts_by_level"] == {"红": 2, "橙": 8, "黄": 3}
    assert out["warnings"][0]["level"] == "红"


def test_cli_requires_as_of(capsys):
    assert main(["warnings", "--db", "sqlite:///nowhere.db", "--json"]) != 0
    assert "as-of" in capsys.readouterr().err


def test_export_is_a_follow_up_sheet_with_blank_columns(tables):
    w = run(tables)
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(w, title="甲区 预警督办单", account="张三（zs）",
                                                    as_of="2024-06-30")))
    ws = wb["督办单"]
    headers = [c.value for c in ws[3]]
    assert headers[0] == "序号" and headers[-2:] == ["督办意见", "反馈时限"] and "预警原因" in headers
    assert ws.max_row == 3 + w.height and ws.freeze_panes == "A4"
    assert ws.cell(4, headers.index("督办意见") + 1).value is None
    assert "张三" in ws.oddHeader.right.text


def test_export_without_person_column_for_roles_that_may_not_see_names(tables):
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(run(tables), title="t", account="a", as_of="x",
                                                    show_persons=False)))
    assert "责任人" not in [c.value for c in wb["督办单"][3]]


@pytest.fixture()
def page(tmp_path, monkeypatch, tables):
    url = f"sqlite:///{tmp_path}/w.db"
    store.replace_all(url, tables, None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("staff", params={"as_of": "2024-06-30"})
    at.run()
    at.switch_page("app_pages/warnings.py").run()
    return at


def test_page_shows_counts_by_level(page):
    cards = {m.label: m.value for m in page.metric}
    assert cards["预警数量"] == "13 件" and cards[":red[■] 红色预警"] == "2 件"


def test_page_draws_only_the_open_tab(page):
    assert [d.proto.id.rsplit("-", 1)[-1] for d in page.dataframe] == ["warn_table"]
    open_tab(page, "warn_tab.zh", "专项治理项目")
    [board] = page.dataframe  # the project board alone: the list is not drawn
    row = board.value.iloc[0]  # AppTest hands tables over as pandas
    # All 12 items of the one project started by 30 June; 3 completed by then, overdue_1d overdue.
    assert (row["lead_unit"], row["items"], row["completed"], row["overdue"]) == ("甲一镇人民政府", 12, 3, 1)


def test_page_filter_by_level_narrows_the_list(page):
    page.multiselect(key="warn_level").set_value(["红"]).run()
    assert page.dataframe(key="warn_table").value["record_id"].to_list() == ["late_1d", "overdue_1d"]


def test_page_filter_by_rule_narrows_the_list(page):
    page.multiselect(key="warn_rule").set_value(["C2"]).run()
    assert sorted(page.dataframe(key="warn_table").value["record_id"].to_list()) == ["due_in_3", "due_today"]


def test_leader_gets_no_export_button(tmp_path, monkeypatch, tables):
    url = f"sqlite:///{tmp_path}/w.db"
    store.replace_all(url, tables, None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={"as_of": "2024-06-30"}).run()
    at.switch_page("app_pages/warnings.py").run()
    assert len(at.get("download_button")) == 0
    staff = signed_in("staff", params={"as_of": "2024-06-30"}).run()
    staff.switch_page("app_pages/warnings.py").run()
    assert len(staff.get("download_button")) == 1


def test_overview_shows_the_main_warnings_grouped_by_rule_and_unit(tmp_path, monkeypatch, tables):
    url = f"sqlite:///{tmp_path}/w.db"
    store.replace_all(url, tables, None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={"as_of": "2024-06-30"}).run()
    top = table_rows(at, "等级")
    # Red first (late_1d by its township, a complaint has no unit; overdue_1d by its unit), then
    # the two-warning orange groups: P1 of 甲一镇人民政府 (10 and 5 days), C2 in 甲一镇 (0 and 3 days left).
    assert len(top) == 10
    assert [[r["规则"], r["责任单位 / 所在地"], r["预警数"], r["最严重"]] for r in top][:4] == [
        ["C1 信访逾期", "甲一镇", "1", "逾期 1 天"], ["R1 逾期未完成", "甲一镇人民政府", "1", "逾期 1 天"],
        ["P1 流程倒置", "甲一镇人民政府", "2", "倒置 10 天"], ["C2 信访临期", "甲一镇", "2", "仅剩 0 天"]]


# --- the demo ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_data():
    from dashboard.demo import generate

    return generate(scale=0.3, seed=7, end=D(2025, 12, 31))


def test_demo_slow_township_tops_the_board(demo_data):
    end = D(2025, 12, 31)
    board = boards.slow_townships(demo_data.tables, Filters(end, end), Scope(), end, CFG)
    assert board["code"][0] == demo_data.planted.slow_township


def test_demo_repeat_village_raises_c3(demo_data):
    end = D(2025, 12, 31)
    c3 = W.evaluate(demo_data.tables, Filters(end, end), Scope(), end, CFG, rules=("C3",))
    assert demo_data.planted.repeat_village in c3["record_id"].to_list()
    assert c3.sort("days", descending=True)["record_id"][0] == demo_data.planted.repeat_village


def test_a_past_as_of_reads_progress_as_it_stood_then():
    # The ledger says 90 % today, but on 30 June the last report (31 May) said 10 %.
    t = Tables.from_dicts(regions=fx.REGIONS, rectifications=pl.DataFrame([
        rect("history", D(2024, 1, 1), D(2024, 7, 10), progress=90.0, last=D(2024, 9, 1))]),
        progress_updates={"item_id": ["history"] * 3, "reported_on": [D(2024, 5, 31), D(2024, 8, 1), D(2024, 9, 1)],
                          "progress_pct": [10.0, 60.0, 90.0]})
    w = run(t).filter(pl.col("record_id") == "history")
    assert w.select("rule").rows() == [("R2",)]  # due in 10 days at 10 % (not 90 %)
    assert "进度 10%" in w["reason"].item()


def test_items_without_reports_keep_the_ledger_progress(tables):
    w = run(tables).filter(pl.col("record_id") == "due_in_15")
    assert "进度 79%" in w["reason"].item()


def _whole_tables(tables: Tables, as_of, cfg) -> dict[str, pl.DataFrame]:
    """The reference: every record is a candidate, as before the candidate sets existed."""
    return {"rect": W.rect_at(tables, as_of),
            "late": tables.progress_updates, "complaints": tables.complaints, "cases": tables.cases}


@pytest.mark.parametrize("as_of", [D(2025, 12, 31), D(2025, 6, 30), D(2024, 3, 15)])
def test_candidate_sets_give_the_same_warnings_as_the_whole_ledgers(demo_data, monkeypatch, as_of):
    t = demo_data.tables
    district = t.regions.filter(pl.col("level") == "district")["code"][1]
    township = t.regions.filter(pl.col("level") == "township")["code"][3]
    cfg = WarningConfig(c3_count=2, k2_days=30)
    cases = [(Filters(as_of, as_of), Scope(), CFG), (Filters(as_of, as_of, region=district), Scope(), CFG),
             (Filters(as_of, as_of, fields=("集体三资", "惠民惠农")), Scope(), cfg), (Filters(as_of, as_of), Scope(township), cfg)]
    fast = [W.evaluate(t, f, s, as_of, c) for f, s, c in cases]
    monkeypatch.setattr(W, "_candidates", _whole_tables)
    slow = [W.evaluate(Tables(**t.as_dict()), f, s, as_of, c) for f, s, c in cases]  # no shared memo
    for a, b in zip(fast, slow):
        assert a.height > 0
        assert_frame_equal(a.sort(pl.all()), b.sort(pl.all()))
    assert set(fast[0]["rule"]) >= {"R1", "C1", "K1", "K2", "P1"}


def test_warnings_of_a_region_are_the_city_warnings_inside_it(demo_data):
    t, end = demo_data.tables, D(2025, 12, 31)
    township = t.regions.filter(pl.col("level") == "township")["code"][5]
    city = W.evaluate(t, Filters(end, end), Scope(), end, CFG)
    inside = W.evaluate(t, Filters(end, end, region=township), Scope(), end, CFG)
    assert inside.height > 0 and set(inside["region_code"].str.slice(0, 9)) == {township[:9]}
    # The same rows as evaluating the region on its own, with nothing kept from the city.
    alone = W._evaluate(Tables(**t.as_dict()), Filters(date.min, date.max, region=township), Scope(), end, CFG)
    assert_frame_equal(inside.sort(pl.all()), alone.sort(pl.all()))
    assert city.height > inside.height


def test_a_jurisdiction_sees_only_its_warnings_from_the_kept_city_list(demo_data):
    t, end = demo_data.tables, D(2025, 12, 31)
    district = t.regions.filter(pl.col("level") == "district")["code"][2]
    W.evaluate(t, Filters(end, end), Scope(), end, CFG)
    scoped = W.evaluate(t, Filters(end, end), Scope(district), end, CFG)
    assert scoped.height > 0
    assert set(scoped["region_code"].str.slice(0, 6)) == {district[:6]}


def test_warnings_at_two_as_of_dates_do_not_share_a_memo_entry(demo_data):
    t = demo_data.tables
    a, b = D(2025, 12, 31), D(2025, 6, 30)
    first = W.evaluate(t, Filters(a, a), Scope(), a, CFG)
    W.evaluate(t, Filters(b, b), Scope(), b, CFG)
    fresh = Tables(**t.as_dict())
    assert_frame_equal(W.evaluate(t, Filters(a, a), Scope(), a, CFG), first)
    assert_frame_equal(W.evaluate(fresh, Filters(a, a), Scope(), a, CFG), first)


@pytest.fixture()
def board_tables():
    items = [{**rect("a", D(2024, 1, 1), D(2024, 12, 31), progress=20, unit="一单位", project="P"), "source": "巡察"},
             {**rect("b", D(2024, 6, 1), D(2024, 7, 1), progress=50, unit="二单位", project="P"), "source": "审计"},
             {**rect("c", D(2024, 1, 1), D(2024, 6, 30), completed=D(2024, 6, 10), unit="一单位", project="P",
                     region=fx.V_B1a), "source": "巡察"}]
    return Tables.from_dicts(regions=fx.REGIONS, rectifications=pl.DataFrame(items))


LAG_A = 181 / 365 * 100 - 20  # half the year gone, 20 % done
LAG_B = 29 / 30 * 100 - 50


@pytest.mark.parametrize(("filters", "expected"), [
    (Filters(AS_OF, AS_OF), (3, 1, pytest.approx((LAG_A + LAG_B) / 2))),
    (Filters(AS_OF, AS_OF, sources=("巡察",)), (2, 1, pytest.approx(LAG_A))),
    (Filters(AS_OF, AS_OF, region=fx.DIST_B), (1, 1, None)),
])
def test_project_board_averages_the_lag_of_open_items_within_the_filters(board_tables, filters, expected):
    p = boards.project_board(board_tables, filters, Scope(), AS_OF).row(0, named=True)
    assert (p["items"], p["completed"], p["avg_lag"]) == expected and p["lead_unit"] == "一单位"


def test_slow_unit_board_counts_each_units_items_within_the_filters(board_tables):
    board = boards.slow_units(board_tables, Filters(AS_OF, AS_OF, sources=("巡察",)), Scope(), AS_OF, CFG)
    assert board.select("unit", "items", "due").rows() == [("一单位", 2, 0)]


# --- reasons in English (dashboard.i18n.reason) ------------------------------------------------

def test_every_reason_template_has_an_english_text():
    import re
    from pathlib import Path

    from dashboard.i18n import REASON_EN

    source = (Path(__file__).resolve().parents[1] / "queries" / "warnings.py").read_text(encoding="utf-8")
    assert set(re.findall(r'_fmt\("([^"]+)"', source)) == set(REASON_EN)


def test_a_reason_reads_in_english_with_its_values():
    from dashboard.i18n import reason

    assert reason("整改事项已超过完成时限 16 天仍未完成（当前进度 40%）", "en") == \
        "16 days past the deadline, not completed (progress 40%)"
    assert reason("近 30 天内重复信访 3 件，最近一件收于 2024-03-05", "en") == \
        "3 repeat complaints within 30 days, the latest on 2024-03-05"


def test_step_names_inside_a_reason_are_translated():
    from dashboard.i18n import reason

    assert reason("案件审结已 400 天，“回访促建”环节尚未完成", "en") == "concluded 400 days ago, 'revisit' not done"
    assert reason("立案（2024-03-01）早于线索受理（2024-03-05）", "en") == \
        "filing (2024-03-01) is before clue received (2024-03-05)"


def test_chinese_reason_is_kept_as_written():
    from dashboard.i18n import reason

    assert reason("已 45 天未报送整改进度", "zh") == "已 45 天未报送整改进度"


def test_warnings_page_in_english_shows_english_reasons(tmp_path, monkeypatch):
    from queries import store
    from tests import fixtures as fx
    from tests.apptest import signed_in

    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-03-01", "2024-03-31"],
                                     "as_of": "2024-03-31", "lang": "English"})
    at.switch_page("app_pages/warnings.py").run()  # one run: opened in English by link
    reasons = at.dataframe(key="warn_table").value["reason"].to_list()
    # r2: due 15 Mar, open at 31 Mar with 40 % progress (R1).
    assert "16 days past the deadline, not completed (progress 40%)" in reasons
