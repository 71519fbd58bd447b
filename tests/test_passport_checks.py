"""A passport's values held to the rules live readings meet, and its members capped in size
before they are read (issue 27; museum/loans/passport_checks.py)."""

from __future__ import annotations

import csv
import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from museum.loans.moves import move_events, recorded_hours
from museum.loans.passport import PassportError, read_passport
from museum.loans.passport_checks import PassportCheckError, read_member
from tests.test_passport import BORROWER, LENDER, T0, Museum, iso, museums, rewrite

__all__ = ["museums"]  # the fixture, shared with tests/test_passport.py

#: climate.csv's columns, by name.
COLUMNS = (
    ["time", "museum", "site", "case_id", "source"]
    + [f"{quantity}_{stat}" for quantity in ("temperature_c", "rh_pct") for stat in ("mean", "min", "max")]
    + ["readings"]
)


def exported(lender: Museum, tmp_path: Path) -> Path:
    lender.seed("C1", ["s1"], T0, 6, 40.0)
    out = tmp_path / "p.zip"
    result = lender.patina(
        "passport",
        "export",
        "DBP-1",
        "--out",
        str(out),
        "--start",
        iso(T0),
        "--end",
        iso(T0 + timedelta(hours=6)),
    )
    assert result.exit_code == 0, result.output
    return out


def edit_climate(change: Callable[[list[list[str]]], None]) -> Callable[[dict[str, bytes]], None]:
    """A rewrite of climate.csv's rows (header excluded) by ``change``."""

    def apply(files: dict[str, bytes]) -> None:
        rows = list(csv.reader(io.StringIO(files["climate.csv"].decode())))
        body = rows[1:]
        change(body)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([rows[0], *body])
        files["climate.csv"] = buffer.getvalue().encode()

    return apply


def set_cell(row: int, column: str, value: str) -> Callable[[list[list[str]]], None]:
    def change(body: list[list[str]]) -> None:
        body[row][COLUMNS.index(column)] = value

    return change


def duplicate_hour(body: list[list[str]]) -> None:
    body.insert(2, list(body[1]))


def swap_hours(body: list[list[str]]) -> None:
    body[1], body[2] = body[2], body[1]


# (what, the change, what the refusal must name): each passport restates correct digests,
# as a partner's buggy exporter would, so only the values can refuse it.
HOSTILE = [
    ("RH 950 %", set_cell(1, "rh_pct_max", "950.0"), "line 3: rh_pct_max 950 %"),
    ("RH -40 %", set_cell(2, "rh_pct_min", "-40.0"), "line 4: rh_pct_min -40 %"),
    ("T 900 °C", set_cell(0, "temperature_c_mean", "900.0"), "line 2: temperature_c_mean 900 °C"),
    ("min above mean", set_cell(3, "rh_pct_min", "99.0"), "line 5: rh_pct_min 99 is above rh_pct_mean"),
    ("max below mean", set_cell(3, "temperature_c_max", "1.0"), "line 5: temperature_c_mean"),
    ("negative count", set_cell(4, "readings", "-3"), "line 6: readings '-3'"),
    ("an hour twice", duplicate_hour, "line 4: hour"),
    ("hours out of order", swap_hours, "out of order"),
    ("not a number", set_cell(0, "rh_pct_mean", "nan"), "line 2: rh_pct_mean 'nan'"),
]


def test_hostile_passports_are_refused_and_nothing_is_written(
    museums: Callable[[str], Museum], tmp_path: Path
) -> None:
    lender, borrower = museums(LENDER), museums(BORROWER)
    out = exported(lender, tmp_path)
    for number, (what, change, named) in enumerate(HOSTILE):
        hostile = rewrite(out, tmp_path / f"hostile{number}.zip", edit_climate(change), rehash=True)
        result = borrower.patina(
            "passport", "import", str(hostile), "--case", "K1", "--user", "reg", "--note", "loan"
        )
        assert result.exit_code != 0, what
        assert "climate.csv" in result.output and named in result.output, (what, result.output)
        assert "nothing written" in result.output
    # Not one move nor one hour of any of them reached the borrower's database.
    assert move_events(borrower.store, "DBP-1").empty
    assert recorded_hours(
        borrower.store, "DBP-1", pd.Timestamp(T0 - timedelta(days=1)), pd.Timestamp(T0 + timedelta(days=1))
    ).empty
    # The untouched passport still imports: the checks refuse values, not passports.
    good = borrower.patina("passport", "import", str(out), "--case", "K1", "--user", "reg", "--note", "loan")
    assert good.exit_code == 0, good.output
    assert (
        len(recorded_hours(borrower.store, "DBP-1", pd.Timestamp(T0), pd.Timestamp(T0 + timedelta(hours=6))))
        == 6
    )


def declare_size(path: Path, member: str, size_bytes: int) -> None:
    """Rewrite the uncompressed size ``member`` declares in the zip's local and central
    headers (the data stay as they are: the header is what a reader trusts first)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, size_at, name_length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            (length,) = struct.unpack_from("<H", data, start + name_length_at)
            if bytes(data[start + name_at : start + name_at + length]) == name:
                struct.pack_into("<I", data, start + size_at, size_bytes)
            start += 4
    path.write_bytes(bytes(data))


def test_a_member_declaring_2_gb_is_refused_without_being_read(
    museums: Callable[[str], Museum], tmp_path: Path
) -> None:
    lender, borrower = museums(LENDER), museums(BORROWER)
    out = exported(lender, tmp_path)
    bomb = rewrite(out, tmp_path / "bomb.zip", lambda files: None, rehash=False)
    declare_size(bomb, "climate.csv", 2 * 1024**3)
    assert zipfile.ZipFile(bomb).getinfo("climate.csv").file_size == 2 * 1024**3
    tracemalloc.start()
    try:
        with pytest.raises(PassportError, match=r"climate.csv: declares 2147483648 bytes .* not read"):
            read_passport(bomb)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak_bytes < 8 * 1024**2
    result = borrower.patina(
        "passport", "import", str(bomb), "--case", "K1", "--user", "reg", "--note", "loan"
    )
    assert result.exit_code != 0 and "climate.csv: declares 2147483648 bytes" in result.output
    assert move_events(borrower.store, "DBP-1").empty


def test_members_are_read_in_chunks_up_to_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("small.csv", b"a,b\n" * 10)
        archive.writestr("large.csv", bytes(3 * 1024 * 1024))
    with zipfile.ZipFile(path) as archive:
        assert read_member(archive, "small.csv", cap_bytes=1024) == b"a,b\n" * 10
        assert len(read_member(archive, "large.csv")) == 3 * 1024 * 1024
        with pytest.raises(PassportCheckError, match=r"large\.csv: declares 3145728 bytes"):
            read_member(archive, "large.csv", cap_bytes=1024 * 1024)
