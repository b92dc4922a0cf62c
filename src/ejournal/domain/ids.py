"""Deterministic identities.

Where the domain needs uniqueness (one lesson per journal, date and slot; one period mark per
student, journal and period; one journal per class and subject; one class of a name per
year; one account per username), the
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


_V1_EPOCH = date(2000, 1, 1)
_LAYOUT_2 = 0x1


def mark_id(lesson_date: date, slot: int, random_bits: int) -> UUID:
    """A mark's id names its lesson's date and slot (an RFC 9562 version 8 UUID).

    Bits, high to low: the lesson date's ordinal (``date.toordinal``, 22 bits: any date)
    split 16 + 6 around a layout nibble (1) and the slot (4 bits); then 98 random bits
    (``random_bits``, from the application) around the version and variant. With the journal
    (which the API names beside the mark), it gives the mark's lesson in one read, with no
    index to keep. :func:`mark_lesson` also reads the first layout's ids (nibble 0)."""
    if not 0 <= slot < 1 << 4:
        raise ValueError("slot out of range for a mark id")
    day = lesson_date.toordinal()
    value = ((day >> 6) << 112) | (_LAYOUT_2 << 108) | (slot << 104) | ((day & 0x3F) << 98)
    value |= (random_bits & ((1 << 18) - 1)) << 80
    value |= 0x8 << 76  # version 8
    value |= ((random_bits >> 18) & 0xFFF) << 64
    value |= 0b10 << 62  # RFC 9562 variant
    value |= (random_bits >> 30) & ((1 << 62) - 1)
    return UUID(int=value)


def mark_lesson(journal_id: UUID, mark: UUID) -> UUID | None:
    """The id of the lesson a mark of this journal stands in, or None for a foreign id."""
    value = mark.int
    if (value >> 76) & 0xF != 0x8 or (value >> 62) & 0b11 != 0b10:
        return None
    layout, slot = (value >> 108) & 0xF, (value >> 104) & 0xF
    try:
        if layout == 0:  # the first layout: 16 bits of days since 2000-01-01
            day = _V1_EPOCH + timedelta(days=value >> 112)
        elif layout == _LAYOUT_2:
            day = date.fromordinal(((value >> 112) << 6) | ((value >> 98) & 0x3F))
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return lesson_id(journal_id, day, slot)


def period_mark_id(journal_id: UUID, student_id: UUID, period_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"period-mark/{journal_id}/{student_id}/{period_id}")


def journal_id(class_id: UUID, subject_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"journal/{class_id}/{subject_id}")


def class_id(year_id: UUID, name_key: str) -> UUID:
    """``name_key``: the class's name as names are compared (``values.name_key``)."""
    return uuid5(NAMESPACE, f"class/{year_id}/{name_key}")


def username_claim_id(username: str) -> UUID:
    return uuid5(NAMESPACE, f"username/{username.casefold()}")
