"""The ledger's encoding of an event exactly as stored, and the chain over it (ledger v1).

``record(n) = u64(n) ‖ id ‖ u64(version) ‖ u32(len(topic)) ‖ topic ‖ u32(len(state)) ‖ state``
with ``n`` the event's log position, ``id`` the originator id's 16 bytes, ``topic`` the bytes
of its UTF-8 text and ``state`` the stored bytes; integers big-endian, unsigned. ``head_0`` is
32 zero bytes and ``head_n = sha256(head_prev ‖ record(n))`` over the events in log order
(docs/reliability.md, "Tamper evidence", has an auditor's own script).
"""

from __future__ import annotations

import binascii
import hashlib
import struct
from collections.abc import Iterable
from typing import Any
from uuid import UUID

ZERO = bytes(32)
_RECORD = struct.Struct(">Q16sQI")
_CONTENT = struct.Struct(">16sQI")
_LENGTH = struct.Struct(">I")
_MAX_U64 = 2 ** 64 - 1
#: What a row that cannot be encoded is hashed with: a head no honest log has.
_UNENCODABLE = b"ejournal ledger: a row not as the event store writes one"


class Unencodable(ValueError):
    """A row that is not as the event store writes one: an id that is not a UUID (on SQLite:
    not 32 lower-case hex digits stored as text), a version that is not an integer, a topic
    that is not text, a state that is not bytes. It has no record: it counts as changed."""


def _parts(originator_id: Any, version: Any, topic: Any, state: Any
           ) -> tuple[bytes, int, bytes, bytes]:
    if isinstance(originator_id, UUID):
        raw = originator_id.bytes
    elif (isinstance(originator_id, bytes) and len(originator_id) == 32
          and originator_id == originator_id.lower()):
        try:
            raw = binascii.unhexlify(originator_id)
        except binascii.Error as exc:
            raise Unencodable(f"originator id {originator_id!r} is not hex") from exc
    else:
        raise Unencodable(f"originator id {originator_id!r} is not as the event store writes")
    if type(version) is not int or not 0 <= version <= _MAX_U64:
        raise Unencodable(f"originator version {version!r} is not an integer")
    if isinstance(topic, str):
        name = topic.encode("utf-8")
    elif isinstance(topic, bytes):
        name = topic
    else:
        raise Unencodable(f"topic {topic!r} is not text")
    if isinstance(state, memoryview):
        state = bytes(state)
    if not isinstance(state, bytes):
        raise Unencodable("state is not bytes")
    return raw, version, name, state


def record(position: int, originator_id: Any, version: Any, topic: Any, state: Any) -> bytes:
    """The event at ``position`` as the chain hashes it (``Unencodable`` if it cannot be)."""
    raw, version, name, data = _parts(originator_id, version, topic, state)
    return b"".join((_RECORD.pack(position, raw, version, len(name)), name,
                     _LENGTH.pack(len(data)), data))


def digest(row: tuple[Any, ...]) -> int | None:
    """8 bytes of the SHA-256 of the event's record without its position, as a signed
    integer (None for a row that cannot be encoded). Kept beside each head, it tells an
    event inserted or removed (the others moved) from one changed."""
    try:
        raw, version, name, data = _parts(*row[1:5])
    except Unencodable:
        return None
    body = b"".join((_CONTENT.pack(raw, version, len(name)), name, _LENGTH.pack(len(data)),
                     data))
    return int.from_bytes(hashlib.sha256(body).digest()[:8], "big", signed=True)


def advance(head: bytes, row: tuple[Any, ...]) -> bytes:
    """The head after ``row``, a ``(position, id, version, topic, state)`` of the log."""
    try:
        return hashlib.sha256(head + record(*row[:5])).digest()
    except Unencodable:
        return hashlib.sha256(_UNENCODABLE + head).digest()


def chain(head: bytes, rows: Iterable[tuple[Any, ...]]) -> bytes:
    """The head after these rows, from ``head``."""
    for row in rows:
        head = advance(head, row)
    return head
