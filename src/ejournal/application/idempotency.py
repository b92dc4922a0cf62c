"""Idempotency keys: a receipt saved in the same transaction as the write it answers.

A repeat of the same request under the same key returns the first answer and writes nothing;
the same key with another request is refused. "The same request" is the command's whole value:
its class and every field (``fingerprint``), so no field can be left out of the comparison.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.utils import register_topic

from ejournal.application.commands import Command
from ejournal.application.results import R, Result, answer_of, replayed_from
from ejournal.domain import ids
from ejournal.domain.base import JournalAggregate
from ejournal.domain.errors import IdempotencyKeyReused, InvalidEntry, NotPermitted


class CommandReceipt(JournalAggregate):
    """An idempotency key's record: who, which command, its fingerprint and its answer."""

    class Issued(JournalAggregate.Created):
        user_id: UUID
        command: str
        fingerprint: str
        answer: dict[str, Any]

    def __init__(self, user_id: UUID, command: str, fingerprint: str,
                 answer: dict[str, Any]) -> None:
        self.user_id = user_id
        self.command = command
        self.fingerprint = fingerprint
        self.answer = answer


# The topic of the receipts of the first layout (module ``service``, no longer there).
register_topic("ejournal.application.service:CommandReceipt", CommandReceipt)


def fingerprint(command: Command[Any]) -> str:
    """A digest of the command's class and every field's value."""
    blob = json.dumps([type(command).__name__, asdict(command)],
                      sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Key:
    """An idempotency key as a user gave it with a command."""

    user_id: UUID
    receipt_id: UUID
    fingerprint: str

    @classmethod
    def of(cls, command: Command[Any], key: str | None) -> Key | None:
        if key is None:
            return None
        user_id: UUID | None = getattr(command, "actor_id", None)
        if user_id is None:
            raise NotPermitted("idempotency keys belong to a user")
        if not key or len(key) > 255:
            raise InvalidEntry("an idempotency key is 1-255 characters",
                               field="Idempotency-Key")
        return cls(user_id, uuid5(ids.NAMESPACE, f"receipt/{user_id}/{key}"),
                   fingerprint(command))

    def replay(self, repository: Repository[UUID], kind: type[R],
               head: int | None) -> R | None:
        """The first answer, if this key was used already (with this very request: else
        ``IdempotencyKeyReused``). Its write is at or before the log's ``head``, so a reader
        waiting on that position sees it."""
        try:
            receipt: object = repository.get(self.receipt_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(receipt, CommandReceipt):  # pragma: no cover - ids are namespaced
            raise TypeError(f"{self.receipt_id} is not a receipt")
        if receipt.fingerprint != self.fingerprint:
            raise IdempotencyKeyReused("this idempotency key was used with a different request")
        return replayed_from(kind, receipt.answer, head)

    def receipt(self, command: Command[Any], result: Result, at: datetime) -> CommandReceipt:
        return CommandReceipt._start(
            CommandReceipt.Issued, id=self.receipt_id, at=at, user_id=self.user_id,
            command=type(command).__name__, fingerprint=self.fingerprint,
            answer=answer_of(result))
