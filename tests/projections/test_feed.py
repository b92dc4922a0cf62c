"""The feed of guardians and students: their own marks and absences, newest first, with a
read cursor (R-3.4e, R-5.3a)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from ejournal.application import EJournal
from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    CorrectMark,
    GiveMark,
    HoldLesson,
    LinkGuardian,
    RegisterUser,
    TakeAttendance,
)
from ejournal.projections.feed import (
    Feed,
    FeedItem,
    mark_feed_read,
    read_feed,
    unread_count,
)
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)
AT = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _items(items: list[FeedItem]) -> list[tuple[Any, ...]]:
    return [(i.kind, i.student_id, i.lesson_date, i.subject, i.value, i.work, i.reason)
            for i in items]


def _lesson(app: EJournal, s: SmallSchool, day: date, slot: int = 1) -> UUID:
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=slot,
                                    topic=f"Тема {day} {slot}")).id
    assert lesson is not None
    return lesson


def _mark(app: EJournal, s: SmallSchool, lesson: UUID, student: UUID, value: str,
          work: str = "oral") -> UUID:
    mark = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=student, value=value,
                                work=work)).id
    assert mark is not None
    return mark


def test_a_guardian_sees_their_childs_marks_corrections_and_absences_newest_first(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=2)
    kid, classmate = s.students  # s.guardian is the guardian of kid only
    clock.set(AT)
    mon = _lesson(app, s, MON)
    tue = _lesson(app, s, TUE)
    app.execute(TakeAttendance(s.teacher, s.journal, mon, absent=[(classmate, "illness")]))
    oral = _mark(app, s, mon, kid, "5")
    app.execute(CorrectMark(s.teacher, s.journal, oral, value="4", reason="пересчёт"))
    written = _mark(app, s, mon, kid, "3", "written")
    app.execute(CancelMark(s.teacher, s.journal, written, reason="не та работа"))
    app.execute(TakeAttendance(s.teacher, s.journal, tue, absent=[(kid, "unexcused")]))
    app.execute(CancelAbsence(s.teacher, s.journal, tue, student_id=kid, reason="был на уроке"))
    _mark(app, s, tue, classmate, "2")
    p.catch_up()

    maths = "Математика"
    expected = [
        ("absence_cancelled", kid, TUE, maths, None, None, "был на уроке"),
        ("absent", kid, TUE, maths, None, None, "unexcused"),
        ("mark_cancelled", kid, MON, maths, "3", "written", "не та работа"),
        ("mark_given", kid, MON, maths, "3", "written", None),
        ("mark_corrected", kid, MON, maths, "4", "oral", "пересчёт"),
        ("mark_given", kid, MON, maths, "5", "oral", None),
    ]
    with p.connect() as conn:
        guardian_feed = read_feed(conn, s.guardian)
        kid_feed = read_feed(conn, kid)
        classmate_feed = read_feed(conn, classmate)
    # The classmate's absence and mark never reach kid's guardian (R-5.3a).
    assert _items(guardian_feed) == expected
    # The student sees the same items about themself.
    assert _items(kid_feed) == expected
    assert _items(classmate_feed) == [
        ("mark_given", classmate, TUE, maths, "2", "oral", None),
        ("absent", classmate, MON, maths, None, None, "illness"),
    ]
    positions = [i.position for i in guardian_feed]
    assert positions == sorted(positions, reverse=True)
    assert [i.mark_id for i in guardian_feed[2:]] == [written, written, oral, oral]
    assert all(i.journal_id == s.journal and i.recorded_at == AT for i in guardian_feed)


def test_the_feed_pages_backwards_with_a_position_cursor(projected_factory, clock: Clock
                                                         ) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(AT)
    lesson = _lesson(app, s, MON)
    for value in ("2", "3", "4", "5", "4"):
        _mark(app, s, lesson, kid, value)
    p.catch_up()

    with p.connect() as conn:
        first = read_feed(conn, s.guardian, limit=2)
        second = read_feed(conn, s.guardian, before=first[-1].position, limit=2)
        third = read_feed(conn, s.guardian, before=second[-1].position, limit=2)
        after_all = read_feed(conn, s.guardian, before=third[-1].position, limit=2)
    assert [i.value for i in first] == ["4", "5"]
    assert [i.value for i in second] == ["4", "3"]
    assert [i.value for i in third] == ["2"]
    assert after_all == []


def test_the_read_cursor_counts_unread_items_and_only_moves_forward(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(AT)
    lesson = _lesson(app, s, MON)
    for value in ("2", "3", "4"):
        _mark(app, s, lesson, kid, value)
    p.catch_up()

    with p.connect() as conn:
        newest, middle, _ = read_feed(conn, s.guardian)
        assert unread_count(conn, s.guardian) == 3
        mark_feed_read(conn, s.guardian, middle.position)
        conn.commit()
        assert unread_count(conn, s.guardian) == 1
        mark_feed_read(conn, s.guardian, 1)  # never back
        conn.commit()
        assert unread_count(conn, s.guardian) == 1
        # Each recipient has their own cursor.
        assert unread_count(conn, kid) == 3
        mark_feed_read(conn, s.guardian, newest.position)
        conn.commit()
        assert unread_count(conn, s.guardian) == 0

    _mark(app, s, lesson, kid, "5")
    p.catch_up()
    with p.connect() as conn:
        assert unread_count(conn, s.guardian) == 1
        assert unread_count(conn, kid) == 4


def test_a_guardian_linked_later_gets_only_the_items_from_the_link_on(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(AT)
    lesson = _lesson(app, s, MON)
    _mark(app, s, lesson, kid, "3")
    newcomer = app.execute(RegisterUser(s.admin, s.school, username=f"dad-{s.school.hex[:6]}",
                                        full_name="Отец", role="guardian")).id
    assert newcomer is not None
    app.execute(LinkGuardian(s.admin, kid, guardian_id=newcomer))
    _mark(app, s, lesson, kid, "5")
    p.catch_up()

    with p.connect() as conn:
        assert [i.value for i in read_feed(conn, newcomer)] == ["5"]
        # and the guardian linked before is told of the newcomer's link (R-5.3a)
        assert [(i.kind, i.value, i.guardian_name) for i in read_feed(conn, s.guardian)] == [
            ("mark_given", "5", None), ("guardian_linked", None, "Отец"),
            ("mark_given", "3", None)]


def test_a_guardian_of_two_children_absent_from_one_lesson_gets_both_on_one_page(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=3)
    first_child, second_child, stranger = s.students
    app.execute(LinkGuardian(s.admin, second_child, guardian_id=s.guardian))
    clock.set(AT)
    lesson = _lesson(app, s, MON)
    _mark(app, s, _lesson(app, s, MON, slot=2), first_child, "5")
    app.execute(TakeAttendance(s.teacher, s.journal, lesson,
                               absent=[(first_child, None), (second_child, "excused"),
                                       (stranger, "illness")]))
    p.catch_up()

    with p.connect() as conn:
        page = read_feed(conn, s.guardian, limit=1)
        rest = read_feed(conn, s.guardian, before=page[-1].position, limit=1)
    # One attendance, two items with the same id: the page is not split between them.
    assert sorted((i.kind, i.student_id, i.reason) for i in page) == sorted([
        ("absent", first_child, None), ("absent", second_child, "excused")])
    assert len({i.position for i in page}) == 1
    assert [(i.kind, i.student_id, i.value) for i in rest] == [
        ("mark_given", first_child, "5")]


def test_rebuilding_the_feed_from_the_log_gives_the_same_items(projected_factory,
                                                                clock: Clock) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=2)
    kid, classmate = s.students
    clock.set(AT)
    lesson = _lesson(app, s, MON)
    app.execute(TakeAttendance(s.teacher, s.journal, lesson, absent=[(classmate, None)]))
    mark = _mark(app, s, lesson, kid, "3")
    app.execute(CorrectMark(s.teacher, s.journal, mark, value="4", reason="пересчёт"))
    app.execute(CancelAbsence(s.teacher, s.journal, lesson, student_id=classmate, reason="был"))
    p.catch_up()
    with p.connect() as conn:
        before = {who: read_feed(conn, who) for who in (s.guardian, kid, classmate)}

    with p.connect() as conn:
        mark_feed_read(conn, s.guardian, before[s.guardian][0].position)
        conn.commit()

    p.projector.reset(["feed"])
    p.catch_up()
    with p.connect() as conn:
        assert {who: read_feed(conn, who) for who in (s.guardian, kid, classmate)} == before
        # What the guardian has read stays read: a rebuild keeps the readers' cursors.
        assert unread_count(conn, s.guardian) == 0
