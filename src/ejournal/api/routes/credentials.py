"""Credentials a school can run (R-4.8, R-7.3): a holder changes their password and sees and
ends their sessions; the administration resets a password, disables and enables an account.

Each change is an event on the account (``User.PasswordChanged`` ...); the secrets are kept
beside the log (``ejournal.accounts``) and never logged, audited or echoed."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from ejournal.api.deps import Administrator, CurrentUser, Principal, ServicesDep
from ejournal.api.requests import POLICY, Password, StrictIn, Text
from ejournal.api.services import Services
from ejournal.application.commands import (
    DisableUser,
    EnableUser,
    RecordPasswordChange,
    ResetPassword,
)
from ejournal.domain.errors import InvalidEntry
from ejournal.domain.passwords import check_password

router = APIRouter(prefix="/api/v1", tags=["accounts"])

#: A temporary password: 14 characters of an alphabet without look-alikes (~80 bits).
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 14


class PasswordChangeIn(StrictIn):
    current_password: str = Field(max_length=1024, repr=False)
    new_password: Password = Field(repr=False, description=POLICY)


class DisableIn(StrictIn):
    reason: Text


class TemporaryPasswordOut(BaseModel):
    temporary_password: str = Field(description="shown once; to be changed at first login")


class SessionOut(BaseModel):
    id: UUID
    created_at: datetime
    last_used_at: datetime
    address: str | None
    user_agent: str | None
    current: bool


class SessionsOut(BaseModel):
    items: list[SessionOut]
    next: str | None = None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def may_try(svc: Services, user: Principal, request: Request) -> str:
    """The client's address, once the login rate limit lets it try a secret (a current
    password, a code): guessing one counts as failed logins."""
    address = client_address(request)
    limited = svc.accounts.limited(user.username, address, now=svc.now())
    if limited is not None:
        raise HTTPException(429, "too many failed attempts; try again later",
                            headers={"Retry-After": str(limited.retry_after)})
    return address


def temporary_password() -> str:
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))


@router.post("/me/password", status_code=204)
def change_password(svc: ServicesDep, user: CurrentUser, request: Request,
                    body: PasswordChangeIn) -> Response:
    """The holder's new password; every other session of theirs ends (this one stays)."""
    now, address = svc.now(), may_try(svc, user, request)
    if not svc.accounts.check_password(user.user_id, body.current_password):
        svc.accounts.record_failure(user.username, address, now=now)
        svc.accounts.note("password_change_failed", now=now, user_id=user.user_id,
                          address=address)
        raise InvalidEntry("that is not the account's current password",
                           field="current_password")
    check_password(body.new_password, user.username, field="new_password")
    svc.accounts.set_password(user.user_id, body.new_password, now=now)
    svc.app.execute(RecordPasswordChange(user.user_id))
    svc.accounts.revoke_all(user.user_id, now=now, keep=user.token)
    svc.accounts.note("password_changed", now=now, user_id=user.user_id, address=address)
    return Response(status_code=204)


@router.post("/users/{user_id}/password-reset", response_model=TemporaryPasswordOut)
def reset_password(svc: ServicesDep, user: Administrator, user_id: UUID) -> dict[str, Any]:
    """A temporary password, shown once: every session of the user ends, and they must choose
    their own at next login."""
    svc.app.execute(ResetPassword(user.user_id, user_id))
    now, chosen = svc.now(), temporary_password()
    svc.accounts.set_password(user_id, chosen, now=now)
    svc.accounts.revoke_all(user_id, now=now)
    svc.accounts.note("password_reset", now=now, user_id=user_id, detail=f"by {user.user_id}")
    return {"temporary_password": chosen}


@router.post("/users/{user_id}/disable", status_code=204)
def disable(svc: ServicesDep, user: Administrator, user_id: UUID, body: DisableIn) -> Response:
    """A leaver: they can no longer sign in and every session ends at once; what they entered
    stays."""
    svc.app.execute(DisableUser(user.user_id, user_id, reason=body.reason))
    svc.accounts.revoke_all(user_id, now=svc.now())
    svc.accounts.note("account_disabled", now=svc.now(), user_id=user_id,
                      detail=f"by {user.user_id}")
    return Response(status_code=204)


@router.post("/users/{user_id}/enable", status_code=204)
def enable(svc: ServicesDep, user: Administrator, user_id: UUID) -> Response:
    svc.app.execute(EnableUser(user.user_id, user_id))
    svc.accounts.note("account_enabled", now=svc.now(), user_id=user_id,
                      detail=f"by {user.user_id}")
    return Response(status_code=204)


@router.get("/me/sessions", response_model=SessionsOut)
def sessions(svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    """The holder's live sessions, oldest first; ``current`` is the one asking."""
    found = svc.accounts.sessions(user.user_id, now=svc.now())
    return {"items": [{"id": s.id, "created_at": s.created_at, "last_used_at": s.last_used_at,
                       "address": s.address, "user_agent": s.user_agent,
                       "current": s.id == user.session_id} for s in found], "next": None}


@router.post("/me/sessions/{session_id}/revoke", status_code=204)
def revoke_session(svc: ServicesDep, user: CurrentUser, session_id: UUID) -> Response:
    """Ends one of the holder's sessions (another's, or an ended one, is 404)."""
    if not svc.accounts.revoke_session(user.user_id, session_id, now=svc.now()):
        raise HTTPException(404, f"no session {session_id}")
    svc.accounts.note("session_revoked", now=svc.now(), user_id=user.user_id)
    return Response(status_code=204)
