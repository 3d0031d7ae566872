"""A store that cannot be written (read-only, disk full) gives one clear line on the CLI and on
the 数据管理 page, never a traceback, and nothing half-written: the import is one transaction.

Tests run as root in CI, where file modes do not stop a write, so the store is made read-only
or full from inside the database: SQLite's `PRAGMA query_only` and `max_page_count` (its own
"database or disk is full"), PostgreSQL's `default_transaction_read_only`."""
from __future__ import annotations

import errno

import polars as pl
import pytest
import sqlalchemy as sa

from dashboard.cli import main
from queries import audit, store
from tests import fixtures as fx
from tests.apptest import signed_in


def _on_connect(url: str, *statements: str) -> None:
    """Run `statements` on every new connection of the app's engine for `url` (pool emptied)."""
    eng = store.engine_for(url)

    def run(dbapi_conn, _record):  # noqa: ANN001
        cur = dbapi_conn.cursor()
        for sql in statements:
            cur.execute(sql)
        cur.close()
        if eng.dialect.name == "postgresql":
            dbapi_conn.commit()

    sa.event.listen(eng, "connect", run)
    eng.dispose()


def read_only(url: str) -> None:
    if store.is_sqlite(url):
        _on_connect(url, "PRAGMA query_only = ON")
    else:
        _on_connect(url, "SET default_transaction_read_only = on")


def disk_full(url: str) -> None:
    """SQLite may not grow the file by a page: the next write that needs one fails as a full disk does."""
    with store.engine_for(url).connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    _on_connect(url, f"PRAGMA max_page_count = {pages}")


@pytest.fixture()
def url(db_url):
    store.replace_all(db_url, fx.tables(), None, dataset="ledger")
    yield db_url
    eng = store.engine_for(db_url)
    store._ENGINES.pop(db_url, None)  # the next test gets an engine without our listener
    eng.dispose()


def _contents(url: str) -> dict:
    t = store.load_tables(url)
    return {name: frame.sort(frame.columns[0]).rows() for name, frame in t.as_dict().items()}


def _many_cases(n: int) -> pl.DataFrame:
    return pl.DataFrame({"case_id": [f"n{i}" for i in range(n)], "region_code": [fx.V_A1a] * n,
                         "unit_name": ["某单位" * 20] * n})


def test_an_upsert_into_a_read_only_store_is_refused_with_one_line(url):
    before = _contents(url)
    read_only(url)
    with pytest.raises(store.StoreError, match="^数据库只读，未写入任何数据$"):
        store.upsert(url, {"cases": _many_cases(3)})
    assert _contents(url) == before


def test_a_streamed_import_into_a_read_only_store_is_refused_with_one_line(url):
    read_only(url)
    with pytest.raises(store.StoreError, match="^数据库只读，未写入任何数据$"):
        store.upsert_batches(url, "cases", iter([_many_cases(3)]))


def test_a_write_that_fills_the_disk_half_way_leaves_nothing_written(tmp_path):
    url = f"sqlite:///{tmp_path}/full.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    before = _contents(url)
    disk_full(url)
    try:
        with pytest.raises(store.StoreError, match="^磁盘空间不足"):
            store.upsert(url, {"cases": _many_cases(30_000)})  # two chunks: the first one fits nowhere
        assert _contents(url) == before
    finally:
        store._ENGINES.pop(url).dispose()


def test_an_os_level_no_space_error_is_a_full_disk(url, monkeypatch):
    def no_space(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "_execute_upsert", no_space)
    with pytest.raises(store.StoreError, match="^磁盘空间不足"):
        store.upsert(url, {"cases": _many_cases(1)})


def test_cli_import_into_a_read_only_store_prints_one_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/ro.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    before = _contents(url)
    read_only(url)
    p = tmp_path / "案件.csv"
    p.write_text(f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},2024-03-01\n", encoding="utf-8")
    try:
        code = main(["import", str(p), "--db", url])
        out, err = capsys.readouterr()
        assert (code, err) == (2, "数据库只读，未写入任何数据\n")
        assert _contents(url) == before
    finally:
        store._ENGINES.pop(url).dispose()


def test_cli_import_with_problems_into_a_read_only_store_prints_no_traceback(tmp_path, capsys):
    """Even the failure's audit row cannot be written: still one line, no traceback."""
    url = f"sqlite:///{tmp_path}/ro.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    read_only(url)
    p = tmp_path / "案件.csv"
    p.write_text(f"案件编号,区划代码,立案日期\nN1,{fx.V_A1a},not a date\n", encoding="utf-8")
    try:
        code = main(["import", str(p), "--db", url])
        _, err = capsys.readouterr()
        assert code == 2 and err.endswith("数据库只读，未写入任何数据\n") and "Traceback" not in err
    finally:
        store._ENGINES.pop(url).dispose()


@pytest.fixture()
def page_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/page.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    yield url
    _fresh_engine(url)


def _fresh_engine(url: str) -> None:
    """Drop the engine with the test's listener: what follows sees the store as it is."""
    eng = store._ENGINES.pop(url, None)
    if eng is not None:
        eng.dispose()


@pytest.mark.parametrize("make, line", [(read_only, "数据库只读，未写入任何数据"), (disk_full, "磁盘空间不足")])
def test_page_import_into_an_unwritable_store_shows_one_line(page_url, make, line):
    at = signed_in("staff").run()
    at.switch_page("app_pages/data_admin.py").run()
    rows = "".join(f"N{i},{fx.V_A1a},2024-03-01,{'某单位' * 30}\n" for i in range(3000))
    at.file_uploader(key="data_upload").upload("案件.csv", ("案件编号,区划代码,立案日期,单位\n" + rows).encode()).run()
    assert any("校验通过" in s.value for s in at.success)
    before = _contents(page_url)
    make(page_url)
    at.button(key="data_confirm").click().run()
    assert not at.exception
    assert [e.value for e in at.error if e.value.startswith(line)]
    _fresh_engine(page_url)
    assert _contents(page_url) == before
    assert "success" not in audit.read(store.engine_for(page_url))["outcome"].to_list()
