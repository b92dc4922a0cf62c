"""The school's closed periods as the late-entry audit shows them (R-3.4b): each closing and
reopening of a period, with who, when and why, read from the events of the school's years
(a school has a few years, each a few events), the names from the lookups read model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import select

from ejournal.api.services import Services
from ejournal.domain.school import AcademicYear
from ejournal.projections.base import as_utc, reading
from ejournal.projections.lookups import people, years


class PeriodClosureOut(BaseModel):
    period_id: UUID
    period_name: str
    starts_on: date
    ends_on: date
    action: Literal["closed", "reopened"]
    reason: str | None = Field(description="why it was reopened; null for a closing")
    by: UUID
    by_name: str
    recorded_at: datetime


def period_closures(svc: Services, school_id: UUID, first: date, last: date
                    ) -> list[PeriodClosureOut]:
    """Closings and reopenings of the school's periods that overlap ``first``..``last``,
    oldest first."""
    with reading(svc.reader) as conn:
        year_ids = list(conn.scalars(select(years.c.year_id)
                                     .where(years.c.school_id == school_id)))
    found: list[tuple[datetime, AcademicYear.PeriodClosed | AcademicYear.PeriodReopened,
                      AcademicYear]] = []
    for year in svc.app.load_many([UUID(str(y)) for y in year_ids]).values():
        if not isinstance(year, AcademicYear):
            continue
        for event in svc.app.events.get(year.id):
            if isinstance(event, AcademicYear.PeriodClosed | AcademicYear.PeriodReopened):
                period = year.periods[event.period_id]
                if period.starts_on <= last and period.ends_on >= first:
                    found.append((as_utc(event.timestamp), event, year))
    if not found:
        return []
    with reading(svc.reader) as conn:
        names = dict(conn.execute(select(people.c.user_id, people.c.full_name).where(
            people.c.user_id.in_({e.by for _, e, _ in found}))).tuples().all())
    return [PeriodClosureOut(
        period_id=e.period_id, period_name=year.periods[e.period_id].name,
        starts_on=year.periods[e.period_id].starts_on, ends_on=year.periods[e.period_id].ends_on,
        action="closed" if isinstance(e, AcademicYear.PeriodClosed) else "reopened",
        reason=getattr(e, "reason", None), by=e.by, by_name=names.get(e.by, ""),
        recorded_at=at) for at, e, year in sorted(found, key=lambda f: f[0])]
