"""The ``ejournal`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID

from ejournal import __version__
from ejournal.application import EJournal
from ejournal.application.commands import RegisterOperator
from ejournal.application.storage import UnsupportedDatabase, describe
from ejournal.demo.command import add_parser as add_demo_parser
from ejournal.documents.command import add_parser as add_archive
from ejournal.domain.base import FirstSchemaLog
from ejournal.domain.errors import DomainError, InvalidEntry
from ejournal.domain.passwords import check_password
from ejournal.imports.command import add_parser as add_import
from ejournal.ledger.command import add_parser as add_verify
from ejournal.lists import add_lists
from ejournal.progress import progress_bar
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


def cmd_projections_status(settings: Settings, _: argparse.Namespace) -> int:
    from ejournal.projections.catalog import projector_for

    app = _app(settings)
    try:
        projector = projector_for(app)
        projector.setup()
        print(f"{'read model':16} {'position':>10} {'head':>10} {'lag':>8}  state")
        for status in projector.statuses():
            state = f"stopped: {status.error}" if status.error else "running"
            print(f"{status.name:16} {status.position:>10} {status.head:>10} {status.lag:>8}"
                  f"  {state}")
    finally:
        app.close()
    return 0


def cmd_projections_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from ejournal.projections.catalog import projector_for

    app = _app(settings)
    try:
        projector = projector_for(app, args.names or None)
        projector.setup()
        projector.reset(projector.names)
        projector.catch_up(limit=args.batch,
                           progress=progress_bar("rebuild " + ",".join(projector.names)))
        for status in projector.statuses():
            print(f"{status.name}: position {status.position} of {status.head}")
    finally:
        app.close()
    return 0


def cmd_project(settings: Settings, args: argparse.Namespace) -> int:
    """Keeps the read models and the ledger's chain up to date until SIGINT/SIGTERM
    (production: its own process)."""
    import signal
    import threading

    from ejournal.application.storage import keep_running
    from ejournal.ledger import follow
    from ejournal.projections.catalog import projector_for

    app = _app(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        projector = projector_for(app)
        projector.setup()
        follow(app.store, projector.engine, projector.reader, stop)
        print(f"projecting {describe(settings)} ({', '.join(projector.names)}, the ledger)",
              flush=True)
        # While the database is down it waits and resumes once it is back (as in serve).
        keep_running(lambda until: projector.run_forever(until, idle_wait=args.idle,
                                                         limit=args.batch),
                     stop, what="the projector")
    finally:
        app.close()
    return 0


def _bootstrap(settings: Settings, username: str, password: str,
               now: datetime | None = None) -> str:
    """Creates the first operator, if no account exists yet with that username."""
    from ejournal.accounts import Accounts
    from ejournal.projections.base import create_read_engine

    app = _app(settings)
    accounts = Accounts(create_read_engine(settings))
    try:
        accounts.setup()
        existing = app.user_by_username(username)
        if existing is not None:
            return f"operator {username} exists already"
        try:
            check_password(password, username)
        except InvalidEntry as refused:
            raise ValueError(f"the operator's password: {refused.detail}") from None
        accounts.open_account(
            password,
            lambda user_id: app.execute(RegisterOperator(username=username, full_name=username),
                                        new_id=user_id),
            now=now or datetime.now(tz=UTC))
        return f"operator {username} created"
    finally:
        app.close()
        accounts.engine.dispose()


def cmd_bootstrap(settings: Settings, args: argparse.Namespace) -> int:
    print(_bootstrap(settings, args.username, args.password))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """The HTTP API. ``--now`` (tests only, not in ``--help``) stops the server's clock at that
    moment, so that what a test expects does not depend on the day it runs."""
    import os

    from ejournal import serving

    checked = _app(settings)  # a log of the first event schema is refused before it starts
    # Every account's registration is in the log, and nothing else can come first.
    accounts_exist = bool(checked.store.head())
    checked.close()
    frozen: datetime | None = args.now
    username = os.environ.get("EJOURNAL_BOOTSTRAP_USERNAME")
    password = os.environ.get("EJOURNAL_BOOTSTRAP_PASSWORD")
    if username and password:
        # The bootstrap operator is the first account, made only while there is none.
        print("accounts exist: no bootstrap operator made" if accounts_exist
              else _bootstrap(settings, username, password, now=frozen), flush=True)
    chosen = serving.Serving(run_projector=not args.no_projector,
                             run_scheduler=not args.no_scheduler,
                             request_log=settings.request_log and not args.no_request_log,
                             now=frozen.isoformat() if frozen is not None else None)
    serving.run(settings, chosen, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Copies a log of the first event schema into a new database as today's schema records
    it (the facts old events lack are taken from the earlier events of the same log)."""
    from ejournal.migration.copy import migrate

    source = settings.model_copy(update={"database_url": args.source})
    target = settings.model_copy(update={"database_url": args.target})
    done = migrate(source, target)
    print(f"migrated {done.events} events and {done.credentials} accounts' credentials from "
          f"{describe(source)} to {describe(target)}; read models are rebuilt from the log on "
          "the first start (or `ejournal projections rebuild`)")
    return 0


def _moment(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2026-11-24T01:00:00+03:00")
    return moment


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    """The compliance scheduler as a process of its own: catches every school up,
    then checks each one nightly in its own time zone, until SIGINT/SIGTERM. ``--once``: catch
    up and exit (``--now`` acts as if it were that moment)."""
    import logging
    import signal
    import threading

    from ejournal.scheduler.runner import ComplianceRunner
    from ejournal.scheduler.service import ComplianceScheduler

    if args.now is not None and not args.once:
        raise ValueError("--now is for --once only")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.once:
        fixed = args.now
        runner = ComplianceRunner.open(settings, clock=(lambda: fixed) if fixed else None)
        try:
            for run in runner.run_all():
                if run.held_elsewhere:
                    print(f"school {run.school_id}: checked by another process", flush=True)
                    continue
                checked = f"{run.days[0]}..{run.days[-1]}" if run.days else "nothing due"
                print(f"school {run.school_id}: {checked}, {len(run.new)} new findings, "
                      f"{run.resolved} resolved", flush=True)
        finally:
            runner.close()
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = ComplianceScheduler(settings)
    try:
        scheduler.start()
        print(f"compliance scheduler on {describe(settings)}: nightly at "
              f"{settings.scheduler_run_at:%H:%M} school-local", flush=True)
        stop.wait()
    finally:
        scheduler.shutdown()
    return 0


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    """Evaluates the checks as they stand at the start of ``--as-of`` (school-local), with
    the data known now; records new findings (idempotently), prints every finding that
    stands with the number of entries the checks expected, and exits 0 whatever it finds.
    ``--now`` (tests only, not in ``--help``) checks as if it were that moment."""
    from ejournal.domain.findings import RULES
    from ejournal.scheduler.runner import ComplianceRunner, describe_finding

    fixed: datetime | None = args.now
    runner = ComplianceRunner.open(settings, clock=(lambda: fixed) if fixed else None)
    try:
        run = runner.check(args.school, args.as_of)
    finally:
        runner.close()
    findings = sorted(run.findings, key=lambda f: (f.business_date, f.rule, str(f.journal_id),
                                                   f.slot or 0, str(f.student_id)))
    if args.json:
        print(json.dumps({"school_id": str(args.school), "as_of": args.as_of.isoformat(),
                          "days_checked": len(run.days), "resolved": run.resolved,
                          "expected": {rule: run.expected[rule] for rule in RULES},
                          "findings": [{**describe_finding(f), "new": f.id in run.new}
                                       for f in findings]}, ensure_ascii=False))
        return 0
    expected = sum(run.expected.values())
    share = f"{100 * len(findings) / expected:.1f} %" if expected else "-"
    print(f"school {args.school} as of {args.as_of}: {len(run.days)} days checked, "
          f"{len(findings)} of {expected} expected entries missing ({share}; "
          f"{len(run.new)} newly recorded), {run.resolved} resolved since")
    for f in findings:
        print(f"{f.rule:7} {f.business_date} journal {f.journal_id} "
              f"slot {f.slot if f.slot is not None else '-'} "
              f"student {f.student_id or '-'} due {f.due} teacher {f.teacher_id}"
              f"{'  (new)' if f.id in run.new else ''}")
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
    add_demo_parser(sub, _moment)

    projections = sub.add_parser("projections", help="read models: status and rebuild")
    p_sub = projections.add_subparsers(dest="projections_command", required=True)
    p_sub.add_parser("status", help="each read model's position and lag behind the log"
                     ).set_defaults(run=cmd_projections_status)
    rebuild = p_sub.add_parser("rebuild", help="drop read models and rebuild them from the log")
    rebuild.add_argument("names", nargs="*", help="read models to rebuild (default: all)")
    rebuild.add_argument("--batch", type=int, default=1000, help="events per transaction")
    rebuild.set_defaults(run=cmd_projections_rebuild)

    project = sub.add_parser("project", help="keep the read models up to date (a process of "
                                             "its own in production)")
    project.add_argument("--batch", type=int, default=1000, help="events per transaction")
    project.add_argument("--idle", type=float, default=0.2,
                         help="seconds to wait for new events when caught up")
    project.set_defaults(run=cmd_project)

    bootstrap = sub.add_parser("bootstrap", help="create the first operator account")
    bootstrap.add_argument("--username", required=True)
    bootstrap.add_argument("--password", required=True)
    bootstrap.set_defaults(run=cmd_bootstrap)

    serve = sub.add_parser("serve", help="run the HTTP API (and, in a process of its own, "
                                         "the projector)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="processes serving the port (beside them, one process of its "
                            "own runs the projector, the scheduler and the mail)")
    serve.add_argument("--no-projector", action="store_true",
                       help="do not run the projector (another process does: ejournal "
                            "project)")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="do not run the compliance scheduler in this process")
    serve.add_argument("--no-request-log", action="store_true",
                       help="print no line per request (EJOURNAL_REQUEST_LOG=false too)")
    # Tests only: the server's clock stands still at this moment (ISO 8601 with offset).
    serve.add_argument("--now", type=_moment, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(run=cmd_serve)

    migrate = sub.add_parser("migrate", help="copy an event log of the first schema into a "
                                             "new, empty database as today's schema records it")
    migrate.add_argument("--from", dest="source", required=True, metavar="URL",
                         help="the old database (only read)")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL",
                         help="the new database (it must hold no events yet)")
    migrate.set_defaults(run=cmd_migrate)

    scheduler = sub.add_parser("scheduler", help="run the compliance scheduler (a process of "
                                                 "its own in production)")
    scheduler.add_argument("--once", action="store_true",
                           help="catch every school up and exit")
    scheduler.add_argument("--now", type=_moment, default=None,
                           help="with --once: act as if it were this moment (ISO 8601 with "
                                "offset)")
    scheduler.set_defaults(run=cmd_scheduler)

    check = sub.add_parser("check", help="find missing journal entries of a school as of a "
                                         "date (records new findings, exits 0)")
    check.add_argument("--school", type=UUID, required=True, help="the school's id")
    check.add_argument("--as-of", type=date.fromisoformat, required=True,
                       help="YYYY-MM-DD: every deadline before the start of this school-local "
                            "day; not in the future")
    check.add_argument("--json", action="store_true", help="print JSON")
    # Tests only: check as if it were this moment (ISO 8601 with offset).
    check.add_argument("--now", type=_moment, default=None, help=argparse.SUPPRESS)
    check.set_defaults(run=cmd_check)
    add_verify(sub)
    add_lists(sub)
    add_archive(sub)
    add_import(sub)
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
    except FirstSchemaLog as exc:
        print(f"ejournal: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"ejournal: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
