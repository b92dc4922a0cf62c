"""Reads over HTTP: who may read whose diary, grid, history and audit; staff reads logged."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from prometheus_client.parser import text_string_to_metric_families

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import GiveMark, HoldLesson, TakeAttendance
from ejournal.projections.base import create_read_engine
from tests.builders import SmallSchool, build_school
from tests.servers import Server

PASSWORD = "пароль-для-теста"
MON = date(2026, 11, 23)


def _school(server: Server, tag: str) -> tuple[SmallSchool, dict[str, str]]:
    """A school, its accounts with passwords, and a Monday lesson with marks and an absence."""
    settings = server.database.settings
    app = EJournal(settings, clock=lambda: datetime(2026, 11, 23, 9, tzinfo=UTC))
    s = build_school(app, students=2, tag=tag)
    accounts = Accounts(create_read_engine(settings))
    names = {"teacher": f"teacher-{tag}", "other": f"other-{tag}", "admin": f"admin-{tag}",
             "auditor": f"auditor-{tag}", "guardian": f"guardian-{tag}",
             "student0": f"student0-{tag}", "student1": f"student1-{tag}"}
    ids = {"teacher": s.teacher, "other": s.other_teacher, "admin": s.admin,
           "auditor": s.auditor, "guardian": s.guardian, "student0": s.students[0],
           "student1": s.students[1]}
    for user_id in ids.values():
        accounts.set_password(user_id, PASSWORD, now=server.clock())
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=3, topic="Дроби",
                                    homework="№ 7"))
    assert lesson.id is not None
    mark = app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0],
                                value="4", work="oral"))
    app.execute(TakeAttendance(s.teacher, s.journal, lesson.id,
                               absent=[(s.students[1], "illness")]))
    app.close()
    accounts.engine.dispose()
    names["mark"] = str(mark.id)
    return s, names


def test_a_guardian_reads_their_childs_diary_and_nobody_elses(server: Server) -> None:
    s, names = _school(server, "r1")
    guardian = server.login(names["guardian"], PASSWORD)
    with server.client(guardian) as c:
        mine = c.get(f"/api/v1/students/{s.students[0]}/diary",
                     params={"from": "2026-11-23", "to": "2026-11-29"})
        other = c.get(f"/api/v1/students/{s.students[1]}/diary")
    assert mine.status_code == 200
    (day,) = mine.json()["days"]
    assert day["date"] == "2026-11-23"
    (lesson,) = day["lessons"]
    assert (lesson["subject"], lesson["slot"], lesson["topic"], lesson["homework"],
            lesson["absent"]) == ("Математика", 3, "Дроби", "№ 7", False)
    assert [(m["id"], m["value"], m["work"]) for m in lesson["marks"]] == [
        (names["mark"], "4", "oral")]
    # Another child of the same class: not visible, so it does not exist (404, not 403).
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"


def test_a_student_reads_only_themself_and_sees_their_absence(server: Server) -> None:
    s, names = _school(server, "r2")
    token = server.login(names["student1"], PASSWORD)
    with server.client(token) as c:
        own = c.get(f"/api/v1/students/{s.students[1]}/diary")
        classmate = c.get(f"/api/v1/students/{s.students[0]}/diary")
        grid = c.get(f"/api/v1/journals/{s.journal}/grid")
    assert own.status_code == 200
    assert own.json()["days"][0]["lessons"][0]["absent"] is True
    assert classmate.status_code == 404
    # A student never reads a journal, whichever: a role that may never do this (403).
    assert grid.status_code == 403


def test_staff_reads_are_logged_and_the_guardian_sees_who_read(server: Server) -> None:
    s, names = _school(server, "r3")
    teacher = server.login(names["teacher"], PASSWORD)
    other = server.login(names["other"], PASSWORD)
    with server.client(teacher) as c:
        assert c.get(f"/api/v1/students/{s.students[0]}/diary").status_code == 200
        grid = c.get(f"/api/v1/journals/{s.journal}/grid")
    assert grid.status_code == 200
    cells = {row["full_name"]: row["cells"] for row in grid.json()["students"]}
    lesson_id = grid.json()["lessons"][0]["id"]
    assert cells == {"Ученик 0": {lesson_id: ["4"]}, "Ученик 1": {lesson_id: ["Н"]}}
    with server.client(other) as c:  # teaches nothing in this class
        assert c.get(f"/api/v1/students/{s.students[0]}/diary").status_code == 404
        assert c.get(f"/api/v1/journals/{s.journal}/grid").status_code == 404
    guardian = server.login(names["guardian"], PASSWORD)
    with server.client(guardian) as c:
        log = c.get(f"/api/v1/students/{s.students[0]}/access-log")
    assert log.status_code == 200
    # The diary read, then the grid read (which holds the child's marks): each logged.
    assert [(i["viewer_id"], i["viewer_role"], i["what"]) for i in log.json()["items"]] == [
        (str(s.teacher), "teacher", "diary"), (str(s.teacher), "teacher", "grid")]


def test_an_auditor_reads_late_entries_and_a_marks_history(server: Server) -> None:
    s, names = _school(server, "r4")
    auditor = server.login(names["auditor"], PASSWORD)
    with server.client(auditor) as c:
        late = c.get(f"/api/v1/schools/{s.school}/late-entries")
        history = c.get(f"/api/v1/journals/{s.journal}/marks/{names['mark']}/history")
        elsewhere = c.get(f"/api/v1/schools/{s.operator}/late-entries")
    assert late.status_code == 200
    assert late.json() == {"items": [], "next": None, "closures": []}  # all recorded on the day
    assert history.status_code == 200
    assert [(i["kind"], i["value"], i["by"]) for i in history.json()["items"]] == [
        ("given", "4", str(s.teacher))]
    assert elsewhere.status_code == 404


def test_reads_need_a_token(server: Server) -> None:
    s, _ = _school(server, "r5")
    with server.client() as c:
        for path in (f"/api/v1/students/{s.students[0]}/diary",
                     f"/api/v1/journals/{s.journal}/grid",
                     f"/api/v1/schools/{s.school}/late-entries", "/api/v1/me/feed"):
            assert c.get(path).status_code == 401, path


def test_the_feed_pages_with_the_cursor_it_gives_and_refuses_another_lists(
    server: Server,
) -> None:
    s, names = _school(server, "r6")
    app = EJournal(server.database.settings, clock=lambda: datetime(2026, 11, 23, 9, tzinfo=UTC))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=4,
                                    topic="Опрос")).id
    assert lesson is not None
    for n in range(60):
        app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[0],
                             value="2345"[n % 4], work="oral"))
    app.close()
    guardian = server.login(names["guardian"], PASSWORD)
    with server.client(guardian) as c:
        first = c.get("/api/v1/me/feed")
        assert first.status_code == 200, first.text
        second = c.get("/api/v1/me/feed", params={"cursor": first.json()["next"]})
        assert second.status_code == 200, second.text
        foreign = c.get(f"/api/v1/students/{s.students[0]}/access-log",
                        params={"cursor": first.json()["next"]})
    pages = [first.json()["items"], second.json()["items"]]
    # Newest first, 50 a page, then the rest: each of the 60 marks and the first lesson's.
    assert [len(p) for p in pages] == [50, 11]
    assert second.json()["next"] is None
    marks = [i for p in pages for i in p if i["kind"] == "mark_given"]
    positions = [i["position"] for p in pages for i in p]
    assert positions == sorted(positions, reverse=True)
    assert len(marks) == 61
    assert [i["value"] for i in marks[:60]] == ["2345"[n % 4] for n in reversed(range(60))]
    # A cursor is for the list that gave it.
    assert foreign.status_code == 422
    assert [e["field"] for e in foreign.json()["errors"]] == ["cursor"]


def test_a_diary_read_again_is_logged_again_and_shows_what_changed(server: Server) -> None:
    """The diary's answer may be the process's kept one (api/diary_cache.py): each read is
    still logged, and a mark given since shows."""
    s, names = _school(server, "r7")
    teacher = server.login(names["teacher"], PASSWORD)
    path = f"/api/v1/students/{s.students[0]}/diary"
    with server.client(teacher) as c:
        first, again = c.get(path).json(), c.get(path).json()
    assert first == again
    app = server.app()
    lesson = first["days"][0]["lessons"][0]["lesson_id"]
    app.execute(GiveMark(s.teacher, s.journal, UUID(lesson), student_id=s.students[0],
                         value="5", work="written"))
    app.close()
    server.caught_up()
    with server.client(teacher) as c:
        after = c.get(path).json()
    assert [m["value"] for m in after["days"][0]["lessons"][0]["marks"]] == ["4", "5"]
    guardian = server.login(names["guardian"], PASSWORD)
    with server.client(guardian) as c:
        log = c.get(f"/api/v1/students/{s.students[0]}/access-log").json()
    assert [(i["viewer_id"], i["what"]) for i in log["items"]] == [(str(s.teacher), "diary")] * 3


def test_the_diary_carries_an_etag_and_answers_304_while_it_holds(server: Server) -> None:
    s, names = _school(server, "r8")
    guardian = server.login(names["guardian"], PASSWORD)
    path = f"/api/v1/students/{s.students[0]}/diary"
    with server.client(guardian) as c:
        first = c.get(path)
        tag = first.headers["ETag"]
        same = c.get(path, headers={"If-None-Match": tag})
        among = c.get(path, headers={"If-None-Match": f'"other", W/{tag}'})
        other_days = c.get(path, params={"from": "2026-11-23", "to": "2026-11-23"},
                           headers={"If-None-Match": tag})
    assert (first.status_code, same.status_code, among.status_code) == (200, 304, 304)
    assert (same.content, same.headers["ETag"]) == (b"", tag)
    assert other_days.status_code == 200  # another question, another answer
    assert other_days.headers["ETag"] != tag
    app = server.app()
    lesson = first.json()["days"][0]["lessons"][0]["lesson_id"]
    app.execute(GiveMark(s.teacher, s.journal, UUID(lesson), student_id=s.students[0],
                         value="3", work="oral"))
    app.close()
    server.caught_up()
    with server.client(guardian) as c:
        changed = c.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert [m["value"] for m in changed.json()["days"][0]["lessons"][0]["marks"]] == ["4", "3"]
    with server.client() as c:
        metrics = {(s.name, tuple(s.labels.items())): s.value
                   for f in text_string_to_metric_families(c.get("/metrics").text)
                   for s in f.samples if s.name.startswith("ejournal_diary_cache")}
    # Kept and served again twice; read afresh for the other days and after the mark.
    assert metrics[("ejournal_diary_cache_reads_total", (("result", "hit"),))] == 2
    assert metrics[("ejournal_diary_cache_reads_total", (("result", "miss"),))] == 3
    assert metrics[("ejournal_diary_cache_answers", ())] == 2
    assert metrics[("ejournal_diary_cache_bytes", ())] > 2 * 512
