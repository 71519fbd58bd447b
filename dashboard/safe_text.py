"""Text from users and from the config, shown as text on Streamlit's pages.

Streamlit renders titles, headers, captions, Markdown tiles, link labels and the cells of
``st.table`` as Markdown: a note holding ``![x](http://host/img.png)`` made every
reader's browser fetch that address, and a case named ``**A**`` showed in bold.
:func:`text` backslash-escapes what could start Markdown syntax (CommonMark 0.31,
section 2.4 "Backslash escapes": an escaped punctuation character is shown as itself),
so the reader sees exactly what was written and nothing is interpreted:

- always: ``\\ ` * [ ] < > ~ $ |`` (code, emphasis, links and images, autolinks and
  HTML, strikethrough, formulas, tables; Streamlit's ``:color[...]`` needs ``[``);
- ``_`` unless inside a word (CommonMark never emphasises with an intraword ``_``);
- at the start of a line, ``#``, ``-``, ``+``, ``=`` and the ``.`` or ``)`` of ``1.``
  (headings, lists).

Plain ids and notes (``C1.rh_high.A``, ``Dehumidifier emptied at 07:40``) come out
unchanged. Line breaks become Markdown hard breaks, so a note on several lines keeps
them; :func:`line` makes one line for titles, labels and table cells.
"""

from __future__ import annotations

import re

import pandas as pd

_ALWAYS = re.compile(r"([\\`*\[\]<>~$|])")
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_LINE_START = re.compile(r"^(\s*)([#\-+=]|\d+[.)])", re.MULTILINE)


def _escape(value: str) -> str:
    escaped = _UNDERSCORE.sub(r"\\_", _ALWAYS.sub(r"\\\1", value))
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def text(value: object) -> str:
    """``value`` as Markdown that shows it literally, line breaks kept."""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join(_escape(part) for part in lines)


def line(value: object) -> str:
    """``value`` as literal Markdown on one line (line breaks shown as spaces)."""
    return _escape(" ".join(str(value).splitlines()))


def column(values: pd.Series) -> pd.Series:
    """A table column of literal text (missing values as empty cells)."""
    return values.fillna("").map(line)
