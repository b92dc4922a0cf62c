"""«Уведомления»: where the holder is told by mail (R-3.4e) - their address, instant mail, a
daily digest or none - and the notifications made for them with each one's delivery. The
form is the API's own routes (``api.routes.notifications``): the same checks and events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.routes import notifications
from ejournal.api.services import Services
from ejournal.domain.conversation import NotificationSettings, settings_id
from ejournal.domain.errors import DomainError
from ejournal.mail.outbox import of_recipient
from ejournal.projections.base import as_utc, reading
from ejournal.web import i18n
from ejournal.web.lookups import timezone
from ejournal.web.routing import PageRoute, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CHOICES = {"instant": "Сразу, письмом на каждое событие",
           "daily": "Раз в день, одним письмом-сводкой (в 18:00)",
           "off": "Не присылать писем"}
STATUS = {"sent": "отправлено", "failed": "не доставлено"}
CAUSES = {"mark_given": "отметка", "mark_corrected": "исправление отметки",
          "mark_cancelled": "отмена отметки", "absent": "пропуск урока",
          "period_mark_given": "итоговая отметка",
          "period_mark_corrected": "исправление итоговой отметки",
          "message": "сообщение", "announcement": "объявление"}
SHOWN = 50  # the latest notifications on the page
Choice = Annotated[str, Form(max_length=16)]
Address = Annotated[str, Form(max_length=320)]


def _page(request: Request, svc: Services, viewer: Principal, status: int = 200,
          **context: Any) -> Response:
    found = svc.app.load_many([settings_id(viewer.user_id)]).get(settings_id(viewer.user_id))
    current = found if isinstance(found, NotificationSettings) else None
    with reading(svc.reader) as conn:
        rows = of_recipient(conn, viewer.user_id)[-SHOWN:]
    zone = timezone(svc, viewer.school_id)
    made = [{"when": i18n.moment(as_utc(r.created_at), zone), "subject": r.subject,
             "cause": CAUSES.get(r.cause, r.cause),
             "status": STATUS.get(r.status or "", "ожидает отправки")} for r in reversed(rows)]
    context = {"email": current.email if current else None,
               "choice": current.choice if current else "instant", **context}
    return render(request, "account_notifications.html", status=status, title="Уведомления",
                  choices=CHOICES, made=made, **context)


@router.get("/account/notifications")
def notifications_page(request: Request, svc: ServicesDep) -> Response:
    return _page(request, svc, signed_in(request))


@router.post("/account/notifications")
def set_notifications(request: Request, svc: ServicesDep, email: Address = "",
                      choice: Choice = "instant") -> Response:
    viewer = signed_in(request)
    typed = {"email": email, "choice": choice}
    if choice not in CHOICES:
        return _page(request, svc, viewer, 422, error="«Уведомления по почте»: выберите один "
                                                      "из вариантов", **typed)
    try:
        if email.strip():
            notifications.set_contact(svc, viewer, notifications.ContactIn(email=email))
        notifications.choose(svc, viewer, notifications.ChoiceIn(email=choice))  # type: ignore[arg-type]
    except (DomainError, ValueError):
        return _page(request, svc, viewer, 422, error="«Адрес электронной почты»: это не "
                                                      "адрес электронной почты", **typed)
    return _page(request, svc, viewer, done=True)
