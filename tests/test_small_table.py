"""Static tables: every ledger value reaches st.table's markdown as literal text."""
import polars as pl
from polars.testing import assert_frame_equal

from dashboard import fmt
from dashboard import small_table as T


def test_values_and_headers_are_escaped_markdown_and_a_markup_is_kept():
    df = pl.DataFrame({"who": ["[点我](http://x.example)", "<b>甲</b>", None], "lv": ["红", "橙", "黄"]})
    got = T.cells(df, {"who": ("单位*", T.text), "lv": ("等级", lambda v: T.Markup(f":red[■] {v}"))})
    expected = pl.DataFrame({"单位\\*": ["\\[点我\\]\\(http\u2060\\:\\/\\/x\\.example\\)", "\\<b\\>甲\\<\\/b\\>", "—"],
                             "等级": [":red[■] 红", ":red[■] 橙", ":red[■] 黄"]})
    assert_frame_equal(got, expected)


def test_counts_have_thousands_separators_and_changes_their_sign():
    df = pl.DataFrame({"n": [12345, 0, None], "d": [2, -3, 0]})
    got = T.cells(df, {"n": ("件数", fmt.count), "d": ("较上月", T.signed)})
    assert got.to_dict(as_series=False) == {"件数": ["12\\,345", "0", "—"], "较上月": ["\\+2", "−3", "0"]}
