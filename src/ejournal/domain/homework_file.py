"""A file a teacher attaches to a lesson's homework (R-4.5: homework is entered with the lesson,
R-3.4c: the diary shows it): a worksheet, a PDF, an image. Its bytes are kept beside the log,
content-addressed by SHA-256 (``ejournal.files``); the event holds who attached what, when, to
which lesson. Removing one is a retraction that keeps the fact (R-7.2): the file is no longer
served, the event stays.

Each file is its own aggregate, so attaching one never races the lesson's marks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate
from ejournal.domain.errors import ConflictWithJournal, InvalidEntry, NotPermitted
from ejournal.domain.file_kinds import ACCEPTED, KINDS, MAX_BYTES, SHA256, file_name
from ejournal.domain.values import Actor, reason_text


class FileRetractedAlready(ConflictWithJournal):
    """R-7.2: a retracted file stays retracted; the fact of it stays in the history."""

    rule = "R-7.2"


class NotFilesAuthor(NotPermitted):
    """R-4.4: a file is retracted by whoever attached it, or by the school's admin."""

    rule = "R-4.4"


class HomeworkFile(JournalAggregate):
    class Attached(JournalAggregate.Created):
        """A file attached to the lesson's homework; its bytes are stored under ``sha256``."""

        school_id: UUID
        class_id: UUID
        journal_id: UUID
        lesson_id: UUID
        lesson_date: date  # the business date: the lesson's
        name: str
        size: int
        content_type: str
        sha256: str
        by: UUID

    class Retracted(JournalAggregate.Event):
        """R-7.2: the file is no longer served; who retracted it and why stay."""

        school_id: UUID
        journal_id: UUID
        lesson_id: UUID
        reason: str
        by: UUID

        def apply(self, aggregate: HomeworkFile) -> None:
            aggregate.retracted = True

    def __init__(self, school_id: UUID, class_id: UUID, journal_id: UUID, lesson_id: UUID,
                 lesson_date: date, name: str, size: int, content_type: str, sha256: str,
                 by: UUID) -> None:
        self.school_id = school_id
        self.class_id = class_id
        self.journal_id = journal_id
        self.lesson_id = lesson_id
        self.lesson_date = lesson_date
        self.name = name
        self.size = size
        self.content_type = content_type
        self.sha256 = sha256
        self.added_by = by
        self.retracted = False

    @classmethod
    def attach(cls, *, file_id: UUID, school_id: UUID, class_id: UUID, journal_id: UUID,
               lesson_id: UUID, lesson_date: date, name: Any, size: Any, content_type: Any,
               sha256: Any, by: UUID, at: datetime) -> HomeworkFile:
        """``content_type`` as ``kind_of`` found it in the bytes stored under ``sha256``."""
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_BYTES:
            raise InvalidEntry(f"file is 1 to {MAX_BYTES} bytes (10 MB)", field="file")
        if content_type not in KINDS:
            raise InvalidEntry(f"file of type {content_type!r}: a homework file is "
                               f"{ACCEPTED}", field="file")
        if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
            raise InvalidEntry("sha256 is 64 lowercase hex digits", field="sha256")
        return cls._start(cls.Attached, id=file_id, at=at, school_id=school_id,
                          class_id=class_id, journal_id=journal_id, lesson_id=lesson_id,
                          lesson_date=lesson_date, name=file_name(name), size=size,
                          content_type=content_type, sha256=sha256, by=by)

    def retract(self, actor: Actor, *, reason: Any, at: datetime) -> None:
        why = reason_text(reason)
        if not (actor.user_id == self.added_by or actor.is_admin_of(self.school_id)):
            raise NotFilesAuthor("a file is retracted by whoever attached it or the school's "
                                 "admin")
        if self.retracted:
            raise FileRetractedAlready("that file was retracted already")
        self._record(self.Retracted, at=at, school_id=self.school_id,
                     journal_id=self.journal_id, lesson_id=self.lesson_id, reason=why,
                     by=actor.user_id)
