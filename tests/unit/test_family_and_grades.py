"""A guardian's link ended (R-5.3a), and a class's grade: given / when / then on the domain
alone, and a class opened before classes had a grade read back from its stored row."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex

from ejournal.domain.errors import InvalidStructure, NotFound
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.transcodings import transcodings
from tests.unit.domain_fixtures import SETUP_AT, described, refused, replay, state


def _family() -> tuple[User, User, list[object]]:
    """A student linked to a guardian, and the student's events so far."""
    school = uuid4()
    student = User.register(user_id=uuid4(), school_id=school, username="pupil",
                            full_name="Ученик", role="student", by=uuid4(), at=SETUP_AT)
    guardian = User.register(user_id=uuid4(), school_id=school, username="parent",
                             full_name="Родитель", role="guardian", by=uuid4(), at=SETUP_AT)
    student.link_guardian(guardian, by=uuid4(), at=SETUP_AT)
    return student, guardian, list(student.collect_events())


def test_a_guardians_link_ends_and_replay_agrees() -> None:
    student, guardian, history = _family()
    by = uuid4()
    student.unlink_guardian(guardian.id, by=by, at=SETUP_AT)
    ended = student.collect_events()
    assert described(ended) == [(User.GuardianUnlinked, {
        "timestamp": SETUP_AT, "guardian_id": guardian.id, "by": by})]
    assert student.guardians == set()
    assert state(replay([*history, *ended])) == state(student)


def test_ending_a_link_that_is_not_there_is_refused() -> None:
    student, _, _ = _family()
    with refused(student, NotFound, field="guardian_id"):
        student.unlink_guardian(uuid4(), by=uuid4(), at=SETUP_AT)


def _class(grade: object) -> SchoolClass:
    return SchoolClass.open(class_id=uuid4(), school_id=uuid4(), year_id=uuid4(), name="7Б",
                            class_teacher_id=None, by=uuid4(), at=SETUP_AT, grade=grade)


def test_a_class_is_opened_with_its_grade() -> None:
    assert _class(7).grade == 7
    assert _class(None).grade is None


@pytest.mark.parametrize("grade", [0, 12, "7", 7.0, True])
def test_a_grade_outside_1_to_11_or_not_a_whole_number_is_refused(grade: object) -> None:
    with refused(None, InvalidStructure, field="grade"):
        _class(grade)


def test_a_class_stored_before_classes_had_a_grade_reads_with_none() -> None:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), *transcodings()):
        transcoder.register(transcoding)
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    stored = mapper.to_stored_event(_class(5).collect_events()[0])
    first = transcoder.decode(stored.state)
    assert (first.pop("class_version"), first.pop("grade")) == (2, 5)
    old = stored.__class__(originator_id=stored.originator_id,
                           originator_version=stored.originator_version, topic=stored.topic,
                           state=transcoder.encode(first))
    opened = mapper.to_domain_event(old)
    assert isinstance(opened, SchoolClass.Opened)
    assert (opened.grade, opened.name) == (None, "7Б")
