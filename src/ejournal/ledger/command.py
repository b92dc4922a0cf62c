"""``ejournal verify [--from POSITION]``: the chain recomputed from the log (``verify``);
exits 1 naming the first position where an event was changed, removed or inserted."""

from __future__ import annotations

import argparse

from ejournal.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = sub.add_parser("verify", help="recompute the ledger's chain from the log; exit 1 "
                                           "naming the first event changed, removed or inserted")
    verify.add_argument("--from", dest="start", type=int, default=1, metavar="POSITION",
                        help="recompute from this log position on, from the head kept before "
                             "it (default: the first event)")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from ejournal.application import EJournal
    from ejournal.ledger.chain import Chain, setup
    from ejournal.ledger.verify import verify
    from ejournal.progress import progress_bar
    from ejournal.projections.base import create_read_engine

    app = EJournal(settings)
    engine = create_read_engine(settings)
    try:
        setup(engine)
        found = verify(Chain(app.store, engine), args.start,
                       None if args.quiet else progress_bar("verify"))
    finally:
        app.close()
        engine.dispose()
    checked = f"positions {found.start}..{found.head.position}"
    if found.broken is not None:
        print(f"ejournal verify: NOT VERIFIED: {found.broken.describe()} "
              f"({found.compared} events before it match the kept chain)", flush=True)
        return 1
    print(f"verified {checked}: {found.compared} events match the kept chain"
          + (f", {found.beyond} beyond its tip chained on" if found.beyond else "")
          + f"; head at {found.head.position}: {found.head.sha256}", flush=True)
    return 0
