"""Many commands as one: a file's import registers accounts, opens classes, enrols students,
links guardians, sets timetables - all saved in one transaction, or nothing.

Each step runs its own handler on a ``BatchUnit``: one unit of work over the whole batch, in
which what an earlier step created or changed is what a later step loads (a class opened in
row 3 takes the enrolment of row 4; a guardian of two children is one account). A step the
domain refuses is noted with its index and field, and the next steps still run, so that one
pass names every refusal; any refusal, and the batch saves nothing (``BatchRefused``).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ejournal.application.commands import Command
from ejournal.application.results import BatchRun, Result
from ejournal.application.unit import Handler, UnitOfWork, expect
from ejournal.domain.errors import DomainError, InvalidEntry

#: Told (steps done, steps in all) as a batch runs in this context: a long import's progress.
STEP_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "STEP_PROGRESS", default=None)


@dataclass(frozen=True)
class RunBatch(Command[BatchRun]):
    """``steps``: (command, the id of what it creates - an account, a subject - or None),
    run as one: all saved together, or none of them."""

    steps: Sequence[tuple[Command[Any], UUID | None]]


@dataclass(frozen=True)
class Failure:
    step: int  # the index of the step in the batch
    field: str | None
    message: str


class BatchRefused(InvalidEntry):
    """At least one step of the batch was refused: nothing of it was saved."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        super().__init__(f"{len(failures)} of the batch's steps were refused")
        self.failures = list(failures)


class BatchUnit(UnitOfWork):
    """A unit of work whose loads see what the batch's earlier steps added, as they left it."""

    def __init__(self, outer: UnitOfWork) -> None:
        super().__init__(outer.loader, outer.store, outer.now, outer.journal_refs)
        self.pending: dict[UUID, Aggregate] = {}
        #: The batch's own copies of what its steps loaded (the admin, the school, the year -
        #: read by every step): loaded once. A step refused changes none (errors.py).
        self.seen: dict[UUID, Aggregate] = {}
        self.fresh: list[UUID] = []  # what the current step added first
        self.step_id: UUID | None = None

    def add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            if aggregate.id not in self.pending:
                self.fresh.append(aggregate.id)
            self.pending[aggregate.id] = aggregate

    def load_all(self, ids: Iterable[UUID],
                 read_only: Container[UUID] | bool = ()) -> dict[UUID, Aggregate]:
        wanted = list(dict.fromkeys(ids))
        found = {i: x for i in wanted if (x := self.pending.get(i) or self.seen.get(i))}
        rest = [i for i in wanted if i not in found]
        if rest:
            loaded = self.loader.load(rest)  # copies of its own, never the shared cache's
            self.seen.update(loaded)
            found.update(loaded)
        return found

    def load(self, cls: Any, aggregate_id: UUID, what: str, field: str | None = None) -> Any:
        return expect(self.load_all([aggregate_id]), cls, aggregate_id, what, field)

    def exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.pending or self.store.exists(aggregate_id)

    def existing(self, ids: Iterable[UUID]) -> set[UUID]:
        wanted = set(ids)
        return {i for i in wanted if i in self.pending} | self.store.existing(
            wanted - self.pending.keys())

    def new_id(self) -> UUID:
        return self.step_id or super().new_id()


def run_steps(steps: Sequence[tuple[Any, UUID | None]], uow: UnitOfWork,
              handlers: Mapping[type, Handler]) -> list[Result]:
    """Every step on one ``BatchUnit``; what they changed is added to ``uow`` (once each, in
    the order first changed). ``BatchRefused`` names every step refused."""
    unit = BatchUnit(uow)
    failures: list[Failure] = []
    results: list[Result] = []
    told = STEP_PROGRESS.get()
    for index, (command, new_id) in enumerate(steps):
        if told is not None and index % 100 == 0:
            told(index, len(steps))
        unit.step_id, unit.fresh = new_id, []
        try:
            results.append(handlers[type(command)](command, unit))
        except DomainError as exc:
            failures.append(Failure(index, exc.field, exc.detail))
            for aggregate_id in unit.fresh:  # what the refused step alone added is dropped
                del unit.pending[aggregate_id]
    if told is not None:
        told(len(steps), len(steps))
    if failures:
        raise BatchRefused(failures)
    uow.add(*unit.pending.values())
    return results
