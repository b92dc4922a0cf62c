"""How the domain's value types are stored in an event's JSON ``state``.

Each transcoding's ``name`` is part of the stored schema (``docs/events.md``): never rename
one, never register another type under it. Values are written compactly (ids as 32 hex
digits, dates as ISO text) inside their envelope, ``{"_type_": name, "_data_": ...}``.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import Transcoding

from ejournal.domain.calendar import DayKind, Holiday, Period, PeriodKind
from ejournal.domain.journal import ProgrammeTopic
from ejournal.domain.school_class import TimetableLesson
from ejournal.domain.values import Absence, AbsenceReason, Late, Role, Work

E = TypeVar("E", bound=Enum)


class _EnumAsValue(Transcoding, Generic[E]):
    """An enum member as its value."""

    def __init__(self, kind: type[E], name: str) -> None:
        self.type = kind
        self.name = name

    def encode(self, obj: E) -> Any:
        return obj.value

    def decode(self, data: Any) -> E:
        member: E = self.type(data)
        return member


class LateAsDict(Transcoding):
    type = Late
    name = "late"

    def encode(self, obj: Late) -> dict[str, Any]:
        return {"rule": obj.rule, "due": obj.due.isoformat(), "days": obj.days,
                "working_days": obj.working_days}

    def decode(self, data: dict[str, Any]) -> Late:
        return Late(data["rule"], date.fromisoformat(data["due"]), data["days"],
                    data["working_days"])


class AbsenceAsDict(Transcoding):
    type = Absence
    name = "absence"

    def encode(self, obj: Absence) -> dict[str, Any]:
        return {"student_id": obj.student_id.hex,
                "reason": obj.reason.value if obj.reason else None}

    def decode(self, data: dict[str, Any]) -> Absence:
        reason = data["reason"]
        return Absence(UUID(data["student_id"]), AbsenceReason(reason) if reason else None)


class PeriodAsDict(Transcoding):
    type = Period
    name = "period"

    def encode(self, obj: Period) -> dict[str, Any]:
        return {"id": obj.id.hex, "name": obj.name, "starts_on": obj.starts_on.isoformat(),
                "ends_on": obj.ends_on.isoformat(), "kind": obj.kind.value}

    def decode(self, data: dict[str, Any]) -> Period:
        """A period stored before periods had a kind is a term."""
        return Period(UUID(data["id"]), data["name"], date.fromisoformat(data["starts_on"]),
                      date.fromisoformat(data["ends_on"]),
                      PeriodKind(data.get("kind", PeriodKind.TERM.value)))


class HolidayAsDict(Transcoding):
    type = Holiday
    name = "holiday"

    def encode(self, obj: Holiday) -> dict[str, Any]:
        return {"name": obj.name, "starts_on": obj.starts_on.isoformat(),
                "ends_on": obj.ends_on.isoformat()}

    def decode(self, data: dict[str, Any]) -> Holiday:
        return Holiday(data["name"], date.fromisoformat(data["starts_on"]),
                       date.fromisoformat(data["ends_on"]))


class ProgrammeTopicAsDict(Transcoding):
    type = ProgrammeTopic
    name = "programme_topic"

    def encode(self, obj: ProgrammeTopic) -> dict[str, Any]:
        return {"title": obj.title, "hours": obj.hours}

    def decode(self, data: dict[str, Any]) -> ProgrammeTopic:
        return ProgrammeTopic(data["title"], data["hours"])


class TimetableLessonAsDict(Transcoding):
    type = TimetableLesson
    name = "timetable_lesson"

    def encode(self, obj: TimetableLesson) -> dict[str, Any]:
        return {"weekday": obj.weekday, "slot": obj.slot, "journal_id": obj.journal_id.hex}

    def decode(self, data: dict[str, Any]) -> TimetableLesson:
        return TimetableLesson(data["weekday"], data["slot"], UUID(data["journal_id"]))


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def transcodings() -> list[Transcoding]:
    """Every transcoding the domain's events need beyond the library's own."""
    return [
        DateAsISO(), LateAsDict(), AbsenceAsDict(), PeriodAsDict(), HolidayAsDict(),
        ProgrammeTopicAsDict(), TimetableLessonAsDict(),
        _EnumAsValue(Work, "work"), _EnumAsValue(AbsenceReason, "absence_reason"),
        _EnumAsValue(Role, "role"), _EnumAsValue(DayKind, "day_kind"),
    ]
