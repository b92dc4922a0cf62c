"""A command that lost a race for the same records is run again from a fresh load: a bounded
number of times, each after a random pause, then it fails with a named error (``TryAgainLater``:
the API's 503 with ``Retry-After``, since the same request may well succeed a moment later).

Within one process the writers of one aggregate do not race: they take turns in its lane
(lanes.py). A race is lost to a writer in another process, or by a command that decided with
changes of others that were then not recorded; the pauses space such writers out."""

from __future__ import annotations

import random
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


def retrying(what: str, attempt: Callable[[], T]) -> T:
    """``attempt()`` until it does not raise ``RecordConflictError``, at most MAX_ATTEMPTS
    times; then ``ConcurrentWriteConflict``."""
    for n in range(1, MAX_ATTEMPTS + 1):
        try:
            return attempt()
        except RecordConflictError:
            if n == MAX_ATTEMPTS:
                raise ConcurrentWriteConflict(
                    f"{what}: others kept writing the same records; "
                    f"gave up after {MAX_ATTEMPTS} attempts") from None
            pause = min(RETRY_CAP, RETRY_JITTER * 2**n)
            time.sleep(random.uniform(0, pause))  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")  # pragma: no cover
