"""Journal entries over HTTP (api-v1.md, "Journal entries"), on a real server and database.

The server's clock stands at noon (Moscow) of ``TODAY``, a Monday of the 2026/27 year built by
``build_school``: the week of lessons before it spans a weekend, the autumn каникулы and the
public holiday of 4 November. Expected lateness is computed here from domain.md's table and
the Russian production calendar (the ``holidays`` tables), not taken from the code under test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import holidays
import httpx
import pytest

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.domain.lesson import Lesson
from ejournal.projections.base import create_read_engine
from tests.builders import SmallSchool, build_school
from tests.servers import Server

PASSWORD = "correct horse battery staple"
TZ = "Europe/Moscow"
#: The server's today: Monday 9 November 2026, at noon in Moscow.
TODAY = date(2026, 11, 9)
NOON = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
YEAR_STARTS, YEAR_ENDS = date(2026, 9, 1), date(2027, 5, 31)
SCHOOL_HOLIDAYS = [(date(2026, 10, 26), date(2026, 11, 4)), (date(2026, 12, 29), date(2027, 1, 11)),
                   (date(2027, 3, 22), date(2027, 3, 29))]
QUARTER_ENDS = {"I четверть": date(2026, 10, 25), "II четверть": date(2026, 12, 28),
                "III четверть": date(2027, 3, 21), "IV четверть": date(2027, 5, 31)}
BAD_VALUES = ["1", "6", "5+", "", "Н", "0", " 5", 5, None]


# --- the calendar, as domain.md states it ----------------------------------------------------


def _production() -> Any:
    return holidays.country_holidays("RU", years=range(2026, 2028))


def _working(day: date) -> bool:
    return bool(_production().is_working_day(day))


def _working_days(after: date, until: date) -> int:
    """Working days in (after, until]."""
    return sum(_working(after + timedelta(n)) for n in range(1, (until - after).days + 1))


def _plus_working_days(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= _working(day)
    return day


def _late(rule: str, due: date, today: date) -> dict[str, Any] | None:
    if today <= due:
        return None
    return {"rule": rule, "due": due.isoformat(), "days": (today - due).days,
            "working_days": _working_days(due, today)}


def _school_day(day: date) -> bool:
    """A school day of the 5-day school build_school makes."""
    return (YEAR_STARTS <= day <= YEAR_ENDS and day.isoweekday() <= 5
            and not any(a <= day <= b for a, b in SCHOOL_HOLIDAYS) and day not in _production())


def test_the_calendar_oracle_agrees_with_the_production_calendar() -> None:
    assert _working_days(date(2026, 11, 23), date(2026, 11, 25)) == 2  # Mon -> Wed
    assert _working_days(date(2026, 11, 27), date(2026, 11, 30)) == 1  # Fri -> Mon
    assert _working_days(date(2026, 11, 2), date(2026, 11, 5)) == 2  # 4 Nov is a holiday
    assert _plus_working_days(date(2026, 11, 27), 3) == date(2026, 12, 2)
    assert not _school_day(date(2026, 10, 28))  # autumn каникулы
    assert _school_day(date(2026, 11, 23))


# --- the world: a school, another school, people logged in ------------------------------------


@dataclass
class World:
    server: Server
    app: EJournal
    school: SmallSchool
    other_school: SmallSchool
    tokens: dict[str, str]
    today: date

    def post(self, who: str | None, path: str, body: Any = None, *, key: str | None = None,
             content: bytes | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        with self.server.client(self.tokens[who] if who else None) as c:
            if content is not None:
                return c.post(path, content=content, headers=headers)
            return c.post(path, json=body, headers=headers)

    @property
    def journal(self) -> str:
        return f"/api/v1/journals/{self.school.journal}"

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def lesson(self, lesson_id: str) -> Lesson:
        found = self.app.repository.get(UUID(lesson_id))
        assert isinstance(found, Lesson)
        return found

    def hold(self, day: date, slot: int = 1, who: str = "teacher") -> str:
        answer = self.post(who, f"{self.journal}/lessons",
                           {"date": day.isoformat(), "slot": slot, "topic": "Дроби"})
        assert answer.status_code == 201, answer.text
        lesson_id: str = answer.json()["id"]
        return lesson_id

    def mark(self, lesson_id: str, student: UUID, value: str = "4", work: str = "oral") -> str:
        answer = self.post("teacher", f"{self.journal}/lessons/{lesson_id}/marks",
                           {"student_id": str(student), "value": value, "work": work})
        assert answer.status_code == 201, answer.text
        mark_id: str = answer.json()["id"]
        return mark_id


@pytest.fixture
def world(server: Server) -> Iterator[World]:
    server.clock.set(NOON)
    app = server.app()
    tag = uuid.uuid4().hex[:8]
    school = build_school(app, timezone=TZ, tag=tag)
    other = build_school(app, timezone=TZ, tag=f"{tag}-x")
    accounts = Accounts(create_read_engine(server.database.settings))
    people = {"teacher": (school.teacher, f"teacher-{tag}"),
              "other_teacher": (school.other_teacher, f"other-{tag}"),
              "admin": (school.admin, f"admin-{tag}"),
              "student": (school.students[0], f"student0-{tag}"),
              "other_admin": (other.admin, f"admin-{tag}-x")}
    for user_id, _ in people.values():
        accounts.set_password(user_id, PASSWORD, now=NOON)
    accounts.engine.dispose()
    tokens = {who: server.login(username, PASSWORD) for who, (_, username) in people.items()}
    yield World(server, app, school, other, tokens, TODAY)
    app.close()


def _recent_school_days(today: date, n: int) -> list[date]:
    days: list[date] = []
    day = today
    while len(days) < n and day > YEAR_STARTS:
        day -= timedelta(days=1)
        if _school_day(day):
            days.append(day)
    return sorted(days)


def _problem(answer: httpx.Response, status: int, rule: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    if rule is not None:
        assert body["rule"] == rule, body
    return body


# --- a week of entries -------------------------------------------------------------------------


def test_a_week_of_entries_by_the_teacher_answers_exact_lateness(world: World) -> None:
    today, s = world.today, world.school
    week = _recent_school_days(today, 5)
    # Across the каникулы and 4 November: late by days that are not all working days.
    assert week == [date(2026, 10, 21), date(2026, 10, 22), date(2026, 10, 23),
                    date(2026, 11, 5), date(2026, 11, 6)]
    assert _late("R-4.5", week[0], today) == {"rule": "R-4.5", "due": "2026-10-21",
                                              "days": 19, "working_days": 12}
    assert _late("R-6.1d", _plus_working_days(week[-1], 3), today) is None
    first, present, written = s.students
    positions: list[int] = []

    def written_ok(answer: httpx.Response, late: dict[str, Any] | None) -> dict[str, Any]:
        assert answer.status_code == 201, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert "idempotent-replayed" not in answer.headers
        body: dict[str, Any] = answer.json()
        assert body["late"] == late
        positions.append(int(answer.headers["x-log-position"]))
        return body

    lessons = {}
    for day in week:
        answer = world.post("teacher", f"{world.journal}/lessons",
                            {"date": day.isoformat(), "slot": 2, "topic": "Дроби: сложение",
                             "homework": "№ 12, 14"})
        lessons[day] = UUID(written_ok(answer, _late("R-4.5", day, today))["id"])
        path = f"{world.journal}/lessons/{lessons[day]}"
        written_ok(world.post("teacher", f"{path}/attendance",
                              {"absent": [{"student_id": str(present), "reason": "illness"}]}),
                   _late("R-4.6", day, today))
        oral = written_ok(world.post("teacher", f"{path}/marks",
                                     {"student_id": str(first), "value": "5", "work": "oral",
                                      "comment": "у доски"}),
                          _late("R-4.6", day, today))
        assert UUID(oral["id"])
        written_ok(world.post("teacher", f"{path}/marks",
                              {"student_id": str(written), "value": "3", "work": "test"}),
                   _late("R-6.1d", _plus_working_days(day, 3), today))

    # The student was there after all, on the first day of the week.
    answer = world.post("teacher", f"{world.journal}/lessons/{lessons[week[0]]}/absences/"
                                   f"{present}/cancellation", {"reason": "опоздал, был на уроке"})
    assert set(written_ok(answer, _late("R-4.6", week[0], today))) == {"late"}

    # Today's lesson, entered today: nothing is late.
    answer = world.post("teacher", f"{world.journal}/lessons",
                        {"date": today.isoformat(), "slot": 1, "topic": "Дроби: вычитание"})
    today_lesson = written_ok(answer, None)["id"]
    path = f"{world.journal}/lessons/{today_lesson}"
    assert written_ok(world.post("teacher", f"{path}/attendance", {"absent": []}), None) == {
        "late": None}
    mark_id = written_ok(world.post("teacher", f"{path}/marks",
                                    {"student_id": str(first), "value": "4",
                                     "work": "written"}), None)["id"]

    # A correction and a cancellation are never late.
    answer = world.post("teacher", f"{world.journal}/marks/{mark_id}/corrections",
                        {"value": "5", "reason": "перепроверил работу"})
    assert written_ok(answer, None) == {"id": mark_id, "late": None}
    answer = world.post("teacher", f"{world.journal}/marks/{mark_id}/cancellation",
                        {"reason": "работа не того ученика"})
    assert written_ok(answer, None) == {"id": mark_id, "late": None}

    # Period marks: due on the period's last day.
    for name, student in (("I четверть", first), ("II четверть", present)):
        answer = world.post("teacher", f"{world.journal}/period-marks",
                            {"student_id": str(student), "period_id": str(s.periods[name]),
                             "value": "4"})
        period_mark = written_ok(answer, _late("R-6.2", QUARTER_ENDS[name], today))["id"]
    answer = world.post("teacher", f"{world.journal}/period-marks/{period_mark}/corrections",
                        {"value": "5", "reason": "пересчитал среднее"})
    assert written_ok(answer, None) == {"id": period_mark, "late": None}

    # The log positions grow with each write and stand within the log.
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert positions[-1] <= world.head()

    # What was written is what the teacher sent (Cyrillic round-trips exactly).
    stored = world.lesson(str(lessons[week[0]]))
    assert (stored.topic, stored.homework, stored.slot) == ("Дроби: сложение", "№ 12, 14", 2)
    assert stored.absent == {}
    assert sorted(m.value for m in stored.marks.values()) == ["3", "5"]
    assert [m.comment for m in stored.marks.values() if m.value == "5"] == ["у доски"]


def test_the_school_admin_may_write_the_journal(world: World) -> None:
    answer = world.post("admin", f"{world.journal}/lessons",
                        {"date": world.today.isoformat(), "slot": 3, "topic": "Замена"})
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"id": answer.json()["id"], "late": None}


# --- R-6.1a and shape checks: 422, nothing written -------------------------------------------


def test_mark_values_outside_2_to_5_are_refused_with_r_6_1a_and_write_nothing(
    world: World,
) -> None:
    s = world.school
    lesson_id = world.hold(world.today)
    mark_id = world.mark(lesson_id, s.students[0])
    period = world.post("teacher", f"{world.journal}/period-marks",
                        {"student_id": str(s.students[0]),
                         "period_id": str(s.periods["II четверть"]), "value": "4"})
    assert period.status_code == 201, period.text
    period_mark = period.json()["id"]
    before = world.head()
    for value in BAD_VALUES:
        for path, body in (
            (f"{world.journal}/lessons/{lesson_id}/marks",
             {"student_id": str(s.students[1]), "value": value, "work": "oral"}),
            (f"{world.journal}/marks/{mark_id}/corrections", {"value": value, "reason": "ошибка"}),
            (f"{world.journal}/period-marks",
             {"student_id": str(s.students[1]), "period_id": str(s.periods["II четверть"]),
              "value": value}),
            (f"{world.journal}/period-marks/{period_mark}/corrections",
             {"value": value, "reason": "ошибка"}),
        ):
            body_out = _problem(world.post("teacher", path, body), 422, "R-6.1a")
            assert "value" in [e["field"] for e in body_out["errors"]], (value, body_out)
    assert world.head() == before
    assert [m.value for m in world.lesson(lesson_id).marks.values()] == ["4"]


def test_bodies_of_the_wrong_shape_are_422_and_write_nothing(world: World) -> None:
    s = world.school
    lesson_id = world.hold(world.today)
    marks = f"{world.journal}/lessons/{lesson_id}/marks"
    lessons = f"{world.journal}/lessons"
    day = world.today.isoformat()
    before = world.head()
    cases: list[tuple[str, dict[str, Any], str]] = [
        (lessons, {"date": day, "slot": 0, "topic": "т"}, "slot"),
        (lessons, {"date": day, "slot": 11, "topic": "т"}, "slot"),
        (lessons, {"date": day, "slot": "2", "topic": "т"}, "slot"),
        (lessons, {"date": "29.11.2026", "slot": 2, "topic": "т"}, "date"),
        (lessons, {"date": day, "slot": 2}, "topic"),
        (lessons, {"date": day, "slot": 2, "topic": ""}, "topic"),
        (lessons, {"date": day, "slot": 2, "topic": "т" * 2001}, "topic"),
        (lessons, {"date": day, "slot": 2, "topic": "a\x00b"}, "topic"),
        (lessons, {"date": day, "slot": 2, "topic": "т", "room": "12"}, "room"),
        (marks, {"student_id": str(s.students[0]), "value": "5", "work": "essay"}, "work"),
        (marks, {"student_id": "nobody", "value": "5", "work": "oral"}, "student_id"),
        (marks, {"student_id": str(s.students[0]), "value": "5", "work": "oral",
                 "comment": "к" * 2001}, "comment"),
        (f"{world.journal}/lessons/{lesson_id}/attendance",
         {"absent": [{"student_id": str(s.students[0]), "reason": "sick"}]}, "absent[0].reason"),
        (f"{world.journal}/lessons/{lesson_id}/attendance", {}, "absent"),
    ]
    for path, body, field in cases:
        problem = _problem(world.post("teacher", path, body), 422)
        assert field in [e["field"] for e in problem["errors"]], (body, problem)
        assert "rule" not in problem, problem
    # A lone surrogate cannot be sent through httpx's encoder: the raw JSON escape it is.
    raw = b'{"date": "' + day.encode() + b'", "slot": 2, "topic": "\\ud800"}'
    problem = _problem(world.post("teacher", lessons, content=raw), 422)
    assert [e["field"] for e in problem["errors"]] == ["topic"]
    assert world.head() == before
    # 2,000 characters of Cyrillic are fine and round-trip exactly.
    topic = "Ж" * 2000
    answer = world.post("teacher", lessons, {"date": day, "slot": 2, "topic": topic})
    assert answer.status_code == 201, answer.text
    assert world.lesson(answer.json()["id"]).topic == topic


def test_a_body_over_64_kib_is_413_and_writes_nothing(world: World) -> None:
    lesson_id = world.hold(world.today)
    before = world.head()
    body = json.dumps({"student_id": str(world.school.students[0]), "value": "5",
                       "work": "oral", "comment": "x" * (64 * 1024)}).encode()
    answer = world.post("teacher", f"{world.journal}/lessons/{lesson_id}/marks", content=body)
    _problem(answer, 413)
    assert world.head() == before


# --- conflicts ---------------------------------------------------------------------------------


def test_conflicts_with_the_journal_are_409_and_write_nothing(world: World) -> None:
    s = world.school
    lesson_id = world.hold(world.today, slot=4)
    path = f"{world.journal}/lessons/{lesson_id}"
    assert world.post("teacher", f"{path}/attendance",
                      {"absent": [{"student_id": str(s.students[1])}]}).status_code == 201
    mark_id = world.mark(lesson_id, s.students[0], "4")
    period = {"student_id": str(s.students[0]), "period_id": str(s.periods["II четверть"]),
              "value": "4"}
    assert world.post("teacher", f"{world.journal}/period-marks", period).status_code == 201
    before = world.head()

    # One lesson per journal, date and slot.
    _problem(world.post("teacher", f"{world.journal}/lessons",
                        {"date": world.today.isoformat(), "slot": 4, "topic": "ещё раз"}), 409)
    # No mark for a student recorded absent (R-6.1c).
    _problem(world.post("teacher", f"{path}/marks",
                        {"student_id": str(s.students[1]), "value": "5", "work": "oral"}),
             409, "R-6.1c")
    # One period mark per student and period.
    _problem(world.post("teacher", f"{world.journal}/period-marks", period), 409, "R-6.2")
    # A correction changes the value (422, R-7.2 - not R-6.1a: the value itself is good).
    same = _problem(world.post("teacher", f"{world.journal}/marks/{mark_id}/corrections",
                               {"value": "4", "reason": "та же"}), 422, "R-7.2")
    assert [e["field"] for e in same["errors"]] == ["value"]
    assert world.head() == before


# --- who may write, and what is visible -------------------------------------------------------


def test_only_the_journal_s_teacher_or_admin_writes_and_others_see_nothing(world: World) -> None:
    s = world.school
    lesson_id = world.hold(world.today)
    mark_id = world.mark(lesson_id, s.students[0])
    lesson = {"date": world.today.isoformat(), "slot": 5, "topic": "т"}
    mark = {"student_id": str(s.students[0]), "value": "5", "work": "oral"}
    marks = f"{world.journal}/lessons/{lesson_id}/marks"
    before = world.head()

    # Another teacher of the school, not assigned to the journal nor its class teacher: the
    # journal is not visible to them, so it does not exist (404, not 403; ).
    _problem(world.post("other_teacher", f"{world.journal}/lessons", lesson), 404)
    _problem(world.post("other_teacher", marks, mark), 404)
    _problem(world.post("other_teacher", f"{world.journal}/marks/{mark_id}/cancellation",
                        {"reason": "нет"}), 404)
    # A student never writes.
    _problem(world.post("student", f"{world.journal}/lessons", lesson), 403, "R-4.9")
    _problem(world.post("student", marks, mark), 403, "R-4.9")
    _problem(world.post("student", f"{world.journal}/lessons/{lesson_id}/attendance",
                        {"absent": []}), 403, "R-4.9")
    # The admin of another school: that journal does not exist for them.
    _problem(world.post("other_admin", f"{world.journal}/lessons", lesson), 404)
    _problem(world.post("other_admin", marks, mark), 404)
    # Unknown lessons, marks, journals.
    _problem(world.post("teacher", f"{world.journal}/lessons/{uuid.uuid4()}/marks", mark), 404)
    _problem(world.post("teacher", f"{world.journal}/marks/{uuid.uuid4()}/corrections",
                        {"value": "3", "reason": "нет"}), 404)
    _problem(world.post("teacher", f"/api/v1/journals/{uuid.uuid4()}/lessons", lesson), 404)
    _problem(world.post("teacher", f"/api/v1/journals/{world.other_school.journal}/lessons",
                        lesson), 404)
    # Anonymous, or a bad token.
    anonymous = _problem(world.post(None, f"{world.journal}/lessons", lesson), 401)
    assert "rule" not in anonymous
    with world.server.client("made-up") as c:
        _problem(c.post(f"{world.journal}/lessons", json=lesson), 401)
    assert world.head() == before


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_an_idempotency_key_retry_replays_the_first_answer_and_writes_nothing(
    world: World,
) -> None:
    s = world.school
    lesson_id = world.hold(world.today)
    marks = f"{world.journal}/lessons/{lesson_id}/marks"
    mark = {"student_id": str(s.students[0]), "value": "5", "work": "oral"}

    first = world.post("teacher", marks, mark, key="mark-1")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = world.head()

    again = world.post("teacher", marks, mark, key="mark-1")
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert int(again.headers["x-log-position"]) >= int(first.headers["x-log-position"])
    assert world.head() == after_first
    assert list(world.lesson(lesson_id).marks) == [UUID(first.json()["id"])]

    # The same key with another body is a conflict, and writes nothing.
    other = world.post("teacher", marks, {**mark, "value": "4"}, key="mark-1")
    _problem(other, 409)
    assert world.head() == after_first
    # A refused request stores no key: the same key may be used once the request is right.
    bad = world.post("teacher", marks, {**mark, "value": "1"}, key="mark-2")
    _problem(bad, 422, "R-6.1a")
    ok = world.post("teacher", marks, {**mark, "value": "3"}, key="mark-2")
    assert ok.status_code == 201, ok.text
    assert "idempotent-replayed" not in ok.headers
    # Keys are scoped per user: the admin's "mark-1" is a new write.
    admins = world.post("admin", marks, mark, key="mark-1")
    assert admins.status_code == 201, admins.text
    assert "idempotent-replayed" not in admins.headers
    assert admins.json()["id"] != first.json()["id"]
    assert sorted(m.value for m in world.lesson(lesson_id).marks.values()) == ["3", "5", "5"]


def test_the_journal_entries_are_described_in_the_openapi_document(server: Server) -> None:
    with server.client() as c:
        document = c.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("lessons", "lessons/{lesson_id}/attendance",
                 "lessons/{lesson_id}/absences/{student_id}/cancellation",
                 "lessons/{lesson_id}/marks", "marks/{mark_id}/corrections",
                 "marks/{mark_id}/cancellation", "period-marks",
                 "period-marks/{period_mark_id}/corrections"):
        operation = paths[f"/api/v1/journals/{{journal_id}}/{path}"]["post"]
        assert "201" in operation["responses"], path
        assert "journal entries" in operation["tags"]
    schemas = document["components"]["schemas"]
    assert schemas["MarkIn"]["properties"]["value"]["enum"] == ["2", "3", "4", "5"]
    assert schemas["MarkIn"]["additionalProperties"] is False
