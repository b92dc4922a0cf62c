"""Each import's template: a sheet of its headers (the file to fill in) and, in XLSX, a sheet
«Пояснения» saying what each column takes."""

from __future__ import annotations

from ejournal.imports import people, schedule
from ejournal.sheets.tables import Cell, Sheet

_DATE = "дата ГГГГ-ММ-ДД или ДД.ММ.ГГГГ в пределах учебного года"
_LOGIN = "2-64 символа: латинские буквы, цифры и . _ @ -; единственный на всю платформу"
COLUMNS: dict[str, list[tuple[str, bool, str]]] = {
    "roster": [
        (people.CLASS, True, "название класса, например 7А; нет такого - он будет открыт"),
        (people.STUDENT, True, "фамилия и имя (и отчество) ученика"),
        (people.STUDENT_LOGIN, True, _LOGIN),
        (people.FROM, False, _DATE + "; пусто - сегодня (или первый день года)"),
        (people.GUARDIANS[0][0], False, "фамилия, имя и отчество родителя"),
        (people.GUARDIANS[0][1], False, _LOGIN + "; один родитель нескольких детей - "
                                                "тот же логин в их строках"),
        (people.GUARDIANS[1][0], False, "второй родитель"),
        (people.GUARDIANS[1][1], False, _LOGIN),
    ],
    "staff": [
        (people.NAME, True, "фамилия, имя и отчество"),
        (people.LOGIN, True, _LOGIN),
        (people.ROLE, True, "учитель, администратор или проверяющий"),
        (people.CLASS_TEACHER, False, "класс учебного года, классным руководителем которого "
                                      "учитель назначается"),
    ],
    "timetable": [
        (schedule.CLASS, True, "класс учебного года"),
        (schedule.WEEKDAY, True, "1-7 или пн, вт, ср, чт, пт, сб, вс"),
        (schedule.SLOT, True, "номер урока, 1-10"),
        (schedule.SUBJECT, True, "предмет; нет такого - он будет добавлен, и журнал открыт"),
        (schedule.TEACHER, True, "логин учителя школы"),
        (schedule.FROM, False, _DATE + "; пусто - первый день года"),
    ],
    "programme": [
        (schedule.CLASS, True, "класс учебного года"),
        (schedule.SUBJECT, True, "предмет, журнал которого у класса есть"),
        (schedule.TOPIC, True, "тема рабочей программы, по порядку"),
        (schedule.HOURS, True, "часов на тему, 1-999"),
    ],
}
SHEET_NAMES = {"roster": "Ученики", "staff": "Сотрудники", "timetable": "Расписание",
               "programme": "Программа"}


def template_sheets(kind: str) -> list[Sheet]:
    columns = COLUMNS[kind]
    header: list[Cell] = [name for name, _, _ in columns]
    notes = Sheet("Пояснения", ["Столбец", "Обязательный", "Что писать"],
                  [[name, "да" if required else "нет", what] for name, required, what in columns],
                  widths={0: 22, 1: 14, 2: 90})
    return [Sheet(SHEET_NAMES[kind], header, widths=dict.fromkeys(range(len(header)), 22)),
            notes]
