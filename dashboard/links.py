"""Links from every page that names an object to its artefact page (docs/passport.md).

The link is relative (``artefact?artefact=ID&lang=fr``), so it works behind a reverse
proxy that serves the dashboard under a path, and it carries the reader's language, since
Streamlit opens a Markdown link in a new tab, which starts a new session."""

from __future__ import annotations

from urllib.parse import urlencode

from dashboard import safe_text
from museum.language.i18n import Translator


def artefact_url(artefact_id: str, language: str) -> str:
    """The artefact page of one object, in ``language``."""
    return "artefact?" + urlencode({"artefact": artefact_id, "lang": language})


def artefact_link(artefact_id: str, name: str, t: Translator) -> str:
    """A Markdown link to the object's page; its text is the object's name in the reader's
    language, shown literally (a name is never read as Markdown)."""
    return f"[{safe_text.line(t.name(name))}]({artefact_url(artefact_id, t.language)})"
