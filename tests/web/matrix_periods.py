"""The pages' role matrix rows for closing and reopening a period on «Школа» (R-3.4b; added
to ``MATRIX`` by ``test_role_matrix``): the school's admin only (303 back to the page); each
cell closes a period of a year of its own, so that the world's journals stay open."""

from __future__ import annotations

from tests.api.matrix_periods import _period
from tests.api.test_role_matrix import World, statuses
from tests.web.test_role_matrix import Arrange, Req, Row

#                 anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
ADMIN_WRITE = statuses("303  403  ok   403  403  403  403  403  403  404  403  403", 303)


def _arrange(action: str) -> Arrange:
    def arrange(world: World, _: str, __: str) -> Req:
        year, period = _period(world, closed=action == "reopen")
        return Req(f"/school/years/{year}/periods/{period}/{action}",
                   data={"reason": "приказ директора"} if action == "reopen" else {})
    return arrange


PERIOD_PAGES: list[Row] = [
    Row("POST", "/school/years/{year_id}/periods/{period_id}/close", {"school": ADMIN_WRITE},
        _arrange("close"), events=("AcademicYear.PeriodClosed",)),
    Row("POST", "/school/years/{year_id}/periods/{period_id}/reopen", {"school": ADMIN_WRITE},
        _arrange("reopen"), events=("AcademicYear.PeriodReopened",)),
]
