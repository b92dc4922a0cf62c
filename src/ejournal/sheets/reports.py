"""The reports as sheets (``?format=xlsx`` on their endpoints): the same figures as their JSON,
one row per topic, homework item, student; numbers as numbers, dates as dates."""

from __future__ import annotations

from ejournal.projections.performance_reads import PerformanceReport
from ejournal.projections.report_reads import AttendanceReport, LoadDay, ProgrammeCompletion
from ejournal.sheets.tables import Cell, Sheet

NAME = "Фамилия, имя обучающегося"
REASONS = (("illness", "По болезни"), ("excused", "По уважительной причине"),
           ("unexcused", "Без уважительной причины"), ("unknown", "Причина не указана"))


def programme_sheets(done: ProgrammeCompletion) -> list[Sheet]:
    sheet = Sheet("Выполнение программы", ["Тема", "Часов по программе", "Проведено уроков"],
                  [[t.title, t.planned_hours, t.held_lessons] for t in done.topics],
                  widths={0: 50, 1: 20, 2: 20})
    sheet.rows += [["Итого", done.planned_total, done.held_total],
                   ["Уроков вне программы", None, done.other_lessons],
                   ["Выполнение, %", done.percent]]
    return [sheet]


def homework_sheets(days: list[LoadDay]) -> list[Sheet]:
    items = Sheet("Домашние задания", ["Дата", "Предмет", "Домашнее задание", "Минут"],
                  [[d.date, i.subject_name, i.homework, i.minutes]
                   for d in days for i in d.items], widths={0: 12, 1: 24, 2: 60, 3: 10})
    totals = Sheet("По дням", ["Дата", "Минут", "Норма СанПиН, минут", "Сверх нормы",
                               "Заданий без времени"],
                   [[d.date, d.minutes, d.limit_minutes, "да" if d.over_limit else "нет",
                     d.unmeasured] for d in days], widths={0: 12, 2: 22, 4: 22})
    return [items, totals]


def attendance_sheets(report: AttendanceReport) -> list[Sheet]:
    header: list[Cell] = ["№", NAME, "Уроков", "Пропущено", *(name for _, name in REASONS)]
    return [Sheet("Посещаемость", header, [
        [n, s.full_name, s.lessons, s.absent, *(s.by_reason.get(k, 0) for k, _ in REASONS)]
        for n, s in enumerate(report.students, start=1)], widths={1: 32})]


def performance_sheets(report: PerformanceReport) -> list[Sheet]:
    """A row per student: per subject the average and the period mark; then the class's
    average per subject."""
    subjects = [(x.journal_id, x.subject_name) for x in report.subjects]
    header: list[Cell] = ["№", NAME]
    for _, name in subjects:
        header += [f"{name}: средний балл", f"{name}: итоговая"]
    sheet = Sheet("Успеваемость", header, widths={1: 32})
    for n, s in enumerate(report.students, start=1):
        found = {r.journal_id: r for r in s.subjects}
        row: list[Cell] = [n, s.full_name]
        for journal_id, _ in subjects:
            r = found.get(journal_id)
            row += [r.average, r.period_mark] if r else [None, None]
        sheet.rows.append(row)
    class_row: list[Cell] = [None, "Средний балл класса"]
    for x in report.subjects:
        class_row += [x.average, None]
    sheet.rows.append(class_row)
    return [sheet]
