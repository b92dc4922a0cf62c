"""Whole read models as comparable values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ejournal.projections.base import ReadModel


def snapshot(engine: Engine, models: list[ReadModel]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of these read models, in a stable order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for model in models:
            for table in model.tables:
                rows = [tuple(row) for row in conn.execute(select(table))]
                tables[table.name] = sorted(rows, key=repr)
    return tables
