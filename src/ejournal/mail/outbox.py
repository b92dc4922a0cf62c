"""The outbox as the sender sees it: what is due, claiming a delivery key, and recording
each attempt - each in a short transaction of its own, so that a journal write never waits
for mail.

Exactly once per recipient and cause: a key is sent only by the sender that claimed it
(an insert, or an update guarded by its state, that only one transaction wins), and ``sent``
is final. A sender that dies holding a key (between the SMTP server's acceptance and its own
record of it, the one window) leaves it ``sending`` until its lease ends; the mail's
``Message-ID`` is the key's, so a repeat in that window is recognisable as the same mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.projections.base import as_utc
from ejournal.projections.notify import deliveries, outbox

MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Due:
    key: str
    id: UUID
    recipient_id: UUID
    email: str
    digest: bool
    subject: str
    body: str
    created_at: datetime


def due(engine: Engine, now: datetime, limit: int = 500) -> list[Due]:
    """Rows due by ``now`` not sent, not failed and not held by a live lease, oldest first."""
    query = (select(outbox).outerjoin(deliveries, deliveries.c.key == outbox.c.key)
             .where(outbox.c.due_at <= now,
                    or_(deliveries.c.key.is_(None),
                        and_(deliveries.c.status == "pending",
                             deliveries.c.next_attempt_at <= now),
                        and_(deliveries.c.status == "sending",
                             deliveries.c.lease_until < now)))
             .order_by(outbox.c.position, outbox.c.key).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [Due(r.key, r.id, r.recipient_id, r.email, bool(r.digest), r.subject, r.body,
                as_utc(r.created_at)) for r in rows]


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(deliveries)


def claim(engine: Engine, key: str, now: datetime, lease: timedelta) -> bool:
    """Takes the key for this sender until ``now + lease``; False if another has it."""
    until = now + lease
    with engine.begin() as conn:
        made = conn.execute(_insert(conn).values(
            key=key, status="sending", attempts=0, next_attempt_at=None, lease_until=until,
            sent_at=None, error=None).on_conflict_do_nothing().returning(deliveries.c.key))
        if made.first() is not None:  # (psycopg answers no rowcount for this insert)
            return True
        taken = conn.execute(update(deliveries).where(
            deliveries.c.key == key,
            or_(and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now),
                and_(deliveries.c.status == "sending", deliveries.c.lease_until < now)))
            .values(status="sending", lease_until=until))
        return bool(taken.rowcount == 1)


def sent(engine: Engine, keys: list[str], at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(deliveries).where(deliveries.c.key.in_(keys)).values(
            status="sent", sent_at=at, lease_until=None, error=None,
            attempts=deliveries.c.attempts + 1))


def failed(engine: Engine, keys: list[str], at: datetime, error: str, *, permanent: bool,
           backoff: Callable[[int], timedelta]) -> None:
    """An attempt failed: tried again after ``backoff(attempts before)``, or - refused for
    good, or after ``MAX_ATTEMPTS`` - ``failed``."""
    with engine.begin() as conn:
        for key in keys:
            attempts = int(conn.execute(select(deliveries.c.attempts).where(
                deliveries.c.key == key)).scalar() or 0) + 1
            final = permanent or attempts >= MAX_ATTEMPTS
            conn.execute(update(deliveries).where(deliveries.c.key == key).values(
                status="failed" if final else "pending", attempts=attempts,
                next_attempt_at=None if final else at + backoff(attempts - 1), lease_until=None,
                error=error[:500]))


def of_recipient(conn: Connection, recipient_id: UUID) -> list[Any]:
    """A user's notifications, oldest first, with their delivery's state."""
    return list(conn.execute(
        select(outbox.c.id, outbox.c.cause, outbox.c.created_at, outbox.c.subject,
               deliveries.c.status, deliveries.c.sent_at, deliveries.c.error)
        .outerjoin(deliveries, deliveries.c.key == outbox.c.key)
        .where(outbox.c.recipient_id == recipient_id)
        .order_by(outbox.c.position, outbox.c.key)).all())
