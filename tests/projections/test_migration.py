"""Logs written by the first event schema (``tests/fixtures/v1-*.db``) are never misread:
``ejournal serve`` (and every start of the application) refuses them naming ``ejournal
migrate``; the migrated log's read models answer what the v1 read functions answered for the
same log (``*-answers.json.gz``, see tests/fixtures/README.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import decimal
import gzip
import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ejournal.application import EJournal
from ejournal.domain.base import FirstSchemaLog
from ejournal.migration.copy import MigrationRefused, migrate
from ejournal.projections.catalog import projector_for
from ejournal.projections.diary import read_diary
from ejournal.projections.feed import read_feed
from ejournal.projections.findings import read_overdue, read_timeliness
from ejournal.projections.grid import read_grid
from ejournal.projections.history import read_mark_history, read_period_mark_history
from ejournal.projections.summary import read_summary
from ejournal.projections.timeliness import read_late_entries
from ejournal.settings import Settings
from tests.conftest import Database

FIXTURES = Path(__file__).parent.parent / "fixtures"
FIRST, LAST = date(2026, 9, 1), date(2027, 5, 31)
#: What the first schema's feed told of (period marks and guardians' links came later).
V1_FEED_KINDS = {"mark_given", "mark_corrected", "mark_cancelled", "absent", "absence_cancelled"}
NOW = datetime(2026, 11, 27, 15, tzinfo=UTC)


def _plain(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, UUID | date | datetime | decimal.Decimal):
        return str(x)
    return x


def _v1_keys(expected: Any, actual: Any) -> Any:
    """``actual`` cut down to the keys ``expected`` has (new fields may be added)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: _v1_keys(expected[k], actual[k]) if k in actual else "<missing>"
                for k in expected}
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [_v1_keys(e, a) for e, a in zip(expected, actual, strict=True)]
    return actual


def _answers(app: EJournal) -> dict[str, Any]:
    """What the read models answer, asked as the v1 answers were (tests/fixtures/README.md)."""
    projector = projector_for(app)
    projector.setup()
    projector.catch_up()
    students, guardians, journals, schools, marks, pmarks, periods = [], [], [], [], [], [], []
    for n in app.recorder.select_notifications(start=1, limit=10**6):
        e: Any = app.mapper.to_domain_event(n)
        kind = type(e).__qualname__
        if kind == "User.Registered":
            if e.role.value == "student":
                students.append(e.originator_id)
            if e.role.value == "guardian":
                guardians.append(e.originator_id)
        elif kind == "ClassJournal.Opened":
            journals.append(e.originator_id)
        elif kind == "School.Registered":
            schools.append(e.originator_id)
        elif kind == "Lesson.MarkGiven":
            marks.append((e.journal_id, e.mark_id))
        elif kind == "PeriodMark.Given":
            pmarks.append((e.journal_id, e.originator_id))
        elif kind == "AcademicYear.Planned":
            periods.extend(p.id for p in e.periods)
    try:
        with projector.reader.connect() as c:
            return {
                "diary": {str(s): _plain(read_diary(c, s, FIRST, LAST)) for s in students},
                "grid": {str(j): _plain(read_grid(c, j, FIRST, LAST)) for j in journals},
                "summary": {f"{j}/{p}": _plain(read_summary(c, j, p))
                            for j in journals for p in periods},
                "mark_history": {str(m): _plain(read_mark_history(c, j, m)) for j, m in marks},
                "period_mark_history": {str(m): _plain(read_period_mark_history(c, j, m))
                                        for j, m in pmarks},
                "late_entries": {str(s): _plain(read_late_entries(c, s, limit=100000))
                                 for s in schools},
                "feed": {str(r): _plain([i for i in read_feed(c, r, limit=100000)
                                         if i.kind in V1_FEED_KINDS])
                         for r in students + guardians},
                "overdue": {str(s): _plain(read_overdue(c, s, limit=100000)) for s in schools},
                "timeliness": {str(s): _plain(read_timeliness(c, s, FIRST, LAST))
                               for s in schools},
            }
    finally:
        projector.engine.dispose()
        projector.reader.dispose()


def _old(tmp_path: Path, name: str) -> Settings:
    copy = tmp_path / f"{name}.db"
    shutil.copy(FIXTURES / f"{name}.db", copy)
    return Settings(database_url=f"sqlite:///{copy}")


@pytest.mark.parametrize("name", ["v1-every-event", "v1-demo"])
def test_a_migrated_log_answers_what_the_first_schema_answered(
        name: str, database: Database, tmp_path: Path) -> None:
    source = _old(tmp_path, name)
    done = migrate(source, database.settings)
    expected = json.loads(gzip.decompress((FIXTURES / f"{name}-answers.json.gz").read_bytes()))
    app = EJournal(database.settings, clock=lambda: NOW)
    try:
        assert done.events == app.recorder.max_notification_id()
        assert done.credentials == (5 if name == "v1-demo" else 0)  # the demo's logins
        actual = _answers(app)
    finally:
        app.close()
    for read, answers in expected.items():
        assert set(actual[read]) == set(answers), read
        for key, answer in answers.items():
            assert _v1_keys(answer, actual[read][key]) == answer, (read, key)


def test_the_first_schemas_log_is_refused_at_start_naming_the_migration(tmp_path: Path) -> None:
    source = _old(tmp_path, "v1-every-event")
    with pytest.raises(FirstSchemaLog, match="ejournal migrate --from"):
        EJournal(source)


def test_ejournal_serve_refuses_a_first_schema_log_and_names_the_command(
        tmp_path: Path) -> None:
    source = _old(tmp_path, "v1-every-event")
    done = subprocess.run(
        [sys.executable, "-m", "ejournal.cli", "serve", "--port", "0"], capture_output=True,
        text=True, timeout=60, check=False,
        env={"EJOURNAL_DATABASE_URL": source.database_url, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "first event schema (v1)" in done.stderr
    assert "ejournal migrate --from" in done.stderr


def test_migrating_a_log_of_todays_schema_or_into_a_used_database_is_refused(
        database: Database, tmp_path: Path) -> None:
    source = _old(tmp_path, "v1-every-event")
    migrate(source, database.settings)
    with pytest.raises(MigrationRefused, match="holds events already"):
        migrate(source, database.settings)
    with pytest.raises(MigrationRefused, match="not of the first event schema"):
        migrate(database.settings, Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))


def test_ejournal_migrate_copies_the_log_and_the_new_database_starts(tmp_path: Path) -> None:
    source = _old(tmp_path, "v1-demo")
    target = f"sqlite:///{tmp_path / 'new.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "ejournal.cli", "migrate", "--from", source.database_url,
         "--to", target], capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "migrated 2613 events and 5 accounts' credentials" in done.stdout
    app = EJournal(Settings(database_url=target))
    try:
        assert app.recorder.max_notification_id() == 2613
    finally:
        app.close()
