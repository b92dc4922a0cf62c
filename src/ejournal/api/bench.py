"""The HTTP benchmark's baseline (``bench/http.py``): one bare INSERT through the same server
stack - FastAPI, uvicorn, the event store's own database connection - and nothing else.

Served only when ``EJOURNAL_BENCH_BASELINE=1`` is set in the server's environment, never in
normal serving, and never in the OpenAPI document.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from ejournal.api.deps import ServicesDep
from ejournal.api.route_table import add_routes

ENV = "EJOURNAL_BENCH_BASELINE"
PATH = "/bench/baseline"
TABLE = "bench_baseline"

router = APIRouter(include_in_schema=False)
_ready = threading.Lock()
_created: set[int] = set()


class BaselineIn(BaseModel):
    payload: str = Field(max_length=100)


def _table(svc: Any) -> str:
    schema = svc.settings.database_schema
    postgres = svc.settings.database_url.startswith("postgresql")
    return f'"{schema}".{TABLE}' if postgres else TABLE


def _create(svc: Any) -> None:
    with _ready:
        if id(svc) in _created:
            return
        postgres = svc.settings.database_url.startswith("postgresql")
        key = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
        with svc.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {_table(svc)} "
                           f"(id {key}, payload TEXT NOT NULL)")
        _created.add(id(svc))


@router.post(PATH, status_code=201)
def baseline(svc: ServicesDep, body: BaselineIn) -> dict[str, bool]:
    """One single-row INSERT and its COMMIT, through the connection the event store writes
    with (its pool on PostgreSQL, its SQLite connection and write lock on SQLite)."""
    _create(svc)
    _insert(svc, body.payload)
    return {"inserted": True}


def _insert(svc: Any, payload: str) -> None:
    postgres = svc.settings.database_url.startswith("postgresql")
    marker = "%s" if postgres else "?"
    with svc.app.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"INSERT INTO {_table(svc)} (payload) VALUES ({marker})",  # noqa: S608
                       (payload,))


def enabled() -> bool:
    return os.environ.get(ENV) == "1"


def install(app: FastAPI) -> None:
    """Adds the baseline route, only when the benchmark asked for it."""
    if enabled():
        add_routes(app, router)
