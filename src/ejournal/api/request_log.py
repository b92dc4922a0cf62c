"""The request log: one JSON line per request on the ``ejournal.requests`` logger - method,
route template, status, duration and the user's id - never a path as sent, a query, a header,
a token, a password or a body. The request metrics (``instrument``) call ``line`` once
each request has been answered; ``ejournal serve`` prints the logger to its output unless
``--no-request-log`` (or ``EJOURNAL_REQUEST_LOG=false``)."""

from __future__ import annotations

import json
import logging
import sys
from uuid import UUID

log = logging.getLogger("ejournal.requests")


def line(method: str, route: str, status: int, seconds: float, user_id: UUID | None) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    log.info(json.dumps({"method": method, "route": route, "status": status,
                         "duration_ms": round(seconds * 1000, 1),
                         "user_id": str(user_id) if user_id is not None else None},
                        ensure_ascii=False))


def to_stdout() -> None:
    """The request log on the process's standard output, a line each."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
