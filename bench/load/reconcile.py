"""After the load: every write the server acknowledged must be in the event log exactly once
and show in the read models, and nothing the clients were not told of may be there.

* **The log**: the notifications after the run's first position are decoded; each journal
  write is keyed by what it made - a lesson (its id), a mark (its id), a correction (the
  mark and the reason, which carries the write's Idempotency-Key), an absence (lesson and
  student) - and compared with the acknowledgements: *lost* (acknowledged, not in the log),
  *doubled* (in the log more than once), *stray* (in the log, never acknowledged); and one
  idempotency receipt per acknowledged write.
* **The read models**, read over HTTP as the school's admin once the projector has reached
  the log's head: each acknowledged mark in its student's diary with its last acknowledged
  value, each absence as "absent" there, each lesson in its journal's grid, and each corrected
  mark's history with exactly the acknowledged corrections."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import httpx
from eventsourcing.utils import get_topic

from bench.load.driver import Ack
from bench.load.world import World
from ejournal.application import EJournal
from ejournal.application.idempotency import CommandReceipt
from ejournal.domain.lesson import Lesson
from ejournal.projections.catalog import projector_for

TOPICS = {
    "lesson": Lesson.Held,
    "mark": Lesson.MarkGiven,
    "correction": Lesson.MarkCorrected,
    "attendance": Lesson.AttendanceTaken,
}


@dataclass
class Reconciliation:
    acknowledged: dict[str, int] = field(default_factory=dict)
    logged: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    doubled: dict[str, int] = field(default_factory=dict)
    stray: dict[str, int] = field(default_factory=dict)
    receipts: int = 0
    read_model_mismatches: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    caught_up_s: float = 0.0

    @property
    def mismatches(self) -> int:
        return (sum(self.lost.values()) + sum(self.doubled.values())
                + sum(self.stray.values()) + sum(self.read_model_mismatches.values())
                + abs(self.receipts - sum(self.acknowledged.values())))

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "examples"},
                "examples": self.examples[:20], "mismatches": self.mismatches}


def _identity(ack: Ack) -> tuple[Any, ...]:
    if ack.kind == "lesson":
        return (ack.lesson,)
    if ack.kind == "mark":
        return (ack.mark,)
    if ack.kind == "correction":
        return (ack.mark, ack.reason)
    return (ack.lesson, ack.student)


def _logged(event: Any) -> tuple[str, list[tuple[Any, ...]]] | None:
    if isinstance(event, Lesson.Held):
        return "lesson", [(event.originator_id,)]
    if isinstance(event, Lesson.MarkGiven):
        return "mark", [(event.mark_id,)]
    if isinstance(event, Lesson.MarkCorrected):
        return "correction", [(event.mark_id, event.reason)]
    if isinstance(event, Lesson.AttendanceTaken):
        return "attendance", [(event.originator_id, absence.student_id)
                              for absence in event.absent]
    return None


def reconcile(world: World, start: int, acks: list[Ack], url: str,
              admin_token: str) -> Reconciliation:
    result = Reconciliation()
    app = EJournal(world.settings)
    try:
        # Wait for the read models to hold everything (bounded).
        projector = projector_for(app)
        head = projector.head()
        began = time.monotonic()
        while projector.position() < head and time.monotonic() - began < 300:
            time.sleep(0.1)  # polling the projector of the service under test
        result.caught_up_s = round(time.monotonic() - began, 2)

        acknowledged: dict[str, Counter[tuple[Any, ...]]] = {k: Counter() for k in TOPICS}
        for ack in acks:
            acknowledged[ack.kind][_identity(ack)] += 1
        logged: dict[str, Counter[tuple[Any, ...]]] = {k: Counter() for k in TOPICS}
        ours = {s.journal_id for s in world.seats}
        receipt_topic = get_topic(CommandReceipt.Issued)
        position = start
        while True:
            page = app.recorder.select_notifications(start=position + 1, limit=5000)
            if not page:
                break
            for notification in page:
                position = notification.id
                if notification.topic == receipt_topic:
                    receipt = app.mapper.to_domain_event(notification)
                    assert isinstance(receipt, CommandReceipt.Issued)
                    result.receipts += 1
                    continue
                if not notification.topic.startswith("ejournal.domain.lesson:Lesson."):
                    continue
                event = app.mapper.to_domain_event(notification)
                found = _logged(event)
                if found is None or getattr(event, "journal_id", None) not in ours:
                    continue
                kind, keys = found
                for key in keys:
                    logged[kind][key] += 1
        for kind in TOPICS:
            want, have = acknowledged[kind], logged[kind]
            result.acknowledged[kind] = sum(want.values())
            result.logged[kind] = sum(have.values())
            result.lost[kind] = len(set(want) - set(have))
            result.doubled[kind] = sum(1 for n in have.values() if n > 1) + sum(
                1 for n in want.values() if n > 1)
            result.stray[kind] = len(set(have) - set(want))
            for key in list(set(want) ^ set(have))[:5]:
                result.examples.append(f"{kind} {key}: acknowledged {want.get(key, 0)}, "
                                       f"logged {have.get(key, 0)}")
    finally:
        app.close()
    _read_models(world, acks, url, admin_token, result)
    return result


def _read_models(world: World, acks: list[Ack], url: str, token: str,
                 result: Reconciliation) -> None:
    missing: Counter[str] = Counter()
    final: dict[UUID, Ack] = {}
    corrections: Counter[UUID] = Counter()
    absences: set[tuple[UUID, UUID]] = set()
    lessons: dict[UUID, set[UUID]] = {}
    for ack in acks:
        if ack.kind in ("mark", "correction") and ack.mark is not None:
            final[ack.mark] = ack
        if ack.kind == "correction" and ack.mark is not None:
            corrections[ack.mark] += 1
        if ack.kind == "attendance" and ack.student is not None:
            absences.add((ack.lesson, ack.student))
        if ack.kind == "lesson":
            lessons.setdefault(ack.journal, set()).add(ack.lesson)
    students = {a.student for a in acks if a.student is not None}
    window = {"from": world.first_day.isoformat(), "to": world.last_day.isoformat()}
    lesson_of = {(s.journal_id, lesson.day, lesson.slot): lesson.id
                 for s in world.seats for lesson in s.lessons}
    with httpx.Client(base_url=url, timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        shown: dict[UUID, str] = {}
        shown_absent: set[tuple[UUID, UUID]] = set()
        for student in students:
            diary = http.get(f"/api/v1/students/{student}/diary", params=window)
            diary.raise_for_status()
            for day in diary.json()["days"]:
                for entry in day["lessons"]:
                    for mark in entry["marks"]:
                        shown[UUID(mark["id"])] = mark["value"]
                    lesson_id = lesson_of.get((UUID(entry["journal_id"]),
                                               date.fromisoformat(day["date"]),
                                               entry["slot"]))
                    if entry["absent"] and lesson_id is not None:
                        shown_absent.add((lesson_id, student))
        for mark_id, ack in final.items():
            if mark_id not in shown:
                missing["mark not in the diary"] += 1
            elif shown[mark_id] != ack.value:
                missing["mark value differs in the diary"] += 1
        missing["absence not in the diary"] += len(absences - shown_absent)
        for journal, held in lessons.items():
            grid = http.get(f"/api/v1/journals/{journal}/grid", params=window)
            grid.raise_for_status()
            in_grid = {UUID(x["id"]) for x in grid.json()["lessons"]}
            missing["lesson not in the grid"] += len(held - in_grid)
        for mark_id, count in corrections.items():
            ack = final[mark_id]
            history = http.get(f"/api/v1/journals/{ack.journal}/marks/{mark_id}/history")
            history.raise_for_status()
            kinds = Counter(item["kind"] for item in history.json()["items"])
            if kinds["corrected"] != count:
                missing["corrections in the mark history differ"] += 1
    result.read_model_mismatches = {k: v for k, v in missing.items() if v} or {}
    for kind in ("mark not in the diary", "mark value differs in the diary",
                 "absence not in the diary", "lesson not in the grid",
                 "corrections in the mark history differ"):
        result.read_model_mismatches.setdefault(kind, 0)

