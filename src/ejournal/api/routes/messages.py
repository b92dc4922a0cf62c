"""Communication (R-5.2f, R-5.3a): conversations, messages and announcements.

Who belongs to a conversation is read from the conversations read model once the projector
has reached the log's head as it stood when the request arrived (enrolments, guardian links
and assignments take effect as soon as they are acknowledged). A conversation the user is not
in - and never was - is 404, exactly as an unknown one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ejournal.api.deps import IdempotencyKey, Principal, ServicesDep, allow
from ejournal.api.paging import CursorQuery, Page, position_cursor
from ejournal.api.requests import StrictIn, Text
from ejournal.api.responses import written_response
from ejournal.api.services import Services
from ejournal.application import messages as m
from ejournal.application.commands import Command
from ejournal.application.results import Result
from ejournal.domain.conversation import MAX_MEMBERS, MAX_MESSAGE
from ejournal.domain.values import Role
from ejournal.projections import conversation_reads as q
from ejournal.projections.base import as_utc, reading
from ejournal.projections.conversation_tables import local_day

router = APIRouter(prefix="/api/v1", tags=["communication"])
MESSAGES = position_cursor("messages")
PAGE = 1000
LOG_POSITION = "X-Log-Position"

SchoolUser = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.TEACHER, Role.AUDITOR, Role.STUDENT, Role.GUARDIAN,
    detail="conversations are for the people of a school"))]
Announcer = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.TEACHER, detail="announcements are made by the administration or a "
                                     "class teacher"))]
StaffReader = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.TEACHER, detail="only staff see who read an announcement"))]

MessageText = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE)]


class ConversationOut(BaseModel):
    id: UUID
    kind: str
    title: str
    unread: int
    muted: bool


class ConversationsOut(BaseModel):
    items: list[ConversationOut]


class StartIn(StrictIn):
    member_ids: list[UUID] = Field(min_length=1, max_length=MAX_MEMBERS)
    title: Text | None = None


class MessageIn(StrictIn):
    text: MessageText


class RetractionIn(StrictIn):
    reason: Text


class ReadIn(StrictIn):
    up_to: UUID


class MuteIn(StrictIn):
    muted: bool


class MessageOut(BaseModel):
    id: UUID
    author_id: UUID
    author_name: str
    text: str
    sent_at: datetime
    retracted: bool


class AnnouncementIn(StrictIn):
    title: Text
    text: MessageText
    audience: Literal["school", "staff", "parents", "class"]
    class_id: UUID | None = None


class AnnouncementOut(BaseModel):
    id: UUID
    audience: str
    class_id: UUID | None
    title: str
    text: str
    by: UUID
    by_name: str
    made_at: datetime
    read_at: datetime | None


class ReaderOut(BaseModel):
    user_id: UUID
    full_name: str
    role: str
    read_at: datetime | None


class CreatedOut(BaseModel):
    id: UUID
    late: None = None


def fresh(svc: Services) -> None:
    """The read model holds every relation acknowledged before this request."""
    svc.projector.wait_for(svc.projector.head(), timeout=5.0)


def _answer(svc: Services, user: Principal, written: Result) -> JSONResponse:
    response = written_response(written)
    if written.position is not None:
        response.headers[LOG_POSITION] = str(written.position)
        svc.freshness.wrote(user.token, written.position)
    return response


def _run(svc: Services, user: Principal, command: Command[Any], key: str | None
         ) -> JSONResponse:
    return _answer(svc, user, svc.app.execute(command, idempotency_key=key))


def _school(user: Principal) -> UUID:
    assert user.school_id is not None  # noqa: S101 - every role let in here has a school
    return user.school_id


def member_conversation(svc: Services, user: Principal, conversation_id: UUID, *,
                  member_now: bool) -> Any:
    """The conversation, if the user belongs to it now (or, for reading, ever did)."""
    fresh(svc)
    with reading(svc.reader) as conn:
        found = q.conversation_of(conn, conversation_id)
        if found is not None and found.school_id == user.school_id:
            day = local_day(conn, found.school_id, svc.now())
            if q.is_member(conn, conversation_id, user.user_id, day):
                return found
            if not member_now and q.has_read_before(conn, conversation_id, user.user_id):
                return found
    raise HTTPException(404, f"no conversation {conversation_id}")


@router.get("/me/conversations", response_model=ConversationsOut,
            summary="The user's conversations with unread counts (R-5.2f)")
def my_conversations(svc: ServicesDep, user: SchoolUser) -> ConversationsOut:
    """Those the user belongs to now, and those they were in (what reached them stays)."""
    fresh(svc)
    with reading(svc.reader) as conn:
        day = local_day(conn, _school(user), svc.now())
        rows = q.my_conversations(conn, user.user_id, user.role.value, _school(user), day)
    return ConversationsOut(items=[ConversationOut(id=r.id, kind=r.kind, title=r.title,
                                                   unread=r.unread, muted=r.muted)
                                   for r in rows])


@router.post("/conversations", status_code=201, response_model=CreatedOut,
             summary="Start a direct conversation (R-5.3a)")
def start_conversation(svc: ServicesDep, user: SchoolUser, body: StartIn,
                       key: IdempotencyKey = None) -> JSONResponse:
    """Every two of its members may see each other's data: staff among themselves; a
    guardian or student with the administration and their (child's) class's teachers; a
    guardian with their child. Anyone else is 404, as an unknown user."""
    fresh(svc)
    with reading(svc.reader) as conn:
        day = local_day(conn, _school(user), svc.now())
        everyone = [user.user_id, *dict.fromkeys(m_ for m_ in body.member_ids
                                                  if m_ != user.user_id)]
        people = [q.person(conn, who) for who in everyone]
        for who, found in zip(everyone, people, strict=True):
            if found is None or found.school_id != user.school_id:
                raise HTTPException(404, f"no user {who}")
        for i, a in enumerate(people):
            for b in people[i + 1:]:
                if not q.may_talk(conn, a, b, day):
                    raise HTTPException(404, f"no user {b.user_id if a is people[0] else a.user_id}"
                                        " who may be in this conversation (R-5.3a)")
    if len(everyone) < 2:
        raise HTTPException(422, "a direct conversation has someone besides its author")
    return _run(svc, user, m.StartConversation(user.user_id, tuple(everyone[1:]), body.title),
                key)


@router.get("/conversations/{conversation_id}/messages", response_model=Page[MessageOut],
            summary="The messages that reached the user, oldest first")
def read_messages(svc: ServicesDep, user: SchoolUser, conversation_id: UUID,
                  cursor: CursorQuery = None) -> Page[MessageOut]:
    """A retracted message keeps its place and author; its text reads «сообщение
    удалено»."""
    member_conversation(svc, user, conversation_id, member_now=False)
    after = MESSAGES.decode(cursor) or 0
    with reading(svc.reader) as conn:
        rows = q.read_messages(conn, user.user_id, conversation_id, after=after,
                               limit=PAGE + 1)
    page, following = MESSAGES.page(rows, PAGE, lambda r: r.position)
    return Page[MessageOut](items=[MessageOut(
        id=r.id, author_id=r.author_id, author_name=r.author_name, text=r.text,
        sent_at=r.sent_at, retracted=r.retracted) for r in page], next=following)


@router.post("/conversations/{conversation_id}/messages", status_code=201,
             response_model=CreatedOut, summary="Write a message (1-4,000 characters)")
def post_message(svc: ServicesDep, user: SchoolUser, conversation_id: UUID, body: MessageIn,
                 key: IdempotencyKey = None) -> JSONResponse:
    found = member_conversation(svc, user, conversation_id, member_now=True)
    return _run(svc, user, m.PostMessage(user.user_id, conversation_id, found.school_id,
                                         found.kind, found.class_id, body.text), key)


@router.post("/conversations/{conversation_id}/messages/{message_id}/retraction",
             status_code=201, summary="Retract a message: its text is hidden, the fact stays")
def retract_message(svc: ServicesDep, user: SchoolUser, conversation_id: UUID,
                    message_id: UUID, body: RetractionIn,
                    key: IdempotencyKey = None) -> JSONResponse:
    """By its author, or the school's admin (in any of the school's conversations)."""
    if user.role is not Role.ADMIN:
        member_conversation(svc, user, conversation_id, member_now=False)
    return _run(svc, user, m.RetractMessage(user.user_id, conversation_id, message_id,
                                            body.reason), key)


@router.post("/conversations/{conversation_id}/read", status_code=204,
             summary="Mark the conversation read up to a message")
def mark_read(svc: ServicesDep, user: SchoolUser, conversation_id: UUID,
              body: ReadIn) -> Response:
    member_conversation(svc, user, conversation_id, member_now=False)
    with reading(svc.reader) as conn:
        position = q.message_position(conn, user.user_id, conversation_id, body.up_to)
    if position is None:
        raise HTTPException(404, f"no message {body.up_to} in this conversation")
    # The write in a transaction of its own (see the conversation page).
    with svc.reader.begin() as conn:
        q.mark_read(conn, user.user_id, conversation_id, position)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/mute", response_model=MuteIn,
             summary="Mute a conversation: no notifications of its messages")
def mute(svc: ServicesDep, user: SchoolUser, conversation_id: UUID, body: MuteIn,
         key: IdempotencyKey = None) -> JSONResponse:
    member_conversation(svc, user, conversation_id, member_now=False)
    written = svc.app.execute(m.MuteConversation(user.user_id, conversation_id, body.muted),
                              idempotency_key=key)
    return written_response(written, 200, {"muted": body.muted})


@router.post("/schools/{school_id}/announcements", status_code=201, response_model=CreatedOut,
             summary="An announcement to the school, its staff, its parents or a class")
def announce(svc: ServicesDep, user: Announcer, school_id: UUID,
             body: Annotated[AnnouncementIn, Body()], key: IdempotencyKey = None
             ) -> JSONResponse:
    """The admin to any audience; a class teacher to their own class (``audience:
    "class"``)."""
    if user.school_id != school_id:
        raise HTTPException(404, f"no school {school_id}")
    return _run(svc, user, m.MakeAnnouncement(user.user_id, school_id, body.audience,
                                              body.class_id, body.title, body.text), key)


@router.get("/me/announcements", response_model=Page[AnnouncementOut],
            summary="The announcements that reached the user, oldest first")
def my_announcements(svc: ServicesDep, user: SchoolUser) -> Page[AnnouncementOut]:
    fresh(svc)
    with reading(svc.reader) as conn:
        rows = q.my_announcements(conn, user.user_id)
    return Page[AnnouncementOut](items=[AnnouncementOut(
        id=r.announcement_id, audience=r.audience, class_id=r.class_id, title=r.title,
        text=r.text, by=r.by, by_name=r.by_name or "", made_at=as_utc(r.made_at),
        read_at=as_utc(r.read_at) if r.read_at else None) for r in rows], next=None)


def _announcement(svc: Services, user: Principal, announcement_id: UUID) -> Any:
    fresh(svc)
    with reading(svc.reader) as conn:
        found = q.announcement_of(conn, announcement_id)
        if found is not None and q.reached_by(conn, announcement_id, user.user_id):
            return found
    raise HTTPException(404, f"no announcement {announcement_id}")


@router.post("/announcements/{announcement_id}/read", status_code=204,
             summary="Mark an announcement read")
def read_announcement(svc: ServicesDep, user: SchoolUser, announcement_id: UUID) -> Response:
    _announcement(svc, user, announcement_id)
    with svc.reader.begin() as conn:
        q.mark_announcement_read(conn, announcement_id, user.user_id, svc.now())
    return Response(status_code=204)


@router.get("/announcements/{announcement_id}/readers", response_model=Page[ReaderOut],
            summary="Who the announcement reached and who read it (staff)")
def announcement_readers(svc: ServicesDep, user: StaffReader, announcement_id: UUID
                         ) -> Page[ReaderOut]:
    """For its author and the school's admin."""
    fresh(svc)
    with reading(svc.reader) as conn:
        found = q.announcement_of(conn, announcement_id)
        mine = found is not None and (found.by == user.user_id or (
            user.role is Role.ADMIN and found.school_id == user.school_id))
        if not mine:
            raise HTTPException(404, f"no announcement {announcement_id}")
        rows = q.readers(conn, announcement_id)
    return Page[ReaderOut](items=[
        ReaderOut(user_id=r.user_id, full_name=r.full_name, role=r.role,
                  read_at=as_utc(r.read_at) if r.read_at else None) for r in rows], next=None)
