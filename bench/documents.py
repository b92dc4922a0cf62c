"""Documents benchmark: the renderer chosen by measurement - Typst (the ``typst`` package,
pinned) against WeasyPrint - on one class journal's paper form for a term, for a class of
``--students`` (25-35) students; then the табель, the сводная ведомость and the year-end
archive with Typst.

Run from the repository root::

    python -m bench.documents [--students 30] [--reps 5]

1. **The school**: ``tests.documents.world`` (class 7Б of ``--students`` students, a maths
   and a Russian journal, lessons on every school day of I четверть - 43 in maths, 26 in
   September - with marks, absences and homework, period marks), on a SQLite file, every
   read model caught up.
2. **The journal's data** for I четверть read once (``documents.journal.journal_data``), then
   rendered ``--reps`` times by each renderer: Typst through ``templates/journal.typ``, and
   WeasyPrint (when installed: it is no dependency of ejournal; ``pip install
   weasyprint==70.0``) through an HTML/CSS template of the same pages
   (``bench/documents_weasy.html``). Wall time per document (median), pages, bytes, and
   whether two renderings are byte-identical.
3. **The whole request path** with Typst: ``print_journal`` (snapshot, read, render), the
   табель, the сводная ведомость and the year's archive (``documents.archive.build``).

Results: a table on stdout and ``bench/results/documents.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.databases import fresh_database
from tests.documents import world

from ejournal.documents.archive import build
from ejournal.documents.journal import journal_data, print_journal, read_period
from ejournal.documents.render import render
from ejournal.documents.snapshot import snapshot, stamp
from ejournal.documents.yearly import print_report_card, print_summary_sheet
from ejournal.ledger import Chain, setup_chain
from ejournal.projections.catalog import projector_for

RESULTS = Path(__file__).parent / "results"
HTML = Path(__file__).parent / "documents_weasy.html"


def _median(run: Callable[[], bytes], reps: int) -> tuple[float, bytes, bool]:
    times, outputs = [], []
    for _ in range(reps):
        started = time.perf_counter()
        outputs.append(run())
        times.append(time.perf_counter() - started)
    return statistics.median(times), outputs[0], all(o == outputs[0] for o in outputs)


def _pages(pdf: bytes, scratch: Path) -> int:
    tool = shutil.which("pdfinfo")
    if tool is None:
        return 0
    path = scratch / "pages.pdf"
    path.write_bytes(pdf)
    info = subprocess.run([tool, str(path)], capture_output=True, text=True,  # noqa: S603
                          check=False)
    for line in info.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def _weasy(data: dict[str, Any]) -> Callable[[], bytes] | None:
    try:  # not a dependency of ejournal: by name, where it is installed
        weasyprint: Any = importlib.import_module("weasyprint")
    except ImportError:
        return None
    from jinja2 import Template

    html = Template(HTML.read_text()).render(d=data)

    def run() -> bytes:
        pdf: bytes = weasyprint.HTML(string=html).write_pdf(
            pdf_variant="pdf/a-2b", uncompressed_pdf=False, custom_metadata=False)
        return pdf

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch_dir, \
            fresh_database("sqlite", Path(scratch_dir)) as database:
        scratch = Path(scratch_dir)
        app = database.app()
        w = world.build(app, students=args.students, tag="bench")
        projector = projector_for(app)
        projector.setup()
        projector.catch_up()
        setup_chain(projector.engine)
        chain = Chain(app.store, projector.reader)
        reader = projector.reader
        term = w.s.periods["I четверть"]
        with snapshot(reader) as (conn, position):
            period = read_period(conn, term)
            assert period is not None
            data, _ = journal_data(conn, w.s.journal, period, stamp(chain, position))
        renderers: list[tuple[str, Callable[[], bytes] | None]] = [
            ("typst 0.15.0 (render only)", lambda: render("journal", data)),
            ("weasyprint (render only)", _weasy(data))]
        for name, run in renderers:
            if run is None:
                rows.append({"what": name, "note": "not installed"})
                continue
            seconds, pdf, same = _median(run, args.reps)
            pages = _pages(pdf, scratch)
            rows.append({"what": name, "seconds": round(seconds, 3), "pages": pages,
                         "s_per_page": round(seconds / max(pages, 1), 4), "bytes": len(pdf),
                         "byte_identical": same})
        whole: list[tuple[str, Callable[[], bytes]]] = [
            ("journal print (snapshot+read+render)",
             lambda: print_journal(reader, chain, w.s.journal, term).pdf),
            ("табель", lambda: print_report_card(reader, chain, w.students[0], w.s.year,
                                                 w.s.school).pdf),
            ("сводная ведомость", lambda: print_summary_sheet(reader, chain, w.s.school_class,
                                                              w.s.year).pdf),
            ("year-end archive", lambda: build(reader, chain, app.store, w.s.school,
                                               w.s.year).content)]
        for name, run in whole:
            seconds, out, same = _median(run, max(1, args.reps // 2))
            rows.append({"what": name, "seconds": round(seconds, 3), "bytes": len(out),
                         "byte_identical": same,
                         **({"pages": _pages(out, scratch)} if out.startswith(b"%PDF") else {})})
        app.close()
    print(f"class of {args.students} students, I четверть (43 maths lessons), "
          f"median of {args.reps}")
    for row in rows:
        print("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "documents.json").write_text(json.dumps(
        {"students": args.students, "reps": args.reps, "rows": rows}, ensure_ascii=False,
        indent=1))


if __name__ == "__main__":
    main()
