"""Export (R-3.4c): a journal's period as XLSX (sheets «Журнал» and «Итоги») or CSV (the first
sheet, UTF-8 with BOM and ``;``, as Russian Excel opens it) - who may read the grid."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from ejournal.api.access import log_access, may_read_journal
from ejournal.api.consistency import OwnWritesSeen
from ejournal.api.deps import JournalReader, ServicesDep
from ejournal.domain.errors import NotFound
from ejournal.projections import lookup_reads
from ejournal.projections import summary as summaries
from ejournal.projections.grid import read_grid
from ejournal.sheets import tables
from ejournal.sheets.journal import grid_sheet, summary_sheet

router = APIRouter(prefix="/api/v1", tags=["files"])
Format = Annotated[Literal["xlsx", "csv"], Query(alias="format",
                                                 description="xlsx (default) or csv")]
XLSX_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {tables.XLSX_TYPE: {}, "text/csv": {}}, "description": "the file"}}


def attachment(content: bytes, media_type: str, name: str) -> Response:
    """The file as a download named ``name`` (its Cyrillic kept by RFC 5987)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name)}"})


def sheets_answer(sheets: list[tables.Sheet], fmt: str, stem: str) -> Response:
    if fmt == "csv":
        return attachment(tables.write_csv(sheets[0]), tables.CSV_TYPE, f"{stem}.csv")
    return attachment(tables.write_xlsx(sheets), tables.XLSX_TYPE, f"{stem}.xlsx")


@router.get("/journals/{journal_id}/export", responses=XLSX_ANSWER, response_class=Response,
            summary="The journal's period as XLSX («Журнал», «Итоги») or CSV")
def export_journal(svc: ServicesDep, user: JournalReader, journal_id: UUID,
                   period_id: Annotated[UUID, Query()], fmt: Format = "xlsx",
                   _: OwnWritesSeen = None) -> Response:
    may_read_journal(svc, user, journal_id)
    found = svc.app.journal(journal_id)
    weights = svc.app.work_weights(found.school_id) if found is not None else None
    with svc.reader.connect() as conn:
        summary = summaries.read_summary(conn, journal_id, period_id, weights)
        first, last = conn.execute(
            select(summaries.periods.c.starts_on, summaries.periods.c.ends_on)
            .where(summaries.periods.c.period_id == period_id)).one()
        grid = read_grid(conn, journal_id, first, last)
        detail = lookup_reads.read_journal(conn, journal_id)
    if detail is None:
        raise NotFound(f"no journal {journal_id}", field="journal_id")
    log_access(svc, user, (s.id for s in grid.students), "export", svc.now())
    stem = f"{detail.journal.class_name} {detail.journal.subject_name} {first:%Y-%m-%d}"
    return sheets_answer([grid_sheet(grid), summary_sheet(summary)], fmt, stem)
