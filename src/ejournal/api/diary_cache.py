"""Diary answers kept in memory, per process, and served only while they are still the answer.

An answer (the encoded body of ``GET /students/{id}/diary``) is kept with the versions it was
read at (``projections/diary_versions.py``) under its student, days and the reader's spans
(a teacher sees only some days). Every read first reads the current versions - one indexed
statement, on the connection the answer would be read on (the primary or the replica) - and
serves the kept answer only when they are the same; otherwise it reads the answer afresh
and keeps that instead. Versions are written by the projector in the same transaction as the
diary's rows, so this holds across worker processes and on a streaming replica alike.

The versions are read before the answer: on PostgreSQL (each statement its own snapshot) a
change between the two makes the kept versions older than the answer, and the next read
finds them moved (a wasted refill, never a stale answer). An answer whose versions have no
epoch (the table was made some other way) is served but not kept.

The cache is bounded by bytes (``EJOURNAL_DIARY_CACHE_MIB``; 0 turns it off, and the
versions are then not read either): the least recently served answers go first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Connection

from ejournal.projections.diary_validity import Versions, read_versions

#: What an entry costs beside its body: the key, the versions, the dictionary's slot.
ENTRY_OVERHEAD = 512


@dataclass(frozen=True)
class Answer:
    body: bytes
    #: The versions it holds for (None: not known, the answer is not kept).
    versions: Versions | None
    hit: bool

    def etag(self, key: Hashable) -> str | None:
        """A strong validator of this answer to this question: the same only while the
        versions (with their epoch) have not moved."""
        if self.versions is None:
            return None
        digest = hashlib.blake2b(repr((key, self.versions)).encode(), digest_size=12)
        return f'"d{digest.hexdigest()}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (or is ``*``); a weak form compares alike (RFC 9110
    13.1.2: the weak comparison)."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


class DiaryCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Versions, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size(self) -> int:
        """Bytes held (bodies and their overhead)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def answer(self, conn: Connection, key: Hashable, student_id: UUID,
               build: Callable[[Connection], bytes]) -> Answer:
        """The kept answer to ``key`` if its versions are the student's current ones, else
        ``build(conn)`` (kept from now on)."""
        if self.max_bytes <= 0:
            return Answer(build(conn), None, hit=False)
        current = read_versions(conn, student_id)
        if current is not None:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found[0] == current:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return Answer(found[1], current, hit=True)
        body = build(conn)
        with self._lock:
            self.misses += 1
            if current is not None:
                self._keep(key, current, body)
        return Answer(body, current, hit=False)

    def _keep(self, key: Hashable, versions: Versions, body: bytes) -> None:
        cost = len(body) + ENTRY_OVERHEAD
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1]) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        self._entries[key] = (versions, body)
        self._bytes += cost
        while self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= len(dropped) + ENTRY_OVERHEAD
