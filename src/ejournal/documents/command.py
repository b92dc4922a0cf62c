"""``ejournal archive --school ID --year ID --out FILE`` makes a school's year-end archive
offline (the read models brought up to the log's head first), and ``ejournal archive verify
FILE`` checks one: exit 1 naming each file that is missing, extra, or not as its manifest
states."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path
from uuid import UUID

from ejournal.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = sub.add_parser("archive", help="make a school's year-end archive (zip), or "
                                             "verify one: archive verify FILE")
    archive.add_argument("--school", type=UUID, metavar="ID", help="the school's id")
    archive.add_argument("--year", type=UUID, metavar="ID", help="the year's id")
    archive.add_argument("--out", type=Path, metavar="FILE", help="where to write the zip")
    archive.add_argument("--quiet", action="store_true", help="no progress bar")
    archive.set_defaults(run=run_build)
    verbs = archive.add_subparsers(dest="archive_command")
    verify = verbs.add_parser("verify", help="check an archive against its manifest")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.set_defaults(run=run_verify)


def run_build(settings: Settings, args: argparse.Namespace) -> int:
    missing = [f"--{name}" for name in ("school", "year", "out") if getattr(args, name) is None]
    if missing:
        print(f"ejournal archive: {', '.join(missing)} required (or: archive verify FILE)",
              file=sys.stderr)
        return 2
    from ejournal.application import EJournal
    from ejournal.documents.archive import build
    from ejournal.documents.yearly import UnknownYear
    from ejournal.ledger import Chain, setup_chain
    from ejournal.progress import progress_bar
    from ejournal.projections.catalog import projector_for

    app = EJournal(settings)
    projector = projector_for(app)
    try:
        projector.setup()
        projector.catch_up(progress=None if args.quiet else progress_bar("read models"))
        setup_chain(projector.engine)
        try:
            content = build(projector.reader, Chain(app.store, projector.reader), app.store,
                            args.school, args.year,
                            progress=None if args.quiet else progress_bar("archive", "files")
                            ).content
        except UnknownYear as exc:
            print(f"ejournal archive: {exc}", file=sys.stderr)
            return 2
    finally:
        app.close()
        projector.engine.dispose()
        projector.reader.dispose()
    out: Path = args.out
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, out)
    print(f"{out}: {len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}",
          flush=True)
    return 0


def run_verify(_: Settings, args: argparse.Namespace) -> int:
    from ejournal.documents.verify import verify

    verdict = verify(args.file)
    if not verdict.ok:
        for problem in verdict.problems:
            print(f"ejournal archive verify: {problem}", file=sys.stderr)
        print(f"{args.file}: NOT VERIFIED: {len(verdict.problems)} problem(s)", flush=True)
        return 1
    print(f"{args.file}: verified {verdict.files} files against its manifest; made at log "
          f"position {verdict.position}, ledger head {verdict.head}", flush=True)
    return 0
