"""Who may administer a school, and the people and things of a school it administers: the
operator anything, a school's admin their school (R-2.1: the school registers people)."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from ejournal.application.unit import UnitOfWork
from ejournal.domain.errors import InvalidStructure, NotFound, NotPermitted
from ejournal.domain.people import User
from ejournal.domain.school import School
from ejournal.domain.values import Actor, Role

A = TypeVar("A", bound=Aggregate)


def administrator(uow: UnitOfWork, actor_id: UUID, school_id: UUID) -> Actor:
    """The operator, or an admin of this school; another school is not there for an admin."""
    actor = uow.actor(actor_id)
    if actor.is_operator or actor.is_admin_of(school_id):
        return actor
    if actor.role is Role.ADMIN:
        raise NotFound(f"no school {school_id}", field="school_id")
    raise NotPermitted("only the school's administration does this")


def school_of(uow: UnitOfWork, school_id: UUID) -> School:
    return uow.load(School, school_id, "school", "school_id")


def in_school(uow: UnitOfWork, school_id: UUID, user_id: UUID, field: str) -> User:
    """A user of this school (any role: the domain checks the role it needs)."""
    user = uow.load(User, user_id, "user", field)
    if user.school_id != school_id:
        raise NotFound(f"no user {user_id} in this school", field=field)
    return user


def member(uow: UnitOfWork, school_id: UUID, user_id: UUID, role: Role, field: str) -> User:
    """A user of this school in this role."""
    user = in_school(uow, school_id, user_id, field)
    if user.role is not role:
        raise InvalidStructure(f"user {user_id} is not a {role.value}", field=field)
    return user


def administered(uow: UnitOfWork, actor_id: UUID, cls: type[A], aggregate_id: UUID,
                 what: str, field: str) -> A:
    """A class or journal of a school the actor administers; else it does not exist."""
    aggregate = uow.load(cls, aggregate_id, what, field)
    try:
        administrator(uow, actor_id, getattr(aggregate, "school_id"))  # noqa: B009
    except NotFound:
        raise NotFound(f"no {what} {aggregate_id}", field=field) from None
    return aggregate
