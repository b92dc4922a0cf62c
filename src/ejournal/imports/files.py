"""An uploaded file as a table: CSV (UTF-8 with or without BOM, ``;`` or ``,``) or XLSX (its
first sheet, read with python-calamine), the first row its headers. Every cell comes back as
trimmed text: a date cell as ``YYYY-MM-DD``, a whole number without ``.0``."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from python_calamine import CalamineWorkbook

from ejournal.domain.errors import InvalidEntry

MAX_ROWS = 20_000
XLSX_MAGIC = b"PK\x03\x04"


class FileUnreadable(InvalidEntry):
    """The file is no CSV or XLSX this reads, or has no header row."""

    field = "file"


@dataclass
class Table:
    headers: list[str]
    #: (the row's number in the file - the headers are row 1 -, its cells by header)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def header_key(text: str) -> str:
    """A header as headers are compared: NFC, case-folded, single spaces, no ``*``, ё as е."""
    clean = unicodedata.normalize("NFC", text).replace("*", " ").replace("\ufeff", "")
    return " ".join(clean.split()).casefold().replace("ё", "е")


def read_table(content: bytes) -> Table:
    if not content.strip():
        raise FileUnreadable("the file is empty")
    grid = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    while grid and not any(grid[0]):
        grid.pop(0)
    if not grid:
        raise FileUnreadable("the file has no header row")
    headers = [" ".join(h.split()) for h in grid[0]]
    table = Table(headers)
    for number, cells in enumerate(grid[1:], start=2):
        if not any(cells):
            continue
        table.rows.append((number, {h: (cells[i] if i < len(cells) else "")
                                    for i, h in enumerate(headers) if h}))
    if len(table.rows) > MAX_ROWS:
        raise FileUnreadable(f"a file holds at most {MAX_ROWS} rows")
    return table


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileUnreadable("a CSV file is read as UTF-8 (save it as «CSV UTF-8»)") from None
    if "\x00" in text:
        raise FileUnreadable("the file holds NUL characters: not a CSV file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text),
                                                                 delimiter=delimiter)]
    except csv.Error as exc:  # a field over csv's limit (128 KiB), a stray quote...
        raise FileUnreadable(f"the CSV file cannot be read: {exc}") from None


def _xlsx_rows(content: bytes) -> list[list[str]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - calamine's errors: any means unreadable
        raise FileUnreadable(f"the XLSX file cannot be read: {type(exc).__name__}") from None
    return [[_text(v) for v in row] for row in rows]


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD`` or ``DD.MM.YYYY``; None for anything else."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = _DOTTED.fullmatch(text)
    if found is None:
        return None
    try:
        return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        return None
