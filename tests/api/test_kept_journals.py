"""The journal a read is decided on is kept in the process as the principal is
(``access.may_read_journal``, ``may_read_grid``): a kept journal costs no statement, a teacher
unassigned by this process is refused at once, by another within the recheck bound, and a
refusal reads the journal as it is now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi import HTTPException

from ejournal.api.access import may_read_grid, may_read_journal
from ejournal.api.deps import PRINCIPAL_RECHECK_SECONDS, Principal
from ejournal.api.services import Services
from ejournal.application.commands import AssignTeacher
from ejournal.domain.values import Role
from tests.builders import SmallSchool, build_school
from tests.databases import Clock, Database


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = Services.open(database.settings, clock)
    moment = [1000.0]
    services.app.monotonic = lambda: moment[0]
    services.moment = moment  # type: ignore[attr-defined]
    yield services
    services.close()


@pytest.fixture
def school(svc: Services) -> SmallSchool:
    return build_school(svc.app, students=1, tag="kj", class_teacher=False)


@pytest.fixture
def newer(svc: Services, school: SmallSchool, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    store = svc.app.loader.store
    read = store.newer

    def counted(versions: dict[UUID, int]) -> Any:
        calls.append(len(versions))
        return read(versions)

    monkeypatch.setattr(store, "newer", counted)
    return calls


def _teacher(s: SmallSchool, user_id: UUID) -> Principal:
    return Principal(user_id, "t", "Учитель", Role.TEACHER, s.school, "token")


def _reads(svc: Services, s: SmallSchool, user_id: UUID) -> str:
    """"" if the teacher may read the journal (its grid too), else the status."""
    try:
        may_read_journal(svc, _teacher(s, user_id), s.journal)
        may_read_grid(svc, _teacher(s, user_id), s.journal)
    except HTTPException as refused:
        return str(refused.status_code)
    return ""


def _assign(app: Any, s: SmallSchool, teacher: UUID) -> None:
    app.execute(AssignTeacher(s.admin, s.journal, teacher_id=teacher))


def test_a_kept_journal_costs_no_statement(svc: Services, school: SmallSchool,
                                           newer: list[int]) -> None:
    assert [_reads(svc, school, school.teacher) for _ in range(3)] == ["", "", ""]
    # Six lookups: read (the journal, then its class), read again with the versions it is
    # then kept by, then kept.
    assert newer == [1, 1, 1, 1]
    svc.moment[0] += PRINCIPAL_RECHECK_SECONDS  # type: ignore[attr-defined]
    assert _reads(svc, school, school.teacher) == ""
    assert newer == [1, 1, 1, 1, 1, 1]  # read again once, then kept


def test_a_teacher_unassigned_here_is_refused_at_once(svc: Services,
                                                      school: SmallSchool) -> None:
    assert [_reads(svc, school, school.teacher) for _ in range(3)] == ["", "", ""]
    _assign(svc.app, school, school.other_teacher)
    assert _reads(svc, school, school.teacher) == "404"  # no clock moved
    assert _reads(svc, school, school.other_teacher) == ""


def test_another_processs_unassignment_holds_within_the_bound_and_its_grant_at_once(
        svc: Services, school: SmallSchool, database: Database) -> None:
    assert [_reads(svc, school, school.teacher) for _ in range(3)] == ["", "", ""]
    elsewhere = database.app()
    try:
        _assign(elsewhere, school, school.other_teacher)
        svc.moment[0] += PRINCIPAL_RECHECK_SECONDS - 0.5  # type: ignore[attr-defined]
        assert _reads(svc, school, school.teacher) == ""  # still believed, within the bound
        svc.moment[0] += 1.0  # type: ignore[attr-defined]
        assert _reads(svc, school, school.teacher) == "404"
        # When the other process gives the journal back, while it is kept as the other's
        _assign(elsewhere, school, school.teacher)
        assert _reads(svc, school, school.teacher) == ""  # a refusal reads it as it is now
    finally:
        elsewhere.close()
