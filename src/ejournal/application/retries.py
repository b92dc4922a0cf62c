"""A command that lost a race for the same records is run again from a fresh load: a bounded
number of times, each after a random pause, then it fails with a named error (``TryAgainLater``:
the API's 503 with ``Retry-After``, since the same request may well succeed a moment later).

The attempts after a lost race take turns within the process (one lock): writers of one lesson
that all lost the same race would otherwise race each other again, and the busiest lesson's
last writers could lose every round. First attempts never wait for the lock, so an uncontended
write pays nothing; writers in other processes still race, and the pauses space them out."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import RecordConflictError

from ejournal.domain.errors import ConcurrentWriteConflict

MAX_ATTEMPTS = 10
#: A retry waits a random moment, up to RETRY_JITTER * 2**attempt seconds (at most RETRY_CAP),
#: so that writers racing for the same lesson do not collide again in lockstep, even on a
#: loaded machine where a command's read-decide-write takes long.
RETRY_JITTER = 0.002
RETRY_CAP = 0.25

T = TypeVar("T")

#: Held by a retrying attempt while it runs.
_retrying = threading.Lock()


def retrying(what: str, attempt: Callable[[], T]) -> T:
    """``attempt()`` until it does not raise ``RecordConflictError``, at most MAX_ATTEMPTS
    times; then ``ConcurrentWriteConflict``."""
    for n in range(1, MAX_ATTEMPTS + 1):
        try:
            if n == 1:
                return attempt()
            with _retrying:
                return attempt()
        except RecordConflictError:
            if n == MAX_ATTEMPTS:
                raise ConcurrentWriteConflict(
                    f"{what}: others kept writing the same records; "
                    f"gave up after {MAX_ATTEMPTS} attempts") from None
            pause = min(RETRY_CAP, RETRY_JITTER * 2**n)
            time.sleep(random.uniform(0, pause))  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")  # pragma: no cover
