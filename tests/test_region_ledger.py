"""The region ledger (区划) as real commissions write it: every level word of docs/ledgers.md, the
level and parent read from the code where the ledger leaves them blank, an unknown word refused
on its row, and a re-import that updates what the new file says and keeps what it does not."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from queries import ingest, store
from queries.schema import empty_frame

TODAY = date(2026, 12, 3)  # the day the import runs: dates after it are refused

DISTRICT_WORDS = ("区", "县", "市辖区", "县级市", "自治县", "旗", "自治旗", "林区", "特区", "区县", "district")
TOWNSHIP_WORDS = ("街道", "镇", "乡", "民族乡", "苏木", "民族苏木", "地区办事处", "乡镇", "township")
VILLAGE_WORDS = ("村", "社区", "村委会", "居委会", "社区居委会", "嘎查", "village")
CITY_WORDS = ("市", "地级市", "地区", "自治州", "盟", "city")


def _csv(rows: list[tuple]) -> bytes:
    lines = ["区划代码,名称,层级,上级代码"] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _levels(rows: list[tuple]) -> tuple[list[str | None], list[str]]:
    result = ingest.ingest([("区划.csv", _csv(rows))], empty_frame("regions"), today=TODAY)
    levels = result.frames["regions"]["level"].to_list() if "regions" in result.frames else []
    return levels, [p.line() for p in result.problems]


@pytest.mark.parametrize("word", DISTRICT_WORDS)
def test_district_level_words_read_as_district(word):
    levels, problems = _levels([("330100", "杭州市", "市", None), ("330182", "建德市", word, "330100")])
    assert problems == [] and levels == ["city", "district"]


@pytest.mark.parametrize("word", TOWNSHIP_WORDS)
def test_township_level_words_read_as_township(word):
    levels, problems = _levels([("330109001", "城厢街道", word, "330109")])
    assert problems == [] and levels == ["township"]


@pytest.mark.parametrize("word", VILLAGE_WORDS)
def test_village_level_words_read_as_village(word):
    levels, problems = _levels([("330109001001", "某社区", word, "330109001")])
    assert problems == [] and levels == ["village"]


@pytest.mark.parametrize("word", CITY_WORDS)
def test_city_level_words_read_as_city(word):
    levels, problems = _levels([("330100", "杭州市", word, None)])
    assert problems == [] and levels == ["city"]


def test_blank_level_is_read_from_the_code():
    levels, problems = _levels([("330100000000", "杭州市", None, None), ("330109000000", "萧山区", None, None),
                                ("330109001000", "城厢街道", " ", None), ("330109001001", "某村", None, None)])
    assert problems == [] and levels == ["city", "district", "township", "village"]


def test_absent_level_column_is_read_from_the_code():
    data = "区划代码,名称\n330100,杭州市\n330109,萧山区\n330109001,城厢街道\n330109001001,某村\n".encode()
    result = ingest.ingest([("区划.csv", data)], empty_frame("regions"), today=TODAY)
    assert result.ok and result.frames["regions"]["level"].to_list() == ["city", "district", "township", "village"]


def test_blank_parent_is_read_from_the_code():
    rows = [("330100", "杭州市", "市", None), ("330109", "萧山区", "区", None),
            ("330109001", "城厢街道", "街道", None), ("330109001001", "某村", "村", None)]
    result = ingest.ingest([("区划.csv", _csv(rows))], empty_frame("regions"), today=TODAY)
    assert result.frames["regions"]["parent_code"].to_list() == [None, "330100000000", "330109000000",
                                                                  "330109001000"]


def test_unknown_level_word_is_an_error_on_its_row():
    levels, problems = _levels([("330100", "杭州市", "市", None), ("330109", "萧山区", "大区", "330100")])
    assert problems == ["区划.csv · 第3行 · 层级 · 大区 · 无法识别的层级（应为 市/区/县/县级市/街道/镇/乡/村/社区 等）"]


def test_unknown_level_word_writes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path}/t.db"
    store.init_schema(url)
    result = ingest.ingest([("区划.csv", _csv([("330100", "杭州市", "市", None), ("330182", "建德市", "县级县", None)]))],
                           store.load_tables(url).regions, today=TODAY)
    assert not result.ok and store.load_tables(url).regions.height == 0


def test_reimport_updates_names_populations_and_key_watch(tmp_path):
    url = f"sqlite:///{tmp_path}/t.db"
    first = "区划代码,名称,层级,人口,提级监督\n330100,杭州市,市,100,否\n330109001001,某村,村,800,否\n".encode()
    second = "区划代码,名称,层级,人口,提级监督\n330100,杭州市,市,100,否\n330109001001,新某村,村委会,950,是\n".encode()
    store.init_schema(url)
    for data in (first, second):
        result = ingest.ingest([("区划.csv", data)], store.load_tables(url).regions, today=TODAY)
        assert result.ok
        store.upsert(url, result.frames)
    row = store.load_tables(url).regions.filter(pl.col("code") == "330109001001").row(0, named=True)
    assert (row["name"], row["population"], row["key_watch"]) == ("新某村", 950, True)


def test_reimport_without_coordinates_keeps_the_label_points(tmp_path):
    url = f"sqlite:///{tmp_path}/t.db"
    first = "区划代码,名称,层级,经度,纬度,人口\n330100,杭州市,市,120.2,30.3,100\n".encode()
    second = "区划代码,名称,层级\n330100,杭州市(新),市\n".encode()
    store.init_schema(url)
    for data in (first, second):
        result = ingest.ingest([("区划.csv", data)], store.load_tables(url).regions, today=TODAY)
        assert result.ok
        store.upsert(url, result.frames)
    row = store.load_tables(url).regions.row(0, named=True)
    assert (row["name"], row["lon"], row["lat"], row["population"]) == ("杭州市(新)", 120.2, 30.3, 100)
