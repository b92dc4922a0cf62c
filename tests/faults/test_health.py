"""``/healthz`` asks the database (docs/api-v1.md, "Health and metrics"): with PostgreSQL
stopped it answers 503 problem+json with Retry-After, and 200 again once it is back, from the
same server; ``/metrics`` still answers meanwhile (without the read models' lag). On a
throwaway server of the test's own (``pgcluster.py``)."""

from __future__ import annotations

import httpx
import pytest

from ejournal.settings import Settings
from ejournal.site import create_app
from tests.databases import NOW, Clock
from tests.faults.conftest import assert_problem
from tests.faults.pgcluster import ThrowawayPostgres
from tests.servers import running, wait_until

pytestmark = pytest.mark.slow


def test_healthz_is_503_while_postgres_is_stopped_and_200_once_it_is_back(
        postgres: ThrowawayPostgres) -> None:
    served = create_app(Settings(database_url=postgres.url), clock=Clock(NOW),
                        run_projector=False)
    with running(served) as url, httpx.Client(base_url=url, timeout=60) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        assert "ejournal_projection_lag_events" in c.get("/metrics").text
        postgres.stop("immediate")
        down = c.get("/healthz")
        body = assert_problem(down, 503)
        assert down.headers["Retry-After"].isdigit()
        assert "unavailable" in body["detail"]
        scraped = c.get("/metrics")
        assert scraped.status_code == 200
        assert 'status="503"' in scraped.text
        assert "ejournal_projection_lag_events" not in scraped.text
        postgres.start()
        wait_until(lambda: c.get("/healthz").status_code == 200, 60, "/healthz to recover")
