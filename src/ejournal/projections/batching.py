"""What read-model handlers write through: a batch that holds writes back and sends them in
bulk, a table at a time and in order, so a projector batch of a thousand events costs tens of
statements, not thousands. A read through the batch first sends what is held for the tables it
touches, so every handler reads what the handlers before it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import sql as psycopg_sql
from sqlalchemy import Connection, Dialect, Result, Table, insert
from sqlalchemy.sql import Executable
from sqlalchemy.sql.util import find_tables
from sqlalchemy.types import TypeEngine


def _tables_of(statement: Executable) -> frozenset[Table] | None:
    """Every table the statement reads or writes; None when it cannot be told."""
    try:
        found = find_tables(statement, include_joins=True, include_crud=True)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - unknown statement shape: treat as touching everything
        return None
    return frozenset(t for t in found if isinstance(t, Table))


@dataclass(frozen=True, eq=False)
class Prepared:
    """A write statement built once, with bind parameters, run many times by handlers."""

    statement: Executable
    tables: frozenset[Table] | None


def prepare(statement: Executable) -> Prepared:
    return Prepared(statement, _tables_of(statement))


def _column_converter(column_type: TypeEngine[Any], dialect: Dialect
                      ) -> Callable[[list[Any]], list[Any]] | None:
    """How a column's values go to the driver: SQLAlchemy's own bind processor for the type,
    a column at a time (None when the driver takes the values as they are)."""
    sa = column_type.dialect_impl(dialect).bind_processor(dialect)
    if sa is None:
        return None

    def convert(values: list[Any]) -> list[Any]:
        return [None if v is None else sa(v) for v in values]

    return convert


@dataclass(frozen=True)
class _RowInsert:
    """An INSERT of some columns of a table as the driver takes it: the SQL SQLAlchemy compiles
    for this database, and for each column SQLAlchemy's own conversion of a value (a UUID, a
    date, a moment), so that rows are stored exactly as an SQLAlchemy INSERT stores them."""

    sql: str
    columns: tuple[str, ...]  # in the order of the statement's parameters
    convert: tuple[Callable[[list[Any]], list[Any]] | None, ...]
    positional: bool

    def tuples(self, rows: list[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows' converted values in the order of :attr:`columns` (converted a column at a
        time: cheaper)."""
        columns = []
        for column, convert in zip(self.columns, self.convert, strict=True):
            values = [row[column] for row in rows]
            columns.append(values if convert is None else convert(values))
        return list(zip(*columns, strict=True))

    def rows(self, rows: list[Mapping[str, Any]]) -> list[Any]:
        """The rows as the driver's ``executemany`` takes them."""
        values = self.tuples(rows)
        if self.positional:
            return values
        return [dict(zip(self.columns, v, strict=True)) for v in values]


_ROW_INSERTS: dict[tuple[str, Table, tuple[str, ...]], _RowInsert] = {}


def _row_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _RowInsert:
    key = (dialect.name, table, columns)
    found = _ROW_INSERTS.get(key)
    if found is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        order = tuple(compiled.positiontup or ()) if compiled.positional else columns
        if sorted(order) != sorted(columns):
            raise ValueError(f"unexpected parameters {order} for {table.name} {columns}")
        convert = tuple(_column_converter(table.c[c].type, dialect) for c in order)
        found = _ROW_INSERTS[key] = _RowInsert(compiled.string, order, convert,
                                               compiled.positional)
    return found


class Batch:
    """One model's writes of one projector batch. ``remembered`` is the model's scratch memo for
    this batch alone: it cannot outlive a rolled-back batch or miss another process's."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.remembered: dict[Any, Any] = {}
        #: per table, runs of held writes in order: (the columns of an INSERT or a prepared
        #: statement, parameter rows)
        self._held: dict[Table, list[tuple[tuple[str, ...] | Prepared,
                                           list[Mapping[str, Any]]]]] = {}

    # --- writes, held back -----------------------------------------------------------------

    def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        what = tuple(row)
        runs = self._held.get(table)
        if runs is not None and runs[-1][0] == what:
            runs[-1][1].append(row)
        else:
            self._hold(table, what, row)

    def insert_many(self, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.insert(table, row)

    def run(self, prepared: Prepared, params: Mapping[str, Any]) -> None:
        if prepared.tables is not None and len(prepared.tables) == 1:
            (table,) = prepared.tables  # it touches one table: it waits in that table's queue
            self._hold(table, prepared, params)
        else:
            self.flush(prepared.tables)
            self.conn.execute(prepared.statement, params)

    def _hold(self, table: Table, what: tuple[str, ...] | Prepared,
              params: Mapping[str, Any]) -> None:
        runs = self._held.get(table)
        if runs is None:
            self._held[table] = [(what, [params])]
        elif runs[-1][0] == what:
            runs[-1][1].append(params)
        else:
            runs.append((what, [params]))

    # --- everything else, at once ----------------------------------------------------------

    def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        self.flush(_tables_of(statement))
        return self.conn.execute(statement, parameters)

    def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        self.flush(_tables_of(statement))
        return self.conn.scalar(statement, parameters)

    def scalars(self, statement: Executable, parameters: Any = None) -> Any:
        self.flush(_tables_of(statement))
        return self.conn.scalars(statement, parameters)

    def flush(self, tables: Iterable[Table] | None = None) -> None:
        """Sends the held writes of these tables (of every table when ``None``)."""
        chosen = list(self._held) if tables is None else [t for t in tables if t in self._held]
        for table in chosen:
            for what, rows in self._held.pop(table):
                if isinstance(what, Prepared):
                    self.conn.execute(what.statement, rows)
                elif self._raw_dialect is not None:
                    self._insert_rows(table, what, rows)
                else:
                    self.conn.execute(insert(table), rows)

    @property
    def _raw_dialect(self) -> Dialect | None:
        """The dialect when held rows may go to the driver directly (SQLite, PostgreSQL)."""
        dialect = self.conn.dialect
        return dialect if dialect.name in ("sqlite", "postgresql") else None

    def _insert_rows(self, table: Table, columns: tuple[str, ...],
                     rows: list[Mapping[str, Any]]) -> None:
        """Held INSERT rows straight to the driver, in the batch's transaction: SQLAlchemy's
        per-row bookkeeping is most of a rebuild's cost, and these rows need none of it (no
        defaults, no RETURNING). SQLite takes them with ``executemany``; PostgreSQL with
        ``COPY ... FROM STDIN``, one round trip for all of them instead of one per row."""
        statement = _row_insert(self.conn.dialect, table, columns)
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if self.conn.dialect.name == "postgresql":
                copy_sql = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
                    psycopg_sql.Identifier(table.name),
                    psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, statement.columns)))
                with cursor.copy(copy_sql) as copy:
                    for row in statement.tuples(rows):
                        copy.write_row(row)
            else:
                cursor.executemany(statement.sql, statement.rows(rows))
        finally:
            cursor.close()
