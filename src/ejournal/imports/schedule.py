"""The timetable (which journal is taught at which weekday and slot, by whom, from when) and
the work programmes (each journal's topics and hours), as rows. A timetable row opens the
class's journal of that subject (and adds the subject) when there is none; a programme's
journal must exist."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from ejournal.application import commands as c
from ejournal.domain import ids
from ejournal.domain.journal import ProgrammeTopic
from ejournal.domain.values import Role, name_key
from ejournal.imports.files import Table
from ejournal.imports.plan import Columns, Context, Plan, date_cell, login_problem

CLASS, WEEKDAY, SLOT, SUBJECT, TEACHER, FROM = ("Класс", "День недели", "Урок", "Предмет",
                                                "Учитель", "Действует с")
TIMETABLE_REQUIRED = [CLASS, WEEKDAY, SLOT, SUBJECT, TEACHER]
TOPIC, HOURS = "Тема", "Часы"
PROGRAMME_REQUIRED = [CLASS, SUBJECT, TOPIC, HOURS]
WEEKDAYS = {"пн": 1, "понедельник": 1, "вт": 2, "вторник": 2, "ср": 3, "среда": 3,
            "чт": 4, "четверг": 4, "пт": 5, "пятница": 5, "сб": 6, "суббота": 6,
            "вс": 7, "воскресенье": 7, **{str(n): n for n in range(1, 8)}}


@dataclass
class Week:
    """One class's timetable from one date, as the file gives it."""

    row: int
    lessons: dict[tuple[int, int], UUID] = field(default_factory=dict)
    rows: dict[tuple[int, int], int] = field(default_factory=dict)


def _class(plan: Plan, ctx: Context, classes: Mapping[str, object], row: int,
           class_name: str) -> UUID | None:
    if not class_name:
        plan.problem(row, CLASS, "нужен класс")
        return None
    if name_key(class_name) not in classes:
        assert ctx.year is not None  # noqa: S101 - checked by the planners
        plan.problem(row, CLASS, f"нет класса «{class_name}» в учебном году {ctx.year.name}")
        return None
    return ctx.class_id(class_name)


def _int(plan: Plan, row: int, column: str, raw: str, low: int, high: int) -> int | None:
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    plan.problem(row, column, f"«{raw}»: целое число от {low} до {high}")
    return None


def plan_timetable(ctx: Context, table: Table) -> Plan:
    plan = Plan(rows=len(table.rows))
    cols = Columns(table, plan, TIMETABLE_REQUIRED, [FROM])
    if not cols.ok:
        return plan
    if ctx.year is None:
        plan.problem(None, None, "в школе нет учебного года: сначала создайте его")
        return plan
    cells = [(row, {n: cols.get(v, n) for n in [*TIMETABLE_REQUIRED, FROM]})
             for row, v in table.rows]
    classes = dict(ctx.classes(v[CLASS] for _, v in cells if v[CLASS]))
    teachers = ctx.users(v[TEACHER] for _, v in cells
                         if v[TEACHER] and login_problem(v[TEACHER]) is None)
    subjects = ctx.subjects()
    journals = ctx.journals(ids.journal_id(ctx.class_id(n), sid)
                            for n in {v[CLASS] for _, v in cells if v[CLASS]}
                            for sid in subjects.values())
    taught: dict[UUID, tuple[UUID, int]] = {}  # journal -> its teacher in the file, first row
    weeks: dict[tuple[UUID, date], Week] = {}
    for row, v in cells:
        class_id = _class(plan, ctx, classes, row, v[CLASS])
        weekday = WEEKDAYS.get(v[WEEKDAY].casefold())
        if weekday is None:
            plan.problem(row, WEEKDAY, f"«{v[WEEKDAY]}»: 1-7 или пн, вт, ср, чт, пт, сб, вс")
        slot = _int(plan, row, SLOT, v[SLOT], 1, 10)
        valid_from = date_cell(plan, ctx, row, FROM, v[FROM], ctx.year.starts_on)
        teacher = teachers.get(v[TEACHER].casefold())
        if teacher is None or teacher.school_id != ctx.school_id \
                or teacher.role is not Role.TEACHER:
            plan.problem(row, TEACHER, f"учителя с логином «{v[TEACHER]}» нет в штате школы")
            teacher = None
        if not v[SUBJECT]:
            plan.problem(row, SUBJECT, "нужен предмет")
        if class_id is None or weekday is None or slot is None or valid_from is None \
                or teacher is None or not v[SUBJECT]:
            continue
        subject_id = subjects.get(name_key(v[SUBJECT]))
        if subject_id is None:
            subject_id = subjects[name_key(v[SUBJECT])] = uuid4()
            plan.step(c.AddSubject(ctx.actor_id, ctx.school_id, name=v[SUBJECT]), row,
                      {"name": SUBJECT}, new_id=subject_id)
            plan.count("subjects")
        journal_id = ids.journal_id(class_id, subject_id)
        if journal_id in taught:
            if taught[journal_id][0] != teacher.id:
                plan.problem(row, TEACHER, f"в строке {taught[journal_id][1]} этот предмет "
                                           "класса ведёт другой учитель")
                continue
        else:
            taught[journal_id] = (teacher.id, row)
            existing = journals.get(journal_id)
            if existing is None:
                plan.step(c.OpenJournal(ctx.actor_id, class_id, subject_id=subject_id,
                                        teacher_id=teacher.id), row,
                          {"teacher_id": TEACHER, "subject_id": SUBJECT})
                plan.count("journals")
            elif existing.teacher_id != teacher.id:
                plan.step(c.AssignTeacher(ctx.actor_id, journal_id, teacher_id=teacher.id),
                          row, {"teacher_id": TEACHER})
                plan.count("teachers_assigned")
        week = weeks.setdefault((class_id, valid_from), Week(row))
        if (weekday, slot) in week.lessons:
            plan.problem(row, SLOT, f"урок {slot} в этот день уже задан в строке "
                                    f"{week.rows[(weekday, slot)]}")
            continue
        week.lessons[(weekday, slot)] = journal_id
        week.rows[(weekday, slot)] = row
    by_id = {ctx.class_id(k): x for k, x in classes.items()}
    for (class_id, valid_from), week in weeks.items():
        lessons = sorted((d, s, j) for (d, s), j in week.lessons.items())
        current = dict(by_id[class_id].timetables)
        if sorted((t.weekday, t.slot, t.journal_id) for t in current.get(valid_from, ())) \
                == lessons:
            continue
        plan.step(c.SetTimetable(ctx.actor_id, class_id, valid_from=valid_from,
                                 lessons=lessons), week.row,
                  {"valid_from": FROM, "lessons": WEEKDAY})
        plan.count("timetables")
    return plan


def plan_programme(ctx: Context, table: Table) -> Plan:
    plan = Plan(rows=len(table.rows))
    cols = Columns(table, plan, PROGRAMME_REQUIRED, [])
    if not cols.ok:
        return plan
    if ctx.year is None:
        plan.problem(None, None, "в школе нет учебного года: сначала создайте его")
        return plan
    cells = [(row, {n: cols.get(v, n) for n in PROGRAMME_REQUIRED}) for row, v in table.rows]
    classes = dict(ctx.classes(v[CLASS] for _, v in cells if v[CLASS]))
    subjects = ctx.subjects()
    journals = ctx.journals(ids.journal_id(ctx.class_id(n), sid)
                            for n in {v[CLASS] for _, v in cells if v[CLASS]}
                            for sid in subjects.values())
    topics: dict[UUID, list[tuple[str, int]]] = defaultdict(list)
    first_row: dict[UUID, int] = {}
    for row, v in cells:
        class_id = _class(plan, ctx, classes, row, v[CLASS])
        subject_id = subjects.get(name_key(v[SUBJECT]))
        if subject_id is None:
            plan.problem(row, SUBJECT, f"нет предмета «{v[SUBJECT]}» в школе")
        hours = _int(plan, row, HOURS, v[HOURS], 1, 999)
        if not v[TOPIC]:
            plan.problem(row, TOPIC, "нужна тема")
        if class_id is None or subject_id is None or hours is None or not v[TOPIC]:
            continue
        journal_id = ids.journal_id(class_id, subject_id)
        if journal_id not in journals:
            plan.problem(row, SUBJECT, f"у класса «{v[CLASS]}» нет журнала «{v[SUBJECT]}»: "
                                       "сначала импортируйте расписание")
            continue
        if any(name_key(t) == name_key(v[TOPIC]) for t, _ in topics[journal_id]):
            plan.problem(row, TOPIC, f"тема «{v[TOPIC]}» уже есть в программе выше")
            continue
        topics[journal_id].append((v[TOPIC], hours))
        first_row.setdefault(journal_id, row)
    for journal_id, items in topics.items():
        if list(journals[journal_id].programme) == [ProgrammeTopic(t, h) for t, h in items]:
            continue
        plan.step(c.SetProgramme(ctx.actor_id, journal_id, topics=items),
                  first_row[journal_id], {"topics": TOPIC})
        plan.count("programmes")
        plan.counts["topics"] = plan.counts.get("topics", 0) + len(items)
    return plan
