"""What an import would do: its steps (commands, in order), what they create, and every
problem found by row and column. Shared by the kinds (``roster``, ``staff``: people;
``schedule``: timetables and programmes)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from ejournal.application import commands as c
from ejournal.application.app import EJournal
from ejournal.domain import ids
from ejournal.domain.errors import InvalidEntry
from ejournal.domain.journal import ClassJournal
from ejournal.domain.people import User, UsernameClaim, valid_username
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import name_key
from ejournal.imports.files import Table, header_key, parse_date


@dataclass(frozen=True)
class Problem:
    row: int | None  # the file's row (1: the headers); None: the file as a whole
    column: str | None
    message: str


@dataclass(frozen=True)
class Step:
    command: c.Command[Any]
    row: int
    #: the command's fields (as the domain names them in a refusal) -> the file's columns
    columns: dict[str, str] = field(default_factory=dict)
    new_id: UUID | None = None


@dataclass(frozen=True)
class NewAccount:
    user_id: UUID
    full_name: str
    username: str
    role: str
    class_name: str | None
    #: the login was made from the name (its cell was blank)
    login_generated: bool = False


@dataclass
class Plan:
    rows: int = 0
    steps: list[Step] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    accounts: list[NewAccount] = field(default_factory=list)

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(row, column, message))

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def step(self, command: c.Command[Any], row: int, columns: dict[str, str] | None = None,
             new_id: UUID | None = None) -> None:
        self.steps.append(Step(command, row, columns or {}, new_id))


@dataclass(frozen=True)
class Year:
    id: UUID
    name: str
    starts_on: date
    ends_on: date


class Context:
    """The school as an import finds it: its aggregates loaded once, in few statements."""

    def __init__(self, app: EJournal, actor_id: UUID, school_id: UUID, year: Year | None,
                 today: date) -> None:
        self.app = app
        self.actor_id = actor_id
        self.school_id = school_id
        self.year = year
        self.today = today
        found = app.load_many([school_id]).get(school_id)
        assert isinstance(found, School)  # noqa: S101 - the route checked the school
        self.school = found
        self.year_aggregate: AcademicYear | None = None
        if year is not None:
            loaded = app.load_many([year.id]).get(year.id)
            self.year_aggregate = loaded if isinstance(loaded, AcademicYear) else None

    def aggregates(self, wanted: Iterable[UUID]) -> dict[UUID, Aggregate]:
        return self.app.load_many(wanted)

    def users(self, logins: Iterable[str]) -> dict[str, User]:
        """The accounts of these logins that exist (in any school), by case-folded login."""
        claims = {ids.username_claim_id(x): x.casefold() for x in logins}
        found = self.app.load_many(claims)
        owners = {cid: claim.user_id for cid, claim in found.items()
                  if isinstance(claim, UsernameClaim)}
        people = self.app.load_many(owners.values())
        return {claims[cid]: user for cid, uid in owners.items()
                if isinstance(user := people.get(uid), User)}

    def classes(self, names: Iterable[str]) -> dict[str, SchoolClass]:
        """The year's classes of these names, by name key."""
        if self.year is None:
            return {}
        wanted = {ids.class_id(self.year.id, name_key(n)): name_key(n) for n in names}
        found = self.app.load_many(wanted)
        return {wanted[i]: x for i, x in found.items() if isinstance(x, SchoolClass)}

    def class_id(self, class_name: str) -> UUID:
        assert self.year is not None  # noqa: S101 - planners check the year first
        return ids.class_id(self.year.id, name_key(class_name))

    def subjects(self) -> dict[str, UUID]:
        return {name_key(n): sid for sid, n in self.school.subjects.items()}

    def journals(self, wanted: Iterable[UUID]) -> dict[UUID, ClassJournal]:
        return {i: x for i, x in self.app.load_many(wanted).items()
                if isinstance(x, ClassJournal)}

    def in_year(self, day: date) -> bool:
        return self.year is not None and self.year.starts_on <= day <= self.year.ends_on


class Columns:
    """The kind's columns found in the file's headers: a missing required one is a problem of
    row 1; a value is read by the column's Russian name."""

    def __init__(self, table: Table, plan: Plan, required: list[str],
                 optional: list[str]) -> None:
        by_key = {header_key(h): h for h in table.headers if h}
        self.actual = {name: by_key[header_key(name)] for name in required + optional
                       if header_key(name) in by_key}
        for name in required:
            if name not in self.actual:
                plan.problem(1, name, f"нет столбца «{name}»")
        known = {header_key(n) for n in required + optional}
        for h in table.headers:
            if h and header_key(h) not in known:
                plan.problem(1, h, f"неизвестный столбец «{h}»")
        self.ok = all(name in self.actual for name in required)

    def get(self, cells: dict[str, str], name: str) -> str:
        header = self.actual.get(name)
        return " ".join(cells.get(header, "").split()) if header else ""


def login_problem(raw: str) -> str | None:
    try:
        valid_username(raw)
    except InvalidEntry:
        return "логин: 2-64 символа, латинские буквы, цифры и . _ @ -"
    return None


def date_cell(plan: Plan, ctx: Context, row: int, column: str, raw: str,
              default: date) -> date | None:
    """A date of the school year (``default`` when empty); None, with the problem noted."""
    if not raw:
        return default
    day = parse_date(raw)
    if day is None:
        plan.problem(row, column, f"дата «{raw}»: ожидается ГГГГ-ММ-ДД или ДД.ММ.ГГГГ")
        return None
    if not ctx.in_year(day):
        assert ctx.year is not None  # noqa: S101 - in_year is False without a year
        plan.problem(row, column, f"дата {day:%d.%m.%Y} вне учебного года {ctx.year.name} "
                                  f"({ctx.year.starts_on:%d.%m.%Y}–{ctx.year.ends_on:%d.%m.%Y})")
        return None
    return day


def grade_of(class_name: str) -> int | None:
    """«7А» is of grade 7; a name without a leading 1-11 has none."""
    found = re.match(r"\s*(\d{1,2})", class_name)
    grade = int(found[1]) if found else None
    return grade if grade is not None and 1 <= grade <= 11 else None


def new_account(plan: Plan, ctx: Context, row: int, columns: dict[str, str], login: str,
                full_name: str, role: str, class_name: str | None,
                login_generated: bool = False) -> UUID:
    """The steps of a new account that must change its temporary password at first login."""
    user_id = uuid4()
    plan.step(c.RegisterUser(ctx.actor_id, ctx.school_id, username=login, full_name=full_name,
                             role=role), row, columns, new_id=user_id)
    plan.step(c.ResetPassword(ctx.actor_id, user_id), row, columns)
    plan.accounts.append(NewAccount(user_id, full_name, login, role, class_name,
                                    login_generated))
    return user_id
