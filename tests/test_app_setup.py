"""The app on a store that is not set up: an `init`-ed empty store tells each role its next
step instead of an empty cockpit, and every page renders, on it and on a store holding only its
region ledger ("本期无数据" states)."""
from __future__ import annotations

import pytest

from dashboard.cli import main
from queries import store
from queries.schema import Tables
from tests import fixtures as fx
from tests.apptest import signed_in

STAFF_PAGES = ("app_pages/overview.py", "app_pages/map.py", "app_pages/trends.py", "app_pages/warnings.py",
               "app_pages/briefing.py", "app_pages/cases.py", "app_pages/complaints.py",
               "app_pages/rectifications.py", "app_pages/data_admin.py")


@pytest.fixture()
def empty(tmp_path, monkeypatch, capsys) -> str:
    url = f"sqlite:///{tmp_path}/empty.db"
    assert main(["init", "--db", url, "--admin", "chief"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


@pytest.fixture()
def regions_only(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path}/regions.db"
    store.replace_all(url, Tables.from_dicts(regions=fx.REGIONS), None, dataset=store.LEDGERS)
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def _infos(at) -> list[str]:
    return [i.value for i in at.info]


def test_empty_store_stays_empty_when_the_app_starts(empty):
    at = signed_in("staff")
    at.run()
    assert not at.exception
    assert store.load_tables(empty).regions.height == 0 and store.get_meta(empty, "dataset") == store.LEDGERS


def test_empty_store_tells_city_staff_to_import_regions_boundaries_ledgers(empty):
    at = signed_in("staff")
    at.run()
    assert any(i.startswith("库中尚无数据。请在“数据管理”中按以下顺序导入") for i in _infos(at))
    steps = [m.value for m in at.markdown if m.value[:2] in ("1.", "2.", "3.")]
    assert [s[:9] for s in steps] == ["1. **导入区划", "2. **导入边界", "3. **导入台账"]
    assert len(at.get("download_button")) == 7  # the seven ledger templates (persons and link events too)
    assert not at.metric  # no cockpit cards


def test_empty_store_tells_a_leader_to_ask_the_staff(empty):
    at = signed_in("leader")
    at.run()
    assert not at.exception and _infos(at) == ["尚无数据，请联系工作人员导入台账。"]


def test_empty_store_tells_township_staff_to_wait(empty):
    at = signed_in("staff", region=fx.TOWN_A1)
    at.run()
    assert not at.exception and "尚无数据，请联系工作人员导入台账。" in _infos(at)


def test_empty_store_tells_the_sysadmin_to_create_accounts(empty):
    at = signed_in("sysadmin")
    at.run()
    assert not at.exception
    assert any(i.startswith("库中尚无数据。下一步：创建账户") for i in _infos(at))
    assert at.title[0].value == "账户管理"


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_every_staff_page_renders_on_an_empty_store(empty, page):
    at = signed_in("staff")
    at.run()
    at.switch_page(page).run()
    assert not at.exception, page


@pytest.mark.parametrize(("role", "page"), [("sysadmin", "app_pages/accounts.py"), ("auditor", "app_pages/audit_log.py")])
def test_admin_pages_render_on_an_empty_store(empty, role, page):
    at = signed_in(role)
    at.run()
    at.switch_page(page).run()
    assert not at.exception and at.title


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_every_staff_page_renders_on_a_regions_only_store(regions_only, page):
    at = signed_in("staff")
    at.run()
    at.switch_page(page).run()
    assert not at.exception, page


def test_regions_only_overview_says_no_data_for_the_period(regions_only):
    at = signed_in("staff")
    at.run()
    assert any("本期无数据" in i for i in _infos(at))
