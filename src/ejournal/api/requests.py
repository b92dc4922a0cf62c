"""What a request body may hold: one model per write, unknown fields refused, and the field
types they share (text, dates, marks). The shape is checked here; the rules of the school
(who may, lateness, conflicts) by the application and the domain."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from ejournal.domain.errors import InvalidMarkValue
from ejournal.domain.people import USERNAME
from ejournal.domain.school_class import MAX_SLOT
from ejournal.domain.values import MAX_TEXT, AbsenceReason, Role, Work, mark_value

# --- field types -------------------------------------------------------------------------

#: Dates a request may carry: the years of the Russian production calendar (``holidays``
#: knows 1991-2100). Lateness counts its working days; a year 1 or 9999 means nothing there,
#: and counting working days across centuries would cost seconds of CPU per request.
FIRST_DAY, LAST_DAY = date(1991, 1, 1), date(2100, 12, 31)


def _within_calendar(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date_range", "a date lies within {first} .. {last}",
                                  {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return day


#: A date within FIRST_DAY .. LAST_DAY.
SchoolDate = Annotated[date, AfterValidator(_within_calendar)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(raw: Any) -> Any:
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        raise PydanticCustomError("date_format", "a date is a string YYYY-MM-DD")
    return raw


#: A school-local date written exactly ``YYYY-MM-DD`` (journal entries).
LocalDate = Annotated[SchoolDate, BeforeValidator(_iso_date)]


def _clean_text(raw: str) -> str:
    """Valid Unicode without NUL; the message never echoes the value (it may be a password)."""
    if "\x00" in raw:
        raise PydanticCustomError("text_nul", "text must not contain a NUL character")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_surrogate",
                                  "text must not contain a lone surrogate") from None
    return raw


#: Free text: at most 2,000 characters of valid Unicode, no NUL; required text is not empty.
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_clean_text)]
OptionalText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_clean_text)]
def _trimmed_nfc(raw: Any) -> Any:
    return unicodedata.normalize("NFC", raw.strip()) if isinstance(raw, str) else raw


#: Trimmed and NFC before the pattern is checked (as the domain does).
Username = Annotated[str, BeforeValidator(_trimmed_nfc), Field(pattern=USERNAME.pattern),
                     AfterValidator(_clean_text)]
#: What a password must be beyond its shape is the policy's (``domain.passwords``, R-7.3).
Password = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_clean_text)]
Timezone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean_text)]
# Where the contract says a number, only a JSON number that is an integer is one: "1", 1.0 and
# true are refused alike (one strictness for every field; pydantic's lax mode would take them).
Weekday = Annotated[int, Field(ge=1, le=7, strict=True,
                               description="ISO: 1 = Monday ... 7 = Sunday")]
#: A lesson's slot in the day (journal entries and the timetable).
Slot = Annotated[int, Field(ge=1, le=MAX_SLOT, strict=True,
                            description=f"the lesson's slot in the day, 1..{MAX_SLOT}")]
TimetableSlot = Slot


def _json_integer(raw: Any) -> Any:
    """A choice among integers (``Literal[5, 6]``) takes no float and no bool either."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return raw


def _mark_value(raw: Any) -> Any:
    """R-6.1a: 2, 3, 4 or 5 as a string; anything else is refused with the domain's words.
    Non-strings are left to the ``Literal`` check (which refuses them too)."""
    if isinstance(raw, str):
        try:
            return mark_value(raw)
        except InvalidMarkValue as exc:
            raise PydanticCustomError("mark_value", "[R-6.1a] {detail}",
                                      {"detail": exc.detail}) from None
    return raw


#: R-6.1a: a mark is one of "2", "3", "4", "5"; "1", "Н", "5+" and the like are 422.
MarkValue = Annotated[Literal["2", "3", "4", "5"], BeforeValidator(_mark_value),
                      Field(description='R-6.1a: one of "2", "3", "4", "5" (never 1; "Н" is '
                                        "an absence, recorded by attendance)")]


POLICY = ("R-7.3: at least 10 characters, not among the 10,000 commonest, not containing the "
          "username; never echoed")


class StrictIn(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# --- schools and people ------------------------------------------------------------------


class SchoolIn(StrictIn):
    name: Text
    timezone: Timezone = Field(description="IANA, e.g. Asia/Novosibirsk")


class UserIn(StrictIn):
    username: Username = Field(description="2-64 latin letters, digits and . _ @ -; "
                                           "unique across the platform")
    password: Password = Field(description=POLICY, repr=False)
    full_name: Text
    role: Role = Field(description="an admin registers any role but operator")


class GuardianIn(StrictIn):
    guardian_id: UUID


# --- the year, its calendar and subjects -------------------------------------------------


class DateSpanIn(StrictIn):
    name: Text
    starts_on: SchoolDate
    ends_on: SchoolDate


class PeriodIn(DateSpanIn):
    kind: Literal["term", "year"] = Field(
        "term", description="term: a quarter, trimester or half-year; year: the year mark's")


class YearIn(StrictIn):
    name: Text
    starts_on: SchoolDate
    ends_on: SchoolDate
    days_per_week: Annotated[Literal[5, 6], BeforeValidator(_json_integer)]
    periods: list[PeriodIn] = Field(min_length=1, max_length=50)
    holidays: list[DateSpanIn] = Field(default_factory=list, max_length=100,
                                       description="каникулы")


Weight = Annotated[int, Field(ge=1, le=10, strict=True,
                              description="the kind of work's weight, 1..10")]


class WorkWeightsIn(StrictIn):
    """The weight of each kind of work in weighted averages; a kind left out weighs 1."""

    oral: Weight = 1
    written: Weight = 1
    practical: Weight = 1
    test: Weight = 1
    homework: Weight = 1


class CalendarDayIn(StrictIn):
    date: SchoolDate
    kind: Literal["day_off", "school_day"]
    reason: Text


class SubjectIn(StrictIn):
    name: Text


# --- classes and journals ----------------------------------------------------------------


class ClassIn(StrictIn):
    name: Text
    year_id: UUID
    class_teacher_id: UUID | None = None
    grade: int | None = Field(default=None, ge=1, le=11, strict=True,
                              description="the grade (параллель), 1..11")


class EnrolmentIn(StrictIn):
    student_id: UUID
    from_date: SchoolDate


class EnrolmentEndIn(StrictIn):
    on_date: SchoolDate = Field(description="the student's last day in the class")


class TimetableLessonIn(StrictIn):
    weekday: Weekday
    slot: TimetableSlot
    journal_id: UUID


class TimetableIn(StrictIn):
    valid_from: SchoolDate
    lessons: list[TimetableLessonIn] = Field(max_length=7 * MAX_SLOT)


class JournalIn(StrictIn):
    class_id: UUID
    subject_id: UUID
    teacher_id: UUID


class SubstitutionIn(StrictIn):
    teacher_id: UUID
    from_date: SchoolDate
    to_date: SchoolDate


class TopicIn(StrictIn):
    title: Text
    hours: Annotated[int, Field(ge=1, le=1000, strict=True)]


class ProgrammeIn(StrictIn):
    topics: list[TopicIn] = Field(max_length=1000)


# --- journal entries ---------------------------------------------------------------------


class LessonIn(StrictIn):
    date: LocalDate
    slot: Slot
    topic: Text
    homework: OptionalText | None = None
    programme_topic: OptionalText | None = Field(
        default=None, description="R-4.7: a topic title of the journal's work programme")
    homework_minutes: Annotated[int, Field(ge=0, le=300, strict=True)] | None = Field(
        default=None, description="R-3.4g: the minutes the homework takes (with homework)")
    written_work: StrictBool = Field(
        default=False, description="R-6.1d: written work was done at this lesson; every "
        "student present needs a written or test mark within three working days")


class AbsentIn(StrictIn):
    student_id: UUID
    reason: AbsenceReason | None = None


class AttendanceIn(StrictIn):
    absent: list[AbsentIn] = Field(
        max_length=1000, description="the absent students; an empty list: all present")


class AbsenceCancellationIn(StrictIn):
    reason: Text


class MarkIn(StrictIn):
    student_id: UUID
    value: MarkValue
    work: Work
    comment: OptionalText | None = None


class CorrectionIn(StrictIn):
    value: MarkValue
    reason: Text


class MarkCancellationIn(StrictIn):
    reason: Text


class PeriodMarkIn(StrictIn):
    student_id: UUID
    period_id: UUID
    value: MarkValue
