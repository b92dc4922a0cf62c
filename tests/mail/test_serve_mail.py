"""``ejournal serve`` mails through ``EJOURNAL_SMTP_URL`` with its own sender beside the
projector. Killed with SIGKILL after the marks were committed and before their mail could go
(the SMTP server down meanwhile), then started again with the server back: each guardian's
mail arrives once - none lost, none doubled. An SMTP server that holds a mail unanswered
delays no journal write, and once it answers each mail arrives once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from ejournal.application import EJournal
from ejournal.application.messages import SetContact
from ejournal.projections.base import create_read_engine
from ejournal.projections.notify import deliveries, outbox
from ejournal.settings import Settings
from tests.conftest import Database
from tests.databases import NOW, Clock
from tests.faults.harness import classroom
from tests.mail.conftest import Smtp
from tests.servers import serving_process, wait_until

pytestmark = pytest.mark.slow
MARKS = 3


def _states(settings: Settings) -> dict[str, int]:
    engine = create_read_engine(settings)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.status, func.count())
                                .group_by(deliveries.c.status)).all()
            waiting = conn.scalar(select(func.count()).select_from(outbox)) or 0
    finally:
        engine.dispose()
    return {"outbox": int(waiting), **{str(status): int(n) for status, n in rows}}


def test_a_server_killed_between_commit_and_send_mails_each_notification_once(
        database: Database, tmp_path: Path, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = classroom(database.settings, students=2, lessons=MARKS)
    school = room.school
    app = EJournal(database.settings, clock=Clock(NOW))
    try:
        app.execute(SetContact(school.guardian, "mama@example.ru"))
    finally:
        app.close()
    monkeypatch.setenv("EJOURNAL_SMTP_URL", smtp.url)
    monkeypatch.setenv("EJOURNAL_MAIL_FROM", "journal@school.example")
    # Given the SMTP server down, and the marks given (each committed, answered 201)
    smtp.down()
    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            for n, lesson in enumerate(room.lessons):
                answer = c.post(f"/api/v1/journals/{school.journal}/lessons/{lesson}/marks",
                                json={"student_id": str(school.students[0]),
                                      "value": str(3 + n % 3), "work": "oral"})
                assert answer.status_code == 201, answer.text
        # and the sender has tried (and failed) to mail them
        wait_until(lambda: _states(database.settings).get("pending", 0) >= 1, 60,
                   "a failed attempt")
        assert _states(database.settings)["outbox"] == MARKS
        # When the server is killed before any could be sent
        server.kill()
        assert smtp.inbox.count() == 0
        # and started again, with the SMTP server back
        smtp.up()
        server.start()
        # Then every notification is sent, each once
        wait_until(lambda: _states(database.settings).get("sent", 0) == MARKS, 90,
                   f"{MARKS} sent\n{server.tail()}")
    mails = smtp.inbox.to("mama@example.ru")
    assert len(mails) == MARKS
    assert len({m["Message-ID"] for m in mails}) == MARKS
    assert sorted(m["Subject"] for m in mails) == sorted(
        f"Новая отметка: Ученик 0, Математика, «{3 + n % 3}»" for n in range(MARKS))
    assert smtp.inbox.count() == MARKS


def test_a_slow_smtp_server_never_delays_a_write_and_each_mail_arrives_once(
        database: Database, tmp_path: Path, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = classroom(database.settings, students=2, lessons=MARKS)
    school = room.school
    app = EJournal(database.settings, clock=Clock(NOW))
    try:
        app.execute(SetContact(school.guardian, "papa@example.ru"))
    finally:
        app.close()
    monkeypatch.setenv("EJOURNAL_SMTP_URL", smtp.url)
    monkeypatch.setenv("EJOURNAL_MAIL_FROM", "journal@school.example")
    # (the sender waits for the server longer than this test holds it)
    monkeypatch.setenv("EJOURNAL_SMTP_TIMEOUT_SECONDS", "50")
    # Given an SMTP server that takes each mail and answers nothing until the test lets it
    smtp.hold()
    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            def mark(n: int) -> httpx.Response:
                return c.post(f"/api/v1/journals/{school.journal}/lessons/"
                              f"{room.lessons[n]}/marks",
                              json={"student_id": str(school.students[0]),
                                    "value": str(3 + n), "work": "oral"})
            # When a mark is given, and the sender is stuck in the server's answer to its mail
            first = mark(0)
            assert first.status_code == 201, first.text
            wait_until(lambda: smtp.inbox.waiting() == 1, 60,
                       f"the sender waiting for the server\n{server.tail()}")
            # Then further marks are answered 201 all the same, while it is still stuck
            for n in range(1, MARKS):
                answer = mark(n)
                assert answer.status_code == 201, answer.text
                assert "id" in answer.json()
            assert smtp.inbox.waiting() == 1
            assert smtp.inbox.count() == 0
            with httpx.Client(base_url=server.url, timeout=30) as anyone:
                assert anyone.get("/healthz").status_code == 200
        # And once the server answers, every notification is sent, each once
        smtp.release()
        wait_until(lambda: _states(database.settings).get("sent", 0) == MARKS, 90,
                   f"{MARKS} sent\n{server.tail()}")
    mails = smtp.inbox.to("papa@example.ru")
    assert sorted(m["Subject"] for m in mails) == [
        f"Новая отметка: Ученик 0, Математика, «{3 + n}»" for n in range(MARKS)]
    assert len({m["Message-ID"] for m in mails}) == MARKS
    assert smtp.inbox.count() == MARKS
    assert _states(database.settings) == {"outbox": MARKS, "sent": MARKS}
