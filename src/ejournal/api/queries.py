"""Query parameters and headers the reads share: a date range (``from``/``to``, the current
school year when left out), ``as_of`` a moment, and ``X-Log-Position`` to read one's own
write."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Header, Query
from fastapi.exceptions import RequestValidationError

from ejournal.api.requests import LocalDate

From = Annotated[LocalDate | None, Query(alias="from", description="the first date "
                                                                   "(inclusive); left out, "
                                                                   "1 September")]
To = Annotated[LocalDate | None, Query(alias="to", description="the last date (inclusive); "
                                                               "left out, 31 August")]
#: A day asked (``YYYY-MM-DD``); left out, the school's today.
On = Annotated[LocalDate | None, Query(description="the day asked (YYYY-MM-DD); left out, "
                                                   "today (school-local)")]
AsOf = Annotated[datetime | None, Query(description="answer as the journal stood then")]
LogPosition = Annotated[int | None, Header(alias="X-Log-Position", ge=0,
                                           description="wait until the read models hold "
                                                       "this write (read your own write)")]


def school_year(today: date) -> tuple[date, date]:
    """The school year ``today`` falls in: 1 September to 31 August."""
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def span(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """``from``..``to``, each defaulting to its end of the school year of ``today``."""
    default_first, default_last = school_year(today)
    chosen = (first or default_first, last or default_last)
    if chosen[1] < chosen[0]:
        raise RequestValidationError([{"loc": ("query", "from"), "type": "date_order",
                                       "msg": f"`from` ({chosen[0]}) is after `to` "
                                              f"({chosen[1]})"}])
    return chosen


def moment(as_of: datetime | None) -> datetime | None:
    """``as_of`` without a time zone is UTC."""
    if as_of is None:
        return None
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
