"""Batched writes for the projector: single-row INSERTs are held back and sent per table with
``executemany`` (one round trip for many rows), and released before any other statement that
touches the same table, so that every handler still reads what the handlers before it wrote.

Handlers keep writing plain SQLAlchemy statements; only the projector wraps their connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.util import find_tables


class BatchWriter:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        #: per table, runs of rows with the same columns, in the order they were written
        self.pending: dict[Table, list[tuple[frozenset[str], list[dict[str, Any]]]]] = {}

    # --- what handlers call ----------------------------------------------------------------

    def execute(self, statement: Executable, parameters: Any = None) -> Any:
        if isinstance(statement, Insert) and self._hold(statement, parameters):
            return None
        self.flush(self._tables(statement))
        return self.conn.execute(statement, parameters)

    def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        self.flush(self._tables(statement))
        return self.conn.scalar(statement, parameters)

    def scalars(self, statement: Executable, parameters: Any = None) -> Any:
        self.flush(self._tables(statement))
        return self.conn.scalars(statement, parameters)

    # --- buffering ---------------------------------------------------------------------------

    def _hold(self, statement: Insert, parameters: Any) -> bool:
        table = statement.table
        if not isinstance(table, Table) or statement._returning:
            return False
        values = statement._values
        if values and parameters is None:
            row: dict[str, Any] = {}
            for key, value in values.items():
                if not isinstance(value, BindParameter):
                    return False
                row[str(key)] = value.value
            rows = [row]
        elif not values and isinstance(parameters, list) and parameters:
            rows = [dict(p) for p in parameters]
        else:
            return False
        runs = self.pending.setdefault(table, [])
        for row in rows:
            keys = frozenset(row)
            if runs and runs[-1][0] == keys:
                runs[-1][1].append(row)
            else:
                runs.append((keys, [row]))
        return True

    @staticmethod
    def _tables(statement: Executable) -> set[Table] | None:
        try:
            found = find_tables(statement, include_joins=True, include_crud=True)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - unknown statement shape: release everything
            return None
        return {t for t in found if isinstance(t, Table)}

    def flush(self, tables: set[Table] | None = None) -> None:
        """Sends the held rows of these tables (all tables when ``None``)."""
        for table in list(self.pending):
            if tables is not None and table not in tables:
                continue
            for _, rows in self.pending.pop(table):
                self.conn.execute(insert(table), rows)
