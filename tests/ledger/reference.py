"""The ledger's chain computed independently of ejournal's code: the stored rows read with the
database drivers and hashed as docs/reliability.md defines it. Tests compare the application's
heads with these; they also edit, delete and insert rows of the events table here."""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from ejournal.settings import Settings


@contextmanager
def connect(settings: Settings) -> Iterator[Any]:
    """A driver connection to the database of ``settings`` (autocommit), and the name of the
    events table's position column."""
    url = settings.database_url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
        return
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as pg:
        pg.execute(sql.SQL("SET search_path TO {}").format(
            sql.Identifier(settings.database_schema)))
        yield pg


def position_column(settings: Settings) -> str:
    return "rowid" if settings.database_url.startswith("sqlite") else "notification_id"


def table(settings: Settings) -> str:
    """The events table: eventsourcing names it by the application on PostgreSQL."""
    return "stored_events" if settings.database_url.startswith("sqlite") else "ejournal_events"


def execute(settings: Settings, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Runs one SQL statement (``?`` placeholders, ``{pos}`` for the position column and
    ``{table}`` for the events table)."""
    text = statement.format(pos=position_column(settings), table=table(settings))
    with connect(settings) as conn:
        if isinstance(conn, sqlite3.Connection):
            return conn.execute(text, params).fetchall()
        cursor = conn.execute(text.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


def heads(settings: Settings) -> list[tuple[int, str]]:
    """(position, head) after every event of the log, in log order."""
    rows = execute(settings, "SELECT {pos}, originator_id, originator_version, topic, state "
                             "FROM {table} ORDER BY {pos}")
    head, found = bytes(32), []
    for position, oid, version, topic, state in rows:
        raw = oid.bytes if isinstance(oid, uuid.UUID) else bytes.fromhex(oid)
        name = topic.encode()
        head = hashlib.sha256(head + struct.pack(">Q16sQI", position, raw, version, len(name))
                              + name + struct.pack(">I", len(state)) + bytes(state)).digest()
        found.append((position, head.hex()))
    return found


def head_at(settings: Settings, position: int) -> str:
    """The head as of ``position`` (64 zeros before the first event)."""
    before = [h for p, h in heads(settings) if p <= position]
    return before[-1] if before else "0" * 64
