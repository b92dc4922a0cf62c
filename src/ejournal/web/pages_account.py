"""The holder's own account: «Смена пароля» (where a temporary password leads at first login)
and «Двухфакторная защита» (a TOTP secret as a QR code and as text, confirmed with a code, ten
recovery codes shown once; turned off with a code). Each form is the API's own route
(``api.routes.credentials``, ``api.routes.mfa``): the same checks, rate limit and audit."""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, HTTPException, Request
from starlette.responses import Response

from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.routes import credentials, mfa
from ejournal.api.services import Services
from ejournal.domain.errors import DomainError
from ejournal.web.routing import PageRoute, landing, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Secret = Annotated[str, Form(max_length=1024)]
#: The API's refusals of these forms, in Russian, by the field they name.
SAID = {
    "current_password": "«Текущий пароль»: это не текущий пароль учётной записи",
    "code": "«Код подтверждения»: код неверный или уже использован",
}
POLICY = ("«Новый пароль»: не короче 10 символов, не из 10 000 самых распространённых и не "
          "содержит логин (R-7.3)")
LIMITED = "Слишком много неудачных попыток. Попробуйте позже."


def _said(exc: DomainError) -> str:
    if exc.field == "new_password":
        return POLICY
    return SAID.get(exc.field or "", "Не принято.")


def _password_page(request: Request, viewer: Principal, status: int = 200, **context: Any
                   ) -> Response:
    return render(request, "account_password.html", status=status, title="Смена пароля",
                  home=landing(viewer), **context)


def _forced(svc: Services, viewer: Principal) -> bool:
    person = svc.app.user(viewer.user_id)
    return bool(person and person.must_change_password)


@router.get("/account/password")
def password_form(request: Request, svc: ServicesDep) -> Response:
    viewer = signed_in(request)
    return _password_page(request, viewer, forced=_forced(svc, viewer))


@router.post("/account/password")
def change_password(request: Request, svc: ServicesDep, current_password: Secret = "",
                    new_password: Secret = "", repeated: Secret = "") -> Response:
    viewer = signed_in(request)
    forced = _forced(svc, viewer)
    if new_password != repeated:
        return _password_page(request, viewer, 422, forced=forced,
                              error="«Новый пароль ещё раз»: пароли не совпадают")
    try:
        body = credentials.PasswordChangeIn(current_password=current_password,
                                            new_password=new_password)
        credentials.change_password(svc, viewer, request, body)
    except DomainError as exc:
        return _password_page(request, viewer, 422, forced=forced, error=_said(exc))
    except HTTPException as exc:
        if exc.status_code != 429:
            raise
        return _password_page(request, viewer, 429, forced=forced, error=LIMITED)
    except ValueError:  # the model's: an empty new password
        return _password_page(request, viewer, 422, forced=forced, error=POLICY)
    return _password_page(request, viewer, forced=False, done=True)


def _mfa_page(request: Request, svc: Services, viewer: Principal, status: int = 200,
              **context: Any) -> Response:
    active = svc.accounts.second_factor.active(viewer.user_id)
    return render(request, "account_mfa.html", status=status, title="Двухфакторная защита",
                  active=active, pending=svc.accounts.second_factor.pending(viewer.user_id),
                  home=landing(viewer), **context)


@router.get("/account/mfa")
def mfa_page(request: Request, svc: ServicesDep) -> Response:
    return _mfa_page(request, svc, signed_in(request))


@router.post("/account/mfa")
def begin_mfa(request: Request, svc: ServicesDep) -> Response:
    """A new secret: its QR code and its text, for the authenticator app."""
    viewer = signed_in(request)
    try:
        enrolment = mfa.begin(svc, viewer)
    except DomainError:
        return _mfa_page(request, svc, viewer, 409, error="Двухфакторная защита уже включена.")
    qr = segno.make(enrolment["otpauth_uri"], error="m")
    return _mfa_page(request, svc, viewer, secret=enrolment["secret"],
                     qr=qr.svg_inline(scale=5, title="QR-код для приложения"))


@router.post("/account/mfa/confirm")
def confirm_mfa(request: Request, svc: ServicesDep,
                code: Annotated[str, Form(max_length=64)] = "") -> Response:
    viewer = signed_in(request)
    try:
        codes = mfa.confirm(svc, viewer, request, mfa.CodeIn(code=code))
    except DomainError as exc:
        return _mfa_page(request, svc, viewer, 422, error=_said(exc))
    except HTTPException as exc:
        if exc.status_code != 429:
            raise
        return _mfa_page(request, svc, viewer, 429, error=LIMITED)
    except ValueError:
        return _mfa_page(request, svc, viewer, 422, error=SAID["code"])
    return _mfa_page(request, svc, viewer, codes=codes["recovery_codes"])


@router.post("/account/mfa/disable")
def disable_mfa(request: Request, svc: ServicesDep,
                code: Annotated[str, Form(max_length=64)] = "") -> Response:
    viewer = signed_in(request)
    try:
        mfa.disable(svc, viewer, request, mfa.CodeIn(code=code))
    except DomainError as exc:
        return _mfa_page(request, svc, viewer, 422, error=_said(exc))
    except HTTPException as exc:
        if exc.status_code != 429:
            raise
        return _mfa_page(request, svc, viewer, 429, error=LIMITED)
    except ValueError:
        return _mfa_page(request, svc, viewer, 422, error=SAID["code"])
    return _mfa_page(request, svc, viewer, off=True)
