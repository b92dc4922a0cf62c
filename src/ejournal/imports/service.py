"""An import as the API and the command line run it: the file read, its plan made against the
school as it is, then - for real, and only without a problem - every step in one transaction
(``RunBatch``), the new accounts' temporary passwords stored beside it.

A temporary password is 14 random characters (~80 bits), shown once in the answer and never
stored but as its argon2id hash. Guessing 80 random bits is out of reach whatever the hash's
cost, so these hashes use argon2id's lighter parameters (``TEMPORARY_HASHER``): a roster of
3,000 accounts is hashed in seconds rather than a quarter of an hour. The holder must choose
their own password at first login, which is hashed with the full parameters.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from argon2 import PasswordHasher
from sqlalchemy import Engine, delete, insert

from ejournal.accounts import credentials
from ejournal.application.app import EJournal
from ejournal.application.batch import BatchRefused, RunBatch
from ejournal.domain.errors import InvalidEntry
from ejournal.imports.files import Table, read_table
from ejournal.imports.people import plan_roster, plan_staff
from ejournal.imports.plan import Context, NewAccount, Plan, Problem, Year
from ejournal.imports.schedule import plan_programme, plan_timetable
from ejournal.projections.lookup_reads import read_years

KINDS: dict[str, Callable[[Context, Table], Plan]] = {
    "roster": plan_roster, "staff": plan_staff, "timetable": plan_timetable,
    "programme": plan_programme,
}
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 14
TEMPORARY_HASHER = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1)


class ImportRefused(InvalidEntry):
    """The file has problems (each by row and column): nothing of it was written."""

    field = "file"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"the file has {len(problems)} problem(s): nothing was imported")
        self.problems = problems


@dataclass
class Outcome:
    rows: int
    counts: dict[str, int]
    problems: list[Problem]
    #: (account, its temporary password): only after a real run, shown once
    accounts: list[tuple[NewAccount, str]] = field(default_factory=list)


def temporary_password() -> str:
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))


def school_year(engine: Engine, school_id: UUID, today: date,
                year_id: UUID | None = None) -> Year | None:
    """``year_id`` of the school, else the year holding ``today``, else the next to begin,
    else the last one."""
    with engine.connect() as conn:
        years = [Year(y.id, y.name, y.starts_on, y.ends_on) for y in read_years(conn, school_id)]
    if year_id is not None:
        return next((y for y in years if y.id == year_id), None)
    return (next((y for y in years if y.starts_on <= today <= y.ends_on), None)
            or next((y for y in years if y.starts_on > today), None)
            or (years[-1] if years else None))


def _refused_steps(plan: Plan, refused: BatchRefused) -> list[Problem]:
    """The domain's refusals by row and column; of a row's refusals naming no column (those
    of steps that needed what an earlier refused step would have made), the first only."""
    found: list[Problem] = []
    for failure in refused.failures:
        step = plan.steps[failure.step]
        problem = Problem(step.row, step.columns.get(failure.field or ""), failure.message)
        if problem.column is None and any(p.row == step.row for p in found):
            continue
        found.append(problem)
    return found


def run_import(app: EJournal, engine: Engine, *, kind: str, content: bytes, actor_id: UUID,
               school_id: UUID, year: Year | None, today: date, now: datetime,
               dry_run: bool) -> Outcome:
    """The dry run's outcome, or the real run's. A real run with any problem raises
    ``ImportRefused`` having written nothing."""
    table = read_table(content)
    plan = KINDS[kind](Context(app, actor_id, school_id, year, today), table)
    batch = RunBatch(steps=[(s.command, s.new_id) for s in plan.steps])
    outcome = Outcome(plan.rows, dict(plan.counts), list(plan.problems))
    if not outcome.problems and plan.steps and dry_run:
        try:
            app.trial(batch, at=now)
        except BatchRefused as refused:
            outcome.problems = _refused_steps(plan, refused)
    if dry_run:
        return outcome
    if outcome.problems:
        raise ImportRefused(outcome.problems)
    if not plan.steps:
        return outcome
    passwords = [(a, temporary_password()) for a in plan.accounts]
    _store(engine, [(a.user_id, p) for a, p in passwords], now)
    try:
        app.execute(batch, at=now)
    except BaseException as exc:
        _forget(engine, [a.user_id for a in plan.accounts])
        if isinstance(exc, BatchRefused):
            raise ImportRefused(_refused_steps(plan, exc)) from None
        raise
    outcome.accounts = passwords
    return outcome


def _store(engine: Engine, items: list[tuple[UUID, str]], now: datetime) -> None:
    if not items:
        return
    with engine.begin() as conn:
        conn.execute(insert(credentials), [
            {"user_id": uid, "password_hash": TEMPORARY_HASHER.hash(p), "updated_at": now}
            for uid, p in items])


def _forget(engine: Engine, user_ids: list[UUID]) -> None:
    if user_ids:
        with engine.begin() as conn:
            conn.execute(delete(credentials).where(credentials.c.user_id.in_(user_ids)))
