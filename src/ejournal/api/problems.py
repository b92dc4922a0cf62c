"""Errors as ``application/problem+json`` (RFC 9457), from one table.

Domain refusals carry their rule id; validation errors carry ``errors: [{field, message}]``.
A mark value outside 2-5 is 422 with ``rule: "R-6.1a"`` wherever it is caught.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy.exc
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ejournal.application.storage import storage_failure
from ejournal.domain.errors import (
    ConflictWithJournal,
    DomainError,
    InvalidEntry,
    NotFound,
    NotPermitted,
    TryAgainLater,
)

PROBLEM = "application/problem+json"
#: The ``type`` of a problem a client acts on ends in its kind: ``…:mfa-required``.
PROBLEM_TYPE = "urn:ejournal:problem:"


class Refusal(NotPermitted):
    """A 403 of a kind a client acts on (``password-change-required``, ...)."""

    def __init__(self, detail: str, *, kind: str) -> None:
        super().__init__(detail)
        self.kind = kind


class TypedHTTPException(StarletteHTTPException):
    """An HTTP refusal whose problem ``type`` names its kind (``mfa-required``)."""

    def __init__(self, status_code: int, detail: str, *, kind: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, detail, headers=headers)
        self.kind = kind

#: The one table from domain error kinds to HTTP statuses.
STATUS: tuple[tuple[type[DomainError], int, str], ...] = (
    (InvalidEntry, 422, "The entry breaks a rule"),
    (ConflictWithJournal, 409, "Conflict with the journal"),
    (NotFound, 404, "Not found"),
    (NotPermitted, 403, "Not permitted"),
    (TryAgainLater, 503, "Try again"),
)

TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Not permitted", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
          500: "Internal error", 503: "Service unavailable", 507: "Insufficient storage"}
#: Seconds a client should wait before retrying when the database is unavailable.
RETRY_AFTER = "2"
#: ... and when others kept winning the race for the same records (a moment is enough).
RETRY_CONTENDED = "1"
#: What the database drivers raise; ``storage_failure`` tells an outage from a bug.
STORAGE_ERRORS = (PersistenceError, sqlalchemy.exc.DBAPIError, psycopg.Error, sqlite3.Error)
log = logging.getLogger("ejournal.api")


def problem(status: int, detail: str, *, title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Error"),
            "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def domain_problem(exc: DomainError) -> JSONResponse:
    for kind, status, title in STATUS:
        if isinstance(exc, kind):
            extra: dict[str, Any] = {}
            if exc.rule:
                extra["rule"] = exc.rule
            if exc.field and status in (409, 422):
                extra["errors"] = [{"field": exc.field, "message": exc.detail}]
            if isinstance(exc, Refusal):
                extra["type"] = PROBLEM_TYPE + exc.kind
            headers = {"Retry-After": RETRY_CONTENDED} if status == 503 else None
            return problem(status, exc.detail, title=title, headers=headers, **extra)
    return problem(400, exc.detail, rule=exc.rule)


def _field_name(loc: tuple[Any, ...]) -> str:
    """A field's path as the domain names it: ``lessons[0].weekday`` (brackets for list
    items, dots for nested fields), so that a shape error and a domain refusal of the same
    field name it alike; the part of the request (body, query, ...) is left out."""
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


#: Statuses that refuse access: no or bad token, a role that may never, not visible.
REFUSALS = frozenset({401, 403, 404})


def install(app: FastAPI, on_refusal: Callable[[Request, int], None] | None = None) -> None:
    """Problem+json for every error; ``on_refusal`` is told of each refused access (401, 403,
    404) so that it can be audited."""

    async def refused(request: Request, response: JSONResponse) -> JSONResponse:
        if on_refusal is not None and response.status_code in REFUSALS:
            await run_in_threadpool(on_refusal, request, response.status_code)
        return response

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return await refused(request, domain_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # A body that is not JSON at all is the body's fault, not that of the offset where
        # the parser gave up (which its ``loc`` names).
        errors = [{"field": "body" if e.get("type") == "json_invalid"
                   else _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
                  for e in exc.errors()]
        extra: dict[str, Any] = {"errors": errors}
        if any(e["field"].split(".")[-1] == "value" for e in errors):
            extra["rule"] = "R-6.1a"
        return problem(422, "the request does not validate", **extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        extra = {"type": PROBLEM_TYPE + exc.kind} if isinstance(exc, TypedHTTPException) \
            else {}
        return await refused(request, problem(exc.status_code, str(exc.detail),
                                              headers=headers, **extra))

    async def _storage(_: Request, exc: Exception) -> JSONResponse:
        # The database is down, read-only, locked beyond the timeout or full: 503/507 with
        # Retry-After, never a 500 (a refused write wrote nothing: one transaction). Anything
        # else from the driver is a bug and goes on to the 500 below.
        failure = storage_failure(exc)
        if failure is None:
            raise exc
        # The driver's own words (no SQL parameters, no credentials) for the operator.
        log.warning("%s %s: %s: %s", failure.status, failure.detail, type(exc).__name__,
                    str(exc).splitlines()[0][:300] if str(exc) else "")
        return problem(failure.status, f"{failure.detail}; retry later (a write: with the "
                       "same Idempotency-Key)", headers={"Retry-After": RETRY_AFTER})

    for kind in STORAGE_ERRORS:
        app.add_exception_handler(kind, _storage)
