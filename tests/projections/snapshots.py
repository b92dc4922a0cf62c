"""Whole read models as comparable values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ejournal.projections.base import ReadModel
from ejournal.projections.diary_versions import EPOCH, versions


def snapshot(engine: Engine, models: list[ReadModel]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of these read models, in a stable order - but the diary's
    epoch, drawn anew whenever its table is made (``diary_versions.py``)."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for model in models:
            for table in model.tables:
                query = select(table)
                if table is versions:
                    query = query.where(versions.c.key != EPOCH)
                rows = [tuple(row) for row in conn.execute(query)]
                tables[table.name] = sorted(rows, key=repr)
    return tables
