"""The role matrix's rows for closed periods (R-3.4b; a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): the operator and the school's admin close and
reopen a period, nobody else; each cell closes a period of a year of its own, so that the
world's journals stay open."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ejournal.application.commands import ClosePeriod, PlanYear
from tests.api.test_role_matrix import STRUCTURE, Arrange, Cell, Req, Row, World, statuses


def _period(world: World, closed: bool) -> tuple[UUID, UUID]:
    """A year of its own (far in the future, one period), its period closed if ``closed``."""
    n = world.n()
    first, last = date(2100 + n, 9, 1), date(2101 + n, 5, 31)
    planned = world.app.execute(PlanYear(world.admin, world.school, name=f"Год {2100 + n}",
                                         starts_on=first, ends_on=last, days_per_week=5,
                                         periods=[("Год", first, last)]))
    period = planned.periods["Год"]
    if closed:
        world.app.execute(ClosePeriod(world.admin, world.school, planned.id, period))
    world.server.caught_up()
    return planned.id, period


def _arrange(action: str) -> Arrange:
    def arrange(world: World, _: str, __: str) -> Req:
        year, period = _period(world, closed=action == "reopen")
        return Req(f"/api/v1/schools/{world.school}/periods/{period}/{action}",
                   json={"reason": "приказ директора"} if action == "reopen" else None,
                   note={"year": year, "period": period})
    return arrange


def _verify(cell: Cell) -> None:
    period = cell.req.note["period"]
    assert cell.body == {"period_id": str(period), "closed": cell.req.path.endswith("/close")}
    (event,) = cell.written
    assert (event.originator_id, event.period_id, event.by) == (
        cell.req.note["year"], period, cell.viewer)
    if not cell.body["closed"]:
        assert event.reason == "приказ директора"


def _unchanged(cell: Cell) -> None:
    year = cell.world.app.repository.get(cell.req.note["year"])
    assert (cell.req.note["period"] in year.closed) == cell.req.path.endswith("/reopen")


PERIOD_ROWS: list[Row] = [
    Row("POST", "/api/v1/schools/{school_id}/periods/{period_id}/close",
        {"school": statuses(STRUCTURE, 201)}, _arrange("close"),
        ("AcademicYear.PeriodClosed",), _verify, unchanged=_unchanged),
    Row("POST", "/api/v1/schools/{school_id}/periods/{period_id}/reopen",
        {"school": statuses(STRUCTURE, 201)}, _arrange("reopen"),
        ("AcademicYear.PeriodReopened",), _verify, unchanged=_unchanged),
]
