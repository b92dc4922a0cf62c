"""The bare stack that ``bench/bare.py`` measures ejournal against: FastAPI + SQLAlchemy as a
small service would write them, nothing of ejournal's. Served by uvicorn as a process of its
own (one worker)::

    python -m uvicorn --factory bench.bare_app:create --port 8001

on the database named by ``EJOURNAL_DATABASE_URL`` (and ``EJOURNAL_DATABASE_SCHEMA`` on
PostgreSQL), the one the ejournal server under test uses, in tables of its own:

- ``POST /insert``: one single-row INSERT and its COMMIT (201);
- ``GET /select``: 50 consecutive rows of a 5,000-row table, from a random start, as JSON;
- ``GET /healthz``.

Sync endpoints (FastAPI runs them in its thread pool), SQLAlchemy's default pool.
"""

from __future__ import annotations

import os
import random
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, create_engine, text

ROWS = 5000
PAGE = 50
INSERTS = "bench_bare_insert"
SELECTS = "bench_bare_rows"


class InsertIn(BaseModel):
    payload: str = Field(max_length=100)


def engine_from_env() -> Engine:
    url = os.environ["EJOURNAL_DATABASE_URL"]
    if url.startswith("postgresql"):
        schema = os.environ["EJOURNAL_DATABASE_SCHEMA"]
        return create_engine(url, connect_args={"options": f"-c search_path={schema}"})
    return create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})


def setup(engine: Engine) -> None:
    key = ("BIGSERIAL PRIMARY KEY" if engine.dialect.name == "postgresql"
           else "INTEGER PRIMARY KEY AUTOINCREMENT")
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {INSERTS} "
                          f"(id {key}, payload TEXT NOT NULL)"))
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {SELECTS} (id INTEGER PRIMARY KEY, "
                          "student TEXT NOT NULL, day TEXT NOT NULL, subject TEXT NOT NULL, "
                          "topic TEXT NOT NULL, mark TEXT, homework TEXT)"))
        if conn.execute(text(f"SELECT count(*) FROM {SELECTS}")).scalar_one() == 0:
            rng = random.Random(1)
            conn.execute(
                text(f"INSERT INTO {SELECTS} VALUES "
                     "(:id, :student, :day, :subject, :topic, :mark, :homework)"),
                [{"id": i, "student": f"{rng.getrandbits(128):032x}",
                  "day": f"2027-05-{1 + i % 28:02d}", "subject": f"Предмет {i % 15}",
                  "topic": f"Тема урока {i}", "mark": rng.choice(["2", "3", "4", "5", None]),
                  "homework": f"§ {i % 40}, упражнения {i % 9}-{i % 9 + 3}"}
                 for i in range(ROWS)])


def create() -> FastAPI:
    engine = engine_from_env()
    setup(engine)
    app = FastAPI()
    insert = text(f"INSERT INTO {INSERTS} (payload) VALUES (:payload)")
    select = text(f"SELECT id, student, day, subject, topic, mark, homework "
                  f"FROM {SELECTS} WHERE id >= :start ORDER BY id LIMIT {PAGE}")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/insert", status_code=201)
    def insert_one(body: InsertIn) -> dict[str, bool]:
        with engine.begin() as conn:
            conn.execute(insert, {"payload": body.payload})
        return {"inserted": True}

    @app.get("/select")
    def select_page() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            rows = conn.execute(select, {"start": random.randrange(ROWS - PAGE)})
            return [dict(row._mapping) for row in rows]

    return app
