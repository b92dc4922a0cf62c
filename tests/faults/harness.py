"""What the fault tests share: a school to write into, teachers' clients writing marks with
Idempotency-Keys and retrying until answered (against ``ejournal serve``: ``tests/servers.py``),
and the reconciliation of what was acknowledged against the event log and the read models.
Waiting is on conditions, bounded by deadlines; never a bare sleep."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import HoldLesson
from ejournal.domain.lesson import Lesson
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings
from tests.builders import SmallSchool, build_school
from tests.databases import NOW, Clock
from tests.faults.conftest import PASSWORD, SCHOOL_DAYS
from tests.servers import wait_until

#: Outcomes a client meets while the service is in trouble and retries on.
RETRIED = frozenset({503, 507})


# --- a school to write into ------------------------------------------------------------------


@dataclass
class Classroom:
    """A school (``build_school``) with its teacher's password set, and lessons held."""

    settings: Settings
    school: SmallSchool
    lessons: list[UUID]
    username: str

    def token(self, url: str) -> str:
        answer = httpx.post(f"{url}/api/v1/auth/token",
                            data={"username": self.username, "password": PASSWORD}, timeout=30)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token


def classroom(settings: Settings, *, students: int = 5, lessons: int = 4) -> Classroom:
    app = EJournal(settings, clock=Clock(NOW))
    try:
        tag = os.urandom(4).hex()
        s = build_school(app, students=students, tag=tag)
        held = []
        for day in SCHOOL_DAYS[:lessons]:
            written = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=1,
                                             topic=f"Урок {day}"))
            assert written.id is not None
            held.append(written.id)
        projector = projector_for(app)
        projector.setup()
    finally:
        app.close()
    accounts = Accounts(create_read_engine(settings))
    try:
        accounts.setup()
        accounts.set_password(s.teacher, PASSWORD, now=NOW)
    finally:
        accounts.engine.dispose()
    return Classroom(settings, s, held, f"teacher-{tag}")


# --- writers -------------------------------------------------------------------------------


@dataclass
class Outcomes:
    """What the writers met: each key's acknowledged mark id, every answer by kind."""

    acked: dict[str, str] = field(default_factory=dict)
    acked_before: dict[str, set[str]] = field(default_factory=dict)
    replayed: int = 0
    seen: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def note(self, kind: str) -> None:
        with self.changed:
            self.seen[kind] += 1
            self.changed.notify_all()

    def ack(self, key: str, mark_id: str, replayed: bool) -> None:
        with self.changed:
            if key in self.acked:
                self.unexpected.append(f"{key} acknowledged twice")
            self.acked[key] = mark_id
            self.replayed += replayed
            self.seen["201"] += 1
            self.changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(condition, timeout=timeout):
                raise AssertionError(f"timed out after {timeout} s waiting for {what}: "
                                     f"{dict(self.seen)} {self.unexpected[:5]}")

    def snapshot(self, label: str) -> None:
        """Remembers which keys were acknowledged at this moment (e.g. before a kill)."""
        with self.lock:
            self.acked_before[label] = set(self.acked)


class Writers:
    """``threads`` teachers' clients, each giving ``per_thread`` marks with its own
    Idempotency-Keys. A refusal the service may recover from (503, 507) or a broken
    connection is retried with the same key until answered; anything else is unexpected."""

    def __init__(self, room: Classroom, url: str, token: str, *, threads: int,
                 per_thread: int, deadline: float = 120) -> None:
        self.room, self.url, self.token = room, url, token
        self.threads, self.per_thread = threads, per_thread
        self.deadline = time.monotonic() + deadline
        self.outcomes = Outcomes()
        self.stop = threading.Event()
        self._workers: list[threading.Thread] = []
        # Each key's cell (lesson, student): round the classroom; a cell holds several marks.
        cells = list(itertools.product(room.lessons, room.school.students))
        self.plan = {f"w{t}-{i}": cells[(t * per_thread + i) % len(cells)]
                     for t in range(threads) for i in range(per_thread)}

    @property
    def keys(self) -> list[str]:
        return list(self.plan)

    def start(self) -> Writers:
        for t in range(self.threads):
            worker = threading.Thread(target=self._run, args=(t,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def acknowledged(self, count: int, moment: str) -> None:
        """Waits until ``count`` writes are acknowledged, and remembers which they are as
        "acknowledged before ``moment``" (e.g. a kill)."""
        self.outcomes.wait_for(lambda: len(self.outcomes.acked) >= count, 60,
                               f"{count} acknowledged writes")
        self.outcomes.snapshot(f"acknowledged before {moment}")

    def join(self, timeout: float = 120) -> Outcomes:
        for worker in self._workers:
            worker.join(timeout=timeout)
            assert not worker.is_alive(), "a writer did not finish"
        return self.outcomes

    def _run(self, t: int) -> None:
        journal = self.room.school.journal
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as client:
            for i in range(self.per_thread):
                key = f"w{t}-{i}"
                lesson, student = self.plan[key]
                body = {"student_id": str(student), "value": "2345"[i % 4], "work": "oral"}
                self._write(client, f"/api/v1/journals/{journal}/lessons/{lesson}/marks",
                            key, body)

    def _write(self, client: httpx.Client, path: str, key: str, body: dict[str, Any]) -> None:
        pause = 0.02
        while not self.stop.is_set():
            if time.monotonic() > self.deadline:
                self.outcomes.unexpected.append(f"{key}: no answer before the deadline")
                return
            try:
                answer = client.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError as exc:
                self.outcomes.note(f"connection: {type(exc).__name__}")
            else:
                if answer.status_code == 201:
                    self.outcomes.ack(key, answer.json()["id"],
                                      answer.headers.get("Idempotent-Replayed") == "true")
                    return
                self.outcomes.note(str(answer.status_code))
                if answer.status_code not in RETRIED:
                    self.outcomes.unexpected.append(
                        f"{key}: {answer.status_code} {answer.text[:200]}")
                    return
                problem_json = answer.headers.get("content-type") == "application/problem+json"
                if not problem_json or "Retry-After" not in answer.headers:
                    self.outcomes.unexpected.append(f"{key}: {answer.status_code} without "
                                                    "problem+json and Retry-After")
            self.stop.wait(pause)
            pause = min(0.5, pause * 2)


# --- reconciliation ------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the event log holds for the classroom's lessons."""

    marks: list[str]                  # every MarkGiven's mark id, in log order
    versions: dict[UUID, list[int]]   # each lesson's event versions
    receipts: int                     # CommandReceipt events for give_mark


def ledger(room: Classroom) -> Ledger:
    app = EJournal(room.settings)
    try:
        marks: list[str] = []
        versions: dict[UUID, list[int]] = {}
        for lesson_id in room.lessons:
            events = list(app.events.get(lesson_id))
            versions[lesson_id] = [e.originator_version for e in events]
            marks += [str(e.mark_id) for e in events if isinstance(e, Lesson.MarkGiven)]
        receipts = 0
        for notification in app.recorder.select_notifications(start=1, limit=10**9):
            if notification.topic.endswith("CommandReceipt.Issued"):
                receipts += 1
        return Ledger(marks, versions, receipts)
    finally:
        app.close()


def assert_reconciled(room: Classroom, outcomes: Outcomes, keys: list[str]) -> Ledger:
    """Every key acknowledged once; every acknowledged mark in the log exactly once, nothing
    else there; each lesson's versions contiguous; one receipt per write."""
    assert outcomes.unexpected == []
    assert sorted(outcomes.acked) == sorted(keys), "a write was never acknowledged"
    book = ledger(room)
    assert len(book.marks) == len(set(book.marks)), "a mark is in the log twice"
    assert sorted(book.marks) == sorted(outcomes.acked.values()), "lost or stray marks"
    for lesson_id, versions in book.versions.items():
        assert versions == list(range(1, len(versions) + 1)), lesson_id
    assert book.receipts == len(keys)
    for label, before in outcomes.acked_before.items():
        assert before <= set(outcomes.acked), label
        assert {outcomes.acked[k] for k in before} <= set(book.marks), label
    return book


def wait_projected(settings: Settings, timeout: float = 60) -> None:
    """Until the projector (of the server under test) has reached the log's head as it is
    now."""
    app = EJournal(settings)
    try:
        projector = projector_for(app)
        head = projector.head()
        wait_until(lambda: projector.position() >= head, timeout, "the projector to catch up")
    finally:
        app.close()


def assert_read_models_hold(room: Classroom, url: str, token: str, marks: list[str]) -> None:
    """The projector has caught up with the log, and the diaries show exactly these marks."""
    wait_projected(room.settings)
    shown: list[str] = []
    first, last = SCHOOL_DAYS[0], SCHOOL_DAYS[len(room.lessons) - 1]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as c:
        for student in room.school.students:
            answers: list[httpx.Response] = []

            def answered(student: UUID = student, answers: list[httpx.Response] = answers
                         ) -> bool:
                # A client retries a 503 (e.g. the first use of a connection SQLite opened
                # read-only during a spell, which is then replaced).
                answers.append(c.get(f"/api/v1/students/{student}/diary",
                                     params={"from": first.isoformat(),
                                             "to": last.isoformat()}))
                return answers[-1].status_code != 503

            wait_until(answered, 30, "a diary answer that is not 503", pause=0.2)
            diary = answers[-1]
            assert diary.status_code == 200, diary.text
            assert len(answers) <= 3, [a.text for a in answers]
            for day in diary.json()["days"]:
                for lesson in day["lessons"]:
                    shown += [m["id"] for m in lesson["marks"]]
    assert sorted(shown) == sorted(marks)


def lesson_days(room: Classroom) -> list[date]:
    return SCHOOL_DAYS[:len(room.lessons)]
