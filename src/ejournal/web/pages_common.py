"""Pages every visitor meets: the login page at ``/``, logging out and the user guide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.security import OAuth2PasswordRequestForm
from starlette.responses import RedirectResponse, Response

from ejournal.api.deps import ServicesDep, current_user
from ejournal.api.problems import Refusal, TypedHTTPException
from ejournal.api.routes import auth
from ejournal.web import i18n, session
from ejournal.web.routing import (
    MENU,
    PageRoute,
    landing,
    render,
    signed_in,
    viewer_of,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

GUIDES = ("guardian", "student", "teacher", "admin", "auditor", "operator")


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (never ``//host`` or a scheme) is followed after login."""
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and "\n" not in target and "\r" not in target:
        return target
    return None


def _login_page(request: Request, status: int = 200, error: str | None = None,
                username: str = "", target: str = "", ask_code: bool = False) -> Response:
    response = Response()
    request.state.csrf = session.login_csrf(request, response)
    page = render(request, "login.html", status=status, error=error, username=username,
                  next=target, ask_code=ask_code)
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            page.raw_headers.append((name, value))
    return page


@router.get("/")
def login_form(request: Request, target: Annotated[str | None, Query(alias="next")] = None
               ) -> Response:
    viewer = viewer_of(request)
    if viewer is not None:
        return RedirectResponse(_safe_next(target) or landing(viewer), 303)
    return _login_page(request, target=_safe_next(target) or "")


@router.post("/")
def login(request: Request, svc: ServicesDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", otp: Annotated[str, Form()] = "",
          target: Annotated[str, Form(alias="next")] = "") -> Response:
    """The API's own login (the same rate limit, audit and tokens); the token becomes the
    session cookie. An account with MFA is asked for «Код подтверждения» with its password
    again (a password is never put back into a page)."""
    try:
        token = auth.login(svc, request, OAuth2PasswordRequestForm(
            username=username, password=password), otp=otp.strip() or None)
    except TypedHTTPException as exc:
        if exc.kind != "mfa-required":
            raise
        said = ("Неверный или уже использованный код подтверждения." if otp.strip() else
                "Для этой учётной записи нужен код подтверждения из приложения.")
        return _login_page(request, 401, said + " Введите пароль и код.", username, target,
                           ask_code=True)
    except HTTPException as exc:
        if exc.status_code == 429:
            wait = int((exc.headers or {}).get("Retry-After", "60"))
            minutes = max(1, (wait + 59) // 60)
            return _login_page(request, 429, "Слишком много неудачных попыток входа. "
                               f"Попробуйте через {i18n.plural(minutes, 'минута')}.",
                               username, target)
        return _login_page(request, 401, "Неверный логин или пароль.", username, target)
    except Exception:  # noqa: BLE001 - NUL bytes and the like: the same answer, no detail
        return _login_page(request, 401, "Неверный логин или пароль.", username, target)
    try:
        viewer = current_user(request, svc, token.access_token)
        chosen = _safe_next(target) or landing(viewer)
    except Refusal as exc:  # a temporary password to change (a second factor to set up) first
        chosen = session.GATES.get(exc.kind, "/")
    response = RedirectResponse(chosen, 303)
    session.set_session(response, request, token.access_token, token.expires_in)
    return response


@router.post("/logout")
def logout(request: Request, svc: ServicesDep) -> Response:
    """Ends the session: its token is revoked, so it is dead for the API too."""
    auth.logout(svc, signed_in(request))
    response = RedirectResponse("/", 303)
    session.clear_session(response)
    return response


@router.get("/help")
def guide(request: Request, role: str | None = None) -> Response:
    viewer = viewer_of(request)
    chosen = role if role in GUIDES else (viewer.role.value if viewer else None)
    return render(request, "help.html", chosen=chosen, guides=GUIDES, MENU=MENU)
