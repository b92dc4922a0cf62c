"""A journal's period as sheets: «Журнал» (students × lessons: the lesson dates as dates, each
cell's marks as text, «Н» as the grid shows an absence) and «Итоги» (each student's marks,
averages, absences and period mark, then the journal's quality and success percentages)."""

from __future__ import annotations

from ejournal.projections.grid import GridView
from ejournal.projections.summary import SummaryView
from ejournal.sheets.tables import Cell, Sheet

GRID_SHEET = "Журнал"
SUMMARY_SHEET = "Итоги"
NAME_HEADER = "Фамилия, имя обучающегося"
SUMMARY_HEADER: list[Cell] = ["№", NAME_HEADER, "Отметки", "Средний балл",
                              "Средний взвешенный балл", "Пропуски", "Итоговая отметка"]
QUALITY = "Качество знаний, %"
SUCCESS = "Успеваемость, %"


def grid_sheet(view: GridView) -> Sheet:
    """One column per lesson, by date and slot; a cell's marks joined by a space."""
    sheet = Sheet(GRID_SHEET, ["№", NAME_HEADER, *(x.date for x in view.lessons)],
                  widths={0: 4, 1: 32})
    for n, student in enumerate(view.students, start=1):
        sheet.rows.append([n, student.full_name, *(
            " ".join(student.cells[x.id]) if x.id in student.cells else None
            for x in view.lessons)])
    return sheet


def summary_sheet(view: SummaryView) -> Sheet:
    sheet = Sheet(SUMMARY_SHEET, list(SUMMARY_HEADER), widths={0: 4, 1: 32, 2: 30})
    for n, s in enumerate(view.students, start=1):
        sheet.rows.append([n, s.full_name, " ".join(s.marks) or None, s.average,
                           s.weighted_average, s.absences, s.period_mark])
    sheet.rows.append([])
    sheet.rows.append([None, QUALITY, None, view.quality_percent])
    sheet.rows.append([None, SUCCESS, None, view.success_percent])
    return sheet
