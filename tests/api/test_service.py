"""``/healthz`` and ``/metrics`` over a real server (docs/api-v1.md, "Health and metrics"):
Prometheus text with requests by route and status, latency histograms, commands by kind and
result, the scheduler's runs and each read model's lag; served to loopback only unless
EJOURNAL_METRICS_ALLOW says otherwise. (The 503 of /healthz with PostgreSQL stopped:
tests/faults/test_health.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ejournal.site import create_app
from tests.builders import build_school
from tests.databases import NOW, Clock, Database
from tests.servers import OPERATOR, Server, running, serving, wait_until


def scrape(client: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """``/metrics`` as {(sample name, labels): value}."""
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_healthz_answers_ok_when_the_database_answers(server: Server) -> None:
    with server.client() as c:
        answer = c.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_metrics_count_requests_by_route_and_status_and_commands_by_kind_and_result(
        server: Server) -> None:
    token = server.login(*OPERATOR)
    with server.client(token) as c:
        # Given a school registered, one refused by the domain (an unknown time zone), a 404
        # of a route, a 404 of no route and a 403
        assert c.post("/api/v1/schools", json={"name": "Школа №1",
                                               "timezone": "Asia/Novosibirsk"}
                      ).status_code == 201
        assert c.post("/api/v1/schools", json={"name": "Школа №2",
                                               "timezone": "Mars/Olympus"}).status_code == 422
        missing = "/api/v1/schools/00000000-0000-4000-8000-000000000000"
        assert c.get(missing).status_code == 404
        assert c.get("/api/v1/students/00000000-0000-4000-8000-000000000000/diary"
                     ).status_code == 403
        assert c.get("/api/v1/nowhere/00000000-0000-4000-8000-000000000000").status_code == 404
        samples = scrape(c)
    requests = "http_requests_total"
    assert value(samples, requests, handler="/api/v1/schools", method="POST",
                 status="201") == 1
    assert value(samples, requests, handler="/api/v1/schools", method="POST",
                 status="422") == 1
    assert value(samples, requests, handler="/api/v1/schools/{school_id}", method="GET",
                 status="404") == 1
    assert value(samples, requests, handler="/api/v1/students/{student_id}/diary",
                 method="GET", status="403") == 1
    assert value(samples, requests, handler="/api/v1/auth/token", method="POST",
                 status="200") == 1
    # A path no route answers is counted under "none", never under the path as sent
    assert value(samples, requests, handler="none", method="GET", status="404") == 1
    # The latency histogram by route: every request falls in the +Inf bucket
    assert value(samples, "http_request_duration_seconds_bucket",
                 handler="/api/v1/schools", method="POST", le="+Inf") == 2
    assert value(samples, "http_request_duration_seconds_count",
                 handler="/api/v1/schools", method="POST") == 2
    # Commands by kind and result
    kinds = {dict(labels)["result"]: v for (name, labels), v in samples.items()
             if name == "ejournal_commands_total"
             and dict(labels)["kind"] == "RegisterSchool"}
    assert kinds == {"ok": 1, "refused": 1}
    # No sample names a path as sent, only templates
    assert not any("00000000" in v for (_, labels) in samples for _, v in labels)


@pytest.fixture
def behind(database: Database) -> Iterator[Server]:
    """A server that serves /metrics to 127.0.0.2 only, behind a proxy at 127.0.0.4."""
    settings = database.settings.model_copy(update={"metrics_allow": "127.0.0.2",
                                                    "trusted_proxies": "127.0.0.4"})
    with serving(Database(database.kind, settings)) as started:
        yield started


def _from(server: Server, address: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, headers=headers,
                        transport=httpx.HTTPTransport(local_address=address))


def test_metrics_are_served_only_to_the_allowed_addresses(behind: Server) -> None:
    with _from(behind, "127.0.0.2") as allowed:
        assert scrape(allowed)
    for address, headers in (("127.0.0.3", {}), ("127.0.0.1", {}),
                             # the proxy's client is the one asking, not the proxy
                             ("127.0.0.4", {"X-Forwarded-For": "203.0.113.7"})):
        with _from(behind, address, **headers) as refused:
            answer = refused.get("/metrics")
        assert answer.status_code == 404, address
        assert answer.headers["content-type"] == "application/problem+json"
        assert "http_requests_total" not in answer.text
    with _from(behind, "127.0.0.4", **{"X-Forwarded-For": "127.0.0.2"}) as forwarded:
        assert forwarded.get("/metrics").status_code == 200


def test_metrics_show_each_read_models_lag_behind_the_log(database: Database) -> None:
    # Given a school written while no projector runs
    clock = Clock(NOW)
    app = database.app(clock)
    build_school(app, students=2)
    head = app.recorder.max_notification_id()
    app.close()
    assert head
    # When a server that does not run the projector is scraped
    served = create_app(database.settings, clock=clock, run_projector=False)
    with running(served) as url, httpx.Client(base_url=url, timeout=30) as c:
        samples = scrape(c)
    # Then every read model lags by the whole log, and the head is the log's last position
    lags = {dict(labels)["read_model"]: v for (name, labels), v in samples.items()
            if name == "ejournal_projection_lag_events"}
    assert {"diary", "grid", "feed"} <= set(lags)
    assert lags == dict.fromkeys(lags, head)
    assert value(samples, "ejournal_log_head") == head
    assert value(samples, "ejournal_projection_failed", read_model="diary") == 0


def test_metrics_count_the_schedulers_runs(database: Database) -> None:
    clock = Clock(NOW)
    app = database.app(clock)
    build_school(app, students=1)
    app.close()
    served = create_app(database.settings, clock=clock, run_scheduler=True)
    with running(served) as url, httpx.Client(base_url=url, timeout=30) as c:
        # The scheduler's first look for schools runs at once, in its own thread
        wait_until(lambda: value(scrape(c), "ejournal_scheduler_runs_total", result="ok")
                   == 1, 60, "the scheduler's run of the school")
        samples = scrape(c)
    assert value(samples, "ejournal_scheduler_runs_total", result="failed") is None
