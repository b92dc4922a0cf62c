"""«Сообщения» (R-5.2f): the viewer's conversations with their unread counts and the
announcements that reached them; a conversation's messages, marked read as they are shown,
and the form that writes one. The same read model, access rules and commands as the API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ejournal.api.deps import ServicesDep
from ejournal.api.routes.messages import fresh, member_conversation
from ejournal.application.messages import PostMessage
from ejournal.domain.conversation import MAX_MESSAGE
from ejournal.domain.errors import InvalidEntry
from ejournal.projections import conversation_reads as q
from ejournal.projections.base import reading
from ejournal.projections.conversation_tables import local_day
from ejournal.web import lookups
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)
#: Who has conversations (the operator has none).
MESSAGING = ("guardian", "student", "teacher", "admin", "auditor")
KIND = {"staff": "Учительская", "class": "Класс", "class_parents": "Родители класса",
        "direct": "Личная переписка"}


@router.get("/messages")
def conversations(request: Request, svc: ServicesDep) -> Response:
    viewer = signed_in(request)
    only(viewer, *MESSAGING)
    assert viewer.school_id is not None  # noqa: S101 - every messaging role has a school
    fresh(svc)
    with reading(svc.reader) as conn:
        day = local_day(conn, viewer.school_id, svc.now())
        rows = q.my_conversations(conn, viewer.user_id, viewer.role.value, viewer.school_id,
                                  day)
        announcements = list(reversed(q.my_announcements(conn, viewer.user_id)))[:20]
    return render(request, "messages.html", title="Сообщения", conversations=rows,
                  announcements=announcements, KIND=KIND,
                  timezone=lookups.timezone(svc, viewer.school_id))


def _page(request: Request, svc: ServicesDep, conversation_id: UUID, *, status: int = 200,
          error: str | None = None, draft: str = "") -> Response:
    viewer = signed_in(request)
    only(viewer, *MESSAGING)
    found = member_conversation(svc, viewer, conversation_id, member_now=False)
    with reading(svc.reader) as conn:
        messages = q.read_messages(conn, viewer.user_id, conversation_id)
        day = local_day(conn, found.school_id, svc.now())
        member = q.is_member(conn, conversation_id, viewer.user_id, day)
        titled = {c.id: c.title for c in q.my_conversations(
            conn, viewer.user_id, viewer.role.value, found.school_id, day)}
    if messages:
        # A transaction of its own that starts with the write: on SQLite a read transaction
        # that turns into a write fails at once when another connection wrote meanwhile.
        with svc.reader.begin() as conn:
            q.mark_read(conn, viewer.user_id, conversation_id, messages[-1].position)
    return render(request, "conversation.html", status=status, title="Сообщения",
                  conversation=found, heading=titled.get(conversation_id, found.title or ""),
                  messages=messages, member=member, error=error, draft=draft,
                  kind=KIND.get(found.kind, ""), limit=MAX_MESSAGE,
                  timezone=lookups.timezone(svc, viewer.school_id))


@router.get("/messages/{conversation_id}")
def conversation(request: Request, svc: ServicesDep, conversation_id: UUID) -> Response:
    return _page(request, svc, conversation_id)


@router.post("/messages/{conversation_id}")
def write(request: Request, svc: ServicesDep, conversation_id: UUID,
          text: Annotated[str, Form(max_length=2 * MAX_MESSAGE)] = "") -> Response:
    """Writes the message and shows the conversation with it; a refusal keeps the draft."""
    viewer = signed_in(request)
    only(viewer, *MESSAGING)
    found = member_conversation(svc, viewer, conversation_id, member_now=True)
    try:
        written = svc.app.execute(PostMessage(viewer.user_id, conversation_id,
                                              found.school_id, found.kind, found.class_id,
                                              text))
    except InvalidEntry:
        return _page(request, svc, conversation_id, status=422, draft=text,
                     error=f"Сообщение — от 1 до {MAX_MESSAGE} символов.")
    if written.position is not None:
        svc.projector.wait_for(written.position, timeout=5.0)
    return RedirectResponse(f"/messages/{conversation_id}", 303)
