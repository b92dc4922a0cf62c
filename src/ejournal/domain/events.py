"""Every event class of the domain, by aggregate: what the catalogue (docs/events.md) lists
and what the schema check at start looks for."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from ejournal.domain.base import SchemaV2
from ejournal.domain.conversation import Announcement, Conversation, NotificationSettings
from ejournal.domain.findings import ComplianceAudit, MissingEntry
from ejournal.domain.homework_file import HomeworkFile
from ejournal.domain.journal import ClassJournal
from ejournal.domain.ledger import LedgerSeal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User, UsernameClaim
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass

AGGREGATES: tuple[type[Aggregate], ...] = (
    School, AcademicYear, User, UsernameClaim, SchoolClass, ClassJournal, Lesson, PeriodMark,
    MissingEntry, ComplianceAudit, LedgerSeal, Conversation, Announcement,
    NotificationSettings, HomeworkFile,
)


def event_classes(aggregate: type[Aggregate]) -> list[type[Aggregate.Event]]:
    """The aggregate's own event classes, in the order they are defined."""
    return [value for name, value in vars(aggregate).items()
            if isinstance(value, type) and issubclass(value, Aggregate.Event)
            and value.__qualname__.startswith(aggregate.__qualname__ + ".")
            and name not in ("Event", "Created")]


def second_schema_classes() -> list[type[Aggregate.Event]]:
    """The event classes whose stored shape changed in the second schema."""
    return [cls for aggregate in AGGREGATES for cls in event_classes(aggregate)
            if issubclass(cls, SchemaV2)]
