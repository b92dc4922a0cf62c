"""Reads from a streaming replica under a write load, counted rather than timed.

Run from the repository root, as root or as a user who may run ``initdb`` (the primary and
its standby are PostgreSQL servers of the bench's own, ``tests/faults/pgcluster.py``)::

    python -m bench.replica [--seconds 20] [--writers 2] [--readers 6]

One ``ejournal serve`` over the primary with ``EJOURNAL_REPLICA_URL`` naming the standby
(``pg_basebackup -R``). For ``--seconds``: each writer, a teacher's session of its own, marks
a lesson of its own and reads that journal's grid after every mark (it must hold every mark the
writer was answered 201 for: read your own write); each reader, another session, reads
diaries. Counted from ``/metrics``' ``ejournal_replica_reads_total``: the reads the replica
served and those the primary did, and why; the replica's lag sampled every 0.2 s (seconds,
bytes, read-model positions); answers other than 200/201; read-your-write violations (must
be 0). Output: a table on stdout and ``bench/results/replica.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.faults.harness import classroom
from tests.faults.pgcluster import ThrowawayPostgres
from tests.servers import Serve, wait_until

from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _reads(url: str) -> dict[str, float]:
    return {f"{dict(labels)['served_by']}/{dict(labels)['reason']}": value
            for (name, labels), value in _metrics(url).items()
            if name == "ejournal_replica_reads_total"}


class Load:
    def __init__(self, url: str, journal: str, lessons: list[str], students: list[str],
                 tokens: list[str], writers: int, seconds: float) -> None:
        self.url, self.journal, self.lessons, self.students = url, journal, lessons, students
        self.tokens, self.writers = tokens, writers
        self.deadline = time.monotonic() + seconds
        self.answers: Counter[str] = Counter()
        self.violations = 0
        self.lag: list[tuple[float, float, float]] = []
        self.lock = threading.Lock()

    def _client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})

    def _note(self, what: str) -> None:
        with self.lock:
            self.answers[what] += 1

    def write(self, n: int) -> None:
        lesson = self.lessons[n]
        acknowledged = 0
        with self._client(self.tokens[n]) as c:
            while time.monotonic() < self.deadline:
                student = self.students[acknowledged % len(self.students)]
                answer = c.post(f"/api/v1/journals/{self.journal}/lessons/{lesson}/marks",
                                json={"student_id": student, "value": "5", "work": "oral"})
                self._note(f"mark {answer.status_code}")
                if answer.status_code != 201:
                    continue
                acknowledged += 1
                grid = c.get(f"/api/v1/journals/{self.journal}/grid")
                self._note(f"grid {grid.status_code}")
                if grid.status_code == 200:
                    seen = sum(len(row["cells"].get(lesson, []))
                               for row in grid.json()["students"])
                    if seen < acknowledged:
                        with self.lock:
                            self.violations += 1

    def read(self, n: int) -> None:
        with self._client(self.tokens[self.writers + n]) as c:
            i = n
            while time.monotonic() < self.deadline:
                student = self.students[i % len(self.students)]
                i += 1
                answer = c.get(f"/api/v1/students/{student}/diary")
                self._note(f"diary {answer.status_code}")

    def sample(self) -> None:
        stop = threading.Event()
        while time.monotonic() < self.deadline:
            found = _metrics(self.url)
            self.lag.append((found.get(("ejournal_replica_lag_seconds", ()), -1),
                             found.get(("ejournal_replica_lag_bytes", ()), -1),
                             found.get(("ejournal_replica_lag_events", ()), -1)))
            stop.wait(0.2)


def run(seconds: float, writers: int, readers: int) -> dict[str, Any]:
    primary = ThrowawayPostgres()
    primary.allow_replication()
    primary.start()
    standby = primary.standby()
    standby.start()
    server: Serve | None = None
    try:
        settings = Settings(database_url=primary.url)
        room = classroom(settings, students=30, lessons=max(writers, 1))
        os.environ["EJOURNAL_REPLICA_URL"] = standby.url
        server = Serve(settings, Path(standby.root) / "serve.log", "--no-scheduler",
                       "--no-request-log")
        server.start()
        tokens = [room.token(server.url) for _ in range(writers + readers)]
        wait_until(lambda: _metrics(server.url).get(("ejournal_replica_up", ())) == 1, 60,
                   "the replica to serve")
        before = _reads(server.url)
        load = Load(server.url, str(room.school.journal), [str(x) for x in room.lessons],
                    [str(s) for s in room.school.students], tokens, writers, seconds)
        threads = ([threading.Thread(target=load.write, args=(n,)) for n in range(writers)]
                   + [threading.Thread(target=load.read, args=(n,)) for n in range(readers)]
                   + [threading.Thread(target=load.sample)])
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        after = _reads(server.url)
        reads = {k: int(after.get(k, 0) - before.get(k, 0)) for k in sorted(after)}
        seconds_lag = [s for s, _, _ in load.lag if s >= 0]
        bytes_lag = [b for _, b, _ in load.lag if b >= 0]
        events_lag = [e for _, _, e in load.lag if e >= 0]
        total = sum(reads.values())
        return {
            "seconds": round(elapsed, 1), "writers": writers, "readers": readers,
            "answers": dict(sorted(load.answers.items())), "reads": reads,
            "replica_share": round(reads.get("replica/caught_up", 0) / total, 3) if total else 0,
            "read_your_write_violations": load.violations,
            "lag_seconds": _spread(seconds_lag), "lag_bytes": _spread(bytes_lag),
            "lag_events": _spread(events_lag), "samples": len(load.lag),
        }
    finally:
        if server is not None:
            server.stop()
        standby.destroy()
        primary.destroy()


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 4),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 4),
            "max": round(ordered[-1], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=6)
    args = parser.parse_args()
    print(f"primary + standby, {args.writers} writers and {args.readers} readers for "
          f"{args.seconds:g} s ...", flush=True)
    result = run(args.seconds, args.writers, args.readers)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "replica.json").write_text(json.dumps(result, indent=2))
    print("| what | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
