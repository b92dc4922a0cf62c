"""What every page shares: the templates, the signed-in viewer, the CSRF check of every POST,
and refusals as Russian pages (401 goes to the login page; 403, 404, 409, 422 are pages of
their own, each refused access audited as the API audits it)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ejournal.api.access import audit_refusal
from ejournal.api.deps import Principal
from ejournal.domain.errors import DomainError, NotFound, NotPermitted
from ejournal.projections.base import reading
from ejournal.projections.conversation_reads import unread_total
from ejournal.web import i18n, session

HELP = "/help"

env = Environment(loader=PackageLoader("ejournal.web", "templates"),
                  autoescape=select_autoescape(default=True), trim_blocks=True,
                  lstrip_blocks=True)
env.filters.update(long_date=i18n.long_date, short_day=i18n.short_day,
                   weekday_date=i18n.weekday_date, column_date=i18n.column_date,
                   decimal=i18n.decimal, moment=i18n.moment)
env.globals.update(plural=i18n.plural, week_span=i18n.week_span, WORK=i18n.WORK,
                   ABSENCE=i18n.ABSENCE, ROLE=i18n.ROLE, READ_WHAT=i18n.READ_WHAT, HELP=HELP,
                   ENTRY=i18n.ENTRY, RULE=i18n.RULE, PERIOD_KIND=i18n.PERIOD_KIND)

#: Each role's pages in the menu, its landing page first.
MENU: dict[str, tuple[tuple[str, str], ...]] = {
    "guardian": (("/diary", "Дневник"), ("/marks", "Отметки"), ("/feed", "Новое"),
                 ("/access-log", "Кто просматривал"), ("/messages", "Сообщения")),
    "student": (("/diary", "Дневник"), ("/marks", "Отметки"), ("/feed", "Новое"),
                ("/messages", "Сообщения")),
    "teacher": (("/journals", "Мои журналы"), ("/reports", "Отчёты"), ("/messages", "Сообщения")),
    "admin": (("/school", "Школа"), ("/audit", "Проверка"), ("/reports", "Отчёты"),
              ("/messages", "Сообщения")),
    "auditor": (("/audit", "Проверка"), ("/reports", "Отчёты"), ("/messages", "Сообщения")),
    "operator": (("/schools", "Школы"),),
}


def landing(viewer: Principal) -> str:
    return MENU[viewer.role.value][0][0]


def viewer_of(request: Request) -> Principal | None:
    found: Principal | None = getattr(request.state, "viewer", None)
    return found


def signed_in(request: Request) -> Principal:
    """The page's viewer; a request without a live session goes to the login page."""
    viewer = viewer_of(request)
    if viewer is None:
        raise HTTPException(401, "a session is required")
    return viewer


def only(viewer: Principal, *roles: str) -> None:
    """403 for a role that never uses this page."""
    if viewer.role.value not in roles:
        raise NotPermitted("this page is not for this role")


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    viewer = viewer_of(request)
    csrf = getattr(request.state, "csrf", None) or session.csrf_for(request, viewer)
    menu = MENU.get(viewer.role.value, ()) if viewer else ()
    html = env.get_template(template).render(
        request=request, viewer=viewer, csrf=csrf, menu=menu, path=request.url.path,
        unread=_unread(request, viewer), **context)
    return HTMLResponse(html, status_code=status)


def _unread(request: Request, viewer: Principal | None) -> int:
    """The viewer's unread messages, beside «Сообщения» in the header."""
    if viewer is None or viewer.school_id is None:
        return 0
    svc = request.app.state.services
    with reading(svc.reader) as conn:
        return unread_total(conn, viewer.user_id, viewer.role.value, viewer.school_id,
                            svc.now())


#: A refusal's page: its status, heading and text.
REFUSED = {
    403: ("Нет доступа", "Эта страница не для вашей роли."),
    404: ("Не найдено", "Такой страницы нет, или она вам не видна."),
}
CSRF_REFUSED = ("Запрос отклонён",
                "Форма устарела или пришла не с этого сайта. Обновите страницу и повторите.")


def refusal_page(request: Request, status: int, heading: str, text: str) -> HTMLResponse:
    return render(request, "refused.html", status=status, heading=heading, text=text)


async def _refused(request: Request, status: int, page: tuple[str, str] | None = None
                   ) -> Response:
    if status in (401, 403, 404):
        await run_in_threadpool(audit_refusal, request, status)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response: Response = RedirectResponse(f"/?next={quote(target, safe='')}", 303)
        if session.session_token(request):
            session.clear_session(response)
        return response
    heading, text = page or REFUSED.get(status, ("Ошибка", "Запрос не выполнен."))
    return refusal_page(request, status, heading, text)


def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
    fields = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
    text = "Неверный адрес или данные формы: " + ", ".join(fields) + "."
    return refusal_page(request, 422, "Неверный запрос", text)


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A page's route: the viewer is resolved from the session cookie before the page runs,
    a POST without this session's CSRF token is 403 before anything reads its fields, and
    refusals are pages."""

    def get_route_handler(self) -> Endpoint:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            svc = request.app.state.services
            viewer = await run_in_threadpool(session.principal, request, svc)
            request.state.viewer = viewer
            first = session.gate(request)
            if first is not None:  # its page (and logging out) only, until it is done
                return RedirectResponse(first, 303)
            try:
                if request.method == "POST":
                    form = await request.form()
                    if not session.csrf_holds(request, viewer, form.get(session.CSRF_FIELD)):
                        return await _refused(request, 403, CSRF_REFUSED)
                return await handle(request)
            except HTTPException as exc:
                return await _refused(request, exc.status_code)
            except NotFound:
                return await _refused(request, 404)
            except NotPermitted as exc:
                # A journal rule's refusal says which, in the teacher's words.
                said = (REFUSED[403][0], i18n.refusal(exc)) if getattr(exc, "rule", None) \
                    else None
                return await _refused(request, 403, said)
            except DomainError as exc:
                # A page's own refusals (a form's) are shown where they arise; this is a
                # refusal no page expected.
                return refusal_page(request, 422, "Запись отклонена", i18n.refusal(exc))
            except RequestValidationError as exc:
                return _invalid(request, exc)

        return page
