"""Each request's metrics and its request-log line, from a pure ASGI middleware.

The route template is the one the router matched for the request (FastAPI leaves it in the
scope as ``route``), so nothing matches the path a second time: a generic instrumentation that
re-resolves the template against every route of the application cost a quarter of a small
request's CPU here (``docs/performance.md``, "A leaner request"). The metric names and labels
are the Prometheus conventions ``docs/api.md`` lists."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ejournal.api import request_log

UNMATCHED = "none"  # a request no route answers (its path as sent is never a label)
FINE = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5,
        7.5, 10, 30, 60)
COARSE = (0.1, 0.5, 1)


class RequestMetrics:
    """``http_requests_total{method, status, handler}``, the request and response sizes by
    handler, ``http_request_duration_seconds{method, handler}`` (few buckets) and
    ``http_request_duration_highr_seconds`` (many buckets, no labels); then the request log's
    line. ``excluded``: templates that are neither counted nor logged (``/metrics``)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry,
                 excluded: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.excluded = excluded
        self.total = Counter("http_requests_total",
                             "Total number of requests by method, status and handler.",
                             ["method", "status", "handler"], registry=registry)
        self.size_in = Summary("http_request_size_bytes",
                               "Content length of incoming requests by handler.",
                               ["handler"], registry=registry)
        self.size_out = Summary("http_response_size_bytes",
                                "Content length of outgoing responses by handler.",
                                ["handler"], registry=registry)
        self.latency = Histogram("http_request_duration_seconds",
                                 "Latency by handler and method, in few buckets.",
                                 ["method", "handler"], buckets=COARSE, registry=registry)
        self.latency_fine = Histogram("http_request_duration_highr_seconds",
                                      "Latency in many buckets, without labels.",
                                      buckets=FINE, registry=registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = 0

        async def counted(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            self.observe(scope, status, sent, time.perf_counter() - started)

    def observe(self, scope: Scope, status: int, sent: int, seconds: float) -> None:
        route = scope.get("route")
        handler = getattr(route, "path", None) or UNMATCHED
        if handler in self.excluded:
            return
        method = scope["method"]
        self.total.labels(method, str(status), handler).inc()
        self.size_in.labels(handler).observe(_declared_length(scope))
        self.size_out.labels(handler).observe(sent)
        self.latency.labels(method, handler).observe(seconds)
        self.latency_fine.observe(seconds)
        principal = scope.get("state", {}).get("principal")
        request_log.line(method, handler, status, seconds, getattr(principal, "user_id", None))


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
