"""The words ``museum.toml`` is declared in: a :class:`Table` of :class:`Key`\\ s, each with
a kind of value (:class:`Text`, :class:`Number`, :class:`Duration`, …), a default, the
environment variable that overrides it and a line of documentation.

One declaration gives three things: the reading of a parsed TOML file (every check names the
key path, the value and what is allowed, as a :class:`ConfigError`), the JSON Schema editors
use (:meth:`Kind.json_schema`) and the reference table of docs/config.md
(:mod:`museum.description.schema_files`). A table's ``build`` turns the values read into the
object the code uses, and is where checks across keys and sections go (it sees every section
read before it in :attr:`Reading.sections`).

Defaults are written as the file would write them (``"10m"``, ``3``) and read through their
kind, so the docs, the schema and the objects show the same default.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlsplit

from museum.description.secrets import redact_url, url_credentials
from museum.language.i18n import LANGUAGES, LocalizedName, localized_name


class ConfigError(ValueError):
    """The config file cannot be used; the message says where and why."""


_DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)([smhdw])")
_BARE_SECONDS = re.compile(r"[0-9]*\.?[0-9]+")


def parse_duration_s(text: str | float | int) -> float:
    """Seconds in a duration such as ``"90s"``, ``"15m"``, ``"4h"``, ``"30d"``, a compound
    such as ``"1d10h"`` or ``"2h30m"``, or a bare number of seconds. Raises ValueError
    naming the text."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        value = str(text).strip().lower()
        parts = _DURATION_PART.findall(value)
        if _BARE_SECONDS.fullmatch(value):
            seconds = float(value)
        elif parts and "".join(number + unit for number, unit in parts) == value:
            seconds = sum(float(number) * _DURATION_UNITS_S[unit] for number, unit in parts)
        else:
            raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 4h or 30d")
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a positive, finite duration")
    return seconds


# --- where a value is read ------------------------------------------------------------------


@dataclass
class Reading:
    r"""One reading of a config: where it comes from (for messages), the environment, the
    file (relative paths are relative to it), the language :class:`Name`\ s are read in,
    and every section built so far, by key path (``"sites"``, ``"notify.email"``), for the
    checks across sections."""

    origin: str
    environ: Mapping[str, str]
    file: Path | None = None
    language: str = LANGUAGES[0]
    sections: dict[str, Any] = field(default_factory=dict)


class Place:
    """A key path in the file (``cases[3].artefacts[0].materials[1]``). ``env`` is the
    variable that may give the value instead: a check of the value names both places
    (``mqtt.url (or PATINA_MQTT_URL)``); a wrong type can only come from the file, whose
    key alone is named, since the environment holds text."""

    # One is made for every value read: a plain class with slots keeps that cheap.
    __slots__ = ("env", "from_env", "path", "reading")

    def __init__(
        self, reading: Reading, path: str = "", env: str | None = None, from_env: bool = False
    ) -> None:
        self.reading = reading
        self.path = path
        self.env = env
        self.from_env = from_env

    def key(self, name: str) -> Place:
        return Place(self.reading, f"{self.path}.{name}" if self.path else name)

    def item(self, index: int) -> Place:
        return Place(self.reading, f"{self.path}[{index}]")

    def fail(self, message: str) -> ConfigError:
        label = f"{self.path} (or {self.env})" if self.env else self.path
        return ConfigError(f"{self.reading.origin}: {label}: {message}")

    @property
    def in_file(self) -> Place:
        """This place as the file's key alone, for what only the file can hold."""
        return Place(self.reading, self.path)

    def wrong_type(self, message: str) -> ConfigError:
        return self.fail(message) if self.from_env else self.in_file.fail(message)


# --- kinds of value -------------------------------------------------------------------------


class Kind:
    """What a value may be. :meth:`read` checks a parsed TOML value and returns what the
    code uses; :meth:`json_schema` and :meth:`describe` say the same for editors and docs.
    A new kind is a subclass with these three methods."""

    #: The value read when the key is absent and declares no default (a table: ``{}``).
    absent: ClassVar[Any] = None

    def read(self, value: Any, at: Place) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def from_env(self, text: str) -> Any:
        """The value of an environment variable, which is always text."""
        return text


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _choices(values: Sequence[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


@dataclass(frozen=True)
class Text(Kind):
    """A non-empty string (``blank``: or an empty one). ``choices`` lists the values
    allowed (``noun`` names them in messages: "unknown material 'wod'"); ``pattern`` is a
    regular expression the whole value matches, else ``mismatch`` (``{value}`` is the
    value); ``check`` returns what is wrong with a value, or None; ``about`` says in the
    docs what ``pattern`` or ``check`` allow; ``expected`` names the value in a type error."""

    choices: tuple[str, ...] = ()
    noun: str = ""
    pattern: str = ""
    mismatch: str = ""
    check: Callable[[str], str | None] | None = None
    about: str = ""
    blank: bool = False
    expected: str = ""

    def read(self, value: Any, at: Place) -> str:
        if not isinstance(value, str) or not (self.blank or value.strip()):
            expected = self.expected or ("a string" if self.blank else "a non-empty string")
            raise at.wrong_type(f"expected {expected}, got {value!r}")
        if self.choices and value not in self.choices:
            if self.noun:
                raise at.fail(f"unknown {self.noun} {value!r}; known: {', '.join(self.choices)}")
            raise at.fail(f"{value!r} is not one of {', '.join(self.choices)}")
        if self.pattern and not _compiled(self.pattern).fullmatch(value):
            raise at.fail(self.mismatch.format(value=repr(value)))
        problem = self.check(value) if self.check else None
        if problem:
            raise at.fail(problem)
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.choices:
            schema["enum"] = list(self.choices)
        elif self.pattern:
            schema["pattern"] = f"^(?:{self.pattern})$"
        elif not self.blank:
            schema["pattern"] = r"\S"
        return schema

    def describe(self) -> str:
        if self.choices:
            return f"one of {_choices(self.choices)}"
        return f"text ({self.about})" if self.about else "text"


@dataclass(frozen=True)
class Number(Kind):
    """A finite number, within ``minimum`` (excluded if ``exclusive_minimum``) and
    ``maximum`` when given; ``unit`` ends the range in messages ("… and 365 days").
    ``compact`` shows a refused value as written (``140``) rather than as a float (``140.0``)."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    unit: str = ""
    compact: bool = False

    noun: ClassVar[str] = "number"

    def read(self, value: Any, at: Place) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise at.wrong_type(f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise at.fail(f"expected a finite number, got {value!r}")
        number = self.convert(value, at)
        if not self.admits(number):
            shown = f"{number:g}" if self.compact else repr(number)
            raise at.fail(f"{shown} is not {self.range_text()}")
        return number

    def convert(self, value: float, at: Place) -> float:
        return float(value)

    def admits(self, number: float) -> bool:
        low, high = self.minimum, self.maximum
        if low is not None and (number <= low if self.exclusive_minimum else number < low):
            return False
        return high is None or number <= high

    def range_text(self) -> str:
        """The range in words, as messages give it: "between 0 and 100", "0 or more"."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            excluded = " (excluded)" if self.exclusive_minimum else ""
            unit = f" {self.unit}" if self.unit else ""
            return f"between {low:g}{excluded} and {high:g}{unit}"
        if low is not None:
            positive = low == 0 if self.exclusive_minimum else (low == 1 and self.noun == "whole number")
            if positive:
                return "a positive number"
            return f"above {low:g}" if self.exclusive_minimum else f"{low:g} or more"
        return f"{high:g} or less" if high is not None else "a number"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer" if self.noun == "whole number" else "number"}
        if self.minimum is not None:
            schema["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def describe(self) -> str:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            excluded = " (excluded)" if self.exclusive_minimum else ""
            unit = f" {self.unit}" if self.unit else ""
            return f"{self.noun} from {low:g}{excluded} to {high:g}{unit}"
        if low is not None:
            return f"{self.noun} above {low:g}" if self.exclusive_minimum else f"{self.noun}, {low:g} or more"
        return f"{self.noun}, {high:g} or less" if high is not None else self.noun


@dataclass(frozen=True)
class Integer(Number):
    """A whole number (``1.5`` is refused; ``2.0`` is 2)."""

    noun: ClassVar[str] = "whole number"

    def convert(self, value: float, at: Place) -> float:
        if value != int(value):
            raise at.fail(f"{value!r} is not a whole number")
        return int(value)

    def from_env(self, text: str) -> Any:
        try:
            return int(text)
        except ValueError:
            return text


@dataclass(frozen=True)
class Boolean(Kind):
    def read(self, value: Any, at: Place) -> bool:
        if not isinstance(value, bool):
            raise at.wrong_type(f"expected true or false, got {value!r}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "`true` or `false`"


#: The text :func:`parse_duration_s` takes, for editors.
_DURATION_PATTERN = r"^\s*(?:[0-9]*\.?[0-9]+|(?:[0-9]*\.?[0-9]+[smhdwSMHDW])+)\s*$"


@dataclass(frozen=True)
class Duration(Kind):
    """A duration (``"15m"``, ``"1d10h"``) or a number of seconds; read as seconds."""

    def read(self, value: Any, at: Place) -> float:
        try:
            return parse_duration_s(value)
        except ValueError as error:
            raise at.fail(str(error)) from None

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "pattern": _DURATION_PATTERN}, {"type": "number", "minimum": 0}]}

    def describe(self) -> str:
        return "duration: `90s`, `15m`, `4h`, `30d`, `1w`, `1d10h`, or seconds"


@dataclass(frozen=True)
class Date(Kind):
    """A TOML local date (``2026-03-14``). JSON has no dates: editors see it as text."""

    def read(self, value: Any, at: Place) -> date:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise at.wrong_type(f"expected a date such as 2026-03-14, got {value!r}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def describe(self) -> str:
        return "date, `2026-03-14`"


_NAME_TEXT = {"type": "string", "pattern": r"\S"}


@dataclass(frozen=True)
class Name(Kind):
    """A name, one string or one per language (``{ vi = "…", en = "…" }``), read as a
    :class:`~museum.language.i18n.LocalizedName` whose plain value is the name in the
    reading's language (the museum's)."""

    def read(self, value: Any, at: Place) -> LocalizedName:
        try:
            return localized_name(value, at.reading.language)
        except ValueError as error:
            raise at.fail(str(error)) from None

    def json_schema(self) -> dict[str, Any]:
        per_language = {
            "type": "object",
            "properties": {language: dict(_NAME_TEXT) for language in LANGUAGES},
            "additionalProperties": False,
            "minProperties": 1,
        }
        return {"anyOf": [dict(_NAME_TEXT), per_language]}

    def describe(self) -> str:
        return f"name: text, or a table of {_choices(LANGUAGES)} → text"


@dataclass(frozen=True)
class Url(Kind):
    """A URL with one of ``schemes`` and a host. ``credentials`` (what to do instead) refuses
    a user or password in a URL from the file."""

    schemes: tuple[str, ...]
    credentials: str = ""

    def read(self, value: Any, at: Place) -> str:
        url = Text().read(value, at)
        parts = urlsplit(url)
        if parts.scheme not in self.schemes or not parts.hostname:
            raise at.fail(f"{redact_url(url)!r} is not a URL of the form {self.schemes[0]}://host:port")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as error:
            raise at.fail(f"{redact_url(url)!r}: {error}") from None
        if self.credentials and not at.from_env and any(part is not None for part in url_credentials(url)):
            raise at.in_file.fail(
                f"{redact_url(url)} holds credentials: never store them in the file; {self.credentials}"
            )
        return url

    def json_schema(self) -> dict[str, Any]:
        host = r"[^\s/?#@]+(?:[/?#]|$)" if self.credentials else r"[^\s/?#]+"
        return {"type": "string", "pattern": f"^(?:{'|'.join(self.schemes)})://{host}"}

    def describe(self) -> str:
        schemes = " or ".join(f"`{scheme}://`" for scheme in self.schemes)
        return f"URL, {schemes}" + (", no credentials" if self.credentials else "")


@dataclass(frozen=True)
class Forbidden(Kind):
    """A key refused with a reason (a secret that belongs in the environment): named so
    the message says what to do rather than "unknown key"."""

    reason: str

    def read(self, value: Any, at: Place) -> Any:
        raise at.in_file.fail(self.reason)

    def json_schema(self) -> dict[str, Any]:
        return {"not": {}, "description": self.reason}

    def describe(self) -> str:
        return "refused"


@dataclass(frozen=True)
class List(Kind):
    """An array of ``item`` values (``of``: what messages call them); ``at_least_one`` is
    the message for an empty array, which is then refused."""

    item: Kind
    of: str = "strings"
    at_least_one: str = ""

    absent: ClassVar[Any] = ()

    def read(self, value: Any, at: Place) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise at.wrong_type(f"expected a list of {self.of}, got {value!r}")
        if self.at_least_one and not value:
            raise at.fail(self.at_least_one)
        return tuple(self.item.read(item, at.item(index)) for index, item in enumerate(value))

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.at_least_one:
            schema["minItems"] = 1
        return schema

    def describe(self) -> str:
        item = self.item.describe()
        return f"list of {item}" if item.startswith("text") else f"list, each {item}"


# --- tables ---------------------------------------------------------------------------------

#: A key without a default that must be given.
REQUIRED = object()


@dataclass(frozen=True)
class Key:
    """One key of a table. ``default`` is written as in the file and read through ``kind``
    (``"10m"``); ``default_doc`` describes a default that depends on other keys; ``env``
    is the environment variable whose non-empty value replaces the file's; ``attr`` is the
    attribute the value becomes (:meth:`Values.fields`) when it differs from the key."""

    name: str
    kind: Kind
    doc: str = ""
    default: Any = None
    default_doc: str = ""
    env: str | None = None
    attr: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def description(self) -> str:
        """The key's documentation, else that of the table it holds, or why it is refused."""
        if isinstance(self.kind, Forbidden):
            return self.kind.reason
        return self.doc or str(getattr(self.kind, "doc", ""))

    def read(self, table: Mapping[str, Any], at: Place) -> tuple[Any, str]:
        """The value and where it came from: ``"env"``, ``"file"`` or ``"default"``."""
        path = f"{at.path}.{self.name}" if at.path else self.name
        text = at.reading.environ.get(self.env) if self.env else None
        if text:
            env_place = Place(at.reading, path, self.env, from_env=True)
            return self.kind.read(self.kind.from_env(text), env_place), "env"
        if self.name in table:
            return self.kind.read(table[self.name], Place(at.reading, path, self.env)), "file"
        if self.required:
            raise Place(at.reading, path).fail("missing")
        raw = self.kind.absent if self.default is None else self.default
        return (None if raw is None else self.kind.read(raw, Place(at.reading, path))), "default"


@dataclass(frozen=True)
class Secret:
    """A value only the environment gives (a password): documented with its table, never
    read from the file. :class:`Values` holds it under ``name`` (None when unset)."""

    env: str
    name: str
    doc: str = ""


class Values(Mapping[str, Any]):
    """The values of one table, read and checked, defaults filled in: what a ``build``
    function turns into an object."""

    def __init__(self, at: Place, table: Table, values: dict[str, Any], origins: dict[str, str]) -> None:
        self.at = at
        self.table = table
        self._values = values
        self._origins = origins

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def reading(self) -> Reading:
        return self.at.reading

    def given(self, key: str) -> bool:
        """Whether the file gives ``key`` (and no environment variable replaces it)."""
        return self._origins.get(key) == "file"

    def from_env(self, key: str) -> bool:
        return self._origins.get(key) == "env"

    def fail(self, key: str, message: str) -> ConfigError:
        return self.at.key(key).fail(message)

    def fields(self) -> dict[str, Any]:
        """The values under their attributes' names, for ``SomeConfig(**values.fields())``."""
        return {key.attr or key.name: self._values[key.name] for key in self.table.file_keys()}

    def name(self, key: str, default: str) -> LocalizedName:
        """The :class:`Name` under ``key``, or ``default`` when the file gives none."""
        name = self._values.get(key)
        return LocalizedName(default) if name is None else name


class Table(Kind):
    """A TOML table of declared keys: any other key is refused, naming those allowed.
    ``build`` makes the object the code uses from the :class:`Values` (and holds the
    checks across keys); ``secrets`` are the values only the environment gives."""

    absent: ClassVar[Any] = MappingProxyType({})

    def __init__(
        self,
        *keys: Key,
        build: Callable[[Values], Any] | None = None,
        secrets: tuple[Secret, ...] = (),
        doc: str = "",
    ) -> None:
        self.keys = keys
        self.build = build
        self.secrets = secrets
        self.doc = doc
        self._names = frozenset(key.name for key in keys)
        self._sections = frozenset(key.name for key in keys if isinstance(key.kind, Table | TableList))
        self._refused = frozenset(key.name for key in keys if isinstance(key.kind, Forbidden))

    def file_keys(self) -> list[Key]:
        return [key for key in self.keys if not isinstance(key.kind, Forbidden)]

    def key(self, name: str) -> Key:
        return next(key for key in self.keys if key.name == name)

    def default(self, name: str) -> Any:
        """The default of key ``name`` as the code holds it (``"10m"`` → 600.0)."""
        key = self.key(name)
        return None if key.default is None else key.kind.read(key.default, Place(Reading("<defaults>", {})))

    def read(self, value: Any, at: Place) -> Any:
        if not isinstance(value, dict | Mapping):
            raise at.wrong_type(f"expected a table, got {type(value).__name__}")
        unknown = value.keys() - self._names
        if unknown:
            allowed = ", ".join(sorted(self._names - self._refused))
            raise at.key(min(unknown)).fail(f"unknown key; expected one of {allowed}")
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for key in self.keys:
            if key.name in self._refused and key.name not in value:
                continue
            values[key.name], origins[key.name] = key.read(value, at)
            if key.name in self._sections and "[" not in at.path:
                at.reading.sections[at.key(key.name).path] = values[key.name]
        for secret in self.secrets:
            values[secret.name] = at.reading.environ.get(secret.env) or None
        read = Values(at, self, values, origins)
        return self.build(read) if self.build else read

    def json_schema(self) -> dict[str, Any]:
        properties = {key.name: key_schema(key) for key in self.keys}
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        required = [key.name for key in self.keys if key.required]
        if required:
            schema["required"] = required
            # Taplo writes these keys at once when it completes a new table.
            schema["x-taplo"] = {"initKeys": required}
        if self.doc:
            schema["description"] = self.doc
        return schema

    def describe(self) -> str:
        return "table"


class TableList(Kind):
    """An array of tables (``[[cases]]``), each read by ``table``. ``build`` receives the
    items built and the array's place, for checks across items (duplicate ids)."""

    absent: ClassVar[Any] = ()

    def __init__(
        self, table: Table, build: Callable[[list[Any], Place], Any] | None = None, doc: str = ""
    ) -> None:
        self.table = table
        self.build = build
        self.doc = doc

    def read(self, value: Any, at: Place) -> Any:
        if not isinstance(value, list | tuple):
            raise at.wrong_type("expected an array of tables ([[...]])")
        items = [self.table.read(item, at.item(index)) for index, item in enumerate(value)]
        return self.build(items, at) if self.build else tuple(items)

    def json_schema(self) -> dict[str, Any]:
        schema = {"type": "array", "items": self.table.json_schema()}
        if self.doc:
            schema["description"] = self.doc
        return schema

    def describe(self) -> str:
        return "array of tables"


@dataclass(frozen=True)
class TextOrTable(Kind):
    """Either a string or a table (a recipient: an address, or an address and a language)."""

    text: Text
    table: Table
    expected: str

    def read(self, value: Any, at: Place) -> Any:
        if isinstance(value, Mapping):
            return self.table.read(value, at)
        if isinstance(value, str) and value.strip():
            return self.text.read(value, at)
        raise at.wrong_type(f"expected {self.expected}, got {value!r}")

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [self.text.json_schema(), self.table.json_schema()]}

    def describe(self) -> str:
        return self.expected


def key_schema(key: Key) -> dict[str, Any]:
    """The JSON Schema of one key: its kind's, with its documentation and default."""
    schema = dict(key.kind.json_schema())
    words = [key.description] if key.description else []
    if key.default_doc:
        words.append(f"Default: {key.default_doc}.")
    if key.env:
        words.append(f"The environment variable {key.env} overrides it.")
    if words:
        schema["description"] = " ".join(words)
    if key.default is not None and key.default is not REQUIRED and not isinstance(key.default, date):
        schema["default"] = list(key.default) if isinstance(key.default, tuple) else key.default
    return schema
