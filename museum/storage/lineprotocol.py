r"""InfluxDB line protocol: the one place where points become text.

Every write in Patina goes through :func:`encode_point`, so escaping lives here and
nowhere else. Tag values and field values that come from payloads (sensor ids, topics)
are escaped, so a hostile id can never add a tag, a field, another point, or write to
another measurement: commas, spaces and ``=`` are escaped; line breaks and backslashes
are refused in names and tag values, because InfluxDB 1.x cannot carry them there (it
keeps ``\\`` as two characters, and a value ending in ``\`` fails to parse, as the tests
against a real server show). String field values escape ``"`` and ``\``.

String field values (notes, names, messages) may hold line breaks, which line protocol
cannot carry: :func:`encode_text` turns such a value into a marked, percent-encoded form
(``TEXT_MARK`` followed by the text with ``%``, CR and LF as ``%25``, ``%0D``, ``%0A``),
and :func:`decode_text` turns it back on read. Text without a line break and not starting
with the mark is stored as it is, so values written before stay readable unchanged.

Reference: InfluxDB 1.x documentation, "Line protocol reference", special characters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache

FieldValue = float | int | bool | str


class LineProtocolError(ValueError):
    """A point cannot be written as line protocol; the message says why."""


def _refuse_line_breaks(kind: str, text: str) -> None:
    if "\n" in text or "\r" in text:
        raise LineProtocolError(f"{kind} {text!r} contains a line break")


def _escape(text: str, specials: str, kind: str) -> str:
    if not text:
        raise LineProtocolError(f"{kind} is empty")
    _refuse_line_breaks(kind, text)
    if "\\" in text:
        raise LineProtocolError(f"{kind} {text!r} contains a backslash")
    out = text
    for char in specials:
        out = out.replace(char, "\\" + char)
    return out


# Names and tag values repeat with every reading; caching their escaped form keeps the
# collector's hot path short. Errors are not cached (they raise).
@lru_cache(maxsize=65_536)
def escape_measurement(name: str) -> str:
    return _escape(name, ", ", "measurement")


@lru_cache(maxsize=65_536)
def escape_key(key: str) -> str:
    """Escape a tag key, tag value or field key."""
    return _escape(key, ",= ", "tag or field key/value")


#: Starts a string field value stored in encoded form (U+241E SYMBOL FOR RECORD SEPARATOR,
#: a printable character no note or name plausibly starts with; if one does, it is encoded too).
TEXT_MARK = "\u241e"
_DECODE = {"%25": "%", "%0D": "\r", "%0A": "\n"}
_ENCODED = re.compile("%25|%0D|%0A")


def encode_text(text: str) -> str:
    """The form of a string field value that line protocol can carry (reversible)."""
    if "\n" not in text and "\r" not in text and not text.startswith(TEXT_MARK):
        return text
    return TEXT_MARK + text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_text(stored: object) -> object:
    """The text :func:`encode_text` was given; anything else comes back unchanged."""
    if not isinstance(stored, str) or not stored.startswith(TEXT_MARK):
        return stored
    return _ENCODED.sub(lambda match: _DECODE[match.group(0)], stored[len(TEXT_MARK) :])


def encode_field_value(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LineProtocolError(f"field value {value!r} is not finite")
        return repr(value)
    if isinstance(value, str):
        value = encode_text(value)
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise LineProtocolError(f"unsupported field type {type(value).__name__}")


def encode_point(
    measurement: str,
    tags: Mapping[str, str],
    fields: Mapping[str, FieldValue | None],
    time_ns: int | None = None,
) -> str:
    """One line of line protocol. Tags are sorted (InfluxDB's preferred order); fields
    whose value is ``None`` are left out; at least one field must remain."""
    parts = [escape_measurement(measurement)]
    parts.extend(f"{escape_key(k)}={escape_key(v)}" for k, v in sorted(tags.items()))
    field_text = ",".join(
        f"{escape_key(k)}={encode_field_value(v)}" for k, v in fields.items() if v is not None
    )
    if not field_text:
        raise LineProtocolError("a point needs at least one field")
    line = ",".join(parts) + " " + field_text
    return line if time_ns is None else f"{line} {int(time_ns)}"
