"""What the administration's forms write (the school's structure): each form is checked by
the API's own request model and written by the API's own command (an account through
``api.routes.schools.open_user``), so a form refuses exactly what the API refuses. A refusal
writes nothing and is said in Russian, naming the form's field; the writer's next page sees
what was written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from ejournal.api.deps import Principal
from ejournal.api.requests import UserIn
from ejournal.api.routes.credentials import temporary_password
from ejournal.api.routes.schools import open_user
from ejournal.api.services import Services
from ejournal.application import Result
from ejournal.application.commands import ResetPassword
from ejournal.domain.errors import AlreadyExists, DomainError, NotFound, NotPermitted
from ejournal.web.commands import SETTLE

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=Result)

#: A form field's label, by the name the API gives it (``periods.0.ends_on``: the first
#: period's row).
LABELS = {
    "name": "Название", "starts_on": "Начало", "ends_on": "Окончание",
    "days_per_week": "Дней в неделе", "kind": "Вид", "periods": "Периоды",
    "holidays": "Каникулы", "username": "Логин", "full_name": "ФИО", "role": "Роль",
    "password": "Пароль", "year_id": "Учебный год", "class_teacher_id": "Классный руководитель",
    "grade": "Параллель", "student_id": "Ученик", "from_date": "С", "to_date": "По",
    "guardian_id": "Родитель", "subject_id": "Предмет", "teacher_id": "Учитель",
    "class_id": "Класс", "journal_id": "Журнал", "valid_from": "Действует с",
    "lessons": "Расписание", "weekday": "День недели", "slot": "Номер урока",
    "on_date": "Последний день", "last_day": "Последний день",
}
ROW_LABELS = {"periods": "Период {n}", "holidays": "Каникулы {n}", "lessons": "Урок {n}"}

#: Pydantic's refusals, by type, in Russian.
SHAPES = {
    "missing": "не заполнено", "string_too_short": "не заполнено",
    "string_too_long": "слишком длинно", "too_short": "не заполнено",
    "too_long": "слишком много строк", "date_from_datetime_parsing": "дата в виде ГГГГ-ММ-ДД",
    "date_parsing": "дата в виде ГГГГ-ММ-ДД", "date_type": "дата в виде ГГГГ-ММ-ДД",
    "date_range": "дата в пределах 1991–2100 годов", "uuid_parsing": "выберите из списка",
    "uuid_type": "выберите из списка", "literal_error": "выберите из списка",
    "enum": "выберите из списка", "string_pattern_mismatch":
        "от 2 до 64 латинских букв, цифр и знаков . _ @ -",
    "int_parsing": "целое число", "int_type": "целое число",
    "greater_than_equal": "слишком мало", "less_than_equal": "слишком много",
    "text_nul": "недопустимый символ", "text_surrogate": "недопустимый символ",
}

#: The domain's refusals of a structure, by the start of its words, in Russian.
WORDS = (
    ("the year must end after it starts", "год кончается позже, чем начинается"),
    ("an academic year spans at most one year", "учебный год длится не больше года"),
    ("a year has at least one period", "у года есть хотя бы один период"),
    ("a year has at most one period of kind year", "период вида «учебный год» — один"),
    ("two periods are named", "два периода с одним названием"),
    ("period .* ends before it starts", "период кончается раньше, чем начинается"),
    ("period .* lies outside the year", "период выходит за границы учебного года"),
    ("period .* overlaps", "периоды пересекаются"),
    ("holidays .* end before they start", "каникулы кончаются раньше, чем начинаются"),
    ("holidays .* lie outside the year", "каникулы выходят за границы учебного года"),
    ("the school already has a subject named", "такой предмет в школе уже есть"),
    ("the year already has a class named", "такой класс в этом году уже есть"),
    ("the username .* is taken", "этот логин уже занят"),
    ("a class teacher is a teacher", "классный руководитель — учитель школы"),
    ("a journal is assigned to a teacher", "журнал ведёт учитель школы"),
    ("a substitute is a teacher", "замещает учитель школы"),
    ("a substitution ends on or after it starts", "замена кончается не раньше, чем начинается"),
    ("this class has a journal for that subject already",
     "у класса уже есть журнал по этому предмету"),
    ("the student is enrolled in this class already", "ученик уже зачислен в этот класс"),
    ("the student is not enrolled in this class", "ученик не числится в этом классе"),
    ("an enrolment from .* cannot end before it starts",
     "раньше дня зачисления в класс"),
    ("guardians are linked to students", "родитель привязывается к ученику"),
    ("that user is not a guardian", "это не родитель"),
    ("the guardian belongs to another school", "родитель из другой школы"),
    ("that guardian is linked already", "этот родитель уже привязан к ученику"),
    ("two lessons at weekday", "два урока в одно время"),
    ("that journal is not one of this class's journals", "журнал не этого класса"),
    ("user .* is not a", "выберите человека с подходящей ролью"),
    ("no .* in this school", "в школе такого нет"),
    ("role is one of", "выберите из списка"),
    ("grade is a whole number", "целое число от 1 до 11"),
)


@dataclass(frozen=True)
class Refused(Exception):
    """A form refused: which form, which of its fields (the API's name), and the words."""

    form: str
    field: str | None
    text: str  # «Окончание»: год кончается позже, чем начинается

    def __str__(self) -> str:
        return self.text


def label(field: str | None) -> str:
    """``periods.1.ends_on`` -> «Период 2: Окончание»."""
    if not field:
        return ""
    parts = field.split(".")
    if len(parts) >= 2 and parts[0] in ROW_LABELS and parts[1].isdigit():
        row = ROW_LABELS[parts[0]].format(n=int(parts[1]) + 1)
        return f"{row}: {LABELS.get(parts[-1], parts[-1])}" if len(parts) > 2 else row
    return LABELS.get(parts[-1], parts[-1])


def _said(field: str | None, words: str) -> str:
    return f"«{label(field)}»: {words}" if field else words[:1].upper() + words[1:]


def parse(form: str, model: type[M], payload: Mapping[str, Any]) -> M:
    """``payload`` through the API's request model, as the API reads a JSON body."""
    try:
        return model.model_validate_json(json.dumps(payload, default=str))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        raise Refused(form, field or None,
                      _said(field, SHAPES.get(first["type"], "неверное значение"))) from None


def refused(form: str, exc: DomainError) -> Refused:
    detail = str(exc.detail)
    words = next((ru for en, ru in WORDS if re.match(en, detail)), None)
    if words is None:
        words = "такое уже есть" if isinstance(exc, AlreadyExists) else "не принято"
    if exc.rule:
        words += f" ({exc.rule})"
    field = re.sub(r"\[(\d+)\]", r".\1", exc.field) if exc.field else None  # periods[0]
    return Refused(form, field, _said(field, words))


def run(svc: Services, form: str, write: Callable[[], R]) -> R:
    """``write`` (one application command), its refusal said as the form's; a 403 (the role)
    or an unknown id the form did not name stays the page's refusal."""
    try:
        written = write()
    except NotPermitted:
        raise
    except NotFound as exc:
        if exc.field is None:
            raise
        raise refused(form, exc) from None
    except DomainError as exc:
        raise refused(form, exc) from None
    if written.position is not None:
        svc.projector.wait_for(written.position, timeout=SETTLE)
    return written


@dataclass(frozen=True)
class Opened:
    """An account opened by the administration, with its temporary password (shown once)."""

    id: UUID
    username: str
    full_name: str
    role: str
    password: str


def open_account(svc: Services, viewer: Principal, school_id: UUID, username: str,
                 full_name: str, role: str) -> Opened:
    """An account with a temporary password its holder must change at first login (R-4.8):
    the API's registration, then its reset."""
    password = temporary_password()
    body = parse("user", UserIn, {"username": username, "full_name": full_name, "role": role,
                                  "password": password})
    user_id = run(svc, "user", lambda: open_user(svc, viewer, school_id, body)).id
    run(svc, "user", lambda: svc.app.execute(ResetPassword(viewer.user_id, user_id)))
    return Opened(user_id, body.username, body.full_name, body.role.value, password)
