"""Shards on PostgreSQL servers of the test's own (``pgcluster.py``): two schools registered
by the operator land on two shards, each school's writes and reads in its shard's database
(checked with SQL on each), the operator's list of schools spans both; a shard stopped is a
503 for its school only, and once it is back the same server serves it again. Under write
load, a shard stopped and started again and the server killed with SIGKILL lose and double
nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from ejournal.cli import _bootstrap
from ejournal.projections.base import create_read_engine
from ejournal.shards import Directory
from ejournal.site import create_app
from tests.databases import NOW, Clock, Database
from tests.faults.conftest import PASSWORD, assert_problem
from tests.faults.harness import Writers, assert_read_models_hold, assert_reconciled, classroom
from tests.faults.pgcluster import ThrowawayPostgres
from tests.servers import OPERATOR, Serve, running, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clusters() -> Iterator[list[ThrowawayPostgres]]:
    made = [ThrowawayPostgres(), ThrowawayPostgres()]
    try:
        for cluster in made:
            cluster.start()
        yield made
    finally:
        for cluster in made:
            cluster.destroy()


def fresh_database(cluster: ThrowawayPostgres) -> str:
    """A new database on the cluster (each test's shards start empty): its URL."""
    name = f"shard_{uuid4().hex[:12]}"
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(make_url(cluster.url).set(database=name).render_as_string(hide_password=False))


def events_of(url: str, originator: UUID) -> int:
    """How many events of ``originator`` the database's log holds (SQL, not the API)."""
    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                         dbname=parsed.database) as conn:
        # in EJOURNAL_DATABASE_SCHEMA, the same on every shard (the test's own on PostgreSQL)
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_name LIKE '%events' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
        assert tables, "the shard has no event store"
        counted = 0
        for schema, table in tables:
            row = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}" '  # noqa: S608
                               "WHERE originator_id = %s", (originator,)).fetchone()
            counted += int(row[0]) if row else 0
        return counted


def created(answer: httpx.Response) -> UUID:
    assert answer.status_code == 201, answer.text
    return UUID(answer.json()["id"])


def login(url: str, username: str) -> str:
    with httpx.Client(base_url=url, timeout=30) as c:
        answer = c.post("/api/v1/auth/token",
                        data={"username": username,
                              "password": OPERATOR[1] if username == OPERATOR[0] else PASSWORD})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"})


def subjects(c: httpx.Client, school: UUID) -> Any:
    return c.get(f"/api/v1/schools/{school}/subjects")


def test_schools_live_on_their_shards_and_a_stopped_shard_refuses_only_its_own(
        database: Database, clusters: list[ThrowawayPostgres]) -> None:
    a, b = (fresh_database(cluster) for cluster in clusters)
    settings = database.settings.model_copy(update={"shards": f"a={a},b={b}"})
    clock = Clock(NOW)
    _bootstrap(database.settings, *OPERATOR, now=clock())
    with running(create_app(settings, clock=clock)) as url:
        root = login(url, OPERATOR[0])
        assert "." not in root  # the main database's token
        # Given two schools registered by the operator: one on each shard (the emptiest)
        with client(url, root) as op:
            first = created(op.post("/api/v1/schools", json={"name": "Школа 1",
                                                             "timezone": "Europe/Moscow"}))
            second = created(op.post("/api/v1/schools", json={"name": "Школа 2",
                                                              "timezone": "Asia/Omsk"}))
            for school, admin in ((first, "admin1"), (second, "admin2")):
                created(op.post(f"/api/v1/schools/{school}/users", json={
                    "username": admin, "password": PASSWORD, "full_name": admin,
                    "role": "admin"}))
            # a username is unique across the shards
            taken = op.post(f"/api/v1/schools/{second}/users", json={
                "username": "admin1", "password": PASSWORD, "full_name": "x", "role": "admin"})
            assert assert_problem(taken, 409)["errors"][0]["field"] == "username"
        assert events_of(a, first) > 0
        assert events_of(b, first) == 0
        assert events_of(b, second) > 0
        assert events_of(a, second) == 0
        # When each school's admin signs in and writes: on their school's shard
        one, two = login(url, "admin1"), login(url, "admin2")
        assert one.startswith("a.")
        assert two.startswith("b.")
        with client(url, one) as c1, client(url, two) as c2:
            created(c1.post(f"/api/v1/schools/{first}/subjects",
                                    json={"name": "Математика"}))
            created(c2.post(f"/api/v1/schools/{second}/subjects",
                                    json={"name": "Музыка"}))
            assert [s["name"] for s in subjects(c1, first).json()["items"]] == ["Математика"]
            assert [s["name"] for s in subjects(c2, second).json()["items"]] == ["Музыка"]
            # another school's id is not found from the wrong shard
            assert_problem(subjects(c1, second), 404)
        school_events = {url_: {s: events_of(url_, s) for s in (first, second)}
                         for url_ in (a, b)}
        assert school_events[a][first] > 1
        assert school_events[b][second] > 1
        # Then the operator's list spans both shards
        with client(url, root) as op:
            listed = op.get("/api/v1/schools")
            assert listed.status_code == 200, listed.text
            assert {(s["id"], s["name"]) for s in listed.json()["items"]} == {
                (str(first), "Школа 1"), (str(second), "Школа 2")}
        # When shard a stops
        clusters[0].stop("immediate")
        with client(url, one) as c1, client(url, two) as c2, client(url, root) as op:
            refused = subjects(c1, first)
            assert_problem(refused, 503)
            assert refused.headers["Retry-After"].isdigit()
            assert_problem(c1.post(f"/api/v1/schools/{first}/subjects", json={"name": "Химия"}),
                           503)
            # Then the other school is served as ever, reads and writes
            assert [s["name"] for s in subjects(c2, second).json()["items"]] == ["Музыка"]
            created(c2.post(f"/api/v1/schools/{second}/subjects", json={"name": "Физика"}))
            assert op.get(f"/api/v1/schools/{second}").json()["name"] == "Школа 2"
            assert_problem(op.get("/api/v1/schools"), 503)  # the list would be short
            health = httpx.get(f"{url}/healthz").json()
            assert health == {"status": "degraded", "shards": {"a": "down", "b": "ok"}}
            # When it is back, the same server serves its school again
            clusters[0].start()
            wait_until(lambda: subjects(c1, first).status_code == 200, 60, "shard a back")
            created(c1.post(f"/api/v1/schools/{first}/subjects", json={"name": "Химия"}))
            wait_until(lambda: len(subjects(c1, first).json()["items"]) == 2, 10,
                       "the projector of shard a to resume")
            assert sorted(s["name"] for s in subjects(c1, first).json()["items"]) == [
                "Математика", "Химия"]
            assert httpx.get(f"{url}/healthz").json()["shards"] == {"a": "ok", "b": "ok"}


THREADS, PER_THREAD = 3, 15
#: Seconds ``ejournal serve`` may take to answer /healthz: it opens the main database and every
#: shard (each its tables) on a machine the other tests share.
STARTUP = 180


def test_a_shard_stopped_and_the_server_killed_under_write_load_lose_and_double_nothing(
        database: Database, clusters: list[ThrowawayPostgres], tmp_path: Path,
        record_property: Callable[[str, object], None]) -> None:
    a, b = (fresh_database(cluster) for cluster in clusters)
    settings = database.settings.model_copy(update={"shards": f"a={a},b={b}"})
    # Given a school on each shard (built there, and placed in the directory)
    rooms = [classroom(settings.model_copy(update={"database_url": url, "shards": ""}))
             for url in (a, b)]
    _bootstrap(database.settings, *OPERATOR, now=NOW)  # the main database's tables
    directory = Directory(create_read_engine(database.settings))
    directory.setup()
    for room, name in zip(rooms, "ab", strict=True):
        directory.place(room.school.school, name, now=NOW)
    directory.engine.dispose()
    server = Serve(settings, tmp_path / "serve.log", "--no-scheduler")
    try:
        server.start(timeout=STARTUP)
        token, other = (room.token(server.url) for room in rooms)
        # and teachers of the school on shard a writing marks, retrying with their keys
        writers = Writers(rooms[0], server.url, token, threads=THREADS, per_thread=PER_THREAD,
                          deadline=240).start()
        writers.acknowledged(THREADS * PER_THREAD // 4, "the shard's outage")
        # When shard a stops as in a crash
        clusters[0].stop("immediate")
        # Then its school's writes are 503 (retried), while the school on shard b is read
        writers.outcomes.wait_for(lambda: writers.outcomes.seen["503"] >= 2 * THREADS, 90,
                                  "503 answers while shard a is down")
        with client(server.url, other) as c:
            diary = c.get(f"/api/v1/students/{rooms[1].school.students[0]}/diary")
        assert diary.status_code == 200, diary.text
        # When the shard is back, and later the server is killed with SIGKILL and restarted
        clusters[0].start()
        writers.acknowledged(THREADS * PER_THREAD * 3 // 4, "the kill")
        server.kill()
        server.start(timeout=STARTUP)
        outcomes = writers.join(timeout=240)

        # Then every write was acknowledged exactly once and the shard's log holds each once
        book = assert_reconciled(rooms[0], outcomes, writers.keys)
        assert len(book.marks) == THREADS * PER_THREAD
        assert server.starts == 2
        assert set(outcomes.seen) <= {"201", "503"} | {
            k for k in outcomes.seen if k.startswith("connection")}, outcomes.seen
        record_property("answers", dict(outcomes.seen))
        record_property("replayed", outcomes.replayed)
        # And the shard's projector (killed with the server too) shows exactly them
        assert_read_models_hold(rooms[0], server.url, token, book.marks)
    finally:
        server.stop()
        if not clusters[0].running:  # the next test's shard
            clusters[0].start()
