"""The year's documents: the табель (a student's report card: each subject's period and year
marks, absences per period) and the сводная ведомость (a class's summary sheet: every student
× subject × period mark, absences) - from the lookups and reports read models in one
snapshot (``snapshot``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, func, select

from ejournal.documents.journal import Printed, footer
from ejournal.documents.render import render
from ejournal.documents.snapshot import Stamp, snapshot, stamp
from ejournal.ledger import Chain
from ejournal.projections import lookup_reads
from ejournal.projections.cells import name_order
from ejournal.projections.lookups import enrolments, people, periods, years
from ejournal.projections.reports import absences, period_marks

REPORT_CARD = "табель успеваемости"
SUMMARY_SHEET = "сводная ведомость"
#: A class and the days a reader may see of it (None: to its end).
Span = tuple[UUID, date, date | None]


class UnknownYear(LookupError):
    """The year is not the school's (or not the class's)."""


@dataclass(frozen=True)
class Year:
    id: UUID
    school_id: UUID
    name: str
    periods: list[tuple[UUID, str, date, date]]  # id, name, first day, last day; in order
    terms: list[UUID]  # those of kind "term"


def read_year(conn: Connection, year_id: UUID) -> Year | None:
    row = conn.execute(select(years.c.school_id, years.c.name)
                       .where(years.c.year_id == year_id)).tuples().one_or_none()
    if row is None:
        return None
    found = conn.execute(
        select(periods.c.period_id, periods.c.name, periods.c.starts_on, periods.c.ends_on,
               periods.c.kind)
        .where(periods.c.year_id == year_id).order_by(periods.c.ordinal)).tuples().all()
    return Year(year_id, row[0], row[1], [(p, n, f, t) for p, n, f, t, _ in found],
                [p for p, _, _, _, kind in found if kind == "term"])


def _school(conn: Connection, school_id: UUID) -> str:
    found = lookup_reads.read_schools(conn, school_id)
    return found[0].name if found else ""


def _absent(conn: Connection, student_ids: Sequence[UUID], class_id: UUID,
            first: date, last: date) -> dict[UUID, tuple[int, int]]:
    """Each student's absences in the class from ``first`` to ``last``: all, of them ill."""
    if not student_ids or first > last:
        return {}
    found: dict[UUID, tuple[int, int]] = {}
    for student_id, reason, count in conn.execute(
            select(absences.c.student_id, absences.c.reason, func.count())
            .where(absences.c.class_id == class_id,
                   absences.c.student_id.in_(student_ids),
                   absences.c.lesson_date >= first, absences.c.lesson_date <= last)
            .group_by(absences.c.student_id, absences.c.reason)).tuples():
        total, illness = found.get(student_id, (0, 0))
        found[student_id] = (total + count, illness + (count if reason == "illness" else 0))
    return found


def _marks(conn: Connection, journal_ids: Sequence[UUID], period_ids: Sequence[UUID],
           student_ids: Sequence[UUID]) -> dict[tuple[UUID, UUID, UUID], str]:
    """(student, journal, period) → the period mark as it stands."""
    if not journal_ids or not period_ids or not student_ids:
        return {}
    return {(s, j, p): v for s, j, p, v in conn.execute(
        select(period_marks.c.student_id, period_marks.c.journal_id, period_marks.c.period_id,
               period_marks.c.value)
        .where(period_marks.c.journal_id.in_(journal_ids),
               period_marks.c.period_id.in_(period_ids),
               period_marks.c.student_id.in_(student_ids))).tuples()}


def _overlap(first: date, last: date, span: Span) -> tuple[date, date] | None:
    start = max(first, span[1])
    end = last if span[2] is None else min(last, span[2])
    return (start, end) if start <= end else None


# --- the табель ------------------------------------------------------------------------------


def report_card_data(conn: Connection, student_id: UUID, year: Year, at: Stamp,
                     spans: Sequence[Span] | None = None) -> dict[str, Any]:
    """The student's табель for the year; with ``spans`` (a teacher), only their classes'
    marks of the periods those days meet, and their absences on those days."""
    name = lookup_reads.full_names(conn, [student_id]).get(student_id, "")
    own = [(c, f, t) for c, f, t in lookup_reads.enrolment_spans(conn, student_id)]
    classes = {c.id: c for c in lookup_reads.read_classes(conn, year.school_id)
               if c.year_id == year.id}
    visible = [s for s in (own if spans is None else spans) if s[0] in classes]
    rows, absent = [], []
    for class_id in sorted({s[0] for s in visible}, key=lambda c: (
            lookup_reads.class_order(classes[c].name), str(c))):
        mine = [s for s in visible if s[0] == class_id]
        seen = [p for p in year.periods if any(_overlap(p[2], p[3], s) for s in mine)]
        journals = lookup_reads.read_class_journals(conn, class_id)
        marks = _marks(conn, [j.id for j in journals], [p[0] for p in seen], [student_id])
        for j in journals:
            rows.append({"subject": j.subject_name, "class": classes[class_id].name,
                         "marks": [marks.get((student_id, j.id, p[0]), "")
                                   if p in seen else "" for p in year.periods]})
        for p in year.periods:
            total = illness = 0
            for s in mine:
                days = _overlap(p[2], p[3], s)
                if days:
                    t, i = _absent(conn, [student_id], class_id, *days).get(student_id, (0, 0))
                    total, illness = total + t, illness + i
            absent.append((p[0], total, illness))
    sums = {p[0]: [0, 0] for p in year.periods}
    for period_id, total, illness in absent:
        sums[period_id][0] += total
        sums[period_id][1] += illness
    class_names = ", ".join(sorted({classes[s[0]].name for s in visible}))
    school = _school(conn, year.school_id)
    return {"title": f"Табель успеваемости: {name}, {year.name}",
            "footer": footer(school, class_names, REPORT_CARD, at),
            "school": school, "student": name, "class": class_names, "year": year.name,
            "periods": [p[1] for p in year.periods], "rows": rows,
            "absent": [sums[p[0]][0] for p in year.periods],
            "ill": [sums[p[0]][1] for p in year.periods]}


def print_report_card(engine: Engine, chain: Chain, student_id: UUID, year_id: UUID,
                      school_id: UUID, spans: Sequence[Span] | None = None) -> Printed:
    with snapshot(engine) as (conn, position):
        year = read_year(conn, year_id)
        if year is None or year.school_id != school_id:
            raise UnknownYear(f"no year {year_id} in the student's school")
        at = stamp(chain, position)
        data = report_card_data(conn, student_id, year, at, spans)
    return Printed(render("report_card", data), at, (student_id,))


# --- the сводная ведомость -------------------------------------------------------------------


def class_roster(conn: Connection, class_id: UUID) -> list[tuple[UUID, str, date, date | None]]:
    """Everyone ever enrolled in the class (each enrolment), by name."""
    rows = [(s, n or "", f, t) for s, n, f, t in conn.execute(
        select(enrolments.c.student_id, people.c.full_name, enrolments.c.from_date,
               enrolments.c.last_day)
        .outerjoin(people, people.c.user_id == enrolments.c.student_id)
        .where(enrolments.c.class_id == class_id)).tuples()]
    return sorted(rows, key=lambda r: (name_order(r[1]), str(r[0]), r[2]))


def summary_sheet_data(conn: Connection, class_id: UUID, year: Year, at: Stamp
                       ) -> tuple[dict[str, Any], tuple[UUID, ...]]:
    found = lookup_reads.read_class(conn, class_id)
    if found is None or found.year_id != year.id:
        raise UnknownYear(f"year {year.id} is not class {class_id}'s")
    enrolled = class_roster(conn, class_id)
    students: dict[UUID, str] = {}
    for student_id, name, _, _ in enrolled:
        students.setdefault(student_id, name)
    journals = lookup_reads.read_class_journals(conn, class_id)
    ids = list(students)
    marks = _marks(conn, [j.id for j in journals], [p[0] for p in year.periods], ids)
    tables = []
    for period_id, period_name, first, last in year.periods:
        within = {s for s, _, f, t in enrolled if f <= last and (t is None or t >= first)}
        absent = _absent(conn, ids, class_id, first, last)
        tables.append({"period": period_name,
                       "from": first.strftime("%d.%m.%Y"), "to": last.strftime("%d.%m.%Y"),
                       "rows": [{"name": students[s],
                                 "marks": [marks.get((s, j.id, period_id), "")
                                           for j in journals],
                                 "absent": absent.get(s, (0, 0))[0],
                                 "ill": absent.get(s, (0, 0))[1]}
                                for s in ids if s in within]})
    school = _school(conn, year.school_id)
    return {"title": f"Сводная ведомость: {found.name}, {year.name}",
            "footer": footer(school, found.name, SUMMARY_SHEET, at),
            "school": school, "class": found.name, "year": year.name,
            "class_teacher": found.class_teacher_name or "",
            "subjects": [j.subject_name for j in journals], "tables": tables}, tuple(ids)


def print_summary_sheet(engine: Engine, chain: Chain, class_id: UUID, year_id: UUID
                        ) -> Printed:
    with snapshot(engine) as (conn, position):
        year = read_year(conn, year_id)
        if year is None:
            raise UnknownYear(f"no year {year_id}")
        at = stamp(chain, position)
        data, students = summary_sheet_data(conn, class_id, year, at)
    return Printed(render("summary_sheet", data), at, students)
