"""The command handlers, grouped by the part of the school they change; ``HANDLERS`` maps
each command class to its handler, ``handler(command, uow) -> result``."""

from __future__ import annotations

from ejournal.application.handlers import (
    accounts,
    compliance,
    conversations,
    journal,
    people,
    structure,
)
from ejournal.application.unit import Handler

HANDLERS: dict[type, Handler] = {
    **people.HANDLERS, **structure.HANDLERS, **journal.HANDLERS, **compliance.HANDLERS,
    **accounts.HANDLERS, **conversations.HANDLERS,
}
