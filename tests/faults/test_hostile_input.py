"""A hostile client gets a clear refusal and nothing else (api-v1.md "Errors" and
"Limits"): oversized bodies and fields, deep JSON, wrong content types, unicode oddities,
injection strings, dates out of range and another school's ids - on a real server and
database. Every refusal is 4xx ``application/problem+json`` with the security headers, and
the event log's last notification id is the same after it as before: nothing was written.

What valid text is, is kept exactly: Cyrillic, right-to-left marks, emoji, combining accents
and injection strings round-trip byte for byte through the log and the read models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx

from ejournal.api.app import create_app
from ejournal.api.edge import MAX_BODY
from tests.faults.conftest import (
    PASSWORD,
    SCHOOL_DAY,
    SCHOOL_DAYS,
    World,
    assert_problem,
    assert_secure,
    error_fields,
)
from tests.servers import running

# --- helpers -------------------------------------------------------------------------------


def refused(world: World, who: str | None, method: str, path: str,
            status: int | tuple[int, ...], field: str | None = None,
            **kwargs: Any) -> dict[str, Any]:
    """Sends one request; it must be refused with ``status`` (naming ``field`` when given)
    and write nothing to the event log."""
    before = world.head()
    with world.client(who) as c:
        answer = c.request(method, path, **kwargs)
    body = assert_problem(answer, status)
    if field is not None:
        assert field in error_fields(body), (path, field, body)
    assert world.head() == before, (method, path, "wrote to the log")
    return body


def _set(body: dict[str, Any], where: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``body`` with the item at ``where`` replaced."""
    copy: dict[str, Any] = json.loads(json.dumps(body))
    target: Any = copy
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return copy


def _field(where: tuple[str | int, ...]) -> str:
    """A field as errors name it (docs/api.md): ``periods[0].name``."""
    path = ""
    for step in where:
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else step)
    return path


class Entries:
    """One lesson (on ``day``, slot 1), a mark, an absence and a period mark of school A's
    journal, written by its teacher, for the requests that correct or cancel something."""

    def __init__(self, world: World, day: date) -> None:
        s, journal = world.a, world.journal()
        lesson = world.post("teacher", f"{journal}/lessons",
                            {"date": day.isoformat(), "slot": 1, "topic": "Дроби"})
        assert lesson.status_code == 201, lesson.text
        self.lesson = lesson.json()["id"]
        mark = world.post("teacher", f"{journal}/lessons/{self.lesson}/marks",
                          {"student_id": str(s.students[0]), "value": "4", "work": "oral"})
        assert mark.status_code == 201, mark.text
        self.mark = mark.json()["id"]
        absent = world.post("teacher", f"{journal}/lessons/{self.lesson}/attendance",
                            {"absent": [{"student_id": str(s.students[1])}]})
        assert absent.status_code == 201, absent.text
        # One period mark per student and period: each day takes another pair.
        n = SCHOOL_DAYS.index(day)
        student, period_id = s.students[n % 3], list(s.periods.values())[n // 3 % 4]
        period = world.post("teacher", f"{journal}/period-marks",
                            {"student_id": str(student), "period_id": str(period_id),
                             "value": "4"})
        assert period.status_code == 201, period.text
        self.period_mark = period.json()["id"]


def text_fields(world: World, e: Entries) -> list[tuple[str, str, str, dict[str, Any],
                                                        tuple[str | int, ...]]]:
    """Every free-text field of the API: (who, method, path, a valid body, where the text is).
    Each valid body, sent as it is, would be written."""
    s, journal = world.a, world.journal()
    lesson = {"date": SCHOOL_DAY.isoformat(), "slot": 2, "topic": "т", "homework": "д",
              "programme_topic": "п"}
    year = {"name": "Год", "starts_on": "2027-09-01", "ends_on": "2028-05-31",
            "days_per_week": 5,
            "periods": [{"name": "1", "starts_on": "2027-09-01", "ends_on": "2028-05-31"}],
            "holidays": [{"name": "к", "starts_on": "2027-11-01", "ends_on": "2027-11-03"}]}
    user = {"username": f"u-{uuid4().hex[:8]}", "password": PASSWORD, "full_name": "Имя",
            "role": "teacher"}
    return [
        ("teacher", "POST", f"{journal}/lessons", lesson, ("topic",)),
        ("teacher", "POST", f"{journal}/lessons", lesson, ("homework",)),
        ("teacher", "POST", f"{journal}/lessons", lesson, ("programme_topic",)),
        ("teacher", "POST", f"{journal}/lessons/{e.lesson}/marks",
         {"student_id": str(s.students[2]), "value": "5", "work": "oral", "comment": "к"},
         ("comment",)),
        ("teacher", "POST", f"{journal}/marks/{e.mark}/corrections",
         {"value": "3", "reason": "р"}, ("reason",)),
        ("teacher", "POST", f"{journal}/marks/{e.mark}/cancellation", {"reason": "р"},
         ("reason",)),
        ("teacher", "POST", f"{journal}/lessons/{e.lesson}/absences/{s.students[1]}/cancellation",
         {"reason": "р"}, ("reason",)),
        ("teacher", "POST", f"{journal}/period-marks/{e.period_mark}/corrections",
         {"value": "5", "reason": "р"}, ("reason",)),
        ("operator", "POST", "/api/v1/schools", {"name": "Ш", "timezone": "Europe/Moscow"},
         ("name",)),
        ("operator", "POST", "/api/v1/schools", {"name": "Ш", "timezone": "Europe/Moscow"},
         ("timezone",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/users", user, ("username",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/users", user, ("password",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/users", user, ("full_name",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year, ("name",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year, ("periods", 0, "name")),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year, ("holidays", 0, "name")),
        ("admin", "POST", f"/api/v1/schools/{s.school}/calendar/days",
         {"date": "2026-12-07", "kind": "day_off", "reason": "р"}, ("reason",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/subjects", {"name": "П"}, ("name",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/classes",
         {"name": "К", "year_id": str(s.year)}, ("name",)),
        ("admin", "PUT", f"{journal}/programme", {"topics": [{"title": "т", "hours": 1}]},
         ("topics", 0, "title")),
    ]


# --- sizes ---------------------------------------------------------------------------------


def test_a_body_over_64_kib_is_413_whether_it_says_its_length_or_comes_in_chunks(
    world: World,
) -> None:
    path = f"{world.journal()}/lessons"
    big = json.dumps({"date": SCHOOL_DAY.isoformat(), "slot": 1,
                      "topic": "ж" * MAX_BODY}).encode()
    json_type = {"Content-Type": "application/json"}
    # Said by Content-Length: refused before a byte of it is read.
    refused(world, "teacher", "POST", path, 413, content=big, headers=json_type)

    # Sent in chunks (no Content-Length): refused once it passes the limit, not parsed.
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 4096):
            yield big[start:start + 4096]

    body = refused(world, "teacher", "POST", path, 413, content=chunks(), headers=json_type)
    assert str(MAX_BODY) in body["detail"]
    # The login form too, with or without its length.
    form = b"username=root&password=" + b"x" * (MAX_BODY + 1)
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(world, None, "POST", "/api/v1/auth/token", 413, content=form, headers=form_type)
    refused(world, None, "POST", "/api/v1/auth/token", 413, content=iter([form]),
            headers=form_type)
    # Just under the limit, the body is read and judged on its fields (2,000 characters).
    near = json.dumps({"date": SCHOOL_DAY.isoformat(), "slot": 1,
                       "topic": "x" * (MAX_BODY - 100)}).encode()
    assert len(near) <= MAX_BODY
    refused(world, "teacher", "POST", path, 422, "topic", content=near, headers=json_type)


def test_every_text_field_over_2000_characters_is_422_naming_it(world: World) -> None:
    e = Entries(world, SCHOOL_DAYS[0])
    for who, method, path, body, where in text_fields(world, e):
        too_long = "ё" * 2001
        expected = _field(where)
        refused(world, who, method, path, 422, expected, json=_set(body, where, too_long))
    # Sizes of numbers and lists have their limits too.
    s, journal = world.a, world.journal()
    lesson = {"date": SCHOOL_DAY.isoformat(), "slot": 2, "topic": "т"}
    refused(world, "teacher", "POST", f"{journal}/lessons", 422, "slot",
            json={**lesson, "slot": 10**30})
    refused(world, "teacher", "POST", f"{journal}/lessons", 422, "slot",
            json={**lesson, "slot": 1e300})
    refused(world, "admin", "PUT", f"{journal}/programme", 422, "topics[0].hours",
            json={"topics": [{"title": "т", "hours": 10**30}]})
    refused(world, "admin", "PUT", f"{journal}/programme", 422, "topics",
            json={"topics": [{"title": "т", "hours": 1}] * 1001})
    refused(world, "teacher", "POST", f"{journal}/lessons/{e.lesson}/attendance", 422,
            "absent", json={"absent": [{"student_id": str(s.students[2])}] * 1001})
    # A number of more than 4,300 digits cannot even be parsed: 400, still a problem.
    digits = b'{"date": "2026-11-23", "slot": ' + b"9" * 5000 + b', "topic": "t"}'
    refused(world, "teacher", "POST", f"{journal}/lessons", (400, 422), content=digits,
            headers={"Content-Type": "application/json"})
    # A 300-character Idempotency-Key.
    refused(world, "teacher", "POST", f"{journal}/lessons", 422, "Idempotency-Key",
            json=lesson, headers={"Idempotency-Key": "k" * 300})


def test_deeply_nested_json_is_refused(world: World) -> None:
    path = f"{world.journal()}/lessons"
    json_type = {"Content-Type": "application/json"}
    for raw in (b"[" * 30_000 + b"]" * 30_000,
                b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
                b'{"date": "2026-11-23", "slot": 1, "topic": ' + b"[" * 20_000
                + b"]" * 20_000 + b"}"):
        assert len(raw) <= MAX_BODY
        refused(world, "teacher", "POST", path, (400, 422), content=raw, headers=json_type)
    # Nested within the limits of the parser but where a string belongs: 422 naming it.
    nested: Any = "т"
    for _ in range(500):
        nested = {"x": nested}
    refused(world, "teacher", "POST", path, 422, "topic",
            json={"date": SCHOOL_DAY.isoformat(), "slot": 1, "topic": nested})


def test_a_body_of_the_wrong_content_type_or_encoding_is_refused(world: World) -> None:
    path = f"{world.journal()}/lessons"
    lesson = {"date": SCHOOL_DAY.isoformat(), "slot": 1, "topic": "Дроби"}
    as_json = json.dumps(lesson).encode()
    for content_type in ("text/plain", "application/xml", "text/html",
                         "application/x-www-form-urlencoded", "multipart/form-data"):
        refused(world, "teacher", "POST", path, 422, content=as_json,
                headers={"Content-Type": content_type})
    refused(world, "teacher", "POST", path, 422, data={"date": SCHOOL_DAY.isoformat(),
                                                       "slot": "1", "topic": "Дроби"})
    refused(world, "teacher", "POST", path, 422, content=as_json)  # no Content-Type at all
    refused(world, "teacher", "POST", path, 422, content=b"<lesson slot='1'/>",
            headers={"Content-Type": "application/json"})
    # Not UTF-8: windows-1251 Cyrillic, a stray byte; and an empty body.
    cp1251 = json.dumps(lesson, ensure_ascii=False).encode("cp1251")
    refused(world, "teacher", "POST", path, (400, 422), content=cp1251,
            headers={"Content-Type": "application/json; charset=windows-1251"})
    refused(world, "teacher", "POST", path, (400, 422),
            content=b'{"date": "2026-11-23", "slot": 1, "topic": "\xff"}',
            headers={"Content-Type": "application/json"})
    refused(world, "teacher", "POST", path, 422, content=b"",
            headers={"Content-Type": "application/json"})
    # The login form as JSON.
    refused(world, None, "POST", "/api/v1/auth/token", 422,
            json={"username": f"teacher-{world.tag}", "password": PASSWORD})


# --- unicode ---------------------------------------------------------------------------------

ODD_BUT_VALID = [
    "Ёжик в тумане: «кавычки» — тире, №5",            # Cyrillic with ё, guillemets, №
    "Е\u0308жик",                                       # a combining diaeresis (NFD), kept so
    "\u200fשלום\u200e и \u202eреверс\u202c",             # RTL/LTR marks and an override
    "🧮 Дроби 👩‍🏫 и 🇷🇺",                                  # astral emoji, ZWJ, flags
    "\u200b\ufeff\u00a0нулевой пробел",                  # zero-width space, BOM, nbsp
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 и 中文",                                     # mathematical letters, CJK
]


def test_valid_unicode_round_trips_exactly_through_the_log_and_the_read_models(
    world: World,
) -> None:
    s, journal, day = world.a, world.journal(), SCHOOL_DAYS[1]
    for slot, text in enumerate(ODD_BUT_VALID, start=1):
        # When a lesson is recorded with that topic and homework
        answer = world.post("teacher", f"{journal}/lessons",
                            {"date": day.isoformat(), "slot": slot, "topic": text,
                             "homework": text[::-1]})
        assert answer.status_code == 201, answer.text
        position = answer.headers["X-Log-Position"]
        # Then the event holds it exactly
        lesson = world.app.repository.get(UUID(answer.json()["id"]))
        assert (lesson.topic, lesson.homework) == (text, text[::-1])
        # and the grid and the diary answer it exactly (the writer's read sees the write)
        with world.client("teacher") as c:
            grid = c.get(f"{journal}/grid", headers={"X-Log-Position": position})
            diary = c.get(f"/api/v1/students/{s.students[0]}/diary",
                          headers={"X-Log-Position": position})
        assert_secure(grid)
        topics = {x["slot"]: x["topic"] for x in grid.json()["lessons"]
                  if x["date"] == day.isoformat()}
        assert topics[slot] == text
        that_day = next(d for d in diary.json()["days"] if d["date"] == day.isoformat())
        kept = {x["slot"]: (x["topic"], x["homework"]) for x in that_day["lessons"]}
        assert kept[slot] == (text, text[::-1])
    # A name with them: a new user's full name, read back by that user (/me).
    full_name = " ".join(ODD_BUT_VALID)
    username = f"odd-{world.tag}"
    with world.client("admin") as c:
        created = c.post(f"/api/v1/schools/{s.school}/users", json={
            "username": username, "password": PASSWORD, "full_name": full_name,
            "role": "teacher"})
    assert created.status_code == 201, created.text
    with world.server.client(world.server.login(username, PASSWORD)) as c:
        assert c.get("/api/v1/me").json()["full_name"] == full_name
    # A surrogate pair written as JSON escapes is one valid character.
    raw = (b'{"date": "' + day.isoformat().encode()
           + b'", "slot": 9, "topic": "\\ud83e\\uddee \\u0416"}')
    answer = world.post("teacher", f"{journal}/lessons", content=raw,
                        headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    lesson = world.app.repository.get(UUID(answer.json()["id"]))
    assert lesson.topic == "🧮 Ж"


def test_nul_and_lone_surrogates_are_422_in_every_text_field(world: World) -> None:
    e = Entries(world, SCHOOL_DAYS[2])
    json_type = {"Content-Type": "application/json"}
    for who, method, path, body, where in text_fields(world, e):
        expected = _field(where)
        refused(world, who, method, path, 422, expected, json=_set(body, where, "a\x00b"))
        # Lone surrogates cannot pass httpx's encoder: the raw JSON escapes they are.
        for escape in ("\\ud800", "x\\udfff", "\\udc00\\ud800", "\\ud83e"):
            marker = "@@SURROGATE@@"
            raw = json.dumps(_set(body, where, marker)).replace(marker, escape).encode()
            refused(world, who, method, path, 422, expected, content=raw, headers=json_type)
    # In a query or a login form, a NUL is refused too (PostgreSQL cannot even store it).
    with world.client("auditor") as c:
        answer = c.get(f"/api/v1/schools/{world.a.school}/late-entries",
                       params={"rule": "R-4.6\x00"})
    assert "rule" in error_fields(assert_problem(answer, 422))
    body = refused(world, None, "POST", "/api/v1/auth/token", 422,
                   data={"username": "root\x00", "password": "x"})
    assert error_fields(body) == ["username"]
    refused(world, None, "POST", "/api/v1/auth/token", 422, "password",
            data={"username": f"teacher-{world.tag}", "password": PASSWORD + "\x00"})


# --- injection -------------------------------------------------------------------------------

INJECTIONS = [
    "'; DROP TABLE ejournal_events; --",
    "\" OR \"1\"=\"1",
    "1); DELETE FROM account_tokens WHERE (1=1",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %s %n",
    "../../../../etc/passwd",
]


def test_injection_strings_in_text_fields_are_kept_verbatim_as_text(world: World) -> None:
    # Text is data: a topic may say anything a teacher types. It is stored and answered
    # byte for byte, as JSON (never HTML), and the tables it names are still there.
    s, journal, day = world.a, world.journal(), SCHOOL_DAYS[3]
    e = Entries(world, day)
    for slot, text in enumerate(INJECTIONS, start=2):
        answer = world.post("teacher", f"{journal}/lessons",
                            {"date": day.isoformat(), "slot": slot, "topic": text,
                             "homework": text})
        assert answer.status_code == 201, answer.text
    correction = world.post("teacher", f"{journal}/marks/{e.mark}/corrections",
                            {"value": "5", "reason": INJECTIONS[0]})
    assert correction.status_code == 201, correction.text
    with world.client("teacher") as c:
        grid = c.get(f"{journal}/grid", headers={"X-Log-Position":
                                                 correction.headers["X-Log-Position"]})
        history = c.get(f"{journal}/marks/{e.mark}/history")
    assert grid.headers["content-type"] == "application/json"
    assert grid.headers["X-Content-Type-Options"] == "nosniff"
    topics = {x["slot"]: x["topic"] for x in grid.json()["lessons"]
              if x["date"] == day.isoformat()}
    assert [topics[slot] for slot in range(2, 2 + len(INJECTIONS))] == INJECTIONS
    assert history.json()["items"][-1]["reason"] == INJECTIONS[0]
    # The password and the name of a new user, too: they log in with it and read it back.
    username = f"inj-{world.tag}"
    with world.client("admin") as c:
        created = c.post(f"/api/v1/schools/{s.school}/users", json={
            "username": username, "password": INJECTIONS[0], "full_name": INJECTIONS[3],
            "role": "guardian"})
    assert created.status_code == 201, created.text
    with world.server.client(world.server.login(username, INJECTIONS[0])) as c:
        assert c.get("/api/v1/me").json()["full_name"] == INJECTIONS[3]
    # The log and the tokens survived every one of them: old tokens still work.
    assert world.head() > 0
    with world.client("teacher") as c:
        assert c.get("/api/v1/me").status_code == 200


def test_injection_strings_where_an_id_a_date_an_enum_or_a_token_belongs_are_refused(
    world: World,
) -> None:
    s, journal = world.a, world.journal()
    e = Entries(world, SCHOOL_DAYS[4])
    for text in INJECTIONS:
        mark = {"student_id": str(s.students[2]), "value": "5", "work": "oral"}
        marks = f"{journal}/lessons/{e.lesson}/marks"
        refused(world, "teacher", "POST", marks, 422, "student_id",
                json={**mark, "student_id": text})
        refused(world, "teacher", "POST", marks, 422, "value", json={**mark, "value": text})
        refused(world, "teacher", "POST", marks, 422, "work", json={**mark, "work": text})
        refused(world, "teacher", "POST", f"{journal}/lessons", 422, "date",
                json={"date": text, "slot": 3, "topic": "т"})
        refused(world, "teacher", "POST", f"{journal}/lessons/{e.lesson}/attendance", 422,
                "absent[0].reason",
                json={"absent": [{"student_id": str(s.students[2]), "reason": text}]})
        refused(world, "admin", "POST", f"/api/v1/schools/{s.school}/users", 422, "username",
                json={"username": text, "password": PASSWORD, "full_name": "x",
                      "role": "teacher"})
        refused(world, "admin", "POST", f"/api/v1/schools/{s.school}/users", 422, "role",
                json={"username": f"r-{uuid4().hex[:6]}", "password": PASSWORD,
                      "full_name": "x", "role": text})
        refused(world, "operator", "POST", "/api/v1/schools", 422, "timezone",
                json={"name": "Ш", "timezone": text})
        # In a path, a query or a token.
        quoted = httpx.URL(f"/api/v1/journals/{text}/grid")
        refused(world, "teacher", "GET", str(quoted), (404, 422))
        refused(world, "teacher", "GET", f"{journal}/grid", 422, params={"from": text})
        refused(world, "teacher", "GET", f"{journal}/grid", 422, params={"as_of": text})
        refused(world, "auditor", "GET", f"/api/v1/schools/{s.school}/late-entries", 422,
                "rule", params={"rule": text})
        refused(world, "auditor", "GET", f"/api/v1/schools/{s.school}/late-entries", 422,
                "cursor", params={"cursor": text})
        refused(world, None, "GET", "/api/v1/me", 401,
                headers={"Authorization": f"Bearer {text}"})
        refused(world, None, "POST", "/api/v1/auth/token", 401,
                data={"username": text, "password": text})
    # Digits that are not ASCII, or beyond a 64-bit position, are no cursor either.
    for cursor in ("²", "١٢٣", "9" * 30, "-1"):
        refused(world, "guardian", "GET", "/api/v1/me/feed", 422, "cursor",
                params={"cursor": cursor})
    with world.client("teacher") as c:
        # The token table is intact: the teacher's token still works.
        assert c.get("/api/v1/me").status_code == 200


# --- dates ---------------------------------------------------------------------------------

BAD_DATES: list[Any] = ["0001-01-01", "1990-12-31", "2101-01-01", "9999-12-31", "2026-02-30",
                        "2026-13-01", "2026-11-31", "26-11-23", "2026-1-5", "", None,
                        "+02026-11-23"]
#: The representative few, for the fields after the first two.
SOME_BAD_DATES: list[Any] = ["0001-01-01", "2101-01-01", "2026-02-30", ""]


def test_dates_out_of_range_are_422_naming_the_field_in_every_date_field(world: World) -> None:
    s, journal = world.a, world.journal()
    year = {"name": "Год", "starts_on": "2027-09-01", "ends_on": "2028-05-31",
            "days_per_week": 5,
            "periods": [{"name": "1", "starts_on": "2027-09-01", "ends_on": "2028-05-31"}],
            "holidays": [{"name": "к", "starts_on": "2027-11-01", "ends_on": "2027-11-03"}]}
    student = str(s.students[2])
    targets: list[tuple[str, str, str, dict[str, Any], tuple[str | int, ...]]] = [
        ("teacher", "POST", f"{journal}/lessons",
         {"date": SCHOOL_DAY.isoformat(), "slot": 3, "topic": "т"}, ("date",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year, ("starts_on",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year, ("ends_on",)),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year,
         ("periods", 0, "starts_on")),
        ("admin", "POST", f"/api/v1/schools/{s.school}/years", year,
         ("holidays", 0, "ends_on")),
        ("admin", "POST", f"/api/v1/schools/{s.school}/calendar/days",
         {"date": "2026-12-07", "kind": "day_off", "reason": "р"}, ("date",)),
        ("admin", "POST", f"/api/v1/classes/{s.school_class}/enrolments",
         {"student_id": student, "from_date": "2026-09-01"}, ("from_date",)),
        ("admin", "POST", f"/api/v1/classes/{s.school_class}/enrolments/{student}/end",
         {"on_date": "2026-12-20"}, ("on_date",)),
        ("admin", "POST", f"{journal}/substitutions",
         {"teacher_id": str(s.other_teacher), "from_date": "2026-12-01",
          "to_date": "2026-12-05"}, ("from_date",)),
        ("admin", "POST", f"{journal}/substitutions",
         {"teacher_id": str(s.other_teacher), "from_date": "2026-12-01",
          "to_date": "2026-12-05"}, ("to_date",)),
        ("admin", "PUT", f"/api/v1/classes/{s.school_class}/timetable",
         {"valid_from": "2026-12-01", "lessons": []}, ("valid_from",)),
    ]
    for n, (who, method, path, body, where) in enumerate(targets):
        for bad in BAD_DATES if n < 2 else SOME_BAD_DATES:
            refused(world, who, method, path, 422, _field(where), json=_set(body, where, bad))
    # A date the calendar knows but outside the academic year: the domain refuses it.
    refused(world, "teacher", "POST", f"{journal}/lessons", 422,
            json={"date": "2030-01-14", "slot": 3, "topic": "т"})
    # Reads: impossible dates, and a range that ends before it starts.
    for params in ({"from": "2026-13-01"}, {"to": "2026-02-30"},
                   {"from": "2026-12-01", "to": "2026-11-01"}, {"as_of": "вчера"}):
        refused(world, "teacher", "GET", f"{journal}/grid", 422, params=params)


# --- other schools -------------------------------------------------------------------------


def test_the_ids_of_another_school_are_not_there(world: World) -> None:
    a, b = world.a, world.b
    e = Entries(world, SCHOOL_DAYS[5])
    journal_a, journal_b = world.journal("a"), world.journal("b")
    lesson = {"date": SCHOOL_DAY.isoformat(), "slot": 4, "topic": "т"}
    b_period = str(next(iter(b.periods.values())))
    # Journal writes with school B's journal, student or period, by school A's teacher.
    refused(world, "teacher", "POST", f"{journal_b}/lessons", 404, json=lesson)
    refused(world, "teacher", "POST", f"{journal_a}/lessons/{e.lesson}/marks", (404, 422),
            json={"student_id": str(b.students[0]), "value": "5", "work": "oral"})
    refused(world, "teacher", "POST", f"{journal_a}/lessons/{e.lesson}/attendance", (404, 422),
            json={"absent": [{"student_id": str(b.students[0])}]})
    refused(world, "teacher", "POST", f"{journal_a}/period-marks", (404, 422),
            json={"student_id": str(a.students[2]), "period_id": b_period, "value": "5"})
    refused(world, "teacher", "POST", f"{journal_a}/period-marks", (404, 422),
            json={"student_id": str(b.students[0]),
                  "period_id": str(a.periods["II четверть"]), "value": "5"})
    # School B's teacher writing school A's marks.
    refused(world, "b_teacher", "POST", f"{journal_a}/marks/{e.mark}/corrections", 404,
            json={"value": "3", "reason": "чужой"})
    # Structure writes by school A's admin with school B's ids.
    sa = a.school
    for path, body in [
        (f"/api/v1/schools/{b.school}/users",
         {"username": f"x-{uuid4().hex[:6]}", "password": PASSWORD, "full_name": "x",
          "role": "teacher"}),
        (f"/api/v1/schools/{b.school}/subjects", {"name": "Химия"}),
        (f"/api/v1/schools/{sa}/classes", {"name": "9В", "year_id": str(b.year)}),
        (f"/api/v1/classes/{a.school_class}/enrolments",
         {"student_id": str(b.students[0]), "from_date": "2026-09-01"}),
        (f"/api/v1/classes/{b.school_class}/enrolments",
         {"student_id": str(a.students[0]), "from_date": "2026-09-01"}),
        (f"/api/v1/students/{a.students[0]}/guardians", {"guardian_id": str(b.guardian)}),
        (f"/api/v1/students/{b.students[0]}/guardians", {"guardian_id": str(a.guardian)}),
        ("/api/v1/journals", {"class_id": str(a.school_class), "subject_id": str(b.subject),
                              "teacher_id": str(a.teacher)}),
        ("/api/v1/journals", {"class_id": str(a.school_class), "subject_id": str(a.subject),
                              "teacher_id": str(b.teacher)}),
        (f"{journal_a}/substitutions", {"teacher_id": str(b.teacher),
                                        "from_date": "2026-12-01", "to_date": "2026-12-02"}),
    ]:
        refused(world, "admin", "POST", path, (404, 422), json=body)
    refused(world, "admin", "PUT", f"/api/v1/classes/{a.school_class}/timetable", (404, 422),
            json={"valid_from": "2026-12-01",
                  "lessons": [{"weekday": 1, "slot": 1, "journal_id": str(b.journal)}]})
    refused(world, "admin", "PUT", f"{journal_b}/programme", 404,
            json={"topics": [{"title": "т", "hours": 1}]})
    refused(world, "admin", "POST", f"/api/v1/users/{b.teacher}/revoke-sessions", 404)
    # Reads of school B's students and journals by school A's people.
    for who, path in [
        ("teacher", f"/api/v1/students/{b.students[0]}/diary"),
        ("guardian", f"/api/v1/students/{b.students[0]}/diary"),
        ("admin", f"/api/v1/students/{b.students[0]}/access-log"),
        ("teacher", f"{journal_b}/grid"),
        ("admin", f"{journal_b}/summary?period_id={b_period}"),
        ("auditor", f"{journal_b}/marks/{e.mark}/history"),
    ]:
        refused(world, who, "GET", path, 404)
    refused(world, "auditor", "GET", f"/api/v1/schools/{b.school}/late-entries", (403, 404))
    # And school B's token still sees only school B.
    with world.client("b_teacher") as c:
        assert c.get(f"{journal_b}/grid").status_code == 200


# --- headers -------------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(world: World) -> None:
    journal, day = world.journal(), SCHOOL_DAYS[6]
    with world.client("teacher") as c:
        answers = [
            c.get("/healthz"), c.get("/openapi.json"), c.get("/docs"),
            c.get(f"{journal}/grid"), c.get("/api/v1/me"),
            c.post(f"{journal}/lessons", json={"date": day.isoformat(), "slot": 5, "topic": "т"}),
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 201]
        for answer in answers:
            assert_secure(answer)
        # Every kind of refusal: unknown route, method, HEAD, OPTIONS, 401, 413, 422, 409.
        assert_problem(c.get("/no/such/thing"), 404)
        assert_problem(c.delete(f"{journal}/lessons"), 405)
        assert_problem(c.head("/healthz"), 405)
        assert_problem(c.options(f"{journal}/lessons"), 405)
        assert_problem(c.post(f"{journal}/lessons",
                              json={"date": day.isoformat(), "slot": 5, "topic": "т"}), 409)
    with world.client(None) as c:
        assert_problem(c.get("/api/v1/me"), 401)
        assert_problem(c.post("/api/v1/auth/token", data={"username": "x", "password": "y"}),
                       401)


def test_an_unexpected_error_is_a_500_problem_with_the_security_headers(world: World) -> None:
    # Given a server whose one route has a bug
    app = create_app(world.server.database.settings, run_projector=False)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with running(app, log_level="critical") as url:
        with httpx.Client(base_url=url) as c:
            answer = c.get("/boom")
            # Then the client gets a problem, not a traceback or a reset connection
            body = assert_problem(answer, 500)
            assert "a bug" not in answer.text
            assert "Traceback" not in answer.text
            assert body["title"] == "Internal error"
        # and the server goes on answering (on a new connection: the server closes the one
        # that failed, as Starlette re-raises a bug to the server after answering)
        with httpx.Client(base_url=url) as c:
            assert c.get("/healthz").status_code == 200
