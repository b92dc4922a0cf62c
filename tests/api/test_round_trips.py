"""The people a request stands on are read in one round trip: the account of the token and the
student its path names, together (``deps.current_user``), and the access rule decides on them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from starlette.requests import Request

from ejournal.api.access import student_access
from ejournal.api.deps import current_user
from ejournal.api.services import Services
from tests.builders import build_school
from tests.databases import Clock, Database


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = Services.open(database.settings, clock)
    yield services
    services.close()


def _request(student_id: str | None) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                    "path_params": {} if student_id is None else {"student_id": student_id}})


def _counting(svc: Services, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    store = svc.app.loader.store
    newer = store.newer

    def counted(versions: dict[UUID, int]) -> Any:
        calls.append(len(versions))
        return newer(versions)

    monkeypatch.setattr(store, "newer", counted)
    return calls


def test_the_guardian_and_the_child_are_read_together(svc: Services,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    s = build_school(svc.app, students=2, tag="rt")
    token, _ = svc.accounts.issue_token(s.guardian, now=svc.now())
    calls = _counting(svc, monkeypatch)
    viewer = current_user(_request(str(s.students[0])), svc, token)
    access = student_access(svc, viewer, s.students[0])
    assert calls == [2]  # one query of the event store, for both
    assert (viewer.user_id, access.student.id, access.spans) == (
        s.guardian, s.students[0], None)
    assert s.guardian in access.student.guardians
    with pytest.raises(Exception, match="404"):  # another child: not visible
        student_access(svc, viewer, s.students[1])
    assert calls == [2, 1]


@pytest.mark.parametrize("named", [None, "not-an-id", str(uuid4())])
def test_a_path_without_a_known_student_reads_the_account_alone(
        svc: Services, monkeypatch: pytest.MonkeyPatch, named: str | None) -> None:
    s = build_school(svc.app, students=1, tag="rt2")
    token, _ = svc.accounts.issue_token(s.guardian, now=svc.now())
    calls = _counting(svc, monkeypatch)
    viewer = current_user(_request(named), svc, token)
    assert viewer.user_id == s.guardian
    assert calls == [1 if named in (None, "not-an-id") else 2]
    if named is not None and named != "not-an-id":
        with pytest.raises(Exception, match="404"):
            student_access(svc, viewer, UUID(named))
        assert calls == [2]  # the unknown student is not looked up again
