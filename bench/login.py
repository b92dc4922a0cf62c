"""Login timing: an unknown username must cost what a known one does (docs/api-v1.md,
"Accounts"), else a list of logins can be read off the clock.

Run from the repository root::

    python -m bench.login [--db sqlite|postgres|both] [--n 20]

For each database, in one run: a school with ``--n`` teachers (each with a password) is
recorded through the application, and the API is served by uvicorn in this process (the app
of ``ejournal serve``). One keep-alive client then logs in, interleaved round by round: a
known username with a wrong password, an unknown username, and a known username with its
right password (each account is refused once only, well inside the rate limit). The median
of ``--n`` logins of each kind, and the ratios unknown/known (goal: within 25 %, that is
0.75-1.25). Results: a table on stdout and ``bench/results/login-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from tests.servers import running

from bench.commands import code_version, machine
from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import RegisterSchool, RegisterUser
from ejournal.cli import _bootstrap
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings
from ejournal.site import create_app

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-login-pa55word"  # noqa: S105 - a benchmark account's
OPERATOR = ("bench-root", "bench operator passphrase")
PG_URL = os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GOAL = 0.25


@contextmanager
def database(kind: str) -> Iterator[Settings]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield Settings(database_url=f"sqlite:///{tmp}/login.db")
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    raw = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield Settings(database_url=PG_URL, database_schema=schema)
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def teachers(settings: Settings, n: int) -> list[str]:
    """``n`` teachers of one school, each with ``PASSWORD``: their usernames."""
    _bootstrap(settings, *OPERATOR)
    app = EJournal(settings)
    accounts = Accounts(create_read_engine(settings))
    try:
        operator = app.user_by_username(OPERATOR[0])
        assert operator is not None
        school = app.execute(RegisterSchool(operator.id, name="Школа", timezone="UTC")).id
        assert school is not None
        names = []
        for i in range(n):
            made = app.execute(RegisterUser(operator.id, school, username=f"bench-t{i}",
                                            full_name=f"Учитель {i}", role="teacher")).id
            assert made is not None
            accounts.set_password(made, PASSWORD, now=app.clock())
            names.append(f"bench-t{i}")
        return names
    finally:
        app.close()
        accounts.engine.dispose()


def timed(client: httpx.Client, username: str, password: str, expected: int) -> float:
    started = time.perf_counter()
    answer = client.post("/api/v1/auth/token", data={"username": username,
                                                     "password": password})
    elapsed = time.perf_counter() - started
    assert answer.status_code == expected, (username, answer.status_code, answer.text)
    return elapsed * 1000


def run(kind: str, n: int) -> dict[str, Any]:
    with database(kind) as settings:
        names = teachers(settings, n)
        with running(create_app(settings, run_projector=False)) as url, \
                httpx.Client(base_url=url, timeout=60) as client:
            timed(client, names[0], PASSWORD, 200)  # warm up: the first hash, the pools
            timed(client, "bench-warm-up", PASSWORD, 401)
            known, unknown, right = [], [], []
            for i, name in enumerate(names):
                known.append(timed(client, name, "a-wrong-password", 401))
                unknown.append(timed(client, f"bench-nobody-{i}", "a-wrong-password", 401))
                right.append(timed(client, name, PASSWORD, 200))
    medians = {k: statistics.median(v) for k, v in
               (("known_wrong", known), ("unknown", unknown), ("known_right", right))}
    return {"db": kind, "n": n, "median_ms": medians,
            "unknown_over_known_wrong": medians["unknown"] / medians["known_wrong"],
            "unknown_over_known_right": medians["unknown"] / medians["known_right"],
            "samples_ms": {"known_wrong": known, "unknown": unknown, "known_right": right}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    print("| db | known, wrong password | unknown | known, right password | unknown/known "
          "(wrong) | unknown/known (right) |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in kinds:
        load_before = os.getloadavg()
        result = run(kind, args.n)
        result.update(code=code_version(), machine=machine(), load_before=load_before,
                      load_after=os.getloadavg())
        (out / f"login-{kind}.json").write_text(json.dumps(result, indent=1))
        m = result["median_ms"]
        held = all(abs(result[k] - 1) <= GOAL for k in ("unknown_over_known_wrong",
                                                          "unknown_over_known_right"))
        print(f"| {kind} | {m['known_wrong']:.0f} ms | {m['unknown']:.0f} ms | "
              f"{m['known_right']:.0f} ms | {result['unknown_over_known_wrong']:.2f} | "
              f"{result['unknown_over_known_right']:.2f} | {'holds' if held else 'FAILS'}")
        print(f"  load average {load_before[0]:.1f} -> {result['load_after'][0]:.1f}")


if __name__ == "__main__":
    main()
