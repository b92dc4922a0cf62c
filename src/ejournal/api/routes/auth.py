"""Accounts: log in (OAuth2 password flow), log out, who am I, end a user's sessions."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm

from ejournal.api.deps import Administrator, CurrentUser, ServicesDep
from ejournal.api.problems import TypedHTTPException
from ejournal.api.responses import MeOut, TokenOut
from ejournal.api.services import Services
from ejournal.domain.values import Role
from ejournal.projections.directory import children_of, classes_taught_by

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


OTP = ("with MFA on: a current TOTP code (each works once) or an unused recovery code; "
       "without it, 401 with type ending in mfa-required")


def second_factor(svc: Services, user_id: UUID, username: str, address: str,
                  otp: str | None) -> None:
    """The login's second step: 401 ``mfa-required`` without a code; a wrong or used one
    counts as a failed login (codes cannot be guessed past the rate limit)."""
    now = svc.now()
    if not otp:
        svc.accounts.note("login_mfa_required", now=now, username=username, address=address)
        raise TypedHTTPException(401, "this account signs in with a code too (form field otp)",
                                 kind="mfa-required", headers={"WWW-Authenticate": "Bearer"})
    if not svc.accounts.second_factor.verify(user_id, otp, now=now):
        svc.accounts.record_failure(username, address, now=now)
        svc.accounts.note("login_failed", now=now, username=username, address=address,
                          detail="second factor")
        raise TypedHTTPException(401, "the code is wrong or was used already",
                                 kind="mfa-required", headers={"WWW-Authenticate": "Bearer"})


@router.post("/auth/token", response_model=TokenOut)
def login(svc: ServicesDep, request: Request,
          form: Annotated[OAuth2PasswordRequestForm, Depends()],
          otp: Annotated[str | None, Form(max_length=64, description=OTP)] = None) -> TokenOut:
    now = svc.now()
    address = _address(request)
    for field, text in (("username", form.username), ("password", form.password)):
        if "\x00" in text:  # no account has one; PostgreSQL could not even store the attempt
            raise RequestValidationError([{"loc": ("body", field), "type": "text_nul",
                                           "msg": "text must not contain a NUL character"}])
    limited = svc.accounts.limited(form.username, address, now=now)
    if limited is not None:
        svc.accounts.note("login_limited", now=now, username=form.username, address=address)
        raise HTTPException(429, "too many failed logins; try again later",
                            headers={"Retry-After": str(limited.retry_after)})
    user = svc.app.user_by_username(form.username)
    # The password is checked whether or not the account exists, and a disabled account
    # answers exactly as a wrong password: every refusal takes as long.
    right = svc.accounts.check_password(user.id if user else None, form.password)
    if user is None or not right or user.disabled:
        svc.accounts.record_failure(form.username, address, now=now)
        svc.accounts.note("login_failed", now=now, username=form.username, address=address)
        raise HTTPException(401, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    if user.mfa_enabled:
        second_factor(svc, user.id, user.username, address, otp)
    token, session = svc.accounts.issue_token(user.id, now=now, address=address,
                                              user_agent=request.headers.get("user-agent"))
    svc.accounts.note("login", now=now, user_id=user.id, username=user.username,
                      address=address)
    return TokenOut(access_token=token, expires_in=int((session.expires_at - now).total_seconds()))


@router.post("/auth/logout", status_code=204)
def logout(svc: ServicesDep, user: CurrentUser) -> Response:
    svc.accounts.revoke(user.token, now=svc.now())
    svc.accounts.note("logout", now=svc.now(), user_id=user.user_id)
    return Response(status_code=204)


@router.get("/me", response_model=MeOut)
def me(svc: ServicesDep, user: CurrentUser) -> MeOut:
    # Relations take effect as soon as acknowledged: read them once the projector has
    # reached the head of the log as it is now.
    svc.projector.wait_for(svc.projector.head(), timeout=5.0)
    with svc.reader.connect() as conn:
        classes = classes_taught_by(conn, user.user_id)
        children = children_of(conn, user.user_id)
    person = svc.app.user(user.user_id)
    return MeOut(id=user.user_id, username=user.username, full_name=user.full_name,
                 school_id=user.school_id, role=user.role.value, class_teacher_of=classes,
                 children=children,
                 must_change_password=bool(person and person.must_change_password),
                 mfa_enabled=bool(person and person.mfa_enabled))


@router.post("/users/{user_id}/revoke-sessions", status_code=204)
def revoke_sessions(svc: ServicesDep, user: Administrator, user_id: UUID) -> Response:
    """The operator ends any user's sessions; a school's admin those of their school's users
    (another school's user, or an unknown one, is 404)."""
    target = svc.app.user(user_id)
    if target is None or (
            user.role is not Role.OPERATOR and target.school_id != user.school_id):
        raise HTTPException(404, f"no user {user_id}")
    svc.accounts.revoke_all(user_id, now=svc.now())
    svc.accounts.note("sessions_revoked", now=svc.now(), user_id=user_id,
                      detail=f"by {user.user_id}")
    return Response(status_code=204)
