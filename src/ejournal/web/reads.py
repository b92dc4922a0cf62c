"""What the pages read, and the one place they read it: the API's access rules first
(``api.access``: 404 for what the viewer may not see, staff reads logged), then the read
models the API answers from, shaped for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.api.access import log_access, may_read_student
from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.domain.people import User
from ejournal.domain.school import School
from ejournal.projections.diary import DiaryLesson, read_diary
from ejournal.projections.directory import children_of

#: The shortest wait for the projector to reach the head of the log (relations that decide
#: what a viewer sees take effect as soon as they are acknowledged).
FRESH = 5.0


@dataclass(frozen=True)
class Person:
    id: UUID
    name: str


def _users(svc: Services, ids: list[UUID]) -> dict[UUID, User]:
    loaded = svc.app.loader.load(ids, read_only=set(ids))
    return {i: u for i, u in loaded.items() if isinstance(u, User)}


def timezone_of(svc: Services, viewer: Principal) -> str:
    if viewer.school_id is None:
        return "UTC"
    school = svc.app.loader.load([viewer.school_id], read_only={viewer.school_id}).get(
        viewer.school_id)
    return school.timezone if isinstance(school, School) else "UTC"


def today(svc: Services, viewer: Principal) -> date:
    """The date at the viewer's school now."""
    return svc.now().astimezone(ZoneInfo(timezone_of(svc, viewer))).date()


def family(svc: Services, viewer: Principal) -> list[Person]:
    """The students whose pages the viewer reads: a guardian's children, a student
    themself."""
    if viewer.role.value == "student":
        return [Person(viewer.user_id, viewer.full_name)]
    svc.projector.wait_for(svc.projector.head(), timeout=FRESH)
    with svc.reader.connect() as conn:
        ids = children_of(conn, viewer.user_id)
    users = _users(svc, ids)
    return sorted((Person(i, users[i].full_name) for i in ids if i in users),
                  key=lambda p: p.name)


@dataclass
class DiaryDay:
    date: date
    lessons: list[DiaryLesson] = field(default_factory=list)


@dataclass
class DiaryWeek:
    student: Person
    monday: date
    days: list[DiaryDay]

    @property
    def last(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def diary_week(svc: Services, viewer: Principal, student_id: UUID, day: date) -> DiaryWeek:
    """The week (Monday to Sunday) holding ``day`` of the student's diary: each day Monday
    to Saturday, and Sunday when it has lessons."""
    student = may_read_student(svc, viewer, student_id)
    monday = monday_of(day)
    log_access(svc, viewer, student_id, "diary", svc.now())
    with svc.reader.connect() as conn:
        found = {d.date: d.lessons for d in read_diary(conn, student_id, monday,
                                                        monday + timedelta(days=6))}
    days = [DiaryDay(monday + timedelta(days=n), found.get(monday + timedelta(days=n), []))
            for n in range(7)]
    if not days[-1].lessons:
        days.pop()
    return DiaryWeek(Person(student.id, student.full_name), monday, days)
