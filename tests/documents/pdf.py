"""Reading the documents back as a reader would: their text (``pdftotext``) and their first
pages as PNGs (``pdftoppm``), both from poppler-utils."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

#: Where the test run writes the first pages it rendered (docs/documents/README.md).
PAGES = Path(os.environ.get("EJOURNAL_DOCUMENT_PAGES",
                            Path(tempfile.gettempdir()) / "ejournal-document-pages"))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return found


def text(pdf: bytes, tmp: Path, *, layout: bool = False) -> str:
    """The PDF's text as ``pdftotext`` extracts it (``-layout``: rows kept on their line)."""
    source = tmp / "document.pdf"
    source.write_bytes(pdf)
    args = [_tool("pdftotext"), *(["-layout"] if layout else []), str(source), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pages(pdf: bytes) -> int:
    return pdf.count(b"/Type/Page/") + pdf.count(b"/Type /Page\n")


def first_page_png(pdf: bytes, name: str, tmp: Path) -> Path:
    """The first page as ``PAGES/{name}.png`` (100 dpi)."""
    source = tmp / f"{name}.pdf"
    source.write_bytes(pdf)
    PAGES.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "100", "-f", "1", "-l", "1",
                    "-singlefile", str(source), str(PAGES / name)], check=True)
    return PAGES / f"{name}.png"


def fonts(pdf: bytes, tmp: Path) -> list[tuple[str, bool]]:
    """Each font of the PDF (its name without the subset prefix) and whether it is embedded,
    as ``pdffonts`` lists them."""
    source = tmp / "fonts.pdf"
    source.write_bytes(pdf)
    lines = subprocess.run([_tool("pdffonts"), str(source)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    found = []
    for line in lines:
        words = line.split()
        embedded = words[-5] == "yes"
        found.append((words[0].split("+", 1)[-1].removesuffix("-Identity-H"), embedded))
    return found
