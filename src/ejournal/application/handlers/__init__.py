"""The command handlers, grouped by the part of the school they change; ``HANDLERS`` maps
each command class to its handler, ``handler(command, uow) -> result``."""

from __future__ import annotations

from ejournal.application import results as r
from ejournal.application.batch import RunBatch, run_steps
from ejournal.application.handlers import (
    accounts,
    compliance,
    conversations,
    files,
    journal,
    people,
    structure,
)
from ejournal.application.unit import Handler, UnitOfWork


def run_batch(command: RunBatch, uow: UnitOfWork) -> r.BatchRun:
    return r.BatchRun(len(run_steps(command.steps, uow, HANDLERS)))


HANDLERS: dict[type, Handler] = {
    **people.HANDLERS, **structure.HANDLERS, **journal.HANDLERS, **compliance.HANDLERS,
    **accounts.HANDLERS, **conversations.HANDLERS, **files.HANDLERS, RunBatch: run_batch,
}
