"""The request log: one JSON line per request on the ``ejournal.requests`` logger - method,
route template, status, duration and the user's id - never a path as sent, a query, a header,
a token, a password or a body. prometheus-fastapi-instrumentator calls ``line`` once each
request has been answered; ``ejournal serve`` prints the logger to its output unless
``--no-request-log`` (or ``EJOURNAL_REQUEST_LOG=false``)."""

from __future__ import annotations

import json
import logging
import sys

from prometheus_fastapi_instrumentator.metrics import Info

log = logging.getLogger("ejournal.requests")


def line(info: Info) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    principal = getattr(info.request.state, "principal", None)
    user_id = getattr(principal, "user_id", None)
    log.info(json.dumps({"method": info.method, "route": info.modified_handler,
                         "status": int(info.modified_status) if info.modified_status.isdigit()
                         else info.modified_status,
                         "duration_ms": round(info.modified_duration * 1000, 1),
                         "user_id": str(user_id) if user_id is not None else None},
                        ensure_ascii=False))


def to_stdout() -> None:
    """The request log on the process's standard output, a line each."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
