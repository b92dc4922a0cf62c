"""Names and structure the pages show beside the read models' ids: people's names, a
school's time zone and subjects, a year's periods, a journal's class and programme - read
from the aggregates as the log holds them now (the loader's cache keeps them cheap)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.domain.base import JournalAggregate
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass

A = TypeVar("A", bound=JournalAggregate)


@dataclass(frozen=True)
class Person:
    id: UUID
    name: str


@dataclass(frozen=True)
class Period:
    id: UUID
    name: str
    starts_on: date
    ends_on: date


def load(svc: Services, kind: type[A], ids: Iterable[UUID]) -> dict[UUID, A]:
    wanted = set(ids)
    loaded = svc.app.loader.load(list(wanted), read_only=wanted) if wanted else {}
    return {i: a for i, a in loaded.items() if isinstance(a, kind)}


def one(svc: Services, kind: type[A], ident: UUID) -> A | None:
    return load(svc, kind, [ident]).get(ident)


def names(svc: Services, ids: Iterable[UUID]) -> dict[UUID, str]:
    return {i: u.full_name for i, u in load(svc, User, ids).items()}


def people(svc: Services, ids: Iterable[UUID]) -> list[Person]:
    """The users, by name."""
    found = names(svc, ids)
    return sorted((Person(i, n) for i, n in found.items()), key=lambda p: (p.name, p.id))


def user(svc: Services, ident: UUID) -> User | None:
    return one(svc, User, ident)


def timezone(svc: Services, school_id: UUID | None) -> str:
    school = one(svc, School, school_id) if school_id else None
    return school.timezone if school else "UTC"


def today(svc: Services, viewer: Principal) -> date:
    """The date at the viewer's school now."""
    return svc.now().astimezone(ZoneInfo(timezone(svc, viewer.school_id))).date()


def subjects(svc: Services, school_id: UUID) -> dict[UUID, str]:
    school = one(svc, School, school_id)
    return dict(school.subjects) if school else {}


def periods(svc: Services, year_id: UUID) -> list[Period]:
    year = one(svc, AcademicYear, year_id)
    if year is None:
        return []
    return sorted((Period(i, p.name, p.starts_on, p.ends_on) for i, p in year.periods.items()),
                  key=lambda p: (p.starts_on, p.ends_on))


def period_for(choices: list[Period], wanted: UUID | None, day: date) -> Period | None:
    """The period asked for; else the one holding ``day``, the last begun, or the first."""
    if wanted is not None:
        return next((p for p in choices if p.id == wanted), None)
    holding = [p for p in choices if p.starts_on <= day <= p.ends_on]
    if holding:
        return min(holding, key=lambda p: p.ends_on - p.starts_on)
    begun = [p for p in choices if p.starts_on <= day]
    return begun[-1] if begun else (choices[0] if choices else None)


def journal(svc: Services, journal_id: UUID) -> ClassJournal | None:
    return one(svc, ClassJournal, journal_id)


def classes(svc: Services, ids: Iterable[UUID]) -> dict[UUID, SchoolClass]:
    return load(svc, SchoolClass, ids)


def lesson(svc: Services, lesson_id: UUID) -> Lesson | None:
    return one(svc, Lesson, lesson_id)
