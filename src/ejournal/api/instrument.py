"""Each request's metrics and its request-log line, observed by the application's one
middleware (``edge``) once the request has been answered.

The route template is the one the router matched for the request (FastAPI leaves it in the
scope as ``route``), so nothing matches the path a second time: a generic instrumentation that
re-resolves the template against every route of the application cost a quarter of a small
request's CPU here (``docs/performance.md``, "The stack's cost per request"). The metric names
and labels are the Prometheus conventions ``docs/api.md`` lists."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from starlette.types import Scope

from ejournal.api import request_log

UNMATCHED = "none"  # a request no route answers (its path as sent is never a label)
FINE = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5,
        7.5, 10, 30, 60)
COARSE = (0.1, 0.5, 1)
#: Label sets whose children are kept (routes x methods x statuses: a few hundred in use).
KEPT = 4096


class RequestMetrics:
    """``http_requests_total{method, status, handler}``, the request and response sizes by
    handler, ``http_request_duration_seconds{method, handler}`` (few buckets) and
    ``http_request_duration_highr_seconds`` (many buckets, no labels); then the request log's
    line. ``excluded``: templates that are neither counted nor logged (``/metrics``)."""

    def __init__(self, registry: CollectorRegistry,
                 excluded: frozenset[str] = frozenset()) -> None:
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

        # Each label set's children, found once: ``labels()`` validates and locks each time.
        self._children: dict[tuple[str, int, str], tuple[Any, Any, Any, Any]] = {}

    def observe(self, scope: Scope, status: int, received: int, sent: int,
                seconds: float) -> None:
        """``received``: the body's declared length (0 if none)."""
        route = scope.get("route")
        handler = getattr(route, "path", None) or UNMATCHED
        if handler in self.excluded:
            return
        method = scope["method"]
        key = (method, status, handler)
        children = self._children.get(key)
        if children is None:
            children = (self.total.labels(method, str(status), handler),
                        self.size_in.labels(handler), self.size_out.labels(handler),
                        self.latency.labels(method, handler))
            if len(self._children) < KEPT:
                self._children[key] = children
        total, size_in, size_out, latency = children
        total.inc()
        size_in.observe(received)
        size_out.observe(sent)
        latency.observe(seconds)
        self.latency_fine.observe(seconds)
        principal = scope.get("state", {}).get("principal")
        request_log.line(method, handler, status, seconds, getattr(principal, "user_id", None))
