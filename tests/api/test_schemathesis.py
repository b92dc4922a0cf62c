"""Schemathesis against the served ``/openapi.json``, on SQLite and PostgreSQL, as a school's
admin and as its teacher: every phase, a fixed seed, a few examples each, so that a run is
repeatable. No 5xx, every answer as the document describes it (problem+json errors included),
and invalid data refused."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status
from schemathesis.engine.events import EngineFinished, NonFatalError, ScenarioFinished

from tests.api.helpers import School, build_school
from tests.servers import Server

SEED = 20261129
SESSION_ENDING = ("/api/v1/auth/logout", "/api/v1/users/{user_id}/revoke-sessions",
                  "/api/v1/me/password", "/api/v1/me/sessions/{session_id}/revoke",
                  "/api/v1/users/{user_id}/password-reset", "/api/v1/users/{user_id}/disable",
                  "/api/v1/users/{user_id}/enable", "/api/v1/schools/{school_id}/settings")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance",
          "negative_data_rejection")


@pytest.fixture(scope="module")
def school(module_server: Server) -> School:
    return build_school(module_server, "st")


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": 3, "deterministic": False, "database": "none"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True, "max-steps": 6}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS},
                   # invalid data is refused: a body over 64 KiB with 413 (the contract's)
                   "negative_data_rejection": {"enabled": True, "expected-statuses": [
                       "400", "401", "403", "404", "409", "413", "422", "429"]}},
        "request-timeout": 30,
    })


def _run(server: Server, token: str) -> list[str]:
    """Runs every phase; answers the failures found, one line each."""
    loaded = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=_config(token))
    # Logging out and ending sessions would end the run's own session: the role matrix and
    # the account tests cover them.
    schema = loaded.exclude(path=list(SESSION_ENDING))
    problems: list[str] = []
    finished = False
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, ScenarioFinished) and event.status in (Status.FAILURE,
                                                                     Status.ERROR):
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status is Status.FAILURE and check.failure_info is not None:
                        case = event.recorder.cases[case_id].value
                        problems.append(f"[{event.phase}] {case.method} {case.formatted_path}"
                                        f" {check.name}: {check.failure_info.failure.title}"
                                        f" - {_describe(check.failure_info)}")
        elif isinstance(event, NonFatalError):
            problems.append(f"[{event.phase}] {event.label}: error {event.value!r}")
        elif isinstance(event, EngineFinished):
            finished = True
    assert finished, "the run did not finish"
    return sorted(set(problems))


def _describe(info: Any) -> str:
    failure = info.failure
    message = getattr(failure, "message", "") or ""
    return " ".join(str(message).split())[:300]


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_the_served_api_conforms_to_its_openapi_document(
    module_server: Server, school: School, role: str
) -> None:
    # Given the school's admin (who may write everything of the school), or its teacher
    token = school.tokens[role]
    # When schemathesis runs every phase against the served document
    problems = _run(module_server, token)
    # Then it found no 5xx and no answer outside the document
    assert problems == [], "\n".join(problems)
