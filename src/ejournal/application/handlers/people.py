"""Handlers of accounts and people: operators, schools, users and their guardians."""

from __future__ import annotations

from uuid import UUID, uuid4

from ejournal.application import commands as c
from ejournal.application import results as r
from ejournal.application.handlers.admin import administrator, school_of
from ejournal.application.unit import Handler, UnitOfWork
from ejournal.domain import ids
from ejournal.domain.errors import NotFound, NotPermitted
from ejournal.domain.people import User, UsernameClaim, username_taken
from ejournal.domain.school import School
from ejournal.domain.values import Role


def register_operator(command: c.RegisterOperator, uow: UnitOfWork) -> r.UserRegistered:
    return r.UserRegistered(_register(uow, None, None, command.username, command.full_name,
                                      Role.OPERATOR.value))


def register_school(command: c.RegisterSchool, uow: UnitOfWork) -> r.SchoolRegistered:
    if not uow.actor(command.actor_id).is_operator:
        raise NotPermitted("only an operator registers schools")
    school = School.register(school_id=uuid4(), name=command.name, timezone=command.timezone,
                             by=command.actor_id, at=uow.now)
    uow.add(school)
    return r.SchoolRegistered(school.id)


def register_user(command: c.RegisterUser, uow: UnitOfWork) -> r.UserRegistered:
    if command.school_id is None:
        if not uow.actor(command.actor_id).is_operator:
            raise NotPermitted("only an operator registers operators")
    else:
        administrator(uow, command.actor_id, command.school_id)
        school_of(uow, command.school_id)
    return r.UserRegistered(_register(uow, command.actor_id, command.school_id,
                                      command.username, command.full_name, command.role))


def _register(uow: UnitOfWork, actor_id: UUID | None, school_id: UUID | None, username: str,
              full_name: str, role: str) -> UUID:
    """The account and the claim of its username (unique across the platform)."""
    user = User.register(user_id=uow.new_id(), school_id=school_id, username=username,
                         full_name=full_name, role=role, by=actor_id, at=uow.now)
    claim_id = ids.username_claim_id(user.username)
    if uow.exists(claim_id):
        raise username_taken(user.username)
    uow.add(user, UsernameClaim.claim(claim_id=claim_id, user_id=user.id, at=uow.now))
    return user.id


def _administered_student(uow: UnitOfWork, actor_id: UUID, student_id: UUID) -> User:
    """A user of a school the actor administers; else it does not exist."""
    student = uow.load(User, student_id, "user", "student_id")
    if student.school_id is None:
        raise NotFound(f"no student {student_id}", field="student_id")
    try:
        administrator(uow, actor_id, student.school_id)
    except NotFound:
        raise NotFound(f"no student {student_id}", field="student_id") from None
    return student


def link_guardian(command: c.LinkGuardian, uow: UnitOfWork) -> r.GuardianLinked:
    student = _administered_student(uow, command.actor_id, command.student_id)
    guardian = uow.load(User, command.guardian_id, "user", "guardian_id")
    student.link_guardian(guardian, by=command.actor_id, at=uow.now)
    uow.add(student)
    return r.GuardianLinked()


def unlink_guardian(command: c.UnlinkGuardian, uow: UnitOfWork) -> r.GuardianUnlinked:
    student = _administered_student(uow, command.actor_id, command.student_id)
    student.unlink_guardian(command.guardian_id, by=command.actor_id, at=uow.now)
    uow.add(student)
    return r.GuardianUnlinked()


HANDLERS: dict[type, Handler] = {
    c.RegisterOperator: register_operator,
    c.RegisterSchool: register_school,
    c.RegisterUser: register_user,
    c.LinkGuardian: link_guardian,
    c.UnlinkGuardian: unlink_guardian,
}
