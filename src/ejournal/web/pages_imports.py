"""«Импорт» of the administration: a file's roster, staff, timetable or work programmes checked
(«Проверить»: every problem by row and column, nothing written) or imported («Загрузить»: the
accounts it created with their temporary passwords, shown once), and the templates - each the
API's own route (``api.routes.imports``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.responses import Response

from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.routes import imports
from ejournal.domain.errors import DomainError
from ejournal.web import i18n, school
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

KINDS = {"roster": "Ученики и родители", "staff": "Сотрудники", "timetable": "Расписание",
         "programme": "Рабочие программы"}
WHAT = {"students": "учеников", "guardians": "родителей", "teachers": "учителей",
        "admins": "администрации", "auditors": "проверяющих", "classes": "классов",
        "enrolments": "зачислений", "links": "связей с родителями", "subjects": "предметов",
        "journals": "журналов", "teachers_assigned": "назначений учителей",
        "timetables": "расписаний", "programmes": "рабочих программ", "topics": "тем"}


def _admin(request: Request) -> Principal:
    viewer = signed_in(request)
    only(viewer, "admin")
    return viewer


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    return render(request, "school_imports.html", status=status, title="Импорт", KINDS=KINDS,
                  WHAT=WHAT, ROLE=i18n.ROLE, **context)


@router.get("/school/imports")
def imports_page(request: Request) -> Response:
    _admin(request)
    return _page(request)


@router.get("/school/imports/{kind}/template")
def template(request: Request, kind: imports.Kind,
             fmt: Annotated[str, Query(alias="format", max_length=8)] = "xlsx") -> Response:
    viewer = _admin(request)
    return imports.import_template(viewer, kind, "csv" if fmt == "csv" else "xlsx")


@router.post("/school/imports")
def run(request: Request, svc: ServicesDep,
        kind: Annotated[str, Form(max_length=16)] = "",
        file: Annotated[UploadFile | None, File()] = None,
        dry_run: Annotated[str, Form(max_length=8)] = "true") -> Response:
    """The API's import of the admin's own school; its answer shown as a report."""
    viewer = _admin(request)
    checking = dry_run != "false"
    if kind not in KINDS:
        return _page(request, 422, error="«Что загружаем»: выберите из списка", kind=kind)
    if file is None or not file.filename:
        return _page(request, 422, error="«Файл»: выберите файл CSV или XLSX", kind=kind)
    try:
        answer = imports.import_file(svc, viewer, school.admin_school(viewer), kind,  # type: ignore[arg-type]
                                     file, checking, None)
    except DomainError as exc:
        return _page(request, 422, error=i18n.refusal(exc), kind=kind)
    if isinstance(answer, JSONResponse):
        body = json.loads(bytes(answer.body))
        status = 200 if answer.status_code == 200 else 422
        return _page(request, status, kind=kind, checked=checking, report=body,
                     errors=body.get("errors", []), filename=file.filename)
    return _page(request, 201, kind=kind, imported=answer, filename=file.filename)
