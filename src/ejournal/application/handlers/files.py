"""Handlers of homework files: attaching one to a lesson and retracting it. Both are journal
writes (R-4.4: the journal's writers) on the lesson's date, so a closed period refuses them
(R-3.4b) as it refuses the lesson's other entries."""

from __future__ import annotations

from ejournal.application import commands as c
from ejournal.application import results as r
from ejournal.application.handlers.journal import _context, _ensure_open, _lesson
from ejournal.application.unit import Handler, UnitOfWork
from ejournal.domain.errors import NotFound
from ejournal.domain.homework_file import HomeworkFile


def attach_homework_file(command: c.AttachHomeworkFile, uow: UnitOfWork) -> r.FileAttached:
    ctx, loaded = _context(uow, command.actor_id, command.journal_id, also=[command.lesson_id])
    lesson = _lesson(ctx, command.lesson_id, loaded)
    ctx.journal.ensure_may_write(ctx.actor, lesson.lesson_date)
    attached = HomeworkFile.attach(
        file_id=uow.new_id(), school_id=lesson.school_id, class_id=lesson.class_id,
        journal_id=lesson.journal_id, lesson_id=lesson.id, lesson_date=lesson.lesson_date,
        name=command.name, size=command.size, content_type=command.content_type,
        sha256=command.sha256, by=ctx.actor.user_id, at=uow.now)
    _ensure_open(ctx, loaded, lesson.lesson_date, "a homework file", uow)
    uow.add(attached)
    return r.FileAttached(attached.id)


def retract_homework_file(command: c.RetractHomeworkFile, uow: UnitOfWork) -> r.FileRetracted:
    ctx, loaded = _context(uow, command.actor_id, command.journal_id,
                           also=[command.lesson_id, command.file_id])
    lesson = _lesson(ctx, command.lesson_id, loaded)
    attached = loaded.get(command.file_id)
    if not isinstance(attached, HomeworkFile) or attached.lesson_id != lesson.id:
        raise NotFound(f"no file {command.file_id} at this lesson", field="attachment_id")
    ctx.journal.ensure_may_write(ctx.actor, lesson.lesson_date)
    attached.retract(ctx.actor, reason=command.reason, at=uow.now)
    _ensure_open(ctx, loaded, lesson.lesson_date, "retracting a homework file", uow)
    uow.add(attached)
    return r.FileRetracted()


HANDLERS: dict[type, Handler] = {
    c.AttachHomeworkFile: attach_homework_file,
    c.RetractHomeworkFile: retract_homework_file,
}
