"""Request dependencies: the services, the authenticated user (deny by default)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated
from uuid import UUID

from anyio import to_thread
from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param

from ejournal.accounts import SESSION_RECHECK_SECONDS, Session
from ejournal.api.problems import Refusal
from ejournal.api.services import Services
from ejournal.api.shards import sharded
from ejournal.application.queries import Person
from ejournal.domain.errors import NotPermitted, StudentsNeverWrite
from ejournal.domain.values import Role

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def services(request: Request) -> Services:
    """The services of the request's school (with shards: ``ejournal.api.shards``)."""
    route = sharded(request)
    if route is not None:
        return await route.services_for(request)
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


async def session_services(request: Request, token: str | None) -> Services:
    """The services whose accounts hold the request's session (with shards: the token's)."""
    route = sharded(request)
    if route is not None:
        return await to_thread.run_sync(route.token_services, token)
    found: Services = request.app.state.services
    return found


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request, as the account says now."""

    user_id: UUID
    username: str
    full_name: str
    role: Role
    school_id: UUID | None
    token: str
    #: The student the request's path names (None: no such user), read with the account in
    #: one round trip to the event store, as fresh as the account itself.
    named: Mapping[UUID, Person | None] = field(default_factory=dict, compare=False,
                                                repr=False)
    session_id: UUID | None = None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _named_student(request: Request) -> UUID | None:
    """The ``student_id`` of the request's path, if it has a valid one."""
    named = request.path_params.get("student_id")
    if not isinstance(named, str):
        return None
    try:
        return UUID(named)
    except ValueError:
        return None  # the route answers 422 for it


#: Seconds an account (and the student a path names) read for a request is believed in this
#: process: what this process changes of them holds at once, another process's changes within
#: this bound - the one its revocation of the session's token holds within. Only to let a
#: request through: a refusal is decided on the account as it is now.
PRINCIPAL_RECHECK_SECONDS = SESSION_RECHECK_SECONDS


def current_user(request: Request, svc: Services, token: str | None) -> Principal:
    """The request's principal, read where it is not kept (in a request thread: it may read
    the token's row and the account; the pages call it for their cookie's token)."""
    if not token:
        raise _unauthorized("a bearer token is required")
    session = svc.accounts.session(token, now=svc.now())
    if session is None:
        raise _unauthorized("the token is unknown, expired or revoked")
    student_id = _named_student(request)
    wanted = [session.user_id] if student_id is None else [session.user_id, student_id]
    people = svc.app.users(wanted, within=PRINCIPAL_RECHECK_SECONDS)
    if _refused(request, people.get(session.user_id)):
        people = svc.app.users(wanted)  # a kept account never refuses: as it is now
    return _principal(request, session, token, student_id, people)


def _refused(request: Request, user: Person | None) -> bool:
    """Whether ``_principal`` refuses this account on this request."""
    return user is None or user.disabled or (
        (user.must_change_password or user.mfa_setup_required)
        and _route(request) not in UNGATED)


def _principal(request: Request, session: Session, token: str, student_id: UUID | None,
               people: Mapping[UUID, Person]) -> Principal:
    user = people.get(session.user_id)
    if user is None:
        raise _unauthorized("the account no longer exists")
    if user.disabled:  # its tokens were revoked too
        raise _unauthorized("the token is unknown, expired or revoked")
    principal = Principal(user.id, user.username, user.full_name, user.role, user.school_id,
                          token, {} if student_id is None else {student_id: people.get(student_id)},
                          session.id)
    request.state.principal = principal  # for the audit of refused requests
    if (user.must_change_password or user.mfa_setup_required) \
            and _route(request) not in UNGATED:
        if user.must_change_password:
            raise Refusal("choose a password of your own first: POST /api/v1/me/password",
                          kind="password-change-required")
        raise Refusal("the school requires a second factor of its staff: set one up first "
                      "(POST /api/v1/me/mfa)", kind="mfa-setup-required")
    return principal


class _Authenticated(SecurityBase):
    """The request's principal in one dependency: the bearer token (declared in the OpenAPI
    document as ``oauth2``'s scheme), the services holding its session and the account.
    Kept session and people are answered on the event loop; anything to read, in a request
    thread (``current_user``)."""

    def __init__(self) -> None:
        self.model = oauth2.model
        self.scheme_name = oauth2.scheme_name

    async def __call__(self, request: Request) -> Principal:
        token = _bearer(request)
        svc = await session_services(request, token)
        if token:
            session = svc.accounts.kept(token, now=svc.now())
            if session is not None:
                student_id = _named_student(request)
                people = svc.app.kept_users(
                    [session.user_id] if student_id is None else [session.user_id, student_id],
                    PRINCIPAL_RECHECK_SECONDS)
                if people is not None and not _refused(request, people[session.user_id]):
                    return _principal(request, session, token, student_id, people)
        return await to_thread.run_sync(current_user, request, svc, token)


def _bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer ...``, as ``oauth2`` reads it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return token if scheme.lower() == "bearer" else None


authenticated = _Authenticated()


#: What an account that must first change its password (or set up MFA) may still use.
UNGATED = frozenset({"/api/v1/me", "/api/v1/me/password", "/api/v1/me/mfa",
                     "/api/v1/me/mfa/confirm", "/api/v1/me/mfa/disable", "/api/v1/auth/logout",
                     "/logout", "/account/password", "/account/mfa", "/account/mfa/confirm",
                     "/account/mfa/disable"})


def _route(request: Request) -> str:
    """The template of the route the request matched (its path if none)."""
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


CurrentUser = Annotated[Principal, Depends(authenticated)]


# --- roles: deny by default --------------------------------------------------------------
#
# 401: no or bad token. 403: the caller's role may never use this endpoint, whatever the ids
# in the request (so the answer tells nothing about them). 404: the role may use it, but this
# resource is unknown or not visible to this user (ids cannot be probed).


def allow(*roles: Role, detail: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the authenticated user, if their role is one of ``roles``; else 403."""

    async def gate(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise NotPermitted(detail)
        return user

    gate.__name__ = "role_" + "_or_".join(r.value for r in roles)
    return gate


async def _journal_writer(user: CurrentUser) -> Principal:
    """R-4.4 / R-4.9: teachers (of their journals) and the school's admin write journals."""
    if user.role in (Role.STUDENT, Role.GUARDIAN):
        raise StudentsNeverWrite("students and guardians never write the journal")
    if user.role not in (Role.TEACHER, Role.ADMIN):
        raise NotPermitted("only teachers and the school's administration write journals",
                           rule="R-4.4")
    return user


#: The operator, or a school's admin (in their school): the school structure (R-2.1).
Administrator = Annotated[Principal, Depends(allow(
    Role.OPERATOR, Role.ADMIN, detail="only the school's administration does this"))]
#: The platform's operator: schools.
Operator = Annotated[Principal, Depends(allow(
    Role.OPERATOR, detail="only an operator registers schools"))]
#: A teacher or the school's admin: journal entries.
JournalWriter = Annotated[Principal, Depends(_journal_writer)]
#: Who may read a student's diary (which students: ``access.may_read_student``).
DiaryReader = Annotated[Principal, Depends(allow(
    Role.STUDENT, Role.GUARDIAN, Role.TEACHER, Role.ADMIN, Role.AUDITOR,
    detail="this role reads no diaries"))]
#: Who may read a journal's grid, summary and mark histories (which: ``may_read_journal``).
JournalReader = Annotated[Principal, Depends(allow(
    Role.TEACHER, Role.ADMIN, Role.AUDITOR, detail="only staff read journals"))]
#: The school's administration and auditors: late entries and the compliance reports.
SchoolAuditor = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, detail="only the school's administration and auditors"))]
#: Who may see who read a student's data: their guardians, the admin, the auditor.
AccessLogReader = Annotated[Principal, Depends(allow(
    Role.GUARDIAN, Role.ADMIN, Role.AUDITOR,
    detail="a student's access log is for their guardians, admins and auditors"))]
#: The feed of a guardian's children, or a student's own.
FeedReader = Annotated[Principal, Depends(allow(
    Role.GUARDIAN, Role.STUDENT, detail="the feed is for guardians and students"))]


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=255,
           description="Scoped per user: the same key with the same body returns the first "
                       "answer and writes nothing; with another body it is 409."),
]
