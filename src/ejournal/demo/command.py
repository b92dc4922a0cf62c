"""``ejournal demo``: records the demo school, prints what it holds and the logins to try; with
``--serve`` builds the read models and serves the site and the API over it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ejournal.application import EJournal
from ejournal.application.storage import describe
from ejournal.domain.findings import RULES
from ejournal.progress import progress_bar
from ejournal.settings import Settings

#: A demo school numbers its logins from its seed on; it takes this many numbers.
NUMBERS_TAKEN = 50


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               moment: Callable[[str], datetime]) -> None:
    demo = sub.add_parser("demo", help="record a demo school (two 7th classes, six subjects, "
                                       "the school year so far); --serve serves it")
    demo.add_argument("--seed", type=int, default=7,
                      help="another demo school beside the first: its logins are numbered "
                           "from SEED on (default 7: parent07, student07, ...; a school takes "
                           f"{NUMBERS_TAKEN} numbers)")
    demo.add_argument("--password", default=None,
                      help="one password for the printed logins (default: a random one each)")
    demo.add_argument("--now", type=moment, default=None,
                      help="record the demo as of this moment (ISO 8601 with offset; default: "
                           "now): its last lessons are that day's; with --serve the server's "
                           "clock stands still at it")
    demo.add_argument("--serve", action="store_true",
                      help="then build the read models and serve the site at --host:--port")
    demo.add_argument("--host", default="127.0.0.1", help="with --serve")
    demo.add_argument("--port", type=int, default=8000, help="with --serve")
    demo.set_defaults(run=run)


def _afresh(settings: Settings) -> str:
    url = urlsplit(settings.database_url)
    if url.scheme.startswith("sqlite"):
        return (f"delete {url.path.removeprefix('/')} (or set EJOURNAL_DATABASE_URL to another "
                "file)")
    return "point EJOURNAL_DATABASE_URL (or EJOURNAL_DATABASE_SCHEMA) at an empty database"


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Records the demo school and prints the logins to try, with their passwords."""
    from ejournal.accounts import Accounts
    from ejournal.demo import DemoRecordedAlready, grant_logins, load_demo
    from ejournal.projections.base import create_read_engine

    if args.password is not None and len(args.password) < 8:
        raise ValueError("a demo password is at least 8 characters")
    app = EJournal(settings)
    accounts = Accounts(create_read_engine(settings))
    now = args.now or datetime.now(tz=UTC)
    try:
        accounts.setup()
        summary = load_demo(app, now=now, seed=args.seed)
        logins = grant_logins(accounts, summary, now=now, password=args.password)
    except DemoRecordedAlready as exc:
        print(f"ejournal: {exc} ({describe(settings)}), with its logins.\n"
              f"  To start afresh: {_afresh(settings)}, then run `ejournal demo` again.\n"
              f"  To add another demo school beside it: `ejournal demo --seed "
              f"{args.seed + 2 * NUMBERS_TAKEN}`.", file=sys.stderr)
        return 1
    finally:
        app.close()
        accounts.engine.dispose()
    late = ", ".join(f"{rule} {summary.late[rule]}" for rule in RULES)
    print(f"demo school {summary.school_id} recorded in {describe(settings)}:")
    print(f"  {summary.lessons} lessons, {summary.marks} marks, {summary.absences} absences, "
          f"{summary.corrections} corrections, {summary.period_marks} period marks")
    print(f"  {summary.late_entries} late entries (flagged): {late}")
    print("  entries never made (the compliance scheduler finds them): "
          + ", ".join(f"{rule} {summary.left_out[rule]}" for rule in RULES))
    if args.serve:
        return _serve(settings, args, now, logins)
    print("logins to try (role, username, password) - `ejournal serve`, then log in at "
          "http://127.0.0.1:8000/ or POST /api/v1/auth/token:")
    _print_logins(logins)
    return 0


def _print_logins(logins: dict[str, tuple[str, str]]) -> None:
    for role, (username, password) in logins.items():
        print(f"  {role:9} {username:12} {password}", flush=True)


def _serve(settings: Settings, args: argparse.Namespace, now: datetime,
           logins: dict[str, tuple[str, str]]) -> int:
    """Builds the read models (with a progress bar), prints the address and the logins, then
    serves until SIGINT/SIGTERM - the projector and the scheduler in the same process."""
    import uvicorn

    from ejournal.projections.catalog import projector_for
    from ejournal.site import create_app

    app = EJournal(settings)
    try:
        projector = projector_for(app)
        projector.setup()
        projector.catch_up(progress=progress_bar("read models"))
    finally:
        app.close()
    clock = (lambda: now) if args.now is not None else None
    print(f"serving at http://{args.host}:{args.port}/ - log in there (role, username, "
          "password):", flush=True)
    _print_logins(logins)
    site = create_app(settings, clock=clock, settle_heap=True)
    # proxy_headers off: the app believes X-Forwarded-For only from EJOURNAL_TRUSTED_PROXIES.
    uvicorn.run(site, host=args.host, port=args.port, log_level="info", access_log=False,
                proxy_headers=False)
    return 0
