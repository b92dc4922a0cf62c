"""The demo school tells the truth about a school: `ejournal demo`, then `ejournal check` on
its school, finds under 5 % of the entries it expected missing, and every rule the scheduler
or the late-entry audit reports shows at least once; recorded after the year, it has the year
marks too - real processes, SQLite and PostgreSQL, on the demo's own clock (`--now`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from sqlalchemy import Connection

from ejournal.application import EJournal
from ejournal.domain.findings import RULES
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.projections.report_reads import read_homework_load
from ejournal.projections.structure import school_structure
from ejournal.projections.timeliness import read_late_entries
from tests.conftest import Database
from tests.scheduler.conftest import cli_env

pytestmark = pytest.mark.slow  # real processes

#: Friday 18 December 2026, 16:00 in Novosibirsk: the first quarter is over, the second not.
NOW = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)
HEADER = re.compile(r"^school (\S+) as of (\S+): (\d+) days checked, (\d+) of (\d+) expected "
                    r"entries missing \((\S+) %; \d+ newly recorded\), \d+ resolved since$")


def ejournal(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ejournal.cli", *args],
                          env=cli_env(database.settings), text=True, capture_output=True,
                          timeout=600, check=False)


def test_the_demo_school_misses_under_5_percent_and_shows_every_rule(
    database: Database,
) -> None:
    demo = ejournal(database, "demo", "--now", NOW.isoformat())
    assert demo.returncode == 0, demo.stderr
    school = demo.stdout.split()[2]
    check = ejournal(database, "check", "--school", school, "--as-of", "2026-12-18",
                     "--now", NOW.isoformat())
    assert check.returncode == 0, check.stderr
    header, *lines = check.stdout.splitlines()
    matched = HEADER.match(header)
    assert matched is not None, header
    missing, expected = int(matched[4]), int(matched[5])
    # Every timetabled lesson since 1 September, its attendance, the written works' marks and
    # the first quarter's period marks: thousands, of which a handful were never made.
    assert expected > 2000
    assert 0 < missing < 0.05 * expected
    assert float(matched[6]) == round(100 * missing / expected, 1)
    found = Counter(line.split()[0] for line in lines)
    assert set(found) == set(RULES) == {"R-4.5", "R-4.6", "R-6.1d", "R-6.2"}
    assert sum(found.values()) == missing
    # The late-entry audit (the check brought its read model up to date) shows every rule too,
    # for each kind of entry.
    engine = create_read_engine(database.settings)
    try:
        with engine.connect() as conn:
            late = read_late_entries(conn, UUID(school), limit=100_000)
    finally:
        engine.dispose()
    assert {e.rule for e in late} == set(RULES)
    assert {e.entry for e in late} == {"lesson", "attendance", "mark", "period_mark",
                                       "period_mark_correction"}
    # Every homework says how long it takes, and no day of the week before goes over the
    # СанПиН limit of 150 minutes for a 7th class.
    app = EJournal(database.settings)
    try:
        projector = projector_for(app, ["reports"])
        projector.setup()
        projector.catch_up()
        with projector.reader.connect() as conn:
            week = [day for class_id in _classes(conn, UUID(school))
                    for day in read_homework_load(conn, class_id, date(2026, 12, 7),
                                                  date(2026, 12, 11))]
    finally:
        app.close()
        projector.engine.dispose()
        projector.reader.dispose()
    assert len(week) == 10  # two classes, five days
    assert all(d.limit_minutes == 150 and d.unmeasured == 0 and 60 <= d.minutes <= 150
               for d in week)
    # The demo's own account of what it left out is what the check found.
    assert ("entries never made (the compliance scheduler finds them): "
            + ", ".join(f"{rule} {found[rule]}" for rule in RULES)) in demo.stdout



def test_a_demo_recorded_after_the_year_has_its_year_marks(database: Database) -> None:
    # Recorded in June 2027, the demo holds the whole year: four quarters and «Год».
    june = datetime(2027, 6, 7, 9, 0, tzinfo=UTC)
    demo = ejournal(database, "demo", "--now", june.isoformat())
    assert demo.returncode == 0, demo.stderr
    school = demo.stdout.split()[2]
    check = ejournal(database, "check", "--school", school, "--as-of", "2027-06-07",
                     "--now", june.isoformat(), "--json")
    assert check.returncode == 0, check.stderr
    answer = json.loads(check.stdout)
    # Five periods' marks were due for 50 students in 6 journals each: the year's too, which
    # all but two students of one journal have - as each quarter's.
    assert answer["expected"]["R-6.2"] == 5 * 50 * 6
    missing = Counter((f["rule"], f["date"]) for f in answer["findings"])
    assert {day: n for (rule, day), n in missing.items() if rule == "R-6.2"} == {
        "2026-10-24": 2, "2026-12-27": 2, "2027-03-21": 2, "2027-05-26": 4}
    assert sum(missing.values()) < 0.05 * sum(answer["expected"].values())


def _classes(conn: Connection, school_id: UUID) -> list[UUID]:
    structure = school_structure(conn, school_id)
    assert structure is not None
    return sorted(structure.classes, key=str)
