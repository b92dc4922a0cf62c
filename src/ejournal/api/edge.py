"""The one middleware every request crosses (pure ASGI: no task group, no copy of the answer):
a body over its limit is 413, declared or as it arrives; every answer carries the security
headers (the pages' their own policy); each request's metrics and request-log line once it has
been answered (``instrument``). One layer instead of three: each layer wraps ``receive`` and
``send`` again and is a coroutine more on every message of every request."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ejournal.api import problems, request_threads
from ejournal.api.instrument import RequestMetrics

MAX_BODY = 64 * 1024
#: A file to import (a roster of thousands) and its login slips may be larger.
MAX_FILE = 10 * 1024 * 1024
#: Routes that take a homework file, with its limit plus room for the form around it.
FILE_BODIES = (
    (re.compile(r"(/api/v1)?/journals/[^/]+/lessons/[^/]+/attachments"), MAX_FILE, "file"),
)
FORM_ROOM = 64 * 1024

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
#: The pages' policy (ejournal.web): everything from this site, no inline script or style.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def _encoded(headers: dict[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1"))
                 for name, value in headers.items())


_API = _encoded(SECURITY_HEADERS)
_PAGE = _encoded({**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP})


def body_limit(scope: Scope) -> tuple[int, str | None]:
    """The most bytes this request's body may hold, and the form field it carries (if a
    homework file's route)."""
    path = scope.get("path", "")
    if "/imports/" in path or path.endswith("/login-slips"):
        return MAX_FILE, None
    if scope.get("method") == "POST":
        for pattern, most, field in FILE_BODIES:
            if pattern.fullmatch(path):
                return most + FORM_ROOM, field
    return MAX_BODY, None


def too_large(limit: int, field: str | None) -> tuple[str, dict[str, Any]]:
    """The 413's detail and extra members: naming the form field on a file's route."""
    if field is None:
        return f"a body is at most {limit} bytes", {}
    detail = f"{field} is at most {limit - FORM_ROOM} bytes (10 MB)"
    return detail, {"errors": [{"field": field, "message": detail}]}


def secured(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the security headers it does not set itself; an HTML page
    gets the pages' policy."""
    present = set()
    html = False
    for name, value in headers:
        name = name.lower()
        present.add(name)
        if name == b"content-type" and value.startswith(b"text/html"):
            html = True
    return headers + [pair for pair in (_PAGE if html else _API) if pair[0] not in present]


class Edge:
    """The outermost middleware of the application (below uvicorn's proxy headers): a
    declared body over the limit is 413 before anything reads it; a body without
    Content-Length (chunked) is refused with 413 as soon as it passes the limit, before it is
    parsed; then the security headers and the request's metrics. It also names the request's
lane of request threads (``api/request_threads.py``)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_threads.enter(scope["method"])  # the request threads it may take
        limit, field = body_limit(scope)
        declared = 0
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    await self._refuse(scope, receive, send, limit, field, started)
                    return
                declared = int(value)
        status = 500
        sent = 0
        received = 0

        async def counted(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": secured(list(message.get("headers", [])))}
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI passes an HTTPException from reading the body on to the handlers.
                raise HTTPException(413, too_large(limit, field)[0])
            return message

        try:
            await self.app(scope, limited, counted)
        finally:
            self.metrics.observe(scope, status, declared, sent,
                                 time.perf_counter() - started)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int,
                      field: str | None, started: float) -> None:
        detail, extra = too_large(limit, field)
        response = problems.problem(413, detail, headers=SECURITY_HEADERS, **extra)
        sent = len(response.body)
        await response(scope, receive, send)
        length = next((v for n, v in scope["headers"] if n == b"content-length"), b"")
        self.metrics.observe(scope, 413, int(length) if length.isdigit() else 0, sent,
                             time.perf_counter() - started)
