"""Notifications by e-mail (R-3.4e) through a real SMTP server on loopback, on SQLite and
PostgreSQL: a mark's mail reaches its student's guardian - the address they gave, a Russian
subject and body naming the subject, the mark and the date - once; a guardian of another
class gets none; an SMTP server that is down delays mail and never a journal write; a guardian
who turned mail off, or chose the daily digest, is told accordingly."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from ejournal.application.commands import (
    EnrolStudent,
    LinkGuardian,
    OpenClass,
    RegisterUser,
    UnlinkGuardian,
)
from ejournal.application.messages import SetContact
from ejournal.mail.sender import Sender
from ejournal.projections.base import as_utc, create_read_engine
from ejournal.projections.notify import deliveries
from ejournal.settings import Settings
from tests.api.helpers import School, build_school, created
from tests.mail.conftest import Smtp
from tests.servers import Server, wait_until

DAY = "2026-11-24"


def _sender(server: Server, smtp: Smtp, **more: Any) -> Sender:
    settings = server.database.settings.model_copy(update={
        "smtp_url": smtp.url, "mail_from": "journal@school.example", **more})
    return Sender(settings, create_read_engine(settings, writer=True), clock=server.clock)


def _put(server: Server, token: str, path: str, body: dict[str, Any]) -> Any:
    with server.client(token) as c:
        answer = c.put(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _mark(server: Server, s: School, student: str, value: str = "5",
          slot: int = 1) -> tuple[str, httpx.Response]:
    j = f"/api/v1/journals/{s.journal_id}"
    with server.client(s.tokens["teacher"]) as c:
        lesson = created(c.post(f"{j}/lessons", json={"date": DAY, "slot": slot,
                                                      "topic": "Дроби"}))["id"]
        answer = c.post(f"{j}/lessons/{lesson}/marks", json={
            "student_id": student, "value": value, "work": "written"})
    return lesson, answer


def _notifications(server: Server, token: str) -> list[dict[str, Any]]:
    with server.client(token) as c:
        answer = c.get("/api/v1/me/notifications")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_mark_is_mailed_once_to_the_guardian_in_russian(server: Server, smtp: Smtp) -> None:
    s = build_school(server, "ml")
    other = build_school(server, "mo")
    # Given the guardian's address (and another class's guardian with one too)
    assert _put(server, s.tokens["guardian"], "/api/v1/me/contact",
                {"email": "mama@example.ru"}) == {"email": "mama@example.ru"}
    _put(server, other.tokens["guardian"], "/api/v1/me/contact", {"email": "chужой@example.ru"})
    # When the teacher gives their child a mark
    _, answer = _mark(server, s, s.student_ids[0])
    assert answer.status_code == 201, answer.text
    server.caught_up()
    sender = _sender(server, smtp)
    assert sender.run_once() == 1
    # Then one mail reaches the guardian's address, in Russian
    (mail,) = smtp.inbox.to("mama@example.ru")
    assert mail["From"] == "journal@school.example"
    assert mail["Subject"] == "Новая отметка: Ученик 0, Математика, «5»"
    body = mail.get_content()
    assert "Отметка: 5 (письменная работа)" in body
    assert "Дата урока: 24.11.2026" in body
    assert "Предмет: Математика" in body
    # and never again, however often the sender runs
    assert sender.run_once() == 0
    server.clock.set(server.clock() + timedelta(hours=1))
    assert sender.run_once() == 0
    assert smtp.inbox.count() == 1
    # and the guardian reads it as sent, with its cause
    (told,) = _notifications(server, s.tokens["guardian"])
    assert (told["cause"], told["channel"], told["status"]) == ("mark_given", "email", "sent")
    assert told["sent_at"] is not None
    # while the other class's guardian has nothing
    assert _notifications(server, other.tokens["guardian"]) == []
    assert smtp.inbox.to("chужой@example.ru") == []


def test_an_smtp_server_that_is_down_delays_mail_never_a_write(server: Server,
                                                               smtp: Smtp) -> None:
    s = build_school(server, "md")
    _put(server, s.tokens["guardian"], "/api/v1/me/contact", {"email": "papa@example.ru"})
    sender = _sender(server, smtp)
    # Given the SMTP server down
    smtp.down()
    # When marks are given: each answered 201
    for slot in (1, 2, 3):
        _, answer = _mark(server, s, s.student_ids[0], value=str(slot + 2), slot=slot)
        assert answer.status_code == 201, answer.text
    server.caught_up()
    # Then nothing is sent, and the notifications wait
    assert sender.run_once() == 0
    assert [n["status"] for n in _notifications(server, s.tokens["guardian"])] == [
        "pending"] * 3
    # and once the server is back, they wait for their back-off - then go, each once
    smtp.up()
    assert sender.run_once() == 0
    server.clock.set(server.clock() + timedelta(seconds=2))
    assert sender.run_once() == 3
    assert sender.run_once() == 0
    subjects = sorted(m["Subject"] for m in smtp.inbox.to("papa@example.ru"))
    assert subjects == [f"Новая отметка: Ученик 0, Математика, «{v}»" for v in "345"]
    assert [n["status"] for n in _notifications(server, s.tokens["guardian"])] == ["sent"] * 3


def _delivery(server: Server) -> Any:
    engine = create_read_engine(server.database.settings)
    try:
        with engine.connect() as conn:
            return conn.execute(select(deliveries)).one()
    finally:
        engine.dispose()


def _bounded(sender: Sender, deadline: float = 30) -> int:
    """``sender.run_once()``, which must end within ``deadline`` seconds, whatever the server
    does (a deadline on the outcome, not a measure of its speed)."""
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(sender.run_once()), daemon=True)
    worker.start()
    worker.join(deadline)
    assert done, f"the sender still waits for the SMTP server after {deadline} s"
    return done[0]


def test_an_smtp_server_that_never_answers_is_abandoned_and_retried_with_back_off(
        server: Server, smtp: Smtp) -> None:
    s = build_school(server, "mt")
    _put(server, s.tokens["guardian"], "/api/v1/me/contact", {"email": "deda@example.ru"})
    sender = _sender(server, smtp, smtp_timeout_seconds=0.5)
    # Given an SMTP server that takes the mail and never answers
    smtp.hold()
    _, answer = _mark(server, s, s.student_ids[0])
    assert answer.status_code == 201, answer.text
    server.caught_up()
    # When the sender tries: it gives up on the server after its timeout
    start = server.clock()
    assert _bounded(sender) == 0
    assert smtp.inbox.arrived == 1
    tried = _delivery(server)
    assert (tried.status, tried.attempts) == ("pending", 1)
    assert "timed out" in tried.error
    assert as_utc(tried.next_attempt_at) == start + timedelta(seconds=1)
    # and its abandoned mail is never accepted
    wait_until(lambda: smtp.inbox.waiting() == 0, 30, "the abandoned mail let go")
    # Then it waits out its back-off (1 s) before trying again, and then 2 s
    assert sender.run_once() == 0
    assert smtp.inbox.arrived == 1
    server.clock.set(start + timedelta(seconds=1))
    assert _bounded(sender) == 0
    assert smtp.inbox.arrived == 2
    assert (_delivery(server).attempts, as_utc(_delivery(server).next_attempt_at)) == (
        2, start + timedelta(seconds=3))
    server.clock.set(start + timedelta(seconds=2))
    assert sender.run_once() == 0
    assert smtp.inbox.arrived == 2
    # and once the server answers again, the mail goes, once
    smtp.release()
    wait_until(lambda: smtp.inbox.waiting() == 0, 30, "the abandoned mail let go")
    server.clock.set(start + timedelta(seconds=3))
    assert sender.run_once() == 1
    assert sender.run_once() == 0
    (mail,) = smtp.inbox.to("deda@example.ru")
    assert mail["Subject"] == "Новая отметка: Ученик 0, Математика, «5»"
    assert smtp.inbox.count() == 1
    done = _delivery(server)
    assert (done.status, done.attempts, done.error) == ("sent", 3, None)
    assert [n["status"] for n in _notifications(server, s.tokens["guardian"])] == ["sent"]


def test_mail_off_sends_nothing_and_the_daily_digest_gathers_the_day(server: Server,
                                                                    smtp: Smtp) -> None:
    s = build_school(server, "mg")
    _put(server, s.tokens["guardian"], "/api/v1/me/contact", {"email": "baba@example.ru"})
    _put(server, s.tokens["guardian"], "/api/v1/me/notifications", {"email": "off"})
    _mark(server, s, s.student_ids[0], slot=1)
    assert _put(server, s.tokens["guardian"], "/api/v1/me/notifications",
                {"email": "daily"}) == {"email": "daily"}
    _mark(server, s, s.student_ids[0], value="4", slot=2)
    _mark(server, s, s.student_ids[0], value="3", slot=3)
    server.caught_up()
    sender = _sender(server, smtp)
    # The day's marks wait for the digest hour (18:00 in Novosibirsk, 11:00 UTC)
    assert sender.run_once() == 0
    server.clock.set(server.clock() + timedelta(hours=2, minutes=1))
    assert sender.run_once() == 2
    (digest,) = smtp.inbox.to("baba@example.ru")
    assert digest["Subject"] == "Электронный журнал: новое за день (2)"
    assert "«4»" in digest.get_content()
    assert "«3»" in digest.get_content()
    assert [n["status"] for n in _notifications(server, s.tokens["guardian"])] == ["sent"] * 2


def test_message_mail_follows_membership_and_never_reaches_another_class(
        server: Server, smtp: Smtp) -> None:
    s = build_school(server, "mm")
    admin, school = UUID(s.admin_id), UUID(s.id)
    app = server.app()
    try:
        # Given the guardian of 7Б and a guardian of another class, each with an address
        app.execute(SetContact(UUID(s.guardian_id), "mama@example.ru"))
        other_class = app.execute(OpenClass(admin, school, name="7В", year_id=UUID(s.year_id)))
        kid = app.execute(RegisterUser(admin, school, username="mm-kid-b", full_name="Ученик Б",
                                       role="student")).id
        parent = app.execute(RegisterUser(admin, school, username="mm-parent-b",
                                          full_name="Родитель Б", role="guardian")).id
        app.execute(EnrolStudent(admin, other_class.id, student_id=kid, from_date=s.starts_on))
        app.execute(LinkGuardian(admin, kid, guardian_id=parent))
        app.execute(SetContact(parent, "chuzhoy@example.ru"))
    finally:
        app.close()
    server.caught_up()
    parents = next(i["id"] for i in _get_items(server, s.tokens["teacher"])
                   if i["kind"] == "class_parents")
    sender = _sender(server, smtp)
    # When the class teacher writes to 7Б's parents
    created(_post_json(server, s.tokens["teacher"], f"/api/v1/conversations/{parents}/messages",
                       {"text": "Завтра экскурсия, нужна сменная обувь."}))
    server.caught_up()
    assert sender.run_once() == 1
    (mail,) = smtp.inbox.to("mama@example.ru")
    assert mail["Subject"] == "Новое сообщение: 7Б — родители"
    assert "Мария Ивановна пишет в «7Б — родители»" in mail.get_content()
    assert "сменная обувь" in mail.get_content()
    # and after the guardian's link ends, a new message reaches them no more
    app = server.app()
    try:
        app.execute(UnlinkGuardian(admin, UUID(s.student_ids[0]), guardian_id=UUID(s.guardian_id)))
    finally:
        app.close()
    created(_post_json(server, s.tokens["teacher"], f"/api/v1/conversations/{parents}/messages",
                       {"text": "Напоминаю про экскурсию."}))
    server.caught_up()
    assert sender.run_once() == 0
    assert len(smtp.inbox.to("mama@example.ru")) == 1
    # Then the other class's guardian was never told of either
    assert smtp.inbox.to("chuzhoy@example.ru") == []


def _get_items(server: Server, token: str) -> list[dict[str, Any]]:
    with server.client(token) as c:
        answer = c.get("/api/v1/me/conversations")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _post_json(server: Server, token: str, path: str, body: dict[str, Any]) -> httpx.Response:
    with server.client(token) as c:
        return c.post(path, json=body)


def test_a_muted_conversation_makes_no_mail_and_its_messages_still_arrive(
        server: Server, smtp: Smtp) -> None:
    s = build_school(server, "mu")
    _put(server, s.tokens["guardian"], "/api/v1/me/contact", {"email": "mama@example.ru"})
    parents = next(i["id"] for i in _get_items(server, s.tokens["guardian"])
                   if i["kind"] == "class_parents")
    path = f"/api/v1/conversations/{parents}"
    # Given the guardian muted the parents' conversation
    muted = _post_json(server, s.tokens["guardian"], f"{path}/mute", {"muted": True})
    assert (muted.status_code, muted.json()) == (200, {"muted": True})
    (listed,) = [i for i in _get_items(server, s.tokens["guardian"]) if i["id"] == parents]
    assert listed["muted"] is True
    sender = _sender(server, smtp)
    # When the class teacher writes there
    created(_post_json(server, s.tokens["teacher"], f"{path}/messages", {"text": "Первое"}))
    server.caught_up()
    # Then no mail goes, and the message is there all the same
    assert sender.run_once() == 0
    with server.client(s.tokens["guardian"]) as c:
        assert [m["text"] for m in c.get(f"{path}/messages").json()["items"]] == ["Первое"]
    # and once unmuted, the next message is mailed
    _post_json(server, s.tokens["guardian"], f"{path}/mute", {"muted": False})
    created(_post_json(server, s.tokens["teacher"], f"{path}/messages", {"text": "Второе"}))
    server.caught_up()
    assert sender.run_once() == 1
    (mail,) = smtp.inbox.to("mama@example.ru")
    assert "Второе" in mail.get_content()


def test_the_smtp_timeout_is_refused_unless_under_the_lease(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EJOURNAL_SMTP_TIMEOUT_SECONDS", "2.5")
    assert Settings().smtp_timeout_seconds == 2.5
    for wrong in ("0", "60", "-1"):
        monkeypatch.setenv("EJOURNAL_SMTP_TIMEOUT_SECONDS", wrong)
        with pytest.raises(ValidationError, match="EJOURNAL_SMTP_TIMEOUT_SECONDS"):
            Settings()
    monkeypatch.setenv("EJOURNAL_MAIL_LEASE_SECONDS", "120")
    monkeypatch.setenv("EJOURNAL_SMTP_TIMEOUT_SECONDS", "60")
    assert Settings().smtp_timeout_seconds == 60
