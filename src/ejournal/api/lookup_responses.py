"""What the lookups answer, as the OpenAPI document describes it: schools, years, people,
subjects, classes, their students, journals and timetables, a journal, a guardian's children,
a teacher's journals, a student's guardians and period marks."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from ejournal.api.paging import Page


class SchoolOut(BaseModel):
    id: UUID
    name: str
    timezone: str


class SchoolsOut(Page[SchoolOut]):
    pass


class YearPeriodOut(BaseModel):
    id: UUID
    name: str
    kind: str = Field(description="term | year")
    starts_on: date
    ends_on: date


class HolidaysOut(BaseModel):
    name: str
    starts_on: date
    ends_on: date


class YearItemOut(BaseModel):
    id: UUID
    name: str
    starts_on: date
    ends_on: date
    days_per_week: int
    periods: list[YearPeriodOut]
    holidays: list[HolidaysOut]


class YearsOut(Page[YearItemOut]):
    pass


class UserItemOut(BaseModel):
    id: UUID
    username: str
    full_name: str
    role: str
    disabled: bool


class UsersOut(Page[UserItemOut]):
    pass


class SubjectOut(BaseModel):
    id: UUID
    name: str


class SubjectsOut(Page[SubjectOut]):
    pass


class ClassOut(BaseModel):
    id: UUID
    name: str
    grade: int | None = Field(description="1..11, null when not given")
    year_id: UUID
    class_teacher_id: UUID | None
    class_teacher_name: str | None


class ClassesOut(Page[ClassOut]):
    pass


class EnrolledOut(BaseModel):
    id: UUID
    full_name: str
    from_date: date
    to_date: date | None = Field(description="the last day in the class; null while enrolled")


class EnrolledListOut(Page[EnrolledOut]):
    pass


class ClassJournalOut(BaseModel):
    id: UUID
    subject_id: UUID
    subject_name: str
    teacher_id: UUID
    teacher_name: str


class ClassJournalsOut(Page[ClassJournalOut]):
    pass


class TimetableLessonOut(BaseModel):
    weekday: int = Field(description="ISO: 1 = Monday")
    slot: int
    journal_id: UUID
    subject_name: str
    teacher_name: str


class TimetableOut(BaseModel):
    valid_from: date | None = Field(description="null when the class has no timetable then")
    lessons: list[TimetableLessonOut]


class ProgrammeTopicOut(BaseModel):
    title: str
    hours: int


class SubstitutionOut(BaseModel):
    teacher_id: UUID
    teacher_name: str
    from_date: date
    to_date: date


class JournalOut(BaseModel):
    id: UUID
    class_id: UUID
    class_name: str
    subject_id: UUID
    subject_name: str
    teacher_id: UUID
    teacher_name: str
    programme: list[ProgrammeTopicOut]
    substitutions: list[SubstitutionOut]


class TeacherJournalOut(BaseModel):
    id: UUID
    class_id: UUID
    class_name: str
    subject_id: UUID
    subject_name: str
    teacher_id: UUID
    teacher_name: str
    substitute_from: date | None = Field(description="null for the teacher's own journal")
    substitute_to: date | None


class TeacherJournalsOut(Page[TeacherJournalOut]):
    pass


class ChildOut(BaseModel):
    id: UUID
    full_name: str
    class_id: UUID | None = Field(description="the class they are in today (else the last)")
    class_name: str | None


class ChildrenOut(Page[ChildOut]):
    pass


class GuardianOut(BaseModel):
    id: UUID
    full_name: str
    linked_at: datetime
    linked_by_name: str


class GuardiansOut(Page[GuardianOut]):
    pass
