"""``ejournal import`` as a real process on SQLite and PostgreSQL: the dry run lists the
problems by row and column and exits 1 writing nothing; the real run prints each new account
once with its temporary password; run again it creates nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import build_school
from tests.databases import NOW, Database
from tests.servers import serve_env

pytestmark = pytest.mark.slow  # real processes

ROSTER = ("Класс;ФИО ученика;Логин ученика;ФИО родителя 1;Логин родителя 1\n"
          "9А;Орлов Олег;cli.orlov;Орлова Ольга;cli.orlova\n"
          "9А;Орлова Ода;cli.oda;Орлова Ольга;cli.orlova\n")


def _run(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ejournal.cli", "import", *args,
                           "--now", NOW.isoformat()], env=serve_env(database.settings),
                          text=True, capture_output=True, timeout=300, check=False)


@pytest.mark.storage
def test_the_cli_imports_a_roster_once(database: Database, tmp_path: Path) -> None:
    app = database.app()
    try:
        school = build_school(app, tag="cli").school
        head = app.recorder.max_notification_id()
    finally:
        app.close()
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER + "9А;Кириллица;кириллица;;\n", encoding="utf-8")
    dry = _run(database, "roster", str(bad), "--school", str(school), "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert "row 4, Логин ученика: логин: 2-64 символа" in dry.stderr
    good = tmp_path / "good.csv"
    good.write_text(ROSTER, encoding="utf-8-sig")
    refused = _run(database, "roster", str(bad), "--school", str(school))
    assert refused.returncode == 1
    assert "nothing imported" in refused.stderr
    done = _run(database, "roster", str(good), "--school", str(school), "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["created"] == {"classes": 1, "students": 2, "guardians": 1, "enrolments": 2,
                               "links": 2}
    assert sorted(a["username"] for a in body["accounts"]) == ["cli.oda", "cli.orlov",
                                                               "cli.orlova"]
    assert all(len(a["temporary_password"]) == 14 for a in body["accounts"])
    assert "steps" in done.stderr  # the progress bar
    again = _run(database, "roster", str(good), "--school", str(school))
    assert again.returncode == 0, again.stderr
    assert "created: nothing new" in again.stdout
    app = database.app()
    try:
        written = (app.recorder.max_notification_id() or 0) - (head or 0)
    finally:
        app.close()
    # one class, three accounts (each registered, its login claimed, its password temporary),
    # two enrolments, two links
    assert written == 1 + 3 * 3 + 2 + 2
