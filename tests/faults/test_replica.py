"""Read-model reads from a streaming replica (``api/replicas.py``): a PostgreSQL primary of
the test's own and a hot standby made from it with ``pg_basebackup -R`` (``pgcluster.py``),
served by a real ``ejournal serve``. Replay is paused on the standby to make its lag
deterministic; which engine served a read is told by ``/metrics``' read counter and by what
the read holds (a paused standby has not got the latest mark)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ejournal.settings import Settings
from tests.faults.harness import Classroom, classroom
from tests.faults.pgcluster import ThrowawayPostgres
from tests.servers import Serve, serving_process, wait_until

Cluster = tuple[ThrowawayPostgres, ThrowawayPostgres]
Sample = tuple[str, tuple[tuple[str, str], ...]]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A primary that allows replication and a running hot standby of it."""
    try:
        primary = ThrowawayPostgres()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.skip(f"no throwaway PostgreSQL here: {exc}")
    primary.allow_replication()
    primary.start()
    standby = primary.standby()
    standby.start()
    yield primary, standby
    standby.destroy()
    primary.destroy()


def _metrics(server: Serve) -> dict[Sample, float]:
    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _gauge(server: Serve, name: str) -> float | None:
    return _metrics(server).get((name, ()))


def _reads(server: Serve, by: str, reason: str) -> float:
    key = ("ejournal_replica_reads_total", (("reason", reason), ("served_by", by)))
    return _metrics(server).get(key, 0.0)


def _caught_up(server: Serve) -> bool:
    """The replica is up, has replayed all the primary's WAL, and its read models hold the
    whole log."""
    found = _metrics(server)
    return (found.get(("ejournal_replica_up", ())) == 1
            and found.get(("ejournal_replica_read_models_position", ()), -1)
            >= found.get(("ejournal_log_head", ()), 0)
            and found.get(("ejournal_replica_lag_events", ())) == 0
            and found.get(("ejournal_replica_lag_bytes", ())) == 0)


def _client(server: Serve, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


def _marked(c: httpx.Client, room: Classroom) -> list[str]:
    """The grid's marks of the first lesson, one per marked student."""
    grid = c.get(f"/api/v1/journals/{room.school.journal}/grid")
    assert grid.status_code == 200, grid.text
    return [value for row in grid.json()["students"]
            for value in row["cells"].get(str(room.lessons[0]), [])]


def _mark(c: httpx.Client, room: Classroom, student: int, value: str) -> str:
    answer = c.post(f"/api/v1/journals/{room.school.journal}/lessons/{room.lessons[0]}/marks",
                    json={"student_id": str(room.school.students[student]), "value": value,
                          "work": "oral"})
    assert answer.status_code == 201, answer.text
    mark_id: str = answer.json()["id"]
    return mark_id


def _serving(cluster: Cluster, monkeypatch: pytest.MonkeyPatch, max_lag: float
             ) -> tuple[Settings, Classroom]:
    primary, standby = cluster
    settings = Settings(database_url=primary.url)
    room = classroom(settings, students=3, lessons=2)
    monkeypatch.setenv("EJOURNAL_REPLICA_URL", standby.url)
    monkeypatch.setenv("EJOURNAL_REPLICA_MAX_LAG_SECONDS", str(max_lag))
    return settings, room


@pytest.mark.slow
def test_the_replica_serves_reads_and_the_writer_still_sees_its_write(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    standby = cluster[1]
    settings, room = _serving(cluster, monkeypatch, max_lag=600)
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler") as server:
        writer, other = room.token(server.url), room.token(server.url)  # two sessions
        wait_until(lambda: _caught_up(server), 60, "the replica to hold the school")
        with _client(server, writer) as w, _client(server, other) as o:
            # Given a school written on the primary, read through the replica
            _mark(w, room, 0, "4")
            wait_until(lambda: _caught_up(server), 60, "the replica to replay the mark")
            before = _reads(server, "replica", "caught_up")
            assert _marked(o, room) == ["4"]
            diary = o.get(f"/api/v1/students/{room.school.students[0]}/diary")
            assert diary.status_code == 200, diary.text
            assert [m["value"] for d in diary.json()["days"] for lesson in d["lessons"]
                    for m in lesson["marks"]] == ["4"]
            assert _reads(server, "replica", "caught_up") == before + 2

            # When the replica stops replaying and the teacher writes again
            standby.pause_replay()
            mark_id = _mark(w, room, 1, "5")
            behind = _reads(server, "primary", "behind")
            # Then the writer's next reads see the write, from the primary
            assert sorted(_marked(w, room)) == ["4", "5"]
            history = f"/api/v1/journals/{room.school.journal}/marks/{mark_id}/history"
            assert [item["value"] for item in w.get(history).json()["items"]] == ["5"]
            assert _reads(server, "primary", "behind") == behind + 2
            assert o.get(history).status_code == 404  # not on the paused replica yet
            # while a session that needs nothing newer reads the replica, which has not
            # replayed the write
            served = _reads(server, "replica", "caught_up")
            assert _marked(o, room) == ["4"]
            assert _reads(server, "replica", "caught_up") == served + 1
            # and /metrics shows the lag, in bytes, in read-model positions and in seconds
            wait_until(lambda: (_gauge(server, "ejournal_replica_lag_events") or 0) >= 1
                       and (_gauge(server, "ejournal_replica_lag_bytes") or 0) > 0
                       and (_gauge(server, "ejournal_replica_lag_seconds") or 0) > 0,
                       30, "the lag in /metrics")

            # When replay resumes, the replica catches up and the writer reads it again
            standby.resume_replay()
            wait_until(lambda: _caught_up(server), 60, "the replica to catch up")
            assert _gauge(server, "ejournal_replica_lag_seconds") == 0
            served = _reads(server, "replica", "caught_up")
            assert sorted(_marked(w, room)) == ["4", "5"]
            assert sorted(_marked(o, room)) == ["4", "5"]
            assert _reads(server, "replica", "caught_up") == served + 2
    assert "replica: serving reads" in server.log.read_text()


@pytest.mark.slow
def test_a_replica_that_lags_beyond_the_bound_leaves_reads_to_the_primary(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    standby = cluster[1]
    settings, room = _serving(cluster, monkeypatch, max_lag=1)
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler") as server:
        writer, other = room.token(server.url), room.token(server.url)
        wait_until(lambda: _caught_up(server), 60, "the replica to hold the school")
        with _client(server, writer) as w, _client(server, other) as o:
            standby.pause_replay()
            _mark(w, room, 0, "3")
            wait_until(lambda: (_gauge(server, "ejournal_replica_lag_seconds") or 0) > 1, 60,
                       "the replica to lag beyond 1 s")
            assert _marked(w, room) == ["3"]  # the primary's read models hold it
            lagging = _reads(server, "primary", "lagging")
            # Another session's read goes to the primary: it sees the mark
            assert _marked(o, room) == ["3"]
            assert _reads(server, "primary", "lagging") == lagging + 1
            standby.resume_replay()
            wait_until(lambda: _caught_up(server), 60, "the replica to catch up")
            served = _reads(server, "replica", "caught_up")
            assert _marked(o, room) == ["3"]
            assert _reads(server, "replica", "caught_up") == served + 1
    assert "reads go to the primary: it lags more than 1 s" in server.log.read_text()


@pytest.mark.slow
def test_a_stopped_replica_leaves_reads_to_the_primary(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    standby = cluster[1]
    settings, room = _serving(cluster, monkeypatch, max_lag=600)
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler") as server:
        writer, other = room.token(server.url), room.token(server.url)
        wait_until(lambda: _caught_up(server), 60, "the replica to hold the school")
        with _client(server, writer) as w, _client(server, other) as o:
            assert _marked(o, room) == []  # a pooled connection to the replica, then
            # When the replica stops as in a crash
            standby.stop("immediate")
            _mark(w, room, 0, "5")
            # Then reads are answered all the same, by the primary: the writer's (once the
            # primary's read models hold the mark), then the other session's, which tried the
            # replica or found it down already
            assert _marked(w, room) == ["5"]
            primary_reads = (_reads(server, "primary", "failed")
                             + _reads(server, "primary", "down"))
            assert _marked(o, room) == ["5"]
            assert (_reads(server, "primary", "failed")
                    + _reads(server, "primary", "down")) == primary_reads + 1
            wait_until(lambda: _gauge(server, "ejournal_replica_up") == 0, 30,
                       "/metrics to show the replica down")
            assert _gauge(server, "ejournal_replica_lag_seconds") is None
            # When it comes back, it serves again
            standby.start()
            wait_until(lambda: _caught_up(server), 60, "the replica to be back")
            served = _reads(server, "replica", "caught_up")
            assert _marked(o, room) == ["5"]
            assert _reads(server, "replica", "caught_up") == served + 1
    log = server.log.read_text()
    assert "replica: reads go to the primary" in log


@pytest.mark.slow
def test_behind_two_workers_the_writer_sees_its_write_and_others_read_the_replica(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    primary, standby = cluster
    settings, room = _serving(cluster, monkeypatch, max_lag=600)
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler",
                         "--workers", "2") as server:
        wait_until(lambda: server.log.read_text().count("replica: serving reads") == 2, 60,
                   "both workers to read the replica")
        writer, other = room.token(server.url), room.token(server.url)
        # A new connection for every request: the kernel hands them to either worker.
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=server.url, timeout=30, limits=fresh,
                          headers={"Authorization": f"Bearer {writer}"}) as w, \
                httpx.Client(base_url=server.url, timeout=30, limits=fresh,
                             headers={"Authorization": f"Bearer {other}"}) as o:
            _mark(w, room, 0, "4")
            wait_until(lambda: _marked(o, room) == ["4"] and standby.replayed(primary), 60,
                       "the replica to hold the first mark")
            standby.pause_replay()
            for n, value in enumerate(("5", "3"), start=1):
                _mark(w, room, n, value)
                # the writer's next reads, on either worker, see each of its marks
                for _ in range(4):
                    assert len(_marked(w, room)) == n + 1
            # while the other session's reads, on either worker, come from the paused replica
            for _ in range(6):
                assert _marked(o, room) == ["4"]
            standby.resume_replay()
            wait_until(lambda: sorted(_marked(o, room)) == ["3", "4", "5"], 60,
                       "the replica to catch up")
