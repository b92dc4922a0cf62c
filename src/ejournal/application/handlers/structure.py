"""Handlers of the school's structure: its years and calendar, subjects, classes and their
students and timetables, journals (teaching assignments), substitutes and programmes."""

from __future__ import annotations

from uuid import UUID, uuid4

from ejournal.application import commands as c
from ejournal.application import results as r
from ejournal.application.handlers.admin import (
    administered,
    administrator,
    in_school,
    member,
    school_of,
)
from ejournal.application.unit import Handler, UnitOfWork
from ejournal.domain import ids
from ejournal.domain.calendar import PeriodKind
from ejournal.domain.errors import AlreadyExists, NotFound
from ejournal.domain.journal import ClassJournal
from ejournal.domain.school import AcademicYear
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role, name, name_key


def plan_year(command: c.PlanYear, uow: UnitOfWork) -> r.YearPlanned:
    administrator(uow, command.actor_id, command.school_id)
    school_of(uow, command.school_id)
    year = AcademicYear.plan(
        year_id=uuid4(), school_id=command.school_id, name=command.name,
        starts_on=command.starts_on, ends_on=command.ends_on,
        days_per_week=command.days_per_week,
        periods=[(uuid4(), p[0], p[1], p[2], p[3] if len(p) > 3 else PeriodKind.TERM)
                 for p in command.periods],
        holidays=list(command.holidays), by=command.actor_id, at=uow.now,
    )
    uow.add(year)
    return r.YearPlanned(year.id, {p.name: pid for pid, p in year.periods.items()})


def declare_calendar_day(command: c.DeclareCalendarDay,
                         uow: UnitOfWork) -> r.CalendarDayDeclared:
    administrator(uow, command.actor_id, command.school_id)
    school = school_of(uow, command.school_id)
    school.declare_calendar_day(day=command.day, kind=command.kind, reason=command.reason,
                                by=command.actor_id, at=uow.now)
    uow.add(school)
    return r.CalendarDayDeclared()


def set_work_weights(command: c.SetWorkWeights, uow: UnitOfWork) -> r.WorkWeightsSet:
    administrator(uow, command.actor_id, command.school_id)
    school = school_of(uow, command.school_id)
    school.set_work_weights(dict(command.weights), by=command.actor_id, at=uow.now)
    uow.add(school)
    return r.WorkWeightsSet()


def _year_of(uow: UnitOfWork, school_id: UUID, year_id: UUID) -> AcademicYear:
    year = uow.load(AcademicYear, year_id, "academic year", "year_id")
    if year.school_id != school_id:
        raise NotFound(f"no academic year {year_id}", field="year_id")
    return year


def close_period(command: c.ClosePeriod, uow: UnitOfWork) -> r.PeriodClosed:
    administrator(uow, command.actor_id, command.school_id)
    year = _year_of(uow, command.school_id, command.year_id)
    year.close_period(period_id=command.period_id, by=command.actor_id, at=uow.now)
    uow.add(year)
    return r.PeriodClosed()


def reopen_period(command: c.ReopenPeriod, uow: UnitOfWork) -> r.PeriodReopened:
    administrator(uow, command.actor_id, command.school_id)
    year = _year_of(uow, command.school_id, command.year_id)
    year.reopen_period(period_id=command.period_id, reason=command.reason,
                       by=command.actor_id, at=uow.now)
    uow.add(year)
    return r.PeriodReopened()


def add_subject(command: c.AddSubject, uow: UnitOfWork) -> r.SubjectAdded:
    administrator(uow, command.actor_id, command.school_id)
    school = school_of(uow, command.school_id)
    subject_id = uow.new_id()  # the caller's choice (an import names it), else new
    school.add_subject(subject_id=subject_id, name=command.name, by=command.actor_id,
                       at=uow.now)
    uow.add(school)
    return r.SubjectAdded(subject_id)


def open_class(command: c.OpenClass, uow: UnitOfWork) -> r.ClassOpened:
    administrator(uow, command.actor_id, command.school_id)
    year = uow.load(AcademicYear, command.year_id, "academic year", "year_id")
    if year.school_id != command.school_id:
        raise NotFound(f"no academic year {command.year_id} in this school", field="year_id")
    if command.class_teacher_id is not None:
        member(uow, command.school_id, command.class_teacher_id, Role.TEACHER,
               "class_teacher_id")
    clean = name(command.name)
    # One class of a name per year: its id is derived from the name (ids.py).
    class_id = ids.class_id(command.year_id, name_key(clean))
    if uow.exists(class_id):
        raise AlreadyExists(f"the year already has a class named {clean!r}", field="name")
    school_class = SchoolClass.open(
        class_id=class_id, school_id=command.school_id, year_id=command.year_id,
        name=clean, class_teacher_id=command.class_teacher_id, by=command.actor_id,
        at=uow.now, grade=command.grade)
    uow.add(school_class)
    return r.ClassOpened(school_class.id)


def _class_for_admin(uow: UnitOfWork, actor_id: UUID, class_id: UUID) -> SchoolClass:
    return administered(uow, actor_id, SchoolClass, class_id, "class", "class_id")


def enrol_student(command: c.EnrolStudent, uow: UnitOfWork) -> r.StudentEnrolled:
    school_class = _class_for_admin(uow, command.actor_id, command.class_id)
    member(uow, school_class.school_id, command.student_id, Role.STUDENT, "student_id")
    year = uow.load(AcademicYear, school_class.year_id, "academic year")
    school_class.enrol(student_id=command.student_id, from_date=command.from_date,
                       year_starts_on=year.starts_on, year_ends_on=year.ends_on,
                       by=command.actor_id, at=uow.now)
    uow.add(school_class)
    return r.StudentEnrolled()


def end_enrolment(command: c.EndEnrolment, uow: UnitOfWork) -> r.EnrolmentEnded:
    school_class = _class_for_admin(uow, command.actor_id, command.class_id)
    school_class.end_enrolment(student_id=command.student_id, last_day=command.last_day,
                               by=command.actor_id, at=uow.now)
    uow.add(school_class)
    return r.EnrolmentEnded()


def appoint_class_teacher(command: c.AppointClassTeacher,
                          uow: UnitOfWork) -> r.ClassTeacherAppointed:
    school_class = _class_for_admin(uow, command.actor_id, command.class_id)
    teacher = in_school(uow, school_class.school_id, command.teacher_id, "teacher_id")
    school_class.appoint_class_teacher(teacher.role, teacher_id=command.teacher_id,
                                       by=command.actor_id, at=uow.now)
    uow.add(school_class)
    return r.ClassTeacherAppointed()


def set_timetable(command: c.SetTimetable, uow: UnitOfWork) -> r.TimetableSet:
    school_class = _class_for_admin(uow, command.actor_id, command.class_id)
    year = uow.load(AcademicYear, school_class.year_id, "academic year")
    journals = {j for _, _, j in command.lessons}
    own = {j for j in journals if _journal_of_class(uow, j, command.class_id)}
    school_class.set_timetable(valid_from=command.valid_from, lessons=list(command.lessons),
                               class_journals=own, days_per_week=year.days_per_week,
                               by=command.actor_id, at=uow.now)
    uow.add(school_class)
    return r.TimetableSet()


def _journal_of_class(uow: UnitOfWork, journal_id: UUID, class_id: UUID) -> bool:
    try:
        journal = uow.load(ClassJournal, journal_id, "journal")
    except NotFound:
        return False
    return journal.class_id == class_id


def open_journal(command: c.OpenJournal, uow: UnitOfWork) -> r.JournalOpened:
    school_class = _class_for_admin(uow, command.actor_id, command.class_id)
    school = school_of(uow, school_class.school_id)
    school.ensure_subject(command.subject_id)
    teacher = in_school(uow, school.id, command.teacher_id, "teacher_id")
    journal_id = ids.journal_id(command.class_id, command.subject_id)
    if uow.exists(journal_id):
        raise AlreadyExists("this class has a journal for that subject already",
                            field="subject_id")
    journal = ClassJournal.open(
        journal_id=journal_id, school_id=school.id, class_id=command.class_id,
        subject_id=command.subject_id, year_id=school_class.year_id,
        teacher_id=command.teacher_id, teacher_role=teacher.role, by=command.actor_id,
        at=uow.now)
    uow.add(journal)
    return r.JournalOpened(journal.id)


def _journal_for_admin(uow: UnitOfWork, actor_id: UUID, journal_id: UUID) -> ClassJournal:
    return administered(uow, actor_id, ClassJournal, journal_id, "journal", "journal_id")


def assign_teacher(command: c.AssignTeacher, uow: UnitOfWork) -> r.TeacherAssigned:
    journal = _journal_for_admin(uow, command.actor_id, command.journal_id)
    teacher = in_school(uow, journal.school_id, command.teacher_id, "teacher_id")
    journal.assign_teacher(teacher_id=command.teacher_id, teacher_role=teacher.role,
                           by=command.actor_id, at=uow.now)
    uow.add(journal)
    return r.TeacherAssigned()


def appoint_substitute(command: c.AppointSubstitute, uow: UnitOfWork) -> r.SubstituteAppointed:
    journal = _journal_for_admin(uow, command.actor_id, command.journal_id)
    teacher = in_school(uow, journal.school_id, command.teacher_id, "teacher_id")
    journal.appoint_substitute(teacher_id=command.teacher_id, teacher_role=teacher.role,
                               from_date=command.from_date, to_date=command.to_date,
                               by=command.actor_id, at=uow.now)
    uow.add(journal)
    return r.SubstituteAppointed()


def set_programme(command: c.SetProgramme, uow: UnitOfWork) -> r.ProgrammeSet:
    journal = _journal_for_admin(uow, command.actor_id, command.journal_id)
    journal.set_programme(topics=list(command.topics), by=command.actor_id, at=uow.now)
    uow.add(journal)
    return r.ProgrammeSet()


HANDLERS: dict[type, Handler] = {
    c.PlanYear: plan_year,
    c.DeclareCalendarDay: declare_calendar_day,
    c.SetWorkWeights: set_work_weights,
    c.ClosePeriod: close_period,
    c.ReopenPeriod: reopen_period,
    c.AddSubject: add_subject,
    c.OpenClass: open_class,
    c.EnrolStudent: enrol_student,
    c.EndEnrolment: end_enrolment,
    c.AppointClassTeacher: appoint_class_teacher,
    c.SetTimetable: set_timetable,
    c.OpenJournal: open_journal,
    c.AssignTeacher: assign_teacher,
    c.AppointSubstitute: appoint_substitute,
    c.SetProgramme: set_programme,
}
