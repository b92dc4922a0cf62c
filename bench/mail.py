"""Mail to families in a burst (R-3.4e): 1,000 guardians, each with an address, their
children in classes of 30; one mark for each child given in a burst through ``ejournal
serve``; every guardian's mail must be sent within 60 s of the burst, none twice.

Run from the repository root::

    python -m bench.mail [--guardians 1000] [--class-size 30] [--threads 4]

On SQLite (a temporary directory): the school is recorded through the application (clock at
2026-11-25T09:00Z), ``ejournal serve --now`` runs as a process of its own with
``EJOURNAL_SMTP_URL`` pointing at an aiosmtpd server in this process (on loopback, keeping
each mail), and the teachers' clients give the marks over HTTP. Measured: the burst's
duration, the time from its end to the last mail, mails per second, duplicates (by
Message-ID and by recipient). Results: a table on stdout and ``bench/results/mail-sqlite.json``.
"""

from __future__ import annotations

import argparse
import email.policy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from aiosmtpd.controller import Controller
from tests.servers import free_port

from bench.commands import code_version, machine
from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    HoldLesson,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterOperator,
    RegisterSchool,
    RegisterUser,
)
from ejournal.application.messages import SetContact
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 24)
PASSWORD = "bench-mail-pa55word"  # noqa: S105 - a benchmark account's
GOAL_SECONDS = 60.0


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.lock = threading.Lock()
        self.last_at = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = BytesParser(policy=email.policy.default).parsebytes(envelope.content,
                                                                     headersonly=True)
        mid = str(parsed["Message-ID"] or "")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.mails.append((rcpt, mid))
            self.last_at = time.monotonic()
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.mails)


def record_school(settings: Settings, guardians: int, class_size: int
                  ) -> tuple[str, list[tuple[UUID, UUID, UUID]]]:
    """The school; answers the teacher's username and (journal, lesson, student) per mark."""
    app = EJournal(settings, clock=lambda: NOW)
    try:
        op = app.execute(RegisterOperator(username="bench-op", full_name="Оператор")).id
        school = app.execute(RegisterSchool(op, name="Школа почты", timezone="Europe/Moscow")).id
        admin = app.execute(RegisterUser(op, school, username="bench-admin",
                                         full_name="Завуч", role="admin")).id
        teacher = app.execute(RegisterUser(op, school, username="bench-teacher",
                                           full_name="Учитель", role="teacher")).id
        year = app.execute(PlanYear(admin, school, name="2026/2027",
                                    starts_on=date(2026, 9, 1), ends_on=date(2027, 5, 31),
                                    days_per_week=5,
                                    periods=[("Год", date(2026, 9, 1), date(2027, 5, 31))],
                                    holidays=[]))
        subject = app.execute(AddSubject(admin, school, name="Математика")).id
        marks: list[tuple[UUID, UUID, UUID]] = []
        classes = (guardians + class_size - 1) // class_size
        n = 0
        for c in range(classes):
            made = app.execute(OpenClass(admin, school, name=f"{5 + c // 10}-{c}",
                                         year_id=year.id, class_teacher_id=teacher)).id
            journal = app.execute(OpenJournal(admin, class_id=made, subject_id=subject,
                                              teacher_id=teacher)).id
            lesson = app.execute(HoldLesson(teacher, journal, lesson_date=DAY, slot=1,
                                            topic="Контрольная")).id
            for _ in range(min(class_size, guardians - n)):
                kid = app.execute(RegisterUser(admin, school, username=f"kid-{n}",
                                               full_name=f"Ученик {n}", role="student")).id
                app.execute(EnrolStudent(admin, made, student_id=kid,
                                         from_date=date(2026, 9, 1)))
                parent = app.execute(RegisterUser(admin, school, username=f"parent-{n}",
                                                  full_name=f"Родитель {n}",
                                                  role="guardian")).id
                app.execute(LinkGuardian(admin, kid, guardian_id=parent))
                app.execute(SetContact(parent, f"parent-{n}@example.ru"))
                marks.append((journal, lesson, kid))
                n += 1
        projector = projector_for(app)
        projector.setup()
        projector.catch_up()
    finally:
        app.close()
    accounts = Accounts(create_read_engine(settings))
    try:
        accounts.setup()
        accounts.set_password(teacher, PASSWORD, now=NOW)
    finally:
        accounts.engine.dispose()
    return "bench-teacher", marks


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    resting = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout} s waiting for {what}")
        resting.wait(0.05)


def run(guardians: int, class_size: int, threads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/mail.db")
        started = time.monotonic()
        username, marks = record_school(settings, guardians, class_size)
        recorded_s = time.monotonic() - started
        inbox = Inbox()
        port = free_port()
        smtp = Controller(inbox, hostname="127.0.0.1", port=port)
        smtp.start()
        http_port = free_port()
        env = {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
               "EJOURNAL_SMTP_URL": f"smtp://127.0.0.1:{port}",
               "EJOURNAL_MAIL_FROM": "journal@school.example", "EJOURNAL_REQUEST_LOG": "0"}
        log = Path(tmp) / "serve.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own CLI
                [sys.executable, "-m", "ejournal.cli", "serve", "--port", str(http_port),
                 "--no-scheduler", "--now", NOW.isoformat()], env=env, stdout=out,
                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{http_port}"
        try:
            def healthy() -> bool:
                try:
                    return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            _wait(healthy, 120, "ejournal serve")
            token = httpx.post(f"{url}/api/v1/auth/token", data={
                "username": username, "password": PASSWORD}, timeout=30).json()["access_token"]
            answers: Counter[int] = Counter()
            lock = threading.Lock()

            def give(part: list[tuple[UUID, UUID, UUID]]) -> None:
                with httpx.Client(base_url=url, timeout=60,
                                  headers={"Authorization": f"Bearer {token}"}) as c:
                    for journal, lesson, kid in part:
                        answer = c.post(f"/api/v1/journals/{journal}/lessons/{lesson}/marks",
                                        json={"student_id": str(kid), "value": "5",
                                              "work": "test"})
                        with lock:
                            answers[answer.status_code] += 1

            burst_start = time.monotonic()
            workers = [threading.Thread(target=give, args=(marks[i::threads],))
                       for i in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            burst_end = time.monotonic()
            _wait(lambda: inbox.count() >= len(marks), 600, f"{len(marks)} mails")
            # a little longer: a duplicate would come now
            settle = threading.Event()
            settle.wait(3.0)
            last = inbox.last_at
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            smtp.stop()
        recipients = Counter(r for r, _ in inbox.mails)
        ids = Counter(m for _, m in inbox.mails)
        after = last - burst_end
        return {
            "db": "sqlite", "guardians": guardians, "class_size": class_size,
            "threads": threads, "recorded_s": round(recorded_s, 1),
            "burst_s": round(burst_end - burst_start, 2), "answers": dict(answers),
            "mails": len(inbox.mails), "distinct_recipients": len(recipients),
            "duplicate_recipients": sum(1 for n in recipients.values() if n > 1),
            "duplicate_message_ids": sum(1 for n in ids.values() if n > 1),
            "last_mail_after_burst_s": round(after, 2),
            "mails_per_s_from_burst_start": round(len(inbox.mails) / (last - burst_start), 1),
            "goal_s": GOAL_SECONDS, "met": after <= GOAL_SECONDS and len(recipients) == len(
                marks) and max(recipients.values()) == 1,
            "load_after": os.getloadavg(), "machine": machine(),
            "code": code_version(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guardians", type=int, default=1000)
    parser.add_argument("--class-size", type=int, default=30)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    load = os.getloadavg()
    result = run(args.guardians, args.class_size, args.threads)
    result["load_before"] = load
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mail-sqlite.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    for key in ("guardians", "burst_s", "answers", "mails", "distinct_recipients",
                "duplicate_recipients", "duplicate_message_ids", "last_mail_after_burst_s",
                "mails_per_s_from_burst_start", "met", "load_before"):
        print(f"{key:32} {result[key]}")


if __name__ == "__main__":
    main()
