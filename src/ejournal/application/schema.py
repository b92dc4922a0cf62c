"""Whether an event log holds events of the first schema: then nothing may read it as it is
(``ejournal migrate`` copies it into a new database)."""

from __future__ import annotations

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.utils import get_topic

from ejournal.domain.base import FirstSchemaLog
from ejournal.domain.events import second_schema_classes


def second_schema_topics() -> list[str]:
    return [get_topic(cls) for cls in second_schema_classes()]


def is_first_schema(recorder: ApplicationRecorder) -> bool:
    """A log is written by one schema throughout (a migration writes a new database), so its
    first event of a class that changed shape tells which."""
    found = recorder.select_notifications(start=1, limit=1, topics=second_schema_topics())
    return bool(found) and b'"class_version":' not in found[0].state


def refuse_first_schema(recorder: ApplicationRecorder, where: str) -> None:
    if is_first_schema(recorder):
        raise FirstSchemaLog(f"refused to start on {where}")
