"""The ``ejournal`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from ejournal import __version__
from ejournal.application import EJournal
from ejournal.application.storage import UnsupportedDatabase, describe
from ejournal.domain.errors import DomainError
from ejournal.settings import Settings


def _app(settings: Settings) -> EJournal:
    return EJournal(settings)


def cmd_info(settings: Settings, _: argparse.Namespace) -> int:
    app = _app(settings)
    try:
        print(f"ejournal {__version__}")
        print(f"database: {describe(settings)}")
        print(f"events in the log: {app.recorder.max_notification_id() or 0}")
    finally:
        app.close()
    return 0


def cmd_db_init(settings: Settings, _: argparse.Namespace) -> int:
    """Creates the event store's tables if they are missing (idempotent)."""
    app = _app(settings)
    app.close()
    print(f"database ready: {describe(settings)}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from ejournal.demo import load_demo

    app = _app(settings)
    try:
        summary = load_demo(app, now=datetime.now(tz=UTC), seed=args.seed)
    finally:
        app.close()
    print(f"demo school {summary.school_id} recorded in {describe(settings)}:")
    print(f"  {summary.lessons} lessons, {summary.marks} marks, {summary.absences} absences, "
          f"{summary.corrections} corrections, {summary.late_entries} late entries (flagged)")
    for role, username in summary.usernames.items():
        print(f"  {role:9} {username}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ejournal",
        description="Electronic class journal. The database is EJOURNAL_DATABASE_URL "
                    "(default sqlite:///./ejournal.db).",
    )
    parser.add_argument("--version", action="version", version=f"ejournal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="show the database and the size of the event log"
                   ).set_defaults(run=cmd_info)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("init", help="create the tables if missing").set_defaults(run=cmd_db_init)
    demo = sub.add_parser("demo", help="record a demo school (two classes, three subjects, "
                                       "four weeks of lessons)")
    demo.add_argument("--seed", type=int, default=7,
                      help="vary it to load another demo school beside the first")
    demo.set_defaults(run=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        code: int = args.run(settings, args)
    except UnsupportedDatabase as exc:
        print(f"ejournal: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"ejournal: refused: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
