"""``ejournal import KIND FILE --school ID [--dry-run]``: an import from the command line, as
the school's admin (the first, or ``--by LOGIN``), with a progress bar over its steps; the new
accounts' temporary passwords printed once (``--json`` for a script)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ejournal.application import EJournal
from ejournal.application.batch import STEP_PROGRESS
from ejournal.domain.errors import NotFound
from ejournal.domain.values import Role
from ejournal.imports.files import FileUnreadable
from ejournal.imports.plan import Problem
from ejournal.imports.service import KINDS, ImportRefused, Outcome, run_import, school_year
from ejournal.progress import progress_bar
from ejournal.projections.lookup_reads import read_people
from ejournal.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("import", help="import a roster, the staff, a timetable or work "
                                        "programmes from CSV or XLSX (docs/import.md)")
    cmd.add_argument("kind", choices=sorted(KINDS))
    cmd.add_argument("file", type=Path)
    cmd.add_argument("--school", type=UUID, required=True, help="the school's id")
    cmd.add_argument("--year", type=UUID, default=None,
                     help="the school year (default: today's, else the next)")
    cmd.add_argument("--dry-run", action="store_true", help="check only: write nothing")
    cmd.add_argument("--by", default=None,
                     help="the login of the school's admin it is done as (default: the first)")
    cmd.add_argument("--json", action="store_true", help="print the answer as JSON")
    # Tests only: import as if it were this moment (ISO 8601 with offset).
    cmd.add_argument("--now", type=datetime.fromisoformat, default=None, help=argparse.SUPPRESS)
    cmd.set_defaults(run=run)


def _admin(app: EJournal, engine: Engine, school_id: UUID, login: str | None) -> UUID:
    if login is not None:
        person = app.user_by_username(login)
        if person is None or person.role not in (Role.ADMIN, Role.OPERATOR) or (
                person.role is Role.ADMIN and person.school_id != school_id):
            raise NotFound(f"no admin {login} of school {school_id}", field="by")
        return person.id
    with engine.connect() as conn:
        admins = read_people(conn, school_id, "admin")
    if not admins:
        raise NotFound(f"school {school_id} has no admin (give --by an operator's login)",
                       field="by")
    return admins[0].id


def _print(outcome: Outcome, dry_run: bool, as_json: bool) -> None:
    counts = outcome.counts
    if as_json:
        body: dict[str, object] = {"rows": outcome.rows}
        if dry_run:
            body |= {"would_create": counts, "errors": [p.__dict__ for p in outcome.problems]}
        else:
            body |= {"created": counts, "accounts": [
                {"full_name": a.full_name, "username": a.username,
                 "temporary_password": p, "role": a.role, "class_name": a.class_name,
                 "login_generated": a.login_generated}
                for a, p in outcome.accounts]}
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return
    what = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "nothing new"
    print(f"{outcome.rows} rows; {'would create' if dry_run else 'created'}: {what}")
    _problems(outcome.problems)
    for account, password in outcome.accounts:
        made = "  (login made from the name)" if account.login_generated else ""
        print(f"  {account.role:9} {account.username:24} {password}  {account.full_name}{made}")


def _problems(found: list[Problem]) -> None:
    for p in found:
        where = f"row {p.row}" if p.row is not None else "the file"
        print(f"  {where}{', ' + p.column if p.column else ''}: {p.message}", file=sys.stderr)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from ejournal.accounts import Accounts
    from ejournal.projections.base import create_read_engine
    from ejournal.projections.catalog import projector_for
    from ejournal.projections.lookup_reads import read_schools

    app = EJournal(settings)
    engine = create_read_engine(settings)
    accounts = Accounts(engine)
    try:
        accounts.setup()
        projector = projector_for(app, ["lookups"])
        projector.setup()
        projector.catch_up()  # the school's years and admins as the log has them now
        with engine.connect() as conn:
            schools = read_schools(conn, args.school)
        if not schools:
            raise NotFound(f"no school {args.school}", field="school")
        now = args.now or datetime.now(tz=UTC)
        today = now.astimezone(ZoneInfo(schools[0].timezone)).date()
        year = school_year(engine, args.school, today, args.year)
        actor = _admin(app, engine, args.school, args.by)
        token = STEP_PROGRESS.set(progress_bar(f"import {args.kind}", "steps"))
        try:
            outcome = run_import(app, engine, kind=args.kind, content=args.file.read_bytes(),
                                 actor_id=actor, school_id=args.school, year=year,
                                 today=today, now=now, dry_run=args.dry_run)
        finally:
            STEP_PROGRESS.reset(token)
    except (FileUnreadable, ImportRefused) as exc:
        print(f"ejournal: nothing imported: {exc.detail}", file=sys.stderr)
        _problems(exc.problems if isinstance(exc, ImportRefused)
                  else [Problem(None, None, exc.detail)])
        return 1
    finally:
        app.close()
        engine.dispose()
    _print(outcome, args.dry_run, args.json)
    return 1 if outcome.problems else 0
