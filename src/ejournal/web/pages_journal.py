"""The teacher's pages: my journals, a journal's grid with its period summary, entry in a
cell (marks, «Н», corrections, cancellations, a mark's history), holding a lesson and taking
its attendance.

A cell's control is a link to the cell's page; with htmx the page's fragment opens beside
the grid and an answer updates the cell in place. Without JavaScript every form posts and
answers a page of its own.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ejournal.api.access import may_read_grid, within
from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.requests import SchoolDate
from ejournal.domain.lesson import Lesson
from ejournal.domain.school_class import MAX_SLOT
from ejournal.domain.values import MAX_HOMEWORK_MINUTES
from ejournal.projections.diary import names as diary_names
from ejournal.projections.diary_files import lesson_files
from ejournal.web import commands, gridrows, i18n, lookups, reads
from ejournal.web.commands import Outcome
from ejournal.web.routing import PageRoute, is_htmx, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PeriodQuery = Annotated[UUID | None, Query(alias="period")]
Text = Annotated[str, Form(max_length=2000)]
CELL = "/journals/{journal_id}/cells/{lesson_id}/{student_id}"
STAFF = ("teacher", "admin", "auditor")


def _writer(request: Request) -> Principal:
    """Teachers (of their journals) and the school's admin write journals (R-4.4); every
    other role is 403 before any id is looked at, as over the API."""
    viewer = signed_in(request)
    only(viewer, "teacher", "admin")
    return viewer


def _suffix(period: UUID | None) -> str:
    return f"?period={period}" if period else ""


@router.get("/journals")
def journals(request: Request, svc: ServicesDep) -> Response:
    viewer = signed_in(request)
    only(viewer, "teacher")
    return render(request, "journals.html", title="Мои журналы",
                  cards=reads.my_journals(svc, viewer))


@router.get("/journals/{journal_id}")
def journal(request: Request, svc: ServicesDep, journal_id: UUID, period: PeriodQuery = None,
            held: UUID | None = None, attended: UUID | None = None) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    today = lookups.today(svc, viewer)
    view = reads.journal(svc, viewer, journal_id, period, today)
    if view is None:
        raise HTTPException(404, "no such period")
    notice = None
    mentioned = held or attended
    if mentioned is not None:
        lesson = lookups.lesson(svc, mentioned)
        if lesson is not None and lesson.journal_id == journal_id:
            notice = _lesson_notice(lesson, attended is not None)
    return _journal_page(request, view, today, notice=notice)


def _journal_page(request: Request, view: reads.JournalView, today: date, status: int = 200,
                  **context: str | None) -> Response:
    columns = reads.columns(view)
    return render(request, "journal.html", status=status,
                  title=f"{view.card.class_name}, {view.card.subject}", view=view,
                  today=today, max_slot=MAX_SLOT, max_minutes=MAX_HOMEWORK_MINUTES,
                  columns=columns,
                  rows=gridrows.body(view, columns, view.card.id), **context)


def _lesson_notice(lesson: Lesson, attendance: bool) -> str:
    what = "Посещаемость отмечена" if attendance else "Урок проведён"
    late = None if attendance else lesson.late
    text = f"{what}: {i18n.long_date(lesson.lesson_date)}, {lesson.slot}-й урок."
    if late:
        text += " " + i18n.late_notice(late.rule, late.days) + "."
    return text


def _cell(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
          student_id: UUID, period: UUID | None, outcome: Outcome | None = None,
          status: int = 200) -> Response:
    viewer = signed_in(request)
    view = reads.cell(svc, viewer, journal_id, lesson_id, student_id)
    period = period or view.period_id
    template = "_cell.html" if is_htmx(request) else "cell.html"
    if outcome is not None and outcome.refused:
        status = 422
    return render(request, template, status=status, cell=view, outcome=outcome,
                  period=period, back=f"/journals/{journal_id}{_suffix(period)}",
                  title=f"Отметка: {view.student.name}")


@router.get(CELL)
def cell(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
         student_id: UUID, period: PeriodQuery = None) -> Response:
    only(signed_in(request), *STAFF)
    return _cell(request, svc, journal_id, lesson_id, student_id, period)


@router.post(CELL + "/marks")
def give_mark(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
              student_id: UUID, value: Annotated[str, Form(max_length=8)] = "",
              work: Annotated[str, Form(max_length=16)] = "", comment: Text = "",
              period: PeriodQuery = None) -> Response:
    outcome = commands.give_mark(svc, _writer(request), journal_id, lesson_id, student_id,
                                 value=value, work=work, comment=comment or None)
    return _cell(request, svc, journal_id, lesson_id, student_id, period, outcome, 201)


@router.post(CELL + "/absence")
def mark_absent(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
                student_id: UUID, reason: Annotated[str, Form(max_length=16)] = "",
                period: PeriodQuery = None) -> Response:
    outcome = commands.take_attendance(svc, _writer(request), journal_id, lesson_id,
                                       [(student_id, reason or None)])
    return _cell(request, svc, journal_id, lesson_id, student_id, period, outcome, 201)


@router.post(CELL + "/absence/cancellation")
def cancel_absence(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
                   student_id: UUID, reason: Text = "", period: PeriodQuery = None
                   ) -> Response:
    outcome = commands.cancel_absence(svc, _writer(request), journal_id, lesson_id,
                                      student_id, reason)
    return _cell(request, svc, journal_id, lesson_id, student_id, period, outcome, 201)


@router.post(CELL + "/marks/{mark_id}/correction")
def correct_mark(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
                 student_id: UUID, mark_id: UUID,
                 value: Annotated[str, Form(max_length=8)] = "", reason: Text = "",
                 period: PeriodQuery = None) -> Response:
    outcome = commands.correct_mark(svc, _writer(request), journal_id, mark_id,
                                    value=value, reason=reason)
    return _cell(request, svc, journal_id, lesson_id, student_id, period, outcome, 201)


@router.post(CELL + "/marks/{mark_id}/cancellation")
def cancel_mark(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
                student_id: UUID, mark_id: UUID, reason: Text = "",
                period: PeriodQuery = None) -> Response:
    outcome = commands.cancel_mark(svc, _writer(request), journal_id, mark_id,
                                   reason=reason)
    return _cell(request, svc, journal_id, lesson_id, student_id, period, outcome, 201)


@router.get("/journals/{journal_id}/marks/{mark_id}/history")
def history(request: Request, svc: ServicesDep, journal_id: UUID, mark_id: UUID,
            period: PeriodQuery = None) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    items = reads.history(svc, viewer, journal_id, mark_id)
    template = "_history.html" if is_htmx(request) else "history.html"
    return render(request, template, title="История отметки", items=items,
                  timezone=lookups.timezone(svc, viewer.school_id),
                  back=f"/journals/{journal_id}{_suffix(period)}")


@router.post("/journals/{journal_id}/lessons")
def hold_lesson(request: Request, svc: ServicesDep, journal_id: UUID,
                day: Annotated[SchoolDate, Form(alias="date")],
                slot: Annotated[int, Form(ge=1, le=MAX_SLOT)], topic: Text = "",
                programme_topic: Text = "", homework: Text = "",
                homework_minutes: Annotated[str, Form(max_length=8)] = "",
                period: PeriodQuery = None) -> Response:
    viewer = _writer(request)
    chosen = topic.strip() or programme_topic
    minutes, said = _minutes(homework_minutes, homework)
    outcome = Outcome(None, refused=said) if said else commands.hold_lesson(
        svc, viewer, journal_id, day=day, slot=slot, topic=chosen, homework=homework or None,
        programme_topic=programme_topic or None, homework_minutes=minutes)
    if outcome.refused:
        return _journal_refused(request, svc, journal_id, period, outcome, day)
    suffix = _suffix(period)
    joiner = "&" if suffix else "?"
    return RedirectResponse(f"/journals/{journal_id}{suffix}{joiner}held={outcome.id}", 303)


def _minutes(raw: str, homework: str) -> tuple[int | None, str | None]:
    """«Время на выполнение задания»: empty, or whole minutes 0..300 with the homework (R-3.4g),
    else the teacher's words naming the field."""
    raw = raw.strip()
    if not raw:
        return None, None
    if not raw.isdecimal() or int(raw) > MAX_HOMEWORK_MINUTES:
        return None, (f"«Время на выполнение задания» — целое число минут от 0 до "
                      f"{MAX_HOMEWORK_MINUTES} (R-3.4g)")
    if not homework.strip():
        return None, "«Время на выполнение задания» указывается вместе с заданием (R-3.4g)"
    return int(raw), None


def _journal_refused(request: Request, svc: ServicesDep, journal_id: UUID,
                     period: UUID | None, outcome: Outcome, day: date) -> Response:
    viewer = signed_in(request)
    view = reads.journal(svc, viewer, journal_id, period, lookups.today(svc, viewer))
    if view is None:
        raise HTTPException(404, "no such period")
    return _journal_page(request, view, day, 422, refused=outcome.refused)


@router.get("/journals/{journal_id}/lessons/{lesson_id}")
def lesson_page(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
                period: PeriodQuery = None) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    windows = may_read_grid(svc, viewer, journal_id)[1]
    lesson = lookups.lesson(svc, lesson_id)
    if lesson is None or lesson.journal_id != journal_id \
            or not within(lesson.lesson_date, windows):
        raise HTTPException(404, "no such lesson")  # before the grid is read (and logged)
    view = reads.journal(svc, viewer, journal_id, period, lookups.today(svc, viewer))
    if view is None:
        raise HTTPException(404, "no such period")
    with svc.reader.connect() as conn:
        files = lesson_files(conn, diary_names, lesson_id)
    return render(request, "lesson.html", title="Посещаемость", view=view, lesson=lesson,
                  roster=reads.roster_of(view), period=period, files=files,
                  attached=request.query_params.get("attached") == "1",
                  removed=request.query_params.get("removed") == "1",
                  back=f"/journals/{journal_id}{_suffix(period)}")


@router.post("/journals/{journal_id}/lessons/{lesson_id}/attendance")
async def attendance(request: Request, svc: ServicesDep, journal_id: UUID, lesson_id: UUID,
                     period: PeriodQuery = None) -> Response:
    """Checked «absent» boxes name the absent (``absent`` = student ids), each with its
    ``reason-{id}``; none checked: everyone was there."""
    form = await request.form()
    absent = []
    for raw in form.getlist("absent"):
        try:
            student = UUID(str(raw))
        except ValueError:
            raise HTTPException(422, "absent is a student id") from None
        reason = str(form.get(f"reason-{student}") or "") or None
        absent.append((student, reason))
    viewer = _writer(request)
    outcome = await run_in_threadpool(commands.take_attendance, svc, viewer, journal_id,
                                      lesson_id, absent)
    if outcome.refused:
        return render(request, "refused.html", status=422, heading="Запись отклонена",
                      text=outcome.refused)
    suffix = _suffix(period)
    joiner = "&" if suffix else "?"
    return RedirectResponse(f"/journals/{journal_id}{suffix}{joiner}attended={lesson_id}", 303)
