"""From a file on disk to a grid of text cells: encoding, separator, sheets.

Every decision here is taken from the whole file (or an even sample of all of it), never
from its first lines: a preamble or a month of one kind of value says little about the rest.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: Separators a logger export uses, in the order preferred when two split the file equally
#: well (a semicolon file with decimal commas also splits on commas).
SEPARATORS = (";", "\t", ",")
#: Lines looked at to choose the separator: an even sample across the file.
SEPARATOR_SAMPLE_LINES = 4000

Grid = list[list[str]]
#: Rows at the top of a table that recognisers search for headers and labels.
HEAD_ROWS = 500


class LoggerFileError(ValueError):
    """The file cannot be read as a climate record; the message says why."""


@dataclass
class Sheet:
    """One table of cells of a file: the file itself for text, one sheet of a workbook."""

    name: str
    rows: Grid
    encoding: str
    separator: str
    #: Names of the other sheets of the workbook (empty for text files).
    others: list[str] = field(default_factory=list)


def decode(raw: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with. Byte-order marks decide first (UTF-8 BOM as
    Rotronic writes, UTF-16 as Excel and HOBOware write); then UTF-8; then cp1252, which
    Windows logger software writes (latin-1 where a byte is undefined in cp1252)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    if len(raw) >= 4 and raw[1:4:2] == b"\x00\x00" and raw[0:4:2] != b"\x00\x00":
        return raw.decode("utf-16-le", errors="replace"), "utf-16-le"
    if b"\x00" in raw[:4096]:
        raise LoggerFileError("the file holds binary data, not text or a workbook")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _fields(line: str, separator: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=separator)))
    except (csv.Error, StopIteration):
        return 0


def choose_separator(lines: list[str]) -> str:
    """The separator that splits most lines of an even sample into the same number (≥ 2)
    of fields."""
    filled = [line for line in lines if line.strip()]
    if not filled:
        raise LoggerFileError("the file is empty")
    step = max(1, len(filled) // SEPARATOR_SAMPLE_LINES)
    sample = filled[::step]
    scores: dict[str, float] = {}
    for separator in SEPARATORS:
        counts: dict[int, int] = {}
        for line in sample:
            n = _fields(line, separator) if separator in line else 1
            counts[n] = counts.get(n, 0) + 1
        mode = max((n for n in counts if n >= 2), key=lambda n: counts[n], default=None)
        scores[separator] = counts[mode] / len(sample) if mode is not None else 0.0
    best = max(scores.values())
    if best == 0.0:
        return ","  # one column: nothing splits, any separator reads it
    return next(s for s in SEPARATORS if scores[s] >= 0.9 * best)


def text_sheet(name: str, text: str, encoding: str) -> Sheet:
    lines = text.splitlines()
    separator = choose_separator(lines)
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=separator, skipinitialspace=True))
    except csv.Error as error:
        raise LoggerFileError(f"the file cannot be split into columns ({error})") from None
    _resplit_head(rows, separator)
    # Recognisers read the head of the file cell by cell: strip it here; the normaliser
    # strips the (long) data columns it uses, vectorised.
    for row in rows[:HEAD_ROWS]:
        row[:] = [cell.strip() for cell in row]
    return Sheet(name, rows, encoding, separator)


def _resplit_head(rows: Grid, separator: str) -> None:
    """Split again the head rows that one separator left whole but another splits into as
    many cells as the table has: a header typed with commas above tab-separated rows with
    decimal commas (``Date,Time,Temp,RH`` over ``01.02.2024\t10:00\t21,5\t45,2``)."""
    counts = Counter(len(row) for row in rows if len(row) >= 2)
    if not counts:
        return
    width = counts.most_common(1)[0][0]
    for number, row in enumerate(rows[:HEAD_ROWS]):
        if len(row) != 1:
            continue
        for other in SEPARATORS:
            if other != separator and other in row[0]:
                try:
                    cells = next(csv.reader([row[0]], delimiter=other))
                except (csv.Error, StopIteration):  # a quoted cell holding a line break
                    continue
                if len(cells) == width:
                    rows[number] = cells
                    break


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value).strip()


def workbook_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook as text cells (numbers written exactly, dates in ISO 8601)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise LoggerFileError(f"the workbook cannot be opened ({type(error).__name__}: {error})") from None
    sheets = []
    try:
        names = list(book.sheetnames)
        for name in names:
            rows = [[_cell(v) for v in row] for row in book[name].iter_rows(values_only=True)]
            sheets.append(Sheet(name, rows, "xlsx", "", [n for n in names if n != name]))
    finally:
        book.close()
    return sheets


def read_sheets(path: Path) -> list[Sheet]:
    """The tables of a file: one for a text export, one per sheet for a workbook."""
    if not path.is_file():
        raise LoggerFileError("no such file")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return workbook_sheets(path)
    text, encoding = decode(path.read_bytes())
    return [text_sheet(path.name, text, encoding)]
