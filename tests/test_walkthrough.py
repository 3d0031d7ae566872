"""The README path "部署到本地区" walked through the CLI on files shaped like a real city's
(tests/fixtures_city.py): init → regions → ledgers → status, and a ledger imported before its
regions refused. (The boundary step, import-geo, joins this walk where it is documented.)"""
from __future__ import annotations

import json
import re
from datetime import date

import polars as pl
import pytest

from dashboard.cli import main
from queries import accounts, metrics, store
from queries.filters import Filters, Scope
from queries.metrics import KEY
from tests import fixtures_city as city

MARCH = Filters(date(2024, 3, 1), date(2024, 3, 31))
AS_OF = date(2024, 3, 31)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def status(capsys, url: str) -> dict:
    code, out, err = run(capsys, "status", "--db", url, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture()
def files(tmp_path):
    return city.region_ledger(tmp_path / "区划台账.xlsx"), city.records_ledger(tmp_path / "台账.xlsx")


def test_readme_deployment_path(tmp_path, files, capsys):
    regions_file, records_file = files
    url = f"sqlite:///{tmp_path}/city.db"

    code, out, _ = run(capsys, "init", "--db", url, "--admin", "chief")
    assert code == 0
    password = re.search(r"一次性密码：(\S+)", out).group(1)
    assert accounts.authenticate(store.engine_for(url), "chief", password).account.role == "sysadmin"
    s = status(capsys, url)
    assert (s["demo"], sum(s["rows"].values()), s["accounts"]) == (False, 0, 1)

    code, out, err = run(capsys, "import", str(regions_file), "--db", url)
    assert code == 0, err
    s = status(capsys, url)
    assert s["regions_by_level"] == city.REGIONS_BY_LEVEL
    assert s["label_points_missing"] == sum(city.REGIONS_BY_LEVEL.values())  # no 经度/纬度 in the ledger

    code, _, err = run(capsys, "import", str(records_file), "--db", url)
    assert code == 0, err
    s = status(capsys, url)
    assert (s["rows"]["cases"], s["rows"]["complaints"]) == (city.CASES_FILED, len(city.COMPLAINTS))
    assert s["demo"] is False

    tables = store.load_tables(url)
    regions = tables.regions
    assert regions.filter(pl.col("name") == "建江市")["level"].to_list() == ["district"]  # 县级市
    assert regions.filter(pl.col("name") == "江南区")["parent_code"].to_list() == [city.CITY]  # blank

    ranking = metrics.rollup(tables, MARCH, Scope(), AS_OF, ("cases_filed",))
    assert {n: v for n, v in ranking.select("name", "cases_filed").rows() if v} == city.CASES_BY_DISTRICT
    jiangbin = metrics.rollup(tables, Filters(MARCH.start, MARCH.end, region=city.JIANGBIN), Scope(), AS_OF,
                              ("cases_filed",))
    assert dict(jiangbin.select("name", "cases_filed").rows()) == city.CASES_IN_JIANGBIN
    assert jiangbin.filter(pl.col("name") == "江滨区本级")[KEY].to_list() == [city.JIANGBIN]


def test_ledgers_before_regions_are_refused_and_write_nothing(tmp_path, files, capsys):
    _, records_file = files
    url = f"sqlite:///{tmp_path}/city.db"
    run(capsys, "init", "--db", url, "--admin", "chief")
    code, _, err = run(capsys, "import", str(records_file), "--db", url)
    assert code == 2 and "区划代码不存在（请先导入区划）" in err
    assert err.strip().splitlines()[-1].startswith(f"发现 {city.CASES_FILED + len(city.COMPLAINTS)} 处问题")
    assert sum(status(capsys, url)["rows"].values()) == 0


def test_reimporting_the_region_ledger_changes_nothing(tmp_path, files, capsys):
    regions_file, _ = files
    url = f"sqlite:///{tmp_path}/city.db"
    run(capsys, "init", "--db", url, "--admin", "chief")
    run(capsys, "import", str(regions_file), "--db", url)
    before = store.load_tables(url).regions
    assert run(capsys, "import", str(regions_file), "--db", url)[0] == 0
    assert store.load_tables(url).regions.sort("code").equals(before.sort("code"))
