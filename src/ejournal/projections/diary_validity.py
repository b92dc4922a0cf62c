"""The check a kept diary answer must pass (``api/diary_cache.py``): the current versions of
everything a student's diary is made of (``diary_versions.py``), in one indexed statement."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Dialect, Text, Uuid, bindparam, cast, select, union_all

from ejournal.projections.diary import enrolments
from ejournal.projections.diary_versions import CATALOG, EPOCH, versions

#: The versions of what the student's diary is made of (``diary_versions.py``), by key:
#: theirs, their classes' (every class they were ever enrolled in), the catalog's and the
#: epoch - each a primary-key lookup.
_VERSIONS = (
    select(cast(versions.c.key, Text), versions.c.position)
    .where(versions.c.key.in_(union_all(
        select(enrolments.c.class_id).where(enrolments.c.student_id == bindparam("student")),
        *(select(bindparam(name, type_=Uuid)) for name in ("student", "epoch", "catalog")))))
    .order_by(versions.c.key))
Versions = tuple[tuple[str, int], ...]


def read_versions(conn: Connection, student_id: UUID) -> Versions | None:
    """The versions the student's diary answers depend on, in one indexed statement; None
    when the table has no epoch (no answer may then be kept).

    Every diary read runs it, so it goes to the driver as compiled once (a quarter of the
    CPU of SQLAlchemy's execution, and no transaction of its own on SQLite: one statement
    needs none). A driver's error runs it again through SQLAlchemy, which raises it as for
    any statement (and drops a connection that died)."""
    values = {"student": student_id, "epoch": EPOCH, "catalog": CATALOG}
    dialect = conn.dialect
    sql, names, convert = _driver_statement(dialect)
    given = {k: convert(v) for k, v in values.items()} if convert is not None else values
    try:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, [given[n] for n in names] if names is not None else given)
            rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
    except dialect.loaded_dbapi.Error:
        if not conn.in_transaction():
            _end_failed_transaction(conn, dialect)
        rows = [tuple(r) for r in conn.execute(_VERSIONS, values).tuples().all()]
    if not rows or rows[0][0] not in _EPOCH:  # EPOCH sorts before any other key
        return None
    return tuple(rows)


def _end_failed_transaction(conn: Connection, dialect: Dialect) -> None:
    """A driver that began a transaction of its own for the failed statement (psycopg outside
    autocommit) refuses every statement after it until it is rolled back."""
    # A dead connection refuses this too: SQLAlchemy's own attempt then raises and drops it.
    with suppress(dialect.loaded_dbapi.Error):
        conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr]


_STATEMENTS: dict[str, tuple[str, tuple[str, ...] | None, Callable[[Any], Any] | None]] = {}


def _driver_statement(dialect: Dialect
                      ) -> tuple[str, tuple[str, ...] | None, Callable[[Any], Any] | None]:
    """``_VERSIONS`` as this dialect's driver takes it: the SQL, the order of positional
    parameters (None: by name), and SQLAlchemy's own conversion of a UUID for it."""
    found = _STATEMENTS.get(dialect.name)
    if found is None:
        compiled = _VERSIONS.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _STATEMENTS[dialect.name] = (
            compiled.string, names, Uuid().dialect_impl(dialect).bind_processor(dialect))
    return found


#: The epoch's key as SQLite (32 hex digits) and PostgreSQL (8-4-4-4-12) give it as text.
_EPOCH = (EPOCH.hex, str(EPOCH))
