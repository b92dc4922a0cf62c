"""A second factor for an account (R-4.8, R-7.3): TOTP (RFC 6238) set up, confirmed with a code
(then ten recovery codes, shown once) and turned off with a code; a school may require it of
its staff. Codes are checked as login does: each works once, and a wrong one counts as a failed
login for the rate limit. Neither the secret nor a code is logged or audited."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from ejournal.api.deps import CurrentUser, Principal, ServicesDep, allow
from ejournal.api.routes.credentials import may_try
from ejournal.api.services import Services
from ejournal.application.commands import RecordMfa, RequireStaffMfa
from ejournal.domain.errors import ConflictWithJournal, InvalidEntry
from ejournal.domain.values import Role

router = APIRouter(prefix="/api/v1", tags=["accounts"])

SchoolAdmin = Annotated[Principal, Depends(allow(
    Role.ADMIN, detail="only the school's admin sets its settings"))]


class CodeIn(BaseModel):
    model_config = {"extra": "forbid"}

    code: str = Field(min_length=1, max_length=64, repr=False,
                      description="a current TOTP code (or, to turn MFA off, a recovery code)")


class EnrolmentOut(BaseModel):
    secret: str = Field(description="base32, for the authenticator app")
    otpauth_uri: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="10 codes, each works once; shown once")


class SchoolSettingsIn(BaseModel):
    model_config = {"extra": "forbid"}

    staff_mfa_required: bool


class SchoolSettingsOut(BaseModel):
    staff_mfa_required: bool


def _wrong_code(svc: Services, user: Principal, address: str) -> InvalidEntry:
    svc.accounts.record_failure(user.username, address, now=svc.now())
    svc.accounts.note("mfa_code_failed", now=svc.now(), user_id=user.user_id, address=address)
    return InvalidEntry("the code is wrong or was used already", field="code")


@router.post("/me/mfa", response_model=EnrolmentOut)
def begin(svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    """A new TOTP secret for the holder's authenticator app; not active until confirmed."""
    if svc.accounts.second_factor.active(user.user_id):
        raise ConflictWithJournal("MFA is on already; turn it off first", field="code")
    enrolment = svc.accounts.second_factor.begin(user.user_id, user.username, now=svc.now())
    return {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}


@router.post("/me/mfa/confirm", response_model=RecoveryCodesOut)
def confirm(svc: ServicesDep, user: CurrentUser, request: Request,
            body: CodeIn) -> dict[str, Any]:
    """MFA on once a code of the new secret checks; ten recovery codes, shown once."""
    if not svc.accounts.second_factor.pending(user.user_id):
        raise ConflictWithJournal("no second factor is being set up: POST /api/v1/me/mfa",
                                  field="code")
    address = may_try(svc, user, request)
    codes = svc.accounts.second_factor.confirm(user.user_id, body.code, now=svc.now())
    if codes is None:
        raise _wrong_code(svc, user, address)
    svc.app.execute(RecordMfa(user.user_id, on=True))
    svc.accounts.note("mfa_enabled", now=svc.now(), user_id=user.user_id, address=address)
    return {"recovery_codes": codes}


@router.post("/me/mfa/disable", status_code=204)
def disable(svc: ServicesDep, user: CurrentUser, request: Request, body: CodeIn) -> Response:
    """MFA off, with a current code or a recovery code."""
    if not svc.accounts.second_factor.active(user.user_id):
        raise ConflictWithJournal("MFA is not on", field="code")
    address = may_try(svc, user, request)
    if not svc.accounts.second_factor.verify(user.user_id, body.code, now=svc.now()):
        raise _wrong_code(svc, user, address)
    svc.app.execute(RecordMfa(user.user_id, on=False))
    svc.accounts.second_factor.remove(user.user_id)
    svc.accounts.note("mfa_disabled", now=svc.now(), user_id=user.user_id, address=address)
    return Response(status_code=204)


@router.put("/schools/{school_id}/settings", response_model=SchoolSettingsOut)
def school_settings(svc: ServicesDep, user: SchoolAdmin, school_id: UUID,
                    body: SchoolSettingsIn) -> dict[str, Any]:
    """Whether the school's staff (admins, teachers, auditors) must sign in with MFA; one who
    has none gets 403 ``mfa-setup-required`` everywhere but /me, /me/password and /me/mfa*."""
    svc.app.execute(RequireStaffMfa(user.user_id, school_id, body.staff_mfa_required))
    return {"staff_mfa_required": body.staff_mfa_required}
