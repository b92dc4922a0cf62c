"""A sheet as plain rows, written as XLSX (xlsxwriter) or CSV, and read back from either.

Cells are text, numbers, dates or empty. Text is written as text (a mark «5» stays «5», never
the number 5); a date as an Excel date with a Russian format; CSV writes dates ``DD.MM.YYYY``.
Workbooks are deterministic: their creation date is fixed, so the same rows give the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from python_calamine import CalamineWorkbook

Cell = str | int | float | Decimal | date | None
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
#: Written into every workbook's properties instead of the moment it was made.
FIXED_CREATED = datetime(2000, 1, 1)  # noqa: DTZ001 - xlsxwriter takes a naive time
BOM = "\ufeff"


@dataclass
class Sheet:
    name: str
    header: list[Cell]
    rows: list[list[Cell]] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)  # column index -> width in chars


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": FIXED_CREATED})
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    bold_day = book.add_format({"bold": True, "num_format": "dd.mm", "rotation": 90})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name)
        for col, value in enumerate(sheet.header):
            _write(ws, 0, col, value, bold_day if isinstance(value, date) else bold, bold)
        for r, row in enumerate(sheet.rows, start=1):
            for col, value in enumerate(row):
                _write(ws, r, col, value, day, None)
        for col, width in sheet.widths.items():
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _write(ws: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: Cell,
           date_format: xlsxwriter.format.Format,
           text_format: xlsxwriter.format.Format | None) -> None:
    if value is None:
        return
    if isinstance(value, str):
        ws.write_string(row, col, value, text_format)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day),  # noqa: DTZ001
                          date_format)
    else:
        ws.write_number(row, col, float(value), text_format)


def csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")  # the Russian decimal comma
    return str(value)


def write_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in (sheet.header, *sheet.rows):
        writer.writerow([csv_text(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")


def read_xlsx(content: bytes) -> dict[str, list[list[Cell]]]:
    """Every sheet's rows by name, as calamine reads them (dates as ``date``, numbers as
    ``float`` or ``int``, text as ``str``, empty cells as ``""``)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    found: dict[str, list[list[Cell]]] = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        found[name] = [[_plain(v) for v in row] for row in rows]
    return found


def _plain(value: object) -> Cell:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str | int | float | date) or value is None:
        return value
    return str(value)
