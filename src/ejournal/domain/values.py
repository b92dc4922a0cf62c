"""Value types of the journal: marks, kinds of work, absence reasons, roles, actors, lateness.

Enums are plain :class:`~enum.Enum` (not ``str``): events store them through their own
transcodings (``transcodings.py``), so a field typed ``Work`` reads back as a ``Work``."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from ejournal.domain.errors import InvalidEntry, InvalidMarkValue, ReasonRequired

#: R-6.1a: the marks a cell may hold. "Н" is an absence, never a mark; 1 is never given.
MARK_VALUES: tuple[str, ...] = ("2", "3", "4", "5")
ABSENT_SYMBOL = "Н"
MAX_TEXT = 2000


class Work(Enum):
    """The kind of work a mark is for; it decides the mark's timeliness rule."""

    ORAL = "oral"
    WRITTEN = "written"
    PRACTICAL = "practical"
    TEST = "test"
    HOMEWORK = "homework"

    @property
    def is_written(self) -> bool:
        """Written work (письменная работа) answers to R-6.1d, not to R-4.6."""
        return self in (Work.WRITTEN, Work.TEST)


class AbsenceReason(Enum):
    ILLNESS = "illness"
    EXCUSED = "excused"
    UNEXCUSED = "unexcused"


class Role(Enum):
    OPERATOR = "operator"
    ADMIN = "admin"
    TEACHER = "teacher"
    STUDENT = "student"
    GUARDIAN = "guardian"
    AUDITOR = "auditor"


def mark_value(raw: Any) -> str:
    """R-6.1a: returns the mark as one of "2".."5", or refuses with the rule id."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise InvalidMarkValue(f"a mark is one of 2, 3, 4, 5; got {raw!r}")
    text = str(raw)
    if text in MARK_VALUES:
        return text
    if text.strip().upper() in (ABSENT_SYMBOL, "H"):
        raise InvalidMarkValue('"Н" is recorded as an absence (attendance), not as a mark')
    if text == "1":
        raise InvalidMarkValue("the mark 1 is never given; a mark is one of 2, 3, 4, 5")
    raise InvalidMarkValue(f"a mark is one of 2, 3, 4, 5; got {text!r}")


def work_kind(raw: Any) -> Work:
    if isinstance(raw, Work):
        return raw
    try:
        return Work(raw)
    except ValueError:
        allowed = ", ".join(w.value for w in Work)
        raise InvalidEntry(f"work is one of {allowed}; got {raw!r}", field="work") from None


def absence_reason(raw: Any, field: str = "reason") -> AbsenceReason | None:
    if raw is None or isinstance(raw, AbsenceReason):
        return raw
    try:
        return AbsenceReason(raw)
    except ValueError:
        allowed = ", ".join(r.value for r in AbsenceReason)
        raise InvalidEntry(f"an absence reason is one of {allowed}; got {raw!r}",
                           field=field) from None


def text(raw: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """Free text (topic, homework, reason, comment): at most ``limit`` characters (2,000 unless
    said), no NUL or lone surrogate."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            if field == "reason":
                raise ReasonRequired("a reason is required")
            raise InvalidEntry(f"{field} is required", field=field)
        return None
    if not isinstance(raw, str):
        raise InvalidEntry(f"{field} must be text", field=field)
    if len(raw) > limit:
        raise InvalidEntry(f"{field} is longer than {limit} characters", field=field)
    if "\x00" in raw:
        raise InvalidEntry(f"{field} contains a NUL character", field=field)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEntry(f"{field} contains a lone surrogate", field=field) from None
    return raw


#: Characters a name never holds: format (zero-width spaces and joiners, bidi marks, BOM),
#: control, private-use and unassigned code points - invisible, so two names that look alike
#: would differ.
_INVISIBLE = frozenset({"Cf", "Cc", "Co", "Cn"})


def name_key(value: str) -> str:
    """What two names are compared by: NFC, runs of whitespace as one space, trimmed,
    case-folded (also for names stored before names were normalised)."""
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def name(raw: Any, field: str = "name") -> str:
    """A name (of a school, subject, class, year or period), normalised before anything
    compares it: NFC, trimmed, each run of whitespace (spaces, tabs, no-break spaces) one
    space. An invisible character is refused, naming the field."""
    value = text(raw, field, required=True)
    assert value is not None  # noqa: S101 - required=True never returns None
    clean = " ".join(unicodedata.normalize("NFC", value).split())
    for ch in clean:
        if unicodedata.category(ch) in _INVISIBLE:
            raise InvalidEntry(f"{field} contains an invisible character "
                               f"(U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})",
                               field=field)
    return clean


#: The most minutes one lesson's homework may be said to take (R-3.4g).
MAX_HOMEWORK_MINUTES = 300


def homework_load(raw: Any, homework: str | None) -> int | None:
    """The minutes a lesson's homework takes, 0..300, given only with the homework itself."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not (
            0 <= raw <= MAX_HOMEWORK_MINUTES):
        raise InvalidEntry(f"homework_minutes is a whole number 0..{MAX_HOMEWORK_MINUTES}",
                           field="homework_minutes")
    if homework is None:
        raise InvalidEntry("homework_minutes is given with the homework it measures",
                           field="homework_minutes")
    return raw


def reason_text(raw: Any) -> str:
    value = text(raw, "reason", required=True)
    assert value is not None  # noqa: S101 - required=True never returns None
    return value


@dataclass(frozen=True)
class Actor:
    """Who issues a command, as the application resolved it from the user's account."""

    user_id: UUID
    role: Role
    school_id: UUID | None

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def is_admin_of(self, school_id: UUID) -> bool:
        return self.role is Role.ADMIN and self.school_id == school_id


@dataclass(frozen=True)
class Absence:
    """A student absent from a lesson ("Н"), with the reason when it is known."""

    student_id: UUID
    reason: AbsenceReason | None = None


@dataclass(frozen=True)
class Late:
    """How an entry broke its timeliness rule (``rule``, due ``due``, recorded ``days``
    calendar days and ``working_days`` working days after it). It is recorded all the same."""

    rule: str
    due: date
    days: int
    working_days: int

    @property
    def recorded_on(self) -> date:
        """The school-local date the entry was recorded on."""
        return self.due + timedelta(days=self.days)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "due": self.due.isoformat(),
            "days": self.days,
            "working_days": self.working_days,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Late | None:
        if data is None:
            return None
        return cls(
            rule=data["rule"],
            due=date.fromisoformat(data["due"]),
            days=int(data["days"]),
            working_days=int(data["working_days"]),
        )
