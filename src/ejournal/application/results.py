"""What each command answers: a frozen value per command, with the event log position of its
last event (a reader waits on it to see its own write) and whether it replays an earlier answer
under the same idempotency key.

An idempotency receipt stores the answer without those two (``answer_of``) and a replay reads
it back as the same typed result (``replayed_from``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar
from uuid import UUID

from pydantic import TypeAdapter

from ejournal.domain.values import Late

R = TypeVar("R", bound="Result")


@dataclass(frozen=True)
class Result:
    position: int | None = field(default=None, kw_only=True)
    replayed: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class Created(Result):
    """The command made something: its id."""

    id: UUID


@dataclass(frozen=True)
class Entered(Result):
    """A journal entry that answers to a timeliness rule: how late it was (None: on time)."""

    late: Late | None


@dataclass(frozen=True)
class CreatedEntry(Result):
    """A journal entry made, with its id and how late it was."""

    id: UUID
    late: Late | None


# --- accounts and people ----------------------------------------------------------------


class SchoolRegistered(Created):
    pass


class UserRegistered(Created):
    pass


class GuardianLinked(Result):
    pass


class GuardianUnlinked(Result):
    pass


class PasswordChanged(Result):
    pass


class PasswordReset(Result):
    pass


class MfaTurned(Result):
    pass


class SchoolSettingsSet(Result):
    pass


class UserDisabled(Result):
    pass


class UserEnabled(Result):
    pass


# --- school structure -------------------------------------------------------------------


@dataclass(frozen=True)
class YearPlanned(Created):
    """``periods``: each reporting period's id by its name."""

    periods: dict[str, UUID]


class CalendarDayDeclared(Result):
    pass


class WorkWeightsSet(Result):
    pass


@dataclass(frozen=True)
class PeriodClosed(Result):
    pass


@dataclass(frozen=True)
class PeriodReopened(Result):
    pass


class SubjectAdded(Created):
    pass


class ClassOpened(Created):
    pass


class StudentEnrolled(Result):
    pass


class EnrolmentEnded(Result):
    pass


class ClassTeacherAppointed(Result):
    pass


class JournalOpened(Created):
    pass


class TeacherAssigned(Result):
    pass


class SubstituteAppointed(Result):
    pass


class ProgrammeSet(Result):
    pass


class TimetableSet(Result):
    pass


@dataclass(frozen=True)
class BatchRun(Result):
    steps: int


# --- the class journal ------------------------------------------------------------------


class LessonHeld(CreatedEntry):
    pass


class AttendanceTaken(Entered):
    pass


class AbsenceCancelled(Entered):
    pass


class MarkGiven(CreatedEntry):
    pass


class MarkCorrected(Created):
    """Corrections are never late (domain.md): the edit history shows them."""


class MarkCancelled(Created):
    pass


class PeriodMarkGiven(CreatedEntry):
    pass


class PeriodMarkCorrected(Created):
    pass


# --- compliance findings ----------------------------------------------------------------


@dataclass(frozen=True)
class FindingsRecorded(Result):
    """``new``: the findings recorded now (those recorded before are left out)."""

    new: tuple[UUID, ...]


@dataclass(frozen=True)
class FindingsResolved(Result):
    """``resolved``: how many findings were resolved now."""

    resolved: int


# --- in receipts ------------------------------------------------------------------------

_NOT_STORED = {"position", "replayed"}


_ADAPTERS: dict[type[Result], TypeAdapter[Any]] = {}


def _adapter(kind: type[Result]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def answer_of(result: Result) -> dict[str, Any]:
    """The answer as a receipt stores it (JSON; the log position is not known before the
    save, and a stored answer is never a replay)."""
    stored: dict[str, Any] = _adapter(type(result)).dump_python(
        result, mode="json", exclude=_NOT_STORED)
    return stored


def replayed_from(kind: type[R], answer: dict[str, Any], position: int | None) -> R:
    """A stored answer as the command's result, marked as a replay at ``position``. Answers
    of the first schema (``{"id", "late", "extra": {...}}``) read the same way."""
    flat = {**{k: v for k, v in answer.items() if k != "extra"}, **(answer.get("extra") or {})}
    wanted = {f.name for f in fields(kind)} - _NOT_STORED
    data = {k: v for k, v in flat.items() if k in wanted}
    result: R = _adapter(kind).validate_python({**data, "position": position, "replayed": True})
    return result


@dataclass(frozen=True)
class LedgerSealed(Result):
    """``sealed``: the seal was recorded now (False: that day's seal was recorded before)."""

    sealed: bool


class FileAttached(Created):
    pass


@dataclass(frozen=True)
class FileRetracted(Result):
    pass
