"""The class journal of one period in its paper form (R-3.4b): for each month a left page
(№, «Фамилия, имя обучающегося», a column per lesson with the student's marks and «н») and a
right page (date, «Что пройдено на уроке», «Домашнее задание»), then the period's marks (the
period mark, with the counts it stands on). A4 landscape; a month of more lessons than a page
holds continues on another pair of pages.

Read from the read models in one snapshot (``snapshot``): the grid's lessons, roster and
cells, the diary's homework, the reports' period marks, the lookups' names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, select

from ejournal.documents.render import render
from ejournal.documents.snapshot import Stamp, snapshot, stamp
from ejournal.ledger import Chain
from ejournal.projections import lookup_reads
from ejournal.projections.diary import lessons as diary_lessons
from ejournal.projections.grid import read_grid
from ejournal.projections.lookups import periods
from ejournal.projections.reports import period_marks

#: Lesson columns on one left page (A4 landscape beside № and the name).
COLUMNS = 24
MONTHS = ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь",
          "Октябрь", "Ноябрь", "Декабрь")
#: What a cell prints for an absence (the paper journal's lower-case «н»); two marks in one
#: cell print as the paper journal writes them, "5/4".
ABSENT = "н"


class UnknownPeriod(LookupError):
    """The period is not one of the journal's year."""


@dataclass(frozen=True)
class Printed:
    """A document and what it was made from."""

    pdf: bytes
    stamp: Stamp
    student_ids: tuple[UUID, ...]  # whose data it shows (the access log)


@dataclass(frozen=True)
class Period:
    id: UUID
    year_id: UUID
    name: str
    starts_on: date
    ends_on: date


def read_period(conn: Connection, period_id: UUID) -> Period | None:
    row = conn.execute(select(periods.c.period_id, periods.c.year_id, periods.c.name,
                              periods.c.starts_on, periods.c.ends_on)
                       .where(periods.c.period_id == period_id)).tuples().one_or_none()
    return Period(*row) if row else None


def footer(school: str, class_name: str, what: str, at: Stamp) -> dict[str, Any]:
    return {"school": school, "class": class_name, "subject": what,
            "position": at.position, "head": at.head}


def _school_name(conn: Connection, school_id: UUID) -> str:
    found = lookup_reads.read_schools(conn, school_id)
    return found[0].name if found else ""


def _period_marks(conn: Connection, journal_id: UUID, period_id: UUID) -> dict[UUID, str]:
    return dict(conn.execute(select(period_marks.c.student_id, period_marks.c.value).where(
        period_marks.c.journal_id == journal_id, period_marks.c.period_id == period_id))
        .tuples().all())


def journal_data(conn: Connection, journal_id: UUID, period: Period, at: Stamp
                 ) -> tuple[dict[str, Any], tuple[UUID, ...]]:
    """The template's data and the students it shows."""
    detail = lookup_reads.read_journal(conn, journal_id)
    if detail is None or detail.journal.year_id != period.year_id:
        raise UnknownPeriod(f"period {period.id} is not of journal {journal_id}'s year")
    journal = detail.journal
    grid = read_grid(conn, journal_id, period.starts_on, period.ends_on)
    homework = dict(conn.execute(select(diary_lessons.c.lesson_id, diary_lessons.c.homework)
                                 .where(diary_lessons.c.journal_id == journal_id)).tuples().all())
    finals = _period_marks(conn, journal_id, period.id)
    by_month: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for lesson in grid.lessons:
        by_month[(lesson.date.year, lesson.date.month)].append(lesson)
    sheets = []
    for (year, month), held in sorted(by_month.items()):
        for start in range(0, len(held), COLUMNS):
            part = held[start:start + COLUMNS]
            sheets.append({
                "month": f"{MONTHS[month - 1]} {year}",
                "lessons": [{"day": f"{x.date.day:02d}.{x.date.month:02d}",
                             "date": x.date.strftime("%d.%m.%Y"), "topic": x.topic,
                             "homework": homework.get(x.id) or ""} for x in part],
                "rows": [{"name": s.full_name,
                          "cells": ["/".join(ABSENT if v == "Н" else v
                                             for v in s.cells.get(x.id, []))
                                    for x in part]} for s in grid.students]})
    summary = []
    for s in grid.students:
        values = [int(v) for cell in s.cells.values() for v in cell if v.isdigit()]
        absent = sum(1 for cell in s.cells.values() if cell == ["Н"])
        average = f"{sum(values) / len(values):.2f}".replace(".", ",") if values else ""
        summary.append({"name": s.full_name, "marks": len(values), "average": average,
                        "absent": absent, "period_mark": finals.get(s.id, "")})
    school = _school_name(conn, journal.school_id)
    return {
        "title": f"Классный журнал: {journal.class_name}, {journal.subject_name}, "
                 f"{period.name}",
        "footer": footer(school, journal.class_name, journal.subject_name, at),
        "school": school, "class": journal.class_name, "subject": journal.subject_name,
        "teacher": journal.teacher_name, "period": period.name,
        "from": period.starts_on.strftime("%d.%m.%Y"),
        "to": period.ends_on.strftime("%d.%m.%Y"),
        "sheets": sheets, "summary": summary,
    }, tuple(s.id for s in grid.students)


def print_journal(engine: Engine, chain: Chain, journal_id: UUID, period_id: UUID) -> Printed:
    """The journal's paper form for the period (``UnknownPeriod`` if it is not its year's)."""
    with snapshot(engine) as (conn, position):
        period = read_period(conn, period_id)
        if period is None:
            raise UnknownPeriod(f"no period {period_id}")
        at = stamp(chain, position)
        data, students = journal_data(conn, journal_id, period, at)
    return Printed(render("journal", data), at, students)
