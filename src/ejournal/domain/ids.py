"""Deterministic identities.

Where the domain needs uniqueness (one lesson per journal, date and slot; one period mark per
student, journal and period; one journal per class and subject; one account per username), the
aggregate's id is derived from what must be unique. The event store refuses a second "version 1"
of the same id in the same transaction that would write it, so uniqueness holds across processes
without a lock or a read-then-write race.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

NAMESPACE = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "urn:ejournal")


def lesson_id(journal_id: UUID, lesson_date: date, slot: int) -> UUID:
    return uuid5(NAMESPACE, f"lesson/{journal_id}/{lesson_date.isoformat()}/{slot}")


def period_mark_id(journal_id: UUID, student_id: UUID, period_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"period-mark/{journal_id}/{student_id}/{period_id}")


def journal_id(class_id: UUID, subject_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"journal/{class_id}/{subject_id}")


def username_claim_id(username: str) -> UUID:
    return uuid5(NAMESPACE, f"username/{username.casefold()}")
