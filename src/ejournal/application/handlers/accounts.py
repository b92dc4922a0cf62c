"""Handlers of what happens to an account after it is registered: its password changed by its
holder or reset by the administration, disabled and enabled (R-4.8, R-7.3). The secrets
themselves are kept beside the log (``ejournal.accounts``); these record the facts."""

from __future__ import annotations

from uuid import UUID

from ejournal.application import commands as c
from ejournal.application import results as r
from ejournal.application.handlers.admin import administrator, school_of
from ejournal.application.unit import Handler, UnitOfWork
from ejournal.domain.errors import NotFound
from ejournal.domain.people import User


def administered_user(uow: UnitOfWork, actor_id: UUID, user_id: UUID) -> User:
    """An account the actor administers: the operator any, a school's admin their school's;
    any other is not there for them."""
    user = uow.load(User, user_id, "user", "user_id")
    actor = uow.actor(actor_id)
    if user.school_id is None:
        if not actor.is_operator:
            raise NotFound(f"no user {user_id}", field="user_id")
        return user
    try:
        administrator(uow, actor_id, user.school_id)
    except NotFound:
        raise NotFound(f"no user {user_id}", field="user_id") from None
    return user


def record_password_change(command: c.RecordPasswordChange,
                           uow: UnitOfWork) -> r.PasswordChanged:
    user = uow.load(User, command.actor_id, "user")
    user.change_password(at=uow.now)
    uow.add(user)
    return r.PasswordChanged()


def record_mfa(command: c.RecordMfa, uow: UnitOfWork) -> r.MfaTurned:
    user = uow.load(User, command.actor_id, "user")
    user.turn_mfa(command.on, at=uow.now)
    uow.add(user)
    return r.MfaTurned()


def require_staff_mfa(command: c.RequireStaffMfa, uow: UnitOfWork) -> r.SchoolSettingsSet:
    administrator(uow, command.actor_id, command.school_id)
    school = school_of(uow, command.school_id)
    school.require_staff_mfa(command.required, by=command.actor_id, at=uow.now)
    uow.add(school)
    return r.SchoolSettingsSet()


def reset_password(command: c.ResetPassword, uow: UnitOfWork) -> r.PasswordReset:
    user = administered_user(uow, command.actor_id, command.user_id)
    user.reset_password(by=command.actor_id, at=uow.now)
    uow.add(user)
    return r.PasswordReset()


def disable_user(command: c.DisableUser, uow: UnitOfWork) -> r.UserDisabled:
    user = administered_user(uow, command.actor_id, command.user_id)
    user.disable(reason=command.reason, by=command.actor_id, at=uow.now)
    uow.add(user)
    return r.UserDisabled()


def enable_user(command: c.EnableUser, uow: UnitOfWork) -> r.UserEnabled:
    user = administered_user(uow, command.actor_id, command.user_id)
    user.enable(by=command.actor_id, at=uow.now)
    uow.add(user)
    return r.UserEnabled()


HANDLERS: dict[type, Handler] = {
    c.RecordPasswordChange: record_password_change,
    c.RecordMfa: record_mfa,
    c.RequireStaffMfa: require_staff_mfa,
    c.ResetPassword: reset_password,
    c.DisableUser: disable_user,
    c.EnableUser: enable_user,
}
