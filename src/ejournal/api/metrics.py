"""``GET /metrics`` in Prometheus text: requests by route template and status with latency
histograms (``instrument``, observed by ``edge``), commands by kind and result, the
scheduler's runs, each read model's lag behind the log, read when scraped, a replica's lag
and the reads it served (``api/replicas.py``), and the diary cache's hits, misses and size.
Served only to the
addresses in ``EJOURNAL_METRICS_ALLOW`` (loopback by default); anyone else gets 404."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ejournal.api.instrument import RequestMetrics
from ejournal.api.services import Services
from ejournal.application.storage import storage_failure
from ejournal.settings import Settings, networks

log = logging.getLogger(__name__)
PATH = "/metrics"


class ProjectionLag(Collector):
    """Each read model's position, the log's head and the events between them, when scraped
    (one small query each); nothing while the database does not answer."""

    def __init__(self) -> None:
        self.services: Services | None = None

    def collect(self) -> Iterator[Metric]:
        if self.services is None:
            return
        try:
            statuses = self.services.projector.statuses()
        except Exception as exc:
            if storage_failure(exc) is None:
                raise
            log.warning("metrics: the read models' positions are unavailable: %s",
                        type(exc).__name__)
            return
        lag = GaugeMetricFamily("ejournal_projection_lag_events",
                                "events in the log a read model has not applied yet",
                                labels=["read_model"])
        failed = GaugeMetricFamily("ejournal_projection_failed",
                                   "1 when a read model stopped on an error", labels=["read_model"])
        for status in statuses:
            lag.add_metric([status.name], status.lag)
            failed.add_metric([status.name], 0 if status.error is None else 1)
        head = GaugeMetricFamily("ejournal_log_head", "the position of the log's last event")
        head.add_metric([], statuses[0].head if statuses else 0)
        yield from (lag, failed, head)


class DiaryCacheMetrics(Collector):
    """The process's diary cache (``api/diary_cache.py``): reads served from it or read
    afresh, and what it holds."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        cache = self.services.diary_cache
        reads = CounterMetricFamily("ejournal_diary_cache_reads",
                                    "diary reads served from the process's cache (hit) or "
                                    "read afresh (miss)", labels=["result"])
        reads.add_metric(["hit"], cache.hits)
        reads.add_metric(["miss"], cache.misses)
        held = GaugeMetricFamily("ejournal_diary_cache_bytes",
                                 "bytes of diary answers the process keeps")
        held.add_metric([], cache.size)
        answers = GaugeMetricFamily("ejournal_diary_cache_answers",
                                    "diary answers the process keeps")
        answers.add_metric([], len(cache))
        yield from (reads, held, answers)


class Metrics:
    """One registry per application (several may run in one process, e.g. in tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        #: Observed by the application's middleware (``edge``) for each request.
        self.requests = RequestMetrics(self.registry, excluded=frozenset({PATH}))
        self.commands = Counter("ejournal_commands", "commands run, by kind and result",
                                ["kind", "result"], registry=self.registry)
        self.scheduler_runs = Counter("ejournal_scheduler_runs",
                                      "a school's compliance checks, by result", ["result"],
                                      registry=self.registry)
        self.lag = ProjectionLag()
        self.registry.register(self.lag)

    def command(self, kind: str, result: str) -> None:
        self.commands.labels(kind, result).inc()

    def scheduler_run(self, result: str) -> None:
        self.scheduler_runs.labels(result).inc()

    def watch(self, services: Services) -> None:
        self.lag.services = services
        self.registry.register(DiaryCacheMetrics(services))
        if services.replica is not None:
            self.registry.register(services.replica.collector())
        services.app.command_observers.append(self.command)


def install(app: FastAPI, settings: Settings) -> Metrics:
    """Serves ``app``'s metrics at ``/metrics`` (its requests': ``Metrics.requests``)."""
    metrics = Metrics()
    allowed = [ipaddress.ip_network(n) for n in networks(settings.metrics_allow,
                                                          "EJOURNAL_METRICS_ALLOW")]

    def may_read(request: Request) -> None:
        host = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None or not any(address in network for network in allowed):
            raise HTTPException(404, "Not Found")

    @app.get(PATH, tags=["service"], dependencies=[Depends(may_read)],
             summary="Prometheus metrics", response_class=Response,
             description="Prometheus text; to the addresses in EJOURNAL_METRICS_ALLOW only.")
    def scrape() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
    return metrics
