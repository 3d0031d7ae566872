"""Money and counts as each language's readers expect them."""
from __future__ import annotations

import pytest

from dashboard import fmt


@pytest.mark.parametrize(("wan", "expected"), [
    (6.0, "6.00 万元"), (9_999.994, "9,999.99 万元"), (10_000, "1.00 亿元"), (459_800, "45.98 亿元"),
    (-12.5, "-12.50 万元"), (None, "—"),
])
def test_money_reads_in_wan_and_yi_in_chinese(wan, expected):
    assert fmt.money_wan(wan, "zh") == expected


@pytest.mark.parametrize(("wan", "expected"), [
    (6.0, "¥60,000"), (99.9, "¥999,000"), (100, "¥1.00 m"), (1_234.5, "¥12.35 m"),
    (459_800, "¥4.60 bn"), (None, "—"),
])
def test_money_reads_in_thousands_in_english(wan, expected):
    assert fmt.money_wan(wan, "en") == expected


def test_english_cards_show_money_in_yuan(tmp_path, monkeypatch):
    from queries import store
    from tests import fixtures as fx
    from tests.apptest import signed_in
    from tests.test_app_overview import MARCH_PARAMS, cards

    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    app = signed_in("staff", params={**MARCH_PARAMS, "lang": "English"})
    app.run()
    assert cards(app)["Funds recovered"] == "¥60,000"  # 6.00 万元
