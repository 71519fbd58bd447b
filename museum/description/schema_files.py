"""The files made from the declaration of ``museum.toml`` (:data:`museum.description.config.FILE`):
``museum.schema.json`` beside this module, the JSON Schema editors check and complete the
file with, and the reference of every key in docs/config.md (between its two markers).

``python -m museum.description.schema_files`` writes both; ``--check`` only says whether
they are as the declaration makes them (tests/test_config_schema.py checks the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from museum.description.config import FILE
from museum.description.schema import REQUIRED, Forbidden, Key, Table, TableList

SCHEMA_PATH = Path(__file__).with_name("museum.schema.json")
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "config.md"
BEGIN = (
    "<!-- reference: made by `python -m museum.description.schema_files`; edit the declaration instead -->"
)
END = "<!-- end of reference -->"
JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``museum.toml`` (draft 7, which Taplo and VS Code read)."""
    return {"$schema": JSON_SCHEMA_DRAFT, "title": "museum.toml (Patina)", **FILE.json_schema()}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --- the reference in docs/config.md --------------------------------------------------------


def _toml(value: Any) -> str:
    """A default as the file would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(key: Key) -> str:
    if key.required:
        return "**required**"
    if key.default_doc:
        return key.default_doc
    if key.default is not None and key.default is not REQUIRED:
        return f"`{_toml(key.default)}`"
    return "—"


def _row(key: Key) -> str:
    if isinstance(key.kind, Forbidden):
        reason = key.kind.reason
        cells = [f"`{key.name}`", "refused", "—", f"{reason[0].upper()}{reason[1:]}."]
    else:
        doc = key.doc + (f" `{key.env}` overrides it." if key.env else "")
        cells = [f"`{key.name}`", key.kind.describe(), _default(key), doc]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _sections(table: Table, path: str, array: bool, doc: str) -> Iterator[list[str]]:
    """One block of Markdown per table, the table's own keys first, then its sub-tables."""
    title = f"[[{path}]]" if array else f"[{path}]"
    lines = [f"### `{title}`", ""]
    if doc:
        lines += [doc, ""]
    own = [key for key in table.keys if not isinstance(key.kind, Table | TableList)]
    if own:
        lines += ["| key | value | default | meaning |", "| --- | --- | --- | --- |"]
        lines += [_row(key) for key in own]
        lines.append("")
    if table.secrets:
        lines += ["Only from the environment, never from the file:", ""]
        lines += [f"- `{secret.env}`: {secret.doc}" for secret in table.secrets]
        lines.append("")
    yield lines
    for key in table.keys:
        sub_doc = key.description
        if isinstance(key.kind, Table):
            yield from _sections(key.kind, f"{path}.{key.name}", False, sub_doc)
        elif isinstance(key.kind, TableList):
            yield from _sections(key.kind.table, f"{path}.{key.name}", True, sub_doc)


def reference_markdown() -> str:
    """Every key of ``museum.toml``: its kind of value, default, environment variable and meaning."""
    blocks: list[str] = []
    top = [key for key in FILE.keys if not isinstance(key.kind, Table | TableList)]
    if top:
        # Keys before the first table (config_version): the file's own.
        lines = ["### Top level", "", "| key | value | default | meaning |", "| --- | --- | --- | --- |"]
        blocks.append("\n".join([*lines, *(_row(key) for key in top), ""]))
    for key in FILE.keys:
        kind = key.kind
        if isinstance(kind, Table):
            parts = _sections(kind, key.name, False, key.description)
        elif isinstance(kind, TableList):
            doc = key.description + (f" Default: {key.default_doc}." if key.default_doc else "")
            parts = _sections(kind.table, key.name, True, doc)
        else:
            continue
        blocks += ["\n".join(lines) for lines in parts]
    return "\n".join(blocks)


def docs_with_reference(text: str) -> str:
    """docs/config.md with the reference between its markers made anew."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return f"{text[:start]}\n\n{reference_markdown()}\n{text[end:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    args = parser.parse_args(argv)
    docs = DOCS_PATH.read_text(encoding="utf-8")
    wanted = {SCHEMA_PATH: schema_text(), DOCS_PATH: docs_with_reference(docs)}
    stale = [
        path for path, text in wanted.items() if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"{path} differs from the declaration: run python -m museum.description.schema_files")
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
