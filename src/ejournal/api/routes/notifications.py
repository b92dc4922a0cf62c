"""How a user is told (R-3.4e): their e-mail address, instant mail, a daily digest or none,
and the notifications made for them with each one's delivery state."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ejournal.api.deps import CurrentUser, ServicesDep
from ejournal.api.paging import CursorQuery, Page, id_cursor, page_after
from ejournal.api.requests import StrictIn
from ejournal.api.responses import written_response
from ejournal.application import messages as m
from ejournal.mail.outbox import of_recipient
from ejournal.projections.base import reading

router = APIRouter(prefix="/api/v1", tags=["communication"])
NOTIFICATIONS = id_cursor("notifications")
PAGE = 1000

Email = Annotated[str, Field(min_length=3, max_length=320)]


class ContactIn(StrictIn):
    email: Email


class ChoiceIn(StrictIn):
    email: Literal["instant", "daily", "off"]


class NotificationOut(BaseModel):
    id: UUID
    cause: str
    channel: str
    subject: str
    status: Literal["pending", "sent", "failed"]
    created_at: datetime
    sent_at: datetime | None


@router.put("/me/contact", summary="The user's e-mail address for notifications")
def set_contact(svc: ServicesDep, user: CurrentUser, body: ContactIn) -> JSONResponse:
    """Mail is made for what happens from now on (never for the past)."""
    written = svc.app.execute(m.SetContact(user.user_id, body.email))
    return written_response(written, 200, {"email": body.email.strip()})


@router.put("/me/notifications", summary="Instant mail, a daily digest, or none")
def choose(svc: ServicesDep, user: CurrentUser, body: ChoiceIn) -> JSONResponse:
    written = svc.app.execute(m.ChooseNotifications(user.user_id, body.email))
    return written_response(written, 200, {"email": body.email})


@router.get("/me/notifications", response_model=Page[NotificationOut],
            summary="The notifications made for the user, oldest first, and their delivery")
def my_notifications(svc: ServicesDep, user: CurrentUser,
                     cursor: CursorQuery = None) -> Page[NotificationOut]:
    """``cause``: ``mark_given``, ``mark_corrected``, ``mark_cancelled``, ``absent``,
    ``period_mark_given``, ``period_mark_corrected``, ``message`` or ``announcement``;
    ``status`` ``pending`` until it is sent (``sent_at``), or ``failed``."""
    svc.projector.wait_for(svc.projector.head(), timeout=5.0)
    with reading(svc.reader) as conn:
        rows = of_recipient(conn, user.user_id)
    page, following = page_after(NOTIFICATIONS, cursor, rows, PAGE, lambda r: r.id)
    return Page[NotificationOut](items=[NotificationOut(
        id=r.id, cause=r.cause, channel="email", subject=r.subject,
        status="sent" if r.status == "sent" else "failed" if r.status == "failed"
        else "pending", created_at=r.created_at, sent_at=r.sent_at) for r in page],
        next=following)
