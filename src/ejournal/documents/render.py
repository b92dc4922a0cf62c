"""The renderer: Typst (the ``typst`` package, pinned) compiles a template of ``templates/``
with the document's data as JSON into PDF/A-2b, A4, fonts embedded.

Only the fonts the ``typst`` wheel itself embeds are used (Libertinus Serif, New Computer
Modern, DejaVu Sans Mono: all with Cyrillic), never the machine's, so a fresh
``pip install .`` renders the same bytes everywhere. The data travels as one JSON input and
is read as data by the template, never spliced into markup: a name holding ``#`` or ``]``
prints as written. The metadata date is fixed and Typst derives the document's id from its
content, so the same data gives the same bytes (docs/documents.md, "Deterministic").
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import typst

#: The metadata date of every document (PDF/A needs one; the day it was made would make the
#: bytes differ from one request to the next): 2000-01-01T00:00:00Z.
FIXED_TIMESTAMP = 946_684_800
TEMPLATES = Path(str(resources.files("ejournal.documents") / "templates"))


def render(template: str, data: dict[str, Any]) -> bytes:
    """The PDF/A-2b of ``templates/{template}.typ`` over ``data`` (JSON-encodable)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)
    return bytes(typst.compile(str(TEMPLATES / f"{template}.typ"), root=str(TEMPLATES),
                               ignore_system_fonts=True, pdf_standards="a-2b",
                               timestamp=FIXED_TIMESTAMP, sys_inputs={"data": text}))
