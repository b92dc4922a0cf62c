"""Imports (R-2.1: the school registers each participant): a file's roster, staff, timetable
or work programmes, dry run or for real (``ejournal.imports``); their templates; and the login
slips of the accounts an import created, printed from the passwords the admin was answered
(the server keeps none of them: ``docs/import.md``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ejournal.api import problems
from ejournal.api.access import not_found
from ejournal.api.consistency import OwnWritesSeen
from ejournal.api.deps import Administrator, Principal, ServicesDep
from ejournal.api.reporting import school_today
from ejournal.api.routes.exports import XLSX_ANSWER, sheets_answer
from ejournal.documents.login_slips import LoginSlip
from ejournal.documents.login_slips import login_slips as render_slips
from ejournal.domain.errors import InvalidEntry
from ejournal.domain.school import School
from ejournal.domain.values import Role
from ejournal.imports.files import FileUnreadable
from ejournal.imports.plan import Problem
from ejournal.imports.service import ImportRefused, run_import, school_year
from ejournal.imports.templates import template_sheets

router = APIRouter(prefix="/api/v1", tags=["imports"])
Kind = Literal["roster", "staff", "timetable", "programme"]


class ProblemOut(BaseModel):
    row: int | None = Field(description="the file's row (1: the headers); null: the file")
    column: str | None
    message: str


class DryRunOut(BaseModel):
    rows: int
    would_create: dict[str, int]
    errors: list[ProblemOut]


class AccountOut(BaseModel):
    full_name: str
    username: str
    temporary_password: str = Field(description="shown once; to be changed at first login")
    role: str
    class_name: str | None
    login_generated: bool = Field(
        description="the file's login cell was blank: the login was made from the name")


class ImportedOut(BaseModel):
    rows: int
    created: dict[str, int]
    accounts: list[AccountOut]


def _problems(found: list[Problem], detail: str) -> JSONResponse:
    return problems.problem(422, detail, title="The file breaks a rule", errors=[
        {"row": p.row, "column": p.column, "message": p.message} for p in found])


def administered_school(svc: ServicesDep, user: Principal, school_id: UUID) -> School:
    """The school, for the operator or its own admin; else it is not there (404)."""
    school = svc.app.load_many([school_id]).get(school_id)
    if not isinstance(school, School) or (user.role is Role.ADMIN
                                          and user.school_id != school_id):
        raise not_found("school", school_id)
    return school


@router.post("/schools/{school_id}/imports/{kind}", status_code=201,
             response_model=ImportedOut,
             responses={200: {"model": DryRunOut, "description": "the dry run"},
                        422: {"description": "problems by row and column; nothing written"}},
             summary="Import a roster, the staff, a timetable or work programmes")
def import_file(svc: ServicesDep, user: Administrator, school_id: UUID, kind: Kind,
                file: Annotated[UploadFile, File(description="CSV (UTF-8, ; or ,) or XLSX")],
                dry_run: Annotated[bool, Query(description="check only (default)")] = True,
                year_id: Annotated[UUID | None, Query(
                    description="the school year (default: today's, else the next)")] = None,
                _: OwnWritesSeen = None) -> Any:
    """Dry run: 200 with every problem by row and column. For real: 201, or 422 with the
    same problems and nothing written. A file imported again creates nothing."""
    administered_school(svc, user, school_id)
    now = svc.now()
    with svc.reader.connect() as conn:
        today = school_today(conn, school_id, now)
    year = school_year(svc.reader, school_id, today, year_id)
    if year_id is not None and year is None:
        raise InvalidEntry(f"no school year {year_id} in this school", field="year_id")
    content = file.file.read()
    try:
        outcome = run_import(svc.app, svc.accounts.engine, kind=kind, content=content,
                             actor_id=user.user_id, school_id=school_id, year=year,
                             today=today, now=now, dry_run=dry_run)
    except FileUnreadable as exc:
        return _problems([Problem(None, None, exc.detail)], exc.detail)
    except ImportRefused as exc:
        return _problems(exc.problems, exc.detail)
    if dry_run:
        return JSONResponse({"rows": outcome.rows, "would_create": outcome.counts,
                             "errors": [{"row": p.row, "column": p.column,
                                         "message": p.message} for p in outcome.problems]})
    svc.accounts.note("import", now=now, user_id=user.user_id,
                      detail=f"{kind}: {len(outcome.accounts)} accounts")
    return {"rows": outcome.rows, "created": outcome.counts, "accounts": [
        {"full_name": a.full_name, "username": a.username, "temporary_password": password,
         "role": a.role, "class_name": a.class_name, "login_generated": a.login_generated}
        for a, password in outcome.accounts]}


@router.get("/imports/{kind}/template", responses=XLSX_ANSWER, response_class=Response,
            summary="The import's template: its Russian headers (XLSX with notes, or CSV)")
def import_template(_: Administrator, kind: Kind,
                    fmt: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx"
                    ) -> Response:
    return sheets_answer(template_sheets(kind), fmt, f"шаблон-{kind}")


class SlipIn(BaseModel):
    model_config = {"extra": "forbid"}

    username: str = Field(max_length=64)
    temporary_password: str = Field(max_length=64, repr=False)
    full_name: str | None = Field(default=None, max_length=2000,
                                  description="ignored: the account's own name is printed")
    role: str | None = Field(default=None, max_length=32, description="ignored, as full_name")
    class_name: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00-\x1f]*$")
    login_generated: bool = Field(default=False,
                                  description="the slip says the login was made from the name")


class SlipsIn(BaseModel):
    model_config = {"extra": "forbid"}

    accounts: list[SlipIn] = Field(min_length=1, max_length=5000)


@router.post("/schools/{school_id}/login-slips", response_class=Response,
             responses={200: {"content": {"application/pdf": {}},
                              "description": "the slips, eight an A4 page"}},
             summary="Login slips (PDF) of accounts still on their temporary password")
def login_slips(svc: ServicesDep, user: Administrator, school_id: UUID,
                body: SlipsIn) -> Response:
    """The import's answer sent back (``accounts``): each must be an account of the school
    that has not yet chosen its own password, and the temporary password its current one -
    else 422 naming the item. The server keeps none of it; the PDF holds the passwords."""
    school = administered_school(svc, user, school_id)
    people = {}
    for item in body.accounts:
        found = svc.app.user_by_username(item.username)
        if found is not None:
            people[found.username.casefold()] = found
    slips, errors = [], []
    for i, item in enumerate(body.accounts):
        person = people.get(item.username.casefold())
        if person is None or person.school_id != school_id:
            errors.append({"field": f"accounts[{i}].username",
                           "message": "no account of this school"})
        elif not person.must_change_password or not svc.accounts.check_password(
                person.id, item.temporary_password):
            errors.append({"field": f"accounts[{i}].temporary_password",
                           "message": "not the account's temporary password (or it was "
                                      "changed already)"})
        else:
            slips.append(LoginSlip(person.full_name, person.role.value, item.class_name,
                                   person.username, item.temporary_password,
                                   item.login_generated))
    if errors:
        return problems.problem(422, f"{len(errors)} slip(s) cannot be printed",
                                errors=errors)
    return Response(render_slips(school.name, slips), media_type="application/pdf",
                    headers={"Content-Disposition": "attachment; filename=\"login-slips.pdf\""})
