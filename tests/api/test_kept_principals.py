"""A request's principal is kept in the process (``deps.authenticated``, ``Queries.users``):
a kept token and account are answered on the event loop without a statement, yet what this
process changes of the account, of its school or of the student the path names holds on the
very next request, and another process's change within ``PRINCIPAL_RECHECK_SECONDS``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from ejournal.api import deps
from ejournal.api.access import student_access
from ejournal.api.deps import PRINCIPAL_RECHECK_SECONDS, Principal, authenticated
from ejournal.api.problems import Refusal
from ejournal.api.services import Services
from ejournal.application.commands import (
    DisableUser,
    EnableUser,
    LinkGuardian,
    RequireStaffMfa,
    ResetPassword,
    UnlinkGuardian,
)
from tests.builders import SmallSchool, build_school
from tests.databases import Clock, Database


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = Services.open(database.settings, clock)
    moment = [1000.0]
    services.app.monotonic = services.accounts.monotonic = lambda: moment[0]
    services.moment = moment  # type: ignore[attr-defined]
    yield services
    services.close()


def _later(svc: Services, seconds: float) -> None:
    svc.moment[0] += seconds  # type: ignore[attr-defined]


def _request(svc: Services, token: str, student_id: UUID | None = None,
             route: str = "/api/v1/students/{student_id}/diary") -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [
        (b"authorization", f"Bearer {token}".encode())],
        "app": SimpleNamespace(state=SimpleNamespace(services=svc)),
        "route": SimpleNamespace(path=route),
        "path_params": {} if student_id is None else {"student_id": str(student_id)}})


def _principal(svc: Services, token: str, student_id: UUID | None = None) -> Principal:
    return asyncio.run(authenticated(_request(svc, token, student_id)))


@pytest.fixture
def school(svc: Services) -> SmallSchool:
    return build_school(svc.app, students=2, tag="kp")


@pytest.fixture
def reads(svc: Services, school: SmallSchool,
          monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """The event store's fast-forwards, and the principals looked up in a request thread,
    once the school is built."""
    seen: dict[str, list[Any]] = {"newer": [], "thread": []}
    store = svc.app.loader.store
    newer, looked_up = store.newer, deps.current_user

    def counted(versions: dict[UUID, int]) -> Any:
        seen["newer"].append(len(versions))
        return newer(versions)

    def in_thread(*args: Any) -> Principal:
        seen["thread"].append(1)
        return looked_up(*args)

    monkeypatch.setattr(store, "newer", counted)
    monkeypatch.setattr(deps, "current_user", in_thread)
    return seen


def _token(svc: Services, user_id: UUID) -> str:
    return svc.accounts.issue_token(user_id, now=svc.now())[0]


def test_a_kept_principal_costs_no_statement_and_no_thread(
        svc: Services, school: SmallSchool, reads: dict[str, list[Any]]) -> None:
    s, token = school, _token(svc, school.guardian)
    first = _principal(svc, token, s.students[0])
    assert (reads["newer"], reads["thread"]) == ([2], [1])  # read once, in a thread
    again = _principal(svc, token, s.students[0])
    assert (reads["newer"], reads["thread"]) == ([2], [1])  # then kept: neither
    assert again == first
    assert again.named == first.named == {s.students[0]: svc.app.user(s.students[0])}
    _later(svc, PRINCIPAL_RECHECK_SECONDS)
    assert _principal(svc, token, s.students[0]) == first
    assert reads["newer"][1:] == [1, 2]  # the bound passed: read again (after the user() above)


def test_a_teacher_is_kept_with_their_school(
        svc: Services, school: SmallSchool, reads: dict[str, list[Any]]) -> None:
    s, token = school, _token(svc, school.teacher)
    _principal(svc, token)
    _principal(svc, token)
    assert (reads["newer"], reads["thread"]) == ([1, 1], [1])  # the teacher, then the school
    # When the school requires MFA of its staff, in this process
    svc.app.execute(RequireStaffMfa(s.admin, s.school, required=True))
    # Then the teacher's next request is refused at once
    with pytest.raises(Refusal) as refused:
        _principal(svc, token)
    assert refused.value.kind == "mfa-setup-required"


def _disable(svc: Services, s: SmallSchool) -> None:
    svc.app.execute(DisableUser(s.admin, s.guardian, reason="test"))


def _reset(svc: Services, s: SmallSchool) -> None:
    svc.app.execute(ResetPassword(s.admin, s.guardian))


def _unlink(svc: Services, s: SmallSchool) -> None:
    svc.app.execute(UnlinkGuardian(s.admin, s.students[0], s.guardian))


def _refused(svc: Services, token: str, s: SmallSchool) -> str:
    """How the guardian's next diary read of their first child is refused ("" if it is not)."""
    try:
        viewer = _principal(svc, token, s.students[0])
        student_access(svc, viewer, s.students[0])
    except Refusal as refusal:
        return refusal.kind
    except HTTPException as refusal:
        return str(refusal.status_code)
    return ""


CHANGES: dict[str, tuple[Callable[[Services, SmallSchool], None], str]] = {
    "disabled": (_disable, "401"),
    "password reset": (_reset, "password-change-required"),
    "guardian unlinked": (_unlink, "404"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_made_in_this_process_holds_on_the_next_request(
        svc: Services, school: SmallSchool, change: str) -> None:
    s, token = school, _token(svc, school.guardian)
    assert _refused(svc, token, s) == ""
    assert _refused(svc, token, s) == ""  # kept
    make, refusal = CHANGES[change]
    make(svc, s)
    assert _refused(svc, token, s) == refusal  # no clock moved


@pytest.mark.parametrize("change", list(CHANGES))
def test_another_processs_change_holds_within_the_recheck_bound(
        svc: Services, school: SmallSchool, database: Database, change: str) -> None:
    s, token = school, _token(svc, school.guardian)
    assert _refused(svc, token, s) == ""
    elsewhere = Services.open(database.settings, svc.clock)  # another server's
    try:
        make, refusal = CHANGES[change]
        make(elsewhere, s)
        _later(svc, PRINCIPAL_RECHECK_SECONDS - 0.5)
        assert _refused(svc, token, s) == ""  # still believed, within the bound
        _later(svc, 1.0)
        assert _refused(svc, token, s) == refusal
    finally:
        elsewhere.close()


def _enable(svc: Services, s: SmallSchool) -> None:
    svc.app.execute(EnableUser(s.admin, s.guardian))


def _link(svc: Services, s: SmallSchool) -> None:
    svc.app.execute(LinkGuardian(s.admin, s.students[0], s.guardian))


GRANTS: dict[str, tuple[Callable[[Services, SmallSchool], None],
                        Callable[[Services, SmallSchool], None]]] = {
    "enabled": (_disable, _enable),
    "guardian linked": (_unlink, _link),
}


@pytest.mark.parametrize("grant", list(GRANTS))
def test_what_another_process_grants_holds_at_once(
        svc: Services, school: SmallSchool, database: Database, grant: str) -> None:
    s, token = school, _token(svc, school.guardian)
    take, give = GRANTS[grant]
    take(svc, s)
    assert _refused(svc, token, s) != ""
    elsewhere = Services.open(database.settings, svc.clock)
    try:
        give(elsewhere, s)
        assert _refused(svc, token, s) == ""  # a refusal reads the account as it is now
        assert _refused(svc, token, s) == ""
    finally:
        elsewhere.close()
