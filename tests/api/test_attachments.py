"""Homework files over HTTP on a real server, on SQLite and PostgreSQL: the teacher attaches a
file to a lesson; its type is judged by its bytes, never its name; the class's students, their
guardians and the journal's readers list and download it, byte for byte; anyone else gets 404;
its author or the admin retracts it - no longer served, the fact kept; the diary lists the
lesson's files; the bytes live in the database."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import create_engine, text

from ejournal.domain.homework_file import HomeworkFile
from tests.api.helpers import PASSWORD, School, build_school, created, log_length, problem
from tests.servers import Server

pytestmark = pytest.mark.storage

DAY = "2026-11-20"  # a Friday of the second quarter, before the tests' clock
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
EXE = b"MZ\x90\x00\x03" + bytes(200)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _lesson(client: httpx.Client, s: School, slot: int = 1) -> str:
    return str(created(client.post(f"/api/v1/journals/{s.journal_id}/lessons", json={
        "date": DAY, "slot": slot, "topic": "Дроби", "homework": "№ 12, лист"}))["id"])


def _files(s: School, lesson: str) -> str:
    return f"/api/v1/journals/{s.journal_id}/lessons/{lesson}/attachments"


def _upload(client: httpx.Client, path: str, name: str, content: bytes,
            declared: str = "application/octet-stream") -> httpx.Response:
    return client.post(path, files={"file": (name, content, declared)})


def _login(server: Server, who: str, prefix: str) -> str:
    return server.login(f"{who}-{prefix}", PASSWORD)


def test_a_file_is_attached_listed_downloaded_by_the_class_and_retracted(
    server: Server,
) -> None:
    s = build_school(server, "hf")
    teacher, admin = server.client(s.tokens["teacher"]), server.client(s.tokens["admin"])
    with teacher, admin:
        lesson = _lesson(teacher, s)
        path = _files(s, lesson)
        # When the teacher attaches a PDF named as a text file, with a wrong declared type
        answer = _upload(teacher, path, "Лист 1.txt", PDF, "text/plain")
        body = created(answer)
        # Then it is a PDF by its bytes, under the name given
        assert body == {"id": body["id"], "name": "Лист 1.txt", "size": len(PDF),
                        "content_type": "application/pdf",
                        "sha256": hashlib.sha256(PDF).hexdigest()}
        assert int(answer.headers["X-Log-Position"]) > 0
        docx = created(_upload(teacher, path, r"C:\fakepath\задание.docx", _docx()))
        assert docx["name"] == "задание.docx"
        assert docx["content_type"] == ("application/vnd.openxmlformats-officedocument."
                                        "wordprocessingml.document")
        server.caught_up()
        # And the class's student, the guardian, the journal's readers download it
        readers = {who: s.tokens[who] for who in ("student", "guardian", "teacher", "admin",
                                                  "auditor")}
        for who, token in readers.items():
            with server.client(token) as c:
                listed = c.get(path)
                assert listed.status_code == 200, (who, listed.text)
                items = listed.json()["items"]
                assert [(i["id"], i["name"], i["size"], i["content_type"],
                         i["added_by_name"]) for i in items] == [
                    (body["id"], "Лист 1.txt", len(PDF), "application/pdf", "Мария Ивановна"),
                    (docx["id"], "задание.docx", len(_docx()), docx["content_type"],
                     "Мария Ивановна")], who
                got = c.get(f"{path}/{body['id']}")
                assert got.status_code == 200, (who, got.text)
                assert got.content == PDF
                assert got.headers["content-type"] == "application/pdf"
                assert got.headers["content-disposition"] == (
                    "attachment; filename=\"____ 1.txt\"; "
                    "filename*=UTF-8''%D0%9B%D0%B8%D1%81%D1%82%201.txt")
        # And the diary's lesson lists its files
        with server.client(s.tokens["guardian"]) as c:
            diary = c.get(f"/api/v1/students/{s.student_ids[0]}/diary",
                          params={"from": DAY, "to": DAY}).json()
        (held,) = diary["days"][0]["lessons"]
        assert held["lesson_id"] == lesson
        assert held["attachments"] == [{"id": body["id"], "name": "Лист 1.txt"},
                                       {"id": docx["id"], "name": "задание.docx"}]
        # When the teacher retracts the PDF with a reason
        retraction = f"{path}/{body['id']}/retraction"
        assert problem(teacher.post(retraction, json={}), 422)["errors"][0]["field"] == (
            "reason")
        done = teacher.post(retraction, json={"reason": "не тот лист"})
        assert done.status_code == 201, done.text
        assert done.json() == {"id": body["id"], "retracted": True}
        # Then it is no longer served, nor listed; retracting again is a conflict
        with server.client(s.tokens["student"]) as c:
            assert problem(c.get(f"{path}/{body['id']}"), 404)
        assert [i["id"] for i in teacher.get(path).json()["items"]] == [docx["id"]]
        assert problem(admin.post(retraction, json={"reason": "ещё"}), 409)["rule"] == "R-7.2"
        server.caught_up()
        with server.client(s.tokens["guardian"]) as c:
            diary = c.get(f"/api/v1/students/{s.student_ids[0]}/diary",
                          params={"from": DAY, "to": DAY}).json()
        assert diary["days"][0]["lessons"][0]["attachments"] == [
            {"id": docx["id"], "name": "задание.docx"}]
    # And both are events with who and when; the retraction keeps the fact and the reason
    app = server.app()
    try:
        events = list(app.events.get(UUID(body["id"])))
        assert [type(e).__name__ for e in events] == ["Attached", "Retracted"]
        attached, retracted = events
        assert isinstance(attached, HomeworkFile.Attached)
        assert (attached.by, attached.lesson_id, attached.name, attached.sha256) == (
            UUID(s.teacher_id), UUID(lesson), "Лист 1.txt", hashlib.sha256(PDF).hexdigest())
        assert attached.timestamp == server.clock()
        assert isinstance(retracted, HomeworkFile.Retracted)
        assert (retracted.by, retracted.reason) == (UUID(s.teacher_id), "не тот лист")
    finally:
        app.close()
    # And the bytes are in the database itself (a backup of it holds them)
    settings = server.database.settings
    engine = create_engine(settings.database_url, connect_args={} if server.database.kind
                           == "sqlite" else {"options":
                                             f"-csearch_path={settings.database_schema}"})
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT content FROM homework_file_contents WHERE "
                                       "sha256 = :h"), {"h": hashlib.sha256(PDF).hexdigest()}
                                  ).scalar_one()
        assert bytes(stored) == PDF
    finally:
        engine.dispose()


def test_nobody_else_sees_a_lessons_files(server: Server) -> None:
    s = build_school(server, "hg")
    other = build_school(server, "hh")
    with server.client(s.tokens["teacher"]) as teacher:
        lesson = _lesson(teacher, s)
        path = _files(s, lesson)
        file_id = created(_upload(teacher, path, "a.png", PNG))["id"]
    server.caught_up()
    # another teacher of the school (not of the journal), another school's staff and family
    outsiders = {"other teacher": _login(server, "other", "hg"),
                 "other school's admin": other.tokens["admin"],
                 "other school's guardian": other.tokens["guardian"],
                 "other school's student": other.tokens["student"]}
    for who, token in outsiders.items():
        with server.client(token) as c:
            for answer in (c.get(path), c.get(f"{path}/{file_id}")):
                assert answer.status_code == 404, (who, answer.text)
    # a student of the class without a guardian link still reads; the guardian of student0
    # does not read another class's lesson (nor one of a lesson id not in the journal)
    with server.client(_login(server, "student1", "hg")) as c:
        assert c.get(f"{path}/{file_id}").content == PNG
    with server.client(s.tokens["guardian"]) as c:
        assert problem(c.get(f"{_files(s, other.journal_id)}/{file_id}"), 404)
    # the operator's role may never; nobody without a token
    with server.client(s.tokens["operator"]) as c:
        assert problem(c.get(path), 403)
    with server.client() as c:
        assert problem(c.get(path), 401)


def test_bad_files_are_refused_naming_the_field_and_nothing_is_written(
    server: Server,
) -> None:
    s = build_school(server, "hi")
    with server.client(s.tokens["teacher"]) as teacher:
        lesson = _lesson(teacher, s)
        path = _files(s, lesson)
        before = log_length(server)
        refusals: dict[str, tuple[httpx.Response, int]] = {
            "an exe named .pdf": (_upload(teacher, path, "лист.pdf", EXE, "application/pdf"),
                                  422),
            "an empty file": (_upload(teacher, path, "пусто.txt", b""), 422),
            "a zip that is no document": (_upload(teacher, path, "a.docx",
                                                  _zip_of("x.bin")), 422),
            "over 10 MB": (_upload(teacher, path, "big.txt", b"a" * (10 * 1024 * 1024 + 1)),
                           413),
            "no file": (teacher.post(path, data={"x": "1"}), 422),
        }
        for what, (answer, status) in refusals.items():
            body = problem(answer, status)
            assert [e["field"] for e in body["errors"]] == ["file"], (what, body)
        assert "10 MB" in refusals["over 10 MB"][0].json()["detail"]
        # a body in chunks is refused once it passes the limit, before it is parsed
        chunk = b"x" * (1024 * 1024)
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        huge = teacher.post(path, content=iter([head, *[chunk] * 11]), headers={
            "content-type": "multipart/form-data; boundary=b"})
        assert problem(huge, 413)["detail"] == "file is at most 10485760 bytes (10 MB)"
        assert log_length(server) == before
        # a text file, and exactly 10 MB, are taken
        assert created(_upload(teacher, path, "читать.txt", "Прочитать §5".encode()))[
            "content_type"] == "text/plain; charset=utf-8"
        assert created(_upload(teacher, path, "ten.txt", b"a" * (10 * 1024 * 1024)))[
            "size"] == 10 * 1024 * 1024


def _zip_of(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(name, "x")
    return buffer.getvalue()


def test_only_the_author_or_the_admin_retracts_and_a_closed_period_refuses(
    server: Server,
) -> None:
    s = build_school(server, "hj")
    with server.client(s.tokens["admin"]) as admin, \
            server.client(s.tokens["teacher"]) as teacher:
        lesson = _lesson(teacher, s)
        path = _files(s, lesson)
        by_admin = created(_upload(admin, path, "a.pdf", PDF))["id"]
        by_teacher = created(_upload(teacher, path, "b.pdf", PDF))["id"]
        # the journal's teacher may not retract the admin's file
        refused: dict[str, Any] = problem(teacher.post(
            f"{path}/{by_admin}/retraction", json={"reason": "моё"}), 403)
        assert refused["rule"] == "R-4.4"
        # the admin retracts the teacher's; an unknown file is 404
        assert admin.post(f"{path}/{by_teacher}/retraction",
                          json={"reason": "дубль"}).status_code == 201
        unknown = "00000000-0000-4000-8000-000000000000"
        assert problem(admin.post(f"{path}/{unknown}/retraction", json={"reason": "x"}), 404)
        # a student or a guardian never writes
        with server.client(s.tokens["student"]) as c:
            assert problem(_upload(c, path, "c.pdf", PDF), 403)
        # once the quarter is closed, attaching on its dates is refused with R-3.4b
        closed = admin.post(f"/api/v1/schools/{s.id}/periods/{s.period_ids[1]}/close")
        assert closed.status_code == 201, closed.text
        before = log_length(server)
        assert problem(_upload(teacher, path, "d.pdf", PDF), 409)["rule"] == "R-3.4b"
        assert problem(admin.post(f"{path}/{by_admin}/retraction", json={"reason": "x"}),
                       409)["rule"] == "R-3.4b"
        assert log_length(server) == before
