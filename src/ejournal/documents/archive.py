"""The year-end archive: one zip of a school's year - every journal's paper form per term
(PDF/A-2b), every student's табель, every class's сводная ведомость, the school's events as
JSON Lines, and ``manifest.json`` with each file's SHA-256 and size, the log position and the
ledger's chain head every document was made from (docs/documents.md, "The year-end archive").

All of it comes from one snapshot of the read models (``snapshot``) and the log up to its
position, and the zip is written the same way each time (entries in a fixed order, a fixed
date, fixed permissions, PDFs stored, the rest deflated at a fixed level): rebuilt from the
same log, it is the same bytes. ``verify`` checks one.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, select

from ejournal.application.eventstore import EventStore
from ejournal.documents.journal import Period, journal_data
from ejournal.documents.render import render
from ejournal.documents.snapshot import Stamp, snapshot, stamp
from ejournal.documents.yearly import (
    UnknownYear,
    Year,
    class_roster,
    read_year,
    report_card_data,
    summary_sheet_data,
)
from ejournal.ledger import Chain
from ejournal.projections import lookup_reads
from ejournal.projections.lookups import classes, journals, people, years
from ejournal.projections.reports import lessons, period_marks

FORMAT = "ejournal-archive/1"
MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
#: Every entry's date (the zip format's earliest): the day of the build would change the bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Built:
    """An archive's bytes, and the students whose data it holds (the access log)."""

    content: bytes
    students: tuple[UUID, ...]


@dataclass(frozen=True)
class Part:
    """A document of the archive, its data read and its rendering still to do."""

    path: str
    title: str
    template: str
    data: dict[str, Any]
    student: UUID | None = None  # a табель's student


def safe(name: str) -> str:
    """A name fit for a path in the zip: no separators or control characters."""
    cleaned = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", "_", name).strip(" .")
    return cleaned or "_"


def _parts(conn: Connection, year: Year, at: Stamp) -> list[Part]:
    found: list[Part] = []
    in_year = [c for c in lookup_reads.read_classes(conn, year.school_id) if c.year_id == year.id]
    terms = year.terms or [p[0] for p in year.periods]
    chosen = [Period(p[0], year.id, p[1], p[2], p[3]) for p in year.periods if p[0] in terms]
    for number, school_class in enumerate(in_year, 1):
        folder = f"{number:02d} {safe(school_class.name)}"
        for journal in lookup_reads.read_class_journals(conn, school_class.id):
            for k, period in enumerate(chosen, 1):
                data, _ = journal_data(conn, journal.id, period, at)
                found.append(Part(
                    f"journals/{folder}/{safe(journal.subject_name)} {str(journal.id)[:8]}/"
                    f"{k:02d} {safe(period.name)}.pdf",
                    f"Классный журнал: {school_class.name}, {journal.subject_name}, "
                    f"{period.name}", "journal", data))
        data, _ = summary_sheet_data(conn, school_class.id, year, at)
        found.append(Part(f"summary-sheets/{folder}.pdf",
                          f"Сводная ведомость: {school_class.name}", "summary_sheet", data))
        seen: set[UUID] = set()
        for student_id, name, _, _ in class_roster(conn, school_class.id):
            if student_id in seen:
                continue
            seen.add(student_id)
            found.append(Part(
                f"report-cards/{folder}/{safe(name)} {str(student_id)[:8]}.pdf",
                f"Табель: {name}, {school_class.name}", "report_card",
                report_card_data(conn, student_id, year, at), student_id))
    return found


def school_aggregates(conn: Connection, school_id: UUID) -> set[UUID]:
    """The school's aggregates: itself, its years, classes, journals, their lessons and period
    marks, and its people."""
    ids = {school_id}
    ids |= set(conn.scalars(select(years.c.year_id).where(years.c.school_id == school_id)))
    ids |= set(conn.scalars(select(classes.c.class_id).where(classes.c.school_id == school_id)))
    ids |= set(conn.scalars(select(people.c.user_id).where(people.c.school_id == school_id)))
    own = set(conn.scalars(select(journals.c.journal_id)
                           .where(journals.c.school_id == school_id)))
    ids |= own
    if own:
        ids |= set(conn.scalars(select(lessons.c.lesson_id)
                                .where(lessons.c.journal_id.in_(own))))
        ids |= set(conn.scalars(select(period_marks.c.period_mark_id)
                                .where(period_marks.c.journal_id.in_(own))))
    return ids


def event_lines(store: EventStore, ids: Iterable[UUID], upto: int) -> bytes:
    """The events of these aggregates up to ``upto``, in log order, one JSON object a line:
    position, originator id and version, topic, and the state as stored (as JSON; as
    base64 where it is not)."""
    out = io.BytesIO()
    for position, stored in store.in_log_order(ids):
        if position > upto:
            continue
        line: dict[str, Any] = {"position": position, "originator_id": str(stored.originator_id),
                                "originator_version": stored.originator_version,
                                "topic": stored.topic}
        try:
            line["state"] = json.loads(bytes(stored.state))
        except ValueError:
            line["state_base64"] = base64.b64encode(bytes(stored.state)).decode()
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=True,
                             separators=(",", ":")).encode())
        out.write(b"\n")
    return out.getvalue()


def _entry(archive: zipfile.ZipFile, path: str, content: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_STORED if path.endswith(".pdf") else zipfile.ZIP_DEFLATED
    archive.writestr(info, content, compresslevel=6)


def build(engine: Engine, chain: Chain, store: EventStore, school_id: UUID, year_id: UUID,
          progress: Progress | None = None) -> Built:
    """The year's archive of the school (``UnknownYear`` if the year is not the school's);
    ``progress(done, total)`` after each file."""
    with snapshot(engine) as (conn, position):
        year = read_year(conn, year_id)
        if year is None or year.school_id != school_id:
            raise UnknownYear(f"no year {year_id} in school {school_id}")
        at = stamp(chain, position)
        parts = _parts(conn, year, at)
        students = tuple(dict.fromkeys(p.student for p in parts if p.student is not None))
        ids = school_aggregates(conn, school_id)
        school = lookup_reads.read_schools(conn, school_id)
    total = len(parts) + 1
    files: list[tuple[str, str, bytes]] = []
    for done, part in enumerate(parts, 1):
        files.append((part.path, part.title, render(part.template, part.data)))
        if progress is not None:
            progress(done, total)
    files.append((EVENTS, "События школы (JSON Lines)", event_lines(store, ids, position)))
    manifest = {
        "format": FORMAT,
        "school": {"id": str(school_id), "name": school[0].name if school else ""},
        "year": {"id": str(year_id), "name": year.name},
        "position": at.position, "head": at.head,
        "files": [{"path": path, "title": title, "size": len(content),
                   "sha256": hashlib.sha256(content).hexdigest()}
                  for path, title, content in files]}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        _entry(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1,
                                             sort_keys=True).encode() + b"\n")
        for path, _, content in files:
            _entry(archive, path, content)
    if progress is not None:
        progress(total, total)
    return Built(out.getvalue(), students)
