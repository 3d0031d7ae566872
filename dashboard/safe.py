"""The one place where a value that came from data (a ledger, an upload, the database, a GeoJSON
file, the URL, an account name) is made safe to put next to markup.

Streamlit renders two kinds of markup: HTML (st.html, `unsafe_allow_html`, deck.gl tooltips) and
its own markdown (st.markdown, st.caption, st.info/…, widget labels, headers). Its markdown is
more than CommonMark: `:red[…]` colours, `:material/…:` icons, `$…$` LaTeX, links and images
that make the browser fetch an outside host. A ledger value must never become any of those, so:

- `html(v)` for values inside fixed HTML markup,
- `plot(v)` for values in plotly texts (plotly reads them as HTML),
- `md(v)` for values inside a markdown string (every ASCII punctuation character is
  backslash-escaped — CommonMark allows that for all of them — so no markdown, directive,
  LaTeX, link, image, emoji/icon short code or HTML tag can start, and a word joiner keeps
  addresses from becoming autolinks; the text reads the same).

Text that needs no markup at all goes through st.text instead.
"""
from __future__ import annotations

import html as _html
import re

# Every ASCII punctuation character: CommonMark lets any of them be backslash-escaped, and an
# escaped one is always literal text.
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
# Line breaks would end a list item or a heading and start new markdown blocks.
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GitHub-style autolinks are found in the text *after* escapes are resolved (an escaped
# `http\://x` still becomes a link): an invisible word joiner (U+2060) keeps "http://", "www."
# and "name@host" from reading as an address.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=ftp)(?=:)|(?<=www)(?=\.)|(?=@)")


def html(value: object) -> str:
    """`value` as HTML text: `& < > " '` become entities (safe inside elements and quoted
    attributes)."""
    return _html.escape("" if value is None else str(value), quote=True)


def plot(value: object) -> str:
    """`value` inside a plotly text, which plotly reads as HTML (hover templates, labels):
    `& < >` become entities, which plotly shows as the same text. (The deck.gl tooltip
    escapes its values itself; escaping them again would show the entities.)"""
    return _html.escape("" if value is None else str(value), quote=False)


def md(value: object) -> str:
    """`value` as literal text inside Streamlit markdown (one line)."""
    text = _BREAKS.sub(" ", "" if value is None else str(value))
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, text))
