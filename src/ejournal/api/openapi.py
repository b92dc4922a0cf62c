"""The served OpenAPI document describes every answer, error answers included.

FastAPI documents what a route returns when it succeeds, and a 422 of its own shape. Every
error of this API is ``application/problem+json`` (``problems.py``), from one table; so the
document gets its error answers from one table too: each operation lists the problem answers
it can give, with the ``Problem`` schema and the headers they carry.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ejournal.api.problems import PROBLEM
from ejournal.api.route_table import declared

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. Domain refusals add `rule` (a requirement id "
                   "of docs/requirements.md, e.g. R-6.1a); validation errors add `errors`, "
                   "each naming a field as `lessons[0].weekday`, or, for an imported file, "
                   "its row (1: the headers; null: the whole file) and column (null: the "
                   "whole row).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "rule": {"type": "string", "examples": ["R-6.1a"]},
        "errors": {"type": "array", "items": {"anyOf": [
            {"type": "object", "required": ["field", "message"],
             "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
            {"type": "object", "required": ["row", "column", "message"],
             "properties": {"row": {"type": ["integer", "null"]},
                            "column": {"type": ["string", "null"]},
                            "message": {"type": "string"}}},
        ]}},
    },
}

WHY = {
    400: "bad input the server could not even read",
    401: "no token, or one that is unknown, expired or revoked",
    403: "a role that may never do this (R-4.4, R-4.9)",
    404: "unknown, or not visible to this user (ids cannot be probed)",
    409: "a conflict with the journal's state, or an Idempotency-Key reused with another body",
    413: "a body over 64 KiB",
    422: "invalid input, naming the field; a mark outside 2-5 has rule R-6.1a",
    429: "too many failed logins: retry after Retry-After seconds",
    503: "the database is unavailable, or a write lost the race for the same records past "
         "its retries: retry after Retry-After seconds",
    507: "the database's disk is full",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying",
                               "schema": {"type": "integer"}}}
HEADERS = {401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
           429: RETRY_AFTER, 503: RETRY_AFTER}

#: Service routes, outside the API's token rules, and the problems each can answer.
PUBLIC = {"/healthz": (503,), "/metrics": (404,)}
LOGIN = "/api/v1/auth/token"


def problem_statuses(path: str, method: str) -> tuple[int, ...]:
    """The error answers an operation can give."""
    if path in PUBLIC:
        return PUBLIC[path]
    if path == LOGIN:
        return 400, 401, 413, 422, 429, 503, 507
    writes = (409,) if method in ("post", "put", "patch", "delete") else ()
    return (400, 401, 403, 404, *writes, 413, 422, 503, 507)


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the ``Problem`` schema and every operation's problem answers to ``schema``, in
    place of FastAPI's own 422 answer (whose schemas then describe nothing and go)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status in problem_statuses(path, method):
                described = {"description": WHY[status], "content": {PROBLEM: {"schema": ref}}}
                if status in HEADERS:
                    described["headers"] = HEADERS[status]
                responses[str(status)] = described
    return schema


def install(app: FastAPI) -> None:
    """Serves the document with every operation's problem answers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_problems(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=declared(app), tags=app.openapi_tags))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
