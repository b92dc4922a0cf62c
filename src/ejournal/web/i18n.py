"""Russian words for the pages: dates and plural forms from Babel's CLDR data, and the labels
of the journal's codes (kinds of work, absence reasons, roles, rules)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCALE = Locale("ru")

WORK = {"oral": "устный ответ", "written": "письменная работа",
        "practical": "практическая работа", "test": "контрольная работа",
        "homework": "домашняя работа"}
ABSENCE = {"illness": "по болезни", "excused": "по уважительной причине",
           "unexcused": "без уважительной причины"}
ROLE = {"guardian": "родитель", "student": "ученик", "teacher": "учитель",
        "admin": "администрация школы", "auditor": "проверяющий", "operator": "оператор"}
READ_WHAT = {"diary": "дневник", "grid": "классный журнал", "summary": "итоги периода",
             "mark_history": "историю отметки", "period_marks": "итоговые отметки",
             "period_mark_history": "историю итоговой отметки",
             "journal_print": "классный журнал (печать)", "report_card": "табель",
             "summary_sheet": "сводную ведомость", "archive": "архив года"}
PERIOD_KIND = {"term": "учебный период", "year": "учебный год"}
ENTRY = {"lesson": "урок", "attendance": "посещаемость", "absence_cancellation": "отмена «Н»",
         "mark": "отметка", "period_mark": "итоговая отметка",
         "period_mark_correction": "исправление итоговой отметки",
         "closed": "период закрыт", "reopened": "период открыт снова",
         "file_attached": "файл прикреплён", "file_retracted": "файл удалён"}
RULE = {"R-4.5": "урок, тема и задание — в день урока",
        "R-4.6": "посещаемость и отметки — в день урока",
        "R-6.1d": "письменные работы — за 3 рабочих дня",
        "R-6.2": "итоговые отметки — до конца периода"}

#: Word forms by CLDR plural category (one, few, many); the category comes from Babel.
FORMS = {
    "отметка": ("отметка", "отметки", "отметок"),
    "урок": ("урок", "урока", "уроков"),
    "день": ("день", "дня", "дней"),
    "рабочий день": ("рабочий день", "рабочих дня", "рабочих дней"),
    "пропуск": ("пропуск", "пропуска", "пропусков"),
    "ученик": ("ученик", "ученика", "учеников"),
    "минута": ("минуту", "минуты", "минут"),
    "тема": ("тема", "темы", "тем"),
    "непрочитанное": ("непрочитанное", "непрочитанных", "непрочитанных"),
}


def plural(count: int, word: str) -> str:
    """``3 отметки``, ``5 отметок``, ``21 урок``: the form CLDR's Russian rules choose."""
    one, few, many = FORMS[word]
    category = LOCALE.plural_form(count)
    form = {"one": one, "few": few}.get(category, many)
    return f"{count} {form}"


def long_date(day: date) -> str:
    """``2 декабря 2026``."""
    return format_date(day, "d MMMM y", locale=LOCALE)


def short_day(day: date) -> str:
    """``пн, 30.11``."""
    return format_date(day, "EEE, dd.MM", locale=LOCALE)


def weekday_date(day: date) -> str:
    """``понедельник, 30 ноября``."""
    return format_date(day, "EEEE, d MMMM", locale=LOCALE)


def column_date(day: date) -> str:
    """``30.11``: a grid column's header."""
    return format_date(day, "dd.MM", locale=LOCALE)


def moment(at: datetime, timezone: str) -> str:
    """``2 декабря 2026, 14:05`` in the school's time zone."""
    return format_datetime(at.astimezone(ZoneInfo(timezone)), "d MMMM y, HH:mm",
                           locale=LOCALE)


def decimal(value: Decimal | float | None) -> str:
    """``4,25``; an empty string for no value."""
    if value is None:
        return ""
    return format_decimal(value, "0.00", locale=LOCALE)


def week_span(monday: date, last: date) -> str:
    """``30 ноября — 6 декабря 2026`` (the year once when both days share it)."""
    if monday.year == last.year:
        return f"{format_date(monday, 'd MMMM', locale=LOCALE)} — {long_date(last)}"
    return f"{long_date(monday)} — {long_date(last)}"


def late_notice(rule: str, days: int) -> str:
    """``Внесено с опозданием: R-4.6, на 2 дня``."""
    return f"Внесено с опозданием: {rule}, на {plural(days, 'день')}"


#: Refusals in the teacher's words, by the domain error's class; the rule id comes with them.
REFUSALS = {
    "InvalidMarkValue": "Отметка — одна из 2, 3, 4, 5: «1» не ставится, «Н» — это отсутствие",
    "NotASchoolDay": "В этот день уроков нет: он не учебный",
    "LessonInTheFuture": "Урок ещё не прошёл: в журнал вносится только проведённый урок",
    "TopicNotInProgramme": "Такой темы нет в рабочей программе",
    "StudentNotEnrolled": "Ученик не числится в классе на эту дату",
    "ReasonRequired": "Укажите причину",
    "SameValue": "Отметка уже такая: исправление меняет её",
    "LessonAlreadyRecorded": "Урок в этот день на этом уроке по счёту уже проведён",
    "StudentWasAbsent": "Ученик отмечен отсутствующим: отметку поставить нельзя, "
                        "сначала отмените «Н»",
    "StudentHasMarks": "У ученика есть отметки на этом уроке: «Н» поставить нельзя",
    "AlreadyAbsent": "Ученик уже отмечен отсутствующим",
    "NotAbsent": "Ученик не отмечен отсутствующим",
    "MarkCancelledAlready": "Отметка уже отменена",
    "PeriodMarkAlreadyGiven": "Итоговая отметка уже выставлена: её можно исправить",
    "PeriodNotBegun": "Период ещё не начался: итоговая отметка ставится в его конце",
    "ConcurrentWriteConflict": "Журнал одновременно меняют другие; повторите",
    "UnknownLesson": "Такого урока в журнале нет",
    "UnknownMark": "Такой отметки в журнале нет",
    "NotAllowedToWrite": "Писать в этот журнал может его учитель, замещающий учитель в дни "
                         "замены или администрация",
    "NotOwnEntry": "Замещающий учитель исправляет и отменяет только свои записи; эту может "
                   "изменить учитель журнала или администрация",
    "StudentsNeverWrite": "Ученики и родители журнал не заполняют",
    "PeriodIsClosed": "Период закрыт: записи на его даты не принимаются, пока администрация "
                      "не откроет его",
    "FileRetractedAlready": "Файл уже удалён",
    "NotFilesAuthor": "Удалить файл может тот, кто его прикрепил, или администрация",
}


def refusal(exc: Exception) -> str:
    """``Отметка — одна из 2, 3, 4, 5 … (R-6.1a)``; an error without words of its own here
    keeps the domain's."""
    words = REFUSALS.get(type(exc).__name__) or str(getattr(exc, "detail", exc))
    rule = getattr(exc, "rule", None)
    return f"{words} ({rule})" if rule else words
