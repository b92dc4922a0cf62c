"""Logins for a roster's people whose login cell is blank: the account the school already has
for them, else a new login made from the name.

Found first, so that importing the same file again creates nothing new: a student of the
row's class with the same name (its enrolment), a guardian of the same name linked to the
row's student. Otherwise a login is the name transliterated by ``iuliia``'s «Паспорт (2013)»
scheme (ICAO Doc 9303, as in Russian passports): ``Иванова Анна`` -> ``ivanova.anna``; taken
by an account or by another row, it gets the next number (``ivanova.anna2``). Within one file,
guardians of the same full name with a blank login are one person (siblings' parent)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

import iuliia

from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import name_key
from ejournal.imports.plan import Context, login_problem

LONGEST = 60  # a login is at most 64 characters: room for a number


@dataclass
class Logins:
    """The logins a file uses or made, case-folded; the rows' cells made here."""

    taken: set[str]
    made: set[tuple[int, str]] = field(default_factory=set)
    guardians: dict[str, str] = field(default_factory=dict)  # name key -> login made
    #: each class's current students by name key, loaded once per class
    classes: dict[UUID, dict[str, User]] = field(default_factory=dict)


def from_name(full_name: str) -> str:
    """``Иванова Анна Петровна`` -> ``ivanova.anna`` (surname and first name)."""
    latin = iuliia.ICAO_DOC_9303.translate(" ".join(full_name.split()[:2])).lower()
    words = [re.sub(r"[^a-z0-9]", "", w) for w in latin.replace("-", " ").split()]
    login = ".".join(w for w in words if w)[:LONGEST].strip(".")
    return login if len(login) >= 2 else f"user.{login}".strip(".")


def fresh(ctx: Context, logins: Logins, full_name: str) -> str:
    """A login made from the name that no account and no row has."""
    base = from_name(full_name)
    n = 1
    while True:
        candidates = [base if k == 1 else f"{base}{k}" for k in range(n, n + 10)]
        free = [x for x in candidates if x not in logins.taken]
        existing = ctx.users(free)
        chosen = next((x for x in free if x not in existing and login_problem(x) is None),
                      None)
        if chosen is not None:
            logins.taken.add(chosen)
            return chosen
        n += 10


def enrolled_named(ctx: Context, logins: Logins, school_class: SchoolClass | None,
                   full_name: str) -> User | None:
    """The class's student (enrolled now) of this name, if one."""
    if school_class is None:
        return None
    if (students := logins.classes.get(school_class.id)) is None:
        current = [s for s, spans in school_class.enrolments.items()
                   if spans and spans[-1].last_day is None]
        students = logins.classes[school_class.id] = {
            name_key(u.full_name): u for u in ctx.aggregates(current).values()
            if isinstance(u, User)}
    return students.get(name_key(full_name))


def linked_named(ctx: Context, student: User | None, full_name: str) -> User | None:
    """The student's guardian of this name, if one."""
    if student is None:
        return None
    return _named(ctx.aggregates(student.guardians).values(), full_name)


def _named(found: Iterable[object], full_name: str) -> User | None:
    key = name_key(full_name)
    return next((u for u in found if isinstance(u, User) and name_key(u.full_name) == key),
                None)


def existing(ctx: Context, login: str) -> User | None:
    return ctx.users([login]).get(login.casefold()) if login_problem(login) is None else None
