"""Real ledgers imported into the first-run demo store end its demo status: the store becomes
"mixed", OVERSIGHT_DEMO_AUTOLOGIN stops signing anyone in, and the badge says 含演示数据."""
from __future__ import annotations

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.cli import main
from dashboard.demo import write_demo
from queries import store
from tests.apptest import APP, RUN_TIMEOUT_S, signed_in


@pytest.fixture()
def demo_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/demo.db"
    write_demo(url, scale=0.02, seed=1)
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return url


def _import_a_real_ledger(tmp_path, url: str) -> None:
    code = store.load_tables(url).regions.filter(pl.col("level") == "village")["code"][0]
    p = tmp_path / "案件台账.csv"
    p.write_text(f"案件编号,区划代码,立案日期\nREAL-1,{code},2024-03-01\n", encoding="utf-8")
    assert main(["import", str(p), "--db", url]) == 0


def _badges(at: AppTest) -> list[str]:
    """The badges over the page (st.badge is markdown: `:orange-badge[:material/science: 演示数据]`)."""
    return [m.value.split("]")[0].split(" ", 1)[-1] for m in at.markdown if m.value.startswith(":orange-badge[")]


def test_autologin_stops_once_real_ledgers_are_imported_into_the_demo(demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DEMO_AUTOLOGIN", "township_staff")
    assert AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run().session_state["account"].username == "township_staff"
    _import_a_real_ledger(tmp_path, demo_url)
    assert store.get_meta(demo_url, "dataset") == "mixed"
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    assert "account" not in at.session_state and len(at.metric) == 0


def test_the_badge_says_demo_then_includes_demo_after_an_import(demo_url, tmp_path):
    assert _badges(signed_in("staff").run()) == ["演示数据"]
    _import_a_real_ledger(tmp_path, demo_url)
    assert _badges(signed_in("staff").run()) == ["含演示数据"]
