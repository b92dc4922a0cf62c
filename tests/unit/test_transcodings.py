"""The domain's value types are stored through their own transcodings and read back as the
same types: a field typed ``Work`` or ``list[Absence]`` reads back as one."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, UUIDAsHex

from ejournal.domain.calendar import DayKind, Holiday, Period
from ejournal.domain.journal import ProgrammeTopic
from ejournal.domain.school_class import TimetableLesson
from ejournal.domain.transcodings import transcodings
from ejournal.domain.values import Absence, AbsenceReason, Late, Role, Work


def transcoder() -> JSONTranscoder:
    made = JSONTranscoder()
    made.register(UUIDAsHex())
    for transcoding in transcodings():
        made.register(transcoding)
    return made


@pytest.mark.parametrize("value", [
    Work.TEST, AbsenceReason.EXCUSED, Role.GUARDIAN, DayKind.SCHOOL_DAY,
    Late("R-6.1d", date(2026, 11, 19), 2, 1),
    Absence(uuid4(), AbsenceReason.ILLNESS), Absence(uuid4(), None),
    Period(uuid4(), "I четверть", date(2026, 9, 1), date(2026, 10, 25)),
    Holiday("осенние каникулы", date(2026, 10, 26), date(2026, 11, 3)),
    ProgrammeTopic("Дроби", 4), TimetableLesson(1, 2, uuid4()), date(1, 1, 1),
])
def test_a_value_reads_back_as_the_same_value_of_the_same_type(value: Any) -> None:
    t = transcoder()
    back = t.decode(t.encode({"field": value, "in_a_list": [value]}))
    assert back == {"field": value, "in_a_list": [value]}
    assert type(back["field"]) is type(value)
    assert type(back["in_a_list"][0]) is type(value)


def test_an_enum_is_stored_as_its_value_inside_its_envelope() -> None:
    assert transcoder().encode(Work.ORAL) == b'{"_type_":"work","_data_":"oral"}'
