"""The load generator: ``clients`` concurrent HTTP clients (asyncio + httpx, one keep-alive
connection each, spread over the API workers), closed loop, each picking its next request
from a school day's mix until the time or the request budget is spent:

* 70% reads: a guardian reads their child's diary (50%), a teacher reads one of their
  journals' grid (20%) - the last three weeks;
* 30% writes by the journals' teachers: a mark given (65% of writes), corrected (15%),
  attendance with one absent student (10%), a lesson held (10%).

Each journal is written by one client at a time, so the driver knows its state and every
write is one the rules accept: a refusal is a finding, not noise. Every write carries an
``Idempotency-Key`` and is retried with it after a 503/507 or a broken connection, as a
client must. A monitor samples, every 0.1 s, the projector's position against the log's head
(projection lag in events, and for every acknowledged write the time until the read models
held it) and the RSS of every server process."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, select

from bench.load.processes import Service
from bench.load.world import PASSWORD, LessonState, Seat, World
from ejournal.api.problems import STORAGE_ERRORS
from ejournal.application import EJournal
from ejournal.projections.base import create_read_engine, positions

WRITE_SHARE, DIARY_SHARE = 0.30, 0.50  # the rest: grids
WRITE_KINDS = (("mark", 0.65), ("correction", 0.15), ("attendance", 0.10), ("lesson", 0.10))
WORKS = ("oral", "oral", "homework", "practical", "written", "test")
RETRIED = frozenset({502, 503, 504, 507})
KINDS = ("diary", "grid", "mark", "correction", "attendance", "lesson")


@dataclass
class Ack:
    """An acknowledged write and what it must have left behind."""

    kind: str
    key: str
    journal: UUID
    lesson: UUID
    student: UUID | None = None
    mark: UUID | None = None
    value: str | None = None
    reason: str | None = None
    position: int = 0
    at: float = 0.0
    replayed: bool = False


@dataclass
class Results:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    statuses: dict[str, Counter[str]] = field(
        default_factory=lambda: {k: Counter() for k in KINDS})
    acks: list[Ack] = field(default_factory=list)
    retries: int = 0
    unexpected: list[str] = field(default_factory=list)
    lag_events: list[int] = field(default_factory=list)
    lag_seconds: list[float] = field(default_factory=list)
    unprojected_at_end: int = 0
    rss_kib: dict[str, list[int]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for code, n in c.items()
                   if code.isdigit() and int(code) >= 500)


class Driver:
    def __init__(self, world: World, service: Service, *, clients: int, seconds: float,
                 max_requests: int, seed: int = 7) -> None:
        self.world, self.service = world, service
        self.clients, self.seconds, self.max_requests = clients, seconds, max_requests
        self.rng = random.Random(seed)
        self.results = Results()
        self.tokens: dict[str, str] = {}
        self.keys = itertools.count(1)
        self.run_id = f"{seed}-{int(time.time())}"
        self.pending: deque[Ack] = deque()
        self.stop = asyncio.Event()
        self.sent = 0
        #: Read answers other than 200 that are no surprise now (503 while a shard is down).
        self.tolerated: set[int] = set()
        #: Set once every user has signed in and the load begins.
        self.running = threading.Event()

    # --- the run ---------------------------------------------------------------------------

    async def run(self) -> Results:
        await self._log_in()
        self.running.set()
        started = time.monotonic()
        self.deadline = started + self.seconds
        monitor = asyncio.create_task(self._monitor())
        await asyncio.gather(*(self._client(n) for n in range(self.clients)))
        self.results.seconds = time.monotonic() - started
        self.stop.set()
        await monitor
        return self.results

    def _done(self) -> bool:
        return time.monotonic() >= self.deadline or self.sent >= self.max_requests

    async def _log_in(self) -> None:
        users = [*self.world.guardians, *self.world.teachers, self.world.admin]
        gate = asyncio.Semaphore(4)
        url = self.service.urls[0]
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:

            async def one(username: str) -> None:
                async with gate:
                    answer = await http.post("/api/v1/auth/token",
                                             data={"username": username, "password": PASSWORD})
                answer.raise_for_status()
                self.tokens[username] = answer.json()["access_token"]

            await asyncio.gather(*(one(u) for u in users))

    async def _client(self, n: int) -> None:
        url = self.service.urls[n % len(self.service.urls)]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
            while not self._done():
                self.sent += 1
                draw = self.rng.random()
                if draw < WRITE_SHARE and await self._write(http):
                    continue
                if draw < WRITE_SHARE + DIARY_SHARE or not self.world.teachers:
                    await self._diary(http)
                else:
                    await self._grid(http)

    # --- reads -----------------------------------------------------------------------------

    def _window(self) -> dict[str, str]:
        return {"from": self.world.first_day.isoformat(), "to": self.world.last_day.isoformat()}

    async def _diary(self, http: httpx.AsyncClient) -> None:
        guardian, child = self.rng.choice(list(self.world.guardians.items()))
        await self._read(http, "diary", guardian, f"/api/v1/students/{child}/diary")

    async def _grid(self, http: httpx.AsyncClient) -> None:
        teacher, journals = self.rng.choice(list(self.world.teachers.items()))
        journal = self.rng.choice(journals)
        await self._read(http, "grid", teacher, f"/api/v1/journals/{journal}/grid")

    async def _read(self, http: httpx.AsyncClient, kind: str, who: str, path: str) -> None:
        started = time.perf_counter()
        try:
            answer = await http.get(path, params=self._window(),
                                    headers={"Authorization": f"Bearer {self.tokens[who]}"})
        except httpx.TransportError as exc:
            self.results.statuses[kind][f"transport:{type(exc).__name__}"] += 1
            await asyncio.sleep(0.1)  # a client's back-off while the server is away
            return
        self.results.latencies[kind].append(time.perf_counter() - started)
        self.results.statuses[kind][self._status(answer)] += 1
        if answer.status_code != 200 and answer.status_code not in self.tolerated:
            self.results.unexpected.append(f"{kind} {path}: {answer.status_code} "
                                           f"{answer.text[:200]}")

    def _status(self, answer: httpx.Response) -> str:
        """How an answer is counted: ``503-outage`` while a shard's outage makes it expected
        (not a server error)."""
        if answer.status_code in self.tolerated:
            return f"{answer.status_code}-outage"
        return str(answer.status_code)

    # --- writes ----------------------------------------------------------------------------

    async def _write(self, http: httpx.AsyncClient) -> bool:
        """One write on a journal no other client is writing; False if all are busy."""
        free = [s for s in self.rng.sample(self.world.seats, min(8, len(self.world.seats)))
                if not s.busy]
        if not free:
            return False
        seat = free[0]
        seat.busy = True
        try:
            plan = self._plan(seat)
            if plan is None:
                return False
            kind, path, body, on_ack = plan
            key = f"load-{self.run_id}-{next(self.keys)}"
            if "reason" in body:
                body["reason"] = f"{body['reason']} ({key})"
            answer = await self._send(http, kind, seat, path, body, key)
            if answer is not None:
                ack = on_ack(answer.json() if answer.content else {})
                ack.key, ack.at = key, time.monotonic()
                ack.position = int(answer.headers.get("X-Log-Position", "0"))
                ack.replayed = answer.headers.get("Idempotent-Replayed") == "true"
                ack.reason = body.get("reason")
                self.results.acks.append(ack)
                self.pending.append(ack)
            return True
        finally:
            seat.busy = False

    def _plan(self, seat: Seat) -> tuple[str, str, dict[str, Any],
                                         Callable[[dict[str, Any]], Ack]] | None:
        journal = f"/api/v1/journals/{seat.journal_id}"
        kind = self.rng.choices([k for k, _ in WRITE_KINDS], [w for _, w in WRITE_KINDS])[0]
        recent = seat.lessons[-4:]
        if kind == "correction" and seat.marks:
            mark_id = self.rng.choice(list(seat.marks))
            lesson, student, value = seat.marks[mark_id]
            new = self.rng.choice([v for v in "2345" if v != value])

            def corrected(_: dict[str, Any]) -> Ack:
                seat.marks[mark_id] = (lesson, student, new)
                return Ack("correction", "", seat.journal_id, lesson.id, student, mark_id, new)

            return ("correction", f"{journal}/marks/{mark_id}/corrections",
                    {"value": new, "reason": "исправление"}, corrected)
        if kind == "attendance":
            cells = [(lesson, s) for lesson in recent for s in seat.students
                     if s not in lesson.absent and not lesson.marks.get(s)]
            if cells:
                lesson, student = self.rng.choice(cells)

                def absent(_: dict[str, Any]) -> Ack:
                    lesson.absent.add(student)
                    return Ack("attendance", "", seat.journal_id, lesson.id, student)

                return ("attendance", f"{journal}/lessons/{lesson.id}/attendance",
                        {"absent": [{"student_id": str(student), "reason": "illness"}]},
                        absent)
        if kind in ("mark", "attendance", "correction"):
            cells = [(lesson, s) for lesson in recent for s in seat.students
                     if s not in lesson.absent and lesson.marks.get(s, 0) < 2]
            if cells:
                lesson, student = self.rng.choice(cells)
                value = self.rng.choice("2345")

                def given(body: dict[str, Any]) -> Ack:
                    mark_id = UUID(body["id"])
                    lesson.marks[student] = lesson.marks.get(student, 0) + 1
                    seat.marks[mark_id] = (lesson, student, value)
                    return Ack("mark", "", seat.journal_id, lesson.id, student, mark_id, value)

                return ("mark", f"{journal}/lessons/{lesson.id}/marks",
                        {"student_id": str(student), "value": value,
                         "work": self.rng.choice(WORKS)}, given)
        if not seat.free:
            return None
        day, slot = seat.free.pop()

        def held(body: dict[str, Any]) -> Ack:
            state = LessonState(UUID(body["id"]), day, slot)
            seat.lessons.append(state)
            return Ack("lesson", "", seat.journal_id, state.id)

        return ("lesson", f"{journal}/lessons",
                {"date": day.isoformat(), "slot": slot, "topic": f"Тема урока {slot}",
                 "homework": "§ 12, упр. 3"}, held)

    async def _send(self, http: httpx.AsyncClient, kind: str, seat: Seat, path: str,
                    body: dict[str, Any], key: str) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {self.tokens[seat.teacher]}",
                   "Idempotency-Key": key}
        pause = 0.05
        give_up = self.deadline + 120
        while True:
            started = time.perf_counter()
            try:
                answer = await http.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                self.results.statuses[kind][f"transport:{type(exc).__name__}"] += 1
            else:
                self.results.latencies[kind].append(time.perf_counter() - started)
                self.results.statuses[kind][self._status(answer)] += 1
                if answer.status_code == 201:
                    return answer
                if answer.status_code not in RETRIED:
                    self.results.unexpected.append(f"{kind} {path}: {answer.status_code} "
                                                   f"{answer.text[:300]}")
                    return None
            if time.monotonic() > give_up:
                self.results.unexpected.append(f"{kind} {path}: gave up retrying ({key})")
                return None
            self.results.retries += 1
            await asyncio.sleep(pause)  # a client's back-off before its retry
            pause = min(2.0, pause * 2)

    # --- the monitor -----------------------------------------------------------------------

    async def _monitor(self) -> None:
        app = EJournal(self.world.settings)
        reader = create_read_engine(self.world.settings)

        def sample() -> tuple[int, int]:
            with reader.connect() as conn:
                projected = conn.scalar(select(func.min(positions.c.position))) or 0
            return int(projected), int(app.recorder.max_notification_id() or 0)

        try:
            ticks = 0
            while not self.stop.is_set():
                try:
                    projected, head = await asyncio.to_thread(sample)
                except STORAGE_ERRORS:
                    if not self.tolerated:
                        raise
                    projected = None  # the school's shard is down: no sample this tick
                now = time.monotonic()
                if projected is not None:
                    self.results.lag_events.append(max(0, head - projected))
                    while self.pending and self.pending[0].position <= projected:
                        self.results.lag_seconds.append(now - self.pending.popleft().at)
                if ticks % 10 == 0:
                    for name, kib in self.service.rss().items():
                        if kib is not None:
                            self.results.rss_kib.setdefault(name, []).append(kib)
                ticks += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=0.1)
            self.results.unprojected_at_end = len(self.pending)
        finally:
            app.close()
            reader.dispose()
