"""The batch writes exactly what SQLAlchemy's own bind processors write: a read model's rows must
not depend on whether they went through the batch or through an SQLAlchemy INSERT (readers
compare them with SQLAlchemy-bound parameters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import BigInteger, Date, DateTime, Integer, String, Text, Uuid
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from ejournal.projections.batching import _column_converter

MSK = timezone(timedelta(hours=3))
VALUES: list[tuple[TypeEngine[Any], list[Any]]] = [
    (Uuid(), [uuid4(), UUID(int=0), UUID(int=(1 << 128) - 1), None]),
    (Date(), [date(2026, 9, 1), date(1, 1, 1), date(999, 12, 31), date(9999, 12, 31), None]),
    (DateTime(timezone=True), [
        datetime(2026, 11, 28, 15, 4, 5, 123456, tzinfo=UTC),
        datetime(2026, 11, 28, 15, 4, 5, tzinfo=UTC),  # no microseconds: still written
        datetime(2026, 11, 28, 18, 4, 5, 7, tzinfo=MSK),
        datetime(2026, 11, 28, 15, 4, 5),  # noqa: DTZ001 - a naive moment is written too
        datetime(999, 1, 2, 3, 4, 5, 6),  # noqa: DTZ001
        date(2026, 11, 28),  # a date where a moment goes: SQLAlchemy writes midnight
        None]),
    (DateTime(), [datetime(2026, 1, 2, 3, 4, 5, 6), None]),  # noqa: DTZ001
    (String(16), ["written", "", None]),
    (Text(), ["Математика", None]),
    (Integer(), [0, 7, None]),
    (BigInteger(), [2**40, None]),
]


@pytest.mark.parametrize("dialect", [sqlite.dialect(),
                                     postgresql.psycopg.dialect()],  # type: ignore[no-untyped-call]
                         ids=["sqlite", "postgresql"])
@pytest.mark.parametrize(("column_type", "values"), VALUES,
                         ids=[repr(t) for t, _ in VALUES])
def test_converted_as_sqlalchemy_binds(dialect: Dialect, column_type: TypeEngine[Any],
                                       values: list[Any]) -> None:
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    expected = [v if processor is None or v is None else processor(v) for v in values]
    convert = _column_converter(column_type, dialect)
    got = values if convert is None else convert(list(values))
    assert got == expected
