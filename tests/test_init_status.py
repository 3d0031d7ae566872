"""`init` (an empty store that never gets the demo, and its first system administrator) and
`status` (what a store holds), through the CLI, with hand-counted values."""
from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from dashboard.cli import main
from queries import accounts, store
from queries.schema import Tables
from tests import fixtures as fx


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def test_init_creates_a_store_that_does_not_get_the_demo(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/new.db"
    code, _, err = run(capsys, "init", "--db", url, "--admin", "chief")
    assert code == 0, err
    assert store.needs_demo(url) is False and store.get_meta(url, "dataset") == store.LEDGERS
    assert store.load_tables(url).regions.height == 0


def test_a_store_nobody_set_up_still_gets_the_demo(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    store.init_schema(url)  # what the app does on its first start, before deciding
    assert store.needs_demo(url) is True


def test_init_prints_a_password_that_signs_in_as_sysadmin(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/new.db"
    _, out, _ = run(capsys, "init", "--db", url, "--admin", "chief")
    password = re.search(r"一次性密码：(\S+)", out).group(1)
    result = accounts.authenticate(store.engine_for(url), "chief", password)
    assert result.account is not None and result.account.role == "sysadmin"
    assert result.account.region_code is None
    assert result.account.must_change is True  # one-time: it must choose its own at first sign-in


def test_init_refuses_a_store_with_data_in_one_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/full.db"
    store.replace_all(url, fx.tables(), None, dataset="demo")
    code, out, err = run(capsys, "init", "--db", url, "--admin", "chief")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "已有数据或账户" in err
    assert accounts.get(store.engine_for(url), "chief") is None


def test_init_refuses_a_store_with_accounts_only(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/acct.db"
    assert run(capsys, "init", "--db", url, "--admin", "chief")[0] == 0
    code, _, err = run(capsys, "init", "--db", url, "--admin", "second")
    assert code == 2 and "已有数据或账户" in err
    assert accounts.get(store.engine_for(url), "second") is None


def test_init_with_a_bad_admin_name_fails_in_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "init", "--db", f"sqlite:///{tmp_path}/x.db", "--admin", "王 五")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "无法创建管理员账户" in err


def test_status_of_a_missing_store_fails_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "sub" / "none.db"
    code, out, err = run(capsys, "status", "--db", f"sqlite:///{path}", "--json")
    assert code == 2 and out == "" and "数据库不存在" in err
    assert not path.exists() and not path.parent.exists()


@pytest.fixture()
def counted(tmp_path) -> str:
    """The fixture city (1 city, 2 districts, 3 townships, 4 villages; 4 cases, 5 complaints,
    5 rectifications), label points on 3 regions, polygons for both districts and one
    township, two accounts."""
    url = f"sqlite:///{tmp_path}/c.db"
    regions = dict(fx.REGIONS, lon=[120.0, 120.1, 120.2] + [None] * 7, lat=[30.0, 30.1, 30.2] + [None] * 7)
    tables = Tables.from_dicts(regions=regions, cases=fx.CASES, complaints=fx.COMPLAINTS,
                               rectifications=fx.RECTIFICATIONS)
    store.replace_all(url, tables, None, dataset="demo")                      # version 1
    store.save_boundaries(url, {"type": "FeatureCollection", "features": [     # version 2
        {"type": "Feature", "properties": {"code": c}, "geometry": _square(i, 0)}
        for i, c in enumerate((fx.DIST_A, fx.DIST_B, fx.TOWN_A1))]})
    for name in ("alice", "bob"):
        accounts.create(store.engine_for(url), name, accounts.generate_password(), role="staff",
                        display_name=name, region_code=None)
    return url


def test_status_json_counts_what_the_store_holds(counted, capsys):
    code, out, _ = run(capsys, "status", "--db", counted, "--json")
    assert code == 0
    assert json.loads(out) == {
        "demo": True, "data_version": 2,
        "rows": {"regions": 10, "cases": 4, "complaints": 5, "rectifications": 5, "progress_updates": 0,
                 "persons": 0, "link_events": 0},
        "regions_by_level": {"city": 1, "district": 2, "township": 3, "village": 4},
        "boundaries_by_level": {"city": 0, "district": 2, "township": 1, "village": 0},
        # the boundary import gave the 7 regions without 经度/纬度 a point (polygon, children, parent)
        "label_points_missing": 0, "accounts": 2}


def test_status_counts_regions_without_a_label_point(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/np.db"
    regions = dict(fx.REGIONS, lon=[120.0, 120.1, 120.2] + [None] * 7, lat=[30.0, 30.1, 30.2] + [None] * 7)
    store.replace_all(url, Tables.from_dicts(regions=regions), None, dataset="ledgers")  # no boundaries
    _, out, _ = run(capsys, "status", "--db", url, "--json")
    assert json.loads(out)["label_points_missing"] == 7


def test_status_of_an_initialised_store(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/new.db"
    run(capsys, "init", "--db", url, "--admin", "chief")
    _, out, _ = run(capsys, "status", "--db", url, "--json")
    got = json.loads(out)
    assert (got["demo"], sum(got["rows"].values()), got["accounts"]) == (False, 0, 1)


def test_status_in_chinese_without_json(counted, capsys):
    code, out, _ = run(capsys, "status", "--db", counted)
    lines = out.splitlines()
    assert code == 0
    assert "区划：市 1 · 区县 2 · 乡镇（街道） 3 · 村（社区） 4" in lines
    assert "边界：市 0 · 区县 2 · 乡镇（街道） 1 · 村（社区） 0" in lines
    assert "缺少标注点（经度/纬度）的区划：0" in lines and "账户：2" in lines


def test_init_then_status_on_each_backend(db_url, capsys):
    assert run(capsys, "init", "--db", db_url, "--admin", "chief")[0] == 0
    store.upsert(db_url, {"regions": pl.DataFrame({"code": [fx.CITY, fx.DIST_A], "name": ["示例市", "甲区"],
                                                   "level": ["city", "district"], "parent_code": [None, fx.CITY]})})
    _, out, _ = run(capsys, "status", "--db", db_url, "--json")
    got = json.loads(out)
    assert (got["demo"], got["rows"]["regions"], got["regions_by_level"], got["label_points_missing"],
            got["accounts"]) == (False, 2, {"city": 1, "district": 1, "township": 0, "village": 0}, 2, 1)
    assert run(capsys, "init", "--db", db_url, "--admin", "again")[0] == 2
