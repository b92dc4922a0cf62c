"""``ejournal schools|users|years|subjects|classes|journals list``: the ids an operator needs,
with their names, from the lookups read model (the same answers as the API's lookups), as
aligned columns or ``--json``. A read model behind the log says so on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from ejournal.application import EJournal
from ejournal.projections.lookup_reads import (
    read_class_journals,
    read_classes,
    read_people,
    read_schools,
    read_subjects,
    read_teacher_journals,
    read_years,
)
from ejournal.projections.lookups import classes, people, schools
from ejournal.settings import Settings

Lister = Callable[[Connection, argparse.Namespace], list[Any]]
ROLES = ("operator", "admin", "auditor", "teacher", "student", "guardian")


class NotFound(Exception):
    """The school, class or teacher a list is asked for is not known."""


def _known(conn: Connection, table: Any, column: Any, ident: UUID, what: str,
           **where: str) -> None:
    query = select(column).where(column == ident)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    if conn.execute(query).first() is None:
        raise NotFound(f"no {what} {ident}")


def _school(conn: Connection, args: argparse.Namespace) -> UUID:
    school_id: UUID = args.school
    _known(conn, schools, schools.c.school_id, school_id, "school")
    return school_id


def _schools(conn: Connection, _: argparse.Namespace) -> list[Any]:
    return list(read_schools(conn))


def _users(conn: Connection, args: argparse.Namespace) -> list[Any]:
    return list(read_people(conn, _school(conn, args), args.role))


def _years(conn: Connection, args: argparse.Namespace) -> list[Any]:
    return list(read_years(conn, _school(conn, args)))


def _subjects(conn: Connection, args: argparse.Namespace) -> list[Any]:
    return list(read_subjects(conn, _school(conn, args)))


def _classes(conn: Connection, args: argparse.Namespace) -> list[Any]:
    return list(read_classes(conn, _school(conn, args)))


def _journals(conn: Connection, args: argparse.Namespace) -> list[Any]:
    if args.class_id is not None:
        _known(conn, classes, classes.c.class_id, args.class_id, "class")
        return list(read_class_journals(conn, args.class_id))
    _known(conn, people, people.c.user_id, args.teacher, "teacher", role="teacher")
    on: date = args.on or datetime.now(tz=UTC).date()
    return list(read_teacher_journals(conn, args.teacher, on))


#: What each list prints, in this order (``--json`` prints every field).
COLUMNS = {
    "schools": ("id", "name", "timezone"),
    "users": ("id", "username", "role", "full_name"),
    "years": ("id", "name", "starts_on", "ends_on"),
    "subjects": ("id", "name"),
    "classes": ("id", "name", "grade", "year_id", "class_teacher_name"),
    "journals": ("id", "class_name", "subject_name", "teacher_name", "substitute_from",
                 "substitute_to"),
}
LISTERS: dict[str, Lister] = {"schools": _schools, "users": _users, "years": _years,
                              "subjects": _subjects, "classes": _classes,
                              "journals": _journals}


def _plain(value: Any) -> Any:
    if isinstance(value, UUID | date):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _rows(kind: str, items: Sequence[Any]) -> list[list[str]]:
    rows = [list(COLUMNS[kind])]
    for item in items:
        rows.append(["" if getattr(item, c) is None else str(getattr(item, c))
                     for c in COLUMNS[kind]])
        for period in getattr(item, "periods", []) if kind == "years" else []:
            rows.append([f"  {period['id']}", f"{period['name']} ({period['kind']})",
                         str(period["starts_on"]), str(period["ends_on"])])
    return rows


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())


def _lag_warning(app: EJournal) -> None:
    from ejournal.projections.catalog import projector_for

    projector = projector_for(app, ["lookups"])
    projector.setup()
    (status,) = projector.statuses()
    if status.lag:
        print(f"ejournal: the lookups read model is {status.lag} event(s) behind the log "
              "(`ejournal project` keeps it up to date; `ejournal projections rebuild "
              "lookups` brings it there once)", file=sys.stderr)


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from ejournal.projections.base import create_read_engine

    kind: str = args.kind
    app = EJournal(settings)
    engine = create_read_engine(settings)
    try:
        _lag_warning(app)
        with engine.connect() as conn:
            items = LISTERS[kind](conn, args)
    except NotFound as exc:
        print(f"ejournal: {exc}", file=sys.stderr)
        return 1
    finally:
        app.close()
        engine.dispose()
    if args.json:
        print(json.dumps([_plain(asdict(i)) for i in items],
                         ensure_ascii=False, indent=2))
    else:
        _print_table(_rows(kind, items))
    return 0


def add_lists(sub: Any) -> None:
    """``ejournal KIND list ...`` for each kind of COLUMNS."""
    helps = {"schools": "the platform's schools", "users": "a school's people",
             "years": "a school's years with their periods", "subjects": "a school's subjects",
             "classes": "a school's classes", "journals": "a teacher's or a class's journals"}
    for kind, what in helps.items():
        group = sub.add_parser(kind, help=f"{what}: ids and names")
        command = group.add_subparsers(dest="action", required=True).add_parser(
            "list", help=f"list {what}")
        command.set_defaults(run=cmd_list, kind=kind)
        command.add_argument("--json", action="store_true", help="print JSON")
        if kind in ("users", "years", "subjects", "classes"):
            command.add_argument("--school", type=UUID, required=True, metavar="ID")
        if kind == "users":
            command.add_argument("--role", choices=ROLES)
        if kind == "journals":
            which = command.add_mutually_exclusive_group(required=True)
            which.add_argument("--teacher", type=UUID, metavar="ID",
                               help="the journals they teach in a year not over on --on, "
                                    "and those they substitute in that day")
            which.add_argument("--class", dest="class_id", type=UUID, metavar="ID")
            command.add_argument("--on", type=date.fromisoformat, default=None,
                                 metavar="YYYY-MM-DD", help="default: today")
