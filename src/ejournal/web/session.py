"""Browser sessions: a cookie holding an accounts token (the same tokens the API's bearers
are, so logging out or revoking ends the session everywhere), and CSRF tokens.

A signed-in form carries a token derived from the session's own secret; the login form
(before any session) carries the value of a short-lived cookie of its own (double submit).
Either way a page of another site can neither read nor guess it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.responses import Response

from ejournal.api.deps import Principal, current_user
from ejournal.api.problems import Refusal
from ejournal.api.services import Services

SESSION_COOKIE = "ejournal_session"
LOGIN_CSRF_COOKIE = "ejournal_login_csrf"
CSRF_FIELD = "csrf"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True,
                        samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def principal(request: Request, svc: Services) -> Principal | None:
    """Who the session cookie names (the API's own check of a bearer token), or None."""
    token = session_token(request)
    if token is None:
        return None
    try:
        return current_user(request, svc, token)
    except HTTPException:
        return None
    except Refusal as exc:  # a password to change, a second factor to set up first
        request.state.gate = exc.kind
        gated: Principal = request.state.principal
        return gated


#: Where a gated account is sent before any other page, by the kind of its gate.
GATES = {"password-change-required": "/account/password", "mfa-setup-required": "/account/mfa"}


def gate(request: Request) -> str | None:
    """The page a signed-in account must use first (None: none)."""
    kind: str | None = getattr(request.state, "gate", None)
    return GATES.get(kind) if kind else None


def session_csrf(token: str) -> str:
    return hmac.new(token.encode("utf-8"), b"ejournal-csrf", hashlib.sha256).hexdigest()


def login_csrf(request: Request, response: Response) -> str:
    """The login form's token: the value of its cookie, set now if the browser has none."""
    value = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not value:
        value = secrets.token_urlsafe(24)
        response.set_cookie(LOGIN_CSRF_COOKIE, value, max_age=3600, path="/", httponly=True,
                            samesite="strict", secure=_secure(request))
    return value


def csrf_for(request: Request, viewer: Principal | None) -> str | None:
    """The token a form of this request must carry (None: a login form without its cookie)."""
    if viewer is not None:
        return session_csrf(viewer.token)
    return request.cookies.get(LOGIN_CSRF_COOKIE) or None


def csrf_holds(request: Request, viewer: Principal | None, sent: object) -> bool:
    expected = csrf_for(request, viewer)
    return (expected is not None and isinstance(sent, str)
            and hmac.compare_digest(expected.encode(), sent.encode()))
