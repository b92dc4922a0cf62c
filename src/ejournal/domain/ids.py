"""Deterministic identities.

Where the domain needs uniqueness (one lesson per journal, date and slot; one period mark per
student, journal and period; one journal per class and subject; one account per username), the
aggregate's id is derived from what must be unique. The event store refuses a second "version 1"
of the same id in the same transaction that would write it, so uniqueness holds across processes
without a lock or a read-then-write race.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid5

NAMESPACE = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "urn:ejournal")


def lesson_id(journal_id: UUID, lesson_date: date, slot: int) -> UUID:
    return uuid5(NAMESPACE, f"lesson/{journal_id}/{lesson_date.isoformat()}/{slot}")


_EPOCH = date(2000, 1, 1)
_RANDOM_A = (1 << 24) - 1
_RANDOM_B = (1 << 12) - 1
_RANDOM_C = (1 << 62) - 1


def mark_id(lesson_date: date, slot: int, random_bits: int) -> UUID:
    """A mark's id names its lesson's date and slot (an RFC 9562 version 8 UUID).

    Layout: 16 bits of the lesson's day number since 2000-01-01, 8 bits of slot, then
    98 random bits (``random_bits``, from the application) around the version and variant.
    With the journal (which the API names beside the mark), it gives the mark's lesson in one
    read, with no index to keep."""
    day = (lesson_date - _EPOCH).days
    if not 0 <= day < 1 << 16 or not 0 <= slot < 1 << 8:
        raise ValueError("lesson date or slot out of range for a mark id")
    value = (day << 112) | (slot << 104) | ((random_bits & _RANDOM_A) << 80)
    value |= 0x8 << 76  # version 8
    value |= ((random_bits >> 24) & _RANDOM_B) << 64
    value |= 0b10 << 62  # RFC 9562 variant
    value |= (random_bits >> 36) & _RANDOM_C
    return UUID(int=value)


def mark_lesson(journal_id: UUID, mark: UUID) -> UUID | None:
    """The id of the lesson a mark of this journal stands in, or None for a foreign id."""
    value = mark.int
    if (value >> 76) & 0xF != 0x8 or (value >> 62) & 0b11 != 0b10:
        return None
    day, slot = value >> 112, (value >> 104) & 0xFF
    return lesson_id(journal_id, _EPOCH + timedelta(days=day), slot)


def period_mark_id(journal_id: UUID, student_id: UUID, period_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"period-mark/{journal_id}/{student_id}/{period_id}")


def journal_id(class_id: UUID, subject_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"journal/{class_id}/{subject_id}")


def username_claim_id(username: str) -> UUID:
    return uuid5(NAMESPACE, f"username/{username.casefold()}")
