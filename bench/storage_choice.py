"""Storage choice: the built-in ``eventsourcing`` recorders against ``eventsourcing-sqlalchemy``.

Single-event commits per second of one trivial aggregate (a counter: each command is one
event, one transaction), on SQLite (a file, WAL) and PostgreSQL, through four persistence
modules: ``eventsourcing.sqlite``, ``eventsourcing.postgres`` and ``eventsourcing_sqlalchemy``
on each database. Two shapes:

* ``save``: ``counter.increment(); app.save(counter)``, the aggregate kept in memory (the
  write path alone);
* ``get+save``: ``app.repository.get(id)`` of a 10-event aggregate, one event, ``save`` (the
  shape of a command: one read, one write).

It does not import ejournal; it needs ``eventsourcing==9.5.6``, ``eventsourcing-sqlalchemy``
and ``psycopg[binary]``. Run it in a separate virtualenv (see bench/README.md)::

    python -m bench.storage_choice [--db sqlite|postgres|both] [--n 2000] [--reps 3]

PostgreSQL data goes into fresh schemas ``bench_<random>`` (dropped at the end); SQLite into a
temporary directory. Results: a table and ``bench/results/storage-choice.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WARMUP = 100
HISTORY = 10  # events of each aggregate read in the get+save shape


class Counter(Aggregate):
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


class Bench(Application[UUID]):
    name = "bench"


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@contextmanager
def pg_schema(conninfo: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))


def envs(db: str, pg_url: str, tmp: str, schema: str | None) -> dict[str, dict[str, str]]:
    if db == "sqlite":
        return {
            "eventsourcing.sqlite": {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": f"{tmp}/builtin.db", "SQLITE_LOCK_TIMEOUT": "10",
                "CREATE_TABLE": "y",
            },
            "eventsourcing_sqlalchemy": {
                "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                "SQLALCHEMY_URL": f"sqlite:///{tmp}/sqlalchemy.db", "CREATE_TABLE": "y",
            },
        }
    assert schema is not None
    parts = psycopg.conninfo.conninfo_to_dict(
        pg_url.replace("postgresql+psycopg://", "postgresql://", 1))
    return {
        "eventsourcing.postgres": {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(parts.get("dbname", "postgres")),
            "POSTGRES_HOST": str(parts.get("host", "127.0.0.1")),
            "POSTGRES_PORT": str(parts.get("port", 5432)),
            "POSTGRES_USER": str(parts.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(parts.get("password", "")),
            "POSTGRES_SCHEMA": schema, "POSTGRES_LOCK_TIMEOUT": "10", "CREATE_TABLE": "y",
        },
        "eventsourcing_sqlalchemy": {
            "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
            "SQLALCHEMY_URL": pg_url, "SQLALCHEMY_SCHEMA": schema, "CREATE_TABLE": "y",
        },
    }


def rate(n: int, step: Callable[[], None]) -> float:
    started = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - started)


def measure(env: dict[str, str], n: int, reps: int) -> dict[str, Any]:
    app = Bench(env=env)
    try:
        counter = Counter()
        app.save(counter)

        def save() -> None:
            counter.increment()
            app.save(counter)

        # One fresh 10-event aggregate per get+save, so every read is of the same size
        # (saved a hundred aggregates per transaction, untimed).
        ids = []
        for _ in range(0, WARMUP + reps * n, 100):
            batch = []
            for _ in range(100):
                c = Counter()
                for _ in range(HISTORY - 1):
                    c.increment()
                batch.append(c)
                ids.append(c.id)
            app.save(*batch)
        cursor = iter(ids)

        def get_save() -> None:
            c = app.repository.get(next(cursor))
            assert isinstance(c, Counter)
            c.increment()
            app.save(c)

        rate(WARMUP, save)
        rate(WARMUP, get_save)
        saves, get_saves = [], []
        for _ in range(reps):
            saves.append(rate(n, save))
            get_saves.append(rate(n, get_save))
        return {"save_per_s": saves, "get_save_per_s": get_saves,
                "save_median_per_s": statistics.median(saves),
                "get_save_median_per_s": statistics.median(get_saves)}
    finally:
        app.close()


def run(db: str, args: argparse.Namespace) -> dict[str, Any]:
    conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ejournal-storage-") as tmp:
        for module in (["eventsourcing.sqlite", "eventsourcing_sqlalchemy"] if db == "sqlite"
                       else ["eventsourcing.postgres", "eventsourcing_sqlalchemy"]):
            if db == "postgres":
                with pg_schema(conninfo) as schema:
                    env = envs(db, args.pg_url, tmp, schema)[module]
                    result = attempt(env, args)
            else:
                env = envs(db, args.pg_url, tmp, None)[module]
                result = attempt(env, args)
                result["journal_mode"] = journal_mode(
                    env.get("SQLITE_DBNAME") or env["SQLALCHEMY_URL"].split(":///", 1)[1])
            out[module] = result
            shown = (f"save {result['save_median_per_s']:7.0f}/s   get+save "
                     f"{result['get_save_median_per_s']:7.0f}/s" if "error" not in result
                     else f"ERROR {result['error']}")
            print(f"  {db:8} {module:26} {shown}", flush=True)
    return out


def journal_mode(path: str) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def attempt(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    try:
        return measure(env, args.n, args.reps)
    except Exception as e:  # noqa: BLE001 - an incompatible module is a finding to report
        return {"error": f"{type(e).__name__}: {e}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage_choice",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", type=int, default=2000, help="commits per repetition")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    when = datetime.now(tz=UTC)
    about = {"cores": os.cpu_count(), "python": platform.python_version(),
             "sqlite": sqlite3.sqlite_version, "eventsourcing": _pkg("eventsourcing"),
             "eventsourcing-sqlalchemy": _pkg("eventsourcing-sqlalchemy"),
             "sqlalchemy": _pkg("sqlalchemy"), "psycopg": _pkg("psycopg")}
    print(f"{when:%Y-%m-%d %H:%M} UTC, {json.dumps(about)}")
    results: dict[str, Any] = {"date": when.isoformat(timespec="seconds"), "machine": about,
                               "parameters": {"n": args.n, "reps": args.reps,
                                              "warmup": WARMUP, "history": HISTORY}}
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        results[db] = run(db, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "storage-choice.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
